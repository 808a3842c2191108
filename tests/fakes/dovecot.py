"""A real Dovecot IMAP server on 127.0.0.1 for the mailbox watcher's tests.

Why the real server and not a fake: what the watcher promises — read-only ``EXAMINE``,
``BODY.PEEK[]`` leaving ``\\Seen`` unset, UIDs and UIDVALIDITY, ``SEARCH FROM``/``SINCE``,
STARTTLS, refused logins — is protocol behaviour a hand-written fake would only imitate. Each
server gets a throw-away directory with its own config, run directory and Maildirs, a passdb
that admits any user name with the test password (so each test has a mailbox of its own),
listens on free loopback ports (plain/STARTTLS, and implicit TLS with a self-signed certificate
made here), and is stopped by its process id at teardown.

Run as root, Dovecot's login processes must not be root: they run as the package's ``dovenull``
and ``dovecot`` users and the mail as ``nobody``. Run as anyone else, everything runs as that
user. The binary comes from the distribution (``apt-get install -y dovecot-imapd``); without it
:func:`running_dovecot` raises :class:`DovecotMissing` with that instruction.
"""

from __future__ import annotations

import contextlib
import dataclasses
import grp
import imaplib
import ipaddress
import os
import pwd
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NoReturn

from tests.fakes.local_server import free_port

USER = "watcher@example.test"
PASSWORD = "imap-secret-1"
_APPENDUID = re.compile(rb"APPENDUID (\d+) (\d+)")
_FLAGS = re.compile(rb"FLAGS \(([^)]*)\)")


class DovecotMissing(RuntimeError):
    """Dovecot is not installed; the message says how to install it."""


def missing_dovecot(problem: DovecotMissing) -> NoReturn:
    """Fail where Dovecot must be present (CI installs it: ``ESIGNBOT_TEST_REQUIRE_DOVECOT=1``
    or ``CI``), skip with the install line elsewhere, so the README's test command still works
    on a fresh machine that has only Python."""
    import pytest

    if os.environ.get("ESIGNBOT_TEST_REQUIRE_DOVECOT") or os.environ.get("CI"):
        pytest.fail(str(problem))
    pytest.skip(str(problem))


def dovecot_binary() -> str:
    found = shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.access(p, os.X_OK)),
        None)
    if found is None:
        raise DovecotMissing(
            "The mailbox tests need a real Dovecot IMAP server, and the `dovecot` binary was not "
            "found. Install it with: apt-get install -y dovecot-imapd")
    return found


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 / localhost and its key (cryptography is a test dependency
    already, through the Tencent and WeCom tests)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


@dataclass
class Dovecot:
    """A running server: where it listens, who may log in, and a few test-side helpers."""

    root: Path
    port: int
    tls_port: int
    cert_file: Path
    process: subprocess.Popen[bytes]
    user: str = USER
    password: str = PASSWORD
    host: str = "127.0.0.1"

    def new_user(self, name: str) -> Dovecot:
        """The same server seen as another user, with an empty mailbox of its own, so tests can
        share one server without sharing mail (the passdb takes any name with the password)."""
        return dataclasses.replace(self, user=f"{name}@example.test")

    @property
    def log_text(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    @contextlib.contextmanager
    def client(self) -> Iterator[imaplib.IMAP4]:
        """The test's own IMAP session (plain, on loopback), logged in."""
        conn = imaplib.IMAP4(self.host, self.port, timeout=15)
        try:
            conn.login(self.user, self.password)
            yield conn
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                conn.logout()

    def create_folder(self, encoded_name: str) -> None:
        with self.client() as conn:
            status, data = conn.create(f'"{encoded_name}"')
            assert status == "OK", data

    def deliver(self, raw: bytes, *, received: datetime | None = None,
                folder: str = "INBOX") -> int:
        """Put a message into the mailbox with IMAP APPEND (as a mail server would deliver
        it, without flags); ``received`` is its INTERNALDATE. Returns its UID."""
        when = received or datetime.now(UTC)
        with self.client() as conn:
            status, data = conn.append(f'"{folder}"', "", imaplib.Time2Internaldate(when), raw)
            assert status == "OK", data
        match = _APPENDUID.search(data[0] if data and isinstance(data[0], bytes) else b"")
        assert match is not None, data
        return int(match.group(2))

    def flags(self, uid: int, folder: str = "INBOX") -> set[str]:
        """A message's flags, read without changing them."""
        with self.client() as conn:
            conn.select(f'"{folder}"', readonly=True)
            status, data = conn.uid("FETCH", str(uid), "(FLAGS)")
            assert status == "OK", data
        first = data[0] if data else b""
        match = _FLAGS.search(first if isinstance(first, bytes) else b"")
        assert match is not None, data
        return set(match.group(1).decode().split())

    def count(self, folder: str = "INBOX") -> int:
        with self.client() as conn:
            status, data = conn.select(f'"{folder}"', readonly=True)
            assert status == "OK", data
            return int(data[0] or 0)

    def uidvalidity(self, folder: str = "INBOX") -> int:
        with self.client() as conn:
            status, data = conn.status(f'"{folder}"', "(UIDVALIDITY)")
            assert status == "OK", data
        match = re.search(rb"UIDVALIDITY (\d+)", data[0] if isinstance(data[0], bytes) else b"")
        assert match is not None, data
        return int(match.group(1))

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert_file))


def _config(root: Path, port: int, tls_port: int, cert: Path, key: Path) -> str:
    if os.geteuid() == 0:
        internal, login = "dovecot", "dovenull"
        mail_uid, mail_gid = pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid
    else:
        internal = login = pwd.getpwuid(os.geteuid()).pw_name
        mail_uid, mail_gid = os.geteuid(), os.getegid()
    return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 0
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:~/Maildir
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  # No brute-force penalty on loopback: tests log in wrongly on purpose, again and again.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


def _wait_until_ready(server: Dovecot, deadline_s: float = 20.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"dovecot exited with {server.process.returncode}:\n"
                               f"{server.log_text}")
        try:
            with socket.create_connection((server.host, server.port), timeout=2) as conn:
                if conn.recv(200).startswith(b"* OK"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"dovecot did not answer within {deadline_s} s:\n{server.log_text}")


@contextlib.contextmanager
def running_dovecot() -> Iterator[Dovecot]:
    """Start a throw-away Dovecot, yield it, stop it and remove its directory."""
    binary = dovecot_binary()
    # Not pytest's tmp_path: that is private to the test user, and Dovecot's login processes
    # (another user when run as root) must reach the run directory.
    root = Path(tempfile.mkdtemp(prefix="esignbot-dovecot-"))
    process: subprocess.Popen[bytes] | None = None
    try:
        root.chmod(0o755)
        for sub in ("run", "state", "home"):
            (root / sub).mkdir()
        cert, key = _self_signed(root)
        if os.geteuid() == 0:
            os.chown(root / "home", pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid)
        port, tls_port = free_port(), free_port()
        conf = root / "dovecot.conf"
        conf.write_text(_config(root, port, tls_port, cert, key))
        process = subprocess.Popen([binary, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        server = Dovecot(root, port, tls_port, cert, process)
        _wait_until_ready(server)
        yield server
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        shutil.rmtree(root, ignore_errors=True)
