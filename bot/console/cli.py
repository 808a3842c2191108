"""``esignbot console``: the conversation in this terminal, its notices, and its log.

Why the log goes to a file and not to stderr: at a terminal stderr is the same screen as the
conversation, so the scheduler's calendar warning or a credential check's retry landed between
the bot's questions as an English log line. Log records are for whoever runs the bot; they go to
``--log`` (default: the database's name with ``.log``), or to stderr when asked (``--log -``).
What the person at the terminal must know is said in the conversation's language: at the end,
one sentence saying how many warnings were written and where.
"""

from __future__ import annotations

import argparse
import contextlib
import getpass
import io
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from bot import logs
from bot.console.chat import ConsoleChat
from bot.console.notices import console_scheduler, ticking
from bot.console.terminal import at_terminal
from bot.mail import cli as mail_cli
from bot.settings import Settings, load_settings
from bot.wiring import build_dialogue
from handlers.catalogue import normalise_lang, t


class _Counter(logging.Handler):
    """Counts the warnings and errors written to the log, to say so once at the end."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def _stdin_lines() -> Iterator[str]:
    """Lines from stdin; Ctrl-C or Ctrl-D simply ends the conversation."""
    try:
        yield from sys.stdin
    except KeyboardInterrupt:
        return


def log_path(args: argparse.Namespace, settings: Settings) -> Path | None:
    """Where the console's log lines go: ``--log``, else beside the database; None: stderr."""
    if args.log == "-":
        return None
    if args.log:
        return Path(args.log)
    return Path(args.db or settings.esignbot_db).with_suffix(".log")


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    path = log_path(args, settings)
    with contextlib.ExitStack() as stack:
        logs.configure(settings, default_level="WARNING",
                       handler=LogFile(path) if path is not None else None)
        warnings = _Counter()
        logging.getLogger().addHandler(warnings)
        dialogue = build_dialogue(settings, Path(args.db) if args.db else None)
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
            if warnings.count and path is not None:
                print(t("console.log_warnings", chat.case_lang(), count=warnings.count,
                        path=path), file=sys.stdout)
            dialogue.store.close()
    return 0


class LogFile(logging.FileHandler):
    """The console's log: appended to, opened on its first line (a session that logs nothing,
    or stops at a setting, leaves no file), readable by its owner only (it names
    conversations)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, mode="a", encoding="utf-8", delay=True)

    def _open(self) -> io.TextIOWrapper:
        path = Path(self.baseFilename)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return open(fd, "a", encoding="utf-8")
