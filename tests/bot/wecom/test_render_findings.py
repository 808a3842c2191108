"""Only the current question's choices are numbered in WeCom: a typed number answers the case's
current question, so a finding's choices (``mail:<id>``) are offered as card buttons alone."""

from __future__ import annotations

from bot.wecom.render import render
from handlers import Choice, Reply

CHOICES = (Choice(value="confirm", label="确认"), Choice(value="dismiss", label="不是这个"))


def _texts(reply: Reply) -> str:
    return "\n".join(str(m.message.get("text", {}).get("content", "")) for m in render(reply, "zh"))


def test_a_question_is_numbered_and_a_finding_is_not() -> None:
    question = Reply(kind="question", text="组织类型是？", step="org_type", choices=CHOICES)
    finding = Reply(kind="question", text="腾讯的邮件", step="mail:7", choices=CHOICES)
    assert "1. 确认" in _texts(question)
    assert "1. 确认" not in _texts(finding) and "· 确认" in _texts(finding)
    assert any(m.message.get("msgtype") == "template_card" for m in render(finding, "zh"))
