"""The waits in ``status``: due dates and working days left; and ``status all`` for admins.

Counted in Chinese working days (``handlers.reviews.workdays``) from the day the status is asked, in
Asia/Shanghai, so "2 working days left" over a holiday week means what the reviewers mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from handlers import flow
from handlers.admins import workspace_of
from handlers.catalogue import t
from handlers.render import display_value, local_time
from handlers.reviews.notices import day_text, estimate_lines, wait_name
from handlers.reviews.tracking import start_day
from handlers.reviews.workdays import workdays_between
from storage import CaseRecord, StoreTransaction
from storage import waits as store

_ICONS = {"waiting": "⏳", "overdue": "⚠️", "approved": "✅", "rejected": "❌", "withdrawn": "↩️"}
MAX_LISTED_CASES = 100


def time_left(due: date, today: date, lang: str) -> str:
    """``2 working days left`` / ``due today`` / ``overdue by 1 working day``."""
    if today < due:
        return t("reviews.status.left", lang, count=workdays_between(today, due))
    if today == due:
        return t("reviews.status.due_today", lang)
    late = workdays_between(due, today)
    if late == 0:
        return t("reviews.status.overdue_today", lang)
    return t("reviews.status.overdue", lang, count=late)


def open_wait_line(wait: store.WaitRecord, today: date, lang: str) -> str:
    due = date.fromisoformat(wait.due_on)
    # Late is late even before the scheduler's next pass has marked it.
    icon = _ICONS["overdue" if today > due else wait.state]
    return t("reviews.status.open", lang, icon=icon, wait=wait_name(wait.kind, lang),
             start=local_time(wait.started_at), due=day_text(due, lang),
             left=time_left(due, today, lang))


def wait_lines(waits: Sequence[store.WaitRecord], today: date, lang: str) -> list[str]:
    """Every wait of a case, open ones with their due date, ended ones with their result."""
    if not waits:
        return []
    lines = [t("reviews.status.title", lang)]
    notes: list[str] = []
    for wait in waits:
        if wait.is_open:
            lines.append(open_wait_line(wait, today, lang))
            notes += [n for n in estimate_lines(wait.kind, start_day(wait.started_at), lang)
                      if n not in notes]
            continue
        reason = (t("reviews.status.reason", lang, reason=wait.reason)
                  if wait.reason and wait.state == "rejected" else "")
        lines.append(t("reviews.status.ended", lang, icon=_ICONS[wait.state],
                       wait=wait_name(wait.kind, lang), state=t(f"reviews.state.{wait.state}", lang),
                       who=wait.recorded_by_name or wait.recorded_by or "",
                       when=local_time(wait.ended_at or wait.started_at), reason=reason))
    return lines + notes


def _stage(tx: StoreTransaction, case: CaseRecord, has_open: bool, lang: str) -> str:
    if case.state != "active":
        return t("reviews.status.all_done" if case.state == "completed"
                 else "reviews.status.all_cancelled", lang)
    step = flow.STEPS_BY_NAME.get(case.current_step or "")
    if step is None:
        if case.completed_at:
            return t("reviews.status.all_done", lang)
        values = {k: a.value for k, a in tx.answers(case.id).items()}
        step = flow.first_incomplete(values)
        if step is None:
            return t("reviews.status.all_done", lang)
    state = "waiting" if has_open else "current"
    return t("reviews.status.all_stage", lang, stage=step.stage, state=t(f"stage_state.{state}", lang))


@dataclass(frozen=True, slots=True)
class CaseRow:
    """One case of the admin overview, in no language yet: ``status all`` in a chat and
    ``esignbot cases`` (text or CSV) in a shell render the same rows, so they cannot disagree."""

    case: CaseRecord
    name: str | None
    """The ``enterprise_name`` answer; None until the team has given it."""
    environment: str | None
    stage: str
    """Where it stands, in the reader's language (stage and state, or done / cancelled)."""
    waits: tuple[store.WaitRecord, ...]
    """Its open waits (none once the case is closed)."""
    last_activity: str
    """ISO time of its latest history row or answer (its creation when it has none)."""


def overview_rows(tx: StoreTransaction, lang: str, *,
                  workspace: str | None = None) -> list[CaseRow]:
    """Every case, least recently active first: an admin looks for the cases that have gone
    quiet, and a case is named by its enterprise, which is how people speak of it.
    ``workspace`` (``handlers.admins.workspace_of``): only that workspace's cases."""
    names = tx.field_values("enterprise_name")
    environments = tx.field_values("environment")
    activity = tx.last_activity()
    open_waits = store.open_waits_by_case(tx)
    rows = []
    for case in tx.cases():
        if workspace is not None and workspace_of(case.conversation) != workspace:
            continue
        pending = tuple(open_waits.get(case.id, [])) if case.state == "active" else ()
        name = names.get(case.id)
        environment = environments.get(case.id)
        rows.append(CaseRow(
            case=case, name=str(name) if name else None,
            environment=str(environment) if environment else None,
            stage=_stage(tx, case, bool(pending), lang), waits=pending,
            last_activity=max(activity.get(case.id, case.created_at), case.created_at)))
    return sorted(rows, key=lambda r: (r.last_activity, r.case.id))


def row_name(row: CaseRow, lang: str) -> str:
    return row.name or t("reviews.status.all_no_name", lang)


def row_environment(row: CaseRow, lang: str) -> str:
    if row.environment is None:
        return t("reviews.status.all_no_environment", lang)
    return display_value("environment", row.environment, lang, private=False)


def row_wait(wait: store.WaitRecord, today: date, lang: str) -> str:
    """One open wait in a cell: its name, due date and what is left."""
    due = date.fromisoformat(wait.due_on)
    return t("reviews.status.all_wait", lang, wait=wait_name(wait.kind, lang),
             due=day_text(due, lang), left=time_left(due, today, lang))


def all_cases(tx: StoreTransaction, today: date, lang: str,
              limit: int | None = MAX_LISTED_CASES, *, workspace: str | None = None) -> str:
    """Every case by enterprise name, least recently active first, with its environment, stage,
    pending waits and last activity (``status all`` for admins; ``esignbot cases`` with no
    limit). ``workspace``: that workspace's cases only (an admin's ``status all``)."""
    rows = overview_rows(tx, lang, workspace=workspace)
    if not rows:
        return t("reviews.status.all_empty", lang)
    lines = [t("reviews.status.all_title", lang, count=len(rows))]
    for row in rows if limit is None else rows[:limit]:
        lines.append(t("reviews.status.all_case", lang, case_id=row.case.id,
                       name=row_name(row, lang), environment=row_environment(row, lang),
                       stage=row.stage, last=local_time(row.last_activity)))
        if row.case.state == "active":
            lines += [open_wait_line(w, today, lang) for w in row.waits] or [
                t("reviews.status.all_no_waits", lang)]
    if limit is not None and len(rows) > limit:
        lines.append(t("reviews.status.all_more", lang, count=len(rows) - limit))
    return "\n".join(lines)
