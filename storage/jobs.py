"""Slow work a turn leaves for after its commit: a workbook to build, a photo to read, a file to
fetch from Slack. Written as a row in the turn's own transaction, so a crash after the commit
(and after the platform was answered) resumes it instead of losing it.

Why a lease: the process that wrote a job starts it at once and holds it ``claimed_until``; a
process that dies leaves the claim to run out, and any other process (or the same one,
restarted) runs it again. The job's replies are written to the outbox in the transaction that
marks it done, so it is finished and announced together, or neither.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from storage.case_store import StoreTransaction

_UNFINISHED = "('pending', 'running')"


@dataclass(frozen=True, slots=True)
class JobRecord:
    id: int
    kind: str
    conversation: str
    case_id: int | None
    actor: str | None
    address: dict[str, Any] | None
    lang: str
    payload: dict[str, Any]
    attempts: int


_COLUMNS = "id, kind, conversation, case_id, actor, address, lang, payload, attempts"


def _record(tx: StoreTransaction, row: Any) -> JobRecord:
    return JobRecord(row[0], row[1], row[2], row[3], row[4],
                     json.loads(row[5]) if row[5] else None, row[6],
                     json.loads(tx.open_text(row[7])), row[8])


def add_job(
    tx: StoreTransaction, *, kind: str, conversation: str, case_id: int | None,
    actor: str | None, address: dict[str, Any] | None, lang: str, payload: dict[str, Any],
    at: str, owner: str, lease_until: str,
) -> JobRecord:
    """Record a job, already claimed by ``owner`` (the process that will start it now)."""
    cursor = tx.db.execute(
        "INSERT INTO jobs (kind, conversation, case_id, actor, address, lang, payload, state,"
        " attempts, claimed_by, claimed_until, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, 'running', 1, ?, ?, ?)",
        [kind, conversation, case_id, actor,
         json.dumps(address, ensure_ascii=False) if address else None, lang,
         tx.seal_text(json.dumps(payload, ensure_ascii=False)), owner, lease_until, at])
    assert cursor.lastrowid is not None
    return JobRecord(int(cursor.lastrowid), kind, conversation, case_id, actor, address, lang,
                     payload, 1)


def _orphan(tx: StoreTransaction, now: str, prefixes: tuple[str, ...]) -> Any:
    served = " OR ".join("conversation LIKE ?" for _ in prefixes) or "1"
    return tx.db.execute(
        f"SELECT {_COLUMNS} FROM jobs WHERE state IN {_UNFINISHED} AND (state = 'pending'"
        f" OR claimed_until < ?) AND ({served}) ORDER BY id LIMIT 1",
        [now, *(p + "%" for p in prefixes)]).fetchone()


def orphaned(tx: StoreTransaction, *, now: str, prefixes: tuple[str, ...] = ()) -> bool:
    """Whether a job waits that nobody holds (read without the write lock, every pass)."""
    return _orphan(tx, now, prefixes) is not None


def claim_job(tx: StoreTransaction, *, owner: str, now: str, lease_until: str,
              prefixes: tuple[str, ...] = ()) -> JobRecord | None:
    """The oldest job nobody holds (pending, or its holder's lease ran out), claimed."""
    row = _orphan(tx, now, prefixes)
    if row is None:
        return None
    cursor = tx.db.execute(
        "UPDATE jobs SET state = 'running', claimed_by = ?, claimed_until = ?,"
        " attempts = attempts + 1 WHERE id = ? AND (state = 'pending' OR (state = 'running'"
        " AND claimed_until < ?))", [owner, lease_until, row[0], now])
    if cursor.rowcount != 1:
        return None
    job = _record(tx, row)
    return JobRecord(job.id, job.kind, job.conversation, job.case_id, job.actor, job.address,
                     job.lang, job.payload, job.attempts + 1)


def finish_job(tx: StoreTransaction, job_id: int, *, owner: str, at: str,
               error: str | None = None) -> bool:
    """Done (or, with ``error``, given up on); False when another process holds it now (its
    own run will announce it) — the caller then writes nothing."""
    cursor = tx.db.execute(
        "UPDATE jobs SET state = ?, done_at = ?, claimed_until = NULL, last_error = ?,"
        " payload = '{}' WHERE id = ? AND claimed_by = ? AND state = 'running'",
        ["failed" if error else "done", at, error, job_id, owner])
    return cursor.rowcount == 1


def unfinished_jobs(tx: StoreTransaction) -> int:
    row = tx.db.execute(f"SELECT count(*) FROM jobs WHERE state IN {_UNFINISHED}").fetchone()
    return int(row[0])


def renew(tx: StoreTransaction, job_ids: list[int], *, owner: str, until: str) -> None:
    """Extend this process's claims on jobs still running (a slow build or check)."""
    for job_id in job_ids:
        tx.db.execute("UPDATE jobs SET claimed_until = ? WHERE id = ? AND claimed_by = ?"
                      " AND state = 'running'", [until, job_id, owner])


def holders(tx: StoreTransaction) -> set[str]:
    rows = tx.db.execute("SELECT DISTINCT claimed_by FROM jobs WHERE state = 'running'")
    return {str(row[0]) for row in rows if row[0]}


def release_claims_of(tx: StoreTransaction, owners: list[str]) -> int:
    cursor = tx.db.execute(
        f"UPDATE jobs SET claimed_until = '' WHERE state = 'running' AND claimed_by IN"
        f" ({', '.join('?' for _ in owners)})", list(owners))
    return cursor.rowcount
