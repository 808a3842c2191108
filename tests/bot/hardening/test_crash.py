"""Crash safety: ``esignbot serve`` (a real process) is killed with SIGKILL while four Slack
clients keep answering, then started again on the same file.

What must hold: every answer Slack was told had arrived (HTTP 200) is in the database, because a
turn commits before it acknowledges; no turn is half-applied (each field's current answer is the
value of its last history row, and the case's position agrees with its answers); the file passes
``PRAGMA integrity_check``; the restarted server carries on. Bounded: it stops by itself.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from handlers import flow
from tests.fakes.local_server import Serve, clean_env, start_serve
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_events import SlackSender
from tests.fakes.slack_world import BOT_TOKEN, SIGNING_SECRET, TEAM

CLIENTS = 4
KILL_AFTER_ACKS = 48
FIRST_ANSWERS = ["start", "2", "1", "100016315204", "测试科技有限公司"]  # production


@dataclass
class Client:
    number: int
    acked: list[tuple[str, str]] = field(default_factory=list)
    """(event id, text) of every message answered with HTTP 200."""

    @property
    def channel(self) -> str:
        return f"DCRASH{self.number}"

    def text(self, n: int) -> str:
        if n < len(FIRST_ANSWERS):
            return FIRST_ANSWERS[n]
        return f"edit enterprise_name 测试{self.number}号科技{n}有限公司"


@contextmanager
def serving(db: Path, api: FakeSlackApi, log: Path) -> Iterator[Serve]:
    """``serve`` for Slack; not :func:`local_server.serving`: this test kills it on purpose."""
    env = clean_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                    SLACK_API_URL=api.api_url)
    server = start_serve(db, env, log=log)
    try:
        yield server
    finally:
        server.stop(timeout_s=20)


def drive(client: Client, base: str, stop: threading.Event) -> None:
    sender = SlackSender(base, SIGNING_SECRET, team=TEAM)
    sender.http.timeout = httpx.Timeout(10)
    try:
        for n in range(1000):
            if stop.is_set():
                return
            event_id = f"EvCrash{client.number}x{n}"
            text = client.text(n)
            try:
                response = sender.message(text, channel=client.channel, user=f"U{client.number}",
                                          channel_type="im", event_id=event_id)
            except httpx.HTTPError:
                return  # the server is gone
            if response.status_code == 200:
                client.acked.append((event_id, text))
    finally:
        sender.close()


def check_consistent(db: Path) -> None:
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        for case_id, focus, current in conn.execute(
                "SELECT id, focus_step, current_step FROM cases").fetchall():
            answers = {f: json.loads(v) for f, v in conn.execute(
                "SELECT field, value FROM answers WHERE case_id = ?", [case_id])}
            last: dict[str, object] = {}
            for f, v in conn.execute("SELECT field, value FROM history WHERE case_id = ? AND "
                                     "field IS NOT NULL ORDER BY id", [case_id]):
                last[f] = None if v is None else json.loads(v)
            assert {f: v for f, v in last.items() if v is not None} == answers, case_id
            if focus is None:
                expected = flow.first_incomplete(answers)
                assert current == (expected.name if expected else None), case_id


def test_a_server_killed_under_load_loses_no_acknowledged_answer(tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    clients = [Client(i) for i in range(1, CLIENTS + 1)]
    with FakeSlackApi(BOT_TOKEN, team_id=TEAM).serving() as api:
        api.users.update({f"U{c.number}": f"Person {c.number}" for c in clients})
        with serving(db, api, tmp_path / "serve.log") as server:
            stop = threading.Event()
            threads = [threading.Thread(target=drive, args=(c, server.base, stop), daemon=True)
                       for c in clients]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + 90
            while sum(len(c.acked) for c in clients) < KILL_AFTER_ACKS:
                assert time.monotonic() < deadline, "the load never got going"
                assert server.proc.poll() is None, "the server died by itself"
                time.sleep(0.02)
            os.kill(server.proc.pid, signal.SIGKILL)  # mid-run: requests are in flight
            server.proc.wait(timeout=20)
            stop.set()
            for thread in threads:
                thread.join(30)
                assert not thread.is_alive()

        acked = [(c, event_id, text) for c in clients for event_id, text in c.acked]
        assert len(acked) >= KILL_AFTER_ACKS
        check_consistent(db)
        with sqlite3.connect(db) as conn:
            events = {row[0] for row in conn.execute("SELECT event_id FROM events")}
            for client, event_id, text in acked:
                assert f"slack:event:{event_id}" in events, (event_id, text)
                case_id = conn.execute("SELECT id FROM cases WHERE conversation = ?",
                                       [f"slack:{TEAM}:{client.channel}"]).fetchone()[0]
                if text.startswith("edit enterprise_name "):
                    saved = {json.loads(v) for (v,) in conn.execute(
                        "SELECT value FROM history WHERE case_id = ? AND field = "
                        "'enterprise_name' AND value IS NOT NULL", [case_id])}
                    assert text.removeprefix("edit enterprise_name ") in saved, text

        # Started again on the same file, it carries on where each case was.
        with serving(db, api, tmp_path / "serve-again.log") as server:
            sender = SlackSender(server.base, SIGNING_SECRET, team=TEAM)
            try:
                for client in clients:
                    response = sender.message("edit uin 100016315205", channel=client.channel,
                                              user=f"U{client.number}", channel_type="im",
                                              event_id=f"EvAfter{client.number}")
                    assert response.status_code == 200
            finally:
                sender.close()
        check_consistent(db)
        with sqlite3.connect(db) as conn:
            uins = conn.execute("SELECT value FROM answers WHERE field = 'uin'").fetchall()
            assert sorted(uins) == [('"100016315205"',)] * CLIENTS
