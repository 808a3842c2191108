"""The scheduler: marks late waits, writes reminders, and delivers the outbox.

Why driven by what is stored, on a clock passed in: everything it acts on — open waits, their
due dates, the last day each was reminded, undelivered messages — is in SQLite, so a restart
loses nothing and two bot processes on one file coordinate through it (each claim is a
conditional ``UPDATE`` inside ``BEGIN IMMEDIATE``; see ``storage.waits``). Time is the one input
that is not stored, so it comes from ``clock``, which tests set to any moment they need.

One pass (:meth:`Scheduler.tick`):

1. every open wait whose due date (Asia/Shanghai) has passed is marked overdue;
2. on a working day between 09:00 and 18:00 local time, each overdue wait not yet reminded
   today gets one reminder, queued in the same transaction that claims the day;
3. queued messages for the conversations this process serves are claimed, sent through the
   route that owns the conversation (``slack:``/``wecom:`` platforms, the console's own
   conversation), and marked sent — or given back for a later attempt when the send failed;
   after the last attempt it is given up on: logged once at ERROR and told to the admins
   (``handlers/reviews/undelivered.py``), since nobody else would ever notice it missing.

A message is sent once. The one exception is a process that dies between sending and marking:
its claim runs out after ``lease`` and another process sends it again (at least once, never
silently lost).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

from handlers.reviews import coverage, undelivered
from handlers.reviews.notices import from_rows, reminder_replies, to_rows
from handlers.reviews.workdays import in_working_hours, local_date, workdays_between
from handlers.shapes import Reply
from storage import CaseStore
from storage import waits as store

log = logging.getLogger("esignbot.scheduler")

Clock = Callable[[], datetime]
Sender = Callable[[str, Sequence[Reply]], None]
"""Posts replies into a conversation; raises when it could not (the message is retried)."""
Mention = Callable[[str, str], str]
"""(user id, display name) -> how this platform calls on a person."""
SenderFor = Callable[[str, Sequence[Reply], str], None]
"""Posts a queued live reply (``purpose`` 'reply') as the turn would have: its private replies
to the person whose input it answers (the third argument); raises when it could not."""

EVENT_RETENTION = timedelta(days=7)
"""How long a processed event id is kept. Platforms resend an input for minutes (Slack's three
retries within about an hour at most, WeCom's within seconds), so a week is far past any retry;
after it the id is pruned so the table does not grow for ever."""
PRUNE_EVERY = timedelta(hours=1)
PRUNE_BATCH = 5000
PRUNE_BATCHES = 20
"""At most this many batches per pruning, each its own short transaction."""

_SLACK_USER = re.compile(r"^[UW][A-Z0-9]{2,}$")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def plain_mention(user_id: str, name: str) -> str:
    return f"@{name or user_id}"


def slack_mention(user_id: str, name: str) -> str:
    """``<@U0123>``, which Slack renders as the person's name and notifies them."""
    return f"<@{user_id}>" if _SLACK_USER.match(user_id) else plain_mention(user_id, name)


_MENTIONS: dict[str, Mention] = {"slack": slack_mention}


@dataclass(frozen=True, slots=True)
class Route:
    """Where messages for some conversations go: ``key`` is a prefix ending in ``:``
    (``slack:``) or one exact conversation (``console:default``)."""

    key: str
    send: Sender
    mention: Mention = plain_mention
    send_for: SenderFor | None = None

    def owns(self, conversation: str) -> bool:
        return conversation.startswith(self.key) if self.key.endswith(":") else conversation == self.key


@dataclass(slots=True)
class TickReport:
    overdue: int = 0
    reminders: int = 0
    delivered: int = 0
    failed: int = 0
    skipped: int = 0


class Scheduler:
    """Reminders and outbox delivery over one database, on a clock tests control."""

    def __init__(
        self,
        db: CaseStore,
        *,
        clock: Clock | None = None,
        routes: Sequence[Route] = (),
        interval_s: float = 10.0,
        lease: timedelta = timedelta(minutes=5),
        max_attempts: int = 8,
        owner: str | None = None,
        admins: Iterable[str] = (),
        on_give_up: Callable[[], None] | None = None,
        recipient: str | None = None,
    ) -> None:
        self.db = db
        self.recipient = recipient
        """Set in a terminal: deliver only what is for this person or for everyone (a notice
        for one admin must not show in a colleague's window on the same case)."""
        self.clock: Clock = clock or _utc_now
        """Real time unless a test sets it."""
        self.routes: list[Route] = list(routes)
        self.interval_s = interval_s
        self.lease = lease
        self.max_attempts = max_attempts
        self.admins = frozenset(admins)
        """``ESIGNBOT_ADMINS``: who hears about the bot itself (the calendar running out)."""
        self._calendar_checked: date | None = None
        self._events_pruned_at: datetime | None = None
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._tick_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.on_give_up = on_give_up
        """Called once per message given up on (``serve`` counts them for ``/metrics``)."""
        self._pass_started: float | None = None
        self._last_pass: float | None = None
        self._failed_passes = 0
        self._last_error = ""

    def add_route(self, route: Route) -> None:
        self.routes.append(route)

    # -- one pass -------------------------------------------------------------------------
    def tick(self) -> TickReport:
        """One pass over what is stored; safe to call from several threads and processes."""
        with self._tick_lock:
            report = TickReport()
            now = self.clock()
            self._check_calendar(now)
            self._remind(now, report)
            self._deliver(now, report)
            self._prune_events(now)
            return report

    def _prune_events(self, now: datetime) -> None:
        """At most once an hour: forget processed event ids older than :data:`EVENT_RETENTION`."""
        last = self._events_pruned_at
        if last is not None and now - last < PRUNE_EVERY:
            return
        self._events_pruned_at = now
        before = _iso(now - EVENT_RETENTION)
        for _ in range(PRUNE_BATCHES):
            with self.db.transaction() as tx:
                if tx.prune_events(before, PRUNE_BATCH) < PRUNE_BATCH:
                    return

    def _check_calendar(self, now: datetime) -> None:
        """Once a (Shanghai) day: in December, tell admins when next year is not covered."""
        today = local_date(now)
        if today == self._calendar_checked:
            return
        self._calendar_checked = today
        year = coverage.uncovered_next_year(today)
        if year is None:
            return
        with self.db.transaction() as tx:
            told = coverage.warn_admins(tx, today, self.admins, _iso(now))
        log.warning("the working-day calendar has no official schedule for %d: due dates there are "
                    "estimated; set ESIGNBOT_HOLIDAYS (admins newly told: %d)", year, len(told))

    def _remind(self, now: datetime, report: TickReport) -> None:
        today = local_date(now)
        remind_now = in_working_hours(now)
        at = _iso(now)
        with self.db.transaction() as tx:
            report.skipped += store.skip_stale_reminders(tx)
            for item in store.open_waits_of_active_cases(tx):
                wait = item.wait
                due = date.fromisoformat(wait.due_on)
                if today <= due:
                    continue
                report.overdue += store.mark_overdue(tx, wait.id, at)
                if not remind_now or not store.claim_reminder(tx, wait.id, today.isoformat()):
                    continue
                replies = reminder_replies(wait.kind, item.lang, started_at=wait.started_at,
                                           due_on=due, late=workdays_between(due, today))
                store.add_message(
                    tx, dedupe_key=f"reminder:{wait.id}:{today.isoformat()}", case_id=wait.case_id,
                    wait_id=wait.id, purpose="reminder", conversation=item.conversation,
                    mention_user_id=item.created_by,
                    mention_name=item.created_by_name or item.created_by,
                    replies=to_rows(replies), at=at)
                report.reminders += 1

    def _deliver(self, now: datetime, report: TickReport) -> None:
        if not self.routes:
            return
        prefixes = [r.key for r in self.routes if r.key.endswith(":")]
        exact = [r.key for r in self.routes if not r.key.endswith(":")]
        with self.db.transaction() as tx:
            claimed = store.claim_messages(tx, owner=self.owner, now=_iso(now),
                                           lease_until=_iso(now + self.lease), prefixes=prefixes,
                                           conversations=exact, recipient=self.recipient)
        stuck: dict[str, bool] = {}
        """Conversations whose message failed in this pass -> whether it was a queued reply."""
        for message in claimed:
            route = next(r for r in self.routes if r.owns(message.conversation))
            if message.conversation in stuck and (
                    stuck[message.conversation] or message.purpose == "reply"):
                # Sending it now would overtake the one that just failed (see
                # storage.waits._NOT_OVERTAKING): back in the queue, untried.
                with self.db.transaction() as tx:
                    store.release_message(tx, message.id, owner=self.owner)
                continue
            try:
                if message.purpose == "reply" and route.send_for is not None:
                    route.send_for(message.conversation, self._replies(message, route),
                                   message.actor or "")
                else:
                    route.send(message.conversation, self._replies(message, route))
            except Exception as problem:
                # The reason by type only: a platform error may quote what we tried to send.
                log.warning("delivering message %s to %s failed: %s", message.id,
                            message.conversation, type(problem).__name__)
                self._give_back(message, type(problem).__name__, now)
                stuck[message.conversation] = (stuck.get(message.conversation, False)
                                               or message.purpose == "reply")
                report.failed += 1
                continue
            with self.db.transaction() as tx:
                store.mark_sent(tx, message.id, owner=self.owner, at=_iso(self.clock()))
            report.delivered += 1

    def _replies(self, message: store.OutboxRecord, route: Route) -> list[Reply]:
        replies = from_rows(message.replies)
        if not replies or not message.mention_user_id:
            return replies
        mention = route.mention(message.mention_user_id, message.mention_name or "")
        first = replies[0]
        return [first.model_copy(update={"text": f"{mention} {first.text}"}), *replies[1:]]

    def _give_back(self, message: store.OutboxRecord, error: str, now: datetime) -> None:
        retry_at = None
        if message.attempts < self.max_attempts:
            retry_at = _iso(now + timedelta(minutes=min(2 ** (message.attempts - 1), 60)))
        with self.db.transaction() as tx:
            marked = store.mark_failed(tx, message.id, owner=self.owner, error=error,
                                       retry_at=retry_at)
            told = [] if retry_at or not marked else undelivered.tell_admins(
                tx, message_id=message.id, conversation=message.conversation,
                case_id=message.case_id, attempts=message.attempts, error=error,
                admins=self.admins, at=_iso(now))
        if retry_at or not marked:
            return
        # Once: only the process whose claim marked it failed gets here. Ids only: the text
        # may hold personal data.
        log.error("gave up on message %s for %s (case %s) after %d attempts (%s); admins told "
                  "in %s", message.id, message.conversation, message.case_id, message.attempts,
                  error, told or "no conversation (set ESIGNBOT_ADMINS and start a case there)")
        if self.on_give_up is not None:
            self.on_give_up()

    # -- running in the background --------------------------------------------------------
    def start(self) -> None:
        """Tick every ``interval_s`` seconds in a daemon thread until :meth:`stop`."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="esignbot-scheduler", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._pass_started = time.monotonic()
            try:
                self.tick()
            except Exception as problem:
                self._failed_passes += 1
                self._last_error = type(problem).__name__
                log.exception("scheduler pass failed; trying again in %s s", self.interval_s)
            else:
                self._failed_passes = 0
            self._last_pass, self._pass_started = time.monotonic(), None
            self._stop.wait(self.interval_s)

    def health(self) -> dict[str, object]:
        """Whether the background thread is doing its job, for ``/healthz``: running, its
        current pass not stuck (:data:`STALLED_AFTER_INTERVALS` intervals, at least
        :data:`STALLED_AFTER_S`), and not failing pass after pass (:data:`FAILING_PASSES`)."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            return {"ok": False, "error": "the scheduler thread is not running"}
        now = time.monotonic()
        started, last = self._pass_started, self._last_pass
        stall_s = max(STALLED_AFTER_INTERVALS * self.interval_s, STALLED_AFTER_S)
        seen: dict[str, object] = {"last_pass_s_ago": None if last is None else round(now - last, 1)}
        if started is not None and now - started > stall_s:
            return {"ok": False, "error": f"a pass has been running for {now - started:.0f} s",
                    **seen}
        if self._failed_passes >= FAILING_PASSES:
            return {"ok": False, "error": f"the last {self._failed_passes} passes failed "
                                          f"({self._last_error})", **seen}
        return {"ok": True, **seen}

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout_s)


STALLED_AFTER_INTERVALS = 10
STALLED_AFTER_S = 300.0
"""A pass running longer than this is stuck: one hung send gives up after 120 s."""
FAILING_PASSES = 3
"""Failed passes in a row that make the scheduler unhealthy (one may be a busy database)."""


# -- platforms served over HTTP ---------------------------------------------------------------
class SendingPlatform(Protocol):
    """The part of ``bot.web.server.Platform`` the scheduler uses."""

    name: str

    def send(self, conversation: str, replies: Sequence[Reply]) -> Awaitable[None]: ...


def platform_route(
    platform: SendingPlatform, loop: asyncio.AbstractEventLoop, *, timeout_s: float = 120.0
) -> Route:
    """A route that runs ``platform.send`` on the server's event loop (where the platform's
    HTTP clients live) and waits for it from the scheduler's thread."""

    def send(conversation: str, replies: Sequence[Reply]) -> None:
        async def call() -> None:
            await platform.send(conversation, replies)

        future = asyncio.run_coroutine_threadsafe(call(), loop)
        try:
            future.result(timeout=timeout_s)
        except TimeoutError:
            future.cancel()
            raise

    def send_for(conversation: str, replies: Sequence[Reply], actor: str) -> None:
        assert callable(platform_send_for)
        future = asyncio.run_coroutine_threadsafe(
            platform_send_for(conversation, replies, actor), loop)
        try:
            future.result(timeout=timeout_s)
        except TimeoutError:
            future.cancel()
            raise

    mention = getattr(platform, "mention", None)
    platform_send_for = getattr(platform, "send_for", None)
    return Route(f"{platform.name}:", send,
                 mention if callable(mention) else _MENTIONS.get(platform.name, plain_mention),
                 send_for if callable(platform_send_for) else None)


def server_hooks(
    db: CaseStore, platforms: Sequence[SendingPlatform], *, clock: Clock = _utc_now,
    interval_s: float = 10.0, admins: Iterable[str] = (), scheduler: Scheduler | None = None,
) -> tuple[Callable[[], None], Callable[[], Awaitable[None]]]:
    """(startup, shutdown) for ``bot.web.server.build_app``: the scheduler runs in a thread while
    the server runs, delivering through each platform's ``send``; shutdown waits for it off the
    event loop, so a send in flight can still finish on that loop. ``scheduler``: the one to
    run (``serve`` keeps it for its health check); built from the other arguments when None."""
    scheduler = scheduler or Scheduler(db, clock=clock, interval_s=interval_s, admins=admins)

    def startup() -> None:
        loop = asyncio.get_running_loop()
        for platform in platforms:
            scheduler.add_route(platform_route(platform, loop))
        scheduler.start()

    async def shutdown() -> None:
        await asyncio.to_thread(scheduler.stop)

    return startup, shutdown
