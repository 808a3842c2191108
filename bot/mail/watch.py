"""The mailbox watcher: reads Tencent's review emails over IMAP and files them as findings.

Why it reads so carefully: the mailbox belongs to the team, so the watcher must leave it exactly
as it found it. It opens the folder with ``EXAMINE`` (read-only) and fetches with
``BODY.PEEK[]``, so no flag — not even ``\\Seen`` — is set, and it never stores, copies, moves or
expunges. It asks the server only for messages from the configured sender (``UID SEARCH FROM``,
then checks the parsed From address exactly, since SEARCH matches substrings) within a look-back
window, so years of old mail are not replayed on first start. What it has read is stored by place
(mailbox + UIDVALIDITY + UID) and by Message-ID, in the same transaction as the finding it
produced, so a restart — or a second bot process on the same database — reads nothing twice.

A mailbox that refuses the login or cannot be reached is reported to admins once (the fault is
stored, so a restart does not report it again), retried with a growing delay, and never stops
the bot: the watcher runs in its own thread and no exception leaves :meth:`MailWatcher.tick`.

Findings and notices go into the outbox (``storage/outbox.py``) in the transaction that files
them, and the delivery runtime (``bot/delivery``) sends them through whichever platform owns the
conversation; nothing here talks to a chat platform.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import imaplib
import logging
import re
import ssl
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Literal

from bot.mail.reading import read_message
from bot.mail.sending import is_loopback
from bot.settings import Settings
from handlers import Dialogue
from handlers.mail import findings
from storage import StoreTransaction
from storage import mail as mail_store

log = logging.getLogger("esignbot.mail")

Security = Literal["ssl", "starttls", "none"]
DEFAULT_PORTS: dict[str, int] = {"ssl": 993, "starttls": 143, "none": 143}
MAX_BACKOFF_S = 1800.0
"""The longest wait between attempts on a failing mailbox (half an hour)."""
MAX_FETCH_BYTES = 20 * 2**20
"""A larger message is read only this far (headers and text come first; attachments are cut)."""
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_SIZE = re.compile(rb"UID (\d+) RFC822\.SIZE (\d+)|RFC822\.SIZE (\d+) UID (\d+)")
_SENDER = re.compile(r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+$")


class MailConfigError(ValueError):
    """IMAP settings that cannot work; the message names what to set."""


@dataclass(frozen=True, slots=True)
class MailboxConfig:
    """Where the team's mailbox is and how to read it. ``password`` never appears in a repr."""

    host: str
    user: str
    password: str = field(repr=False)
    port: int = 993
    folder: str = "INBOX"
    security: Security = "ssl"
    sender: str = "e-contract@tencent.com"
    poll_seconds: float = 60.0
    lookback_days: int = 30
    ca_file: Path | None = None
    timeout_s: float = 30.0

    @property
    def key(self) -> str:
        """How the mailbox is named in the database and in notices (no password). Not the port
        or the security: the same folder reached another way holds the same messages."""
        return f"{self.host}/{self.folder} ({self.user})"


def mailbox_config(settings: Settings) -> MailboxConfig | None:
    """The mailbox from ``ESIGNBOT_IMAP_*``; None when no host is set. Raises
    :class:`MailConfigError` when it is half configured or would send a password in clear text
    to another machine."""
    host = (settings.esignbot_imap_host or "").strip()
    if not host:
        return None
    password = settings.esignbot_imap_password
    missing = [name for name, value in (("ESIGNBOT_IMAP_USER", settings.esignbot_imap_user),
                                        ("ESIGNBOT_IMAP_PASSWORD", password)) if not value]
    if missing:
        raise MailConfigError(f"ESIGNBOT_IMAP_HOST is set, so set {' and '.join(missing)} too.")
    security = settings.esignbot_imap_security
    if security == "none" and not is_loopback(host):
        raise MailConfigError(
            "ESIGNBOT_IMAP_SECURITY=none would send the mailbox password unencrypted; it is only "
            "allowed for a server on this machine (127.0.0.1). Use ssl or starttls.")
    sender = settings.esignbot_imap_sender.strip().casefold()
    if not _SENDER.match(sender):
        raise MailConfigError("ESIGNBOT_IMAP_SENDER must be one email address, "
                              "e.g. e-contract@tencent.com.")
    assert settings.esignbot_imap_user is not None and password is not None
    return MailboxConfig(
        host=host, user=settings.esignbot_imap_user, password=password.get_secret_value(),
        port=settings.esignbot_imap_port or DEFAULT_PORTS[security],
        folder=settings.esignbot_imap_folder or "INBOX", security=security, sender=sender,
        poll_seconds=settings.esignbot_imap_poll_seconds,
        lookback_days=settings.esignbot_imap_lookback_days, ca_file=settings.esignbot_imap_ca_file)


# -- IMAP -------------------------------------------------------------------------------------
class MailboxError(Exception):
    """The mailbox could not be read. ``kind`` is ``login_failed`` or ``unreachable``;
    ``detail`` is the server's or the network's own words, never the password."""

    def __init__(self, kind: Literal["login_failed", "unreachable"], detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail[:300]


def imap_utf7(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 §5.1.3), e.g. ``腾讯`` → ``&iF6Iqw-``."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _imap_date(day: date) -> str:
    """``01-Mar-2026``: IMAP's date, with English month names whatever the locale."""
    return f"{day.day:02d}-{_MONTHS[day.month - 1]}-{day.year}"


def _words(data: Sequence[object]) -> str:
    parts = [d.decode("utf-8", "replace") if isinstance(d, bytes) else str(d) for d in data]
    return " ".join(p for p in parts if p)


class ImapMailbox:
    """One read-only session on one folder: connect, log in, ``EXAMINE``; then search and
    fetch with ``BODY.PEEK[]``. Used as a context manager; every failure is a
    :class:`MailboxError`."""

    def __init__(self, config: MailboxConfig) -> None:
        self.config = config
        self.uidvalidity = 0
        self._conn: imaplib.IMAP4 | None = None

    def _ssl_context(self) -> ssl.SSLContext:
        cafile = str(self.config.ca_file) if self.config.ca_file else None
        return ssl.create_default_context(cafile=cafile)

    def __enter__(self) -> ImapMailbox:
        config = self.config
        try:
            if config.security == "ssl":
                conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    config.host, config.port, ssl_context=self._ssl_context(),
                    timeout=config.timeout_s)
            else:
                conn = imaplib.IMAP4(config.host, config.port, timeout=config.timeout_s)
            self._conn = conn
            if config.security == "starttls":
                conn.starttls(ssl_context=self._ssl_context())
        except (OSError, imaplib.IMAP4.error, ssl.SSLError) as problem:
            self._close()
            raise MailboxError("unreachable", _describe(problem)) from None
        self._login(conn)
        self._examine(conn)
        return self

    def _login(self, conn: imaplib.IMAP4) -> None:
        try:
            try:
                conn.login(self.config.user, self.config.password)
            except UnicodeEncodeError:
                # LOGIN is ASCII-only; AUTHENTICATE PLAIN carries UTF-8 credentials.
                secret = f"\0{self.config.user}\0{self.config.password}".encode()
                conn.authenticate("PLAIN", lambda _: secret)
        except imaplib.IMAP4.abort as problem:
            self._close()
            raise MailboxError("unreachable", _describe(problem)) from None
        except imaplib.IMAP4.error as problem:
            self._close()
            raise MailboxError("login_failed", _describe(problem)) from None
        except OSError as problem:
            self._close()
            raise MailboxError("unreachable", _describe(problem)) from None

    def _examine(self, conn: imaplib.IMAP4) -> None:
        folder = _quoted(imap_utf7(self.config.folder))
        try:
            status, data = conn.select(folder, readonly=True)
            if status != "OK":
                raise MailboxError("unreachable",
                                   f"folder {self.config.folder!r}: {_words(data)}")
            _, validity = conn.response("UIDVALIDITY")
            self.uidvalidity = int(validity[0]) if validity and validity[0] else 0
        except (OSError, imaplib.IMAP4.error, ValueError) as problem:
            self._close()
            raise MailboxError("unreachable", _describe(problem)) from None
        except MailboxError:
            self._close()
            raise

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            conn.logout()  # no CLOSE needed: an EXAMINE'd folder is left as it was anyway

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(OSError):
                conn.shutdown()

    def _command(self, *args: str) -> list[object]:
        assert self._conn is not None
        try:
            status, data = self._conn.uid(*args)
        except (OSError, imaplib.IMAP4.error) as problem:
            raise MailboxError("unreachable", _describe(problem)) from None
        if status != "OK":
            raise MailboxError("unreachable", f"UID {args[0]}: {_words(data)}")
        return list(data)

    def search_from(self, sender: str, since: date) -> list[int]:
        """UIDs of messages from ``sender`` (a substring match, as IMAP defines it) since a day."""
        data = self._command("SEARCH", "SINCE", _imap_date(since), "FROM", _quoted(sender))
        return sorted({int(uid) for chunk in data if isinstance(chunk, bytes)
                       for uid in chunk.split()})

    def sizes(self, uids: Sequence[int]) -> dict[int, int]:
        if not uids:
            return {}
        data = self._command("FETCH", ",".join(map(str, uids)), "(UID RFC822.SIZE)")
        sizes: dict[int, int] = {}
        for chunk in data:
            line = chunk[0] if isinstance(chunk, tuple) else chunk
            match = _SIZE.search(line) if isinstance(line, bytes) else None
            if match:
                uid, size = (match.group(1), match.group(2)) if match.group(1) else \
                    (match.group(4), match.group(3))
                sizes[int(uid)] = int(size)
        return sizes

    def fetch(self, uid: int, size: int | None = None) -> bytes | None:
        """The message's bytes, read with ``BODY.PEEK[]`` so its flags stay as they were."""
        part = "BODY.PEEK[]" if size is None or size <= MAX_FETCH_BYTES \
            else f"BODY.PEEK[]<0.{MAX_FETCH_BYTES}>"
        data = self._command("FETCH", str(uid), f"({part})")
        for chunk in data:
            if isinstance(chunk, tuple) and len(chunk) == 2 and isinstance(chunk[1], bytes):
                return chunk[1]
        return None  # expunged meanwhile


def _describe(problem: BaseException) -> str:
    """What went wrong, in the server's or the system's words (never our credentials)."""
    if isinstance(problem, imaplib.IMAP4.error) and problem.args:
        first = problem.args[0]
        text = first.decode("utf-8", "replace") if isinstance(first, bytes) else str(first)
    else:
        text = str(problem) or type(problem).__name__
    return f"{type(problem).__name__}: {text}" if isinstance(problem, OSError) else text


# -- the watcher ------------------------------------------------------------------------------
@dataclass(slots=True)
class PollReport:
    """What one look at the mailbox did."""

    new: int = 0
    filed: list[findings.Filed] = field(default_factory=list)
    other_sender: int = 0
    duplicate: int = 0
    unreadable: int = 0


Clock = Callable[[], datetime]


def backoff_seconds(poll_seconds: float, attempts: int) -> float:
    """Delay after ``attempts`` failed attempts in a row: doubling from the poll interval, at
    most :data:`MAX_BACKOFF_S`."""
    return float(min(poll_seconds * 2 ** min(attempts, 20), MAX_BACKOFF_S))


class MailWatcher:
    """Polls one mailbox for the dialogue's database; :meth:`tick` is one attempt, and
    :meth:`start` runs attempts in a daemon thread until :meth:`stop`."""

    def __init__(
        self,
        dialogue: Dialogue,
        config: MailboxConfig,
        *,
        clock: Clock | None = None,
        mailbox: Callable[[MailboxConfig], ImapMailbox] = ImapMailbox,
        on_fault: Callable[[str], None] | None = None,
    ) -> None:
        self.dialogue = dialogue
        self.on_fault = on_fault
        """Called with the kind of each failed attempt (``serve`` counts them for ``/metrics``)."""
        self.config = config
        self.clock: Clock = clock or dialogue.clock
        self._mailbox = mailbox
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._tick_lock = threading.Lock()

    def _now(self) -> str:
        return self.clock().astimezone(UTC).isoformat(timespec="seconds")

    @property
    def admins(self) -> frozenset[str]:
        return self.dialogue.services.admins

    # -- one attempt ------------------------------------------------------------------------
    def tick(self) -> float:
        """Look at the mailbox once; returns the seconds to wait before the next look (the poll
        interval, or a growing delay while the mailbox fails). Never raises."""
        with self._tick_lock:
            try:
                self.poll_once()
            except MailboxError as problem:
                return self._failed(problem)
            except Exception:
                log.exception("reading the mailbox %s failed", self.config.key)
                return backoff_seconds(self.config.poll_seconds, 1)
            return self.config.poll_seconds

    def _failed(self, problem: MailboxError) -> float:
        if self.on_fault is not None:
            self.on_fault(problem.kind)
        with self.dialogue.store.transaction() as tx:
            fault, new = findings.report_fault(tx, self.config.key, problem.kind, problem.detail,
                                               admins=self.admins, at=self._now())
        delay = backoff_seconds(self.config.poll_seconds, fault.attempts)
        if new:
            log.warning("mailbox %s: %s (%s); admins told once, retrying with backoff",
                        self.config.key, problem.kind, problem.detail)
        else:
            log.info("mailbox %s still failing (%s, attempt %d); next try in %.0f s",
                     self.config.key, problem.kind, fault.attempts, delay)
        return delay

    def poll_once(self) -> PollReport:
        """Read the new messages from the sender and file each; raises :class:`MailboxError`."""
        report = PollReport()
        since = self.clock().date() - timedelta(days=self.config.lookback_days)
        with self._mailbox(self.config) as box:
            self._recovered()
            uids = box.search_from(self.config.sender, since)
            with self.dialogue.store.transaction() as tx:
                seen = mail_store.seen_uids(tx, self.config.key, box.uidvalidity)
            new = [uid for uid in uids if uid not in seen]
            sizes = box.sizes(new)
            for uid in new:
                raw = box.fetch(uid, sizes.get(uid))
                if raw is not None:
                    self._file(report, box.uidvalidity, uid, raw)
        return report

    def _recovered(self) -> None:
        with self.dialogue.store.transaction() as tx:
            ended = findings.report_recovery(tx, self.config.key, admins=self.admins,
                                             at=self._now())
        if ended is not None:
            log.warning("mailbox %s answers again (failing since %s, %d attempts)",
                        self.config.key, ended.since, ended.attempts)

    def _file(self, report: PollReport, uidvalidity: int, uid: int, raw: bytes) -> None:
        try:
            reading = read_message(raw)
        except Exception:
            log.exception("message %d in %s could not be decoded", uid, self.config.key)
            reading = None
        key = self.config.key
        try:
            with self.dialogue.store.transaction() as tx:
                if mail_store.is_seen(tx, key, uidvalidity, uid):
                    return  # another process filed it meanwhile
                disposition, finding_id = self._disposition(tx, report, reading)
                mail_store.record_seen(
                    tx, mailbox=key, uidvalidity=uidvalidity, uid=uid,
                    message_id=reading.message_id if reading else None,
                    sender=reading.sender if reading else "", disposition=disposition,
                    finding_id=finding_id, at=self._now())
        except Exception:
            # One message must not block the others or be retried forever: keep it as unreadable.
            log.exception("filing message %d in %s failed", uid, key)
            with self.dialogue.store.transaction() as tx:
                if not mail_store.is_seen(tx, key, uidvalidity, uid):
                    mail_store.record_seen(tx, mailbox=key, uidvalidity=uidvalidity, uid=uid,
                                           message_id=None, sender="", disposition="unreadable",
                                           finding_id=None, at=self._now())
            report.unreadable += 1

    def _disposition(
        self, tx: StoreTransaction, report: PollReport,
        reading: findings.MailReading | None,
    ) -> tuple[str, int | None]:
        if reading is None:
            report.unreadable += 1
            return "unreadable", None
        report.new += 1
        if reading.sender != self.config.sender:
            report.other_sender += 1
            return "other_sender", None
        if reading.message_id and mail_store.message_id_seen(tx, reading.message_id):
            report.duplicate += 1
            return "duplicate", None
        filed = findings.file_reading(tx, reading, mailbox=self.config.key, admins=self.admins,
                                      at=self._now())
        report.filed.append(filed)
        if filed.state == "proposed":
            log.info("mail finding #%d for case #%d", filed.finding_id, filed.case_ids[0])
        else:
            log.warning("mail finding #%d %s (cases %s); shown to admins in %s instead of "
                        "guessed", filed.finding_id, filed.state, list(filed.case_ids) or "none",
                        list(filed.notified) or "no conversation (set ESIGNBOT_ADMINS)")
        return "finding", filed.finding_id

    # -- in the background ------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="esignbot-mail", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        # The first look happens even when stop() comes at once: a short console session with
        # piped input still reads the mailbox once (stop() waits for it).
        delay = self.tick()
        while not self._stop.wait(delay):
            delay = self.tick()

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout_s)

    def health(self) -> dict[str, object]:
        """For ``/healthz``: whether the watching thread runs. A mailbox that refuses or cannot
        be reached is not the bot's failure (admins are told, and it is retried), so it is
        shown, not failed on."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            return {"ok": False, "error": "the mail watcher thread is not running"}
        with self.dialogue.store.snapshot() as tx:
            fault = mail_store.fault(tx, self.config.key)
        return {"ok": True, "mailbox_fault": fault.kind if fault is not None else None}


def mail_watcher(settings: Settings, dialogue: Dialogue,
                 on_fault: Callable[[str], None] | None = None) -> MailWatcher | None:
    """The watcher when a mailbox is configured; raises :class:`MailConfigError` otherwise."""
    config = mailbox_config(settings)
    return None if config is None else MailWatcher(dialogue, config, on_fault=on_fault)


def server_hooks(
    watcher: MailWatcher,
) -> tuple[Callable[[], None], Callable[[], Awaitable[None]]]:
    """(startup, shutdown) for ``bot.web.server.build_app``: the watcher polls in its own thread
    while the server runs; shutdown waits for it off the event loop."""

    async def shutdown() -> None:
        await asyncio.to_thread(watcher.stop)

    return watcher.start, shutdown
