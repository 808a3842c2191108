"""What the bot says about a wait: when it starts, when it ends, when it is late.

Kept apart from the command and the scheduler because both write these messages: a result is
composed inside the turn (or the credential check) that records it, a reminder inside the
scheduler's transaction that claims it, and both in the case's language.
"""

from __future__ import annotations

from datetime import date

from handlers.catalogue import t
from handlers.render import local_time
from handlers.reviews.kinds import KINDS
from handlers.reviews.workdays import add_workdays, is_makeup_workday
from handlers.shapes import Reply

_NEXT_LINE = "\n"


def day_text(day: date, lang: str) -> str:
    """``2025-10-11（周六，调休上班）``: the weekday, and a make-up working day pointed out."""
    key = "reviews.day_makeup" if is_makeup_workday(day) else "reviews.day"
    return t(key, lang, date=day.isoformat(), weekday=t(f"reviews.weekday.{day.weekday()}", lang))


def wait_name(kind: str, lang: str) -> str:
    return t(f"reviews.kind.{kind}", lang)


def estimate_lines(kind: str, start: date, lang: str) -> list[str]:
    """Why a due date may be rough: no calendar data for a year, or no duration in the guide."""
    spec = KINDS[kind]
    lines = []
    if not spec.duration_stated:
        lines.append(t("reviews.duration_unstated", lang, days=spec.workdays))
    years = add_workdays(start, spec.workdays).estimated_years
    if years:
        sep = "、" if lang == "zh" else ", "
        lines.append(t("reviews.estimate_note", lang, years=sep.join(map(str, years))))
    return lines


def started_reply(kind: str, started_at: str, start: date, due: date, lang: str) -> Reply:
    spec = KINDS[kind]
    text = t("reviews.started", lang, wait=wait_name(kind, lang), start=local_time(started_at),
             days=spec.workdays, due=day_text(due, lang), kind=t(f"reviews.word.{kind}", lang))
    return Reply(kind="info", text=_NEXT_LINE.join([text, *estimate_lines(kind, start, lang)]))


def result_replies(
    kind: str,
    state: str,
    lang: str,
    *,
    recorded_by: str,
    at: str,
    reason: str | None,
    app_id: str | None,
) -> list[Reply]:
    """The announcement of a result: what happened, and what to do next."""
    recorded = t("reviews.notice.recorded_by", lang, who=recorded_by, when=local_time(at))
    if state == "approved":
        key = ("reviews.notice.approved.app_no_id" if kind == "app" and not app_id
               else f"reviews.notice.approved.{kind}")
    else:
        key = f"reviews.notice.rejected.{kind}"
    # Each sentence uses the placeholders it needs; str.format ignores the rest.
    text = t(key, lang, recorded=recorded, app_id=app_id or "",
             reason=reason or t("reviews.notice.no_reason", lang))
    text = _NEXT_LINE.join([text, t("reviews.notice.contact", lang)])
    return [Reply(kind="info", text=text)]


def reminder_replies(
    kind: str, lang: str, *, started_at: str, due_on: date, late: int
) -> list[Reply]:
    """A late wait: what is late, since when, what to check, who to ask."""
    text = t("reviews.reminder", lang, wait=wait_name(kind, lang), start=local_time(started_at),
             due=day_text(due_on, lang), late=late, kind=t(f"reviews.word.{kind}", lang),
             advice=t(f"reviews.reminder.advice.{kind}", lang))
    return [Reply(kind="info", text=text)]


def to_rows(replies: list[Reply]) -> list[dict[str, object]]:
    """Replies as the outbox stores them (text only: notices carry no files or buttons)."""
    return [{"kind": r.kind, "text": r.text} for r in replies]


def from_rows(rows: list[dict[str, object]]) -> list[Reply]:
    return [Reply.model_validate(row) for row in rows]
