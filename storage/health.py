"""The health check's writes: room on the disk, then one row updated in a committed transaction;
and which errors mean "the file cannot be written now" rather than a bug.

Why a committed write and not one rolled back: SQLite keeps an uncommitted change in memory and
drops it on rollback without touching the file, so a rolled-back write succeeds on a file that can
no longer be written (read-only, immutable, disk full). Only a commit goes to the write-ahead log
and through ``fsync``, exactly as a turn's would. One row, so the table never grows.

Why the time is written to the microsecond: SQLite does not write a row whose new content is the
same as the old, and commits nothing; with the time to the second, every beat within the second of
the last one committed without touching the disk, and answered 200 on a full disk (measured: 10 of
10 polls right after a good one, while every turn failed).

Why room is reserved first: on a full disk the heartbeat's commit can still succeed, because the
write-ahead log overwrites space it already holds (after a checkpoint it starts again from its
beginning), while a turn that needs a page more fails. Reserving :data:`ROOM_BYTES` in a new file beside
the database (``posix_fallocate``: blocks are allocated, no data is written) needs space the disk
does not have, every time; the file is removed at once.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from storage.case_store import StoreTransaction

ROOM_BYTES = 1 << 20
"""1 MiB: room for hundreds of turns (a turn writes a few 4 KiB pages), so a 200 means the next
ones can be saved, not only the next one."""

CANNOT_WRITE = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_READONLY")
"""SQLite's error names (prefixes: ``SQLITE_IOERR_WRITE``, ``SQLITE_READONLY_DBMOVED``…) for a
file that refuses a write: a full disk or quota (``FULL``, or ``IOERR`` when the write fails with
``EFBIG``), a failing disk, a file made read-only."""


def beat(tx: StoreTransaction, owner: str, at: str) -> None:
    """Record that ``owner`` (a process) could write at ``at``, in the caller's transaction."""
    tx.db.execute(
        "INSERT INTO heartbeat (id, beat_at, beat_by) VALUES (1, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET beat_at = excluded.beat_at, beat_by = excluded.beat_by",
        [at, owner],
    )


def reserve_room(folder: Path, size: int = ROOM_BYTES) -> None:
    """Allocate ``size`` bytes in a new file in ``folder`` and remove it; raises ``OSError``
    (``ENOSPC``, ``EDQUOT``, ``EFBIG``…) when the disk has not that much room for this process."""
    fd, name = tempfile.mkstemp(prefix=".esignbot-room-", dir=folder)
    try:
        os.posix_fallocate(fd, 0, size)
    finally:
        os.close(fd)
        os.unlink(name)


def cannot_write(problem: BaseException) -> bool:
    """Whether ``problem`` is SQLite saying the file cannot be written now (see
    :data:`CANNOT_WRITE`), as opposed to a mistake in what was asked of it."""
    name = getattr(problem, "sqlite_errorname", "") if isinstance(problem, sqlite3.Error) else ""
    return bool(name) and name.startswith(CANNOT_WRITE)
