"""Telling admins, once, that next year's holiday schedule is missing from the calendar.

Why in December and once: the State Council publishes next year's schedule in November or
December, and a wait started late in December already comes due in January. Before then a
notice would only be noise; after the first one, repeating it daily would teach people to
ignore the bot. The outbox's de-duplication key (one per year and admin conversation) makes
"once" hold across restarts and across two bot processes on one file.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from handlers.catalogue import t
from handlers.mail.findings import admin_cases
from handlers.reviews import workdays
from handlers.reviews.notices import to_rows
from handlers.shapes import Reply
from storage import StoreTransaction
from storage import waits as outbox


def uncovered_next_year(today: date) -> int | None:
    """Next year, when it is December and no official schedule covers next year."""
    if today.month != 12:
        return None
    year = today.year + 1
    return year if workdays.source(year) == "rule" else None


def warn_admins(tx: StoreTransaction, today: date, admins: Iterable[str], at: str) -> list[str]:
    """Queue the notice for each conversation where an admin started a case, unless queued
    there before; returns the conversations newly told."""
    year = uncovered_next_year(today)
    admins = frozenset(admins)
    if year is None or not admins:  # no admins: nobody to tell, and no reason to read every case
        return []
    told = []
    for case in admin_cases(tx, admins):
        reply = Reply(kind="info", text=t("reviews.calendar_uncovered", case.lang, year=year))
        if outbox.add_message(
                tx, dedupe_key=f"calendar:{year}:{case.conversation}", case_id=case.id,
                wait_id=None, purpose="result", conversation=case.conversation,
                mention_user_id=case.created_by, mention_name=case.created_by_name or case.created_by,
                replies=to_rows([reply]), at=at):
            told.append(case.conversation)
    return told
