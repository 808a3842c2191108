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
from handlers.commands import Command, ParsedCommand, parse_command
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

COMMANDS_WITH_ARGS = frozenset({Command.START, Command.EDIT, Command.LANG, Command.EMAIL,
                                Command.STATUS, Command.REVIEW, Command.CHECK})

ANSWER_HOOKS: tuple[AnswerHook, ...] = (reviews.on_answer, files.offer_workbook,
                                       licence_check.on_answer)
"""Run after every stored answer, inside the same transaction (a feature reacts to an answer
here, e.g. starting a wait when the team says a step was submitted)."""

ConfirmHandler = Callable[[Turn, ParsedCommand | None], list[Reply]]
CONFIRM_HANDLERS: Mapping[str, ConfirmHandler] = MappingProxyType({
    core.CONFIRM_STEP: core.confirm_cancel,
    files.EMAIL_CONFIRM_STEP: files.confirm_email,
    **dict.fromkeys(reviews.REASON_STEPS.values(), reviews.confirm_reason),
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
                return Outcome(replies, turn.later, "refused" if refused else "ok")
        except Exception:
            # The transaction rolled back: nothing of this input was kept. Log where, not what
            # was typed (it may hold personal data).
            log.exception("turn failed in conversation %s", inbound.conversation)
            return Outcome([self._apology(inbound.lang)], status="failed")

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
            replies += self.run_later(later, inbound.lang)
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
    command = parse_command(msg.text) if msg.action is None and msg.file is None else None
    if command is not None and _names_an_option(turn, msg.text):
        command = None  # "email" at "how will you get the app ID?" is the answer, not `email`
    if turn.case is None:
        replies = _without_case(turn, command)
    elif (confirm := CONFIRM_HANDLERS.get(turn.case.pending_confirm or "")) is not None:
        replies = _resume(turn) if _is_resume(command) else confirm(turn, command)
    elif command is not None:
        replies = _command(turn, command)
    elif msg.action is not None:
        replies = _action(turn)
    else:
        replies = _answer_current(turn)
    turn.save_position()
    if msg.event_id and turn.case is not None:
        turn.tx.link_event(msg.event_id, turn.case.id)
    return replies


def _names_an_option(turn: Turn, text: str) -> bool:
    """Whether ``text``, typed without a slash, is one of the current choice question's
    options (by value, alias or label): an option word that is also a command word (``email``,
    ``邮件``, ``excel``) answers the question it was offered for; ``/email`` stays the command."""
    if turn.case is None or text.lstrip().startswith("/"):
        return False
    step = turn.current_step()
    if step is None:
        return False
    field = FIELDS[step.fields[0]]
    return field.kind is Kind.CHOICE and flow.match_option(field, text, option_labels) is not None


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
    return turn.answer(step, step.fields, turn.msg.text)
