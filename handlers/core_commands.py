"""The core commands: start, help, status, back, skip, edit, cancel, lang.

Each is a function ``(turn, args) -> replies`` registered on :data:`router` (the engine's own
commands, included with the features' in ``handlers.features``). ``status`` is the reviews
feature's, which adds its waits to :func:`cmd_status`; a feature adds a line to ``help`` with
``Router.help_line``.
"""

from __future__ import annotations

import re

from handlers import flow, privacy
from handlers.catalogue import has, labels, normalise_lang
from handlers.commands import HELP_ORDER, LANG_WORDS, Command, ParsedCommand, reads_arguments
from handlers.flow import FIELDS, Kind
from handlers.registry import ENGINE, Router
from handlers.render import field_label, field_labels, progress_text
from handlers.shapes import Choice, Reply
from handlers.status import render_status
from handlers.turn import Turn, fold, parse_environment
from handlers.validators import Invalid
from storage import CaseRecord

CONFIRM_STEP = "confirm_cancel"
ENVIRONMENT_STEP = flow.STEPS_BY_NAME["environment"]
"""The question ``start prod`` answers."""
_YES_WORDS = {"yes", "y", "ok", "是", "是的", "确认", "确定", "确认取消", "1"}
_NO_WORDS = {"no", "n", "not", "keep", "否", "不", "不是", "不取消", "保留", "算了", "2"}

router = Router("core")


def help_reply(turn: Turn) -> Reply:
    lines = [turn.t("help.title"), *(turn.t(f"help.{c.value}") for c in HELP_ORDER)]
    lines += [line(turn) for line in ENGINE.help_lines]  # e.g. the licence photo check's
    if turn.case is None:
        lines.append(turn.t("err.no_case"))
    else:
        lines.append(turn.next_line())
    return Reply(kind="help", text="\n".join(lines), private=True)


@router.command(Command.HELP)
def cmd_help(turn: Turn, args: str) -> list[Reply]:
    return [help_reply(turn)]


def start_case(turn: Turn, args: str = "", *, carried_from: int | None = None) -> list[Reply]:
    """Open a case for this conversation (it has no active one). ``start prod`` answers the
    environment question at once; ``carried_from`` is the finished case whose organisation and
    app answers the new one begins with."""
    environment = parse_environment(args) if args else None
    if args and environment is None:
        return [turn.error("err.start_usage")]
    previous = dict(turn.answers)
    if carried_from is None and environment is not None:
        # A case for a named environment begins where the last finished one left off, even
        # when a case opened after that was cancelled (its answers stay with it).
        source = last_completed(turn)
        if source is not None:
            carried_from, previous = source.id, turn.tx.answers(source.id)
    case = turn.open_case()
    turn.tx.note(case.id, "start", None if carried_from is None else {"from_case": carried_from},
                 **turn.who())
    replies = [turn.reply("info", "ui.welcome")]
    if carried_from is not None:
        # In the flow's order, each still credited to whoever gave it; only what applied in
        # the case it comes from (a 个体工商户 operator's ID left from before that case became
        # 其他组织 stays behind, issue 26).
        answered = {key: answer.value for key, answer in previous.items()}
        carried = [key for key, field in FIELDS.items() if field.carries_over and key in previous
                   and flow.applicable_step_for_field(key, answered) is not None]
        turn.carry_over(previous, carried)
        replies.append(turn.reply("info", "ui.carried", case_id=carried_from,
                                  fields=field_labels(carried, turn.lang) or "—"))
    if environment is None:
        return [*replies, *turn.ask(turn.current_step(), intro=True, header=True)]
    return [*replies, *turn.answer(ENVIRONMENT_STEP, ENVIRONMENT_STEP.fields, environment)]


def last_completed(turn: Turn) -> CaseRecord | None:
    """This conversation's most recent completed case, if any."""
    done = [c for c in turn.tx.cases()
            if c.conversation == turn.msg.conversation and c.state == "completed"]
    return done[-1] if done else None


def _unfinished(turn: Turn, case: CaseRecord, wanted: str) -> list[Reply]:
    """``start <environment>`` before this case is done: say which case stands in the way, for
    which environment, and suggest the edit only when the environment is what differs."""
    current = turn.values.get("environment")
    if current == wanted:
        return [turn.error("err.start_same_environment", case_id=case.id,
                           wanted=turn.t(f"env_name.{wanted}")), *turn.reask()]
    text = turn.t("err.start_unfinished", case_id=case.id, current=turn.t(f"env_name.{current}"),
                  wanted=turn.t(f"env_name.{wanted}"))
    if not _carries_over(turn):
        text += " " + turn.t("err.start_fix_environment",
                             word=turn.t(f"word.environment.{wanted}"))
    return [Reply(kind="error", text=text, private=True), *turn.reask()]


def _carries_over(turn: Turn) -> bool:
    """The case began with a finished case's answers: it is that case's next environment, so
    switching its environment back makes no sense."""
    started = next((h for h in turn.tx.history(turn.require_case().id) if h.kind == "start"), None)
    return started is not None and isinstance(started.value, dict) and "from_case" in started.value


def start_next_case(turn: Turn, args: str) -> list[Reply]:
    """``start prod`` (or any environment) once every stage of this case is done: the case is
    closed as completed and a new one opens for that environment, so the test case's history
    stays as it was and production gets its own account, reviews and app ID."""
    case = turn.require_case()
    environment = parse_environment(args)
    if environment is None:
        return [turn.error("err.start_usage"), *turn.reask()]
    if turn.current_step() is not None:
        if ENVIRONMENT_STEP.fields[0] not in turn.answers:  # a fresh case: this is its answer
            return turn.answer(ENVIRONMENT_STEP, ENVIRONMENT_STEP.fields, environment)
        return _unfinished(turn, case, environment)
    if turn.values.get("environment") == environment:
        return _finished(turn, case, environment)
    turn.close_case("completed")
    turn.tx.note(case.id, "close", "completed", **turn.who())
    return start_case(turn, args, carried_from=case.id)


def _finished(turn: Turn, case: CaseRecord, environment: str) -> list[Reply]:
    """``start prod`` on a finished production case: what exists (the case, its enterprise and
    app ID) and how to change it, instead of silently opening a second one (issue 26)."""
    values = turn.values
    return [turn.error("err.start_finished", case_id=case.id,
                       wanted=turn.t(f"env_name.{environment}"),
                       enterprise=values.get("enterprise_name") or "—",
                       app_id=values.get("app_id") or "—"),
            Reply(kind="info", text=turn.next_line())]


@router.command(Command.START)
def cmd_start(turn: Turn, args: str) -> list[Reply]:
    case = turn.require_case()
    if args:
        return start_next_case(turn, args)
    if turn.msg.lang and normalise_lang(turn.msg.lang) != turn.lang:
        # Opening an existing case with an explicit language (console --lang) switches it.
        turn.use_lang(normalise_lang(turn.msg.lang))
    return [
        turn.reply("info", "ui.resume", case_id=case.id, progress=progress_text(turn.values, turn.lang)),
        *turn.ask(turn.current_step(), intro=True, header=True),
    ]


def cmd_status(turn: Turn, args: str) -> list[Reply]:
    text = render_status(turn.require_case(), turn.answers, turn.current_step(), turn.lang,
                         private=privacy.shown_in_full(turn))
    return [Reply(kind="status", text=text)]


@router.command(Command.BACK)
def cmd_back(turn: Turn, args: str) -> list[Reply]:
    steps = flow.applicable_steps(turn.values)
    current = turn.current_step()
    index = len(steps) if current is None else steps.index(current)
    if index == 0:
        return [turn.error("err.back_at_start"), *turn.reask()]
    turn.focus_on(steps[index - 1])
    return turn.ask(steps[index - 1], intro=False, show_current=True)


@router.command(Command.SKIP)
def cmd_skip(turn: Turn, args: str) -> list[Reply]:
    step = turn.current_step()
    if step is None:
        return [turn.error("err.nothing_to_skip")]
    if not step.optional:
        return [turn.error("err.not_optional"), *turn.reask()]
    key = step.fields[0]
    empty: list[str] | None = [] if FIELDS[key].kind is Kind.MULTI else None
    replies = turn.store(step, key, empty, kind="skip")
    after = turn.current_step()
    new_stage = after is None or after.stage != step.stage
    return [*replies, turn.progress(),
            *turn.after_files(turn.ask(after, intro=True, header=new_stage))]


def _editable(turn: Turn) -> str:
    """The keys that apply to this case, a line per stage: short enough to read at a glance
    (the labels are accepted too, and ``help`` says so)."""
    by_stage: dict[int, dict[str, None]] = {}
    for step in flow.applicable_steps(turn.values):
        by_stage.setdefault(step.stage, {}).update(dict.fromkeys(step.fields))
    return "\n".join(turn.t("ui.editable_stage", stage=stage, fields=", ".join(keys))
                     for stage, keys in by_stage.items())


def _names(key: str) -> set[str]:
    """Every name a field goes by: its key, its label in both languages, and what the guide
    calls it at each step it is asked in (证件照片, 营业执照, 经营者联系方式)."""
    steps = [s for s in flow.steps_for_field(key) if s.fields[0] == key and has(f"label.{s.name}")]
    words = [key, *labels(f"field.{key}"), *(w for s in steps for w in labels(f"label.{s.name}"))]
    return {fold(w) for w in words}


_NAMES: dict[str, set[str]] = {key: _names(key) for key in FIELDS}
_MAX_NAME_WORDS = 5


def resolve_field(name: str) -> str | None:
    """A field named by its key or by its label in either language."""
    folded = fold(name)
    return next((key for key, names in _NAMES.items() if folded in names), None)


def split_field(args: str) -> tuple[str | None, str, str]:
    """(field, value, first word) of ``edit``'s arguments: the field may be several words
    (``enterprise name Acme Ltd``), the longest run of leading words that names one wins, and
    the value is the rest as typed."""
    words = list(re.finditer(r"\S+", args))
    for count in range(min(len(words), _MAX_NAME_WORDS), 0, -1):
        end = words[count - 1].end()
        key = resolve_field(args[:end])
        if key is not None:
            return key, args[end:].strip(), words[0].group()
    return None, "", words[0].group() if words else ""


@reads_arguments(Command.EDIT)
def reads_edit(args: str) -> bool:
    """``edit`` is followed by a field's name (its key or label): "Edit Pro 助手" is an app's
    name, "edit enterprise_name Acme" the command."""
    return split_field(args)[0] is not None


@router.command(Command.EDIT)
def cmd_edit(turn: Turn, args: str) -> list[Reply]:
    fields = Reply(kind="help", text=turn.t("ui.editable_fields", fields=_editable(turn)), private=True)
    if not args:
        return [turn.error("err.edit_usage"), fields, *turn.reask()]
    key, value, name = split_field(args)
    if key is None:
        return [turn.error("err.unknown_field", name=name[:40]), fields, *turn.reask()]
    step = flow.applicable_step_for_field(key, turn.values)
    if step is None:
        return [turn.error("err.field_not_applicable", name=field_label(key, turn.lang)),
                *turn.reask()]
    if FIELDS[key].kind is Kind.IMAGE:
        # A line with more than a path is no upload (the terminal sends a file only for a line
        # that is a path): the image question is asked, and the next message brings the file.
        turn.focus_on(step)
        now = [turn.reply("info", "ui.edit_image_now")] if value else []
        return [*now, *turn.ask(step, intro=False, show_current=True)]
    if not value:
        turn.focus_on(step)
        return turn.ask(step, intro=False, show_current=True)
    try:
        key, parsed = turn.parse(step, (key,), value)
        replies = turn.store(step, key, parsed, kind="edit")  # refused before anything is written
    except Invalid as problem:
        return [turn.error(problem.key, **problem.params), *turn.reask()]
    if any(reply.kind == "question" for reply in replies):
        return replies  # the answer raised its own question (a rejection's reason)
    return [*replies, *turn.after_files(turn.reask())]


@router.command(Command.CANCEL)
def cmd_cancel(turn: Turn, args: str) -> list[Reply]:
    case = turn.require_case()
    turn.set_pending(CONFIRM_STEP)
    return [
        Reply(
            kind="question",
            text=turn.t("ui.confirm_cancel", case_id=case.id),
            step=CONFIRM_STEP,
            choices=(
                Choice(value="yes", label=turn.t("opt.confirm.yes")),
                Choice(value="no", label=turn.t("opt.confirm.no")),
            ),
        )
    ]


def answers_cancel(turn: Turn, command: ParsedCommand | None) -> bool:
    """A yes or a no to "cancel the case?" (typed, clicked, or ``cancel`` again); anything
    else makes the question lapse and goes on as usual (``handlers.registry.Confirmation``)."""
    action = turn.msg.action
    if action is not None:
        return action.step == CONFIRM_STEP
    if command is not None:
        return command.command is Command.CANCEL
    words = _YES_WORDS | _NO_WORDS | {flow.fold_reply(w) for key in ("opt.confirm.yes",
                                      "opt.confirm.no") for w in labels(key)}
    return flow.fold_reply(turn.msg.text) in words


def cancel_lapses(turn: Turn) -> list[Reply]:
    """Something else came instead of a yes or no: the case is kept, and that is said."""
    turn.set_pending(None)
    return [turn.reply("info", "ui.cancel_kept")]


@router.confirmation(CONFIRM_STEP, answers=answers_cancel, lapse=cancel_lapses)
def confirm_cancel(turn: Turn, command: ParsedCommand | None) -> list[Reply]:
    """The input after ``cancel``: a yes cancels the case, anything else keeps it."""
    case = turn.require_case()
    action = turn.msg.action
    answer = action.value if action is not None and action.step == CONFIRM_STEP else turn.msg.text
    confirmed = flow.fold_reply(answer) in _YES_WORDS or (
        command is not None and command.command is Command.CANCEL
    )
    if not confirmed:
        turn.set_pending(None)
        return [turn.reply("info", "ui.cancel_kept"), *turn.reask()]
    turn.close_case("cancelled")
    turn.tx.note(case.id, "cancel", None, **turn.who())
    return [turn.reply("info", "ui.cancelled", case_id=case.id)]


@router.command(Command.LANG)
def cmd_lang(turn: Turn, args: str) -> list[Reply]:
    folded = fold(args)
    if folded not in LANG_WORDS:
        return [turn.error("err.lang_usage")]
    # Kept for the conversation, so it outlives this case (a cancel, the next case), and is
    # had with no case open at all.
    turn.use_lang(LANG_WORDS[folded])
    if turn.case is None:
        return [turn.reply("info", "ui.lang_set"), turn.reply("info", "err.no_case")]
    return [turn.reply("info", "ui.lang_set"), *turn.reask()]
