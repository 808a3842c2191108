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
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from handlers import flow
from handlers.catalogue import DEFAULT_LANG, has, labels, normalise_lang, t
from handlers.commands import HELP_ORDER, Command, ParsedCommand, parse_command
from handlers.flow import FIELDS, Kind, Step
from handlers.render import display_value, field_label, option_label, progress_text
from handlers.shapes import MAX_UPLOAD_BYTES, Choice, Inbound, Reply
from handlers.status import render_status
from handlers.validators import MAX_INPUT_CHARS, Invalid
from storage import AnswerRecord, CaseRecord, CaseStore, StoreTransaction

log = logging.getLogger("esignbot.dialogue")

Clock = Callable[[], datetime]

CONFIRM_STEP = "confirm_cancel"
_YES_WORDS = {"yes", "y", "ok", "是", "是的", "确认", "确定", "确认取消", "1"}
_NONE_WORDS = {"none", "no", "0", "无", "没有", "不需要"}
_LANG_WORDS = {"zh": "zh", "zh-cn": "zh", "cn": "zh", "中文": "zh", "chinese": "zh",
               "en": "en", "english": "en", "英文": "en", "英语": "en"}
_IMAGE_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


class Dialogue:
    """The onboarding conversation over a :class:`CaseStore`."""

    def __init__(
        self, store: CaseStore, *, clock: Clock = _utc_now, default_lang: str = DEFAULT_LANG
    ) -> None:
        self.store = store
        self.clock = clock
        self.default_lang = normalise_lang(default_lang)

    def handle(self, inbound: Inbound) -> list[Reply]:
        try:
            with self.store.transaction() as tx:
                return _Turn(self, tx, inbound).run()
        except Exception:
            # The transaction rolled back: nothing of this input was kept. Log where, not what
            # was typed (it may hold personal data).
            log.exception("turn failed in conversation %s", inbound.conversation)
            lang = normalise_lang(inbound.lang or self.default_lang)
            return [Reply(kind="error", text=t("err.internal", lang), private=True)]


class _Turn:
    """Everything one input does, with the case state loaded once inside the transaction."""

    def __init__(self, dialogue: Dialogue, tx: StoreTransaction, msg: Inbound) -> None:
        self.tx = tx
        self.msg = msg
        self.now = dialogue.clock().astimezone(UTC).isoformat(timespec="seconds")
        self.case: CaseRecord | None = tx.active_case(msg.conversation)
        self.lang = normalise_lang(
            self.case.lang if self.case else (msg.lang or dialogue.default_lang)
        )
        self.answers: dict[str, AnswerRecord] = tx.answers(self.case.id) if self.case else {}
        self.focus: str | None = self.case.focus_step if self.case else None

    # -- helpers ----------------------------------------------------------------------------
    @property
    def values(self) -> dict[str, Any]:
        return {key: answer.value for key, answer in self.answers.items()}

    def _t(self, key: str, **params: Any) -> str:
        return t(key, self.lang, **params)

    def _reply(self, kind: Any, key: str, *, private: bool = False, **params: Any) -> Reply:
        return Reply(kind=kind, text=self._t(key, **params), private=private)

    def _error(self, key: str, **params: Any) -> Reply:
        return self._reply("error", key, private=True, **params)

    def _who(self) -> dict[str, str]:
        return {"user_id": self.msg.user_id, "user_name": self.msg.display_name, "at": self.now}

    def _case(self) -> CaseRecord:
        assert self.case is not None
        return self.case

    def current_step(self) -> Step | None:
        values = self.values
        if self.focus and self.focus in flow.STEPS_BY_NAME:
            step = flow.STEPS_BY_NAME[self.focus]
            if flow.applies(step, values):
                return step
        return flow.first_incomplete(values)

    def _display(self, key: str, value: Any) -> str:
        return display_value(key, value, self.lang, private=self.msg.private)

    def _choices(self, key: str) -> tuple[Choice, ...]:
        return tuple(
            Choice(value=o.value, label=option_label(key, o.value, self.lang))
            for o in FIELDS[key].options
        )

    # -- the turn -----------------------------------------------------------------------------
    def run(self) -> list[Reply]:
        msg = self.msg
        if msg.event_id and not self.tx.claim_event(msg.event_id, self.now):
            return []  # the platform retried an input we already applied
        if len(msg.text) > MAX_INPUT_CHARS:
            return [self._error("err.input_too_long", length=len(msg.text), max=MAX_INPUT_CHARS)]
        command = parse_command(msg.text) if msg.action is None and msg.file is None else None
        if self.case is None:
            replies = self._without_case(command)
        elif self.case.pending_confirm == CONFIRM_STEP:
            replies = self._confirm_cancel(command)
        elif command is not None:
            replies = self._command(command)
        elif msg.action is not None:
            replies = self._action()
        else:
            replies = self._answer_current()
        self._save_position()
        if msg.event_id and self.case is not None:
            self.tx.link_event(msg.event_id, self.case.id)
        return replies

    def _save_position(self) -> None:
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

    def _without_case(self, command: ParsedCommand | None) -> list[Reply]:
        if command is not None and command.command is Command.HELP:
            return [self._help()]
        if command is None or command.command is not Command.START:
            return [self._error("err.no_case")]
        self.case = self.tx.create_case(
            self.msg.conversation, self.lang, self.msg.user_id, self.msg.display_name, self.now
        )
        self.tx.note(self.case.id, "start", None, **self._who())
        return [self._reply("info", "ui.welcome"), *self._ask(self.current_step(), intro=True, header=True)]

    # -- asking ---------------------------------------------------------------------------------
    def _ask(
        self, step: Step | None, *, intro: bool, header: bool = False, show_current: bool = False
    ) -> list[Reply]:
        """The question for ``step``; ``intro`` adds the console steps it needs, ``header`` the
        stage's name (on entering a stage or resuming)."""
        if step is None:
            return [self._reply("done", "ui.complete")]
        replies: list[Reply] = []
        lead = [self._t("ui.stage_header", stage=self._t(f"stage.{step.stage}"))] if header else []
        if intro and step.intro:
            lead.append(self._t(step.intro))
        if lead:
            replies.append(Reply(kind="info", text="\n".join(lead)))
        field = FIELDS[step.fields[0]]
        lines = [self._t(step.question_key)]
        if field.kind is Kind.MULTI:
            lines.append(self._t("ui.multi_hint"))
        if step.optional:
            lines.append(self._t("ui.optional_hint"))
        key = flow.answered_field(step, self.values)
        if show_current and key is not None:
            lines.append(self._t("ui.current_value", value=self._display(key, self.values[key])))
        if flow.is_waiting(step, self.values):
            lines.append(self._t("ui.waiting_here"))
        replies.append(
            Reply(
                kind="question",
                text="\n".join(lines),
                step=step.name,
                choices=self._choices(field.key) if field.options else (),
                multi=field.kind is Kind.MULTI,
            )
        )
        return replies

    def _reask(self) -> list[Reply]:
        return self._ask(self.current_step(), intro=False)

    # -- answering ------------------------------------------------------------------------------
    def _answer_current(self) -> list[Reply]:
        step = self.current_step()
        if step is None:
            return [self._reply("done", "help.next_done"), self._reply("info", "ui.unknown_command_hint")]
        return self._answer(step, step.fields, self.msg.text)

    def _answer(self, step: Step, keys: tuple[str, ...], text: str) -> list[Reply]:
        """Validate ``text`` (or the attached file) for ``step`` and store it, or say why not."""
        if self.msg.file is not None and FIELDS[keys[0]].kind is not Kind.IMAGE:
            return [self._error("err.unexpected_file"), *self._reask()]
        try:
            key, value = self._parse(step, keys, text)
        except Invalid as problem:
            return [self._error(problem.key, **problem.params), *self._reask()]
        was_current = self.current_step()
        replies = self._store(step, key, value)
        after = self.current_step()
        if after is not None and was_current is not None and after.name == was_current.name:
            return [*replies, *self._ask(after, intro=False)]
        progress = Reply(kind="info", text=progress_text(self.values, self.lang))
        new_stage = after is None or was_current is None or after.stage != was_current.stage
        return [*replies, progress, *self._ask(after, intro=True, header=new_stage)]

    def _parse(self, step: Step, keys: tuple[str, ...], text: str) -> tuple[str, Any]:
        field = FIELDS[keys[0]]
        if field.kind is Kind.IMAGE:
            return field.key, self._image()
        if not text.strip():
            raise Invalid("err.empty")
        if field.kind is Kind.CHOICE:
            value = flow.match_option(field, text, self._option_labels)
            if value is None:
                raise Invalid("err.choice", options=self._option_list(field.key))
            return field.key, value
        if field.kind is Kind.MULTI:
            return field.key, self._parse_multi(field.key, text)
        problems: list[Invalid] = []
        for key in keys:
            validate = FIELDS[key].validate
            assert validate is not None
            try:
                return key, validate(text, self.values)
            except Invalid as problem:
                problems.append(problem)
        if len(problems) == 1:
            raise problems[0]
        precise = [p for p in problems if p.shape_ok]
        if precise:
            raise precise[0]
        raise Invalid(f"err.{step.name}") if has(f"err.{step.name}") else problems[0]

    @staticmethod
    def _option_labels(key: str, value: str) -> tuple[str, ...]:
        return labels(f"opt.{key}.{value}")

    def _option_list(self, key: str) -> str:
        return "; ".join(
            f"{i}. {option_label(key, o.value, self.lang)}"
            for i, o in enumerate(FIELDS[key].options, start=1)
        )

    def _parse_multi(self, key: str, text: str) -> list[str]:
        field = FIELDS[key]
        if _fold(text) in _NONE_WORDS:
            return []
        items = [item for item in _split_list(text) if item]
        chosen: list[str] = []
        for item in items:
            value = flow.match_option(field, item, self._option_labels)
            if value is None:
                raise Invalid("err.multi_choice", item=item[:40], options=self._option_list(key))
            if value not in chosen:
                chosen.append(value)
        order = [o.value for o in field.options]
        return sorted(chosen, key=order.index)

    def _image(self) -> dict[str, Any]:
        upload = self.msg.file
        if upload is None:
            raise Invalid("err.need_image")
        data = upload.content
        if not data:
            raise Invalid("err.image_empty")
        if len(data) > MAX_UPLOAD_BYTES:
            raise Invalid("err.image_size", size=round(len(data) / 2**20, 1), max=MAX_UPLOAD_BYTES // 2**20)
        mime = next((m for sig, m in _IMAGE_SIGNATURES.items() if data.startswith(sig)), None)
        if mime is None:
            raise Invalid("err.image_type")
        record = self.tx.put_file(
            self._case().id, upload.name, mime, data, user_id=self.msg.user_id, at=self.now
        )
        return {"file_id": record.id, "name": record.name, "mime": mime, "size": record.size}

    def _store(self, step: Step, key: str, value: Any, *, kind: str | None = None) -> list[Reply]:
        """Write one answer and what follows from it; returns the confirmations to show."""
        case = self._case()
        who = self._who()
        previous = {k for k in step.fields if k in self.answers}
        kind = kind or ("edit" if previous else "answer")
        self.tx.put_answer(case.id, key, value, kind=kind, **who)
        self.answers[key] = AnswerRecord(key, value, who["user_id"], who["user_name"], who["at"])
        for sibling in previous - {key}:
            self.tx.delete_answer(case.id, sibling, kind="replaced", **who)
            del self.answers[sibling]
        replies = [
            Reply(kind="info", text=self._t("ui.skipped", label=field_label(key, self.lang)))
            if kind == "skip"
            else Reply(kind="info", text=self._t(
                "ui.saved", label=field_label(key, self.lang), value=self._display(key, value)))
        ]
        replies += self._revalidate_dependents(key)
        note = step.notes.get(value) if isinstance(value, str) else None
        if note:
            replies.append(self._reply("info", note))
        if self.focus == step.name:
            self.focus = None
        return replies

    def _revalidate_dependents(self, changed: str) -> list[Reply]:
        """Clear answers whose rule depends on ``changed`` and that no longer pass it."""
        replies = []
        for field in FIELDS.values():
            if changed not in field.depends_on or field.key not in self.answers:
                continue
            assert field.validate is not None
            try:
                field.validate(str(self.answers[field.key].value), self.values)
            except Invalid:
                self.tx.delete_answer(self._case().id, field.key, kind="invalidated", **self._who())
                del self.answers[field.key]
                replies.append(self._reply("info", "ui.invalidated", label=field_label(field.key, self.lang)))
        return replies

    def _action(self) -> list[Reply]:
        action = self.msg.action
        assert action is not None
        step = self.current_step()
        if step is None or action.step != step.name:
            question = self._t(step.question_key) if step else self._t("help.next_done")
            return [self._error("err.stale_button", question=question)]
        return self._answer(step, step.fields, action.value)

    # -- commands -------------------------------------------------------------------------------
    def _command(self, command: ParsedCommand) -> list[Reply]:
        handlers: dict[Command, Callable[[str], list[Reply]]] = {
            Command.START: self._cmd_start,
            Command.HELP: lambda args: [self._help()],
            Command.STATUS: self._cmd_status,
            Command.BACK: self._cmd_back,
            Command.SKIP: self._cmd_skip,
            Command.EDIT: self._cmd_edit,
            Command.CANCEL: self._cmd_cancel,
            Command.LANG: self._cmd_lang,
        }
        if command.args and command.command not in {Command.EDIT, Command.LANG}:
            return [self._error("err.args_unexpected", command=command.word)]
        return handlers[command.command](command.args)

    def _help(self) -> Reply:
        lines = [self._t("help.title"), *(self._t(f"help.{c.value}") for c in HELP_ORDER)]
        step = self.current_step() if self.case else None
        if self.case is None:
            lines.append(self._t("err.no_case"))
        elif step is None:
            lines.append(self._t("help.next_done"))
        else:
            lines.append(self._t("help.next", question=self._t(step.question_key)))
        return Reply(kind="help", text="\n".join(lines), private=True)

    def _cmd_start(self, args: str) -> list[Reply]:
        case = self._case()
        if self.msg.lang and normalise_lang(self.msg.lang) != self.lang:
            # Opening an existing case with an explicit language (console --lang) switches it.
            self.lang = normalise_lang(self.msg.lang)
            self.tx.update_case(case.id, lang=self.lang)
            self.tx.note(case.id, "lang", self.lang, **self._who())
        return [
            self._reply("info", "ui.resume", case_id=case.id, progress=progress_text(self.values, self.lang)),
            *self._ask(self.current_step(), intro=True, header=True),
        ]

    def _cmd_status(self, args: str) -> list[Reply]:
        text = render_status(self._case(), self.answers, self.current_step(), self.lang,
                             private=self.msg.private)
        return [Reply(kind="status", text=text)]

    def _cmd_back(self, args: str) -> list[Reply]:
        values = self.values
        steps = flow.applicable_steps(values)
        current = self.current_step()
        index = len(steps) if current is None else steps.index(current)
        if index == 0:
            return [self._error("err.back_at_start"), *self._reask()]
        self.focus = steps[index - 1].name
        return self._ask(steps[index - 1], intro=False, show_current=True)

    def _cmd_skip(self, args: str) -> list[Reply]:
        step = self.current_step()
        if step is None:
            return [self._error("err.nothing_to_skip")]
        if not step.optional:
            return [self._error("err.not_optional"), *self._reask()]
        key = step.fields[0]
        empty: list[str] | None = [] if FIELDS[key].kind is Kind.MULTI else None
        replies = self._store(step, key, empty, kind="skip")
        return [*replies, *self._ask(self.current_step(), intro=True)]

    def _editable(self) -> str:
        keys = [k for s in flow.applicable_steps(self.values) for k in s.fields]
        return ", ".join(f"{k}（{field_label(k, self.lang)}）" if self.lang == "zh"
                         else f"{k} ({field_label(k, self.lang)})" for k in dict.fromkeys(keys))

    def _resolve_field(self, name: str) -> str | None:
        folded = _fold(name)
        for key in FIELDS:
            if folded == key.casefold() or folded in {_fold(x) for x in labels(f"field.{key}")}:
                return key
        return None

    def _cmd_edit(self, args: str) -> list[Reply]:
        fields = Reply(kind="help", text=self._t("ui.editable_fields", fields=self._editable()),
                       private=True)
        if not args:
            return [self._error("err.edit_usage"), fields]
        name, _, value = args.partition(" ")
        key = self._resolve_field(name)
        if key is None:
            return [self._error("err.unknown_field", name=name[:40]), fields]
        step = flow.applicable_step_for_field(key, self.values)
        if step is None:
            return [self._error("err.field_not_applicable", name=field_label(key, self.lang))]
        if not value.strip() or FIELDS[key].kind is Kind.IMAGE:
            self.focus = step.name
            return self._ask(step, intro=False, show_current=True)
        try:
            key, parsed = self._parse(step, (key,), value)
        except Invalid as problem:
            return [self._error(problem.key, **problem.params)]
        return [*self._store(step, key, parsed, kind="edit"), *self._reask()]

    def _cmd_cancel(self, args: str) -> list[Reply]:
        case = self._case()
        self.tx.update_case(case.id, pending_confirm=CONFIRM_STEP)
        return [
            Reply(
                kind="question",
                text=self._t("ui.confirm_cancel", case_id=case.id),
                step=CONFIRM_STEP,
                choices=(
                    Choice(value="yes", label=self._t("opt.confirm.yes")),
                    Choice(value="no", label=self._t("opt.confirm.no")),
                ),
            )
        ]

    def _confirm_cancel(self, command: ParsedCommand | None) -> list[Reply]:
        case = self._case()
        action = self.msg.action
        answer = action.value if action is not None and action.step == CONFIRM_STEP else self.msg.text
        confirmed = _fold(answer) in _YES_WORDS or (
            command is not None and command.command is Command.CANCEL
        )
        if not confirmed:
            self.tx.update_case(case.id, pending_confirm=None)
            return [self._reply("info", "ui.cancel_kept"), *self._reask()]
        self.tx.update_case(case.id, state="cancelled", pending_confirm=None, closed_at=self.now,
                            updated_at=self.now)
        self.tx.note(case.id, "cancel", None, **self._who())
        self.case = None
        return [self._reply("info", "ui.cancelled", case_id=case.id)]

    def _cmd_lang(self, args: str) -> list[Reply]:
        folded = _fold(args)
        if folded not in _LANG_WORDS:
            return [self._error("err.lang_usage")]
        self.lang = _LANG_WORDS[folded]
        case = self._case()
        self.tx.update_case(case.id, lang=self.lang)
        self.tx.note(case.id, "lang", self.lang, **self._who())
        return [self._reply("info", "ui.lang_set"), *self._reask()]


def _split_list(text: str) -> list[str]:
    normalised = unicodedata.normalize("NFKC", text)
    for separator in "、;；\n":
        normalised = normalised.replace(separator, ",")
    parts = [p.strip() for p in normalised.split(",")]
    if len(parts) == 1:
        parts = parts[0].split()
    return parts
