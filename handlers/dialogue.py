"""The dialogue engine: one ``Inbound`` in, a list of ``Reply`` out, one transaction per turn.

Why this shape: the engine never talks to a platform, so the same conversation runs in the
terminal, Slack and WeCom, and tests drive it without any of them. A turn reads the case inside
the store's write transaction, decides with the flow table, writes the answer, its history row
and the new position together, and commits before any reply is handed back; an adapter
therefore only acknowledges what is already on disk. Nothing in here raises to the caller: an
unexpected error rolls the turn back and becomes a one-line apology.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from handlers import core_commands as core
from handlers import flow
from handlers.catalogue import DEFAULT_LANG, normalise_lang, t
from handlers.commands import COMMANDS, Command, ParsedCommand, parse_command
from handlers.flow import FIELDS, Kind
from handlers.jobs import HELD_IN_MEMORY, JobContext, JobRunner, runners
from handlers.registry import ENGINE
from handlers.services import Services
from handlers.shapes import Inbound, Reply, from_rows, reply_rows
from handlers.turn import Later, Turn, option_labels
from handlers.validators import MAX_INPUT_CHARS
from storage import CaseStore, StoreTransaction, outbox
from storage.conversation_langs import remembered_lang
from storage.health import cannot_write
from storage.jobs import JobRecord, add_job, finish_job

log = logging.getLogger("esignbot.dialogue")

Clock = Callable[[], datetime]

# What runs each command, the hooks every answer runs, the questions features ask of their own,
# the shortcuts, the clicks and the input guards are registered by the features on their routers
# and read here from ``handlers.registry.ENGINE`` (``handlers.features`` includes them all): the
# engine imports no feature.

READ_ONLY = frozenset({Command.HELP, Command.STATUS})
"""Commands whose handler writes nothing: answered even when the database cannot be written."""

COMMANDS_WITH_ARGS = frozenset(spec.command for spec in COMMANDS if spec.takes_args)


TurnStatus = Literal["ok", "refused", "duplicate", "failed"]

JOB_LEASE = timedelta(minutes=3)
"""How long the process that wrote a job holds it before another may run it (it died)."""
CLAIM_LEASE = timedelta(seconds=60)
"""How long a reply written already claimed is this process's to send (the runtime renews it
every second while the send runs)."""


@dataclass(slots=True)
class Outcome:
    """What one input produced, committed: its replies (also written to the outbox, which is
    how they leave), and the jobs it left for after the commit."""

    replies: list[Reply]
    jobs: list[JobRecord] = field(default_factory=list)
    status: TurnStatus = "ok"
    """How the input went, for the shell's counts (``bot/web/metrics.py``): ``ok``; ``refused``
    (an answer or command turned down with its reason); ``duplicate`` (a platform's retry of an
    input already applied); ``failed`` (rolled back, answered with an apology)."""
    lang: str | None = None
    """The language the turn spoke (the case's, or the conversation's)."""
    message_id: int | None = None
    """The outbox row holding ``replies``; None when there are none, or when they could not be
    written (the database refuses writes): then they are sent directly (``stored`` False)."""
    claimed: bool = False
    """The row was written already claimed by this process, to be sent at once
    (:attr:`Dialogue.sends_at_once`)."""
    case_id: int | None = None

    @property
    def stored(self) -> bool:
        return self.message_id is not None or not self.replies


Observer = Callable[[Inbound, Outcome], None]
"""Told of every processed input and its outcome (the shell counts turns with it, and the
delivery runtime starts the turn's jobs and sends its replies)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def claim_owner() -> str:
    """How this process signs its claims on jobs and messages: host, process id and a nonce
    (a process id is reused), so a process on the same host can tell a claim's owner is gone
    (``bot.delivery.runtime`` ``release_dead_claims``)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class Dialogue:
    """The onboarding conversation over a :class:`CaseStore`."""

    def __init__(
        self,
        store: CaseStore,
        *,
        clock: Clock = _utc_now,
        default_lang: str = DEFAULT_LANG,
        services: Services | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.default_lang = normalise_lang(default_lang)
        self.services = services or Services()
        self.observers: list[Observer] = []
        """Called after each :meth:`process`; an observer that raises is logged, not felt."""
        self.job_runners: dict[str, JobRunner] = {}
        """Runners of the jobs an adapter leaves (``slack.file``: a shared file to fetch),
        beside those the features register (``handlers.jobs.runs``)."""
        self._held: dict[int, tuple[int, Later]] = {}
        """Closures of :data:`handlers.jobs.HELD_IN_MEMORY` jobs, by job id (with their pid)."""
        self._held_lock = threading.Lock()
        self._owner: tuple[int, str] | None = None
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="esignbot-writer")
        """The one thread an async adapter runs turns on (in arrival order), which the delivery
        runtime's bookkeeping (marking what was posted, taking the next message) shares.

        Why one: SQLite takes one writer at a time anyway; writes queued on one thread take no
        lock turns, keep one connection's page cache warm (every other connection's is dropped
        at each commit), and under load a mark waits behind the turns already queued instead of
        waking a thread of its own for each message (measured: per turn, a second writing thread
        cost more CPU in context switches than the write itself)."""
        self.sends_at_once: Callable[[str], bool] | None = None
        """Set by a running delivery runtime: whether it sends this conversation's messages.
        Then a reply nothing of its conversation waits before is written already claimed by
        this process, and handed to the runtime to send at once (no claim of its own)."""

    @property
    def owner(self) -> str:
        """This process, as it signs its claims on jobs and messages (new after a fork)."""
        pid = os.getpid()
        if self._owner is None or self._owner[0] != pid:
            self._owner = (pid, claim_owner())
        return self._owner[1]

    def process(self, inbound: Inbound) -> Outcome:
        """Apply one input and commit it with its replies and jobs; nothing is sent here."""
        return self._observed(inbound, self._process(inbound))

    def _observed(self, inbound: Inbound, outcome: Outcome) -> Outcome:
        for observe in self.observers:
            try:
                observe(inbound, outcome)
            except Exception:
                log.exception("turn observer failed")
        return outcome

    def _turn(self, tx: StoreTransaction, inbound: Inbound) -> Turn:
        return Turn(tx, inbound, self.clock().astimezone(UTC), default_lang=self.default_lang,
                    services=self.services, case_store=self.store, features=ENGINE)

    def _process(self, inbound: Inbound) -> Outcome:
        try:
            with self.store.transaction() as tx:
                turn = self._turn(tx, inbound)
                if inbound.event_id and not tx.claim_event(inbound.event_id, turn.now):
                    return Outcome([], status="duplicate")  # a retry of an input applied before
                started = turn.case
                replies = _route(turn)
                case = turn.case or started
                outcome = self._commit(tx, turn, replies, case.id if case else None)
                outcome.status = "refused" if any(r.kind == "error" for r in replies) else "ok"
                return outcome
        except Exception as problem:
            read = self._read_only(inbound) if cannot_write(problem) else None
            if read is not None:
                log.warning("turn in conversation %s answered without saving: the database "
                            "cannot be written (%s)", inbound.conversation, problem)
                return read
            # The transaction rolled back: nothing of this input was kept. Log where, not what
            # was typed (it may hold personal data).
            log.exception("turn failed in conversation %s", inbound.conversation)
            return self._apologise(inbound)

    def _commit(self, tx: StoreTransaction, turn: Turn, replies: list[Reply],
                case_id: int | None) -> Outcome:
        """Write the turn's replies and jobs in its transaction: what leaves, leaves from here."""
        msg = turn.msg
        return self._queue(tx, conversation=msg.conversation, case_id=case_id,
                           actor=msg.user_id, address=msg.address, lang=turn.lang,
                           now=turn.clock_now, replies=replies, jobs=turn.jobs,
                           held=turn.later, then=turn.then)

    def _queue(self, tx: StoreTransaction, *, conversation: str, case_id: int | None,
               actor: str | None, address: dict[str, Any] | None, lang: str, now: datetime,
               replies: list[Reply], jobs: Sequence[tuple[str, dict[str, Any]]] = (),
               held: Sequence[tuple[Later, str]] = (), then: Sequence[Reply] = ()) -> Outcome:
        """Jobs (``then`` follows the last one's replies) and replies, in ``tx``."""
        at = _iso(now)
        work: list[tuple[str, dict[str, Any], Later | None]] = [
            (kind, payload, None) for kind, payload in jobs]
        work += [(HELD_IN_MEMORY, {"what": what}, later) for later, what in held]
        written = []
        for index, (kind, payload, later) in enumerate(work):
            if then and index == len(work) - 1:
                payload = {**payload, "then": reply_rows(list(then))}
            job = add_job(tx, kind=kind, lang=lang, payload=payload, at=at, owner=self.owner,
                          lease_until=_iso(now + JOB_LEASE), conversation=conversation,
                          case_id=case_id, actor=actor, address=address)
            if later is not None:
                with self._held_lock:
                    self._held[job.id] = (os.getpid(), later)
            written.append(job)
        if then and not work:
            replies = [*replies, *then]
        if not replies:
            return Outcome(replies, written, lang=lang, case_id=case_id)
        at_once = self.sends_at_once is not None and self.sends_at_once(conversation)
        queued = outbox.add_replies(
            tx, conversation=conversation, case_id=case_id, actor=actor, address=address,
            replies=reply_rows(replies), at=at, claim_for=self.owner if at_once else None,
            lease_until=_iso(now + CLAIM_LEASE))
        return Outcome(replies, written, lang=lang, message_id=queued.id,
                       claimed=queued.claimed, case_id=case_id)

    def tell(self, inbound: Inbound, replies: list[Reply], *,
             jobs: Sequence[tuple[str, dict[str, Any]]] = (),
             held: Sequence[tuple[Later, str]] = (), case_id: int | None = None) -> Outcome:
        """What an adapter says or leaves about an input the engine does not apply (a key
        pasted in a channel, a shared file to fetch before its turn): its replies queued and
        its jobs written in one transaction — with the input's id claimed, when it has one, so
        a platform's retry does neither twice — then handed to the observers like a turn's.
        ``held``: work that must not be written down (a key check), as ``Turn.hold`` leaves it.
        Nothing is sent here: this is the same one way out."""
        try:
            with self.store.transaction() as tx:
                now = self.clock().astimezone(UTC)
                if inbound.event_id and not tx.claim_event(inbound.event_id, _iso(now)):
                    return Outcome([], status="duplicate")
                if case_id is None:
                    case = tx.active_case(inbound.conversation)
                    case_id = case.id if case is not None else None
                outcome = self._queue(
                    tx, conversation=inbound.conversation, case_id=case_id,
                    actor=inbound.user_id, address=inbound.address,
                    lang=self._lang(tx, inbound), now=now, replies=list(replies), jobs=jobs,
                    held=held)
        except Exception as problem:
            log.warning("could not queue what was said in %s (%s): sent directly",
                        inbound.conversation, type(problem).__name__)
            outcome = Outcome(list(replies), status="failed")
        return self._observed(inbound, outcome)

    def _lang(self, tx: StoreTransaction, inbound: Inbound) -> str:
        case = tx.active_case(inbound.conversation)
        return normalise_lang(case.lang if case else (
            inbound.lang or remembered_lang(tx, inbound.conversation) or self.default_lang))

    def _apologise(self, inbound: Inbound) -> Outcome:
        """The turn rolled back: its apology is queued in a transaction of its own (sent
        directly when even that cannot be written)."""
        apology = [self._apology(inbound.lang)]
        try:
            with self.store.transaction() as tx:
                outcome = self._queue(
                    tx, conversation=inbound.conversation, case_id=None, actor=inbound.user_id,
                    address=inbound.address, lang=inbound.lang or self.default_lang,
                    now=datetime.now(UTC), replies=apology)
        except Exception as problem:
            log.warning("apology not queued (%s): sent directly", type(problem).__name__)
            outcome = Outcome(apology)
        outcome.status = "failed"
        return outcome

    def _read_only(self, inbound: Inbound) -> Outcome | None:
        """A command that only reads (:data:`READ_ONLY`), answered from a snapshot after its
        turn could not be committed because the file refuses writes (a full disk): what a
        person asks to see needs no write, so ``status`` and ``help`` still answer while every
        answer is refused with the apology. None for any other input. Nothing is kept, the
        input's id neither (a platform's retry is answered again: a read twice is harmless);
        the replies cannot be queued either, so they are sent directly (``Outcome.stored``)."""
        try:
            with self.store.snapshot() as tx:
                turn = self._turn(tx, inbound.model_copy(update={"event_id": None}))
                command = read_command(turn)
                if command is None or command.command not in READ_ONLY:
                    return None
                replies = ENGINE.commands[command.command](turn, command.args)
                refused = any(reply.kind == "error" for reply in replies)
                return Outcome(replies, status="refused" if refused else "ok", lang=turn.lang)
        except Exception:
            log.exception("read-only answer failed in conversation %s", inbound.conversation)
            return None

    def run_job(self, job: JobRecord) -> tuple[list[Reply], int | None]:
        """Run one job: (its replies, the outbox row holding them); see :meth:`finish_job`."""
        done = self.finish_job(job)
        return done.replies, done.message_id

    def finish_job(self, job: JobRecord) -> Outcome:
        """Run one job and, in one transaction, mark it done and queue its replies (with the
        replies that were to follow it, ``then``); a failure becomes an apology, never a
        traceback. No replies when another process holds the job now (its run announces it)."""
        with self._held_lock:
            held = self._held.pop(job.id, None)
        error = None
        try:
            if held is not None and held[0] == os.getpid():
                replies = held[1]()
            else:
                runner = self.job_runners.get(job.kind) or runners().get(job.kind)
                if runner is None:
                    raise LookupError(f"no runner for job kind {job.kind!r}")
                replies = runner(JobContext(self.store, self.services, job, self.clock()))
            replies = [*replies, *from_rows(job.payload.get("then") or [])]
        except Exception as problem:
            log.exception("job %s (%s) failed", job.id, job.kind)
            replies, error = [self._apology(job.lang)], type(problem).__name__
        with self.store.transaction() as tx:
            now = datetime.now(UTC)  # bookkeeping: when it really finished
            if not finish_job(tx, job.id, owner=self.owner, at=_iso(now), error=error):
                return Outcome([])
            return self._queue(tx, conversation=job.conversation, case_id=job.case_id,
                               actor=job.actor, address=job.address, lang=job.lang, now=now,
                               replies=replies)

    def handle(self, inbound: Inbound) -> list[Reply]:
        """Process an input, run its jobs inline, and hand back everything they said (the
        terminal, tests): it prints them itself, so their outbox rows are marked sent."""
        outcome = self.process(inbound)
        replies = list(outcome.replies)
        sent = [outcome.message_id] if outcome.message_id is not None else []
        for job in outcome.jobs:
            more, message_id = self.run_job(job)
            replies += more
            sent += [message_id] if message_id is not None else []
        if sent:
            try:
                with self.store.transaction() as tx:
                    outbox.mark_sent_inline(tx, sent, at=_iso(datetime.now(UTC)))
            except Exception as problem:
                log.warning("printed replies not marked sent (%s)", type(problem).__name__)
        return replies

    def run_or_apologise(self, work: Later, lang: str | None = None) -> list[Reply]:
        """Run ``work`` here; a failure becomes an apology, never a traceback."""
        try:
            return work()
        except Exception:
            log.exception("work for an adapter failed")
            return [self._apology(lang)]

    def _apology(self, lang: str | None) -> Reply:
        return Reply(kind="error", text=t("err.internal", normalise_lang(lang or self.default_lang)),
                     private=True)


def _route(turn: Turn) -> list[Reply]:
    msg = turn.msg
    for guard in ENGINE.input_guards:  # an API key in the text: nothing is stored
        guarded = guard(turn)
        if guarded is not None:
            return guarded
    if len(msg.text) > MAX_INPUT_CHARS:
        again = turn.reask() if turn.case is not None and turn.current_step() is not None else []
        return [turn.error("err.input_too_long", length=len(msg.text), max=MAX_INPUT_CHARS),
                *again]
    command = read_command(turn)
    if turn.case is None:
        replies = _without_case(turn, command)
    elif (pending := ENGINE.confirmations.get(turn.case.pending_confirm or "")) is not None:
        if _is_resume(command):
            replies = _resume(turn)
        elif pending.answers(turn, command):
            replies = pending.confirm(turn, command)
        else:  # not an answer to it: the question lapses, and the input goes on as usual
            replies = pending.lapse(turn)
            turn.reload_case()
            replies += _dispatch(turn, command) if turn.case is not None else []
    else:
        replies = _dispatch(turn, command)
    turn.save_position()
    if msg.event_id and turn.case is not None:
        turn.tx.link_event(msg.event_id, turn.case.id)
    return replies


def _dispatch(turn: Turn, command: ParsedCommand | None) -> list[Reply]:
    """An input of a case with no question pending: a command, a click, or an answer."""
    if command is not None:
        return _command(turn, command)
    if turn.msg.action is not None:
        return _action(turn)
    return _answer_current(turn)


def read_command(turn: Turn) -> ParsedCommand | None:
    """The command this input is, or None when it is an answer (or a click, or a file).

    One rule (``handlers.commands``), plus the one clause that needs the conversation: at a
    choice question, a line naming one of the options it offers, by number, value, alias or
    label, is that answer (``email`` at "how will you get the app ID?"), since the question
    put that word in front of the person; ``/email`` with its slash is the command. While a
    confirmation waits, its own ``answers`` decide instead."""
    msg = turn.msg
    if msg.action is not None or msg.file is not None:
        return None
    command = parse_command(msg.text)
    if command is None or msg.text.lstrip()[:1] in {"/", "／"} or turn.case is None \
            or turn.case.pending_confirm in ENGINE.confirmations:
        return command
    step = turn.current_step()
    field = FIELDS[step.fields[0]] if step is not None else None
    if field is not None and field.kind is Kind.CHOICE \
            and flow.match_option(field, msg.text, option_labels) is not None:
        return None
    return command


def _is_resume(command: ParsedCommand | None) -> bool:
    return command is not None and command.command is Command.START and not command.args


def _resume(turn: Turn) -> list[Reply]:
    """``start`` while a question such as "are you sure?" waits: the greeting of a resumed
    case, not an answer to that question. A question a feature registered with
    ``Router.resume`` is asked again after the greeting; any other lapses, nothing having
    happened (a cancel or an email not confirmed is neither)."""
    case = turn.require_case()
    again = ENGINE.resume_pending.get(case.pending_confirm or "")
    if again is None:
        turn.set_pending(None)
    replies = core.cmd_start(turn, "")
    return [*replies, *again(turn)] if again is not None else replies


def _without_case(turn: Turn, command: ParsedCommand | None) -> list[Reply]:
    if command is not None and command.command is Command.HELP:
        return [core.help_reply(turn)]
    if command is not None and command.command is Command.STATUS and command.args:
        return _command(turn, command)  # "status all" (admins) needs no case here
    if command is not None and command.command is Command.LANG:
        return core.cmd_lang(turn, command.args)  # kept for the conversation (issue 26)
    if command is None or command.command is not Command.START:
        return [turn.error("err.no_case")]
    return core.start_case(turn, command.args)


def _command(turn: Turn, command: ParsedCommand) -> list[Reply]:
    handler = ENGINE.commands.get(command.command)
    if handler is None:
        return [turn.error("err.not_available", command=command.word), *turn.reask()]
    if command.args and command.command not in COMMANDS_WITH_ARGS:
        return [turn.error("err.args_unexpected", command=command.word)]
    return handler(turn, command.args)


def run_command_text(turn: Turn, text: str) -> list[Reply]:
    """Apply ``text`` as a command this turn's person typed, within this turn (a button that
    stands for a command, e.g. confirming a mail finding runs ``review …``); handed to every
    click handler (``Router.action``)."""
    command = parse_command(text)
    if command is None:
        return [turn.error("err.not_available", command=text.split(maxsplit=1)[0] if text else "")]
    return _command(turn, command)


def _action(turn: Turn) -> list[Reply]:
    action = turn.msg.action
    assert action is not None
    prefix, colon, target = action.step.partition(":")
    handler = ENGINE.actions.get(prefix) if colon else None
    if handler is not None:
        return handler(turn, target, action.value, run_command_text)
    step = turn.current_step()
    if step is None or action.step != step.name:
        question = turn.t(step.question_key) if step else turn.t("help.next_done")
        return [turn.error("err.stale_button", question=question)]
    return turn.answer(step, step.fields, action.value)


def _answer_current(turn: Turn) -> list[Reply]:
    step = turn.current_step()
    if step is None:
        return [turn.reply("done", "help.next_done"), turn.reply("info", "ui.unknown_command_hint")]
    for shortcut in ENGINE.answer_shortcuts:
        taken = shortcut(turn, step)
        if taken is not None:
            return taken
    return turn.answer(step, step.fields, turn.msg.text)
