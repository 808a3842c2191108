"""Virtual Slack users driving complete onboardings into a server, as Slack delivers them.

Each user works in its own channel: ``/esign start`` (a signed slash command), then every answer
of the online route — buttons as ``block_actions`` with the values our app renders, typed
answers as ``message`` events in the case's thread with unique ``event_id``s. The thread's root
is the first message the server posts into the channel; the fake Web API tells the user as soon
as it is posted. A user that finishes starts again in a fresh channel.

Two ways of loading:

- **closed loop** (``closed_loop``): N users, no think time; each sends its next turn when the
  last was acknowledged. This measures throughput.
- **open loop** (``open_loop``): turns are released at a fixed rate to whichever user is free,
  and latency is counted from the moment a turn was *due*, so a slow server cannot hide its
  queue (no coordinated omission).

Latency is the acknowledgement: request sent to HTTP response received.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from slack_sdk.signature import SignatureVerifier

from bot.slack.render import (
    ACTION_CHOICE,
    ACTION_MULTI_PICK,
    ACTION_MULTI_SUBMIT,
    choice_value,
    multi_block_id,
)
from tests.fakes.slack_api import Call, FakeSlackApi

BOT_TOKEN = "xoxb-bench-not-a-real-token"  # a made-up token for the local fake
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM = "T1"
APP_ID = "yDCWpUUckpvv76rqUxjIE8qvXHjCqG4t"
_ERROR_MARK = "⚠️"
_REQUEST_TIMEOUT_S = 15.0
_ROOT_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class SlackTurn:
    """One input: ``command`` (slash command text), ``click`` (a button of ``step``), ``multi``
    (the submit button of a checkbox step) or ``say`` (a typed thread reply). ``field`` and
    ``value`` are what the database must hold afterwards, once."""

    kind: str
    step: str = ""
    field: str | None = None
    value: Any = None
    text: str = ""


def _click(step: str, value: str, field_name: str | None = None) -> SlackTurn:
    return SlackTurn("click", step, field_name or step, value)


def _say(field_name: str, text: str) -> SlackTurn:
    return SlackTurn("say", field_name, field_name, text, text)


ROUTE: tuple[SlackTurn, ...] = (
    SlackTurn("command", text="start"),
    _click("environment", "prod"),
    _click("has_verified_account", "yes"),
    _say("uin", "100016315204"),
    _say("enterprise_name", "腾讯科技（深圳）有限公司"),
    _click("realname_route", "online"),
    _click("realname_status_online", "submitted", "realname_status"),
    _click("realname_status_online", "approved", "realname_status"),
    _click("app_id_route", "email"),
    _say("app_name", "合同助手"),
    _click("app_type", "微信小程序"),
    _say("app_description", "在线签署劳动合同的小程序"),
    SlackTurn("multi", "whitelist_interfaces", "whitelist_interfaces",
              ["VerifyUser", "CreateServerFlowSign"]),
    _click("app_status", "sent"),
    _click("app_status", "approved"),
    _say("app_id", APP_ID),
    _click("key_owner", "main"),
)
"""The online route to the end, the app ID applied for by email: 17 turns, one of them the
slash command."""


class BenchSlackApi(FakeSlackApi):
    """The tests' fake Web API, telling a waiting user when the server's first message they
    would answer has been posted.

    For our app that is the first post *in* the case's thread (the question under the root):
    a person answers in the thread they see, and our app records the thread right after the
    root is posted, before it posts into it. A reply sent the instant the root appears, before
    that record, is acknowledged and ignored as ordinary channel chat (measured: see the
    README). The bare apps post one message and no thread, so for them it is that message.
    """

    def __init__(self, *, in_thread: bool = True) -> None:
        super().__init__(BOT_TOKEN, team_id=TEAM)
        self.in_thread = in_thread
        self._lock = threading.Lock()
        self._roots: dict[str, str] = {}
        self._waiters: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Future[str]]]] = {}

    def _record(self, call: Call) -> None:
        super()._record(call)
        thread = call.params.get("thread_ts")
        if call.method != "chat.postMessage" or bool(thread) != self.in_thread:
            return
        channel = str(call.params.get("channel"))
        ts = str(call.params.get("thread_ts") if self.in_thread else call.answer.get("ts"))
        with self._lock:
            if channel in self._roots:
                return
            self._roots[channel] = ts
            waiters = self._waiters.pop(channel, [])
        for loop, future in waiters:
            loop.call_soon_threadsafe(_resolve, future, ts)

    async def root(self, channel: str, timeout: float = _ROOT_TIMEOUT_S) -> str | None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()
        with self._lock:
            if channel in self._roots:
                return self._roots[channel]
            self._waiters.setdefault(channel, []).append((loop, future))
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return None

    def error_posts(self) -> int:
        """Replies the app marked as errors (a wrong route would show here)."""
        return sum((c.method in {"chat.postMessage", "chat.postEphemeral"}
                    and str(c.params.get("text") or "").startswith(_ERROR_MARK))
                   or any(_ERROR_MARK in str(b.get("text", {}).get("text", ""))
                          for b in c.params.get("blocks") or [] if isinstance(b, dict))
                   for c in list(self.calls))


def _resolve(future: asyncio.Future[str], ts: str) -> None:
    if not future.done():
        future.set_result(ts)


@dataclass
class Conversation:
    channel: str
    user: str
    root: str = ""
    acked: list[tuple[str, Any]] = field(default_factory=list)
    unacked: list[tuple[str, Any]] = field(default_factory=list)
    completed: bool = False


@dataclass
class Tally:
    """What one run measured."""

    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    """The same latencies split by request kind (slash command, click, typed reply), so a tail
    can be traced to the path that makes it."""
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    conversations: list[Conversation] = field(default_factory=list)
    first: float = 0.0
    last: float = 0.0

    @property
    def elapsed(self) -> float:
        return max(self.last - self.first, 1e-9)


class SlackDriver:
    """Builds and signs Slack's requests and sends them to one server."""

    def __init__(self, base: str, api: BenchSlackApi, *, waits_for_root: bool, tag: str,
                 clock_offset_s: int = 0) -> None:
        self.url = base.rstrip("/") + "/slack/events"
        self.clock_offset_s = clock_offset_s
        """Added to the time requests are signed with: a server whose clock a test has moved
        (``tests.fakes.process_clock``) refuses a signature five minutes off its own."""
        self.api = api
        self.waits_for_root = waits_for_root
        self.tag = tag
        self.tally = Tally()
        self.verifier = SignatureVerifier(SIGNING_SECRET)
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SlackDriver:
        connector = aiohttp.TCPConnector(limit=0)
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=_REQUEST_TIMEOUT_S))
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    def conversation(self, user: int, cycle: int) -> Conversation:
        conv = Conversation(channel=f"C{self.tag}{user:03d}N{cycle:04d}", user=f"U{user:04d}")
        self.tally.conversations.append(conv)
        return conv

    # -- the requests -------------------------------------------------------------------------
    def body(self, conv: Conversation, turn: SlackTurn) -> tuple[str, str]:
        if turn.kind == "command":
            return urlencode({
                "token": "deprecated", "team_id": TEAM, "team_domain": "bench",
                "channel_id": conv.channel, "channel_name": "onboarding", "user_id": conv.user,
                "user_name": conv.user.lower(), "command": "/esign", "text": turn.text,
                "api_app_id": "A1", "response_url": f"{self.api.base}/response/{uuid.uuid4().hex}",
                "trigger_id": f"{next(self._ids)}.{uuid.uuid4().hex}",
            }), "application/x-www-form-urlencoded"
        if turn.kind == "say":
            ts = f"{1800000000 + next(self._ts)}.000300"
            event = {"type": "message", "channel": conv.channel, "user": conv.user, "text": turn.text,
                     "ts": ts, "event_ts": ts, "channel_type": "channel", "team": TEAM,
                     "thread_ts": conv.root or "1700000000.000001"}
            return json.dumps({
                "token": "deprecated", "team_id": TEAM, "api_app_id": "A1", "event": event,
                "type": "event_callback", "event_id": f"Ev{self.tag}{next(self._ids):09d}",
                "event_time": int(time.time()) + self.clock_offset_s,
                "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
            }, ensure_ascii=False), "application/json"
        return urlencode({"payload": json.dumps(self._click(conv, turn), ensure_ascii=False)}), \
            "application/x-www-form-urlencoded"

    def _click(self, conv: Conversation, turn: SlackTurn) -> dict[str, Any]:
        state: dict[str, Any] = {}
        if turn.kind == "multi":
            action = {"type": "button", "action_id": ACTION_MULTI_SUBMIT,
                      "value": choice_value(turn.step, ""), "text": {"type": "plain_text", "text": "提交"},
                      "block_id": f"esign:submit:{turn.step}"}
            state = {multi_block_id(turn.step): {ACTION_MULTI_PICK: {
                "type": "checkboxes", "selected_options": [{"value": v} for v in turn.value]}}}
        else:
            action = {"type": "button", "action_id": f"{ACTION_CHOICE}:0",
                      "value": choice_value(turn.step, str(turn.value)),
                      "text": {"type": "plain_text", "text": str(turn.value)},
                      "block_id": f"esign:q:{turn.step}:0"}
        root = conv.root or "1700000000.000001"
        # The clicked message is the latest question in the thread; we name the root's ts,
        # which is enough for the app to replace its buttons (chat.update) as with Slack.
        return {
            "type": "block_actions", "api_app_id": "A1", "token": "deprecated",
            "team": {"id": TEAM, "domain": "bench"},
            "user": {"id": conv.user, "username": conv.user.lower(), "team_id": TEAM},
            "channel": {"id": conv.channel, "name": "onboarding"},
            "container": {"type": "message", "message_ts": root, "channel_id": conv.channel,
                          "is_ephemeral": False, "thread_ts": root},
            "message": {"type": "message", "ts": root, "thread_ts": root, "text": "question",
                        "blocks": [], "user": "UBOT", "bot_id": "BBOT"},
            "trigger_id": f"{next(self._ids)}.{uuid.uuid4().hex}",
            "response_url": f"{self.api.base}/response/{uuid.uuid4().hex}",
            "state": {"values": state},
            "actions": [{**action, "action_ts": f"{time.time():.6f}"}],
        }

    async def send(self, conv: Conversation, turn: SlackTurn, due: float | None = None) -> bool:
        """One turn; True when it was acknowledged with 200 (and, after ``start``, the root
        of the thread arrived)."""
        assert self._session is not None
        body, content_type = self.body(conv, turn)
        stamp = str(int(time.time()) + self.clock_offset_s)
        headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp,
                   "X-Slack-Signature": self.verifier.generate_signature(timestamp=stamp, body=body) or ""}
        began = time.monotonic()
        if not self.tally.first:
            self.tally.first = began
        try:
            async with self._session.post(self.url, data=body.encode("utf-8"), headers=headers) as response:
                await response.read()
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as problem:
            status = 0
            self.tally.errors[type(problem).__name__] += 1
        done = time.monotonic()
        self.tally.last = max(self.tally.last, done)
        if status != 200:
            if status:
                self.tally.errors[f"http_{status}"] += 1
            if turn.field:
                conv.unacked.append((turn.field, turn.value))
            return False
        self.tally.ok += 1
        latency = done - (due if due is not None else began)
        self.tally.latencies.append(latency)
        self.tally.by_kind.setdefault(turn.kind, []).append(latency)
        if turn.field:
            conv.acked.append((turn.field, turn.value))
        if turn.kind == "command" and self.waits_for_root:
            root = await self.api.root(conv.channel)
            if root is None:
                self.tally.errors["no_thread_root"] += 1
                return False
            conv.root = root
        if turn is ROUTE[-1]:
            conv.completed = True
        return True


async def closed_loop(driver: SlackDriver, users: int, seconds: float,
                      max_turns: int | None = None, cycles: int | None = None) -> Tally:
    """``users`` users, no think time, until ``seconds`` have passed (or ``max_turns`` sent, or
    each user has been through ``cycles`` onboardings)."""
    deadline = time.monotonic() + seconds
    budget = itertools.count()

    async def user(index: int) -> None:
        for cycle in itertools.count() if cycles is None else range(cycles):
            conv = driver.conversation(index, cycle)
            for turn in ROUTE:
                if time.monotonic() >= deadline or (max_turns and next(budget) >= max_turns):
                    return
                if not await driver.send(conv, turn):
                    break  # abandon this conversation; start afresh

    await asyncio.gather(*(user(i) for i in range(users)))
    return driver.tally


async def open_loop(driver: SlackDriver, rate: float, seconds: float, users: int = 60) -> Tally:
    """Turns released at ``rate`` per second for ``seconds``, each to a free user."""
    ready: asyncio.Queue[tuple[int, Iterator[tuple[Conversation, SlackTurn]]]] = asyncio.Queue()

    def walks(index: int) -> Iterator[tuple[Conversation, SlackTurn]]:
        for cycle in itertools.count():
            conv = driver.conversation(index, cycle)
            for turn in ROUTE:
                yield conv, turn

    for i in range(users):
        ready.put_nowait((i, walks(i)))
    tasks: set[asyncio.Task[None]] = set()

    async def fire(index: int, walk: Iterator[tuple[Conversation, SlackTurn]], due: float) -> None:
        conv, turn = next(walk)
        if not await driver.send(conv, turn, due=due):
            walk = _fresh(walk, conv)
        ready.put_nowait((index, walk))

    start = time.monotonic()
    for n in range(int(rate * seconds)):
        due = start + n / rate
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        index, walk = await ready.get()
        task = asyncio.create_task(fire(index, walk, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)
    return driver.tally


def _fresh(walk: Iterator[tuple[Conversation, SlackTurn]],
           conv: Conversation) -> Iterator[tuple[Conversation, SlackTurn]]:
    """After a failed turn: skip the rest of that conversation."""
    for pair in walk:
        if pair[0] is not conv:
            yield pair
            yield from walk
            return


def audit(db: Path, conversations: list[Conversation]) -> dict[str, int]:
    """Every acknowledged answer in the history exactly once, per conversation.

    ``lost``: acknowledged but not in the database; ``duplicated``: stored more than once;
    ``unacknowledged_stored``: a request that failed whose answer is nonetheless stored (not
    wrong — the server may commit and then fail to answer — but worth knowing)."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT c.conversation, h.field, h.value FROM history h JOIN cases c ON c.id = h.case_id "
            "WHERE h.field IS NOT NULL").fetchall()
        starts = Counter(conversation for (conversation,) in conn.execute(
            "SELECT c.conversation FROM history h JOIN cases c ON c.id = h.case_id "
            "WHERE h.kind = 'start'"))
    stored: dict[str, Counter[tuple[str, str]]] = {}
    for conversation, field_name, value in rows:
        stored.setdefault(conversation, Counter())[(field_name, value)] += 1
    result = Counter({"answers_acknowledged": 0, "found_once": 0, "lost": 0, "duplicated": 0,
                      "unacknowledged_stored": 0, "cases_started_twice": 0})
    for conv in conversations:
        key = f"slack:{TEAM}:{conv.channel}"
        found = stored.get(key, Counter())
        result["cases_started_twice"] += starts.get(key, 0) > 1
        for field_name, value in conv.acked:
            result["answers_acknowledged"] += 1
            count = found[(field_name, json.dumps(value, ensure_ascii=False))]
            result["found_once"] += count == 1
            result["lost"] += count == 0
            result["duplicated"] += count > 1
        for field_name, value in conv.unacked:
            result["unacknowledged_stored"] += found[(field_name, json.dumps(value, ensure_ascii=False))] > 0
    return dict(result)
