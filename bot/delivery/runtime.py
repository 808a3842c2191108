"""The delivery runtime: one per process, the only thing that sends a message.

What it does, and why:

* **Sends what was committed.** Every reply, notice and job result is an outbox row written in
  the transaction of its cause (``storage.outbox``). The runtime is woken after each commit of
  this process (a :class:`~handlers.dialogue.Dialogue` observer) and polls every ``poll_s`` for
  what other processes committed or left behind; a crash delays a message, never loses it.
* **Per conversation, in commit order, across processes.** It claims the head of a
  conversation's queue at send time, one message per claim, sends it through the conversation's
  :class:`~bot.delivery.transport.Transport`, and marks it sent in the same transaction that
  claims the next head. Conversations are sent in parallel (``concurrency`` threads); inside one,
  nothing overtakes: a refused message waits for its retry at the head.
* **The hot path.** A reply nothing of its conversation waits before is written already claimed
  by this process (``Dialogue.sends_at_once``) and sent at once from memory. A transport that
  posts on the server's event loop (Slack) gets it there without a thread waiting on it; the
  postings that ended are marked sent in batches on the dialogue's writer thread, which under
  load is busy with turns anyway. Measured (issue 27): what the outbox costs a turn is one more
  row in its transaction and a share of one non-durable bookkeeping transaction.
* **Leases that outlive no one.** A claim lasts ``lease`` and is renewed while the send (or a
  job) is still running, so a platform that hangs holds its message here and no other process
  sends it again; a process that dies stops renewing, and on the same host its claims are
  released as soon as another process sees it gone (``release_dead_claims``).
* **Jobs.** The slow work a turn leaves (``storage.jobs``) starts here as soon as the turn
  commits; jobs whose process died are taken over when their lease runs out.
* **Backs off and gives up loudly.** A refusal is tried again after 5 s, doubling to 30 min;
  after ``max_attempts`` the message is given up on, logged once at ERROR and told to the admins
  (``handlers/reviews/undelivered.py``), and its conversation's queue goes on.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from inspect import isawaitable
from typing import TYPE_CHECKING, Any

from bot.delivery.transport import NotNow, Parcel, Transport, owns
from handlers.dialogue import claim_owner
from handlers.reviews import undelivered
from handlers.shapes import Inbound, from_rows
from storage import CaseStore, outbox
from storage import jobs as job_store

if TYPE_CHECKING:
    from handlers.dialogue import Dialogue, Outcome
    from storage.jobs import JobRecord

log = logging.getLogger("esignbot.delivery")

Clock = Callable[[], datetime]

FIRST_RETRY_S = 5.0
LAST_RETRY_S = 1800.0
DEAD_CLAIMS_EVERY_S = 10.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


async def _within(posting: Awaitable[None], timeout_s: float) -> None:
    await asyncio.wait_for(posting, timeout_s)


def retry_delay(attempts: int) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: 5 s, doubling, 30 min."""
    return float(min(FIRST_RETRY_S * 2 ** max(attempts - 1, 0), LAST_RETRY_S))


@dataclass(frozen=True, slots=True)
class _Claim:
    """A message this process holds: what to post, and how far it got before."""

    parcel: Parcel
    attempts: int = 1
    progress: int = 0


@dataclass(slots=True)
class DeliveryReport:
    delivered: int = 0
    failed: int = 0


class DeliveryRuntime:
    """Sends the outbox through transports, and runs the jobs turns leave."""

    def __init__(
        self,
        store: CaseStore,
        *,
        dialogue: Dialogue | None = None,
        transports: Iterable[Transport] = (),
        clock: Clock | None = None,
        owner: str | None = None,
        poll_s: float = 1.0,
        send_timeout_s: float = 60.0,
        lease: timedelta = timedelta(seconds=60),
        max_attempts: int = 12,
        concurrency: int = 8,
        job_threads: int = 4,
        recipient: str | None = None,
        admins: Iterable[str] = (),
        on_give_up: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.dialogue = dialogue
        self.transports: list[Transport] = list(transports)
        self.clock: Clock = clock or _utc_now
        self._owner = owner
        self.poll_s = poll_s
        self.send_timeout_s = send_timeout_s
        self.lease = lease
        self.max_attempts = max_attempts
        self.concurrency = concurrency
        self.recipient = recipient
        """Set in a terminal: deliver only what is for this person or for everyone."""
        self.admins = frozenset(admins)
        self.on_give_up = on_give_up
        self._job_threads = job_threads
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()
        self._active: set[str] = set()
        self._again: set[str] = set()
        self._sending: dict[int, str] = {}
        """Messages this process holds now (renewed every second), by id: their conversation."""
        self._running_jobs: set[int] = set()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._beat: threading.Thread | None = None
        self._senders: ThreadPoolExecutor | None = None
        self._bookkeeping: ThreadPoolExecutor | None = None
        """The thread that marks what was posted on the loop and takes the next message: the
        dialogue's writer thread (``Dialogue.writer``), or one of its own."""
        self._in_flight = 0
        """Postings running on the loop, not yet marked (``stop`` waits for them)."""
        self._ended: list[tuple[_Claim, BaseException | None]] = []
        """Postings that ended, for the next bookkeeping pass (``_flush``)."""
        self._flushing = False
        self._workers: ThreadPoolExecutor | None = None
        self._lanes: dict[str, int] = {}
        """Job kinds that run in threads of their own, and how many (a transport's
        ``job_lanes``: WeCom's picture downloads, which wait on a slow network for up to a
        minute, must never hold the threads every other job needs)."""
        self._lane_pools: dict[str, ThreadPoolExecutor] = {}
        self._in_lanes: set[int] = set()
        self._dead_checked = 0.0
        self._last_served: tuple[list[str], list[str]] = ([], [])
        self._last_pass: float | None = None
        self._pass_started: float | None = None
        self._last_error = ""

    @property
    def owner(self) -> str:
        if self.dialogue is not None:
            return self.dialogue.owner
        if self._owner is None:
            self._owner = claim_owner()
        return self._owner

    def add_transport(self, transport: Transport) -> None:
        self.transports.append(transport)
        self._lanes.update(getattr(transport, "job_lanes", None) or {})

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Where transports that post with coroutines run (the server's event loop)."""
        self._loop = loop

    def _serving(self) -> list[Transport]:
        """The transports that send now: one whose ``active`` is False is standing by (the
        WeCom smart bot while another process holds its one connection) and its messages are
        left to the process that holds it."""
        return [t for t in self.transports if getattr(t, "active", True)]

    def _transport(self, conversation: str) -> Transport | None:
        return next((t for t in self._serving() if owns(t.key, conversation)), None)

    def _served(self) -> tuple[list[str], list[str]]:
        keys = [t.key for t in self._serving()]
        return [k for k in keys if k.endswith(":")], [k for k in keys if not k.endswith(":")]

    # -- running in the background --------------------------------------------------------
    def start(self) -> None:
        """Deliver and run jobs in background threads until :meth:`stop`."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._senders = ThreadPoolExecutor(self.concurrency, thread_name_prefix="esignbot-send")
        self._bookkeeping = (self.dialogue.writer if self.dialogue is not None
                             else ThreadPoolExecutor(1, thread_name_prefix="esignbot-outbox"))
        self._workers = ThreadPoolExecutor(self._job_threads, thread_name_prefix="esignbot-job")
        self._lane_pools = {kind: ThreadPoolExecutor(threads, thread_name_prefix=f"esignbot-{kind}")
                            for kind, threads in self._lanes.items()}
        if self.dialogue is not None and self.observe not in self.dialogue.observers:
            self.dialogue.observers.append(self.observe)
            self.dialogue.sends_at_once = self._sends_at_once
        self._thread = threading.Thread(target=self._run, name="esignbot-delivery", daemon=True)
        self._beat = threading.Thread(target=self._renew_leases, name="esignbot-leases",
                                      daemon=True)
        self._thread.start()
        self._beat.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop polling; let sends and jobs in flight finish (up to ``timeout_s``)."""
        self._stop.set()
        self._wake.set()
        if self.dialogue is not None and self.observe in self.dialogue.observers:
            self.dialogue.observers.remove(self.observe)
            self.dialogue.sends_at_once = None
        for thread in (self._thread, self._beat):
            if thread is not None:
                thread.join(timeout_s)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if self._in_flight <= 0:
                    break
            time.sleep(0.02)  # postings on the loop finishing, then their bookkeeping
        own_bookkeeping = self.dialogue is None or self._bookkeeping is not self.dialogue.writer
        for pool in (*self._lane_pools.values(), self._workers, self._senders,
                     self._bookkeeping if own_bookkeeping else None):
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=False)
        self._thread = self._beat = None

    def _sends_at_once(self, conversation: str) -> bool:
        """Whether a reply of ``conversation`` may be written claimed by this process: it
        serves the conversation and is running (``Dialogue.sends_at_once``)."""
        return not self._stop.is_set() and self._transport(conversation) is not None

    def wake(self) -> None:
        """Something was committed: look now rather than at the next poll (thread-safe)."""
        self._wake.set()

    def observe(self, inbound: Inbound, outcome: Outcome) -> None:
        """A turn committed (a Dialogue observer): start its jobs, send its replies."""
        if self._workers is None or self._senders is None or self._stop.is_set():
            return
        for job in outcome.jobs:
            self._submit_job(job)
        if outcome.replies and not outcome.stored:
            parcel = Parcel(inbound.conversation, list(outcome.replies), "reply",
                            inbound.user_id, inbound.address or {}, None, None)
            self._senders.submit(self._send_unstored, parcel)
        elif outcome.claimed:
            self._send_at_once(outcome, inbound.conversation, inbound.user_id, inbound.address)
        elif outcome.message_id is not None and not self._holds(inbound.conversation):
            # Queued behind another: when this process is sending that one, it takes this next
            # in the transaction that marks that one sent, so there is nothing to look for.
            self.wake()

    def _holds(self, conversation: str) -> bool:
        """Whether this process is sending a message of ``conversation`` now."""
        with self._lock:
            return conversation in self._sending.values()

    def _send_at_once(self, outcome: Outcome, conversation: str, actor: str | None,
                      address: dict[str, Any] | None) -> None:
        """A reply written already claimed by this process (the head of its queue): sent now
        from memory, then its conversation drained as usual."""
        assert outcome.message_id is not None
        claim = _Claim(Parcel(conversation, list(outcome.replies), "reply", actor,
                              address or {}, outcome.case_id, outcome.message_id))
        with self._lock:
            self._sending[outcome.message_id] = conversation
        self._dispatch(claim)

    def _dispatch(self, claim: _Claim) -> None:
        """Send a claimed message: on the event loop for a transport that posts there (no
        sender thread waits on it), else in a sender thread."""
        transport = self._transport(claim.parcel.conversation)
        if transport is not None and getattr(transport, "posts_on_loop", False) \
                and self._loop is not None and self._bookkeeping is not None:
            self._post_on_loop(claim, transport)
        elif self._senders is not None:
            self._senders.submit(self._drain_task, claim.parcel.conversation, claim)

    def _post_on_loop(self, claim: _Claim, transport: Transport) -> None:
        """Prepare the posting here (never on the loop: a transport may read the database to
        know where it goes), run it on the loop, and hand what happened to the bookkeeping
        thread, which marks it sent and takes the conversation's next message.

        Why not a sender thread waiting on the loop, as the general path does: measured under
        load, the threads handing each message to the loop and back (and each opening its own
        SQLite connection, whose cache every turn's commit invalidates) cost more CPU per turn
        than the posting itself."""
        assert self._loop is not None
        with self._lock:
            self._in_flight += 1
        try:
            posting = transport.deliver(claim.parcel) if claim.parcel.replies else None
        except Exception as problem:
            self._posted(claim, problem)
            return
        if posting is None or not isawaitable(posting):
            self._posted(claim, None)
            return
        future = asyncio.run_coroutine_threadsafe(
            _within(posting, self.send_timeout_s), self._loop)

        def done(finished: Future[None]) -> None:
            self._posted(claim, TimeoutError("cancelled") if finished.cancelled()
                         else finished.exception())

        future.add_done_callback(done)

    def _posted(self, claim: _Claim, problem: BaseException | None) -> None:
        """A posting ended (``problem`` None: sent): noted for the bookkeeping thread, which
        handles every posting that ended meanwhile in one transaction (under load, marks
        queue behind the turns on the writer thread and go in batches)."""
        assert self._bookkeeping is not None
        with self._lock:
            self._ended.append((claim, problem))
            if self._flushing:
                return
            self._flushing = True
        self._bookkeeping.submit(self._flush)

    def _flush(self) -> None:
        """In the bookkeeping thread: mark what was sent and take each conversation's next
        message, in one transaction; give back what failed."""
        with self._lock:
            ended, self._ended, self._flushing = self._ended, [], False
        sent = [claim for claim, problem in ended if problem is None]
        taken: list[outbox.OutboxRecord] = []
        try:
            if sent:
                now = self.clock()
                with self.store.transaction(durable=False) as tx:
                    for claim in sent:
                        assert claim.parcel.message_id is not None
                        outbox.mark_sent(tx, claim.parcel.message_id, owner=self.owner,
                                         at=_iso(now))
                        record = None if self._stop.is_set() else outbox.claim_head(
                            tx, claim.parcel.conversation, owner=self.owner, now=_iso(now),
                            lease_until=_iso(now + self.lease), recipient=self.recipient)
                        if record is not None:
                            taken.append(record)
            for claim, problem in ended:
                if problem is not None:
                    self._failed(claim, problem)
        except Exception:
            log.exception("delivery bookkeeping failed; what was sent is sent again after its "
                          "lease")
        finally:
            with self._lock:
                for claim, _ in ended:
                    self._sending.pop(claim.parcel.message_id or 0, None)
                for record in taken:
                    self._sending[record.id] = record.conversation
                self._in_flight -= len(ended)
        for record in taken:
            transport = self._transport(record.conversation)
            if transport is not None:
                self._dispatch(_Claim(self._parcel(record, transport), record.attempts,
                                      record.progress))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            self._pass_started = time.monotonic()
            try:
                self._pass()
            except Exception as problem:
                self._last_error = type(problem).__name__
                log.exception("delivery pass failed; trying again in %s s", self.poll_s)
            else:
                self._last_error = ""
            self._last_pass, self._pass_started = time.monotonic(), None
            self._wake.wait(self.poll_s)

    def _pass(self) -> None:
        prefixes, exact = self._served()
        if (prefixes, exact) != self._last_served:
            # A transport started sending here (a standby took over the WeCom smart bot's
            # connection from a process that died): what that process held is let go now, not
            # at the next check, up to ten seconds on.
            self._last_served = (prefixes, exact)
            self._dead_checked = 0.0
        if time.monotonic() - self._dead_checked > DEAD_CLAIMS_EVERY_S:
            self._dead_checked = time.monotonic()
            self.release_dead_claims()
        with self.store.snapshot() as tx:
            due = outbox.due_conversations(tx, now=_iso(self.clock()), prefixes=prefixes,
                                           conversations=exact, recipient=self.recipient)
        for conversation in due:
            self._start_drain(conversation)
        if self.dialogue is not None:
            self._take_over_jobs((*prefixes, *exact))  # an exact key is its own prefix

    def _start_drain(self, conversation: str) -> None:
        with self._lock:
            if conversation in self._active:
                self._again.add(conversation)  # its drain looks once more before it ends
                return
            if len(self._active) >= self.concurrency or self._senders is None:
                return  # the next pass
            self._active.add(conversation)
        self._senders.submit(self._drain_task, conversation)

    def _drain_task(self, conversation: str, claimed: _Claim | None = None) -> None:
        """Drain one conversation (``claimed``: its head, already claimed, sent first). A
        drain of it already running here (``_active``) is told to look once more instead."""
        if claimed is not None:
            with self._lock:
                running = conversation in self._active
                self._active.add(conversation)
            if running:  # that drain sends ours once it reaches it; it is ours: send it now
                self._drain(conversation, DeliveryReport(), claimed)
                return
        while True:
            try:
                self._drain(conversation, DeliveryReport(), claimed)
            except Exception:
                log.exception("delivering to %s failed", conversation)
            claimed = None
            with self._lock:
                if conversation in self._again and not self._stop.is_set():
                    self._again.discard(conversation)
                    continue
                self._active.discard(conversation)
                return

    # -- one pass in the caller's thread (a terminal between lines, the scheduler's tests) ----
    def deliver_due(self) -> DeliveryReport:
        """Send everything due now, conversation by conversation, in this thread."""
        report = DeliveryReport()
        prefixes, exact = self._served()
        if not prefixes and not exact:
            return report
        with self.store.snapshot() as tx:
            due = outbox.due_conversations(tx, now=_iso(self.clock()), prefixes=prefixes,
                                           conversations=exact, recipient=self.recipient)
        for conversation in due:
            self._drain(conversation, report)
        return report

    # -- one conversation ---------------------------------------------------------------------
    def _drain(self, conversation: str, report: DeliveryReport,
               claimed: _Claim | None = None) -> None:
        """Send the claimed head; mark it sent and claim the next in one transaction."""
        transport = self._transport(conversation)
        if transport is None:
            return
        sent: int | None = None
        while True:
            if claimed is None:
                now = self.clock()
                with self.store.transaction(durable=False) as tx:
                    if sent is not None:
                        outbox.mark_sent(tx, sent, owner=self.owner, at=_iso(now))
                        report.delivered += 1
                    record = outbox.claim_head(tx, conversation, owner=self.owner,
                                               now=_iso(now), lease_until=_iso(now + self.lease),
                                               recipient=self.recipient)
                with self._lock:
                    self._sending.pop(sent or 0, None)
                    if record is not None:
                        self._sending[record.id] = record.conversation
                if record is None:
                    return
                claimed = _Claim(self._parcel(record, transport), record.attempts,
                                 record.progress)
            message_id = claimed.parcel.message_id
            assert message_id is not None
            if not self._send(claimed, transport):
                with self._lock:
                    self._sending.pop(message_id, None)
                report.failed += 1
                return
            sent, claimed = message_id, None

    def _parcel(self, record: outbox.OutboxRecord, transport: Transport) -> Parcel:
        replies = from_rows(record.replies)[record.progress:]
        if replies and record.mention_user_id and record.progress == 0:
            mention = transport.mention(record.mention_user_id, record.mention_name or "")
            replies[0] = replies[0].model_copy(update={"text": f"{mention} {replies[0].text}"})
        return Parcel(record.conversation, replies, record.purpose, record.actor,
                      record.address or {}, record.case_id, record.id)

    def _send(self, claimed: _Claim, transport: Transport) -> bool:
        try:
            if claimed.parcel.replies:
                self._call(transport, claimed.parcel)
        except Exception as problem:
            self._failed(claimed, problem)
            return False
        return True

    def _failed(self, claimed: _Claim, problem: BaseException) -> None:
        parcel = claimed.parcel
        if isinstance(problem, NotNow):
            log.warning("%s did not take message %s for now: %s", parcel.conversation,
                        parcel.message_id, problem.reason)
            self._give_back(claimed, problem.reason, claimed.progress + problem.sent)
            return
        # The reason by type only: a platform error may quote what we tried to send.
        log.warning("delivering message %s to %s failed: %s", parcel.message_id,
                    parcel.conversation, type(problem).__name__)
        self._give_back(claimed, type(problem).__name__, None)

    def _call(self, transport: Transport, parcel: Parcel) -> None:
        result = transport.deliver(parcel)
        if not isawaitable(result):
            return
        if self._loop is None:
            raise RuntimeError("an async transport without an event loop (bind_loop)")
        awaited: Awaitable[None] = result

        async def call() -> None:
            await awaited

        future = asyncio.run_coroutine_threadsafe(call(), self._loop)
        try:
            future.result(timeout=self.send_timeout_s)
        except TimeoutError:
            future.cancel()
            raise

    def _send_unstored(self, parcel: Parcel) -> None:
        """Replies the database could not hold (it refuses writes): sent once, directly."""
        transport = self._transport(parcel.conversation)
        if transport is None:
            return
        try:
            self._call(transport, parcel)
        except Exception as problem:
            log.warning("replies for %s (not stored) not sent: %s", parcel.conversation,
                        type(problem).__name__)

    def _give_back(self, claimed: _Claim, error: str, progress: int | None) -> None:
        parcel = claimed.parcel
        assert parcel.message_id is not None
        now = self.clock()
        retry_at = None
        if claimed.attempts < self.max_attempts:
            retry_at = _iso(now + timedelta(seconds=retry_delay(claimed.attempts)))
        with self.store.transaction(durable=False) as tx:
            marked = outbox.mark_failed(tx, parcel.message_id, owner=self.owner, error=error,
                                        retry_at=retry_at, progress=progress)
            told = [] if retry_at or not marked else undelivered.tell_admins(
                tx, message_id=parcel.message_id, conversation=parcel.conversation,
                case_id=parcel.case_id, attempts=claimed.attempts, error=error,
                admins=self.admins, at=_iso(now))
        if retry_at or not marked:
            return
        # Once: only the process whose claim marked it failed gets here. Ids only: the text
        # may hold personal data.
        log.error("gave up on message %s for %s (case %s) after %d attempts (%s); admins told "
                  "in %s", parcel.message_id, parcel.conversation, parcel.case_id,
                  claimed.attempts, error,
                  told or "no conversation (set ESIGNBOT_ADMINS and start a case there)")
        if self.on_give_up is not None:
            self.on_give_up()

    # -- jobs -----------------------------------------------------------------------------
    def _submit_job(self, job: JobRecord) -> None:
        workers = self._workers
        if workers is None:
            return
        pool = self._lane_pools.get(job.kind, workers)
        with self._lock:
            self._running_jobs.add(job.id)
            if pool is not workers:
                self._in_lanes.add(job.id)
        pool.submit(self._run_job, job)

    def _run_job(self, job: JobRecord) -> None:
        assert self.dialogue is not None
        try:
            done = self.dialogue.finish_job(job)
            if done.claimed:
                self._send_at_once(done, job.conversation, job.actor, job.address)
            elif done.message_id is not None:
                self.wake()
        except Exception:
            log.exception("job %s could not be finished; it runs again after its lease", job.id)
        finally:
            with self._lock:
                self._running_jobs.discard(job.id)
                self._in_lanes.discard(job.id)
            self.wake()

    def _take_over_jobs(self, prefixes: tuple[str, ...]) -> None:
        """Jobs nobody holds any more (their process died), while a worker thread is free."""
        while True:
            with self._lock:
                if len(self._running_jobs - self._in_lanes) >= self._job_threads:
                    return
            now = self.clock()
            with self.store.snapshot() as tx:
                if not job_store.orphaned(tx, now=_iso(now), prefixes=prefixes):
                    return
            with self.store.transaction(durable=False) as tx:
                job = job_store.claim_job(tx, owner=self.owner, now=_iso(now),
                                          lease_until=_iso(now + self.lease), prefixes=prefixes)
            if job is None:
                return
            log.info("taking over job %s (%s) left by a process that ended", job.id, job.kind)
            self._submit_job(job)

    # -- leases -----------------------------------------------------------------------------
    def _renew_leases(self) -> None:
        # Every second, whatever the lease: a clock stepped forward (NTP) must not let another
        # process take a message this one is still sending.
        every = min(self.lease.total_seconds() / 4, 1.0)
        while not self._stop.wait(every):
            with self._lock:
                messages, jobs = sorted(self._sending), sorted(self._running_jobs)
            if not messages and not jobs:
                continue
            until = _iso(self.clock() + self.lease)
            try:
                with self.store.transaction(durable=False) as tx:
                    outbox.renew(tx, messages, owner=self.owner, until=until)
                    job_store.renew(tx, jobs, owner=self.owner, until=until)
            except Exception as problem:
                log.warning("leases not renewed: %s", type(problem).__name__)

    def release_dead_claims(self) -> int:
        """Claims held by processes of this host that no longer run (killed, crashed): run
        out now, so their messages and jobs go on at once rather than after the lease."""
        host = socket.gethostname()
        with self.store.snapshot() as tx:
            owners = outbox.holders(tx) | job_store.holders(tx)
        dead = []
        for owner in owners - {self.owner}:
            parts = owner.split(":")
            if len(parts) == 3 and parts[0] == host and parts[1].isdigit() \
                    and not _alive(int(parts[1])):
                dead.append(owner)
        if not dead:
            return 0
        with self.store.transaction(durable=False) as tx:
            released = outbox.release_claims_of(tx, dead) + job_store.release_claims_of(tx, dead)
        log.warning("released %d claim(s) of %d ended process(es)", released, len(dead))
        self.wake()
        return released

    def health(self) -> dict[str, Any]:
        """Whether the delivery thread runs and its passes finish, for ``/healthz``."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            return {"ok": False, "error": "the delivery thread is not running"}
        started = self._pass_started
        if started is not None and time.monotonic() - started > 300:
            return {"ok": False, "error": f"a pass has been running for "
                                          f"{time.monotonic() - started:.0f} s"}
        if self._last_error:
            return {"ok": False, "error": f"the last pass failed ({self._last_error})"}
        return {"ok": True}

