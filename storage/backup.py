"""A consistent copy of the SQLite file while ``esignbot serve`` keeps writing to it.

Why SQLite's online backup API and not ``cp``: a file copied while a turn commits can hold half
of it, and the WAL beside the file holds the newest turns. ``sqlite3.Connection.backup`` copies
pages through SQLite itself, so the copy is a database as of one moment, WAL included.

Why a read transaction is held across the whole copy: the copy goes in steps of
``pages_per_step`` pages with a short pause between them, so a large file does not hog the disk
or a core while ``serve`` answers people. Between two steps another process commits turns;
SQLite then *restarts* the backup from page one at its next step, and under steady load (a turn
every few milliseconds) a stepwise backup never finishes — measured here: 2,000 steps of a
1,265-page file, 25 restarts, not done. Opening a read transaction on the source first pins one
snapshot (in WAL mode a reader never blocks a writer, and writers never disturb the reader's
snapshot), so each step continues where the last one stopped: the copy holds exactly what was
committed when it began, and ``serve`` is never made to wait. The price is that SQLite cannot
checkpoint the WAL past that snapshot until the copy ends, so the WAL grows a little meanwhile.

The copy is page for page: a value sealed with ``ESIGNBOT_DATA_KEY`` is copied sealed, and the
backup needs that key to be read, like the original. It is written to a temporary file beside the
target (owner-only, like an export: it holds everything the bot knows), checked with
``PRAGMA integrity_check`` and ``foreign_key_check``, switched to a single self-contained file
(rollback journal, no ``-wal`` beside it) and only then given its name, so a backup cut off half
way never carries the final name.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

PAGES_PER_STEP = 256
"""Pages copied per step (1 MiB at SQLite's default 4 KiB page)."""
PAUSE_S = 0.005
"""The pause between steps: room for ``serve``'s own reads and writes on a small machine."""
_SIDECARS = ("-journal", "-wal", "-shm")


class BackupError(Exception):
    """Why no backup was written; ``reason`` names the case for the caller's sentence."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    pages: int
    steps: int
    size: int
    """Bytes of the written file."""


def write_backup(source: Path, target: Path, *, force: bool = False,
                 pages_per_step: int = PAGES_PER_STEP, pause_s: float = PAUSE_S,
                 busy_timeout_s: float = 30.0) -> BackupResult:
    """Copy the database at ``source`` to ``target``, checked, in one rename at the end.

    Raises :class:`BackupError` with reason ``no_database`` (``source`` is not a database),
    ``exists`` (``target`` exists and not ``force``), ``same_file``, ``unwritable`` (the folder
    or file cannot be written) or ``corrupt`` (the copy failed its checks; nothing is left)."""
    if not source.is_file():
        raise BackupError("no_database")
    real = source.resolve()
    live = {real, *(real.with_name(real.name + suffix) for suffix in _SIDECARS)}
    if target.resolve() in live:  # the database itself, or its journal: never overwritten
        raise BackupError("same_file")
    if target.exists() and not force:
        raise BackupError("exists")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.partial")
        _remove(temporary)
        # Created owner-only before SQLite opens it; SQLite gives its journal the same mode.
        os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as problem:
        raise BackupError("unwritable", problem.strerror or str(problem)) from problem
    try:
        pages, steps = _copy(source, temporary, pages_per_step, pause_s, busy_timeout_s)
        _check(temporary)
        _publish(temporary, target, force=force)
    except BaseException:
        _remove(temporary)
        raise
    return BackupResult(target, pages, steps, target.stat().st_size)


def _copy(source: Path, temporary: Path, pages_per_step: int, pause_s: float,
          busy_timeout_s: float) -> tuple[int, int]:
    """The stepwise copy over one pinned snapshot; (pages, steps)."""
    # mode=rw: an existing file only (plain connect would create an empty one at a wrong path).
    try:
        src = sqlite3.connect(f"file:{source}?mode=rw", uri=True, isolation_level=None,
                              timeout=busy_timeout_s)
    except sqlite3.Error as problem:
        raise BackupError("no_database", str(problem)) from problem
    counted = {"steps": 0, "pages": 0}

    def step(status: int, remaining: int, total: int) -> None:
        counted["steps"] += 1
        counted["pages"] = total
        if remaining:
            time.sleep(pause_s)

    try:
        dst = sqlite3.connect(temporary, isolation_level=None)
        try:
            src.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            src.execute("BEGIN")
            src.execute("SELECT count(*) FROM sqlite_master").fetchone()  # pins the snapshot
            src.backup(dst, pages=pages_per_step, progress=step)
            src.execute("COMMIT")
            # One self-contained file: the copy inherits WAL mode from the source's header.
            dst.execute("PRAGMA journal_mode = DELETE").fetchone()
        finally:
            dst.close()
    except sqlite3.DatabaseError as problem:
        reason = "unwritable" if _is_write_problem(problem) else "no_database"
        raise BackupError(reason, str(problem)) from problem
    finally:
        src.close()
    return counted["pages"], counted["steps"]


def _is_write_problem(problem: sqlite3.DatabaseError) -> bool:
    code = getattr(problem, "sqlite_errorcode", None)
    return code in {sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY,
                    sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM}


def _check(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        integrity = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
        foreign = conn.execute("PRAGMA foreign_key_check").fetchall()
    if integrity != ["ok"] or foreign:
        problems = [*integrity[:3], *(f"foreign key {row[0]} row {row[1]}" for row in foreign[:3])]
        raise BackupError("corrupt", "; ".join(p for p in problems if p != "ok"))


def _publish(temporary: Path, target: Path, *, force: bool) -> None:
    """Give the checked copy its name: on the disk first, then in one rename (or, without
    ``force``, one link, which fails rather than replace a file that appeared meanwhile)."""
    fd = os.open(temporary, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    # A stale journal beside the target would be applied to the new file when it is opened.
    for suffix in _SIDECARS:
        _remove(target.with_name(target.name + suffix))
    try:
        if force:
            os.replace(temporary, target)
        else:
            os.link(temporary, target)
            os.unlink(temporary)
    except FileExistsError as problem:
        raise BackupError("exists") from problem
    except OSError as problem:
        raise BackupError("unwritable", problem.strerror or str(problem)) from problem
    with contextlib.suppress(OSError):  # the rename itself on the disk, where supported
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def _remove(path: Path) -> None:
    for candidate in (path, *(path.with_name(path.name + s) for s in _SIDECARS)):
        with contextlib.suppress(FileNotFoundError):
            candidate.unlink()
