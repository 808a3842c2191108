"""The operator's holidays file (``ESIGNBOT_HOLIDAYS``): next year's schedule, written down from
the State Council's notice before a chinese-calendar release carries it.

Why a file and why TOML: the schedule is published each November as a short list of dates
(days off, and the weekend days worked in exchange), and an operator should be able to copy it
in a minute, with comments saying where it came from. TOML is read by the standard library
(``tomllib``), so there is no format of our own to learn beyond two keys::

    # 2027, from 国务院办公厅关于2027年部分节假日安排的通知
    [2027]
    off = ["2027-01-01", "2027-02-05..2027-02-11", "2027-10-01..2027-10-07"]
    work = ["2027-02-20", "2027-10-09"]

Each table is a year the file covers completely: every day listed under ``off`` is a day off,
every day under ``work`` a weekend day that is a working day (调休), and every other day a
working day from Monday to Friday. ``a..b`` is the days from a to b, both included. The file is
read once at start; a mistake stops the program with one sentence naming the setting, the year
and the entry, because a wrong schedule would silently move every due date.
"""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from pathlib import Path

from bot.settings import ConfigError
from handlers.reviews.workdays import OperatorDays

KEYS = ("off", "work")
MAX_RANGE_DAYS = 31
"""The longest ``a..b`` accepted: no Chinese holiday is longer, so a longer one is a typo."""


def load_holidays(path: Path) -> OperatorDays:
    """The schedule in ``path``; :class:`ConfigError` naming what is wrong otherwise."""
    where = f"ESIGNBOT_HOLIDAYS ({path})"
    try:
        tables = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as problem:
        raise ConfigError(f"{where} cannot be read: {problem.strerror or problem}.") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{where} is not UTF-8 text.") from None
    except tomllib.TOMLDecodeError as problem:
        raise ConfigError(f"{where} is not valid TOML: {problem}.") from None
    return parse_holidays(tables, where)


def parse_holidays(tables: dict[str, object], where: str) -> OperatorDays:
    if not tables:
        raise ConfigError(f"{where} lists no year; add a table such as [2027] with off = [...].")
    years: set[int] = set()
    off: set[date] = set()
    work: set[date] = set()
    for name, table in tables.items():
        year = _year(name, where)
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: {name} must be a table ([{name}]) with off and work lists.")
        unknown = sorted(set(table) - set(KEYS))
        if unknown:
            raise ConfigError(f"{where}: [{year}] has {', '.join(unknown)}; only off and work are known.")
        days = {key: _days(table.get(key, []), year, key, where) for key in KEYS}
        for day in days["work"]:
            if day.weekday() < 5:
                raise ConfigError(f"{where}: [{year}] work lists {day.isoformat()}, a weekday; "
                                  "list only the weekend days that are working days (调休).")
        both = sorted(days["off"] & days["work"])
        if both:
            raise ConfigError(f"{where}: [{year}] lists {both[0].isoformat()} under both off and work.")
        years.add(year)
        off |= days["off"]
        work |= days["work"]
    return OperatorDays(frozenset(years), frozenset(off), frozenset(work))


def _year(name: str, where: str) -> int:
    if not (name.isascii() and name.isdigit() and 2000 <= int(name) <= 2100):
        raise ConfigError(f"{where}: [{name}] is not a year; name each table by its year, e.g. [2027].")
    return int(name)


def _days(entries: object, year: int, key: str, where: str) -> set[date]:
    if not isinstance(entries, list):
        raise ConfigError(f'{where}: [{year}] {key} must be a list of dates, e.g. {key} = ["{year}-01-01"].')
    days: set[date] = set()
    for entry in entries:
        first, last = _range(entry, year, key, where)
        days |= {first + timedelta(days=n) for n in range((last - first).days + 1)}
    return days


def _range(entry: object, year: int, key: str, where: str) -> tuple[date, date]:
    text = entry.isoformat() if isinstance(entry, date) else entry
    if not isinstance(text, str):
        raise ConfigError(f"{where}: [{year}] {key} has {entry!r}; write dates as \"YYYY-MM-DD\".")
    start, _, end = text.partition("..")
    try:
        first = date.fromisoformat(start.strip())
        last = date.fromisoformat(end.strip()) if end else first
    except ValueError:
        raise ConfigError(f"{where}: [{year}] {key} has {text!r}, which is not a date "
                          "(YYYY-MM-DD) or a range (YYYY-MM-DD..YYYY-MM-DD).") from None
    if first.year != year or last.year != year:
        raise ConfigError(f"{where}: [{year}] {key} has {text}, outside {year}; "
                          "list each day under its own year.")
    if not 0 <= (last - first).days < MAX_RANGE_DAYS:
        raise ConfigError(f"{where}: [{year}] {key} has the range {text}, which must run forwards "
                          f"and span at most {MAX_RANGE_DAYS} days.")
    return first, last
