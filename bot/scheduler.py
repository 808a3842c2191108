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
3. with ``routes`` (a terminal, tests), what is due in the outbox is sent in this pass, through
   the same code the delivery runtime of ``serve`` runs in its own thread
   (:mod:`bot.delivery.runtime`: per conversation, in commit order, given up on loudly).

Reminders are only *written* here, in the transaction that claims the day; sending them is the
delivery runtime's (issue 27: one way out).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot.delivery.runtime import DeliveryRuntime
from bot.delivery.transport import Route, Transport, plain_mention, slack_mention
from handlers.reviews import coverage
from handlers.reviews.notices import reminder_replies, to_rows
from handlers.reviews.workdays import in_working_hours, local_date, workdays_between
from storage import CaseStore, outbox
from storage import waits as store

log = logging.getLogger("esignbot.scheduler")

Clock = Callable[[], datetime]

__all__ = ["Clock", "Route", "Scheduler", "TickReport", "plain_mention", "server_hooks",
           "slack_mention"]

EVENT_RETENTION = timedelta(days=7)
"""How long a processed event id is kept. Platforms resend an input for minutes (Slack's three
retries within about an hour at most, WeCom's within seconds), so a week is far past any retry;
after it the id is pruned so the table does not grow for ever."""
PRUNE_EVERY = timedelta(hours=1)
PRUNE_BATCH = 5000
PRUNE_BATCHES = 20
"""At most this many batches per pruning, each its own short transaction."""

def _utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


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
        lease: timedelta = timedelta(seconds=60),
        max_attempts: int = 12,
        owner: str | None = None,
        admins: Iterable[str] = (),
        on_give_up: Callable[[], None] | None = None,
        recipient: str | None = None,
    ) -> None:
        self.db = db
        self.clock: Clock = clock or _utc_now
        """Real time unless a test sets it."""
        self.interval_s = interval_s
        self.admins = frozenset(admins)
        """``ESIGNBOT_ADMINS``: who hears about the bot itself (the calendar running out)."""
        self._calendar_checked: date | None = None
        self._events_pruned_at: datetime | None = None
        self._tick_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.delivery = DeliveryRuntime(db, transports=routes, clock=self.clock, owner=owner,
                                        lease=lease, max_attempts=max_attempts,
                                        recipient=recipient, admins=admins, on_give_up=on_give_up)
        """Sends what is due at each :meth:`tick` when ``routes`` are given (a terminal)."""
        self._pass_started: float | None = None
        self._last_pass: float | None = None
        self._failed_passes = 0
        self._last_error = ""

    def add_route(self, route: Route) -> None:
        self.delivery.add_transport(route)

    # -- one pass -------------------------------------------------------------------------
    def tick(self) -> TickReport:
        """One pass over what is stored; safe to call from several threads and processes."""
        with self._tick_lock:
            report = TickReport()
            now = self.clock()
            self._check_calendar(now)
            self._remind(now, report)
            if self.delivery.transports:
                sent = self.delivery.deliver_due()
                report.delivered, report.failed = sent.delivered, sent.failed
            self._prune_events(now)
            return report

    def _prune_events(self, now: datetime) -> None:
        """At most once an hour: forget processed event ids older than :data:`EVENT_RETENTION`."""
        last = self._events_pruned_at
        if last is not None and now - last < PRUNE_EVERY:
            return
        self._events_pruned_at = now
        before = _iso(now - EVENT_RETENTION)
        for prune in (lambda tx: tx.prune_events(before, PRUNE_BATCH),
                      lambda tx: outbox.prune_sent(tx, before, PRUNE_BATCH)):
            for _ in range(PRUNE_BATCHES):
                with self.db.transaction() as tx:
                    if prune(tx) < PRUNE_BATCH:
                        break

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
            report.skipped += outbox.skip_stale_reminders(tx)
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
                outbox.add_message(
                    tx, dedupe_key=f"reminder:{wait.id}:{today.isoformat()}", case_id=wait.case_id,
                    wait_id=wait.id, purpose="reminder", conversation=item.conversation,
                    mention_user_id=item.created_by,
                    mention_name=item.created_by_name or item.created_by,
                    replies=to_rows(replies), at=at)
                report.reminders += 1

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
def server_hooks(
    db: CaseStore, platforms: Sequence[Transport], *, clock: Clock = _utc_now,
    interval_s: float = 10.0, admins: Iterable[str] = (), scheduler: Scheduler | None = None,
    delivery: DeliveryRuntime | None = None,
) -> tuple[Callable[[], None], Callable[[], Awaitable[None]]]:
    """(startup, shutdown) for ``bot.web.server.build_app``: the scheduler and the delivery
    runtime run in threads while the server runs, the runtime posting through each platform
    (a :class:`~bot.delivery.transport.Transport`) on the server's event loop, where the
    platforms' HTTP clients live. Shutdown waits for both off the event loop, so a send in
    flight can still finish on that loop."""
    scheduler = scheduler or Scheduler(db, clock=clock, interval_s=interval_s, admins=admins)
    runtime = delivery or DeliveryRuntime(db, clock=clock, admins=admins)

    def startup() -> None:
        runtime.bind_loop(asyncio.get_running_loop())
        for platform in platforms:
            runtime.add_transport(platform)
        runtime.start()
        scheduler.start()

    async def shutdown() -> None:
        await asyncio.to_thread(scheduler.stop)
        await asyncio.to_thread(runtime.stop)

    return startup, shutdown
