"""The core commands: start, help, status, back, skip, edit, cancel, lang.

Each is a function ``(turn, args) -> replies``, registered in ``handlers.dialogue.COMMAND_HANDLERS``.
"""

from __future__ import annotations

from handlers import flow
from handlers.catalogue import labels, normalise_lang
from handlers.commands import HELP_ORDER, Command, ParsedCommand
from handlers.flow import FIELDS, Kind
from handlers.render import field_label, field_labels, progress_text
from handlers.shapes import Choice, Reply
from handlers.status import render_status
from handlers.turn import Turn, fold, parse_environment
from handlers.validators import Invalid

CONFIRM_STEP = "confirm_cancel"
ENVIRONMENT_STEP = flow.STEPS_BY_NAME["environment"]
"""The question ``start prod`` answers."""
_YES_WORDS = {"yes", "y", "ok", "是", "是的", "确认", "确定", "确认取消", "1"}
_LANG_WORDS = {"zh": "zh", "zh-cn": "zh", "cn": "zh", "中文": "zh", "chinese": "zh",
               "en": "en", "english": "en", "英文": "en", "英语": "en"}


def help_reply(turn: Turn) -> Reply:
    lines = [turn.t("help.title"), *(turn.t(f"help.{c.value}") for c in HELP_ORDER)]
    if turn.case is None:
        lines.append(turn.t("err.no_case"))
    else:
        step = turn.current_step()
        lines.append(turn.t("help.next", question=turn.t(step.question_key)) if step
                     else turn.t("help.next_done"))
    return Reply(kind="help", text="\n".join(lines), private=True)


def start_case(turn: Turn, args: str = "", *, carried_from: int | None = None) -> list[Reply]:
    """Open a case for this conversation (it has no active one). ``start prod`` answers the
    environment question at once; ``carried_from`` is the finished case whose organisation and
    app answers the new one begins with."""
    environment = parse_environment(args) if args else None
    if args and environment is None:
        return [turn.error("err.start_usage")]
    previous = dict(turn.answers)
    turn.case = turn.tx.create_case(
        turn.msg.conversation, turn.lang, turn.msg.user_id, turn.msg.display_name, turn.now
    )
    turn.answers, turn.focus = {}, None
    turn.tx.note(turn.case.id, "start", None if carried_from is None else {"from_case": carried_from},
                 **turn.who())
    replies = [turn.reply("info", "ui.welcome")]
    if carried_from is not None:
        # In the flow's order, each still credited to whoever gave it.
        carried = [key for key, field in FIELDS.items() if field.carries_over and key in previous]
        for key in carried:
            answer = previous[key]
            turn.tx.put_answer(turn.case.id, key, answer.value, kind="carried",
                               user_id=answer.user_id, user_name=answer.user_name, at=answer.at)
            turn.answers[key] = answer
        replies.append(turn.reply("info", "ui.carried", case_id=carried_from,
                                  fields=field_labels(carried, turn.lang) or "—"))
    if environment is None:
        return [*replies, *turn.ask(turn.current_step(), intro=True, header=True)]
    return [*replies, *turn.answer(ENVIRONMENT_STEP, ENVIRONMENT_STEP.fields, environment)]


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
        return [turn.error("err.start_unfinished", case_id=case.id), *turn.reask()]
    turn.tx.update_case(case.id, state="completed", pending_confirm=None, closed_at=turn.now,
                        updated_at=turn.now)
    turn.tx.note(case.id, "close", "completed", **turn.who())
    return start_case(turn, args, carried_from=case.id)


def cmd_start(turn: Turn, args: str) -> list[Reply]:
    case = turn.require_case()
    if args:
        return start_next_case(turn, args)
    if turn.msg.lang and normalise_lang(turn.msg.lang) != turn.lang:
        # Opening an existing case with an explicit language (console --lang) switches it.
        turn.lang = normalise_lang(turn.msg.lang)
        turn.tx.update_case(case.id, lang=turn.lang)
        turn.tx.note(case.id, "lang", turn.lang, **turn.who())
    return [
        turn.reply("info", "ui.resume", case_id=case.id, progress=progress_text(turn.values, turn.lang)),
        *turn.ask(turn.current_step(), intro=True, header=True),
    ]


def cmd_status(turn: Turn, args: str) -> list[Reply]:
    text = render_status(turn.require_case(), turn.answers, turn.current_step(), turn.lang,
                         private=turn.msg.private)
    return [Reply(kind="status", text=text)]


def cmd_back(turn: Turn, args: str) -> list[Reply]:
    steps = flow.applicable_steps(turn.values)
    current = turn.current_step()
    index = len(steps) if current is None else steps.index(current)
    if index == 0:
        return [turn.error("err.back_at_start"), *turn.reask()]
    turn.focus = steps[index - 1].name
    return turn.ask(steps[index - 1], intro=False, show_current=True)


def cmd_skip(turn: Turn, args: str) -> list[Reply]:
    step = turn.current_step()
    if step is None:
        return [turn.error("err.nothing_to_skip")]
    if not step.optional:
        return [turn.error("err.not_optional"), *turn.reask()]
    key = step.fields[0]
    empty: list[str] | None = [] if FIELDS[key].kind is Kind.MULTI else None
    replies = turn.store(step, key, empty, kind="skip")
    return [*replies, *turn.ask(turn.current_step(), intro=True)]


def _editable(turn: Turn) -> str:
    keys = dict.fromkeys(k for s in flow.applicable_steps(turn.values) for k in s.fields)
    template = "{key}（{label}）" if turn.lang == "zh" else "{key} ({label})"
    return ", ".join(template.format(key=k, label=field_label(k, turn.lang)) for k in keys)


def resolve_field(name: str) -> str | None:
    """A field named by its key or by its label in either language."""
    folded = fold(name)
    for key in FIELDS:
        if folded == key.casefold() or folded in {fold(x) for x in labels(f"field.{key}")}:
            return key
    return None


def cmd_edit(turn: Turn, args: str) -> list[Reply]:
    fields = Reply(kind="help", text=turn.t("ui.editable_fields", fields=_editable(turn)), private=True)
    if not args:
        return [turn.error("err.edit_usage"), fields]
    name, _, value = args.partition(" ")
    key = resolve_field(name)
    if key is None:
        return [turn.error("err.unknown_field", name=name[:40]), fields]
    step = flow.applicable_step_for_field(key, turn.values)
    if step is None:
        return [turn.error("err.field_not_applicable", name=field_label(key, turn.lang))]
    if not value.strip() or FIELDS[key].kind is Kind.IMAGE:
        turn.focus = step.name
        return turn.ask(step, intro=False, show_current=True)
    try:
        key, parsed = turn.parse(step, (key,), value)
    except Invalid as problem:
        return [turn.error(problem.key, **problem.params)]
    return [*turn.store(step, key, parsed, kind="edit"), *turn.reask()]


def cmd_cancel(turn: Turn, args: str) -> list[Reply]:
    case = turn.require_case()
    turn.tx.update_case(case.id, pending_confirm=CONFIRM_STEP)
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


def confirm_cancel(turn: Turn, command: ParsedCommand | None) -> list[Reply]:
    """The input after ``cancel``: a yes cancels the case, anything else keeps it."""
    case = turn.require_case()
    action = turn.msg.action
    answer = action.value if action is not None and action.step == CONFIRM_STEP else turn.msg.text
    confirmed = fold(answer) in _YES_WORDS or (
        command is not None and command.command is Command.CANCEL
    )
    if not confirmed:
        turn.tx.update_case(case.id, pending_confirm=None)
        return [turn.reply("info", "ui.cancel_kept"), *turn.reask()]
    turn.tx.update_case(case.id, state="cancelled", pending_confirm=None, closed_at=turn.now,
                        updated_at=turn.now)
    turn.tx.note(case.id, "cancel", None, **turn.who())
    turn.case = None
    return [turn.reply("info", "ui.cancelled", case_id=case.id)]


def cmd_lang(turn: Turn, args: str) -> list[Reply]:
    folded = fold(args)
    if folded not in _LANG_WORDS:
        return [turn.error("err.lang_usage")]
    turn.lang = _LANG_WORDS[folded]
    case = turn.require_case()
    turn.tx.update_case(case.id, lang=turn.lang)
    turn.tx.note(case.id, "lang", turn.lang, **turn.who())
    return [turn.reply("info", "ui.lang_set"), *turn.reask()]
