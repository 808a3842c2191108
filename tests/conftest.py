"""Shared test helpers: a real SQLite file per test, the console run as a real process."""

from __future__ import annotations

import io
import os
import random
import re
import sqlite3
import struct
import subprocess
import sys
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from handlers import Action, Dialogue, Inbound, InboundFile, Reply
from storage import CaseStore

REPO = Path(__file__).resolve().parents[1]


class FakeClock:
    """The one thing tests may control: time."""

    def __init__(self, start: datetime = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


class Chat:
    """Drives the dialogue in-process, as an adapter would, on a real SQLite file."""

    def __init__(self, db: Path, conversation: str = "test:room", *, private: bool = True,
                 lang: str | None = None) -> None:
        self.store = CaseStore(db)
        self.clock = FakeClock()
        self.dialogue = Dialogue(self.store, clock=self.clock)
        self.conversation = conversation
        self.private = private
        self.lang = lang

    def send(self, text: str = "", *, user: str = "alice", event_id: str | None = None,
             file: InboundFile | None = None, action: Action | None = None) -> list[Reply]:
        return self.dialogue.handle(Inbound(
            platform="test", conversation=self.conversation, user_id=user, user_name=user,
            text=text, event_id=event_id, file=file, action=action, private=self.private,
            lang=self.lang))

    def say(self, text: str = "", **kwargs: object) -> str:
        return "\n".join(r.text for r in self.send(text, **kwargs))  # type: ignore[arg-type]

    def question(self) -> str | None:
        """The step the case is on, as stored."""
        with self.store.transaction() as tx:
            case = tx.active_case(self.conversation)
            return case.current_step if case else None

    def answers(self) -> dict[str, object]:
        with self.store.transaction() as tx:
            case = tx.active_case(self.conversation)
            assert case is not None
            return {k: a.value for k, a in tx.answers(case.id).items()}

    def history_count(self) -> int:
        with sqlite3.connect(self.store.path) as conn:
            return int(conn.execute("SELECT count(*) FROM history").fetchone()[0])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "esignbot.db"


@pytest.fixture
def chat(db: Path) -> Iterator[Chat]:
    c = Chat(db)
    yield c
    c.store.close()


def write_lock_free(db: Path) -> bool:
    """Whether another connection can take SQLite's write lock on ``db`` right now (it cannot
    while a transaction is open): what a build, or an SMTP session, must never run inside."""
    conn = sqlite3.connect(db, timeout=0.05, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        conn.close()


def png_bytes(width: int = 2, height: int = 2, *, raw: bytes | None = None) -> bytes:
    """A real PNG image: tiny and red, or of the scanlines ``raw`` (filter byte + RGB rows)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    if raw is None:
        raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def noisy_png(width: int = 1000, height: int = 1000, seed: int = 1) -> bytes:
    """A real PNG of random pixels (RGB, stored nearly uncompressed): 1000×1000 is ~3 MB, the
    size of a phone photo of a licence, unlike :func:`png_bytes`."""
    rng = random.Random(seed)
    raw = b"".join(b"\x00" + rng.randbytes(width * 3) for _ in range(height))
    return png_bytes(width, height, raw=raw)


def noisy_jpeg(width: int = 1600, height: int = 1600, seed: int = 2) -> bytes:
    """A real baseline JPEG of random pixels at quality 95 (noise does not compress): ~3 MB."""
    from PIL import Image

    image = Image.frombytes("RGB", (width, height), random.Random(seed).randbytes(width * height * 3))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    return out.getvalue()


def dialogue_part(out: str) -> str:
    """What the console said in the conversation, without its closing line about warnings
    written to the log (``console.log_warnings``), which follows the last question."""
    return re.split(r"\n\s*ℹ️ (?:本次运行有|This session wrote) ", out)[0].rstrip()


def run_console(tmp_path: Path, lines: list[str], *extra: str, db: Path | None = None,
                user: str = "alice", env: dict[str, str] | None = None) -> str:
    """Run ``esignbot console`` as a real process with piped stdin; returns what it printed.
    ``env`` adds settings (e.g. ``ESIGNBOT_SMTP_HOST``) to a clean environment."""
    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("ESIGNBOT_", "TENCENTCLOUD_"))}
    env = {**base_env, **(env or {}), "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--db", str(db or tmp_path / "esignbot.db"),
         "--out", str(tmp_path / "out"), "--user", user, *extra],
        input="".join(line + "\n" for line in lines), capture_output=True, text=True,
        encoding="utf-8", timeout=120, cwd=tmp_path, env=env,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    return proc.stdout
