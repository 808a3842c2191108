"""The Slack test world: ``esignbot serve`` as a real process on 127.0.0.1, a fake Slack Web API
and a fake Tencent Cloud beside it, and Slack's signed deliveries into it.

Shared by the Slack tests (``tests/bot/slack/``, and others that need Slack); each module starts one world (one server) and gives each
test its own channel, so tests stay independent without paying a server start each.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.slack.manifest import manifest
from tests.fakes.local_server import clean_env, serving
from tests.fakes.slack_api import Call, FakeSlackApi
from tests.fakes.slack_events import SlackSender
from tests.fakes.tencentcloud import FakeTencentCloud

BOT_TOKEN = "xoxb-1111-2222-testtoken"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T1"


@dataclass
class SlackWorld:
    api: FakeSlackApi
    sender: SlackSender
    tencent: FakeTencentCloud
    db: Path
    server: subprocess.Popen[str]

    def server_log(self) -> str:
        """What ``serve`` has printed so far (``serving`` writes it beside the database)."""
        return (self.db.parent / "serve.log").read_text(encoding="utf-8", errors="replace")

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db) as conn:
            return list(conn.execute(sql, params).fetchall())

    def answers(self, channel: str) -> dict[str, Any]:
        rows = self.rows("SELECT a.field, a.value FROM answers a JOIN cases c ON c.id = a.case_id "
                         "WHERE c.conversation = ? AND c.state = 'active'", f"slack:{TEAM}:{channel}")
        return {field: json.loads(value) for field, value in rows}

    def posts(self, channel: str, method: str = "chat.postMessage") -> list[Call]:
        return [c for c in self.api.calls_to(method) if c.params.get("channel") == channel]

    def wait_posts(self, channel: str, count: int, method: str = "chat.postMessage") -> list[Call]:
        self.api.wait_for(lambda calls: sum(
            c.method == method and c.params.get("channel") == channel for c in calls) >= count)
        return self.posts(channel, method)

    def idle(self, channel: str, timeout_s: float = 30.0) -> None:
        """Wait until the app has nothing left to do for ``channel``'s conversation: no job
        unfinished (a shared file to fetch, a workbook to build) and no reply unsent. What a
        listener leaves for after its acknowledgement is committed before it (issue 27), so
        after an acknowledged request this is a barrier, not a guess."""
        deadline = time.monotonic() + timeout_s
        conversation = f"slack:{TEAM}:{channel}"
        while self.rows(
                "SELECT (SELECT count(*) FROM jobs WHERE conversation = ?"
                " AND state IN ('pending', 'running'))"
                " + (SELECT count(*) FROM outbox WHERE conversation = ?"
                " AND state IN ('pending', 'sending'))", conversation, conversation)[0][0]:
            if time.monotonic() > deadline:
                raise AssertionError(f"{conversation} still has work after {timeout_s} s")
            time.sleep(0.05)

    def settle(self, channel: str) -> list[Call]:
        """Every call for ``channel`` once the app has stopped posting there (two quiet reads
        of the fake's record, a bounded wait rather than a timing assertion)."""
        seen = -1
        for _ in range(100):
            count = len([c for c in self.api.calls if c.params.get("channel") == channel])
            if count == seen:
                break
            seen = count
            time.sleep(0.15)
        return [c for c in self.api.calls if c.params.get("channel") == channel]


@contextmanager
def slack_world(tmp: Path, **extra_env: str) -> Iterator[SlackWorld]:
    """Start the fakes, then ``esignbot serve`` pointed at them; stop everything at the end."""
    with ExitStack() as stack:
        api = stack.enter_context(FakeSlackApi(BOT_TOKEN, team_id=TEAM).serving())
        tencent = stack.enter_context(FakeTencentCloud().serving())
        db = tmp / "esignbot.db"
        env = clean_env(
            SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=api.api_url, ESIGNBOT_TENCENTCLOUD_ENDPOINT=tencent.endpoint,
            ESIGNBOT_TENCENTCLOUD_TEST_ENDPOINT=tencent.test_endpoint, **extra_env,
        )
        server = stack.enter_context(serving(db, env))
        # Events reach the app only as its manifest subscribes (tests/fakes/slack_events.py).
        sender = SlackSender(server.base, SIGNING_SECRET, team=TEAM, api_base=api.base,
                             app_manifest=manifest(socket_mode=False))
        stack.callback(sender.close)
        yield SlackWorld(api, sender, tencent, db, server.proc)
