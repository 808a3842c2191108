"""Chinese working days: due dates and working hours as Tencent's reviewers count them.

Why a calendar and not Monday–Friday: "1–3 working days" at Tencent means the mainland Chinese
working calendar, where public holidays are days off and some weekends are make-up working days
(调休). Across the 2025 National Day holiday, three working days from 30 September end on Saturday
11 October, not on a Friday a week earlier. ``chinese_calendar`` carries the State Council's
schedule for the years it knows; for a year it does not know yet we fall back to Monday–Friday
and say so (``estimated``), because a silently wrong due date is worse than a visibly rough one.
The calendar is pure data, so it lives with the dialogue and needs no service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
WORK_STARTS = time(9, 0)
WORK_ENDS = time(18, 0)
"""Reminders go out on working days between these local times (Asia/Shanghai)."""


def covered(day: date) -> bool:
    """True when the calendar has the official schedule for ``day``'s year."""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


def is_workday(day: date) -> bool:
    """A working day in mainland China; Monday–Friday for a year the calendar does not cover."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def is_makeup_workday(day: date) -> bool:
    """A Saturday or Sunday that is a working day (调休), worth pointing out to people."""
    return day.weekday() >= 5 and covered(day) and is_workday(day)


@dataclass(frozen=True, slots=True)
class DueDate:
    day: date
    estimated_years: tuple[int, ...] = ()
    """Years counted Monday–Friday because the calendar does not cover them (empty: exact)."""

    @property
    def estimated(self) -> bool:
        return bool(self.estimated_years)


def add_workdays(start: date, count: int) -> DueDate:
    """The ``count``-th working day after ``start`` (``start`` itself is not counted).

    Work submitted on a day is reviewed from the next working day on, so 3 working days from
    Tuesday 30 September 2025 are 9, 10 and 11 October: the due date is Saturday 11 October.
    """
    if count < 0:
        raise ValueError("count must not be negative")
    day = start
    uncovered: set[int] = set()
    left = count
    while left:
        day += timedelta(days=1)
        if not covered(day):
            uncovered.add(day.year)
        if is_workday(day):
            left -= 1
    return DueDate(day, tuple(sorted(uncovered)))


def workdays_between(after: date, until: date) -> int:
    """How many working days lie in (``after``, ``until``]; 0 when ``until`` is not later."""
    count = 0
    day = after
    while day < until:
        day += timedelta(days=1)
        count += is_workday(day)
    return count


def local_date(moment: datetime) -> date:
    """The calendar day in Asia/Shanghai (a time stamp without a zone is taken as UTC)."""
    return local_time(moment).date()


def local_time(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(SHANGHAI)


def in_working_hours(moment: datetime) -> bool:
    """A working day in Asia/Shanghai, between 09:00 and 18:00 local time."""
    local = local_time(moment)
    return is_workday(local.date()) and WORK_STARTS <= local.time() < WORK_ENDS
