"""``esignbot serve --workers 2`` through its front door: two processes on one port and one
SQLite file, driven by signed Slack requests from several conversations at once, with the
scheduler of each worker delivering the same outbox.

What must hold: every acknowledged answer is stored exactly once, each seeded announcement and
reminder reaches Slack exactly once, both workers answer on the port, and SIGTERM to ``serve``
stops every worker. The server's clock is set to a Monday morning in Shanghai
(``tests.fakes.process_clock``) so the overdue waits are reminded whenever the test runs."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench import notices, procs
from bench.slack_load import (
    BOT_TOKEN,
    ROUTE,
    SIGNING_SECRET,
    BenchSlackApi,
    SlackDriver,
    Tally,
    audit,
    closed_loop,
)
from tests.fakes.local_server import clean_env, start_serve
from tests.fakes.process_clock import clock_at

USERS = 4
ANNOUNCEMENTS = 3
REMINDERS = 3


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_until(condition: Callable[[], bool], timeout_s: float = 60) -> bool:
    deadline = time.monotonic() + timeout_s
    for _ in range(int(timeout_s * 10)):
        if condition() or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    return condition()


def test_two_workers_store_every_answer_once_and_send_each_notice_once(tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    channels = notices.seed(db, ANNOUNCEMENTS, REMINDERS)
    clock = clock_at(notices.SERVER_NOW)
    api = BenchSlackApi(in_thread=True)
    with api.serving():
        env = clean_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                        SLACK_API_URL=api.api_url, ESIGNBOT_SCHEDULER_SECONDS="0.2", **clock.env)
        serve = start_serve(db, env, args=["--workers", "2"])
        server = procs.Server(serve.proc, serve.base, serve.log)
        server.workers = 2
        try:
            workers = procs.worker_pids(serve.proc.pid)
            assert len(workers) == 2, workers
            # Both workers started, each naming itself in its log lines (bot/logs.py).
            assert procs.wait_for_workers(server) == workers

            async def drive() -> Tally:
                async with SlackDriver(serve.base, api, waits_for_root=True, tag="w2",
                                       clock_offset_s=clock.offset_s) as driver:
                    return await closed_loop(driver, USERS, 90, cycles=1)

            tally = asyncio.run(drive())
            assert wait_until(lambda: notices.outbox_settled(db, ANNOUNCEMENTS + REMINDERS))
            time.sleep(1.0)  # five more passes of each scheduler: a second send would show
            others = [pid for worker in [serve.proc.pid, *workers] for pid in procs.children(worker)]
            response = httpx.get(serve.base + "/healthz", timeout=5)
            assert response.json()["ok"] is True and "worker" not in response.json()
        finally:
            output = serve.stop()
    assert serve.proc.returncode == 0, output
    assert not [pid for pid in [*workers, *others] if alive(pid)]  # SIGTERM stopped them all
    assert "Traceback" not in output, output
    assert output.count("Application shutdown complete") == 2  # each worker drained its lifespan

    assert tally.errors == {}, tally.errors
    completed = sum(c.completed for c in tally.conversations)
    assert completed == USERS
    result = audit(db, tally.conversations)
    assert result["answers_acknowledged"] == USERS * (len(ROUTE) - 1)
    assert result["found_once"] == result["answers_acknowledged"], result
    assert result["lost"] == result["duplicated"] == result["cases_started_twice"] == 0
    assert api.error_posts() == 0

    assert notices.count(list(api.calls), channels) == {
        "announced_once": ANNOUNCEMENTS, "announced_missing": 0, "announced_twice_or_more": 0,
        "reminded_once": REMINDERS, "reminded_missing": 0, "reminded_twice_or_more": 0}
    with sqlite3.connect(db) as conn:
        claimed_by = {row[0].split(":")[1] for row in conn.execute("SELECT claimed_by FROM outbox")
                      if row[0]}
        reminded = conn.execute("SELECT count(*) FROM waits WHERE last_reminded_on = '2025-10-13'").fetchone()
    assert claimed_by <= {str(pid) for pid in workers}
    assert reminded == (REMINDERS,)
