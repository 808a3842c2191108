"""Queries for waits at Tencent and the outbox of messages about them.

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

import json
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


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    id: int
    case_id: int | None
    wait_id: int | None
    purpose: str
    conversation: str
    mention_user_id: str | None
    mention_name: str | None
    replies: list[dict[str, Any]]
    attempts: int
    actor: str | None = None
    """For a ``reply``: the person whose input it answers (its private replies are theirs)."""


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


# -- outbox ---------------------------------------------------------------------------------
def add_message(
    tx: StoreTransaction,
    *,
    dedupe_key: str,
    case_id: int | None,
    wait_id: int | None,
    purpose: str,
    conversation: str,
    mention_user_id: str | None,
    mention_name: str | None,
    replies: list[dict[str, Any]],
    at: str,
    actor: str | None = None,
) -> bool:
    """Queue a message for a conversation; False when ``dedupe_key`` was queued before."""
    cursor = tx.db.execute(
        "INSERT OR IGNORE INTO outbox (dedupe_key, case_id, wait_id, purpose, conversation,"
        " mention_user_id, mention_name, replies, created_at, next_attempt_at, actor)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [dedupe_key, case_id, wait_id, purpose, conversation, mention_user_id, mention_name,
         json.dumps(replies, ensure_ascii=False), at, at, actor],
    )
    return cursor.rowcount == 1


def replies_waiting(tx: StoreTransaction, conversation: str) -> int:
    """Queued live replies of a conversation not delivered yet: while there are any, a newer
    reply must queue behind them rather than be posted before them."""
    row = tx.db.execute(
        "SELECT count(*) FROM outbox WHERE conversation = ? AND purpose = 'reply'"
        " AND state IN ('pending', 'sending')", [conversation]).fetchone()
    return int(row[0])


def conversations_with_replies_waiting(tx: StoreTransaction, prefix: str) -> set[str]:
    """The conversations (under ``prefix``) that have queued live replies, at start."""
    rows = tx.db.execute(
        "SELECT DISTINCT conversation FROM outbox WHERE purpose = 'reply'"
        " AND state IN ('pending', 'sending') AND conversation LIKE ? ESCAPE '\\'",
        [_like_prefix(prefix)]).fetchall()
    return {str(row[0]) for row in rows}


def skip_stale_reminders(tx: StoreTransaction) -> int:
    """Drop undelivered reminders that no longer say anything true: the wait has ended, the
    case is closed, or a newer reminder for the same wait is queued."""
    cursor = tx.db.execute(
        "UPDATE outbox SET state = 'skipped', claimed_by = NULL, claimed_until = NULL"
        " WHERE purpose = 'reminder' AND state = 'pending' AND ("
        f"  wait_id IN (SELECT id FROM waits WHERE state NOT IN {_OPEN_SQL})"
        "  OR case_id IN (SELECT id FROM cases WHERE state != 'active')"
        "  OR EXISTS (SELECT 1 FROM outbox newer WHERE newer.wait_id = outbox.wait_id"
        "             AND newer.purpose = 'reminder' AND newer.id > outbox.id))"
    )
    return cursor.rowcount


def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


_DELIVERABLE = (
    "((state = 'pending' AND next_attempt_at <= :now)"
    " OR (state = 'sending' AND claimed_until < :now))"
)
_NOT_OVERTAKING = (
    "NOT EXISTS (SELECT 1 FROM outbox earlier WHERE earlier.conversation = outbox.conversation"
    " AND earlier.id < outbox.id AND (earlier.purpose = 'reply' OR outbox.purpose = 'reply')"
    " AND ((earlier.state = 'pending' AND earlier.next_attempt_at > :now)"
    "      OR (earlier.state = 'sending' AND earlier.claimed_until >= :now)))"
)
"""A queued reply, and anything queued after one, waits while an earlier message of its
conversation is waiting to be tried again or is being sent by someone else: replies arrive in
the order they were written. Earlier messages due now are claimed in the same pass, in order."""


def claim_messages(
    tx: StoreTransaction,
    *,
    owner: str,
    now: str,
    lease_until: str,
    prefixes: Sequence[str] = (),
    conversations: Sequence[str] = (),
    limit: int = 20,
    recipient: str | None = None,
) -> list[OutboxRecord]:
    """Claim up to ``limit`` deliverable messages for the conversations this process serves.

    A message is deliverable when it is pending and due, or when another process claimed it
    and its lease ran out (that process died mid-send). The conditional ``UPDATE`` makes each
    claim exclusive even with several processes on one file.

    ``recipient``: this process shows messages to one person (a terminal, where two people on
    one case each run their own): only messages for everyone (no ``actor``) or for them are
    claimed, so a notice for one never shows in the other's window, nor waits behind it.
    """
    where: list[str] = []
    params: dict[str, Any] = {"now": now, "owner": owner, "until": lease_until, "limit": limit}
    for i, prefix in enumerate(prefixes):
        where.append(f"conversation LIKE :p{i} ESCAPE '\\'")
        params[f"p{i}"] = _like_prefix(prefix)
    for i, conversation in enumerate(conversations):
        where.append(f"conversation = :c{i}")
        params[f"c{i}"] = conversation
    if not where:
        return []
    addressed = "" if recipient is None else " AND (actor IS NULL OR actor = :recipient)"
    params["recipient"] = recipient
    rows = tx.db.execute(
        "SELECT id, case_id, wait_id, purpose, conversation, mention_user_id, mention_name,"
        f" replies, attempts, actor FROM outbox WHERE {_DELIVERABLE} AND {_NOT_OVERTAKING}"
        f" AND ({' OR '.join(where)}){addressed} ORDER BY id LIMIT :limit",
        params,
    ).fetchall()
    claimed = []
    for row in rows:
        cursor = tx.db.execute(
            "UPDATE outbox SET state = 'sending', claimed_by = :owner, claimed_until = :until,"
            f" attempts = attempts + 1 WHERE id = :id AND {_DELIVERABLE}",
            {**params, "id": row[0]},
        )
        if cursor.rowcount == 1:
            claimed.append(OutboxRecord(row[0], row[1], row[2], row[3], row[4], row[5], row[6],
                                        json.loads(row[7]), row[8] + 1, row[9]))
    return claimed


def mark_sent(tx: StoreTransaction, message_id: int, *, owner: str, at: str) -> bool:
    cursor = tx.db.execute(
        "UPDATE outbox SET state = 'sent', sent_at = ?, claimed_until = NULL, last_error = NULL"
        " WHERE id = ? AND claimed_by = ? AND state = 'sending'",
        [at, message_id, owner],
    )
    return cursor.rowcount == 1


def release_message(tx: StoreTransaction, message_id: int, *, owner: str) -> bool:
    """Give a claimed message back untried (an earlier one of its conversation just failed, so
    sending this one now would overtake it); the attempt is not counted."""
    cursor = tx.db.execute(
        "UPDATE outbox SET state = 'pending', claimed_by = NULL, claimed_until = NULL,"
        " attempts = attempts - 1 WHERE id = ? AND claimed_by = ? AND state = 'sending'",
        [message_id, owner],
    )
    return cursor.rowcount == 1


def mark_failed(
    tx: StoreTransaction,
    message_id: int,
    *,
    owner: str,
    error: str,
    retry_at: str | None,
) -> bool:
    """Give a claimed message back for a later attempt, or give up on it (``retry_at`` None)."""
    cursor = tx.db.execute(
        "UPDATE outbox SET state = ?, next_attempt_at = COALESCE(?, next_attempt_at),"
        " claimed_by = NULL, claimed_until = NULL, last_error = ?"
        " WHERE id = ? AND claimed_by = ? AND state = 'sending'",
        ["pending" if retry_at else "failed", retry_at, error[:300], message_id, owner],
    )
    return cursor.rowcount == 1


def messages_for_case(tx: StoreTransaction, case_id: int) -> list[tuple[str, str, str]]:
    """(purpose, state, dedupe_key) of every message queued for a case, oldest first."""
    rows = tx.db.execute(
        "SELECT purpose, state, dedupe_key FROM outbox WHERE case_id = ? ORDER BY id", [case_id]
    ).fetchall()
    return [(str(a), str(b), str(c)) for a, b, c in rows]


# -- counts for monitoring ------------------------------------------------------------------
def outbox_backlog(tx: StoreTransaction) -> int:
    """Messages not delivered yet and still to be tried (pending, or claimed and sending)."""
    row = tx.db.execute(
        "SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')").fetchone()
    return int(row[0])


def open_waits_due(tx: StoreTransaction, today: str) -> dict[str, tuple[int, int]]:
    """Per kind of wait: (open waits, of which due on or before ``today``), active cases only."""
    rows = tx.db.execute(
        "SELECT w.kind, count(*), sum(w.due_on <= ?) FROM waits w JOIN cases c ON c.id = w.case_id"
        f" WHERE w.state IN {_OPEN_SQL} AND c.state = 'active' GROUP BY w.kind", [today]
    ).fetchall()
    return {str(kind): (int(total), int(due or 0)) for kind, total, due in rows}


def dedupe_key(tx: StoreTransaction, message_id: int) -> str | None:
    """The key a message was queued under (it says what the message is: ``reminder:…``)."""
    row = tx.db.execute("SELECT dedupe_key FROM outbox WHERE id = ?", [message_id]).fetchone()
    return None if row is None else str(row[0])
