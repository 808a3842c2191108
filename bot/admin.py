"""``esignbot export-case``, ``delete-case`` and ``rotate-data-key``: an admin's hands on the file.

Why sub-commands and not chat commands: handing over or erasing a case, or changing the key
that seals personal data, is done by whoever runs the bot, on the machine that holds the SQLite
file, not by anyone who can talk to the bot. Each runs in one transaction: a rotation that
fails half-way leaves every value sealed as before.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TextIO

from bot.settings import ConfigError, Settings, load_settings
from bot.wiring import build_sealer
from handlers.catalogue import normalise_lang, t
from storage import CaseStore
from storage.case_admin import delete_case, dumps, export_case, reseal
from storage.sealing import SealingError


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the three sub-commands on ``esignbot``'s parser."""
    export = commands.add_parser("export-case", help="write one case as JSON (full values)")
    export.add_argument("--case", type=int, required=True, help="the case number (#ID)")
    export.add_argument("--out", help="file to write (default: print to stdout)")
    delete = commands.add_parser("delete-case", help="erase a case and everything tied to it")
    delete.add_argument("--case", type=int, required=True, help="the case number (#ID)")
    delete.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    rotate = commands.add_parser(
        "rotate-data-key",
        help="re-seal personal fields with $ESIGNBOT_NEW_DATA_KEY (current: $ESIGNBOT_DATA_KEY)")
    for parser, run in ((export, _export), (delete, _delete), (rotate, _rotate)):
        parser.add_argument("--db", help="SQLite file (default: $ESIGNBOT_DB or ./esignbot.db)")
        parser.add_argument("--lang", choices=["zh", "en"], help="language of the messages")
        parser.set_defaults(run=run)


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
        out.write(text + "\n")


def _export(args: argparse.Namespace) -> int:
    return _guarded(args, "export", sys.stdout, sys.stderr)


def _delete(args: argparse.Namespace) -> int:
    return _guarded(args, "delete", sys.stdout, sys.stderr)


def _rotate(args: argparse.Namespace) -> int:
    return _guarded(args, "rotate", sys.stdout, sys.stderr)
