"""``esignbot``: the command line, one sub-command per front door."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from bot.console import ConsoleChat
from bot.settings import load_settings
from handlers import Dialogue
from handlers.catalogue import normalise_lang
from storage import CaseStore


def _stdin_lines() -> Iterator[str]:
    """Lines from stdin; Ctrl-C or Ctrl-D simply ends the conversation."""
    try:
        yield from sys.stdin
    except KeyboardInterrupt:
        return


def _console(args: argparse.Namespace) -> int:
    settings = load_settings()
    db_path = Path(args.db) if args.db else settings.esignbot_db
    out_dir = Path(args.out) if args.out else settings.esignbot_out
    store = CaseStore(db_path)
    dialogue = Dialogue(store, default_lang=normalise_lang(settings.esignbot_lang))
    interactive = sys.stdin.isatty()
    user = args.user or os.environ.get("USER") or getpass.getuser() or "console"
    chat = ConsoleChat(
        dialogue,
        conversation=args.conversation,
        user=user,
        out_dir=out_dir,
        lang=normalise_lang(args.lang) if args.lang else None,
        stdout=sys.stdout,
        echo_input=not interactive,
    )
    try:
        chat.run(_stdin_lines(), prompt="> " if interactive else "")
    finally:
        store.close()
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="esignbot",
        description="Walks a team through onboarding onto Tencent E-Sign integration version.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    console = commands.add_parser("console", help="chat with the bot in this terminal")
    console.add_argument("--db", help="SQLite file (default: $ESIGNBOT_DB or ./esignbot.db)")
    console.add_argument("--out", help="folder for files the bot produces (default: ./out)")
    console.add_argument("--lang", choices=["zh", "en"], help="language of the conversation")
    console.add_argument("--user", help="your name as recorded with each answer")
    console.add_argument("--conversation", default="default",
                         help="which conversation (and so which case) to open")
    console.set_defaults(run=_console)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    code: int = args.run(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
