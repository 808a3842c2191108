"""The health check's write: one row, updated in a committed transaction.

Why a committed write and not one rolled back: SQLite keeps an uncommitted change in memory and
drops it on rollback without touching the file, so a rolled-back write succeeds on a file that can
no longer be written (read-only, immutable, disk full). Only a commit goes to the write-ahead log
and through ``fsync``, exactly as a turn's would. One row, so the table never grows.
"""

from __future__ import annotations

from storage.case_store import StoreTransaction


def beat(tx: StoreTransaction, owner: str, at: str) -> None:
    """Record that ``owner`` (a process) could write at ``at``, in the caller's transaction."""
    tx.db.execute(
        "INSERT INTO heartbeat (id, beat_at, beat_by) VALUES (1, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET beat_at = excluded.beat_at, beat_by = excluded.beat_by",
        [at, owner],
    )
