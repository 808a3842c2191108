"""Who sees what, through ``esignbot serve`` with Slack (a real process and a fake Web API):
personal data masked in a shared channel, a case reachable only from its own conversation,
``status all`` only for admins and only privately, App Home only with one's own cases.

Already proven elsewhere (not repeated): WeCom masks personal data for the corp's members
(tests/bot/wecom/test_callback.py::test_an_image_is_downloaded_and_kept_as_the_licence_after_the_callback_returned)
and refuses a message from another corp (bot/wecom/test_callback.py::
test_requests_wecom_did_not_send_are_refused_and_leave_no_trace); App Home leaves out a channel
the person never took part in (bot/slack/test_app.py::test_app_home_lists_the_persons_cases_with_progress).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.bot.slack.test_app import start, texts
from tests.fakes.slack_world import TEAM, SlackWorld, slack_world

RESIDENT_ID = "11010519491231002X"
PHONE = "13812345678"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackWorld]:
    with slack_world(tmp_path_factory.mktemp("slack-isolation"), ESIGNBOT_ADMINS=f"slack:{TEAM}:U9") as started:
        started.api.users.update({"U1": "Alice Wang", "U2": "Bob Li", "U9": "Admin"})
        yield started


def everything_posted(world: SlackWorld, channel: str) -> str:
    return "\n".join(json.dumps(c.params, ensure_ascii=False) for c in world.api.calls
                     if c.params.get("channel") == channel or c.params.get("channel_id") == channel)


def test_a_channel_sees_resident_id_and_phone_masked(world: SlackWorld) -> None:
    thread = start(world, "CMASK")
    for answer in ("2", "1", "100016315204", "测试科技有限公司", "2", "2", "9144030071526726XG",
                   "张三", RESIDENT_ID, PHONE, "ops@example.com"):
        thread.say(answer)
    thread.command("status")
    thread.say(f"edit contact_phone {PHONE}")
    answers = world.answers("CMASK")
    assert answers["operator_id_number"] == RESIDENT_ID and answers["contact_phone"] == PHONE
    posted = everything_posted(world, "CMASK")
    assert "1101**********002X" in posted and "138****5678" in posted
    assert RESIDENT_ID not in posted and PHONE not in posted


def test_a_case_is_reached_only_from_its_own_conversation(world: SlackWorld) -> None:
    mine = start(world, "CISOA")
    mine.click("正式环境")
    other = start(world, "CISOB")
    # A click on channel A's question, delivered as if from channel B, answers nothing in A.
    question = mine.question()
    forged = {**question.params, "channel": "CISOB"}
    response = world.sender.click(type(question)(question.method, forged, question.answer),
                                  "是，已完成对公打款认证", user="U2")
    assert response.status_code == 200
    other.new_calls()
    assert world.answers("CISOA") == {"environment": "prod"}
    assert world.answers("CISOB") == {}
    # `status` in B tells only B's case.
    calls = other.command("status", user="U2")
    case_a = world.rows("SELECT id FROM cases WHERE conversation = ?", f"slack:{TEAM}:CISOA")[0][0]
    case_b = world.rows("SELECT id FROM cases WHERE conversation = ?", f"slack:{TEAM}:CISOB")[0][0]
    said = texts(calls) + texts(calls, "chat.postEphemeral")
    assert f"#{case_b}" in said and f"#{case_a}" not in said


def test_status_all_is_for_admins_and_only_shown_to_them(world: SlackWorld) -> None:
    thread = start(world, "CALL")
    case_call = world.rows("SELECT id FROM cases WHERE conversation = ?", f"slack:{TEAM}:CALL")[0][0]
    calls = thread.command("status all", user="U1")
    assert [c.method for c in calls] == ["chat.postEphemeral"] and calls[0].params["user"] == "U1"
    assert "ESIGNBOT_ADMINS" in calls[0].text() and f"#{case_call} ·" not in calls[0].text()
    calls = thread.command("status all", user="U9")
    assert [c.method for c in calls] == ["chat.postEphemeral"] and calls[0].params["user"] == "U9"
    assert f"#{case_call} · （尚无企业名称）" in calls[0].text()
