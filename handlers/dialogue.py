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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Literal

from handlers import core_commands as core
from handlers import flow
from handlers.catalogue import DEFAULT_LANG, normalise_lang, t
from handlers.commands import COMMANDS, Command, ParsedCommand, parse_command
from handlers.credentials import commands as credentials
from handlers.files import commands as files
from handlers.files import licence_check
from handlers.flow import FIELDS, Kind
from handlers.mail import findings
from handlers.reviews import commands as reviews
from handlers.services import Services
from handlers.shapes import Inbound, Reply
from handlers.turn import AnswerHook, ChoiceCheck, Later, Turn, option_labels
from handlers.validators import MAX_INPUT_CHARS
from storage import CaseStore
from storage.health import cannot_write

log = logging.getLogger("esignbot.dialogue")

Clock = Callable[[], datetime]
CommandHandler = Callable[[Turn, str], list[Reply]]

COMMAND_HANDLERS: Mapping[Command, CommandHandler] = MappingProxyType({
    Command.START: core.cmd_start,
    Command.HELP: lambda turn, args: [core.help_reply(turn)],
    Command.STATUS: reviews.cmd_status,
    Command.BACK: core.cmd_back,
    Command.SKIP: core.cmd_skip,
    Command.EDIT: core.cmd_edit,
    Command.CANCEL: core.cmd_cancel,
    Command.LANG: core.cmd_lang,
    Command.EXCEL: files.cmd_excel,
    Command.MATERIALS: files.cmd_materials,
    Command.EMAIL: files.cmd_email,
    Command.REVIEW: reviews.cmd_review,
    Command.CHECK: credentials.cmd_check,
    Command.SNIPPET: credentials.cmd_snippet,
})
"""Which function runs each command; a feature adds its command here."""

READ_ONLY = frozenset({Command.HELP, Command.STATUS})
"""Commands whose handler writes nothing: answered even when the database cannot be written."""

COMMANDS_WITH_ARGS = frozenset(spec.command for spec in COMMANDS if spec.takes_args)

ANSWER_HOOKS: tuple[AnswerHook, ...] = (reviews.on_answer, files.offer_workbook,
                                       licence_check.on_answer)
"""Run after every stored answer, inside the same transaction (a feature reacts to an answer
here, e.g. starting a wait when the team says a step was submitted)."""

ConfirmHandler = Callable[[Turn, ParsedCommand | None], list[Reply]]


@dataclass(frozen=True, slots=True)
class Confirmation:
    """A question a feature asked outside the flow ("cancel the case?", "send this email?",
    "what reason did Tencent give?") and set the case's ``pending_confirm`` for.

    Why three parts (python-telegram-bot's ConversationHandler and its fallbacks): only an
    input that ``answers`` the question goes to ``confirm``; anything else — a command, an
    answer to the flow's question, a click on another message — makes the question ``lapse``
    (said in a line, nothing else changed) and is then handled as if no question had waited,
    instead of being swallowed by it."""

    answers: Callable[[Turn, ParsedCommand | None], bool]
    confirm: ConfirmHandler
    lapse: Callable[[Turn], list[Reply]]


CONFIRMATIONS: Mapping[str, Confirmation] = MappingProxyType({
    core.CONFIRM_STEP: Confirmation(core.answers_cancel, core.confirm_cancel, core.cancel_lapses),
    files.EMAIL_CONFIRM_STEP: Confirmation(files.answers_email, files.confirm_email,
                                           files.email_lapses),
    **dict.fromkeys(reviews.REASON_STEPS.values(), Confirmation(
        reviews.answers_reason, reviews.confirm_reason, reviews.reason_lapses)),
})
"""Who takes the input after an "are you sure?" question: the feature that set the case's
``pending_confirm`` to that key (a feature adds its own here)."""

ResumeHandler = Callable[[Turn], list[Reply]]
RESUME_PENDING: Mapping[str, ResumeHandler] = MappingProxyType({
    **dict.fromkeys(reviews.REASON_STEPS.values(), reviews.reason_question),
})
"""What ``start`` (a console started again, someone coming back) does with a question left
unanswered: by default it lapses, nothing having happened (a cancel or an email not confirmed
is neither); one listed here is asked again after the greeting (a rejection's reason, without
which its announcement is not yet made)."""

CHOICE_CHECKS: tuple[ChoiceCheck, ...] = (reviews.guard_answer,)
"""Run on a chosen option before it is stored; one may refuse it with ``Invalid``."""

AnswerShortcut = Callable[[Turn, flow.Step], list[Reply] | None]
ANSWER_SHORTCUTS: tuple[AnswerShortcut, ...] = (reviews.app_id_at_status,)
"""Asked, in order, before a typed answer goes to the current question; one that returns
replies has taken the answer (the app ID pasted at the app-ID status question records the
approval it comes with)."""

ActionHandler = Callable[[Turn, str, str], list[Reply]]
ACTION_HANDLERS: Mapping[str, ActionHandler] = MappingProxyType({
    findings.STEP_PREFIX: lambda turn, target, value: findings.on_action(
        turn, target, value, run_command_text),
    licence_check.STEP_PREFIX: lambda turn, target, value: licence_check.on_action(
        turn, target, value, run_command_text),
})
"""Clicks on a message that is not the current question, by the prefix of their step
(``mail:<id>`` for a finding from Tencent's email): called with (turn, id, value)."""


TurnStatus = Literal["ok", "refused", "duplicate", "failed"]


@dataclass(slots=True)
class Outcome:
    """What one input produced: replies to send now (already committed), and slow work to run
    after the platform has been answered, each part of which returns further replies."""

    replies: list[Reply]
    later: list[Later] = field(default_factory=list)
    status: TurnStatus = "ok"
    """How the input went, for the shell's counts (``bot/web/metrics.py``): ``ok``; ``refused``
    (an answer or command turned down with its reason); ``duplicate`` (a platform's retry of an
    input already applied); ``failed`` (rolled back, answered with an apology)."""
    lang: str | None = None
    """The language the turn spoke (the case's, or the conversation's): what an apology for
    its slow work is said in."""


Observer = Callable[[Inbound, Outcome], None]
"""Told of every processed input and its outcome (the shell counts turns with it)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


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

    def process(self, inbound: Inbound) -> Outcome:
        """Apply one input and commit it; slow work (network calls) is returned, not run, so
        an adapter can answer its platform first and run it off the acknowledgement path."""
        outcome = self._process(inbound)
        for observe in self.observers:
            try:
                observe(inbound, outcome)
            except Exception:
                log.exception("turn observer failed")
        return outcome

    def _process(self, inbound: Inbound) -> Outcome:
        try:
            with self.store.transaction() as tx:
                turn = Turn(tx, inbound, self.clock().astimezone(UTC),
                            default_lang=self.default_lang, services=self.services,
                            answer_hooks=ANSWER_HOOKS, choice_checks=CHOICE_CHECKS,
                            case_store=self.store)
                if inbound.event_id and not tx.claim_event(inbound.event_id, turn.now):
                    return Outcome([], status="duplicate")  # a retry of an input applied before
                replies = _route(turn)
                refused = any(reply.kind == "error" for reply in replies)
                return Outcome(replies, turn.later, "refused" if refused else "ok", turn.lang)
        except Exception as problem:
            read = self._read_only(inbound) if cannot_write(problem) else None
            if read is not None:
                log.warning("turn in conversation %s answered without saving: the database "
                            "cannot be written (%s)", inbound.conversation, problem)
                return read
            # The transaction rolled back: nothing of this input was kept. Log where, not what
            # was typed (it may hold personal data).
            log.exception("turn failed in conversation %s", inbound.conversation)
            return Outcome([self._apology(inbound.lang)], status="failed")

    def _read_only(self, inbound: Inbound) -> Outcome | None:
        """A command that only reads (:data:`READ_ONLY`), answered from a snapshot after its
        turn could not be committed because the file refuses writes (a full disk): what a
        person asks to see needs no write, so ``status`` and ``help`` still answer while every
        answer is refused with the apology. None for any other input. Nothing is kept, the
        input's id neither (a platform's retry is answered again: a read twice is harmless)."""
        try:
            with self.store.snapshot() as tx:
                turn = Turn(tx, inbound.model_copy(update={"event_id": None}),
                            self.clock().astimezone(UTC), default_lang=self.default_lang,
                            services=self.services, answer_hooks=ANSWER_HOOKS,
                            choice_checks=CHOICE_CHECKS, case_store=self.store)
                command = read_command(turn)
                if command is None or command.command not in READ_ONLY:
                    return None
                replies = COMMAND_HANDLERS[command.command](turn, command.args)
                refused = any(reply.kind == "error" for reply in replies)
                return Outcome(replies, status="refused" if refused else "ok", lang=turn.lang)
        except Exception:
            log.exception("read-only answer failed in conversation %s", inbound.conversation)
            return None

    def run_later(self, later: Later, lang: str | None = None) -> list[Reply]:
        """Run one piece of deferred work; a failure becomes an apology, never a traceback."""
        try:
            return later()
        except Exception:
            log.exception("deferred work failed")
            return [self._apology(lang)]

    def handle(self, inbound: Inbound) -> list[Reply]:
        """Process an input and run its slow work inline (the terminal, tests)."""
        outcome = self.process(inbound)
        replies = list(outcome.replies)
        for later in outcome.later:
            replies += self.run_later(later, outcome.lang or inbound.lang)
        return replies

    def _apology(self, lang: str | None) -> Reply:
        return Reply(kind="error", text=t("err.internal", normalise_lang(lang or self.default_lang)),
                     private=True)


def _route(turn: Turn) -> list[Reply]:
    msg = turn.msg
    guarded = credentials.guard_secrets(turn)  # an API key in the text: nothing is stored
    if guarded is not None:
        return guarded
    if len(msg.text) > MAX_INPUT_CHARS:
        again = turn.reask() if turn.case is not None and turn.current_step() is not None else []
        return [turn.error("err.input_too_long", length=len(msg.text), max=MAX_INPUT_CHARS),
                *again]
    command = read_command(turn)
    if turn.case is None:
        replies = _without_case(turn, command)
    elif (pending := CONFIRMATIONS.get(turn.case.pending_confirm or "")) is not None:
        if _is_resume(command):
            replies = _resume(turn)
        elif pending.answers(turn, command):
            replies = pending.confirm(turn, command)
        else:  # not an answer to it: the question lapses, and the input goes on as usual
            replies = pending.lapse(turn)
            turn.case = turn.tx.case(turn.require_case().id)
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
            or turn.case.pending_confirm in CONFIRMATIONS:
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
    case, not an answer to that question."""
    case = turn.require_case()
    pending = case.pending_confirm or ""
    again = RESUME_PENDING.get(pending)
    if again is None:
        turn.tx.update_case(case.id, pending_confirm=None)
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
    handler = COMMAND_HANDLERS.get(command.command)
    if handler is None:
        return [turn.error("err.not_available", command=command.word), *turn.reask()]
    if command.args and command.command not in COMMANDS_WITH_ARGS:
        return [turn.error("err.args_unexpected", command=command.word)]
    return handler(turn, command.args)


def run_command_text(turn: Turn, text: str) -> list[Reply]:
    """Apply ``text`` as a command this turn's person typed, within this turn (a button that
    stands for a command, e.g. confirming a mail finding runs ``review …``)."""
    command = parse_command(text)
    if command is None:
        return [turn.error("err.not_available", command=text.split(maxsplit=1)[0] if text else "")]
    return _command(turn, command)


def _action(turn: Turn) -> list[Reply]:
    action = turn.msg.action
    assert action is not None
    prefix, colon, target = action.step.partition(":")
    handler = ACTION_HANDLERS.get(prefix) if colon else None
    if handler is not None:
        return handler(turn, target, action.value)
    step = turn.current_step()
    if step is None or action.step != step.name:
        question = turn.t(step.question_key) if step else turn.t("help.next_done")
        return [turn.error("err.stale_button", question=question)]
    return turn.answer(step, step.fields, action.value)


def _answer_current(turn: Turn) -> list[Reply]:
    step = turn.current_step()
    if step is None:
        return [turn.reply("done", "help.next_done"), turn.reply("info", "ui.unknown_command_hint")]
    for shortcut in ANSWER_SHORTCUTS:
        taken = shortcut(turn, step)
        if taken is not None:
            return taken
    return turn.answer(step, step.fields, turn.msg.text)
