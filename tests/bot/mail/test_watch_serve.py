"""The watcher inside ``esignbot serve``, end to end: a real Dovecot holds Tencent's email, the
server (a real process, WeCom configured against its local fake API) reads it, posts the finding
into the case's WeCom conversation with buttons, and a tap on "confirm" records the review."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.header import Header
from email.mime.text import MIMEText
from pathlib import Path
from typing import Any

import pytest

from tests.bot.wecom.test_callback import CORP, running
from tests.fakes.dovecot import Dovecot, DovecotMissing, missing_dovecot, running_dovecot

UIN = "100016315204"
COMPANY = "深圳市示例科技有限公司"


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    try:
        with running_dovecot() as server:
            yield server
    except DovecotMissing as missing:
        missing_dovecot(missing)


def approval() -> bytes:
    msg = MIMEText(f"贵司（{COMPANY}）提交的补充实名认证资料已审核通过。", "plain", "gbk")
    msg["Subject"] = Header("【腾讯电子签】补充实名认证审核通过", "gbk")
    msg["From"] = "e-contract@tencent.com"
    msg["Message-ID"] = "<serve-1@tencent.com>"
    return msg.as_bytes()


def test_serve_reads_the_mailbox_posts_the_finding_and_a_tap_records_it(
        tmp_path: Path, dovecot: Dovecot) -> None:
    imap = {"ESIGNBOT_IMAP_HOST": dovecot.host, "ESIGNBOT_IMAP_PORT": str(dovecot.port),
            "ESIGNBOT_IMAP_USER": dovecot.user, "ESIGNBOT_IMAP_PASSWORD": dovecot.password,
            "ESIGNBOT_IMAP_SECURITY": "none", "ESIGNBOT_IMAP_POLL_SECONDS": "1",
            "ESIGNBOT_IMAP_LOOKBACK_DAYS": "3650", "ESIGNBOT_SCHEDULER_SECONDS": "1"}
    with running(tmp_path, **imap) as served:
        # test environment, the guide's route, verified account, UIN, name, online, submitted
        served.say("alice", "开始", "2", "1", UIN, COMPANY, "1", "2")
        served.settle()
        assert served.answers()["realname_status"][0] == "submitted"
        dovecot.deliver(approval())

        served.api.wait_for(lambda api: any("📬" in text for text in api.texts_to("alice")))
        finding = next(text for text in served.api.texts_to("alice") if "📬" in text)
        assert "补充实名认证审核已通过" in finding and "review realname approved" in finding
        def mail_cards(api: object) -> list[dict[str, Any]]:
            return [c for c in served.api.cards_to("alice")
                    if any(b["key"].startswith("mail:") for b in c["button_list"])]

        served.api.wait_for(lambda api: bool(mail_cards(api)))  # the card follows the text
        (card,) = mail_cards(served.api)
        keys = [b["key"] for b in card["button_list"]]
        assert keys == ["mail:1|confirm", "mail:1|dismiss"]
        assert served.answers()["realname_status"][0] == "submitted"  # nothing recorded yet

        served.wecom.post(served.wecom.card_click_xml("alice", keys[0], card["task_id"]))
        served.api.wait_for(lambda api: any("已按第 1 封邮件记录" in t for t in api.texts_to("alice")))
        assert served.answers()["realname_status"] == ("approved", "alice")
        assert served.rows("SELECT state, decided_by FROM mail_findings") == [("confirmed", "alice")]
        seen = served.rows("SELECT disposition, message_id FROM mail_seen")
        assert seen == [("finding", "<serve-1@tencent.com>")]
        assert json.loads(str(served.rows("SELECT matched_by FROM mail_findings")[0][0])) == [
            "enterprise_name"]
    assert "\\Seen" not in dovecot.flags(1)
    assert served.rows("SELECT conversation FROM cases") == [(f"wecom:{CORP}",)]
