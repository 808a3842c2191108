"""Text from people is inert on every platform (issue 17, part 5): Slack mentions, channel-wide
pings and disguised links typed into an answer, a rejection reason or a profile name reach
Slack escaped — in a message's ``text`` and in every mrkdwn block — while the one mention the
bot makes itself (the scheduler's ``<@U…>`` before an announcement) stays live. WeCom and the
terminal show the same input as typed (plain text there; see docs/wecom.md on WeCom's ``<a>``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.bot.wecom.test_callback import running
from tests.conftest import run_console
from tests.fakes.slack_api import Call
from tests.fakes.slack_world import SlackWorld, slack_world

MARKUP = "<!channel> <@U2> <http://evil.example|Tencent> & <#C9>"
LIVE = ("<!channel>", "<@U2>", "<http://evil.example", "<!here>", "<#C9>")
ALICE = "UA11CE"
"""A user id the shape of Slack's (the scheduler mentions only those)."""
INERT = "&lt;!channel&gt; &lt;@U2&gt; &lt;http://evil.example|Tencent&gt; &amp; &lt;#C9&gt;"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackWorld]:
    with slack_world(tmp_path_factory.mktemp("slack-markup"), ESIGNBOT_SCHEDULER_SECONDS="1") as started:
        started.api.users.update({ALICE: "Alice", "U3": "<!here> Mallory"})
        yield started


def mrkdwn_texts(node: Any) -> list[str]:
    """Every mrkdwn text object's text in blocks or a view (what Slack parses as markup)."""
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            found.append(node["text"])
        for value in node.values():
            found += mrkdwn_texts(value)
    elif isinstance(node, list):
        for item in node:
            found += mrkdwn_texts(item)
    return found


def parsed(call: Call) -> list[str]:
    """What Slack reads as markup in one post: its ``text`` and its mrkdwn blocks."""
    return [str(call.params.get("text") or ""), *mrkdwn_texts(call.params.get("blocks"))]


def test_markup_typed_by_people_reaches_slack_escaped_and_the_bots_mention_stays_live(
        world: SlackWorld) -> None:
    channel = "CMARK"
    assert world.sender.command("start", channel=channel, user=ALICE).status_code == 200
    world.wait_posts(channel, 1)
    world.settle(channel)
    root = str(world.rows("SELECT thread_ts FROM slack_threads")[0][0])
    for answer in ("2", "2", "2"):  # production, not verified, transfer submitted
        world.sender.message(answer, channel=channel, thread_ts=root, user=ALICE)
        world.settle(channel)
    # U3's profile name is looked up after the acknowledgement of U3's first input (issue 27:
    # no acknowledgement waits on users.info), so U3 says something first.
    world.sender.message("status", channel=channel, thread_ts=root, user="U3")
    world.api.wait_for(lambda calls: any(c.method == "users.info" and c.params.get("user") == "U3"
                                         for c in calls))
    world.settle(channel)
    # An answer echoed back, a name from a Slack profile, a reason in an announcement.
    world.sender.message(f"edit app_description {MARKUP}", channel=channel, thread_ts=root,
                         user="U3")
    world.settle(channel)
    world.sender.message("status", channel=channel, thread_ts=root, user=ALICE)
    world.settle(channel)
    world.sender.message(f"review transfer rejected {MARKUP}", channel=channel, thread_ts=root,
                         user=ALICE)
    world.api.wait_for(lambda calls: any(
        c.method == "chat.postMessage" and "📣" in str(c.params.get("text")) for c in calls))
    calls = [c for c in world.settle(channel)
             if c.method in {"chat.postMessage", "chat.postEphemeral", "chat.update"}]

    everything = [text for call in calls for text in parsed(call)]
    assert not [text for text in everything for live in LIVE if live in text], everything
    assert any(INERT in text for text in everything)  # shown as typed, not dropped
    assert any("&lt;!here&gt; Mallory" in text for text in everything)  # the profile name
    # Our sections are verbatim: Slack adds no links or mentions of its own to them.
    sections = [b["text"] for c in calls for b in c.params.get("blocks", []) if b.get("type") == "section"]
    assert sections and all(section.get("verbatim") is True for section in sections)

    announcement = next(c for c in calls if "📣" in str(c.params.get("text")))
    assert str(announcement.params["text"]).startswith(f"<@{ALICE}> ")  # the bot's own: live
    assert mrkdwn_texts(announcement.params["blocks"])[0].startswith(f"<@{ALICE}> ")
    assert INERT in str(announcement.params["text"])


def test_markup_typed_in_wecom_is_sent_as_typed(tmp_path: Path) -> None:
    with running(tmp_path) as served:
        served.say("alice", "开始", "1", f"修改 app_description {MARKUP}")
        served.api.wait_for(lambda api: any(MARKUP in text for text in api.texts_to("alice")))
        sent = [m for m in served.api.sent_to("alice") if MARKUP in json.dumps(m, ensure_ascii=False)]
        assert sent and all(m["msgtype"] == "text" for m in sent)  # plain text, unchanged


def test_a_link_tag_typed_in_wecom_is_shown_not_followed(tmp_path: Path) -> None:
    typed = '<a href="http://evil.example">腾讯电子签</a> 合同签署'
    with running(tmp_path) as served:
        served.say("alice", "开始", "1", f"修改 app_description {typed}")
        served.api.wait_for(lambda api: any("合同签署" in text for text in api.texts_to("alice")))
        texts = [text for text in served.api.texts_to("alice") if "合同签署" in text]
        assert all("<a" not in text and "</a" not in text for text in texts), texts
        assert any('＜a href="http://evil.example">腾讯电子签＜/a> 合同签署' in text for text in texts)


def test_markup_typed_in_the_terminal_is_printed_as_typed(tmp_path: Path) -> None:
    out = run_console(tmp_path, ["1", f"edit app_description {MARKUP}", "status"], "--lang", "en")
    assert f"Saved app description: {MARKUP}" in out
    assert f"app description: {MARKUP}" in out
