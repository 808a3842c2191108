"""Slack group DMs (several people and the bot, ``channel_type: "mpim"``), through ``esignbot
serve`` and the fake Slack world: a case started there is answered in its thread like a
channel's, personal data is masked there (it is shared), and a group DM the bot is not in is
told how to add it.

The world's sender delivers a message event only when the app's manifest subscribes to it, as
Slack does, so these tests also prove the manifest asks for ``message.mpim`` and
``mpim:history``: without them Slack never sends the group DM's thread replies.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.bot.slack.test_app import Thread, texts
from tests.fakes.slack_world import SlackWorld, slack_world

RESIDENT_ID = "11010519491231002X"
PHONE = "13812345678"
GROUP_DM_NAME = "mpdm-alice--bob--carol-1"
"""How Slack names a group DM in a slash command's ``channel_name``."""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackWorld]:
    with slack_world(tmp_path_factory.mktemp("slack-group-dm")) as started:
        started.api.users.update({"U1": "Alice Wang", "U2": "Bob Li", "U3": "Carol Zhou"})
        yield started


def everything_posted(world: SlackWorld, channel: str) -> str:
    return "\n".join(json.dumps(c.params, ensure_ascii=False) for c in world.api.calls
                     if c.params.get("channel") == channel)


def test_a_case_in_a_group_dm_is_answered_in_its_thread_with_personal_data_masked(
        world: SlackWorld) -> None:
    response = world.sender.command("start", channel="GMPIM1", channel_name=GROUP_DM_NAME)
    assert response.status_code == 200
    thread = Thread(world, "GMPIM1")
    first = thread.new_calls()
    assert first[0].method == "chat.postMessage" and "thread_ts" not in first[0].params
    for user, answer in (("U1", "2"), ("U2", "1"), ("U3", "100016315204"),
                         ("U1", "测试科技有限公司"),
                         ("U2", "2"), ("U2", "2"), ("U3", "9144030071526726XG"), ("U1", "张三"),
                         ("U1", RESIDENT_ID), ("U2", PHONE), ("U3", "ops@example.com")):
        thread.say(answer, user=user, channel_type="mpim")
    calls = thread.say("status", channel_type="mpim")
    answers = world.answers("GMPIM1")
    assert answers["uin"] == "100016315204" and answers["enterprise_name"] == "测试科技有限公司"
    assert answers["operator_id_number"] == RESIDENT_ID and answers["contact_phone"] == PHONE
    assert "1101**********002X" in texts(calls) and "138****5678" in texts(calls)
    posted = everything_posted(world, "GMPIM1")
    assert RESIDENT_ID not in posted and PHONE not in posted
    # Every reply stayed in the case's thread, as in a channel.
    root = thread.root
    assert all(c.params.get("thread_ts") == root for c in world.posts("GMPIM1")[1:])


def test_group_dm_chat_outside_the_case_thread_is_not_an_answer(world: SlackWorld) -> None:
    world.sender.command("start", channel="GMPIM2", channel_name=GROUP_DM_NAME)
    thread = Thread(world, "GMPIM2")
    thread.new_calls()
    response = world.sender.message("1", channel="GMPIM2", channel_type="mpim", user="U2")
    assert response.status_code == 200
    assert world.answers("GMPIM2") == {}
    thread.say("2", channel_type="mpim", user="U2")
    assert world.answers("GMPIM2") == {"environment": "prod"}


def test_a_group_dm_the_bot_is_not_in_is_told_how_to_add_it(world: SlackWorld) -> None:
    world.api.failures["chat.postMessage"] = "channel_not_found"
    response = world.sender.command("start", channel="GMPIMAWAY", channel_name=GROUP_DM_NAME)
    assert response.status_code == 200
    said = world.api.wait_calls("response_url")[-1]
    assert said.params["response_type"] == "ephemeral"
    assert "多人私信" in said.params["text"] and "/invite @esignbot" in said.params["text"]
