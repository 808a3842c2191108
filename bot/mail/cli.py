"""The mailbox watcher on the command line: ``esignbot mail-check``, and starting it in
``esignbot console``.

Why a check command: IMAP settings are easy to get wrong (port, STARTTLS, an app password), and
the watcher inside ``serve`` reports problems to admins only once. ``mail-check`` reads the
mailbox once, now, and says plainly what happened, so whoever runs the bot can verify the setup
before relying on it. What it files is queued like anything the watcher finds, for the running
bot to post.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from bot.mail.watch import MailboxError, MailConfigError, MailWatcher, PollReport, mail_watcher
from bot.settings import Settings, load_settings
from handlers import Dialogue

log = logging.getLogger("esignbot.mail")

NO_MAILBOX = ("No mailbox to check: set ESIGNBOT_IMAP_HOST, ESIGNBOT_IMAP_USER and "
              "ESIGNBOT_IMAP_PASSWORD (and ESIGNBOT_IMAP_SECURITY if not ssl), in the environment "
              "or .env.")


def console_watcher(settings: Settings, dialogue: Dialogue) -> MailWatcher | None:
    """The watcher for ``esignbot console``, started; None when no mailbox is configured. A
    mailbox configured wrongly is said once on stderr and the console runs without it."""
    try:
        watcher = mail_watcher(settings, dialogue)
    except MailConfigError as problem:
        print(f"Not watching the mailbox: {problem}", file=sys.stderr)
        return None
    if watcher is not None:
        watcher.start()
    return watcher


def summary(watcher: MailWatcher, report: PollReport) -> str:
    config = watcher.config
    lines = [f"Mailbox {config.key} over {config.security}: read {report.new} new message(s) "
             f"from the last {config.lookback_days} days."]
    for filed in report.filed:
        if filed.state == "proposed":
            lines.append(f"  finding #{filed.finding_id}: for case #{filed.case_ids[0]}, queued "
                         "for its conversation")
        else:
            cases = ", ".join(f"#{c}" for c in filed.case_ids) or "none"
            where = ", ".join(filed.notified) or "nobody yet (set ESIGNBOT_ADMINS)"
            lines.append(f"  finding #{filed.finding_id}: {filed.state} (cases: {cases}); "
                         f"admins notified in {where}")
    if report.other_sender:
        lines.append(f"  {report.other_sender} message(s) not from {config.sender}: ignored")
    if report.duplicate:
        lines.append(f"  {report.duplicate} copy/copies of messages already read: ignored")
    if report.unreadable:
        lines.append(f"  {report.unreadable} message(s) could not be read (see the log)")
    return "\n".join(lines)


def _mail_check(args: argparse.Namespace) -> int:
    from bot.wiring import build_dialogue

    settings = load_settings()
    try:
        dialogue = build_dialogue(settings, Path(args.db) if args.db else None)
        watcher = mail_watcher(settings, dialogue)
    except MailConfigError as problem:
        print(problem, file=sys.stderr)
        return 2
    if watcher is None:
        print(NO_MAILBOX, file=sys.stderr)
        return 2
    try:
        report = watcher.poll_once()
    except MailboxError as problem:
        print(f"Cannot read the mailbox {watcher.config.key}: {problem.kind} — {problem.detail}",
              file=sys.stderr)
        return 1
    finally:
        dialogue.store.close()
    print(summary(watcher, report))
    return 0

