"""Reviews and waits in the conversation: the ``review`` command, the answer hook that starts a
wait, the guard that keeps results to admins, and the waits in ``status``.

Why results are recorded through the gate answers: the flow already knows where the team stands
from ``transfer_status``, ``realname_status`` and ``app_status``. Recording a result stores the
gate answer it implies through ``Turn.store`` (history, dependants, notes, position and all), so
``review realname approved`` moves the conversation exactly as answering "approved" would, and
answering "approved" records the result exactly as ``review`` would. Either way the wait ends and
its announcement is queued in the same transaction (``handlers.reviews.tracking``).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from handlers import admins, flow
from handlers.commands import ALL_WORDS, Command, ParsedCommand, reads_arguments
from handlers.core_commands import cmd_status as core_status
from handlers.registry import ENGINE, Router
from handlers.render import field_label, local_time
from handlers.reviews import tracking
from handlers.reviews.kinds import KIND_BY_GATE, KINDS, WaitKind
from handlers.reviews.notices import started_reply, wait_name
from handlers.reviews.status import all_cases, wait_lines
from handlers.reviews.workdays import local_date
from handlers.shapes import Reply
from handlers.turn import Turn, fold
from handlers.validators import Invalid
from storage import waits as store

MAX_REASON_CHARS = 500

_KIND_WORDS: dict[str, str] = {
    **dict.fromkeys(("transfer", "bank", "banktransfer", "打款", "对公打款", "对公打款认证"),
                    "transfer"),
    **dict.fromkeys(("realname", "real-name", "实名", "补充实名", "补充实名认证", "实名认证"),
                    "realname"),
    **dict.fromkeys(("app", "appid", "app-id", "应用", "应用号", "应用号审核"), "app"),
}
_VERDICT_WORDS: dict[str, str] = {
    **dict.fromkeys(("approved", "approve", "pass", "passed", "ok", "verified", "通过", "已通过",
                     "成功", "验证成功"), "approved"),
    **dict.fromkeys(("rejected", "reject", "failed", "fail", "驳回", "被驳回", "未通过", "拒绝",
                     "失败"), "rejected"),
}
_APP_ID_SHAPE = re.compile(r"[A-Za-z0-9]{32}")
"""An app ID (应用号), as the app ID question takes it (``handlers.validators.app_id``)."""
_NO_REASON_WORDS = {"none", "no", "无", "没有", "不知道", "-", "—"}
REASON_STEPS: dict[str, str] = {kind: f"review_reason_{kind}" for kind in ("realname", "app")}
"""The ``pending_confirm`` value while a rejection chosen as an answer waits for its reason
(the bank transfer has no rejection answer: a failed one starts over)."""
_REASON_KIND = {step: kind for kind, step in REASON_STEPS.items()}

router = Router("reviews")


# -- who may record results ----------------------------------------------------------------
def is_admin(turn: Turn) -> bool:
    """Listed in ``ESIGNBOT_ADMINS`` as an admin of the workspace this input came from."""
    return admins.is_admin(turn.services.admins, turn.msg.conversation, turn.msg.user_id)


def _named(turn: Turn) -> str:
    """The person as ``ESIGNBOT_ADMINS`` would list them (``slack:T1:U1``), for the sentence
    that tells them what to ask for."""
    return admins.person_id(turn.msg.conversation, turn.msg.user_id)


def may_record(turn: Turn) -> bool:
    """Everyone when no admins are configured; otherwise admins only."""
    return not turn.services.admins or is_admin(turn)


@router.choice_check
def guard_answer(turn: Turn, step: flow.Step, key: str, value: Any) -> None:
    """An answer check: a result typed as the answer to a gate question is a recorded result
    too, so with admins configured only an admin may give it (``Invalid`` refuses it)."""
    spec = KIND_BY_GATE.get(key)
    if spec is not None and value in spec.ends and not may_record(turn):
        raise Invalid("reviews.err.not_admin", user=_named(turn))


# -- the answer hook -----------------------------------------------------------------------
@router.answer_hook
def on_answer(turn: Turn, step: flow.Step, key: str, value: Any) -> list[Reply]:
    """Start a wait when the team says a step was submitted; end it when they give the result;
    close it quietly when they take the submission back."""
    spec = KIND_BY_GATE.get(key)
    if spec is None or not isinstance(value, str):
        return []
    case = turn.require_case()
    who = turn.who()
    if value == spec.starts:
        wait = tracking.begin(turn.tx, case.id, spec.name, **who)
        if wait is None:
            return []
        return [started_reply(spec.name, wait.started_at, tracking.start_day(wait.started_at),
                              date.fromisoformat(wait.due_on), turn.lang)]
    if value in spec.ends:
        state = spec.ends[value]
        if tracking.already_recorded(turn.tx, case.id, spec.name, state) is None:
            if state == "rejected" and spec.name in REASON_STEPS:
                # Announced once the reason is known (``confirm_reason``): the team needs it.
                turn.set_pending(REASON_STEPS[spec.name])
                return reason_question(turn)
            app_id = turn.values.get("app_id") if spec.name == "app" else None
            tracking.finish(turn.tx, case, spec.name, state, lang=turn.lang, app_id=app_id, **who)
        return []
    if value in spec.withdraws:
        tracking.withdraw(turn.tx, case.id, spec.name, **who)
    return []


# -- a rejection's reason ------------------------------------------------------------------
@router.resume(*REASON_STEPS.values())
def reason_question(turn: Turn) -> list[Reply]:
    """Ask for the reason of the rejection just chosen as an answer."""
    step = turn.require_case().pending_confirm or ""
    kind = _REASON_KIND.get(step, "realname")
    return [Reply(kind="question", step=step,
                  text=turn.t("reviews.reason.ask", wait=wait_name(kind, turn.lang)))]


def answers_reason(turn: Turn, command: ParsedCommand | None) -> bool:
    """Any typed line but a command is the reason (``none`` too); a command or a click makes
    the question lapse (``handlers.registry.Confirmation``)."""
    return command is None and turn.msg.action is None and turn.msg.file is None


def reason_lapses(turn: Turn) -> list[Reply]:
    """Something else came instead of the reason: the rejection is recorded without one (its
    announcement must not wait for ever), and the input goes on as usual."""
    return confirm_reason(turn, None, typed="")[:1]  # "recorded"; the flow's question follows


@router.confirmation(*REASON_STEPS.values(), answers=answers_reason, lapse=reason_lapses)
def confirm_reason(turn: Turn, command: ParsedCommand | None, *,
                   typed: str | None = None) -> list[Reply]:
    """The input after "what reason did Tencent give?": recorded with the rejection and put in
    its announcement. ``none`` (or a command, or a click) records it without one."""
    case = turn.require_case()
    kind = _REASON_KIND[case.pending_confirm or ""]
    if typed is None:
        typed = turn.msg.text if command is None and turn.msg.action is None else ""
    try:
        reason = None if fold(typed) in _NO_REASON_WORDS else (_reason(typed) or None)
    except Invalid as problem:
        return [turn.error(problem.key, **problem.params), *reason_question(turn)]
    turn.set_pending(None)
    if tracking.already_recorded(turn.tx, case.id, kind, "rejected") is None:
        tracking.finish(turn.tx, case, kind, "rejected", lang=turn.lang, reason=reason,
                        **turn.who())
        turn.tx.note(case.id, "review", {"wait": kind, "result": "rejected", "reason": reason},
                     **turn.who())
    return [turn.reply("info", "reviews.recorded", wait=wait_name(kind, turn.lang),
                       state=turn.t("reviews.state.rejected"),
                       creator=case.created_by_name or case.created_by), *turn.reask()]


# -- the review command --------------------------------------------------------------------
def _usage(turn: Turn, key: str | None = None, **params: Any) -> list[Reply]:
    replies = [turn.error(key, **params)] if key else []
    return [*replies, Reply(kind="help", text=turn.t("reviews.usage"), private=True)]


def _reason(text: str) -> str:
    """The free text after the result, as one tidy line (it is shown to the whole team)."""
    cleaned = unicodedata.normalize("NFC", text).strip()
    if any(unicodedata.category(ch) in {"Cc", "Cf"} and ch not in "\n\t" for ch in cleaned):
        raise Invalid("reviews.err.reason_chars")
    cleaned = " ".join(cleaned.split())
    if len(cleaned) > MAX_REASON_CHARS:
        raise Invalid("reviews.err.reason_too_long", length=len(cleaned), max=MAX_REASON_CHARS)
    return cleaned


def _gate_step(turn: Turn, spec: WaitKind) -> flow.Step | list[Reply]:
    """The gate question for this wait, or why the case has none (yet)."""
    values = turn.values
    step = flow.applicable_step_for_field(spec.gate, values)
    if step is not None:
        return step
    conditions = {key for s in flow.steps_for_field(spec.gate) for key in (*s.when, *s.unless)}
    sep = "、" if turn.lang == "zh" else ", "
    labels = sep.join(field_label(k, turn.lang) for k in sorted(conditions))
    unanswered = any(k not in values for k in conditions)
    key = "reviews.err.not_yet" if unanswered else "reviews.err.not_applicable"
    return [turn.error(key, wait=wait_name(spec.name, turn.lang), fields=labels)]


def records_app_id(args: str) -> bool:
    """Whether ``review`` with these arguments records an approved app ID (``app approved
    <app ID>``): its last word is then an app ID, not a key (the secret guard asks this)."""
    words = args.split(maxsplit=2)
    return len(words) == 3 and _KIND_WORDS.get(fold(words[0])) == "app" \
        and _VERDICT_WORDS.get(fold(words[1])) == "approved"


@router.answer_shortcut
def app_id_at_status(turn: Turn, step: flow.Step) -> list[Reply] | None:
    """An answer shortcut: the 32-character app ID pasted at "where are you with the app ID
    application?" is the approval it comes with (Tencent sends the app ID in the approval
    email), recorded as ``review app approved <app ID>`` would record it. None for any other
    answer, which the question takes as usual."""
    if step.fields != (KINDS["app"].gate,):
        return None
    text = unicodedata.normalize("NFKC", turn.msg.text).strip()
    if not _APP_ID_SHAPE.fullmatch(text):
        return None
    return cmd_review(turn, f"app approved {text}")


@reads_arguments(Command.REVIEW)
def reads_review(args: str) -> bool:
    """``review`` is followed by a wait and a result (``review app approved …``): "Review
    Board 助手" is an app's name."""
    words = args.split(maxsplit=2)
    return len(words) >= 2 and fold(words[0]) in _KIND_WORDS and fold(words[1]) in _VERDICT_WORDS


@router.command(Command.REVIEW)
def cmd_review(turn: Turn, args: str) -> list[Reply]:
    """``review <transfer|realname|app> approved|rejected [reason or app ID]``."""
    words = args.split(maxsplit=2)
    if len(words) < 2:
        return _usage(turn)
    kind = _KIND_WORDS.get(fold(words[0]))
    if kind is None:
        return _usage(turn, "reviews.err.kind", word=words[0][:40])
    state = _VERDICT_WORDS.get(fold(words[1]))
    if state is None:
        return _usage(turn, "reviews.err.verdict", word=words[1][:40])
    if not may_record(turn):
        return [turn.error("reviews.err.not_admin", user=_named(turn))]
    spec = KINDS[kind]
    gate = _gate_step(turn, spec)
    if not isinstance(gate, flow.Step):
        return gate
    rest = words[2] if len(words) > 2 else ""
    app_id: str | None = None
    try:
        if kind == "app" and state == "approved":
            if not rest.strip():
                return _usage(turn, "reviews.err.app_id_needed")
            _, app_id = turn.parse(flow.STEPS_BY_NAME["app_id"], ("app_id",), rest)
            reason = None
        else:
            reason = _reason(rest) or None
    except Invalid as problem:
        return [turn.error(problem.key, **problem.params)]
    return _record(turn, spec, gate, state, reason=reason, app_id=app_id)


def _record(
    turn: Turn, spec: WaitKind, gate: flow.Step, state: str, *, reason: str | None,
    app_id: str | None,
) -> list[Reply]:
    case = turn.require_case()
    gate_value = spec.answer_for[state]
    done = tracking.already_recorded(turn.tx, case.id, spec.name, state)
    if done is not None and turn.values.get(spec.gate) == gate_value and (
            app_id is None or turn.values.get("app_id") == app_id):
        return [turn.reply("info", "reviews.already", wait=wait_name(spec.name, turn.lang),
                           state=turn.t(f"reviews.state.{state}"),
                           who=done.recorded_by_name or done.recorded_by or "",
                           when=local_time(done.ended_at or done.started_at)),
                *turn.reask()]
    was = turn.current_step()
    tracking.finish(turn.tx, case, spec.name, state, lang=turn.lang, reason=reason, app_id=app_id,
                    **turn.who())
    turn.tx.note(case.id, "review", {"wait": spec.name, "result": state, "reason": reason},
                 **turn.who())
    replies = [turn.reply("info", "reviews.recorded", wait=wait_name(spec.name, turn.lang),
                          state=turn.t(f"reviews.state.{state}"),
                          creator=case.created_by_name or case.created_by)]
    replies += turn.store(gate, spec.gate, gate_value)
    if app_id is not None:
        replies += turn.store(flow.STEPS_BY_NAME["app_id"], "app_id", app_id)
    after = turn.current_step()
    new_stage = after is None or was is None or after.stage != was.stage
    return [*replies, turn.progress(), *turn.ask(after, intro=True, header=new_stage)]


# -- status ---------------------------------------------------------------------------------
@router.command(Command.STATUS)
def cmd_status(turn: Turn, args: str) -> list[Reply]:
    """``status``: the case, then its waits and what other features add (``Router.status_part``:
    what the licence photo was read to say); ``status all``: every case, for admins."""
    if fold(args) in ALL_WORDS:
        if not turn.services.admins or not is_admin(turn):
            return [turn.error("reviews.err.status_all_admins", user=_named(turn))]
        today = local_date(turn.clock_now)
        # Only the admin's own workspace: an admin of one Slack team sees nothing of another.
        workspace = admins.workspace_of(turn.msg.conversation)
        return [Reply(kind="status", text=all_cases(turn.tx, today, turn.lang,
                                                    workspace=workspace), private=True)]
    if turn.case is None:
        return [turn.error("err.no_case")]
    if args:  # "/status quo": "Status Quo Ltd" without the slash is an answer (commands.py)
        return [turn.error("reviews.err.status_usage")]
    replies = core_status(turn, args)
    lines = wait_lines(store.waits_for_case(turn.tx, turn.case.id), local_date(turn.clock_now),
                       turn.lang)
    lines += [line for part in ENGINE.status_parts for line in part(turn)]
    lines.append(turn.next_line())  # and what to do next, as ``help`` ends
    first = replies[0]
    return [first.model_copy(update={"text": "\n".join([first.text, *lines])}), *replies[1:]]
