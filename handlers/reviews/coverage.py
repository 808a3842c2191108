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

from handlers.admins import tell_admins
from handlers.catalogue import t
from handlers.reviews import workdays
from storage import StoreTransaction


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
    if year is None:
        return []
    return tell_admins(tx, admins, key=f"calendar:{year}", at=at,
                       text=lambda lang: t("reviews.calendar_uncovered", lang, year=year))
