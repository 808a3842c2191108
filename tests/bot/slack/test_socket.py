"""Socket Mode through its front door: ``esignbot slack --socket`` as a real process, connected to
a fake Socket Mode WebSocket and the fake Web API on 127.0.0.1.

It acknowledges a slash command envelope and posts the first question, delivers the scheduler's
queued review result like ``serve`` does (it did not run the scheduler before), and stops
cleanly on SIGTERM, as a service manager stops it.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from handlers.reviews.workdays import SHANGHAI
from tests.conftest import Chat
from tests.fakes.local_server import clean_env
from tests.fakes.slack_api import Call, FakeSlackApi
from tests.fakes.slack_socket import FakeSocketMode

BOT_TOKEN = "xoxb-1111-2222-testtoken"
APP_TOKEN = "xapp-1-A0FAKE-3333-testtoken"
TEAM = "T1"


def command_payload(text: str, channel: str, api: FakeSlackApi) -> dict[str, Any]:
    """A slash command as Socket Mode carries it: the HTTP form's fields, as JSON."""
    return {"token": "deprecated", "team_id": TEAM, "team_domain": "fake", "channel_id": channel,
            "channel_name": "onboarding", "user_id": "U1", "user_name": "alice",
            "command": "/esign", "text": text, "api_app_id": "A0FAKE",
            "is_enterprise_install": "false",
            "response_url": f"{api.base}/response/{uuid.uuid4().hex}",
            "trigger_id": f"trigger.{uuid.uuid4().hex}"}


def posts_to(calls: list[Call], channel: str) -> list[Call]:
    return [c for c in calls if c.method == "chat.postMessage" and c.params.get("channel") == channel]


def outbox(db: Path) -> list[tuple[str, str, str]]:
    """The scheduler's notices in the outbox (the terminal's replies are there too, as sent)."""
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT purpose, conversation, state FROM outbox"
                            " WHERE purpose != 'reply' ORDER BY id").fetchall()


@pytest.fixture
def socket_mode(tmp_path: Path) -> Iterator[tuple[FakeSlackApi, FakeSocketMode, subprocess.Popen[str], Path]]:
    db = tmp_path / "esignbot.db"
    # A case whose transfer review was recorded as approved: its result notice is queued.
    chat = Chat(db, f"slack:{TEAM}:CRESULT")
    chat.clock.now = datetime(2025, 9, 30, 10, tzinfo=SHANGHAI)
    for line in ("start", "2", "2", "2", "review transfer approved"):  # production
        chat.send(line)
    assert outbox(db) == [("result", f"slack:{TEAM}:CRESULT", "pending")]
    with FakeSlackApi(BOT_TOKEN, team_id=TEAM).serving() as api, FakeSocketMode().serving() as socket:
        api.app_token, api.socket_url = APP_TOKEN, socket.url
        env = clean_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN,
                        SLACK_API_URL=api.api_url, ESIGNBOT_SCHEDULER_SECONDS="0.2")
        proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "slack", "--socket", "--db", str(db)],
                                cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, encoding="utf-8")
        try:
            yield api, socket, proc, db
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.communicate(timeout=30)


def test_socket_mode_answers_commands_delivers_results_and_stops_cleanly(
        socket_mode: tuple[FakeSlackApi, FakeSocketMode, subprocess.Popen[str], Path]) -> None:
    api, socket, proc, db = socket_mode
    socket.wait_connected()

    # The scheduler runs beside Socket Mode: the queued review result reaches its channel.
    delivered = api.wait_for(lambda calls: any("📣" in c.text() for c in posts_to(calls, "CRESULT")))
    assert [c for c in posts_to(delivered, "CRESULT") if "📣" in c.text()]

    # A slash command over the socket is acknowledged, and the first question follows.
    envelope = socket.send("slash_commands", command_payload("start", "CNEW", api))
    assert socket.wait_ack(envelope)["envelope_id"] == envelope
    first = api.wait_for(lambda calls: len(posts_to(calls, "CNEW")) >= 1)
    assert "你好" in posts_to(first, "CNEW")[0].text()

    # SIGTERM ends it in order: the scheduler stops, the platform drains, nothing is lost.
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err, err
    assert outbox(db) == [("result", f"slack:{TEAM}:CRESULT", "sent")]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT state FROM cases WHERE conversation = ?",
                            (f"slack:{TEAM}:CNEW",)).fetchall() == [("active",)]
