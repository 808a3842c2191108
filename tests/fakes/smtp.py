"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, for the email tests.

It speaks the whole protocol: EHLO, optional STARTTLS or implicit TLS with a certificate made
for the test, optional AUTH PLAIN/LOGIN checked against one login, MAIL/RCPT/DATA. Tests read
back the parsed messages and compare attachment bytes with the files the bot built.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    raw: bytes


@dataclass
class Inbox:
    """What the server accepted, and every login it was offered (to prove none was plaintext)."""

    messages: list[Received] = field(default_factory=list)
    logins: list[tuple[str, bool]] = field(default_factory=list)
    """(login, over TLS) for every AUTH attempt."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos),
                                          parsed, raw))
        return "250 OK: queued"


class _Authenticator:
    def __init__(self, inbox: Inbox, login: str, password: str) -> None:
        self.inbox, self.login, self.password = inbox, login, password

    def __call__(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                 data: Any) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = data.login.decode()
        with self.inbox.lock:
            over_tls = server.transport.get_extra_info("ssl_object") is not None
            self.inbox.logins.append((login, over_tls))
        ok = login == self.login and data.password.decode() == self.password
        return AuthResult(success=ok, handled=False)


class _FreePortController(Controller):  # type: ignore[misc]
    """Binds port 0 and learns the port the system chose (no race for a "free" port)."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass(frozen=True)
class Certificate:
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def make_certificate(folder: Path) -> Certificate:
    """A self-signed certificate for 127.0.0.1 and localhost (the test trusts it as a CA)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "esignbot test SMTP")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return Certificate(cert_file, key_file)


@dataclass
class SmtpServer:
    host: str
    port: int
    inbox: Inbox


@contextmanager
def smtp_server(
    *,
    login: tuple[str, str] | None = None,
    tls: str = "none",
    certificate: Certificate | None = None,
) -> Iterator[SmtpServer]:
    """An SMTP server on 127.0.0.1 for the duration of the block.

    ``login`` = (user, password) makes AUTH required and checked; ``tls`` is ``none``,
    ``starttls`` (offered and required before AUTH) or ``ssl`` (implicit TLS), with
    ``certificate``.
    """
    inbox = Inbox()
    kwargs: dict[str, Any] = {}
    ssl_context = None
    if tls != "none":
        assert certificate is not None
        if tls == "starttls":
            kwargs.update(tls_context=certificate.server_context(), require_starttls=True)
        else:
            ssl_context = certificate.server_context()
    if login is not None:
        kwargs.update(authenticator=_Authenticator(inbox, *login), auth_required=True,
                      auth_require_tls=tls == "starttls")
    controller = _FreePortController(inbox, hostname="127.0.0.1", port=0,
                                     ssl_context=ssl_context, **kwargs)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", controller.port, inbox)
    finally:
        controller.stop()
