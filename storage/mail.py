"""Queries for the mailbox watcher (tables of migration 0007): seen messages, findings, admin
notices and mailbox faults.

Why here: the watcher (``bot/mail/watch.py``) and the dialogue (``handlers/mail/findings.py``)
both change these rows, always inside a ``StoreTransaction`` the caller opened, so a message is
marked seen in the same transaction as the finding it produced, and a click decides a finding in
the same transaction as the review it records. State changes are conditional ``UPDATE``s, so two
clicks or two watcher processes never both win one. No business rules live here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from storage.case_store import StoreTransaction


@dataclass(frozen=True, slots=True)
class NewFinding:
    """What the watcher read in one message, before it has an id."""

    mailbox: str
    message_id: str | None
    subject: str
    sender: str
    sent_at: str | None
    kind: str | None
    outcome: str | None
    reason: str | None
    app_id: str | None
    evidence: tuple[str, ...]
    attachments: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class FindingRecord(NewFinding):
    """What was read, as stored: its id, the case(s) it matched and what became of it."""

    id: int
    case_id: int | None
    state: str
    candidates: tuple[int, ...]
    matched_by: tuple[str, ...]
    created_at: str
    posted_at: str | None
    decided_by: str | None
    decided_by_name: str | None
    decided_at: str | None


@dataclass(frozen=True, slots=True)
class NoticeRecord:
    id: int
    kind: str
    mailbox: str
    finding_id: int | None
    detail: str
    created_at: str
    queued_at: str | None
    queued_to: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FaultRecord:
    mailbox: str
    kind: str
    since: str
    attempts: int
    last_attempt_at: str
    detail: str


_FINDING_COLUMNS = tuple(FindingRecord.__dataclass_fields__)
_JSON_TUPLES = {"candidates", "matched_by", "evidence", "attachments"}
_NOTICE_COLUMNS = tuple(NoticeRecord.__dataclass_fields__)
_FAULT_COLUMNS = tuple(FaultRecord.__dataclass_fields__)


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _finding(row: Sequence[Any] | None) -> FindingRecord | None:
    if row is None:
        return None
    values: dict[str, Any] = {
        name: tuple(json.loads(value)) if name in _JSON_TUPLES else value
        for name, value in zip(_FINDING_COLUMNS, row, strict=True)
    }
    return FindingRecord(**values)


def _notice(row: Sequence[Any]) -> NoticeRecord:
    values = dict(zip(_NOTICE_COLUMNS, row, strict=True))
    values["queued_to"] = tuple(json.loads(values["queued_to"]))
    return NoticeRecord(**values)


# -- seen messages --------------------------------------------------------------------------
def seen_uids(tx: StoreTransaction, mailbox: str, uidvalidity: int) -> set[int]:
    rows = tx.db.execute(
        "SELECT uid FROM mail_seen WHERE mailbox = ? AND uidvalidity = ?", [mailbox, uidvalidity]
    ).fetchall()
    return {int(row[0]) for row in rows}


def is_seen(tx: StoreTransaction, mailbox: str, uidvalidity: int, uid: int) -> bool:
    row = tx.db.execute(
        "SELECT 1 FROM mail_seen WHERE mailbox = ? AND uidvalidity = ? AND uid = ?",
        [mailbox, uidvalidity, uid],
    ).fetchone()
    return row is not None


def message_id_seen(tx: StoreTransaction, message_id: str) -> bool:
    """Whether a message with this Message-ID was already read (at any place in any mailbox)."""
    row = tx.db.execute(
        "SELECT 1 FROM mail_seen WHERE message_id = ? AND disposition != 'duplicate' LIMIT 1",
        [message_id],
    ).fetchone()
    return row is not None


def record_seen(
    tx: StoreTransaction,
    *,
    mailbox: str,
    uidvalidity: int,
    uid: int,
    message_id: str | None,
    sender: str,
    disposition: str,
    finding_id: int | None,
    at: str,
) -> None:
    tx.db.execute(
        "INSERT INTO mail_seen (mailbox, uidvalidity, uid, message_id, sender, disposition,"
        " finding_id, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [mailbox, uidvalidity, uid, message_id, sender, disposition, finding_id, at],
    )


# -- findings -------------------------------------------------------------------------------
def add_finding(
    tx: StoreTransaction,
    new: NewFinding,
    *,
    state: str,
    case_id: int | None,
    candidates: Sequence[int],
    matched_by: Sequence[str],
    at: str,
) -> int:
    cursor = tx.db.execute(
        "INSERT INTO mail_findings (case_id, state, candidates, matched_by, mailbox, message_id,"
        " subject, sender, sent_at, kind, outcome, reason, app_id, evidence, attachments,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [case_id, state, _dump(list(candidates)), _dump(list(matched_by)), new.mailbox,
         new.message_id, new.subject, new.sender, new.sent_at, new.kind, new.outcome, new.reason,
         new.app_id, _dump(list(new.evidence)), _dump(list(new.attachments)), at],
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def finding(tx: StoreTransaction, finding_id: int) -> FindingRecord | None:
    row = tx.db.execute(
        f"SELECT {', '.join(_FINDING_COLUMNS)} FROM mail_findings WHERE id = ?", [finding_id]
    ).fetchone()
    return _finding(row)


def findings(tx: StoreTransaction, case_id: int | None = None) -> list[FindingRecord]:
    """Every finding (of one case, when given), oldest first."""
    where, params = ("WHERE case_id = ?", [case_id]) if case_id is not None else ("", [])
    rows = tx.db.execute(
        f"SELECT {', '.join(_FINDING_COLUMNS)} FROM mail_findings {where} ORDER BY id", params
    ).fetchall()
    return [f for f in map(_finding, rows) if f is not None]


def mark_posted(tx: StoreTransaction, finding_id: int, at: str) -> None:
    """The finding was queued for its case's conversation (the outbox delivers it)."""
    tx.db.execute("UPDATE mail_findings SET posted_at = ? WHERE id = ?", [at, finding_id])


def decide(
    tx: StoreTransaction,
    finding_id: int,
    state: str,
    *,
    from_states: Iterable[str],
    user_id: str,
    user_name: str,
    at: str,
) -> bool:
    """Move a finding to ``state`` if it is still in one of ``from_states``; False otherwise."""
    allowed = list(from_states)
    marks = ", ".join("?" for _ in allowed)
    cursor = tx.db.execute(
        f"UPDATE mail_findings SET state = ?, decided_by = ?, decided_by_name = ?, decided_at = ? "
        f"WHERE id = ? AND state IN ({marks})",
        [state, user_id, user_name, at, finding_id, *allowed],
    )
    return cursor.rowcount == 1


def assign(tx: StoreTransaction, finding_id: int, case_id: int) -> bool:
    """Give an ambiguous finding to one of its candidate cases, to be posted there."""
    cursor = tx.db.execute(
        "UPDATE mail_findings SET case_id = ?, state = 'proposed', posted_at = NULL "
        "WHERE id = ? AND state = 'ambiguous'",
        [case_id, finding_id],
    )
    return cursor.rowcount == 1


NAMES_CASE = "EXISTS (SELECT 1 FROM json_each(mail_findings.candidates) WHERE value = ?)"
"""SQL condition: the finding lists the case (the ``?``) among its candidates."""


def forget_case(tx: StoreTransaction, case_id: int) -> dict[str, int]:
    """Before a case is erased: take it out of the findings that name it only inside their
    ``candidates`` list, which no foreign key sees. A finding that named no other case is
    removed with its admin notices, and so is every notice about a finding of the case itself,
    since the notice exists only to point at that mail. Returns the rows removed per table."""
    counts = {"mail_findings": 0, "mail_notices": 0}
    rows = tx.db.execute(
        f"SELECT id, case_id, candidates FROM mail_findings WHERE case_id = ? OR {NAMES_CASE}",
        [case_id, case_id],
    ).fetchall()
    for finding_id, owner, listed in rows:
        others = [c for c in json.loads(listed) if c != case_id]
        if owner == case_id or (owner is None and not others):
            counts["mail_notices"] += tx.db.execute(
                "DELETE FROM mail_notices WHERE finding_id = ?", [finding_id]).rowcount
        if owner is None and not others:
            tx.db.execute("UPDATE mail_seen SET finding_id = NULL WHERE finding_id = ?",
                          [finding_id])
            counts["mail_findings"] += tx.db.execute(
                "DELETE FROM mail_findings WHERE id = ?", [finding_id]).rowcount
        elif owner != case_id:
            tx.db.execute("UPDATE mail_findings SET candidates = ? WHERE id = ?",
                          [_dump(others), finding_id])
    return counts


# -- admin notices --------------------------------------------------------------------------
def add_notice(
    tx: StoreTransaction,
    kind: str,
    mailbox: str,
    *,
    at: str,
    finding_id: int | None = None,
    detail: str = "",
) -> int:
    cursor = tx.db.execute(
        "INSERT INTO mail_notices (kind, mailbox, finding_id, detail, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [kind, mailbox, finding_id, detail, at],
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def notice(tx: StoreTransaction, notice_id: int) -> NoticeRecord | None:
    row = tx.db.execute(
        f"SELECT {', '.join(_NOTICE_COLUMNS)} FROM mail_notices WHERE id = ?", [notice_id]
    ).fetchone()
    return None if row is None else _notice(row)


def notices(tx: StoreTransaction) -> list[NoticeRecord]:
    rows = tx.db.execute(
        f"SELECT {', '.join(_NOTICE_COLUMNS)} FROM mail_notices ORDER BY id"
    ).fetchall()
    return [_notice(row) for row in rows]


def mark_notice_queued(
    tx: StoreTransaction, notice_id: int, conversations: Sequence[str], at: str
) -> None:
    """The notice was queued for these admin conversations (none: it was only logged)."""
    tx.db.execute(
        "UPDATE mail_notices SET queued_at = ?, queued_to = ? WHERE id = ?",
        [at, _dump(list(conversations)), notice_id],
    )


def notice_conversations(tx: StoreTransaction, finding_id: int) -> set[str]:
    """The conversations a finding's admin notice was queued for (where it may be assigned)."""
    rows = tx.db.execute(
        "SELECT queued_to FROM mail_notices WHERE finding_id = ?", [finding_id]
    ).fetchall()
    return {conversation for (listed,) in rows for conversation in json.loads(listed)}


# -- mailbox faults -------------------------------------------------------------------------
def fault(tx: StoreTransaction, mailbox: str) -> FaultRecord | None:
    row = tx.db.execute(
        f"SELECT {', '.join(_FAULT_COLUMNS)} FROM mail_faults WHERE mailbox = ?", [mailbox]
    ).fetchone()
    return None if row is None else FaultRecord(*row)


def record_failure(
    tx: StoreTransaction, mailbox: str, kind: str, detail: str, at: str
) -> tuple[FaultRecord, bool]:
    """Count one failed attempt; True when this kind of fault is new (so it must be reported)."""
    current = fault(tx, mailbox)
    if current is not None and current.kind == kind:
        tx.db.execute(
            "UPDATE mail_faults SET attempts = attempts + 1, last_attempt_at = ?, detail = ? "
            "WHERE mailbox = ?",
            [at, detail, mailbox],
        )
        updated = fault(tx, mailbox)
        assert updated is not None
        return updated, False
    tx.db.execute(
        "INSERT OR REPLACE INTO mail_faults (mailbox, kind, since, attempts, last_attempt_at,"
        " detail) VALUES (?, ?, ?, 1, ?, ?)",
        [mailbox, kind, at, at, detail],
    )
    created = fault(tx, mailbox)
    assert created is not None
    return created, True


def clear_fault(tx: StoreTransaction, mailbox: str) -> FaultRecord | None:
    """The mailbox answered again; returns the fault that ended, if there was one."""
    current = fault(tx, mailbox)
    if current is not None:
        tx.db.execute("DELETE FROM mail_faults WHERE mailbox = ?", [mailbox])
    return current


# -- the email feature's record of what the bot sent (migration 0003), when present ----------
def cases_for_sent_message_ids(tx: StoreTransaction, message_ids: Iterable[str]) -> set[int]:
    """Cases whose sent email has one of these Message-IDs (with or without angle brackets)."""
    wanted = {m.strip().strip("<>") for m in message_ids if m.strip().strip("<>")}
    if not wanted:
        return set()
    table = tx.db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sent_emails'"
    ).fetchone()
    if table is None:
        return set()
    forms = sorted(wanted | {f"<{m}>" for m in wanted})
    marks = ", ".join("?" for _ in forms)
    rows = tx.db.execute(
        f"SELECT DISTINCT case_id FROM sent_emails WHERE message_id IN ({marks})", forms
    ).fetchall()
    return {int(row[0]) for row in rows}
