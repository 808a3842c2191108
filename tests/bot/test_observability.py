"""What an operator sees of a running ``esignbot serve``: its log lines (time, level, text or
JSON), one access line per request (never the query string: WeCom signs there), ``/healthz``
going 503 and naming the part that failed, ``/metrics``, and a message the scheduler gives up
on. All through the front door: ``serve`` as a process, the fake WeCom and Slack APIs, a real
SQLite file changed under it the way an operator's machine changes it."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.bot.test_scheduler_front_doors import TO_TRANSFER_WAIT, outbox
from tests.bot.wecom.test_callback import AES_KEY, AGENT, CORP, SECRET, TOKEN, running, wecom_env
from tests.conftest import Chat
from tests.fakes.local_server import clean_env, free_port, serving, start_serve
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.wecom_api import FakeWeComApi
from tests.fakes.wecom_callbacks import WeComCallbacks

STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d"
TEXT_LINE = re.compile(rf"^{STAMP} (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: ")


def health(base: str) -> httpx.Response:
    return httpx.get(base + "/healthz", timeout=10)


def wait_until(what: Callable[[], Any], timeout_s: float = 20.0) -> Any:
    """``what()`` once it returns something true, polled every 0.1 s for at most ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = what()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s} s (last: {found!r})")
        time.sleep(0.1)


def unhealthy(base: str, check: str) -> Callable[[], dict[str, Any] | None]:
    def look() -> dict[str, Any] | None:
        response = health(base)
        body = response.json()
        return body if response.status_code == 503 and not body["checks"][check]["ok"] else None
    return look


def healthy(base: str) -> Callable[[], dict[str, Any] | None]:
    def look() -> dict[str, Any] | None:
        response = health(base)
        return response.json() if response.status_code == 200 else None
    return look


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a Prometheus text page, by name and labels."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def sample(page: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str,
           **labels: str) -> float:
    return page.get((name, frozenset(labels.items())), 0.0)


# -- log lines ------------------------------------------------------------------------------
def test_every_line_has_a_time_and_a_level_and_each_request_one_access_line(
        tmp_path: Path) -> None:
    with running(tmp_path) as served:
        base = served.wecom.url.removesuffix("/wecom/callback")
        served.say("alice", "start", "1", "2")
        assert served.wecom.verify_url("echo-123").text == "echo-123"
        assert httpx.get(base + "/healthz?probe=from-the-test", timeout=10).status_code == 200
        assert httpx.get(base + "/nowhere?x=1", timeout=10).status_code == 404
        served.settle()
    log = served.log.read_text(encoding="utf-8")
    lines = [line for line in log.splitlines() if line.strip()]
    assert lines and all(TEXT_LINE.match(line) for line in lines), log
    access = [line for line in lines if " INFO esignbot.access: " in line]
    wecom = [line for line in access if "/wecom/callback" in line]
    # start, 1, 2, settle's help: four POSTs; the URL verification: one GET. One line each.
    assert len([line for line in wecom if ": POST /wecom/callback 200 " in line]) == 4, wecom
    assert len([line for line in wecom if ": GET /wecom/callback 200 " in line]) == 1, wecom
    assert len(wecom) == 5
    assert re.search(r": GET /healthz 200 \d+\.\d ms 127\.0\.0\.1$", "\n".join(access), re.M)
    assert any(": GET /nowhere 404 " in line for line in access)
    # The query string is never written: WeCom's signature, nonce and echostr live there.
    for secret_part in ("msg_signature", "nonce", "echostr", "?", "probe=from-the-test"):
        assert secret_part not in "\n".join(access), secret_part
    assert "Uvicorn running on" in log  # uvicorn's own lines, in the same format
    assert "Traceback" not in log


def test_json_lines_parse_one_by_one_and_carry_the_request(tmp_path: Path) -> None:
    with running(tmp_path, ESIGNBOT_LOG_FORMAT="json") as served:
        served.say("alice", "start")
        served.settle()
    entries = [json.loads(line) for line in served.log.read_text(encoding="utf-8").splitlines()
               if line.strip()]
    assert entries and all({"time", "level", "logger", "message"} <= e.keys() for e in entries)
    assert all(re.fullmatch(STAMP, e["time"]) for e in entries)
    posts = [e for e in entries if e["logger"] == "esignbot.access" and e["path"] == "/wecom/callback"]
    assert len(posts) == 2 and all(e["method"] == "POST" and e["status"] == 200 for e in posts)
    assert all(e["client"] == "127.0.0.1" and e["duration_ms"] > 0 for e in posts)
    assert any(e["logger"] == "uvicorn.error" and "Uvicorn running on" in e["message"]
               for e in entries)


def test_a_log_level_that_does_not_exist_stops_serve_with_one_sentence(tmp_path: Path) -> None:
    with FakeWeComApi(CORP, SECRET) as api:
        env = wecom_env(api.url, ESIGNBOT_LOG_LEVEL="LOUD")
        proc = subprocess.run(
            [sys.executable, "-m", "bot.cli", "serve", "--db", str(tmp_path / "e.db"), "--port",
             str(free_port())], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("ESIGNBOT_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, "
                                   "CRITICAL, not 'LOUD'.")


def test_the_level_decides_which_lines_are_written(tmp_path: Path) -> None:
    """A forged URL verification is refused with a WARNING: written at the default level,
    left out at ERROR (with the routine INFO lines)."""
    for level, folder in ((None, "default"), ("error", "quiet")):
        (tmp_path / folder).mkdir()
        with running(tmp_path / folder, **({"ESIGNBOT_LOG_LEVEL": level} if level else {})) as served:
            assert served.wecom.verify_url("echo", token="forged").status_code >= 400
        log = served.log.read_text(encoding="utf-8")
        refused = re.search(rf"^{STAMP} WARNING esignbot.wecom: WeCom URL verification refused",
                            log, re.M)
        if level is None:
            assert refused and "INFO esignbot.access: GET /wecom/callback 4" in log
        else:
            assert not refused and "esignbot.access" not in log and "Uvicorn running" not in log


# -- /healthz ---------------------------------------------------------------------------------
def test_healthz_names_each_part_it_checked(tmp_path: Path) -> None:
    with running(tmp_path) as served:
        base = served.wecom.url.removesuffix("/wecom/callback")
        body = health(base).json()
    assert body["ok"] is True and body["platforms"] == ["wecom"]
    assert set(body["checks"]) == {"database", "scheduler", "delivery", "files"}  # no mailbox
    assert all(check["ok"] for check in body["checks"].values())
    with sqlite3.connect(served.db) as conn:
        assert conn.execute("SELECT count(*) FROM heartbeat").fetchone() == (1,)


@contextmanager
def immutable(*paths: Path) -> Iterator[None]:
    """The files made immutable (``chattr +i``): as root, the one way short of remounting that
    stops writes, to files already open too (chmod does not stop root). Not the ``-shm`` file:
    SQLite maps it into memory, and a write to an immutable mapped page kills the process with
    SIGBUS, which is not the failure under test."""
    if shutil.which("chattr") is None:
        pytest.skip("chattr is not installed")
    done = subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"chattr +i is not allowed here: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *map(str, paths)], check=True)


def test_healthz_is_503_naming_the_database_while_the_file_cannot_be_written(
        tmp_path: Path) -> None:
    with running(tmp_path) as served:
        base = served.wecom.url.removesuffix("/wecom/callback")
        served.say("alice", "start")
        served.settle()
        assert health(base).status_code == 200
        wal = served.db.with_name(served.db.name + "-wal")
        with immutable(served.db, wal):
            body = wait_until(unhealthy(base, "database"))
            assert body["ok"] is False
            # SQLite's words: a connection opened since says read-only, an older one I/O error.
            error = body["checks"]["database"]["error"]
            assert error.startswith("OperationalError: ")
            assert "readonly database" in error or "disk I/O error" in error
            assert body["checks"]["scheduler"]["ok"] and body["checks"]["files"]["ok"]
        body = wait_until(healthy(base))  # writable again: healthy again, and turns are kept
        served.say("alice", "1")
        served.settle()
        assert served.answers()["environment"][0] == "test"
    log = served.log.read_text(encoding="utf-8")
    assert "WARNING esignbot.health: health check database failed: OperationalError" in log


def test_healthz_is_503_naming_the_file_builder_after_its_child_is_killed(
        tmp_path: Path) -> None:
    with running(tmp_path) as served:
        base = served.wecom.url.removesuffix("/wecom/callback")
        # The child's id is in the log (/healthz shows none).
        child = wait_until(lambda: builder_pids(served.log))[-1]
        assert child != served_pid(served)
        os.kill(child, signal.SIGKILL)
        body = wait_until(unhealthy(base, "files"))
        assert "the file-building process died" in body["checks"]["files"]["error"]
        assert body["checks"]["database"]["ok"] and body["checks"]["scheduler"]["ok"]
        body = wait_until(healthy(base), timeout_s=60)  # replaced in the background
        assert body["checks"]["files"] == {"ok": True}
        assert wait_until(lambda: [pid for pid in builder_pids(served.log) if pid != child])


def builder_pids(log: Path) -> list[int]:
    """The file-building children started so far, as ``serve`` logged them."""
    return [int(pid) for pid in re.findall(r"file-building process started \(pid (\d+)\)",
                                           log.read_text(encoding="utf-8", errors="replace"))]


def served_pid(served: Any) -> int:
    """The server's own process id (from the heartbeat row it wrote)."""
    with sqlite3.connect(served.db) as conn:
        (owner,) = conn.execute("SELECT beat_by FROM heartbeat").fetchone()
    return int(str(owner).rsplit(":", 1)[1])


def test_healthz_is_503_naming_the_scheduler_while_its_passes_keep_failing(
        tmp_path: Path) -> None:
    """A wait whose due date cannot be read (a hand edit of the file gone wrong) makes every
    pass of the scheduler fail; until it is put right no reminder or result goes out, and the
    health check says so."""
    db = tmp_path / "esignbot.db"
    with FakeWeComApi(CORP, SECRET) as api:
        server = start_serve(db, wecom_env(api.url, ESIGNBOT_SCHEDULER_SECONDS="0.2"))
        try:
            callbacks = WeComCallbacks(server.base, token=TOKEN, aes_key=AES_KEY, corp_id=CORP,
                                       agent_id=AGENT)
            for text in ["start", *TO_TRANSFER_WAIT]:
                callbacks.text("alice", text)
            api.wait_for(lambda a: any("已开始跟踪" in t for t in a.texts_to("alice")))
            callbacks.close()
            with sqlite3.connect(db) as conn:
                (due,) = conn.execute("SELECT due_on FROM waits").fetchone()
                conn.execute("UPDATE waits SET due_on = 'next week'")
            body = wait_until(unhealthy(server.base, "scheduler"))
            assert "passes failed (ValueError)" in body["checks"]["scheduler"]["error"]
            assert body["checks"]["database"]["ok"] and body["checks"]["files"]["ok"]
            with sqlite3.connect(db) as conn:
                conn.execute("UPDATE waits SET due_on = ?", [due])
            wait_until(healthy(server.base))
        finally:
            log = server.stop()
    assert "ERROR esignbot.scheduler: scheduler pass failed" in log


# -- /metrics ---------------------------------------------------------------------------------
def test_metrics_count_the_turns_and_acknowledgements_and_read_the_backlog(
        tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    console = Chat(db, "console:elsewhere")  # a result for a terminal: serve never delivers it
    for line in ["start", *TO_TRANSFER_WAIT, "review transfer approved"]:
        console.send(line)
    console.store.close()
    unreachable = free_port()  # nothing listens there: every look at the mailbox fails
    with FakeWeComApi(CORP, SECRET) as api:
        env = wecom_env(api.url, ESIGNBOT_IMAP_HOST="127.0.0.1", ESIGNBOT_IMAP_PORT=str(unreachable),
                        ESIGNBOT_IMAP_SECURITY="none", ESIGNBOT_IMAP_USER="bot",
                        ESIGNBOT_IMAP_PASSWORD="imap-password-for-tests")
        with serving(db, env) as server:
            callbacks = WeComCallbacks(server.base, token=TOKEN, aes_key=AES_KEY, corp_id=CORP,
                                       agent_id=AGENT)
            try:
                for text in ["start", *TO_TRANSFER_WAIT, "not a number"]:
                    callbacks.text("alice", text)
                again = callbacks.seal(callbacks.text_xml("alice", "status", msg_id=424242))
                assert callbacks.deliver(again).status_code == 200
                assert callbacks.deliver(again).status_code == 200  # WeCom's retry
                assert callbacks.verify_url("echo").status_code == 200
                # Replies leave through the outbox after the acknowledgement: scraped once
                # WeCom has them all, only the terminal's result is left.
                def settled() -> dict[tuple[str, frozenset[tuple[str, str]]], float] | None:
                    page = samples(httpx.get(server.base + "/metrics", timeout=10).text)
                    return page if sample(page, "esignbot_outbox_backlog") == 1 else None
                page = wait_until(settled)
                checks = health(server.base).json()["checks"]
            finally:
                callbacks.close()
    # Each callback is answered once its turn is committed, so the counts are complete here.
    # start, 2, 2, 2 applied; "not a number" refused; status applied once, then its retry.
    assert sample(page, "esignbot_turns_total", platform="wecom", status="ok") == 5
    assert sample(page, "esignbot_turns_total", platform="wecom", status="refused") == 1
    assert sample(page, "esignbot_turns_total", platform="wecom", status="duplicate") == 1
    assert sample(page, "esignbot_turns_total", platform="wecom", status="failed") == 0
    # Every request to the callback was acknowledged and timed: 7 POSTs and the GET.
    assert sample(page, "esignbot_ack_seconds_count", platform="wecom") == 8
    assert sample(page, "esignbot_ack_seconds_bucket", platform="wecom", le="+Inf") == 8
    assert 0 < sample(page, "esignbot_ack_seconds_sum", platform="wecom") < 8 * 5
    assert sample(page, "esignbot_outbox_backlog") == 1  # the terminal's result, still queued
    assert sample(page, "esignbot_jobs_unfinished") == 0
    assert sample(page, "esignbot_waits_open", kind="transfer") == 1  # the WeCom case's
    assert sample(page, "esignbot_waits_due", kind="transfer") == 0
    assert sample(page, "esignbot_outbox_given_up_total") == 0
    assert sample(page, "esignbot_mailbox_faults_total", kind="unreachable") >= 1
    assert checks["mail"] == {"ok": True, "mailbox_fault": "unreachable"}


# -- giving up on a message -------------------------------------------------------------------
ADMIN = "U0ADMIN01"


def test_a_message_given_up_on_is_logged_once_and_told_to_the_admins_once(tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    admin = Chat(db, "slack:T1:C1")
    admin.send("start", user=ADMIN)
    admin.store.close()
    team = Chat(db, "slack:T1:C42")
    for line in ["start", *TO_TRANSFER_WAIT]:
        team.send(line, user="U0123ABCD")
    team.send("review transfer approved", user=ADMIN)
    team.store.close()
    # As if eleven attempts had failed already (the backoff between them is hours of real time).
    with sqlite3.connect(db) as conn:
        ((message_id, key),) = conn.execute(
            "SELECT id, dedupe_key FROM outbox WHERE purpose != 'reply'").fetchall()
        conn.execute("UPDATE outbox SET attempts = 11 WHERE id = ?", [message_id])
    token = "xoxb-esignbot-observability-test"
    with FakeSlackApi(token).serving() as slack:
        slack.failures["chat.postMessage"] = "internal_error"  # the last attempt fails
        env = clean_env(SLACK_BOT_TOKEN=token, SLACK_SIGNING_SECRET="signing-secret-for-tests",
                        SLACK_API_URL=slack.api_url, ESIGNBOT_SCHEDULER_SECONDS="0.2",
                        ESIGNBOT_ADMINS=f"slack:T1:{ADMIN}")
        with serving(db, env) as server:
            slack.wait_for(lambda calls: any("slack:T1:C42" in c.text() for c in calls
                                             if c.method == "chat.postMessage"))
            time.sleep(1.0)  # five more passes: nothing is told twice
            page = samples(httpx.get(server.base + "/metrics", timeout=10).text)
        log = server.output()
        notices = [c for c in slack.calls_to("chat.postMessage") if "slack:T1:C42" in c.text()]
    assert len(notices) == 1 and notices[0].params["channel"] == "C1"
    assert ADMIN in notices[0].text() and f"消息 #{message_id}）" in notices[0].text()
    assert re.search(r"尝试 12 次仍未送达（chat_postMessage internal_error）", notices[0].text())  # the admin case is in Chinese
    errors = [line for line in log.splitlines() if " ERROR " in line]
    assert len(errors) == 1, log
    assert re.search(rf"ERROR esignbot.delivery: gave up on message {message_id} for "
                     r"slack:T1:C42 \(case 2\) after 12 attempts \(chat_postMessage internal_error\);"
                     r" admins told "
                     r"in \['slack:T1:C1'\]", errors[0])
    assert "对公打款" not in log  # not a word of what the message said
    assert sample(page, "esignbot_outbox_given_up_total") == 1
    with sqlite3.connect(db) as conn:
        states = dict(conn.execute("SELECT dedupe_key, state FROM outbox").fetchall())
    assert states[key] == "failed"
    assert [k for k in states if k.startswith("undelivered:")] == [f"undelivered:{message_id}:slack:T1:C1"]
    assert states[f"undelivered:{message_id}:slack:T1:C1"] == "sent"
    assert ("slack:T1:C42", "failed") in outbox(db)
