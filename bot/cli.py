"""``esignbot``: the command line, one sub-command per front door."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from importlib.metadata import version
from pathlib import Path

from bot import admin, doctor, logs
from bot.console.chat import ConsoleChat
from bot.console.notices import console_scheduler, ticking
from bot.console.terminal import at_terminal
from bot.credentials import cli as check_cli
from bot.mail import cli as mail_cli
from bot.settings import ConfigError, load_settings
from bot.wiring import build_dialogue
from handlers.catalogue import normalise_lang


def _stdin_lines() -> Iterator[str]:
    """Lines from stdin; Ctrl-C or Ctrl-D simply ends the conversation."""
    try:
        yield from sys.stdin
    except KeyboardInterrupt:
        return


def _console(args: argparse.Namespace) -> int:
    settings = load_settings()
    logs.configure(settings, default_level="WARNING")  # stderr; the chat itself is on stdout
    dialogue = build_dialogue(settings, Path(args.db) if args.db else None)
    with contextlib.ExitStack() as stack:
        # A person at a terminal gets a line editor (bot/console/terminal.py); piped input is
        # read line by line as it always was.
        terminal = stack.enter_context(at_terminal(dialogue.store.path)) \
            if sys.stdin.isatty() else None
        chat = ConsoleChat(
            dialogue,
            conversation=args.conversation,
            user=args.user or os.environ.get("USER") or getpass.getuser() or "console",
            out_dir=Path(args.out) if args.out else settings.esignbot_out,
            lang=normalise_lang(args.lang) if args.lang else None,
            stdout=sys.stdout,
            echo_input=terminal is None,
            read_secret=terminal.read_secret if terminal else None,
            ask_line=terminal.ask if terminal else None,
        )
        # Announcements and reminders for this terminal's case and user (bot/console/notices.py).
        scheduler = console_scheduler(dialogue.store, chat.conversation,
                                      terminal.notices if terminal else sys.stdout,
                                      interval_s=settings.esignbot_scheduler_seconds,
                                      admins=dialogue.services.admins, user=chat.user)
        if terminal is not None:
            scheduler.start()
        watcher = mail_cli.console_watcher(settings, dialogue)  # Tencent's emails, when configured
        try:
            chat.run(ticking(terminal.lines("> ") if terminal else _stdin_lines(), scheduler))
        except KeyboardInterrupt:
            pass  # Ctrl-C during a turn: its transaction rolled back whole; the case is as it was
        finally:
            if watcher is not None:
                watcher.stop()  # after its look at the mailbox: one more pass prints what it found
                list(ticking((), scheduler))
            scheduler.stop()
            if terminal is not None:
                chat.say_saved()
            dialogue.store.close()
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from bot.mail.watch import MailConfigError
    from bot.web import workers
    from bot.web.connections import connection_cap, limited_http

    settings = load_settings()
    db = Path(args.db) if args.db else None
    try:
        # With --workers the parent assembles it once without starting it: the checks every
        # worker makes, and the migrations, happen here once (bot/web/workers.py).
        built = workers.assemble(settings, db)
    except (ConfigError, MailConfigError) as problem:
        print(problem, file=sys.stderr)
        return 2
    except workers.NothingToServe:
        print(workers.NOTHING_TO_SERVE, file=sys.stderr)
        return 2
    if args.workers > 1:
        built.store.close()
        workers.run_workers(settings, db=db, host=args.host, port=args.port,
                            workers=args.workers, level=built.level)
        return 0
    # log_config=None: uvicorn's lines go through our handler (bot/logs.py); its access log is
    # off because bot/web/access_log.py writes one without the query string (WeCom signs there).
    uvicorn.run(built.app, host=args.host, port=args.port, log_config=None,
                log_level=built.level.lower(), access_log=False,
                http=limited_http(settings.esignbot_http_request_timeout,
                                  connection_cap(settings.esignbot_http_max_connections)))
    return 0


def _slack(args: argparse.Namespace) -> int:
    from bot.slack.cli import run_slack

    return run_slack(args)


def _workers(text: str) -> int:
    """``--workers``: 1 to 64 (bot/web/workers.py); argparse turns the error into one line."""
    try:
        count = int(text)
    except ValueError:
        count = 0
    if not 1 <= count <= 64:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 64, not {text!r}")
    return count


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="esignbot",
        description="Walks a team through onboarding onto Tencent E-Sign integration version.",
    )
    # From the installed distribution's metadata, so it is always the version pip installed.
    parser.add_argument("--version", action="version", version=f"esignbot {version('esignbot')}")
    commands = parser.add_subparsers(dest="command", required=True)
    console = commands.add_parser("console", help="chat with the bot in this terminal")
    console.add_argument("--db", help="SQLite file (default: $ESIGNBOT_DB or ./esignbot.db)")
    console.add_argument("--out", help="folder for files the bot produces (default: ./out)")
    console.add_argument("--lang", choices=["zh", "en"], help="language of the conversation")
    console.add_argument("--user", help="your name as recorded with each answer")
    console.add_argument("--conversation", default="default",
                         help="which conversation (and so which case) to open")
    console.set_defaults(run=_console)
    serve = commands.add_parser("serve", help="serve the Slack and/or WeCom endpoints over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument("--db", help="SQLite file (default: $ESIGNBOT_DB or ./esignbot.db)")
    serve.add_argument("--workers", type=_workers, default=1,
                       help="processes sharing the port and the SQLite file (default 1)")
    serve.set_defaults(run=_serve)
    check_cli.add_parser(commands)
    mail_cli.add_parser(commands)
    admin.add_parsers(commands)
    doctor.add_parser(commands)
    slack = commands.add_parser("slack", help="Slack over Socket Mode, or print the app manifest")
    slack.add_argument("--socket", action="store_true",
                       help="connect over Socket Mode (needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN)")
    slack.add_argument("--manifest", action="store_true",
                       help="print the app manifest (HTTP mode; with --socket: Socket Mode)")
    slack.add_argument("--url", help="with --manifest: your public https base URL for HTTP mode")
    slack.add_argument("--db", help="SQLite file (default: $ESIGNBOT_DB or ./esignbot.db)")
    slack.set_defaults(run=_slack)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except ConfigError as problem:  # e.g. ESIGNBOT_DATA_KEY that is not a key: one sentence
        print(problem, file=sys.stderr)
        return 2
    except BrokenPipeError:
        # Whoever read our output stopped (``esignbot console | head``): not an error of ours.
        # Point stdout at /dev/null so the interpreter's final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return code


if __name__ == "__main__":
    raise SystemExit(main())
