"""Where features plug into the engine: the commands, answer hooks, questions of their own,
clicks and sentences each one adds, registered on the feature's :class:`Router`.

Why routers (aiogram's ``Router`` and ``include_router``, bolt's listeners): the engine
(``handlers.dialogue`` and ``handlers.turn``) used to import every feature to list it in its
tables, so a feature was added by editing the engine, and the engine could not be read, or
driven, without all of them. Now a feature registers what it adds on a router of its own, with a
decorator beside each function (``@router.command(Command.REVIEW)``), as it registers the jobs it
leaves (``handlers.jobs.runs``). One module, ``handlers.features``, includes every feature's
router in :data:`ENGINE`, in the order their hooks run; the engine reads :data:`ENGINE` and
imports no feature (``tests/test_layout.py`` fails if it does).

A change made outside any input — a credential check that proves the app ID or the keys, a
review result recorded on evidence — comes in by the same door as an answer: :func:`turn_for_case`
lends it a ``Turn`` of the case wired with every feature's hooks, and ``Turn.store``
(``handlers.turn.apply_answer``) writes the answer with everything that follows from it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, TypeVar

from handlers.commands import Command, ParsedCommand
from handlers.flow import Step
from handlers.services import Services
from handlers.shapes import Inbound, Reply, reply_rows
from handlers.turn import AnswerHook, ChoiceCheck, Closing, Turn
from storage import CaseStore, StoreTransaction
from storage.jobs import JobRecord, add_job

log = logging.getLogger("esignbot.registry")

CommandHandler = Callable[[Turn, str], list[Reply]]
"""Runs a command: called with (turn, the words after the command)."""
ConfirmHandler = Callable[[Turn, ParsedCommand | None], list[Reply]]
ResumeHandler = Callable[[Turn], list[Reply]]
AnswerShortcut = Callable[[Turn, Step], list[Reply] | None]
"""Asked before a typed answer goes to the current question; replies when it took the answer."""
CommandRunner = Callable[[Turn, str], list[Reply]]
"""Applies a command line as if this turn's person had typed it (the engine's, passed to clicks)."""
ActionHandler = Callable[[Turn, str, str, CommandRunner], list[Reply]]
"""A click on a message that is not the current question: (turn, id, value, run a command)."""
InputGuard = Callable[[Turn], list[Reply] | None]
"""Looks at every input before anything of it is stored; replies when it took the input (an
API key pasted into the conversation is never an answer)."""
HelpLine = Callable[[Turn], str]
"""A line a feature adds to ``help``."""
StatusLines = Callable[[Turn], list[str]]
"""Lines a feature adds to ``status``, before its last line (what to do next)."""

_Command = TypeVar("_Command", bound=CommandHandler)
_Hook = TypeVar("_Hook", bound=AnswerHook)
_Check = TypeVar("_Check", bound=ChoiceCheck)
_Shortcut = TypeVar("_Shortcut", bound=AnswerShortcut)
_Confirm = TypeVar("_Confirm", bound=ConfirmHandler)
_Resume = TypeVar("_Resume", bound=ResumeHandler)
_Action = TypeVar("_Action", bound=ActionHandler)
_Guard = TypeVar("_Guard", bound=InputGuard)
_HelpLine = TypeVar("_HelpLine", bound=HelpLine)
_StatusLines = TypeVar("_StatusLines", bound=StatusLines)
_Closing = TypeVar("_Closing", bound=Closing)
_K = TypeVar("_K")
_V = TypeVar("_V")


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


@dataclass(frozen=True, slots=True)
class _Tables:
    """Everything a router and the routers it includes registered, merged in include order."""

    commands: Mapping[Command, CommandHandler]
    answer_hooks: tuple[AnswerHook, ...]
    choice_checks: tuple[ChoiceCheck, ...]
    answer_shortcuts: tuple[AnswerShortcut, ...]
    input_guards: tuple[InputGuard, ...]
    confirmations: Mapping[str, Confirmation]
    resume_pending: Mapping[str, ResumeHandler]
    actions: Mapping[str, ActionHandler]
    help_lines: tuple[HelpLine, ...]
    status_lines: tuple[StatusLines, ...]
    closing: Closing | None


class Router:
    """What one feature adds to the conversation, or (:data:`ENGINE`) what they all add.

    A feature makes one (``router = Router("reviews")``) and registers with its decorators;
    ``include`` puts routers under this one, and the tables read here are this router's and
    those of every router under it, in the order they were included. Two handlers for one
    command, one confirmation step, one click prefix — or two closings — stop the include (or
    the registration) with ``ValueError``: a feature never silently replaces another's."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._commands: dict[Command, CommandHandler] = {}
        self._answer_hooks: list[AnswerHook] = []
        self._choice_checks: list[ChoiceCheck] = []
        self._answer_shortcuts: list[AnswerShortcut] = []
        self._input_guards: list[InputGuard] = []
        self._confirmations: dict[str, Confirmation] = {}
        self._resume_pending: dict[str, ResumeHandler] = {}
        self._actions: dict[str, ActionHandler] = {}
        self._help_lines: list[HelpLine] = []
        self._status_lines: list[StatusLines] = []
        self._closing: Closing | None = None
        self._children: list[Router] = []
        self._parent: Router | None = None
        self._tables: _Tables | None = None

    def __repr__(self) -> str:
        return f"Router({self.name!r})"

    # -- registering ------------------------------------------------------------------------
    def command(self, *commands: Command) -> Callable[[_Command], _Command]:
        """Run the decorated ``(turn, args) -> replies`` for these commands."""
        def register(handler: _Command) -> _Command:
            entry: CommandHandler = handler
            self._put(self._commands, commands, entry, "command")
            return handler
        return register

    def answer_hook(self, hook: _Hook) -> _Hook:
        """Called with (turn, step, field, value) after every stored answer, in the same
        transaction, wherever the answer came from (a turn, or a change made outside one)."""
        self._change(lambda: self._answer_hooks.append(hook), self._answer_hooks.pop)
        return hook

    def choice_check(self, check: _Check) -> _Check:
        """Called with (turn, step, field, value) for a chosen option before anything of the
        answer is written; raises ``Invalid`` to refuse it."""
        self._change(lambda: self._choice_checks.append(check), self._choice_checks.pop)
        return check

    def answer_shortcut(self, shortcut: _Shortcut) -> _Shortcut:
        self._change(lambda: self._answer_shortcuts.append(shortcut), self._answer_shortcuts.pop)
        return shortcut

    def input_guard(self, guard: _Guard) -> _Guard:
        self._change(lambda: self._input_guards.append(guard), self._input_guards.pop)
        return guard

    def confirmation(self, *steps: str, answers: Callable[[Turn, ParsedCommand | None], bool],
                     lapse: Callable[[Turn], list[Reply]]) -> Callable[[_Confirm], _Confirm]:
        """The decorated function confirms what the feature asked with ``pending_confirm`` set
        to one of ``steps`` (see :class:`Confirmation`)."""
        def register(confirm: _Confirm) -> _Confirm:
            self._put(self._confirmations, steps, Confirmation(answers, confirm, lapse),
                      "confirmation")
            return confirm
        return register

    def resume(self, *steps: str) -> Callable[[_Resume], _Resume]:
        """What ``start`` does with one of these questions left unanswered: asks it again after
        the greeting (by default it lapses, nothing having happened)."""
        def register(again: _Resume) -> _Resume:
            entry: ResumeHandler = again
            self._put(self._resume_pending, steps, entry, "resumed question")
            return again
        return register

    def action(self, prefix: str) -> Callable[[_Action], _Action]:
        """Clicks on messages whose step is ``<prefix>:<id>`` (``mail:7``, a finding)."""
        def register(handler: _Action) -> _Action:
            entry: ActionHandler = handler
            self._put(self._actions, (prefix,), entry, "click prefix")
            return handler
        return register

    def help_line(self, line: _HelpLine) -> _HelpLine:
        self._change(lambda: self._help_lines.append(line), self._help_lines.pop)
        return line

    def status_part(self, lines: _StatusLines) -> _StatusLines:
        """Lines the feature adds to ``status`` (shown after the waits, before what is next)."""
        self._change(lambda: self._status_lines.append(lines), self._status_lines.pop)
        return lines

    def closing(self, closing: _Closing) -> _Closing:
        """What a case whose every step is done says (there is one)."""
        def undo() -> None:
            self._closing = None

        def do() -> None:
            if self._closing is not None and self._closing is not closing:
                raise ValueError(f"two closings in router {self.name!r}")
            self._closing = closing
        self._change(do, undo)
        return closing

    def include(self, *routers: Router) -> None:
        """Put ``routers`` under this one, after those already included (their hooks run
        after theirs). Including a router again changes nothing."""
        for router in routers:
            if router._parent is self:
                continue
            if router._parent is not None:
                raise ValueError(f"{router!r} is already included in {router._parent!r}")
            if any(node is router for node in self._root()._walk()):
                raise ValueError(f"{router!r} would include itself")
            self._attach(router)

    def _attach(self, router: Router) -> None:
        def do() -> None:
            router._parent = self
            self._children.append(router)
        self._change(do, lambda: self._undo_include(router))

    def remove(self, router: Router) -> None:
        """Take an included router out again (a test's probe)."""
        if router._parent is not self:
            raise ValueError(f"{router!r} is not included in {self!r}")
        self._undo_include(router)
        self._invalidate()

    def _undo_include(self, router: Router) -> None:
        self._children.remove(router)
        router._parent = None

    def _put(self, table: dict[_K, _V], keys: tuple[_K, ...], value: _V, what: str) -> None:
        """Register ``value`` under each of ``keys`` in one of this router's tables."""
        taken = [key for key in keys if table.get(key, value) is not value]
        if taken:
            raise ValueError(f"two handlers for {what} {taken[0]!r} in router {self.name!r}")
        new = [key for key in keys if key not in table]

        def undo() -> None:
            for key in new:
                del table[key]
        self._change(lambda: table.update(dict.fromkeys(new, value)), undo)

    def _change(self, do: Callable[[], Any], undo: Callable[[], Any]) -> None:
        """Apply one registration and check the whole tree still holds one handler per key;
        a clash is undone and raised."""
        do()
        self._invalidate()
        try:
            self._root()._merged()
        except ValueError:
            undo()
            self._invalidate()
            raise

    # -- reading ------------------------------------------------------------------------------
    @property
    def commands(self) -> Mapping[Command, CommandHandler]:
        return self._merged().commands

    @property
    def answer_hooks(self) -> tuple[AnswerHook, ...]:
        return self._merged().answer_hooks

    @property
    def choice_checks(self) -> tuple[ChoiceCheck, ...]:
        return self._merged().choice_checks

    @property
    def answer_shortcuts(self) -> tuple[AnswerShortcut, ...]:
        return self._merged().answer_shortcuts

    @property
    def input_guards(self) -> tuple[InputGuard, ...]:
        return self._merged().input_guards

    @property
    def confirmations(self) -> Mapping[str, Confirmation]:
        return self._merged().confirmations

    @property
    def resume_pending(self) -> Mapping[str, ResumeHandler]:
        return self._merged().resume_pending

    @property
    def actions(self) -> Mapping[str, ActionHandler]:
        return self._merged().actions

    @property
    def help_lines(self) -> tuple[HelpLine, ...]:
        return self._merged().help_lines

    @property
    def status_parts(self) -> tuple[StatusLines, ...]:
        return self._merged().status_lines

    @property
    def closing_replies(self) -> Closing | None:
        return self._merged().closing

    def routers(self) -> tuple[Router, ...]:
        """This router and every router under it, in include order."""
        return tuple(self._walk())

    def _root(self) -> Router:
        node = self
        while node._parent is not None:
            node = node._parent
        return node

    def _walk(self) -> Iterator[Router]:
        yield self
        for child in self._children:
            yield from child._walk()

    def _invalidate(self) -> None:
        node: Router | None = self
        while node is not None:
            node._tables = None
            node = node._parent

    def _merged(self) -> _Tables:
        if self._tables is not None:
            return self._tables
        nodes = list(self._walk())
        closings = [n._closing for n in nodes if n._closing is not None]
        if len(closings) > 1:
            raise ValueError("two closings: " + ", ".join(n.name for n in nodes if n._closing))
        self._tables = _Tables(
            commands=_unique(nodes, "command", lambda n: n._commands),
            answer_hooks=tuple(h for n in nodes for h in n._answer_hooks),
            choice_checks=tuple(c for n in nodes for c in n._choice_checks),
            answer_shortcuts=tuple(s for n in nodes for s in n._answer_shortcuts),
            input_guards=tuple(g for n in nodes for g in n._input_guards),
            confirmations=_unique(nodes, "confirmation", lambda n: n._confirmations),
            resume_pending=_unique(nodes, "resumed question", lambda n: n._resume_pending),
            actions=_unique(nodes, "click prefix", lambda n: n._actions),
            help_lines=tuple(line for n in nodes for line in n._help_lines),
            status_lines=tuple(lines for n in nodes for lines in n._status_lines),
            closing=closings[0] if closings else None,
        )
        return self._tables


def _unique(nodes: list[Router], what: str,
            table: Callable[[Router], Mapping[_K, _V]]) -> Mapping[_K, _V]:
    merged: dict[_K, _V] = {}
    owner: dict[_K, Router] = {}
    for node in nodes:
        for key, value in table(node).items():
            if key in merged and merged[key] is not value:
                raise ValueError(f"two handlers for {what} {key!r}: "
                                 f"{owner[key].name} and {node.name}")
            merged[key], owner[key] = value, node
    return MappingProxyType(merged)


ENGINE = Router("engine")
"""The router the engine reads: ``handlers.features`` includes every feature's in it."""


# -- changes made outside any input -------------------------------------------------------------
OUTSIDE = "engine"
"""The ``platform`` of the input a :func:`turn_for_case` stands for (none came)."""


def turn_for_case(
    tx: StoreTransaction, case_id: int, *, by: str, at: str, by_name: str = "",
    services: Services | None = None, case_store: CaseStore | None = None,
    router: Router | None = None,
) -> Turn | None:
    """A ``Turn`` of the active case ``case_id`` for a change made outside any input, in the
    caller's transaction: ``by`` acts, at ``at`` (ISO time), with every feature's hooks
    (``router``, by default :data:`ENGINE`). None when the case is not active.

    Through it, an answer the bot records on evidence (an app ID that works ends the app
    review; a passing check answers ``key_check``) is written by ``Turn.store`` like any other:
    choice checks, history, dependants and stale answers cleared, notes, hooks and the stored
    position. What its hooks leave for later is written by :func:`leave_work`."""
    case = tx.case(case_id)
    if case is None or case.state != "active":
        return None
    msg = Inbound(platform=OUTSIDE, conversation=case.conversation, user_id=by,
                  user_name=by_name)
    turn = Turn(tx, msg, datetime.fromisoformat(at), default_lang=case.lang,
                services=services or Services(), case_store=case_store,
                features=router or ENGINE)
    return turn if turn.case is not None and turn.case.id == case_id else None


def leave_work(turn: Turn) -> list[JobRecord]:
    """Write the work a :func:`turn_for_case`'s hooks left (``turn.defer``) as jobs in its
    transaction, claimable at once by any process's delivery runtime (no turn commits them).
    Work that may not be written down (``turn.hold``) cannot outlive this call: it is logged
    and dropped — no hook holds such work today."""
    case = turn.require_case()
    jobs = []
    for index, (kind, payload) in enumerate(turn.jobs):
        if turn.then and index == len(turn.jobs) - 1:
            payload = {**payload, "then": reply_rows(turn.then)}
        jobs.append(add_job(turn.tx, kind=kind, lang=turn.lang, payload=payload, at=turn.now,
                            owner=OUTSIDE, lease_until=turn.now,
                            conversation=case.conversation, case_id=case.id,
                            actor=turn.msg.user_id, address=None))
    for _, what in turn.later:
        log.warning("work %r held by a hook outside a turn (case %s) was dropped", what, case.id)
    turn.jobs, turn.later, turn.then = [], [], []
    return jobs
