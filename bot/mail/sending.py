"""Sending the application email over SMTP (smtplib and ``email.message.EmailMessage``).

Why it is this small and this strict: the dialogue composes the email (recipient, subject, body,
attachments) and only needs it put on the wire, with the Message-ID back so the case can prove
what left. Every failure becomes a :class:`handlers.services.MailError` naming its kind and the
server's own words; the password is never part of a message, a log line or an exception (it is
scrubbed from server replies too, in case a server echoes what it was sent). A password is never
sent unencrypted to anything but this machine.
"""

from __future__ import annotations

import ipaddress
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Literal

from bot.settings import Settings
from handlers.services import MailError, OutgoingEmail

Security = Literal["ssl", "starttls", "none"]
DEFAULT_PORTS: dict[str, int] = {"ssl": 465, "starttls": 587, "none": 25}
_DETAIL_CHARS = 200


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """Where and how to send; built from ``ESIGNBOT_SMTP_*`` settings."""

    host: str
    sender: str
    port: int | None = None
    security: Security = "ssl"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout_s: float = 30.0
    ca_file: Path | None = None
    """Extra certificate authority to trust (a company's own mail server), beside the system's."""

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.security]

    @property
    def server(self) -> str:
        return f"{self.host}:{self.effective_port}"


def is_loopback(host: str) -> bool:
    if host.casefold() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SmtpMailer:
    """The ``Mailer`` service: one SMTP session per email."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    @property
    def sender(self) -> str:
        return self.config.sender

    def compose(self, email: OutgoingEmail) -> EmailMessage:
        """The MIME message for ``email``, with a fresh Message-ID on the sender's domain (no
        DNS lookup for the local host name)."""
        message = EmailMessage()
        message["From"] = self.config.sender
        message["To"] = email.to
        message["Subject"] = email.subject
        message["Date"] = formatdate(localtime=True)
        domain = parseaddr(self.config.sender)[1].rpartition("@")[2] or "esignbot.invalid"
        message["Message-ID"] = make_msgid(domain=domain)
        if email.reply_to:
            message["Reply-To"] = email.reply_to
        message.set_content(email.body)
        for attachment in email.attachments:
            maintype, _, subtype = attachment.mime.partition("/")
            message.add_attachment(attachment.content, maintype=maintype,
                                   subtype=subtype or "octet-stream", filename=attachment.name)
        return message

    def send(self, email: OutgoingEmail) -> str:
        """Send ``email``; returns its Message-ID, or raises :class:`MailError`."""
        config = self.config
        if config.user and config.security == "none" and not is_loopback(config.host):
            raise MailError("insecure", server=config.server)
        try:
            message = self.compose(email)
        except (ValueError, TypeError) as problem:  # a malformed sender or recipient address
            raise MailError("sender_refused", self._scrub(str(problem)), server=config.server) from None
        try:
            smtp = self._connect()
        except Exception as problem:
            raise self._error(problem) from None
        try:
            smtp.ehlo()
            if config.security == "starttls":
                smtp.starttls(context=self._tls_context())
                smtp.ehlo()
            if config.user:
                smtp.login(config.user, config.password or "")
            smtp.send_message(message)
        except Exception as problem:
            raise self._error(problem) from None
        finally:
            _close(smtp)
        return str(message["Message-ID"])

    # -- the session ----------------------------------------------------------------------
    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.config.ca_file:
            try:
                context.load_verify_locations(cafile=str(self.config.ca_file))
            except (OSError, ssl.SSLError) as problem:
                reason = getattr(problem, "strerror", None) or str(problem)
                raise MailError("tls", f"ESIGNBOT_SMTP_CA_FILE: {reason}") from None
        return context

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        if config.security == "ssl":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                config.host, config.effective_port, timeout=config.timeout_s,
                context=self._tls_context(),
            )
        else:
            smtp = smtplib.SMTP(config.host, config.effective_port, timeout=config.timeout_s)
        return smtp

    # -- errors ---------------------------------------------------------------------------
    def _scrub(self, text: str) -> str:
        password = self.config.password
        if password:
            text = text.replace(password, "***")
        return " ".join(text.split())[:_DETAIL_CHARS]

    def _reply(self, code: int, reply: bytes | str) -> str:
        words = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
        return self._scrub(f"{code} {words}")

    def _error(self, problem: Exception) -> MailError:
        """The one typed error for any failure of the session."""
        error = self._classify(problem)
        error.server = self.config.server
        return error

    def _classify(self, problem: Exception) -> MailError:
        if isinstance(problem, MailError):
            return problem
        if isinstance(problem, smtplib.SMTPAuthenticationError):
            return MailError("auth", self._reply(problem.smtp_code, problem.smtp_error))
        if isinstance(problem, smtplib.SMTPNotSupportedError):
            text = str(problem).casefold()
            kind = "tls" if "starttls" in text else "auth_unsupported"
            return MailError(kind, self._scrub(str(problem)))
        if isinstance(problem, smtplib.SMTPSenderRefused):
            return MailError("sender_refused", self._reply(problem.smtp_code, problem.smtp_error))
        if isinstance(problem, smtplib.SMTPRecipientsRefused):
            details = [self._reply(code, reply) for code, reply in problem.recipients.values()]
            return MailError("recipient_refused", "; ".join(details))
        if isinstance(problem, smtplib.SMTPDataError):
            return MailError("rejected", self._reply(problem.smtp_code, problem.smtp_error))
        if isinstance(problem, smtplib.SMTPServerDisconnected) and isinstance(
                problem.__context__, TimeoutError):
            return MailError("timeout")  # smtplib wraps a read timeout as a disconnect
        if isinstance(problem, smtplib.SMTPServerDisconnected):
            return MailError("connect", self._scrub(str(problem) or "disconnected"))
        if isinstance(problem, smtplib.SMTPResponseException):
            return MailError("protocol", self._reply(problem.smtp_code, problem.smtp_error))
        if isinstance(problem, smtplib.SMTPException):
            return MailError("protocol", self._scrub(str(problem)))
        if isinstance(problem, ssl.SSLError | ssl.CertificateError):
            return MailError("tls", self._scrub(getattr(problem, "reason", None) or str(problem)))
        if isinstance(problem, socket.timeout | TimeoutError):
            return MailError("timeout")
        if isinstance(problem, OSError):
            return MailError("connect", self._scrub(problem.strerror or str(problem)))
        return MailError("protocol", self._scrub(type(problem).__name__))



def _close(smtp: smtplib.SMTP) -> None:
    """Say goodbye; a message already accepted stays sent even if QUIT fails."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def smtp_mailer(settings: Settings) -> SmtpMailer | None:
    """The mailer the settings describe, or None when email is not set up (no host, or no
    sender address: ``ESIGNBOT_SMTP_FROM``, or a ``ESIGNBOT_SMTP_USER`` that is an address)."""
    host = (settings.esignbot_smtp_host or "").strip()
    user = (settings.esignbot_smtp_user or "").strip() or None
    sender = (settings.esignbot_smtp_from or "").strip() or (user if user and "@" in user else "")
    if not host or not sender:
        return None
    password = settings.esignbot_smtp_password
    return SmtpMailer(SmtpConfig(
        host=host,
        sender=sender,
        port=settings.esignbot_smtp_port,
        security=settings.esignbot_smtp_security,
        user=user,
        password=password.get_secret_value() if password else None,
        timeout_s=settings.esignbot_smtp_timeout,
        ca_file=settings.esignbot_smtp_ca_file,
    ))
