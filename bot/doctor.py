"""``esignbot doctor``: every check ``serve`` makes at start, run from a shell without starting it.

Why a command: a setting ``serve`` refuses (WeCom half configured, a Slack token of the wrong
kind, a log level that does not exist, a data key that is not a key, a database a newer version
migrated) used to be found by systemd restarting ``serve`` every 5 s. The doctor asks the same
functions ``serve`` asks (``bot.logs``, ``bot.wiring``, each platform's ``*_settings``, the mailbox
config, the storage's migrations), says one sentence per problem naming the setting, and changes
nothing: the database is opened read-only, so it can run beside ``serve`` or before an upgrade.

The working-day calendar is the one part whose correctness runs out by date. chinese-calendar
knows the State Council's schedule up to its release's last year; after that due dates and
reminders are estimated, so the doctor says which years are covered and by what.

Exit 0 when all is well, 1 when only the calendar needs attention (this year, or in December
next year, is estimated), 2 when something would stop ``serve`` — so a cron job or a monitoring
check can run it. Problems go to stderr, the rest of the report to stdout.
"""

from __future__ import annotations

import argparse
import errno
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from datetime import date, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bot import logs
from bot.mail.watch import MailConfigError, mailbox_config
from bot.settings import ConfigError, Settings, load_settings
from bot.wiring import admin_ids, build_sealer, use_holidays
from handlers.catalogue import normalise_lang, t
from handlers.reviews import workdays
from storage.case_admin import first_sealed
from storage.case_store import StoreTransaction, StoreUnusable
from storage.migrations import pending_migrations
from storage.sealing import SealingError

Today = Callable[[], date]


class Report:
    """The lines said so far, and whether any was a problem."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.problems = 0

    def say(self, key: str, **params: object) -> None:
        print(t(key, self.lang, **params))

    def problem(self, text: str) -> None:
        """One sentence naming the setting or file; stderr, so a script sees it apart."""
        self.problems += 1
        print(f"  ❌ {text}", file=sys.stderr)


def run(args: argparse.Namespace, today: Today | None = None) -> int:
    settings = load_settings()  # a setting of the wrong type: ConfigError, a line each (bot.cli)
    report = Report(normalise_lang(getattr(args, "lang", None) or settings.esignbot_lang))
    check_settings(settings, report)
    check_files(settings, Path(args.db) if getattr(args, "db", None) else settings.esignbot_db,
                report)
    try:
        use_holidays(settings)
    except ConfigError as problem:
        report.problem(str(problem))
        return 2
    day = (today or _shanghai_today)()
    for line in calendar(settings, day, report.lang):
        print(line)
    if report.problems:
        return 2
    return 0 if all(workdays.covered(date(year, 1, 1)) for year in years_needed(day)) else 1


def check_settings(settings: Settings, report: Report) -> None:
    """What ``serve`` reads before it builds anything: logs, admins, data key, platforms, mail."""
    report.say("admin.doctor.settings")
    try:
        report.say("admin.doctor.logs", level=logs.log_level(settings),
                   format=logs.log_format(settings))
    except ConfigError as problem:
        report.problem(str(problem))
    try:
        report.say("admin.doctor.admins", count=len(admin_ids(settings.esignbot_admins)))
    except ConfigError as problem:
        report.problem(str(problem))
    try:
        report.say("admin.doctor.data_key_set" if build_sealer(settings) is not None
                   else "admin.doctor.data_key_unset")
    except ConfigError as problem:
        report.problem(str(problem))
    configured = 0
    for name, check in _platforms():
        try:
            found = check(settings)
        except ConfigError as problem:
            report.problem(str(problem))
            configured += 1  # configured, wrongly: not "nothing to serve"
            continue
        configured += found is not None
        report.say("admin.doctor.platform_on" if found is not None else "admin.doctor.platform_off",
                   platform=name)
    if not configured:
        report.say("admin.doctor.nothing_to_serve")
    try:
        mailbox = mailbox_config(settings)
        report.say("admin.doctor.mailbox_on" if mailbox else "admin.doctor.mailbox_off",
                   mailbox=mailbox.key if mailbox else "")
    except MailConfigError as problem:
        report.problem(str(problem))


def _platforms() -> list[tuple[str, Callable[[Settings], object | None]]]:
    """Each platform's settings check, the one its factory in ``bot.wiring`` starts with.
    Imported here: only the doctor and ``serve`` need wechatpy and bolt loaded."""
    from bot.slack.app import slack_http_settings
    from bot.wecom.callback import wecom_settings
    from bot.wecom.smartbot.platform import bot_settings

    return [("WeCom", wecom_settings), ("WeCom smart bot", bot_settings),
            ("Slack (HTTP)", slack_http_settings)]


def check_files(settings: Settings, db: Path, report: Report) -> None:
    """The database (readable, its schema, the data key against what it sealed) and the output
    folder, read without writing a byte."""
    report.say("admin.doctor.files")
    _check_database(settings, db, report)
    out = settings.esignbot_out
    folder = out if out.exists() else _nearest_existing(out)
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        report.problem(t("admin.doctor.out_unwritable", report.lang, path=out))
    else:
        report.say("admin.doctor.out_ok", path=out)


def _nearest_existing(path: Path) -> Path:
    for parent in path.absolute().parents:
        if parent.exists():
            return parent
    return Path("/")


def _check_database(settings: Settings, db: Path, report: Report) -> None:
    def unusable(problem: StoreUnusable) -> None:
        report.problem(t(f"admin.store.{problem.reason}", report.lang, db=db,
                         detail=problem.detail))

    if not db.exists():
        folder = _nearest_existing(db)
        if folder.is_dir() and os.access(folder, os.W_OK | os.X_OK):
            report.say("admin.doctor.db_new", db=db)
        else:
            report.problem(t("admin.doctor.db_unwritable", report.lang, db=db, detail=folder))
        return
    if db.is_dir():
        unusable(StoreUnusable(db, "cannot_open", os.strerror(errno.EISDIR)))
        return
    if not os.access(db, os.R_OK | os.W_OK) or not os.access(db.parent, os.W_OK | os.X_OK):
        report.problem(t("admin.doctor.db_unwritable", report.lang, db=db, detail=db.parent))
        return
    try:
        conn = sqlite3.connect(f"{db.absolute().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as problem:
        unusable(StoreUnusable.because(db, problem))
        return
    try:
        # What ``serve`` reads at start (the migrations table), and every page once: a copy cut
        # short can have a readable first page and nothing behind it.
        pending, unknown = pending_migrations(conn)
        damage = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
        if damage != "ok":
            raise sqlite3.DatabaseError(damage)
        if unknown:
            unusable(StoreUnusable(db, "newer", ", ".join(unknown)))
            return
        if pending:
            report.say("admin.doctor.db_pending", db=db, count=len(pending))
        else:
            report.say("admin.doctor.db_current", db=db)
        if "answers" in {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}:
            _check_data_key(settings, conn, report)
    except sqlite3.DatabaseError as problem:
        if not hasattr(problem, "sqlite_errorname") or problem.sqlite_errorname == "SQLITE_ERROR":
            unusable(StoreUnusable(db, "damaged", str(problem)))
        else:
            unusable(StoreUnusable.because(db, problem))
    finally:
        conn.close()


def _check_data_key(settings: Settings, conn: sqlite3.Connection, report: Report) -> None:
    """The key opens what the file sealed (``bot.wiring.check_data_key``, read-only here)."""
    from sqlite_utils import Database

    try:
        sealer = build_sealer(settings)
    except ConfigError:
        return  # said already, with the settings
    sample = first_sealed(StoreTransaction(Database(conn, execute_plugins=False), sealer))
    if sample is None:
        return
    try:
        if sealer is None:
            raise SealingError("personal fields in this database are sealed: set ESIGNBOT_DATA_KEY")
        sealer.open(sample)
    except SealingError as problem:
        report.problem(str(problem))
        return
    report.say("admin.doctor.data_key_opens")


def years_needed(day: date) -> tuple[int, ...]:
    """The years a due date started today may fall in: next year too from December on."""
    return (day.year, day.year + 1) if day.month == 12 else (day.year,)


def calendar(settings: Settings, day: date, lang: str) -> Iterator[str]:
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
