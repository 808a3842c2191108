"""``/livez`` and ``/healthz`` of ``esignbot serve`` as a process, and what a person still gets
while the disk is full.

How the disk is made full, unprivileged and the same on every run: ``RLIMIT_FSIZE`` set to 0 on
the running server (``resource.prlimit``, the system call ``prlimit`` and its ``ulimit -f``
use, allowed on one's own process), so every write to a regular file fails with ``EFBIG``
— SQLite's commits and the health check's reservation alike — while reads, sockets and pipes
work; raising it again is the disk emptied. Stricter than a real full disk, which still lets
the write-ahead log overwrite space it already holds (why the health check reserves room first,
``storage/health.py``). The server's output goes to a pipe read by the test, since its log file
could not be written either.
"""

from __future__ import annotations

import resource
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from handlers.catalogue import t
from tests.bot.test_observability import wait_until
from tests.fakes.local_server import clean_env, free_port
from tests.fakes.slack_api import Call, FakeSlackApi
from tests.fakes.slack_events import SlackSender
from tests.fakes.slack_world import BOT_TOKEN, SIGNING_SECRET, TEAM

DM = "D0FULLDISK"
POLLS = 10


@dataclass
class Piped:
    """``serve`` with its output in a pipe, drained into ``lines`` as it comes."""

    proc: subprocess.Popen[str]
    base: str
    lines: list[str] = field(default_factory=list)

    def get(self, path: str) -> httpx.Response:
        return httpx.get(self.base + path, timeout=15)


@contextmanager
def piped_serve(tmp: Path, env: dict[str, str]) -> Iterator[Piped]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--db", str(tmp / "esignbot.db"),
         "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        encoding="utf-8")
    served = Piped(proc, f"http://127.0.0.1:{port}")
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: served.lines.extend(proc.stdout or ()), daemon=True)
    reader.start()
    try:
        def up() -> bool:
            if proc.poll() is not None:
                raise AssertionError("serve ended:\n" + "".join(served.lines))
            try:
                return served.get("/healthz").status_code == 200
            except httpx.TransportError:
                return False
        wait_until(up, timeout_s=60)
        yield served
    finally:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout=10)


def set_file_size_limit(pid: int, limit: int) -> None:
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))


def names(node: Any) -> set[str]:
    """Every key of a JSON document, however deep."""
    if isinstance(node, dict):
        return set(node) | {k for value in node.values() for k in names(value)}
    if isinstance(node, list):
        return {k for value in node for k in names(value)}
    return set()


@contextmanager
def slack_serve(tmp: Path) -> Iterator[tuple[Piped, FakeSlackApi, SlackSender]]:
    with FakeSlackApi(BOT_TOKEN, team_id=TEAM).serving() as api:
        env = clean_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
                        SLACK_API_URL=api.api_url)
        with piped_serve(tmp, env) as served:
            sender = SlackSender(served.base, SIGNING_SECRET, team=TEAM, api_base=api.base)
            try:
                yield served, api, sender
            finally:
                sender.close()


def posts_after(api: FakeSlackApi, count: int, seen: int) -> Callable[[], list[Call] | None]:
    def look() -> list[Call] | None:
        posts = [c for c in api.calls_to("chat.postMessage") if c.params.get("channel") == DM]
        return posts[seen:] if len(posts) >= seen + count else None
    return look


def dm_posts(api: FakeSlackApi) -> int:
    return len([c for c in api.calls_to("chat.postMessage") if c.params.get("channel") == DM])


def settled_posts(api: FakeSlackApi) -> int:
    """The DM's post count once two reads 0.3 s apart agree (at most 100 reads)."""
    seen = -1
    for _ in range(100):
        count = dm_posts(api)
        if count == seen:
            break
        seen = count
        time.sleep(0.3)
    return seen


def test_livez_writes_nothing_and_healthz_shows_no_process_id(tmp_path: Path) -> None:
    with slack_serve(tmp_path) as (served, _api, _sender):
        body = served.get("/healthz").json()
        assert body["ok"] is True and set(body["checks"]) == {
            "database", "scheduler", "delivery", "files"}
        # No process id anywhere: not the worker's, not the file-building child's.
        assert not names(body) & {"worker", "pid"}, body
        with sqlite3.connect(tmp_path / "esignbot.db") as conn:
            conn.execute("DELETE FROM heartbeat")
        for _ in range(POLLS):
            response = served.get("/livez")
            assert response.status_code == 200 and response.json() == {"ok": True}
        with sqlite3.connect(tmp_path / "esignbot.db") as conn:  # no probe ran: nothing written
            assert conn.execute("SELECT count(*) FROM heartbeat").fetchone() == (0,)
        assert served.get("/healthz").status_code == 200  # the deep check does write
        with sqlite3.connect(tmp_path / "esignbot.db") as conn:
            assert conn.execute("SELECT count(*) FROM heartbeat").fetchone() == (1,)
    log = "".join(served.lines)
    assert "file-building process started (pid " in log  # the child's id went to the log


def test_a_full_disk_is_503_on_every_poll_while_status_and_help_still_answer(
        tmp_path: Path) -> None:
    with slack_serve(tmp_path) as (served, api, sender):
        assert sender.command("start", channel=DM).status_code == 200
        wait_until(posts_after(api, 1, 0))
        settled_posts(api)
        assert served.get("/healthz").status_code == 200
        apology = t("err.internal", "zh")

        set_file_size_limit(served.proc.pid, 0)  # the disk is full
        try:
            polls = [served.get("/healthz") for _ in range(POLLS)]
            assert [p.status_code for p in polls] == [503] * POLLS

            # What a person asks to see is answered; what they answer is refused, honestly.
            seen = settled_posts(api)
            assert sender.command("status", channel=DM).status_code == 200
            (status,) = wait_until(posts_after(api, 1, seen))
            assert "#1" in status.text() and apology not in status.text(), status.text()
            assert sender.command("help", channel=DM).status_code == 200
            (help_,) = wait_until(posts_after(api, 1, seen + 1))
            assert help_.text() and apology not in help_.text() and help_.text() != status.text()
            assert sender.message("1", channel=DM, channel_type="im").status_code == 200
            (refused,) = wait_until(posts_after(api, 1, seen + 2))
            assert apology in refused.text()
            assert [p.status_code for p in (served.get("/healthz") for _ in range(3))] == [503] * 3
            database = polls[-1].json()["checks"]["database"]
            assert database["ok"] is False and "no room for 1 MiB" in database["error"], database
            lives = [served.get("/livez").status_code for _ in range(POLLS)]
            assert lives == [200] * POLLS  # alive: a restart would not empty the disk
        finally:
            set_file_size_limit(served.proc.pid, resource.RLIM_INFINITY)  # room again

        wait_until(lambda: served.get("/healthz").status_code == 200)
        seen = settled_posts(api)
        assert sender.message("1", channel=DM, channel_type="im").status_code == 200
        (saved,) = wait_until(posts_after(api, 1, seen))
        assert apology not in saved.text()
    log = "".join(served.lines)
    assert log.count("answered without saving: the database cannot be written") == 2, log
