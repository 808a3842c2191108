"""Chinese working days: due dates and working hours as Tencent's reviewers count them.

Why a calendar and not Monday–Friday: "1–3 working days" at Tencent means the mainland Chinese
working calendar, where public holidays are days off and some weekends are make-up working days
(调休). Across the 2025 National Day holiday, three working days from 30 September end on Saturday
11 October, not on a Friday a week earlier.

Three sources, asked in this order for each year (``source``):

1. ``operator`` — the schedule an operator wrote down (``ESIGNBOT_HOLIDAYS``, read by
   ``bot.holidays`` and handed here with :func:`use_operator_days`): the State Council publishes
   next year's schedule each November, often before a chinese-calendar release carries it.
2. ``official`` — ``chinese_calendar``, the State Council's schedule for the years it knows.
3. ``rule`` — python-holidays' China calendar, the statutory holidays computed by rule (lunar
   dates included). It cannot know the make-up working days, so a due date counted there is
   shown as an estimate (``DueDate.estimated_years``): a silently wrong due date is worse than a
   visibly rough one, and a rough one that skips 春节 is far better than Monday–Friday.

The calendar is data, so it lives with the dialogue and needs no service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays

SHANGHAI = ZoneInfo("Asia/Shanghai")
WORK_STARTS = time(9, 0)
WORK_ENDS = time(18, 0)
"""Reminders go out on working days between these local times (Asia/Shanghai)."""

Source = Literal["operator", "official", "rule"]


@dataclass(frozen=True, slots=True)
class OperatorDays:
    """An operator's schedule: for each year in ``years``, the days off (``off``) and the
    weekend days that are working days (``work``); every other day of those years is a working
    day from Monday to Friday."""

    years: frozenset[int]
    off: frozenset[date] = frozenset()
    work: frozenset[date] = frozenset()


_operator = OperatorDays(frozenset())


def use_operator_days(days: OperatorDays | None) -> None:
    """Consult ``days`` before the packaged calendars from now on (None: no operator file).
    Called once at start by the program's wiring."""
    global _operator
    _operator = days or OperatorDays(frozenset())


def operator_days() -> OperatorDays:
    return _operator


@lru_cache(maxsize=1)
def official_years() -> range:
    """The years chinese-calendar carries the State Council's schedule for."""
    known = [day.year for day in chinese_calendar.holidays]
    return range(min(known), max(known) + 1)


@lru_cache(maxsize=64)
def _rule_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("CN", years=year))


def source(year: int) -> Source:
    """Which calendar answers for ``year``."""
    if year in _operator.years:
        return "operator"
    if year in official_years():
        return "official"
    return "rule"


def covered(day: date) -> bool:
    """True when an official schedule (the operator's or chinese-calendar's) covers ``day``."""
    return source(day.year) != "rule"


def is_workday(day: date) -> bool:
    """A working day in mainland China, by the first calendar that knows ``day``'s year."""
    known = source(day.year)
    if known == "operator":
        return day in _operator.work or (day.weekday() < 5 and day not in _operator.off)
    if known == "official":
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5 and day not in _rule_holidays(day.year)


def is_makeup_workday(day: date) -> bool:
    """A Saturday or Sunday that is a working day (调休), worth pointing out to people."""
    return day.weekday() >= 5 and covered(day) and is_workday(day)


@dataclass(frozen=True, slots=True)
class DueDate:
    day: date
    estimated_years: tuple[int, ...] = ()
    """Years counted by holiday rules because no official schedule covers them (empty: exact)."""

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
