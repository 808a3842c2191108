"""``Turn``: one input's view of its case, and the operations every command builds on.

Why a separate, public object: commands live in their own small modules (core commands here,
the workbook, the credential check, reviews in theirs), and each needs the same few things —
the case as read inside this turn's transaction, the language, who acted, asking a question,
storing an answer. Keeping those on one object means a new command is a function registered on
its feature's router (``handlers.registry``), not an edit of the engine.

Why one way in (issue 27): an answer is written by :func:`apply_answer` alone, whoever gives it —
a person's answer, ``edit``, ``skip``, a ``review`` result, or a change made outside any input (a
credential check that proves the app ID or the keys, through ``registry.turn_for_case``). Before,
those last two wrote the answer and the position themselves, and skipped what the first path
did: the focus they left behind asked an answered question again, and an answer a rejection
made stale stayed. A feature changes the case through the methods here too (``open_case``,
``focus_on``, ``set_pending``, ``close_case``, ``use_lang``), not by assigning the turn's fields.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from handlers import flow, privacy
from handlers.catalogue import has, labels, normalise_lang, t
from handlers.flow import FIELDS, Kind, Step
from handlers.render import (
    answer_label,
    display_value,
    field_label,
    option_label,
    progress_text,
    stage_title,
)
from handlers.services import Services
from handlers.shapes import MAX_UPLOAD_BYTES, Choice, Inbound, Reply, ReplyKind
from handlers.validators import TODAY, Invalid, image_mime
from storage import AnswerRecord, CaseRecord, CaseStore, StoreTransaction
from storage.conversation_langs import remember_lang, remembered_lang

if TYPE_CHECKING:
    from datetime import datetime

_NONE_WORDS = {"none", "no", "0", "无", "没有", "不需要"}
KEEP_WORDS = frozenset({"keep", "保持", "保留", "不变"})
"""Typed to a question asked again (``back``, ``edit <field>``): keep the answer it shows."""


Later = Callable[[], list[Reply]]
"""Slow work a command leaves for after the commit (a network call); it returns replies."""

AnswerHook = Callable[["Turn", Step, str, Any], list[Reply]]
"""Called with (turn, step, field, value) after an answer is stored, in the same transaction."""

ChoiceCheck = Callable[["Turn", Step, str, str], None]
"""Called with (turn, step, field, value) for a chosen option before it is stored; raises
``Invalid`` to refuse it (e.g. only admins may give a review result)."""

Closing = Callable[["Turn"], list[Reply]]
"""What a case whose every step is done says (the credentials feature's: what the team holds)."""


class Features(Protocol):
    """What a turn reads of the features (``handlers.registry.Router``): the hooks every
    stored answer runs, the checks every chosen option passes, and the closing message."""

    @property
    def answer_hooks(self) -> Sequence[AnswerHook]: ...

    @property
    def choice_checks(self) -> Sequence[ChoiceCheck]: ...

    @property
    def closing_replies(self) -> Closing | None: ...


class _NoFeatures:
    answer_hooks: Sequence[AnswerHook] = ()
    choice_checks: Sequence[ChoiceCheck] = ()
    closing_replies: Closing | None = None


def fold(text: str) -> str:
    """What people type, compared loosely: NFKC, case-folded, without white space."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def option_labels(key: str, value: str) -> tuple[str, ...]:
    return labels(f"opt.{key}.{value}")


def parse_environment(text: str) -> str | None:
    """``test`` / ``prod`` in any of the words the environment question accepts (not the
    option numbers, in any digits: ``check 1``, ``start 2`` or ``开始 二`` mean nothing)."""
    if flow.option_number(text) is not None:
        return None
    return flow.match_option(FIELDS["environment"], text.strip(), option_labels)


class Turn:
    """The case as this turn sees it, inside the turn's transaction."""

    def __init__(
        self,
        tx: StoreTransaction,
        msg: Inbound,
        now: datetime,
        *,
        default_lang: str,
        services: Services,
        case_store: CaseStore | None = None,
        features: Features | None = None,
    ) -> None:
        self.tx = tx
        self.msg = msg
        self.clock_now = now
        self.now = now.isoformat(timespec="seconds")
        self.services = services
        self.case: CaseRecord | None = tx.active_case(msg.conversation)
        # The case's language while one is open; else the one asked for now (console --lang),
        # else the one this conversation chose with ``lang`` (kept without a case, issue 26).
        self.lang = normalise_lang(self.case.lang if self.case else (
            msg.lang or remembered_lang(tx, msg.conversation) or default_lang))
        self.answers: dict[str, AnswerRecord] = tx.answers(self.case.id) if self.case else {}
        self.focus: str | None = self.case.focus_step if self.case else None
        self.features: Features = features or _NoFeatures()
        """Every feature's hooks, checks and closing (``handlers.registry.ENGINE``)."""
        self.case_store = case_store
        """The store itself, for ``later`` work that records its result in its own transaction."""
        self.jobs: list[tuple[str, dict[str, Any]]] = []
        """Slow work to run after this turn commits, as (kind, payload): written as job rows in
        the turn's transaction (``handlers.jobs``), so a crash after the commit resumes it."""
        self.later: list[tuple[Later, str]] = []
        """Slow work that must not be written down (it holds a SecretKey), with what it is
        (``check``): kept in this process's memory, recorded as a job without the secret."""
        self.then: list[Reply] = []
        """Replies that follow this turn's slow work rather than its own replies (the next
        question after a file handed over: ``after_files``)."""
        self.question_after_files = False
        """Set by a hook that hands a file over after the commit (the workbook offered unasked),
        so the next question is asked after it (``after_files``)."""

    # -- reading --------------------------------------------------------------------------
    @property
    def values(self) -> dict[str, Any]:
        return {key: answer.value for key, answer in self.answers.items()}

    def rule_context(self) -> dict[str, Any]:
        """What a validator may consult: the answers, and today by the dialogue's clock (a
        birth date after it is refused)."""
        return {**self.values, TODAY: self.clock_now}

    def require_case(self) -> CaseRecord:
        assert self.case is not None, "commands that need a case are only routed with one"
        return self.case

    def current_step(self) -> Step | None:
        values = self.values
        if self.focus and self.focus in flow.STEPS_BY_NAME:
            step = flow.STEPS_BY_NAME[self.focus]
            if flow.applies(step, values):
                return step
        return flow.first_incomplete(values)

    def next_line(self) -> str:
        """"Next: …" as ``help`` and ``status`` end: the current question, or the step still
        missing once the flow has run through (a key check put off until later)."""
        step = self.current_step() or flow.first_missing(self.values)
        return (self.t("help.next", question=self.t(step.question_key)) if step
                else self.t("help.next_done"))

    def who(self) -> dict[str, str]:
        """Keyword arguments recording who acted and when, for the store's writes."""
        return {"user_id": self.msg.user_id, "user_name": self.msg.display_name, "at": self.now}

    # -- words ----------------------------------------------------------------------------
    def t(self, key: str, **params: Any) -> str:
        return t(key, self.lang, **params)

    def reply(self, kind: ReplyKind, key: str, *, private: bool = False, **params: Any) -> Reply:
        return Reply(kind=kind, text=self.t(key, **params), private=private)

    def error(self, key: str, **params: Any) -> Reply:
        """A reason meant for the one person who acted (Slack shows it ephemerally)."""
        return self.reply("error", key, private=True, **params)

    def display(self, key: str, value: Any) -> str:
        """A value as this turn's replies may show it: personal data in full only as
        ``handlers.privacy`` allows."""
        return display_value(key, value, self.lang, private=privacy.shown_in_full(self, key))

    def choices(self, key: str) -> tuple[Choice, ...]:
        return tuple(
            Choice(value=o.value, label=option_label(key, o.value, self.lang))
            for o in FIELDS[key].options
        )

    def progress(self) -> Reply:
        return Reply(kind="info", text=progress_text(self.values, self.lang))

    # -- asking ---------------------------------------------------------------------------
    def ask(
        self, step: Step | None, *, intro: bool, header: bool = False, show_current: bool = False
    ) -> list[Reply]:
        """The question for ``step``; ``intro`` adds the console steps it needs, ``header`` the
        stage's name (on entering a stage or resuming)."""
        if step is None:
            closing = self.features.closing_replies
            return closing(self) if closing is not None else [self.reply("done", "help.next_done")]
        replies: list[Reply] = []
        stage = stage_title(step.stage, self.values, self.lang)
        lead = [self.t("ui.stage_header", stage=stage)] if header else []
        if intro and step.intro:
            lead.append(self.t(step.intro))
        if lead:
            replies.append(Reply(kind="info", text="\n".join(lead)))
        field = FIELDS[step.fields[0]]
        lines = [self.t(step.question_key)]
        if field.kind is Kind.MULTI:
            lines.append(self.t("ui.multi_hint"))
        if step.optional:
            lines.append(self.t("ui.optional_hint"))
        values = self.values
        key = flow.answered_field(step, values)
        if show_current and key is not None:
            lines.append(self.t("ui.current_value", value=self.display(key, values[key])))
            lines.append(self.t("ui.keep_hint"))
        replies.append(
            Reply(
                kind="question",
                text="\n".join(lines),
                step=step.name,
                choices=self.choices(field.key) if field.options else (),
                multi=field.kind is Kind.MULTI,
            )
        )
        if flow.is_waiting(step, values):
            # Its own message after the question, so it follows the options (buttons or the
            # numbered lines an adapter puts under a question's text) instead of parting them.
            replies.append(self.reply("info", "ui.waiting_here"))
        return replies

    def reask(self) -> list[Reply]:
        return self.ask(self.current_step(), intro=False)

    # -- answering ------------------------------------------------------------------------
    def answer(self, step: Step, keys: tuple[str, ...], text: str) -> list[Reply]:
        """Validate ``text`` (or the attached file) for ``step`` and store it, or say why not."""
        if self.msg.file is not None and FIELDS[keys[0]].kind is not Kind.IMAGE:
            return [self.error("err.unexpected_file"), *self.reask()]
        kept = self._keep(step, text)
        if kept is not None:
            return kept
        was_current = self.current_step()
        try:
            key, value = self.parse(step, keys, text)
            replies = self.store(step, key, value)  # refused (Invalid) before anything is written
        except Invalid as problem:
            return [self.error(problem.key, **problem.params), *self.reask()]
        if any(reply.kind == "question" for reply in replies):
            return replies  # the answer raised its own question (a rejection's reason)
        after = self.current_step()
        if after is not None and was_current is not None and after.name == was_current.name:
            return [*replies, *self.after_files(self.ask(after, intro=False))]
        new_stage = after is None or was_current is None or after.stage != was_current.stage
        return [*replies, self.progress(),
                *self.after_files(self.ask(after, intro=True, header=new_stage))]

    def _keep(self, step: Step, text: str) -> list[Reply] | None:
        """An empty line or ``keep`` to a question asked again with its current value shown:
        nothing is written, and the flow goes on as if it had been answered."""
        key = flow.answered_field(step, self.values)
        if self.focus != step.name or key is None or self.msg.file is not None \
                or (text.strip() and flow.fold_reply(text) not in KEEP_WORDS):
            return None
        self.focus = None
        after = self.current_step()
        new_stage = after is None or after.stage != step.stage
        kept = Reply(kind="info", text=self.t("ui.kept", label=answer_label(step, key, self.lang),
                                                value=self.display(key, self.values[key])))
        return [kept, self.progress(), *self.ask(after, intro=True, header=new_stage)]

    def after_files(self, question: list[Reply]) -> list[Reply]:
        """The next question, or nothing when this turn hands a file over after the commit
        (``question_after_files``): the question then follows the file, as later work, so the
        file is not read as an answer to it and the question is the last thing said."""
        if not self.question_after_files:
            return question
        self.then = question
        return []

    def defer(self, kind: str, payload: dict[str, Any]) -> None:
        """Leave work of ``kind`` (a runner registered in ``handlers.jobs``) for after the commit."""
        self.jobs.append((kind, payload))

    def hold(self, later: Later, what: str) -> None:
        """Leave work that must not be written down for after the commit (see ``later``)."""
        self.later.append((later, what))

    def parse(self, step: Step, keys: tuple[str, ...], text: str) -> tuple[str, Any]:
        """The field and value ``text`` stands for, or :class:`Invalid` with the reason."""
        field = FIELDS[keys[0]]
        if field.kind is Kind.IMAGE:
            return field.key, self._image()
        if not text.strip():
            raise Invalid("err.empty")
        if field.kind is Kind.CHOICE:
            value = flow.match_option(field, text, option_labels)
            if value is None:
                raise Invalid("err.choice", options=self.option_list(field.key))
            return field.key, value  # the choice checks run as it is stored (apply_answer)
        if field.kind is Kind.MULTI:
            return field.key, self._parse_multi(field.key, text)
        problems: list[Invalid] = []
        for key in keys:
            validate = FIELDS[key].validate
            assert validate is not None
            try:
                return key, validate(text, self.rule_context())
            except Invalid as problem:
                problems.append(problem)
        if len(problems) == 1:
            raise problems[0]
        precise = [p for p in problems if p.shape_ok]
        if precise:
            raise precise[0]
        raise Invalid(f"err.{step.name}") if has(f"err.{step.name}") else problems[0]

    def option_list(self, key: str) -> str:
        return "; ".join(
            f"{i}. {option_label(key, o.value, self.lang)}"
            for i, o in enumerate(FIELDS[key].options, start=1)
        )

    def _parse_multi(self, key: str, text: str) -> list[str]:
        field = FIELDS[key]
        if flow.fold_reply(text) in _NONE_WORDS:
            return []
        chosen: list[str] = []
        for item in (i for i in _split_list(text) if i):
            value = flow.match_option(field, item, option_labels)
            if value is None and field.validate is not None:
                # A name the list does not offer, read by the field's own rule (a real
                # essbasic action for the whitelist), which says why not if it is none.
                try:
                    value = field.validate(item, self.values)
                except Invalid as problem:
                    problem.params.setdefault("options", self.option_list(key))
                    raise
            if value is None:
                raise Invalid("err.multi_choice", item=item[:40], options=self.option_list(key))
            if value not in chosen:
                chosen.append(value)
        order = [o.value for o in field.options]
        return sorted(chosen, key=lambda v: order.index(v) if v in order else len(order))

    def _image(self) -> dict[str, Any]:
        upload = self.msg.file
        if upload is None:
            raise Invalid("err.need_image")
        data = upload.content
        limit_mb = MAX_UPLOAD_BYTES // 2**20
        if upload.problem == "incomplete":
            raise Invalid("err.image_incomplete")
        if upload.problem == "too_large" or len(data) > MAX_UPLOAD_BYTES:
            # The real size, or none: a download cut at the limit does not know it, and
            # "10.0 MB, at most 10 MB" would be a wrong number.
            size = upload.size if upload.problem == "too_large" else len(data)
            if size is None or size <= MAX_UPLOAD_BYTES:
                raise Invalid("err.image_over_limit", max=limit_mb)
            raise Invalid("err.image_size", size=_megabytes(size), max=limit_mb)
        if not data:
            raise Invalid("err.image_empty")
        mime = image_mime(data)  # decoded to its end: a photo cut short is refused, not stored
        record = self.tx.put_file(
            self.require_case().id, upload.name, mime, data, user_id=self.msg.user_id, at=self.now
        )
        return {"file_id": record.id, "name": record.name, "mime": mime, "size": record.size}

    def store(self, step: Step, key: str, value: Any, *, kind: str | None = None,
              checks: bool = True) -> list[Reply]:
        """Write one answer and what follows from it (:func:`apply_answer`, the one way in);
        returns the confirmations to show. Raises ``Invalid``, having written nothing, when a
        choice check refuses it."""
        return apply_answer(self, step, key, value, kind=kind, checks=checks)

    # -- changing the case (what a feature does instead of assigning the turn's fields) ----------
    def open_case(self) -> CaseRecord:
        """Create a case for this conversation, as this turn's person: the turn is now on it,
        with no answers and no focus."""
        self.case = self.tx.create_case(self.msg.conversation, self.lang, self.msg.user_id,
                                        self.msg.display_name, self.now)
        self.answers, self.focus = {}, None
        return self.case

    def carry_over(self, previous: dict[str, AnswerRecord], keys: Sequence[str]) -> None:
        """Copy answers of a finished case into this new one, each still credited to whoever
        gave it (history kind ``carried``). Not an answer given now, so no hook runs: the
        answers held together in the case they come from."""
        case = self.require_case()
        for key in keys:
            answer = previous[key]
            self.tx.put_answer(case.id, key, answer.value, kind="carried",
                               user_id=answer.user_id, user_name=answer.user_name, at=answer.at)
            self.answers[key] = answer

    def focus_on(self, step: Step) -> None:
        """Ask ``step`` next (``back``, ``edit <field>``), answered or not; stored with the
        position at the end of the turn."""
        self.focus = step.name

    def set_pending(self, question: str | None) -> None:
        """Open (or with None, close) a question of a feature's own (``pending_confirm``),
        which the next input goes to first (``handlers.registry.Confirmation``)."""
        case = self.require_case()
        self.tx.update_case(case.id, pending_confirm=question)
        self.reload_case()

    def use_lang(self, lang: str) -> None:
        """Speak ``lang`` from now on: kept for the conversation (it outlives the case, and
        holds with none open), and for the case when one is, with a history row."""
        self.lang = lang
        remember_lang(self.tx, self.msg.conversation, lang, at=self.now)
        if self.case is not None:
            self.tx.update_case(self.case.id, lang=lang)
            self.tx.note(self.case.id, "lang", lang, **self.who())

    def reload_case(self) -> None:
        """Read the case again (a feature changed it in the store)."""
        self.case = self.tx.case(self.require_case().id)

    def close_case(self, state: str) -> CaseRecord:
        """End the case (``cancelled``, or ``completed`` when the next environment's opens):
        the turn then has none. Returns the case as it was."""
        case = self.require_case()
        self.tx.update_case(case.id, state=state, pending_confirm=None, closed_at=self.now,
                            updated_at=self.now)
        self.case = None
        return case

    # -- the end of the turn --------------------------------------------------------------
    def save_position(self) -> None:
        """Store the derived position (for status lists and other processes): after every
        answer (``apply_answer``) and at the end of the turn."""
        if self.case is None or self.case.state != "active":
            return
        current = self.current_step()
        changes: dict[str, Any] = {
            "focus_step": self.focus,
            "current_step": current.name if current else None,
            "updated_at": self.now,
        }
        if current is None and self.case.completed_at is None:
            changes["completed_at"] = self.now
        self.tx.update_case(self.case.id, **changes)


def apply_answer(turn: Turn, step: Step, key: str, value: Any, *, kind: str | None = None,
                 checks: bool = True) -> list[Reply]:
    """The one way an answer is written, for every path: a person's answer, ``edit``,
    ``skip``, a ``review`` result, and a change made outside any input
    (``handlers.registry.turn_for_case``: a working app ID ends the app review, a passing check
    answers ``key_check``).

    In order, inside the turn's transaction: a chosen value is checked (an option its question
    offers, and every feature's choice check), which may refuse it with ``Invalid`` before
    anything is written — not with ``checks`` False, for a value the bot established itself
    (``key_check=passed`` is no option a person may choose, and an app ID that works approves
    the review whoever ran the check); it is stored with its history row (``kind``: ``answer``, ``edit``,
    ``skip``), replacing the other field of its step; answers whose rule depends on it and no
    longer pass, and answers its change made stale, are cleared; its notes are said; the focus
    on its step ends; every feature's answer hook runs; and the position is stored. Returns what
    to say: the confirmation first, then the rest."""
    case = turn.require_case()
    field = FIELDS[key]
    if key not in step.fields:
        raise ValueError(f"step {step.name} does not ask {key}")
    if checks and kind != "skip" and field.kind is Kind.CHOICE:
        if value not in {option.value for option in field.options}:
            raise Invalid("err.choice", options=turn.option_list(key))
        for check in turn.features.choice_checks:
            check(turn, step, key, value)
    who = turn.who()
    previous = {k for k in step.fields if k in turn.answers}
    before = turn.values
    kind = kind or ("edit" if previous else "answer")
    turn.tx.put_answer(case.id, key, value, kind=kind, **who)
    turn.answers[key] = AnswerRecord(key, value, who["user_id"], who["user_name"], who["at"])
    for sibling in previous - {key}:
        turn.tx.delete_answer(case.id, sibling, kind="replaced", **who)
        del turn.answers[sibling]
    label = answer_label(step, key, turn.lang)
    replies = [
        Reply(kind="info", text=turn.t("ui.skipped", label=label))
        if kind == "skip"
        else Reply(kind="info", text=turn.t("ui.saved", label=label,
                                            value=turn.display(key, value)))
    ]
    advise = field.advise
    if kind != "skip" and advise is not None:  # kept, but worth a second look
        replies += [turn.reply("info", note.key, **note.params) for note in advise(value)]
    replies += _revalidate_dependents(turn, key)
    if key in before and before[key] != value:
        replies += _clear_stale(turn, before, key)
    note = step.notes.get(value) if isinstance(value, str) else None
    if note:
        replies.append(turn.reply("info", note))
    if turn.focus == step.name:
        turn.focus = None
    for hook in turn.features.answer_hooks:
        try:
            replies += hook(turn, step, key, value)
        except Invalid as problem:  # only a choice check refuses, before anything is written
            raise RuntimeError(f"answer hook {hook!r} refused a stored answer") from problem
    turn.save_position()
    return replies


def _invalidate(turn: Turn, key: str) -> Reply:
    turn.tx.delete_answer(turn.require_case().id, key, kind="invalidated", **turn.who())
    del turn.answers[key]
    return turn.reply("info", "ui.invalidated", label=field_label(key, turn.lang))


def _revalidate_dependents(turn: Turn, changed: str) -> list[Reply]:
    """Clear answers whose rule depends on ``changed`` and that no longer pass it."""
    replies = []
    for field in FIELDS.values():
        if changed not in field.depends_on or field.key not in turn.answers:
            continue
        assert field.validate is not None
        try:
            field.validate(str(turn.answers[field.key].value), turn.rule_context())
        except Invalid:
            replies.append(_invalidate(turn, field.key))
    return replies


def _clear_stale(turn: Turn, before: dict[str, Any], changed: str) -> list[Reply]:
    """A changed answer: clear every other answer whose question no longer applies, or is
    now another question (after 个体工商户 → 政府 the operator's phone is not the contact's
    phone; the 营业执照 photo is not the 事业单位法人证书), or is shaped by what changed
    (``Step.shaped_by``). The history keeps each; the flow asks them again when it gets
    there. Read from the table alone: which step asked an answer before and which asks it
    now. Repeated until nothing more goes, since a cleared route clears what hung on it
    (a test case turned production loses its test route, then the test app ID)."""
    replies: list[Reply] = []
    cleared = True
    while cleared:
        cleared = False
        now = turn.values
        for key in [k for k in turn.answers if k != changed]:
            was = flow.applicable_step_for_field(key, before)
            if was is None:
                continue  # not asked under the old answers (carried over, dormant): kept
            step = flow.applicable_step_for_field(key, now)
            if step is not None and step.name == was.name and changed not in step.shaped_by:
                continue
            replies.append(_invalidate(turn, key))
            cleared = True
    return replies


def _megabytes(size: int) -> float:
    """MB to one decimal, rounded up: a file over the limit never reads as the limit itself."""
    return math.ceil(size * 10 / 2**20) / 10


def _split_list(text: str) -> list[str]:
    normalised = unicodedata.normalize("NFKC", text)
    for separator in "、;；\n":
        normalised = normalised.replace(separator, ",")
    parts = [p.strip() for p in normalised.split(",")]
    if len(parts) == 1:
        parts = parts[0].split()
    return parts
