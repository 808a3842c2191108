"""Services with outside I/O that the dialogue uses without knowing how they work.

Why protocols passed in: ``handlers`` must not import openpyxl, smtplib, the Tencent Cloud SDK
or a chat platform (see the README's architecture). Each feature declares here, as a
``Protocol``, the little it needs; ``bot/`` builds the real implementation and hands it to
``Dialogue(services=Services(...))``. A service left as ``None`` is not configured, and the
command that needs it says how to configure it instead of failing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from handlers.credentials.report import CredentialReport, CredentialRequest
from handlers.shapes import OutFile


# -- application files and mail (issue 3) -------------------------------------------------
@dataclass(frozen=True, slots=True)
class PackageImage:
    """An uploaded image that goes into the offline materials package, with the step it
    answered (which names it inside the zip)."""

    step: str
    name: str
    mime: str
    data: bytes


class ApplicationFiles(Protocol):
    """Builds the files Tencent asks for (openpyxl lives in ``bot/``, never here)."""

    def application_workbook(self, answers: Mapping[str, Any], today: date) -> OutFile: ...

    def materials_package(
        self, answers: Mapping[str, Any], images: Sequence[PackageImage], today: date
    ) -> OutFile: ...


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    """One email as the dialogue composed it; the mailer only puts it on the wire."""

    to: str
    subject: str
    body: str
    attachments: tuple[OutFile, ...] = ()
    reply_to: str | None = None


class MailError(Exception):
    """A send that failed. ``kind`` names the reason for the catalogue (``connect``, ``auth``,
    ...); ``detail`` is the server's own words, never the password; ``server`` is host:port."""

    def __init__(self, kind: str, detail: str = "", *, server: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail
        self.server = server


class Mailer(Protocol):
    """Sends one email over SMTP; returns its Message-ID or raises :class:`MailError`."""

    @property
    def sender(self) -> str: ...

    def send(self, email: OutgoingEmail) -> str: ...


# -- credential check (issue 4) -----------------------------------------------------------
class CredentialChecker(Protocol):
    """Asks Tencent Cloud whether a SecretId/SecretKey can call E-Sign for a case (the SDK
    lives in ``bot/credentials/checker.py``). Never raises for what Tencent Cloud answers: every
    refusal, timeout or unreachable host is a result in the report."""

    def check(self, request: CredentialRequest) -> CredentialReport: ...


@dataclass(frozen=True, slots=True)
class Services:
    """The configured services; every field is optional."""

    credential_checker: CredentialChecker | None = None
    """Checks API keys against Tencent Cloud (always wired by ``bot.wiring``)."""

    files: ApplicationFiles | None = None
    """Builds the application workbook and the offline materials zip."""
    mailer: Mailer | None = None
    """Sends email; None when no SMTP server is configured."""
    admins: frozenset[str] = frozenset()
    """People named with their workspace (``slack:T1:U0123``, ``wecom:<corp>:lisi``,
    ``console:alice``; ``handlers.admins``) allowed to record review results, list their
    workspace's cases and receive a case's personal data in full (``ESIGNBOT_ADMINS``); empty:
    anyone may record, nobody lists every case."""
