"""One way out (issue 27), through ``esignbot serve``: a reply committed with its turn reaches
Slack once whatever happens after the commit — the server killed mid-post, two workers racing
through one conversation, a Slack that hangs while the clock runs on.

Each test fails on the code before issue 27: there a reply lived in memory until posted (lost
with the process), each worker posted its own turns' replies (out of commit order), and the
scheduler claimed twenty notices with a five-minute lease and sent them one by one (a hang past
the lease let the other worker send them again).
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import libfaketime

from bench import notices, procs
from tests.fakes.local_server import Serve, clean_env, start_serve
from tests.fakes.slack_api import Call, FakeSlackApi
from tests.fakes.slack_events import SlackSender
from tests.fakes.slack_world import BOT_TOKEN, SIGNING_SECRET, TEAM

SAVED = "✔"


def _env(api: FakeSlackApi, **extra: str) -> dict[str, str]:
    return clean_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                     SLACK_API_URL=api.api_url, **extra)


def _posts(api: FakeSlackApi, channel: str) -> list[Call]:
    return [c for c in api.calls_to("chat.postMessage") if c.params.get("channel") == channel]


def _settled(api: FakeSlackApi, channel: str, quiet_s: float = 1.5) -> list[Call]:
    """The channel's posts once none has arrived for ``quiet_s`` (bounded: 30 s)."""
    seen, since = -1, time.monotonic()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        count = len(_posts(api, channel))
        if count != seen:
            seen, since = count, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            break
        time.sleep(0.1)
    return _posts(api, channel)


@contextmanager
def _served(db: Path, env: dict[str, str], args: tuple[str, ...] = ()) -> Iterator[Serve]:
    server = start_serve(db, env, args=args)
    try:
        yield server
    finally:
        server.stop(timeout_s=20)


def test_a_reply_committed_before_a_kill_arrives_once_after_the_restart(tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    api = FakeSlackApi(BOT_TOKEN, team_id=TEAM)
    channel = "DKILL1"
    with api.serving():
        server = start_serve(db, _env(api))
        sender = SlackSender(server.base, SIGNING_SECRET, team=TEAM)
        try:
            assert sender.message("start", channel=channel, channel_type="im").status_code == 200
            api.wait_for(lambda calls: len(_posts(api, channel)) >= 1)
            before = len(_settled(api, channel, quiet_s=0.5))
            # The answer is committed and acknowledged; its post is on the wire when the
            # process dies, and Slack never gets it.
            api.hold("chat.postMessage")
            assert sender.message("2", channel=channel, channel_type="im",
                                  event_id="EvKill1").status_code == 200
            api.wait_held("chat.postMessage")
            os.kill(server.proc.pid, signal.SIGKILL)
            server.proc.wait(timeout=10)
        finally:
            sender.close()
        api.release(drop=True)
        assert len(_posts(api, channel)) == before  # nothing of the answer's reply arrived
        with _served(db, _env(api)) as again:
            api.wait_for(lambda calls: any(SAVED in c.text() for c in _posts(api, channel)[before:]),
                         timeout=30)
            posts = _settled(api, channel)
            # Slack retries the event it was already told had arrived: nothing more happens.
            sender = SlackSender(again.base, SIGNING_SECRET, team=TEAM)
            try:
                assert sender.message("2", channel=channel, channel_type="im", event_id="EvKill1",
                                      retry=1).status_code == 200
            finally:
                sender.close()
            posts = _settled(api, channel)
    after = [c.text() for c in posts[before:]]
    assert sum(SAVED in text for text in after) == 1, after


BURST = 60
SENDERS = 6


def test_two_workers_post_a_burst_of_answers_in_commit_order(tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    api = FakeSlackApi(BOT_TOKEN, team_id=TEAM)
    channel = "DORDER1"
    with api.serving(), _served(db, _env(api), ("--workers", "2")) as server:
        assert len(procs.worker_pids(server.proc.pid)) == 2
        sender = SlackSender(server.base, SIGNING_SECRET, team=TEAM)
        try:
            for step, text in enumerate(["start", "2", "1", "100016315204", "测试科技有限公司"]):
                assert sender.message(text, channel=channel, channel_type="im",
                                      event_id=f"EvWarm{step}").status_code == 200
                api.wait_for(lambda calls, n=step: len(_posts(api, channel)) >= n + 1)
        finally:
            sender.close()
        start = len(_settled(api, channel, quiet_s=0.5))
        acked: list[int] = []
        lock = threading.Lock()

        def burst(offset: int) -> None:
            one = SlackSender(server.base, SIGNING_SECRET, team=TEAM)
            try:
                for n in range(offset, BURST, SENDERS):
                    response = one.message(f"edit enterprise_name 顺序{n:03d}号科技有限公司",
                                           channel=channel, channel_type="im",
                                           event_id=f"EvBurst{n}")
                    if response.status_code == 200:
                        with lock:
                            acked.append(n)
            finally:
                one.close()

        threads = [threading.Thread(target=burst, args=(i,)) for i in range(SENDERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert sorted(acked) == list(range(BURST))
        api.wait_for(lambda calls: sum("顺序" in c.text() for c in _posts(api, channel)) >= BURST,
                     timeout=90)
        posts = _settled(api, channel)[start:]
    with sqlite3.connect(db) as conn:
        committed = [int(m) for (value,) in conn.execute(
            "SELECT value FROM history WHERE field = 'enterprise_name' ORDER BY id")
            for m in re.findall(r"顺序(\d{3})", str(value))]
    posted = [int(found[0]) for c in posts if (found := re.findall(r"顺序(\d{3})号", c.text()))]
    assert sorted(committed) == list(range(BURST))
    assert posted == committed  # every one once, in the order the turns committed


NOTICES = 6


def test_a_hanging_slack_gets_each_notice_once_while_the_clock_runs_past_any_lease(
        tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    channels = notices.seed(db, NOTICES, 0)
    offset = int(notices.SERVER_NOW.timestamp() - time.time())
    clock_file = tmp_path / "faketime.rc"
    clock_file.write_text(f"{offset:+d}\n")
    _, preload = libfaketime.get_reload_information()
    faked = {**preload, "FAKETIME_TIMESTAMP_FILE": str(clock_file), "FAKETIME_NO_CACHE": "1",
             "DONT_FAKE_MONOTONIC": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
    api = FakeSlackApi(BOT_TOKEN, team_id=TEAM)
    api.hold("chat.postMessage")  # Slack hangs from the start
    with api.serving(), _served(db, _env(api, ESIGNBOT_SCHEDULER_SECONDS="0.2", **faked),
                                ("--workers", "2")):
        api.wait_held("chat.postMessage", timeout=30)
        # Seven minutes pass on the servers' clock in about 14 s, past the five-minute lease
        # the scheduler used to hold claimed notices by, while every post hangs.
        for step in range(1, 85):
            clock_file.write_text(f"{offset + 5 * step:+d}\n")
            time.sleep(0.17)
        api.release()
        api.wait_for(lambda calls: sum(notices.ANNOUNCED in c.text() for c in calls
                                       if c.method == "chat.postMessage") >= NOTICES, timeout=60)
        time.sleep(2.0)  # ten passes of each worker: a second send would show
        calls = list(api.calls)
    counted = notices.count(calls, channels)
    assert (counted["announced_once"], counted.get("announced_missing", 0),
            counted.get("announced_twice_or_more", 0)) == (NOTICES, 0, 0), counted


RESIDENT_ID = "11010519491231002X"
TO_OPERATOR_ID = ["start", "2", "1", "100016315204", "测试科技有限公司", "2", "2",
                  "9144030071526726XG", "张三"]
"""Test environment by email, a verified account, an individual business offline, up to its
operator's resident ID (as tests/bot/hardening/test_personal_data.py walks it)."""


def test_a_reply_waiting_in_the_outbox_holds_no_personal_value_in_plain(tmp_path: Path) -> None:
    """With ``ESIGNBOT_DATA_KEY``, a reply that quotes a resident ID in full (to the person who
    gave it, in their DM) waits in the outbox sealed, as the answer itself is: the file and its
    write-ahead log never hold the number in plain, even while Slack keeps the post waiting."""
    from cryptography.fernet import Fernet

    db = tmp_path / "esignbot.db"
    api = FakeSlackApi(BOT_TOKEN, team_id=TEAM)
    channel = "DSEAL1"
    data_key = Fernet.generate_key().decode()
    with api.serving(), _served(db, _env(api, ESIGNBOT_DATA_KEY=data_key)) as server:
        sender = SlackSender(server.base, SIGNING_SECRET, team=TEAM)
        try:
            for step, text in enumerate(TO_OPERATOR_ID):
                seen = len(_posts(api, channel))
                assert sender.message(text, channel=channel, channel_type="im",
                                      event_id=f"EvSeal{step}").status_code == 200
                api.wait_for(lambda calls, seen=seen: len(_posts(api, channel)) > seen)
            _settled(api, channel, quiet_s=0.5)
            api.hold("chat.postMessage")
            assert sender.message(RESIDENT_ID, channel=channel, channel_type="im",
                                  event_id="EvSealId").status_code == 200
            api.wait_held("chat.postMessage")
            raw = b"".join(path.read_bytes() for path in tmp_path.glob("esignbot.db*"))
            with sqlite3.connect(db) as conn:
                waiting = conn.execute("SELECT replies FROM outbox WHERE state = 'sending'"
                                       ).fetchall()
        finally:
            api.release()
            sender.close()
        # The person who gave it still reads it in full, once Slack takes the post.
        api.wait_for(lambda calls: any(RESIDENT_ID in c.text() for c in _posts(api, channel)))
    assert waiting and all(str(text).startswith("sealed:") for (text,) in waiting)
    assert RESIDENT_ID.encode() not in raw
