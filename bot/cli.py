"""``esignbot``: the command line, one sub-command per front door.

Why every sub-command's arguments are declared here, with its work named by an import string
(``"bot.admin:_export"``) rather than imported: ``--help``, ``--version`` and a mistyped flag
must answer at once, and importing the program (pydantic, the dialogue, Slack, wechatpy, the
Tencent SDK) took 0.8 s on this machine before argparse read a word. A command imports what it
needs when it runs; ``tests/test_fast_start.py`` holds this module to the standard library.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

DB_HELP = "SQLite file (default: $ESIGNBOT_DB or ./esignbot.db)"
LANG_HELP = "language of the messages (default: $ESIGNBOT_LANG)"


class _Lazy:
    """A sub-command's work, imported when the command runs: ``module:function``."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __call__(self, args: argparse.Namespace) -> int:
        module, _, name = self.target.partition(":")
        run: Callable[[argparse.Namespace], int] = getattr(importlib.import_module(module), name)
        return run(args)


class _Version(argparse.Action):
    """``--version`` read from the installed distribution's metadata when asked, so it is always
    the version pip installed, and ``importlib.metadata`` is not imported for anything else."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS,
                 default: str = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        from importlib.metadata import version

        print(f"esignbot {version('esignbot')}")  # stdout, as argparse's own version action
        parser.exit()


def _bounded(low: int, high: int) -> Callable[[str], int]:
    """An argparse type for a whole number from ``low`` to ``high``: anything else is one line
    of usage and exit 2, never a traceback from deep inside uvicorn's bind."""
    def parse(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            number = low - 1
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(
                f"must be a whole number from {low} to {high}, not {text!r}")
        return number
    return parse


def _case_number(text: str) -> int:
    """``--case``: the number as the bot writes it (``#12``) or bare (``12``)."""
    digits = text.strip().removeprefix("#").strip()
    if not digits.isdigit() or int(digits) < 1:
        raise argparse.ArgumentTypeError(f"must be a case number such as 12 or #12, not {text!r}")
    return int(digits)


def _console_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    console = commands.add_parser("console", help="chat with the bot in this terminal")
    console.add_argument("--db", help=DB_HELP)
    console.add_argument("--out", help="folder for files the bot produces "
                                       "(default: $ESIGNBOT_OUT or ./out)")
    console.add_argument("--lang", choices=["zh", "en"], help="language of the conversation")
    console.add_argument("--user", help="your name as recorded with each answer")
    console.add_argument("--conversation", default="default",
                         help="which conversation (and so which case) to open")
    console.add_argument("--log", metavar="FILE",
                         help="where log lines go, never into the conversation (default: the "
                              "database's name with .log, e.g. ./esignbot.log; '-' for stderr)")
    console.set_defaults(run=_Lazy("bot.console.cli:run"))


def _serve_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser("serve", help="serve the Slack and/or WeCom endpoints over HTTP")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1; a reverse proxy in front "
                            "faces the internet, see `esignbot guide deploy`)")
    serve.add_argument("--port", type=_bounded(1, 65535), default=8080,
                       help="TCP port to listen on, 1 to 65535 (default 8080)")
    serve.add_argument("--db", help=DB_HELP)
    serve.add_argument("--workers", type=_bounded(1, 64), default=1,
                       help="processes sharing the port and the SQLite file, 1 to 64 (default 1)")
    serve.set_defaults(run=_serve)


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from bot.mail.watch import MailConfigError
    from bot.settings import ConfigError, load_settings
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


def _check_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "check-credentials",
        help="check that a SecretId/SecretKey can call E-Sign (the key: $TENCENTCLOUD_SECRET_KEY "
             "or a hidden prompt)",
    )
    parser.add_argument("--env", required=True, choices=["test", "prod"],
                        help="E-Sign environment: test (joint debugging) or prod")
    parser.add_argument("--uin", help="the main account's UIN the key should belong to")
    parser.add_argument("--app-id", help="the 32-character E-Sign app ID (应用号)")
    parser.add_argument("--key-owner", choices=["main", "sub", "console"],
                        help="where the key comes from: the main account or a sub-account (CAM), "
                             "or the E-Sign console (应用集成 > 获取密钥), which STS may not know")
    parser.add_argument("--secret-id", default=os.environ.get("TENCENTCLOUD_SECRET_ID"),
                        help="the SecretId: AKID... or IKID... (Tencent Cloud), AK... (the E-Sign "
                             "console); default: $TENCENTCLOUD_SECRET_ID")
    parser.add_argument("--secret-key", help=argparse.SUPPRESS)  # only to refuse it, unechoed
    parser.add_argument("--json", action="store_true",
                        help='print {"checks": [{"name", "status", "detail"}], "identity": {...}}')
    parser.add_argument("--lang", choices=["zh", "en"],
                        help="language of the report (default: $ESIGNBOT_LANG)")
    parser.set_defaults(run=_Lazy("bot.credentials.cli:run"))


def _mail_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    check = commands.add_parser(
        "mail-check", help="read the configured mailbox once now and report what was found")
    check.add_argument("--db", help=DB_HELP)
    check.set_defaults(run=_Lazy("bot.mail.cli:_mail_check"))


def _admin_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = commands.add_parser("export-case", help="write one case as JSON (full values)")
    export.add_argument("--case", type=_case_number, required=True,
                        help="the case number, as the bot writes it (#12) or bare (12)")
    export.add_argument("--out", help="file to write (default: print to stdout)")
    delete = commands.add_parser("delete-case", help="erase a case and everything tied to it")
    delete.add_argument("--case", type=_case_number, required=True,
                        help="the case number, as the bot writes it (#12) or bare (12)")
    delete.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    rotate = commands.add_parser(
        "rotate-data-key",
        help="re-seal personal fields with $ESIGNBOT_NEW_DATA_KEY (current: $ESIGNBOT_DATA_KEY)")
    backup = commands.add_parser(
        "backup", help="copy the SQLite file, consistent and checked, even while serve runs")
    backup.add_argument("--to", required=True, help="the backup file to write")
    backup.add_argument("--force", action="store_true", help="replace --to if it exists")
    cases = commands.add_parser(
        "cases", help="every case by enterprise name, longest quiet first (as 'status all')")
    cases.add_argument("--csv", action="store_true",
                       help="CSV for Excel on stdout (UTF-8 with BOM, a header row)")
    for parser, run in ((export, "_export"), (delete, "_delete"), (rotate, "_rotate"),
                        (backup, "_backup"), (cases, "_cases")):
        parser.add_argument("--db", help=DB_HELP)
        parser.add_argument("--lang", choices=["zh", "en"], help=LANG_HELP)
        parser.set_defaults(run=_Lazy(f"bot.admin:{run}"))


def _doctor_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    doctor = commands.add_parser(
        "doctor", help="check what serve checks at start (settings, data key, paths, database, "
                       "calendar) without starting it; exit 0 fine, 1 warnings, 2 errors")
    doctor.add_argument("--db", help=DB_HELP)
    doctor.add_argument("--lang", choices=["zh", "en"], help="language of the report")
    doctor.set_defaults(run=_Lazy("bot.doctor:run"))


def _slack_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    slack = commands.add_parser("slack", help="Slack over Socket Mode, or print the app manifest")
    slack.add_argument("--socket", action="store_true",
                       help="connect over Socket Mode (needs SLACK_BOT_TOKEN and SLACK_APP_TOKEN)")
    slack.add_argument("--manifest", action="store_true",
                       help="print the app manifest (HTTP mode; with --socket: Socket Mode)")
    slack.add_argument("--url", help="with --manifest: your public https base URL for HTTP mode")
    slack.add_argument("--db", help=DB_HELP)
    slack.set_defaults(run=_Lazy("bot.slack.cli:run_slack"))


def _wecom_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    wecom = commands.add_parser(
        "wecom", help="the WeCom smart bot over its long connection (no public URL needed)")
    wecom.add_argument("--bot", action="store_true",
                       help="connect the smart bot (needs WECOM_BOT_ID and WECOM_BOT_SECRET)")
    wecom.add_argument("--db", help=DB_HELP)
    wecom.set_defaults(run=_Lazy("bot.wecom.smartbot.cli:run_wecom"))


def _guide_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    guide = commands.add_parser(
        "guide", help="print a guide that ships with esignbot (deploy, operations, wecom-app, "
                      "...); without a name, list them")
    guide.add_argument("name", nargs="?", help="which guide (without it: the list)")
    guide.set_defaults(run=_Lazy("bot.guides:run"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="esignbot",
        description="Walks a team through onboarding onto Tencent E-Sign integration version.",
    )
    parser.add_argument("--version", action=_Version, help="print the installed version and exit")
    commands = parser.add_subparsers(dest="command", required=True)
    for add in (_console_parser, _serve_parser, _check_parser, _mail_parser, _admin_parsers,
                _doctor_parser, _slack_parser, _wecom_parser, _guide_parser):
        add(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    import logging

    from bot.settings import ConfigError
    from storage.case_store import StoreUnusable

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        code: int = args.run(args)
    except ConfigError as problem:  # e.g. ESIGNBOT_DATA_KEY that is not a key: one sentence
        print(problem, file=sys.stderr)
        return 2
    except StoreUnusable as problem:  # a folder, a text file, a damaged or newer database
        from handlers.catalogue import t

        print(t(f"admin.store.{problem.reason}", _lang(args), db=problem.path,
                detail=problem.detail), file=sys.stderr)
        return 2
    except BrokenPipeError:
        # Whoever read our output stopped (``esignbot console | head``): not an error of ours.
        # Point stdout at /dev/null so the interpreter's final flush does not complain either.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return code


def _lang(args: argparse.Namespace) -> str:
    """The language a command's own messages are in: ``--lang``, else ``ESIGNBOT_LANG``."""
    from bot.settings import ConfigError, load_settings
    from handlers.catalogue import normalise_lang

    chosen: str | None = getattr(args, "lang", None)
    if not chosen:
        try:
            chosen = load_settings().esignbot_lang
        except ConfigError:
            chosen = None
    return normalise_lang(chosen)


if __name__ == "__main__":
    raise SystemExit(main())
