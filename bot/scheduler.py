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
   conversation), and marked sent — or given back for a later attempt when the send failed.

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
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

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
    ) -> None:
        self.db = db
        self.clock: Clock = clock or _utc_now
        """Real time unless a test sets it."""
        self.routes: list[Route] = list(routes)
        self.interval_s = interval_s
        self.lease = lease
        self.max_attempts = max_attempts
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._tick_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def add_route(self, route: Route) -> None:
        self.routes.append(route)

    # -- one pass -------------------------------------------------------------------------
    def tick(self) -> TickReport:
        """One pass over what is stored; safe to call from several threads and processes."""
        with self._tick_lock:
            report = TickReport()
            now = self.clock()
            self._remind(now, report)
            self._deliver(now, report)
            return report

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
                                           conversations=exact)
        for message in claimed:
            route = next(r for r in self.routes if r.owns(message.conversation))
            try:
                route.send(message.conversation, self._replies(message, route))
            except Exception as problem:
                # The reason by type only: a platform error may quote what we tried to send.
                log.warning("delivering message %s to %s failed: %s", message.id,
                            message.conversation, type(problem).__name__)
                self._give_back(message, type(problem).__name__, now)
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
            store.mark_failed(tx, message.id, owner=self.owner, error=error, retry_at=retry_at)

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
            try:
                self.tick()
            except Exception:
                log.exception("scheduler pass failed; trying again in %s s", self.interval_s)
            self._stop.wait(self.interval_s)

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout_s)


# -- platforms served over HTTP ---------------------------------------------------------------
class SendingPlatform(Protocol):
    """The part of ``bot.server.Platform`` the scheduler uses."""

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

    mention = getattr(platform, "mention", None)
    return Route(f"{platform.name}:", send,
                 mention if callable(mention) else _MENTIONS.get(platform.name, plain_mention))


def server_hooks(
    db: CaseStore, platforms: Sequence[SendingPlatform], *, clock: Clock = _utc_now,
    interval_s: float = 10.0,
) -> tuple[Callable[[], None], Callable[[], Awaitable[None]]]:
    """(startup, shutdown) for ``bot.server.build_app``: the scheduler runs in a thread while
    the server runs, delivering through each platform's ``send``; shutdown waits for it off the
    event loop, so a send in flight can still finish on that loop."""
    scheduler = Scheduler(db, clock=clock, interval_s=interval_s)

    def startup() -> None:
        loop = asyncio.get_running_loop()
        for platform in platforms:
            scheduler.add_route(platform_route(platform, loop))
        scheduler.start()

    async def shutdown() -> None:
        await asyncio.to_thread(scheduler.stop)

    return startup, shutdown
