"""``esignbot doctor``: what the running bot would rely on, checked from a shell.

Why a command: the working-day calendar is the one part whose correctness runs out by date.
chinese-calendar knows the State Council's schedule up to its release's last year; after that
due dates and reminders are estimated. An operator should see, before users do, which years
are covered and by what, and whether the holidays file (``ESIGNBOT_HOLIDAYS``) reads cleanly.
Exit 0 when this year and (in December) next year are covered, 1 otherwise, 2 when a setting
is wrong — so a cron job or a monitoring check can run it.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from datetime import date, datetime
from importlib.metadata import PackageNotFoundError, version

from bot.settings import Settings, load_settings
from bot.wiring import use_holidays
from handlers.catalogue import normalise_lang, t
from handlers.reviews import workdays

Today = Callable[[], date]


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    doctor = commands.add_parser("doctor", help="check the holiday calendar and settings")
    doctor.add_argument("--lang", choices=["zh", "en"], help="language of the report")
    doctor.set_defaults(run=run)


def run(args: argparse.Namespace, today: Today | None = None) -> int:
    settings = load_settings()
    lang = normalise_lang(args.lang or settings.esignbot_lang)
    use_holidays(settings)  # a mistake in the file: ConfigError, one sentence, exit 2 (bot.cli)
    day = (today or _shanghai_today)()
    for line in report(settings, day, lang):
        print(line)
    return 0 if all(workdays.covered(date(year, 1, 1)) for year in years_needed(day)) else 1


def years_needed(day: date) -> tuple[int, ...]:
    """The years a due date started today may fall in: next year too from December on."""
    return (day.year, day.year + 1) if day.month == 12 else (day.year,)


def report(settings: Settings, day: date, lang: str) -> Iterator[str]:
    yield t("admin.doctor.calendar", lang)
    official = workdays.official_years()
    yield t("admin.doctor.official", lang, first=official.start, last=official.stop - 1,
            version=_version("chinese-calendar"))
    operator = sorted(workdays.operator_days().years)
    if operator:
        yield t("admin.doctor.operator", lang, years=", ".join(map(str, operator)),
                path=settings.esignbot_holidays)
    else:
        yield t("admin.doctor.no_operator", lang)
    yield t("admin.doctor.rule", lang, version=_version("holidays"))
    for year in years_needed(day):
        source = workdays.source(year)
        if source == "rule":
            yield t("admin.doctor.year_estimated", lang, year=year)
        else:
            yield t("admin.doctor.year_covered", lang, year=year,
                    source=t(f"admin.doctor.source.{source}", lang))


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "?"


def _shanghai_today() -> date:
    return datetime.now(workdays.SHANGHAI).date()
