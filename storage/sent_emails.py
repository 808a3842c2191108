"""The record of emails sent for a case (table ``sent_emails``, migration 0003).

Why a table of its own: "did we send it, when, who pressed send, and which exact files went" is
what a team needs when Tencent says nothing arrived. Attachments are kept as name and sha256,
not bytes: the files can be rebuilt from the answers, the hash proves which version left.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

from storage.case_store import StoreTransaction


@dataclass(frozen=True, slots=True)
class SentAttachment:
    name: str
    sha256: str
    size: int

    @classmethod
    def of(cls, name: str, data: bytes) -> SentAttachment:
        return cls(name, hashlib.sha256(data).hexdigest(), len(data))


@dataclass(frozen=True, slots=True)
class SentEmail:
    id: int
    case_id: int
    message_id: str
    recipient: str
    sender: str
    subject: str
    attachments: tuple[SentAttachment, ...]
    user_id: str
    user_name: str
    at: str


def record_sent_email(
    tx: StoreTransaction,
    case_id: int,
    *,
    message_id: str,
    recipient: str,
    sender: str,
    subject: str,
    attachments: Sequence[SentAttachment],
    user_id: str,
    user_name: str,
    at: str,
) -> int:
    """Store one sent email inside ``tx``; returns its row id."""
    listed = [{"name": a.name, "sha256": a.sha256, "size": a.size} for a in attachments]
    cursor = tx.db.execute(
        "INSERT INTO sent_emails (case_id, message_id, recipient, sender, subject, attachments,"
        " user_id, user_name, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [case_id, message_id, recipient, sender, subject, json.dumps(listed, ensure_ascii=False),
         user_id, user_name, at],
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def sent_emails(tx: StoreTransaction, case_id: int) -> list[SentEmail]:
    rows = tx.db.execute(
        "SELECT id, case_id, message_id, recipient, sender, subject, attachments, user_id,"
        " user_name, at FROM sent_emails WHERE case_id = ? ORDER BY id",
        [case_id],
    ).fetchall()
    return [
        SentEmail(id_, case, message_id, recipient, sender, subject,
                  tuple(SentAttachment(a["name"], a["sha256"], a["size"]) for a in json.loads(files)),
                  user_id, user_name, at)
        for id_, case, message_id, recipient, sender, subject, files, user_id, user_name, at in rows
    ]
