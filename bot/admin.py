"""``esignbot export-case``, ``delete-case``, ``rotate-data-key``, ``backup`` and ``cases``: an
admin's hands on the file.

Why sub-commands and not chat commands: handing over or erasing a case, or changing the key
that seals personal data, is done by whoever runs the bot, on the machine that holds the SQLite
file, not by anyone who can talk to the bot. Each runs in one transaction: a rotation that
fails half-way leaves every value sealed as before. ``backup`` and ``cases`` only read, and
take no write lock, so they run while ``esignbot serve`` does.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sqlite3
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import BinaryIO, TextIO

from bot.settings import ConfigError, Settings, load_settings
from bot.wiring import build_sealer
from handlers.catalogue import normalise_lang, t
from handlers.render import local_time
from handlers.reviews.status import all_cases, overview_rows, row_environment, row_name, row_wait
from handlers.reviews.workdays import local_date
from storage import CaseStore, StoreTransaction
from storage.backup import BackupError, write_backup
from storage.case_admin import delete_case, dumps, export_case, reseal
from storage.sealing import SealingError

CSV_COLUMNS = ("case", "name", "environment", "stage", "waits", "last_activity")


def _open(args: argparse.Namespace, settings: Settings, *, rotating: bool = False) -> CaseStore:
    return CaseStore(Path(args.db) if args.db else settings.esignbot_db,
                     sealer=build_sealer(settings, new_key=rotating))


def _lang(args: argparse.Namespace, settings: Settings) -> str:
    return normalise_lang(args.lang or settings.esignbot_lang)


def _guarded(args: argparse.Namespace, work: str, stdout: TextIO, stderr: TextIO) -> int:
    settings = load_settings()
    lang = _lang(args, settings)
    try:
        store = _open(args, settings, rotating=work == "rotate")
    except ConfigError as problem:
        print(t("admin.sealing_problem", lang, detail=problem), file=stderr)
        return 2
    try:
        with store.transaction() as tx:
            if work == "rotate":
                assert store.sealer is not None  # build_sealer(new_key=True) always has a key
                count = reseal(tx, store.sealer)
                print(t("admin.rotated", lang, count=count), file=stdout)
                return 0
            if work == "export":
                export = export_case(tx, args.case)
                if export is None:
                    print(t("admin.no_case", lang, case=args.case), file=stderr)
                    return 1
                text = dumps(export)
                if args.out:
                    _write_private(Path(args.out), text)
                    print(t("admin.exported", lang, case=args.case, path=args.out), file=stdout)
                else:
                    print(text, file=stdout)
                return 0
            if not args.yes:
                print(t("admin.delete_needs_yes", lang, case=args.case), file=stderr)
                return 2
            counts = delete_case(tx, args.case)
            if counts is None:
                print(t("admin.no_case", lang, case=args.case), file=stderr)
                return 1
            listed = ", ".join(f"{table} {n}" for table, n in counts.items())
            print(t("admin.deleted", lang, case=args.case, counts=listed), file=stdout)
            return 0
    except SealingError as problem:
        print(t("admin.sealing_problem", lang, detail=problem), file=stderr)
        return 2
    finally:
        store.close()


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by its owner only: it holds resident IDs and phone numbers."""
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        os.fchmod(fd, 0o600)  # open's mode applies to a new file only, not one already there
        out.write(text + "\n")


def _export(args: argparse.Namespace) -> int:
    return _guarded(args, "export", sys.stdout, sys.stderr)


def _delete(args: argparse.Namespace) -> int:
    return _guarded(args, "delete", sys.stdout, sys.stderr)


def _rotate(args: argparse.Namespace) -> int:
    return _guarded(args, "rotate", sys.stdout, sys.stderr)


def _db_path(args: argparse.Namespace, settings: Settings) -> Path:
    return Path(args.db) if args.db else settings.esignbot_db


def _backup(args: argparse.Namespace) -> int:
    """``esignbot backup --to FILE``: one line saying what was written, or why not (exit 2 for
    what the admin can fix by choosing another path; 1 when the copy itself failed its check)."""
    settings = load_settings()
    lang = _lang(args, settings)
    db, target = _db_path(args, settings), Path(args.to)
    try:
        done = write_backup(db, target, force=args.force)
    except BackupError as problem:
        key = {"no_database": "admin.no_database", "exists": "admin.backup_exists",
               "same_file": "admin.backup_same_file", "unwritable": "admin.backup_unwritable",
               "corrupt": "admin.backup_corrupt"}[problem.reason]
        print(t(key, lang, db=db, path=target, detail=problem.detail), file=sys.stderr)
        return 1 if problem.reason == "corrupt" else 2
    print(t("admin.backup_done", lang, db=db, path=done.path, size=f"{done.size / 2**20:.1f}",
            pages=done.pages, steps=done.steps), file=sys.stdout)
    return 0


def _cases(args: argparse.Namespace) -> int:
    """``esignbot cases [--csv]``: the rows of ``status all``, every case, from a shell."""
    settings = load_settings()
    lang = _lang(args, settings)
    db = _db_path(args, settings)
    if not db.is_file():  # CaseStore would create an empty database at a mistyped path
        print(t("admin.no_database", lang, db=db), file=sys.stderr)
        return 2
    try:
        store = _open(args, settings)
    except ConfigError as problem:
        print(t("admin.sealing_problem", lang, detail=problem), file=sys.stderr)
        return 2
    except sqlite3.DatabaseError:
        print(t("admin.no_database", lang, db=db), file=sys.stderr)
        return 2
    today = local_date(datetime.now(UTC))
    try:
        with store.snapshot() as tx:
            if args.csv:
                sys.stdout.flush()
                write_csv(sys.stdout.buffer, cases_table(tx, today, lang))
            else:
                print(all_cases(tx, today, lang, limit=None), file=sys.stdout)
    except SealingError as problem:
        print(t("admin.sealing_problem", lang, detail=problem), file=sys.stderr)
        return 2
    finally:
        store.close()
    return 0


def cases_table(tx: StoreTransaction, today: date, lang: str) -> list[list[str]]:
    """The header row and one row per case: the cells ``status all`` shows, one per column."""
    separator = t("admin.cases.wait_separator", lang)
    rows = [[t(f"admin.cases.col.{column}", lang) for column in CSV_COLUMNS]]
    for row in overview_rows(tx, lang):
        rows.append([str(row.case.id), row_name(row, lang), row_environment(row, lang), row.stage,
                     separator.join(row_wait(w, today, lang) for w in row.waits),
                     local_time(row.last_activity)])
    return rows


def write_csv(out: BinaryIO, rows: list[list[str]]) -> None:
    """RFC 4180 CSV in UTF-8 *with* a byte-order mark: without it Excel reads a UTF-8 file as
    the local ANSI code page and Chinese names turn to mojibake; Python's ``utf-8-sig``, pandas
    and LibreOffice read the mark transparently. A cell that a spreadsheet would take for a
    formula (``=``, ``+``, ``-``, ``@``, tab, CR first) gets a leading apostrophe, as in the
    workbook (bot/files/workbook.py), so an enterprise named ``=HYPERLINK(...)`` stays text."""
    from bot.files.workbook import FORMULA_STARTS  # openpyxl loads only when a CSV is asked for

    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["'" + cell if cell.startswith(FORMULA_STARTS) else cell for cell in row])
    out.write(b"\xef\xbb\xbf" + text.getvalue().encode("utf-8"))
    out.flush()
