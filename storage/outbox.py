"""The outbox: every message the bot will send, written in the transaction that commits its cause.

Why it is the only way out (issue 27): a reply held in memory until posted is lost by a crash
between the commit and the post, and the platform's retry is then dropped as a duplicate.
Written here with the turn, the reply survives the crash and is sent after the restart.

**One queue per conversation, in commit order, across processes.** A message is sent only when
it is the *head* of its conversation: no earlier message of the conversation is still pending or
being sent. A process claims the head at send time, one message per claim, with a lease a little
longer than one send may take; while it sends, the next message is not a head, so no other
process can overtake it. A message that failed waits for its retry at the head, holding its
conversation back (never others). A process that dies mid-send leaves its claim to run out, and
another process sends the message again: at least once, never lost, never reordered.

A row holds one turn's replies (Slack posts them as one message when it can); ``progress``
counts those already sent when a platform refused the rest, so a retry resumes there.

No business rules live here; every claim is a conditional ``UPDATE`` inside the caller's
``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from storage.case_store import StoreTransaction

_OPEN_WAITS = "('waiting', 'overdue')"
UNSENT = "('pending', 'sending')"


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
    """The person whose input a reply answers (its private replies are theirs alone), or the
    one admin a notice is for; None: everyone in the conversation."""
    address: dict[str, Any] | None = None
    """Where the input came from, as its adapter wrote it (opaque to everything but that
    adapter's transport)."""
    progress: int = 0
    """Replies of this row already sent (a retry resumes after them)."""


_COLUMNS = ("id, case_id, wait_id, purpose, conversation, mention_user_id, mention_name, replies,"
            " attempts, actor, address, progress")


def _record(tx: StoreTransaction, row: Sequence[Any]) -> OutboxRecord:
    return OutboxRecord(row[0], row[1], row[2], row[3], row[4], row[5], row[6],
                        json.loads(tx.open_text(row[7])), row[8], row[9],
                        json.loads(row[10]) if row[10] else None, row[11])


# -- writing --------------------------------------------------------------------------------
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
    address: dict[str, Any] | None = None,
) -> bool:
    """Queue a message for a conversation; False when ``dedupe_key`` was queued before."""
    cursor = tx.db.execute(
        "INSERT OR IGNORE INTO outbox (dedupe_key, case_id, wait_id, purpose, conversation,"
        " mention_user_id, mention_name, replies, created_at, next_attempt_at, actor, address)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [dedupe_key, case_id, wait_id, purpose, conversation, mention_user_id, mention_name,
         tx.seal_text(json.dumps(replies, ensure_ascii=False)), at, at, actor,
         json.dumps(address, ensure_ascii=False) if address else None],
    )
    return cursor.rowcount == 1


_KEYS = itertools.count()


def _reply_key() -> str:
    """A reply's de-duplication key, which nothing looks up (only notices are queued once by
    key) but the column requires: rising with time, so each insert lands at the end of the
    unique index instead of on a random page of it as a random one would."""
    return f"reply:{time.time_ns()}:{os.getpid()}:{next(_KEYS)}"


@dataclass(frozen=True, slots=True)
class Queued:
    """A message written: its id, and whether it was written already claimed (``claimed``)."""

    id: int
    claimed: bool


def add_replies(
    tx: StoreTransaction,
    *,
    conversation: str,
    case_id: int | None,
    actor: str | None,
    address: dict[str, Any] | None,
    replies: list[dict[str, Any]],
    at: str,
    claim_for: str | None = None,
    lease_until: str | None = None,
) -> Queued:
    """Queue the replies of one turn (or of one piece of its slow work) as one message.

    ``claim_for``: the process that will send it right away. When nothing of the conversation
    waits before it, the message is written already claimed by that process (it is the head,
    and its claim is taken in the transaction that commits it, a few milliseconds before the
    send, instead of in a transaction of its own); otherwise it queues like any other."""
    claimed = claim_for is not None and tx.db.execute(
        f"SELECT 1 FROM outbox WHERE conversation = ? AND state IN {UNSENT} LIMIT 1",
        [conversation]).fetchone() is None
    cursor = tx.db.execute(
        "INSERT INTO outbox (dedupe_key, case_id, purpose, conversation, replies, created_at,"
        " next_attempt_at, actor, address, state, attempts, claimed_by, claimed_until)"
        " VALUES (?, ?, 'reply', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [_reply_key(), case_id, conversation,
         tx.seal_text(json.dumps(replies, ensure_ascii=False)), at, at, actor,
         json.dumps(address, ensure_ascii=False) if address else None,
         "sending" if claimed else "pending", 1 if claimed else 0,
         claim_for if claimed else None, lease_until if claimed else None],
    )
    assert cursor.lastrowid is not None
    return Queued(int(cursor.lastrowid), claimed)


def skip_stale_reminders(tx: StoreTransaction) -> int:
    """Drop undelivered reminders that no longer say anything true: the wait has ended, the
    case is closed, or a newer reminder for the same wait is queued."""
    cursor = tx.db.execute(
        "UPDATE outbox SET state = 'skipped', claimed_by = NULL, claimed_until = NULL"
        f" WHERE state IN {UNSENT} AND purpose = 'reminder' AND state = 'pending' AND ("
        f"  wait_id IN (SELECT id FROM waits WHERE state NOT IN {_OPEN_WAITS})"
        "  OR case_id IN (SELECT id FROM cases WHERE state != 'active')"
        "  OR EXISTS (SELECT 1 FROM outbox newer WHERE newer.wait_id = outbox.wait_id"
        "             AND newer.purpose = 'reminder' AND newer.id > outbox.id))"
    )
    return cursor.rowcount


# -- the heads of the queues ----------------------------------------------------------------
def _like_prefix(prefix: str) -> str:
    return prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _served(prefixes: Sequence[str], conversations: Sequence[str],
            params: dict[str, Any]) -> str | None:
    where: list[str] = []
    for i, prefix in enumerate(prefixes):
        where.append(f"o.conversation LIKE :p{i} ESCAPE '\\'")
        params[f"p{i}"] = _like_prefix(prefix)
    for i, conversation in enumerate(conversations):
        where.append(f"o.conversation = :c{i}")
        params[f"c{i}"] = conversation
    return f"({' OR '.join(where)})" if where else None


def _for(recipient: str | None, alias: str) -> str:
    """Messages a terminal shows: for everyone, or for its own person (``recipient``)."""
    return "" if recipient is None else f" AND ({alias}.actor IS NULL OR {alias}.actor = :recipient)"


def _head(recipient: str | None) -> str:
    return (f"NOT EXISTS (SELECT 1 FROM outbox e WHERE e.conversation = o.conversation"
            f" AND e.id < o.id AND e.state IN {UNSENT}{_for(recipient, 'e')})")


_DUE = ("((o.state = 'pending' AND o.next_attempt_at <= :now)"
        " OR (o.state = 'sending' AND o.claimed_until < :now))")


def due_conversations(
    tx: StoreTransaction, *, now: str, prefixes: Sequence[str] = (),
    conversations: Sequence[str] = (), recipient: str | None = None, limit: int = 200,
) -> list[str]:
    """Conversations (among those this process serves) whose head can be sent now: pending and
    due, or claimed by a process whose lease ran out. Oldest waiting first."""
    params: dict[str, Any] = {"now": now, "recipient": recipient, "limit": limit}
    served = _served(prefixes, conversations, params)
    if served is None:
        return []
    rows = tx.db.execute(
        f"SELECT o.conversation, min(o.id) AS first FROM outbox o WHERE o.state IN {UNSENT}"
        f" AND {_DUE} AND {_head(recipient)} AND {served}{_for(recipient, 'o')}"
        " GROUP BY o.conversation ORDER BY first LIMIT :limit", params).fetchall()
    return [str(row[0]) for row in rows]


def claim_head(
    tx: StoreTransaction, conversation: str, *, owner: str, now: str, lease_until: str,
    recipient: str | None = None,
) -> OutboxRecord | None:
    """Claim the head of ``conversation``'s queue for sending now, or None when it has none
    that can be sent now (empty, waiting for its retry, or being sent by another process)."""
    params: dict[str, Any] = {"now": now, "recipient": recipient, "conversation": conversation,
                              "owner": owner, "until": lease_until}
    row = tx.db.execute(
        f"SELECT {', '.join('o.' + c.strip() for c in _COLUMNS.split(','))} FROM outbox o"
        f" WHERE o.conversation = :conversation AND o.state IN {UNSENT}{_for(recipient, 'o')}"
        " ORDER BY o.id LIMIT 1", params).fetchone()
    if row is None:
        return None
    cursor = tx.db.execute(
        "UPDATE outbox AS o SET state = 'sending', claimed_by = :owner, claimed_until = :until,"
        f" attempts = attempts + 1 WHERE id = :id AND {_DUE}", {**params, "id": row[0]})
    if cursor.rowcount != 1:
        return None
    record = _record(tx, row)
    return OutboxRecord(**{**{f: getattr(record, f) for f in record.__dataclass_fields__},
                           "attempts": record.attempts + 1})


def mark_sent(tx: StoreTransaction, message_id: int, *, owner: str, at: str) -> bool:
    """Sent. The text is dropped (it may hold personal data, and a file's bytes): the row
    stays as the record that it went out, and as the order's anchor."""
    cursor = tx.db.execute(
        "UPDATE outbox SET state = 'sent', sent_at = ?, claimed_until = NULL, last_error = NULL,"
        " replies = '[]' WHERE id = ? AND claimed_by = ? AND state = 'sending'",
        [at, message_id, owner],
    )
    return cursor.rowcount == 1


def mark_failed(
    tx: StoreTransaction,
    message_id: int,
    *,
    owner: str,
    error: str,
    retry_at: str | None,
    progress: int | None = None,
) -> bool:
    """Give a claimed message back for a later attempt (``progress``: replies of it already
    sent), or give up on it (``retry_at`` None), which lets its conversation's queue go on."""
    cursor = tx.db.execute(
        "UPDATE outbox SET state = ?, next_attempt_at = COALESCE(?, next_attempt_at),"
        " claimed_by = NULL, claimed_until = NULL, last_error = ?,"
        " progress = COALESCE(?, progress) WHERE id = ? AND claimed_by = ? AND state = 'sending'",
        ["pending" if retry_at else "failed", retry_at, error[:300], progress, message_id, owner],
    )
    return cursor.rowcount == 1


def mark_sent_inline(tx: StoreTransaction, message_ids: Sequence[int], *, at: str) -> None:
    """Messages a terminal printed itself, synchronously, as its turn ended."""
    for message_id in message_ids:
        tx.db.execute(
            "UPDATE outbox SET state = 'sent', sent_at = ?, replies = '[]'"
            " WHERE id = ? AND state = 'pending'", [at, message_id])


def prune_sent(tx: StoreTransaction, before: str, limit: int) -> int:
    """Forget at most ``limit`` replies sent or given up on before ``before``. Only replies:
    a notice's row is also the record that it was queued once (its ``dedupe_key``), and
    notices are few; replies are every turn's, and would grow the file for ever."""
    cursor = tx.db.execute(
        "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE purpose = 'reply' AND"
        " state IN ('sent', 'failed') AND coalesce(sent_at, created_at) < ? ORDER BY id"
        " LIMIT ?)", [before, limit])
    return cursor.rowcount


def messages_for_case(tx: StoreTransaction, case_id: int) -> list[tuple[str, str, str]]:
    """(purpose, state, dedupe_key) of every message queued for a case, oldest first."""
    rows = tx.db.execute(
        "SELECT purpose, state, dedupe_key FROM outbox WHERE case_id = ? ORDER BY id", [case_id]
    ).fetchall()
    return [(str(a), str(b), str(c)) for a, b, c in rows]


# -- counts for monitoring ------------------------------------------------------------------
def outbox_backlog(tx: StoreTransaction) -> int:
    """Messages not delivered yet and still to be tried (pending, or claimed and sending)."""
    row = tx.db.execute(f"SELECT count(*) FROM outbox WHERE state IN {UNSENT}").fetchone()
    return int(row[0])


def dedupe_key(tx: StoreTransaction, message_id: int) -> str | None:
    """The key a message was queued under (it says what the message is: ``reminder:…``)."""
    row = tx.db.execute("SELECT dedupe_key FROM outbox WHERE id = ?", [message_id]).fetchone()
    return None if row is None else str(row[0])


# -- leases ---------------------------------------------------------------------------------
def renew(tx: StoreTransaction, message_ids: Sequence[int], *, owner: str, until: str) -> None:
    """Extend this process's claims on messages it is still sending (a slow platform)."""
    for message_id in message_ids:
        tx.db.execute("UPDATE outbox SET claimed_until = ? WHERE id = ? AND claimed_by = ?"
                      " AND state = 'sending'", [until, message_id, owner])


def holders(tx: StoreTransaction) -> set[str]:
    """Every process that holds a message now (its claim may have outlived it)."""
    rows = tx.db.execute(
        f"SELECT DISTINCT claimed_by FROM outbox WHERE state IN {UNSENT} AND state = 'sending'")
    return {str(row[0]) for row in rows if row[0]}


def release_claims_of(tx: StoreTransaction, owners: Sequence[str]) -> int:
    """Let the claims of processes known to be gone run out now."""
    cursor = tx.db.execute(
        f"UPDATE outbox SET claimed_until = '' WHERE state IN {UNSENT} AND state = 'sending'"
        f" AND claimed_by IN"
        f" ({', '.join('?' for _ in owners)})", list(owners))
    return cursor.rowcount
