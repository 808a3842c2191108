"""``/metrics`` of ``esignbot serve --workers 2``, scraped the way Prometheus does: each scrape a
new connection, taken by whichever worker accepts it. What must hold: after a burst of turns
spread over both workers, every scrape reads every turn (never one worker's share: a count
that goes down is a counter reset to Prometheus), each worker is named in the log lines it
writes and by one series of ``esignbot_worker_start_time_seconds``, and the directory the
counts are shared through belongs to this run: made at start (one left by a killed run
removed), readable by its user only, gone when ``serve`` stops."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import httpx

from bench import procs
from tests.bot.test_observability import samples, wait_until
from tests.fakes.local_server import clean_env, start_serve
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_events import SlackSender
from tests.fakes.slack_world import BOT_TOKEN, SIGNING_SECRET, TEAM

MIN_TURNS = 20
MAX_TURNS = 120
EACH_AT_LEAST = 3
SCRAPES = 10
MAX_SCRAPES = 60
CLOSE = {"Connection": "close"}  # a new connection each time: the kernel picks the worker


def entries(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()
            if line.startswith("{")]


def served_by(log: Path, path: str) -> dict[int, int]:
    """Requests to ``path`` by the worker that answered them, from the JSON access lines."""
    counts: dict[int, int] = {}
    for entry in entries(log):
        if entry["logger"] == "esignbot.access" and entry.get("path") == path:
            worker = entry.get("worker", 0)
            counts[worker] = counts.get(worker, 0) + 1
    return counts


def turns(page: dict[tuple[str, frozenset[tuple[str, str]]], float]) -> float:
    return sum(value for (name, _), value in page.items() if name == "esignbot_turns_total")


def test_every_scrape_of_two_workers_counts_every_turn(tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    stale = temp / "esignbot-metrics-999999999-left"  # a run killed before it could clean up
    stale.mkdir()
    (stale / "counter_1.db").write_bytes(b"\0" * 8)
    db = tmp_path / "esignbot.db"
    with FakeSlackApi(BOT_TOKEN, team_id=TEAM).serving() as api:
        env = clean_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                        SLACK_API_URL=api.api_url, ESIGNBOT_LOG_FORMAT="json", TMPDIR=str(temp))
        serve = start_serve(db, env, args=["--workers", "2"])
        sender = SlackSender(serve.base, SIGNING_SECRET, team=TEAM, api_base=api.base)
        server = procs.Server(serve.proc, serve.base, serve.log)
        server.workers = 2
        try:
            workers = procs.wait_for_workers(server)
            assert workers == procs.worker_pids(serve.proc.pid) and len(workers) == 2

            # A burst of turns, until each worker has taken its share (bounded in count).
            sent = 0
            while sent < MAX_TURNS:
                body = sender.command_body("help", channel=f"D{sent % 4}")
                response = sender.post(body, "application/x-www-form-urlencoded", headers=CLOSE)
                assert response.status_code == 200, response.text
                sent += 1
                taken = served_by(serve.log, "/slack/events")
                if sent >= MIN_TURNS and len(taken) == 2 and min(taken.values()) >= EACH_AT_LEAST:
                    break

            # Consecutive scrapes, until each worker has answered some (bounded in count).
            reads: list[float] = []
            pages = []
            for _ in range(MAX_SCRAPES):
                response = httpx.get(serve.base + "/metrics", headers=CLOSE, timeout=15)
                assert response.status_code == 200
                pages.append(samples(response.text))
                reads.append(turns(pages[-1]))
                answered = served_by(serve.log, "/metrics")
                if len(reads) >= SCRAPES and len(answered) == 2 and min(answered.values()) >= 2:
                    break
            assert reads == [float(sent)] * len(reads), reads  # never down, each the whole
            assert set(served_by(serve.log, "/slack/events")) == set(workers)
            assert set(served_by(serve.log, "/metrics")) == set(workers)
            (shared,) = temp.glob("esignbot-metrics-*")  # the stale one is gone
            assert shared.name.startswith(f"esignbot-metrics-{serve.proc.pid}-")
            assert stat.S_IMODE(shared.stat().st_mode) == 0o700
            ok = ("esignbot_turns_total", frozenset({("platform", "slack"), ("status", "ok")}))
            assert pages[-1][ok] == sent  # every "help" went well
            started = {labels for (name, labels) in pages[-1] if
                       name == "esignbot_worker_start_time_seconds"}
            assert {dict(labels)["worker"] for labels in started} == {str(w) for w in workers}
            # The acknowledgements are timed after the last byte: wait for the last ones.
            wait_until(lambda: samples(httpx.get(serve.base + "/metrics", timeout=15).text).get(
                ("esignbot_ack_seconds_count", frozenset({("platform", "slack")}))) == sent)
        finally:
            sender.close()
            output = serve.stop()
    assert serve.proc.returncode == 0, output
    assert "Traceback" not in output, output
    assert not list(temp.iterdir()), list(temp.iterdir())  # this run's and the stale one: gone
    lines = entries(serve.log)
    assert lines and all(isinstance(e["worker"], int) for e in lines)
    assert {e["worker"] for e in lines} >= set(workers) | {serve.proc.pid}
