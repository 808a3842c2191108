"""Acknowledge first (issue 27): a Slack listener verifies, commits what it must, acknowledges and
returns; the download of a shared file, and the wait for a thread the app has not recorded yet,
happen after the acknowledgement, committed before it as pending work (a job), so neither a slow
file host nor a crash after the ack costs an answer. Through ``esignbot serve`` and the fakes; the
acknowledgement's time is the HTTP response time of the event's POST, as Slack measures it."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.bot.slack.test_app import Thread, start, walk_to_the_licence_question
from tests.bot.slack.test_uploads import stored
from tests.conftest import noisy_png
from tests.fakes.local_server import clean_env, start_serve
from tests.fakes.slack_api import Call, FakeSlackApi
from tests.fakes.slack_events import SlackSender
from tests.fakes.slack_world import (
    BOT_TOKEN,
    SIGNING_SECRET,
    TEAM,
    SlackWorld,
    slack_world,
)
from tests.fakes.tencentcloud import FakeTencentCloud

ACK_S = 1.0
"""Slack waits 3 s; an acknowledgement here must take well under that, whatever else waits."""
STALL_S = 4.0
SAVED = "已保存「多合一营业执照」"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackWorld]:
    with slack_world(tmp_path_factory.mktemp("slack-ack-first")) as started:
        started.api.users.update({"U1": "Alice Wang"})
        yield started


def until(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.1)


def timed(send: Callable[[], object]) -> float:
    started = time.monotonic()
    response = send()
    elapsed = time.monotonic() - started
    assert getattr(response, "status_code", None) == 200
    return elapsed


def downloads_of(world: SlackWorld, file_id: str) -> int:
    return sum(c.params.get("file_id") == file_id for c in world.api.calls_to("download"))


def saved_in(world: SlackWorld, channel: str) -> list[Call]:
    return [c for c in world.posts(channel) if SAVED in c.text()]


def big_photo() -> bytes:
    photo = noisy_png(1900, 1800)  # a real PNG of 9.8 MiB: just under the 10 MB limit
    assert 9 * 2**20 < len(photo) <= 10 * 2**20
    return photo


def test_a_photo_whose_download_stalls_is_acknowledged_at_once_and_stored_whole_later(
        world: SlackWorld) -> None:
    thread = walk_to_the_licence_question(world, "CSTALL")
    photo = big_photo()
    shared = world.api.share_file(photo, "licence.png", "image/png", stall_s=STALL_S)
    took = timed(lambda: world.sender.message("", channel="CSTALL", thread_ts=thread.root,
                                              files=[shared]))
    assert took < ACK_S, f"the acknowledgement took {took:.2f} s"
    # Acknowledged with the download still held by the file host: nothing stored yet, and the
    # fetch is on disk as pending work (a crash now would leave it to the next process).
    assert stored(world, "CSTALL") == []
    assert world.rows("SELECT kind FROM jobs WHERE conversation = ? AND kind = 'slack.file'",
                      f"slack:{TEAM}:CSTALL") == [("slack.file",)]
    until(lambda: bool(saved_in(world, "CSTALL")))
    digest = hashlib.sha256(photo).hexdigest()
    assert stored(world, "CSTALL") == [digest]
    answer = world.answers("CSTALL")["license_image"]
    assert (answer["size"], answer["file_id"]) == (len(photo), digest)
    assert saved_in(world, "CSTALL")[0].params["thread_ts"] == thread.root


def test_a_retried_file_event_is_neither_downloaded_nor_stored_twice(world: SlackWorld) -> None:
    thread = walk_to_the_licence_question(world, "CFILERETRY")
    photo = big_photo()
    shared = world.api.share_file(photo, "licence.png", "image/png", stall_s=1.0)
    first = timed(lambda: world.sender.message("", channel="CFILERETRY", thread_ts=thread.root,
                                               files=[shared], event_id="EvFILERETRY"))
    # Slack retries a delivery it thinks went unanswered: while the download is on its way ...
    again = timed(lambda: world.sender.message("", channel="CFILERETRY", thread_ts=thread.root,
                                               files=[shared], event_id="EvFILERETRY", retry=1))
    assert first < ACK_S and again < ACK_S
    until(lambda: bool(saved_in(world, "CFILERETRY")))
    # ... and after the file was stored.
    timed(lambda: world.sender.message("", channel="CFILERETRY", thread_ts=thread.root,
                                       files=[shared], event_id="EvFILERETRY", retry=2))
    world.settle("CFILERETRY")
    assert downloads_of(world, shared["id"]) == 1
    assert stored(world, "CFILERETRY") == [hashlib.sha256(photo).hexdigest()]
    assert len(saved_in(world, "CFILERETRY")) == 1
    assert world.rows("SELECT count(*) FROM jobs WHERE conversation = ? AND kind = 'slack.file'",
                      f"slack:{TEAM}:CFILERETRY") == [(1,)]


def test_a_reply_that_arrives_before_its_thread_is_recorded_is_answered_after_the_ack(
        world: SlackWorld) -> None:
    """The person answers in the case's new thread while the app still waits for the response
    to the post that roots it (so it cannot know the thread yet): acknowledged at once, and
    applied as soon as the thread is recorded, not dropped as channel chat."""
    channel = "CEARLY"
    acks: list[float] = []

    def answer_at_once(call: Call) -> None:
        if call.params.get("channel") != channel or call.params.get("thread_ts") or acks:
            return
        acks.append(timed(lambda: world.sender.message("2", channel=channel,
                                                       thread_ts=str(call.answer["ts"]))))

    world.api.before_answering["chat.postMessage"] = answer_at_once
    try:
        thread = start(world, channel)
    finally:
        del world.api.before_answering["chat.postMessage"]
    assert acks and acks[0] < ACK_S, acks
    until(lambda: world.answers(channel) == {"environment": "prod"})
    # It went the way the test means: decided after the ack, by the job that waited for the record.
    assert world.rows("SELECT kind, state FROM jobs WHERE conversation = ?",
                      f"slack:{TEAM}:{channel}") == [("slack.message", "done")]
    assert isinstance(thread, Thread)


def test_a_file_fetch_acknowledged_before_a_crash_is_finished_by_the_next_process(
        tmp_path: Path) -> None:
    """``serve`` is killed (SIGKILL) after acknowledging a shared photo whose download is
    still held by the file host: the fetch was committed before the ack, so the server started
    again on the same file downloads it and stores it, whole."""
    with ExitStack() as stack:
        api = stack.enter_context(FakeSlackApi(BOT_TOKEN, team_id=TEAM).serving())
        tencent = stack.enter_context(FakeTencentCloud().serving())
        db = tmp_path / "esignbot.db"
        env = clean_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                        SLACK_API_URL=api.api_url)
        first = start_serve(db, env, log=tmp_path / "first.log")
        stack.callback(first.stop)
        sender = SlackSender(first.base, SIGNING_SECRET, team=TEAM, api_base=api.base)
        stack.callback(sender.close)
        world = SlackWorld(api, sender, tencent, db, first.proc)
        thread = walk_to_the_licence_question(world, "CCRASH")
        photo = big_photo()
        shared = api.share_file(photo, "licence.png", "image/png", stall_s=STALL_S)
        took = timed(lambda: sender.message("", channel="CCRASH", thread_ts=thread.root,
                                            files=[shared]))
        assert took < ACK_S
        first.proc.kill()
        first.proc.wait()
        assert stored(world, "CCRASH") == []

        second = start_serve(db, env, log=tmp_path / "second.log")
        stack.callback(second.stop)
        until(lambda: bool(saved_in(world, "CCRASH")), timeout_s=60)
        assert stored(world, "CCRASH") == [hashlib.sha256(photo).hexdigest()]
        assert world.rows("SELECT state FROM jobs WHERE kind = 'slack.file'") == [("done",)]
        assert "Traceback" not in second.stop()
