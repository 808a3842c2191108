"""Queries for waits at Tencent (the outbox of messages about them is ``storage.outbox``).

Why an outbox: a result must be announced exactly once and a reminder must survive a restart.
Sending a chat message inside the transaction that records the result would hold SQLite's write
lock across a network call, and sending it after the commit could be lost by a crash. So the
message is *written* here, in the same transaction as the state change it announces, and a
dispatcher delivers it later. Every claim — a reminder for today, an outbox row to deliver — is a
conditional ``UPDATE`` inside the caller's ``BEGIN IMMEDIATE`` transaction, so two bot processes
sharing one database never both win it. No business rules live here: which answer starts a wait
and what a notice says is the dialogue's business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from storage.case_store import StoreTransaction

OPEN_STATES = ("waiting", "overdue")
_OPEN_SQL = "('waiting', 'overdue')"


@dataclass(frozen=True, slots=True)
class WaitRecord:
    id: int
    case_id: int
    kind: str
    state: str
    started_at: str
    started_by: str
    started_by_name: str
    due_on: str
    due_estimated: bool
    overdue_at: str | None
    ended_at: str | None
    reason: str | None
    recorded_by: str | None
    recorded_by_name: str | None
    last_reminded_on: str | None
    reminders: int

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


_WAIT_COLUMNS = tuple(WaitRecord.__dataclass_fields__)
_WAIT_SELECT = f"SELECT {', '.join(_WAIT_COLUMNS)} FROM waits"


def _wait(row: Sequence[Any] | None) -> WaitRecord | None:
    if row is None:
        return None
    values = list(row)
    values[_WAIT_COLUMNS.index("due_estimated")] = bool(values[_WAIT_COLUMNS.index("due_estimated")])
    return WaitRecord(*values)


@dataclass(frozen=True, slots=True)
class OpenWait:
    """An open wait with what a reminder needs to know about its case."""

    wait: WaitRecord
    conversation: str
    lang: str
    created_by: str
    created_by_name: str


# -- waits ----------------------------------------------------------------------------------
def open_wait(tx: StoreTransaction, case_id: int, kind: str) -> WaitRecord | None:
    row = tx.db.execute(
        f"{_WAIT_SELECT} WHERE case_id = ? AND kind = ? AND state IN {_OPEN_SQL}", [case_id, kind]
    ).fetchone()
    return _wait(row)


def latest_wait(tx: StoreTransaction, case_id: int, kind: str) -> WaitRecord | None:
    row = tx.db.execute(
        f"{_WAIT_SELECT} WHERE case_id = ? AND kind = ? ORDER BY id DESC LIMIT 1", [case_id, kind]
    ).fetchone()
    return _wait(row)


def waits_for_case(tx: StoreTransaction, case_id: int) -> list[WaitRecord]:
    rows = tx.db.execute(f"{_WAIT_SELECT} WHERE case_id = ? ORDER BY id", [case_id]).fetchall()
    return [w for w in map(_wait, rows) if w is not None]


def open_waits_by_case(tx: StoreTransaction) -> dict[int, list[WaitRecord]]:
    rows = tx.db.execute(f"{_WAIT_SELECT} WHERE state IN {_OPEN_SQL} ORDER BY id").fetchall()
    grouped: dict[int, list[WaitRecord]] = {}
    for wait in (w for w in map(_wait, rows) if w is not None):
        grouped.setdefault(wait.case_id, []).append(wait)
    return grouped


def start_wait(
    tx: StoreTransaction,
    case_id: int,
    kind: str,
    *,
    due_on: str,
    due_estimated: bool,
    user_id: str,
    user_name: str,
    at: str,
) -> WaitRecord:
    """Open a wait (the caller has checked there is no open one of this kind)."""
    cursor = tx.db.execute(
        "INSERT INTO waits (case_id, kind, state, started_at, started_by, started_by_name, due_on,"
        " due_estimated) VALUES (?, ?, 'waiting', ?, ?, ?, ?, ?)",
        [case_id, kind, at, user_id, user_name, due_on, int(due_estimated)],
    )
    wait = _wait(tx.db.execute(f"{_WAIT_SELECT} WHERE id = ?", [cursor.lastrowid]).fetchone())
    assert wait is not None
    return wait


def end_wait(
    tx: StoreTransaction,
    wait_id: int,
    state: str,
    *,
    reason: str | None,
    user_id: str,
    user_name: str,
    at: str,
) -> bool:
    """Close an open wait with its result; False when it was no longer open."""
    cursor = tx.db.execute(
        f"UPDATE waits SET state = ?, ended_at = ?, reason = ?, recorded_by = ?,"
        f" recorded_by_name = ? WHERE id = ? AND state IN {_OPEN_SQL}",
        [state, at, reason, user_id, user_name, wait_id],
    )
    return cursor.rowcount == 1


def open_waits_of_active_cases(tx: StoreTransaction) -> list[OpenWait]:
    rows = tx.db.execute(
        f"SELECT {', '.join('w.' + c for c in _WAIT_COLUMNS)}, c.conversation, c.lang,"
        " c.created_by, c.created_by_name FROM waits w JOIN cases c ON c.id = w.case_id"
        f" WHERE w.state IN {_OPEN_SQL} AND c.state = 'active' ORDER BY w.id"
    ).fetchall()
    width = len(_WAIT_COLUMNS)
    found = []
    for row in rows:
        wait = _wait(row[:width])
        assert wait is not None
        found.append(OpenWait(wait, *row[width:]))
    return found


def mark_overdue(tx: StoreTransaction, wait_id: int, at: str) -> bool:
    cursor = tx.db.execute(
        "UPDATE waits SET state = 'overdue', overdue_at = ? WHERE id = ? AND state = 'waiting'",
        [at, wait_id],
    )
    return cursor.rowcount == 1


def claim_reminder(tx: StoreTransaction, wait_id: int, day: str) -> bool:
    """Take today's reminder for a wait; False when one was already taken today (by anyone)."""
    cursor = tx.db.execute(
        "UPDATE waits SET last_reminded_on = ?, reminders = reminders + 1 WHERE id = ?"
        f" AND state IN {_OPEN_SQL} AND (last_reminded_on IS NULL OR last_reminded_on < ?)",
        [day, wait_id, day],
    )
    return cursor.rowcount == 1


# -- counts for monitoring ------------------------------------------------------------------
def open_waits_due(tx: StoreTransaction, today: str) -> dict[str, tuple[int, int]]:
    """Per kind of wait: (open waits, of which due on or before ``today``), active cases only."""
    rows = tx.db.execute(
        "SELECT w.kind, count(*), sum(w.due_on <= ?) FROM waits w JOIN cases c ON c.id = w.case_id"
        f" WHERE w.state IN {_OPEN_SQL} AND c.state = 'active' GROUP BY w.kind", [today]
    ).fetchall()
    return {str(kind): (int(total), int(due or 0)) for kind, total, due in rows}
