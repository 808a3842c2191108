"""``esignbot``: the command line, one sub-command per front door."""

from __future__ import annotations

import argparse
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
from bot.credentials import cli as check_cli
from bot.mail import cli as mail_cli
from bot.settings import ConfigError, load_settings
from bot.wiring import build_dialogue, configured_platforms
from handlers.catalogue import normalise_lang

NOTHING_TO_SERVE = (
    "Nothing to serve: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET for Slack, and/or "
    "WECOM_CORP_ID, WECOM_AGENT_ID, WECOM_SECRET, WECOM_TOKEN and WECOM_AES_KEY for WeCom "
    "(in the environment or .env)."
)


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
    interactive = sys.stdin.isatty()
    chat = ConsoleChat(
        dialogue,
        conversation=args.conversation,
        user=args.user or os.environ.get("USER") or getpass.getuser() or "console",
        out_dir=Path(args.out) if args.out else settings.esignbot_out,
        lang=normalise_lang(args.lang) if args.lang else None,
        stdout=sys.stdout,
        echo_input=not interactive,
        read_secret=getpass.getpass if interactive else None,
    )
    prompt = "> " if interactive else ""
    # Announcements and reminders for this terminal's case (see bot/console/notices.py).
    scheduler = console_scheduler(dialogue.store, chat.conversation, sys.stdout, prompt=prompt,
                                  interval_s=settings.esignbot_scheduler_seconds,
                                  admins=dialogue.services.admins)
    if interactive:
        scheduler.start()
    watcher = mail_cli.console_watcher(settings, dialogue)  # Tencent's emails, when configured
    try:
        chat.run(ticking(_stdin_lines(), scheduler), prompt=prompt)
    finally:
        if watcher is not None:
            watcher.stop()  # after its look at the mailbox: one more pass prints what it found
            list(ticking((), scheduler))
        scheduler.stop()
        dialogue.store.close()
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from bot.background import background_work
    from bot.files.process import FileBuilderProcess
    from bot.mail.watch import MailConfigError
    from bot.web.connections import connection_cap, limited_http
    from bot.web.metrics import Metrics
    from bot.web.server import build_app

    settings = load_settings()
    level = logs.configure(settings)  # before the platforms: Slack pins its loggers' levels
    files = FileBuilderProcess()  # workbooks built off the event loop's GIL (bot/files/process.py)
    dialogue = build_dialogue(settings, Path(args.db) if args.db else None, files=files)
    metrics = Metrics(dialogue.store)  # /metrics (bot/web/metrics.py); the engine reports each turn
    dialogue.observers.append(metrics.count_turn)
    try:
        platforms = configured_platforms(settings, dialogue)
        work = background_work(settings, dialogue, platforms, files, metrics)
    except (ConfigError, MailConfigError) as problem:
        print(problem, file=sys.stderr)
        return 2
    if not platforms:
        print(NOTHING_TO_SERVE, file=sys.stderr)
        return 2
    # log_config=None: uvicorn's lines go through our handler (bot/logs.py); its access log is
    # off because bot/web/access_log.py writes one without the query string (WeCom signs there).
    uvicorn.run(build_app(platforms, extra_startup=work.starts, extra_shutdown=work.stops,
                          final_shutdown=work.finals, probes=work.probes, metrics=metrics),
                host=args.host, port=args.port, log_config=None, log_level=level.lower(),
                access_log=False,
                http=limited_http(settings.esignbot_http_request_timeout,
                                  connection_cap(settings.esignbot_http_max_connections)))
    return 0


def _slack(args: argparse.Namespace) -> int:
    from bot.slack.cli import run_slack

    return run_slack(args)


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
