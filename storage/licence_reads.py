"""What was read from each licence photo (tables ``licence_reads`` and ``licence_read_values``,
migration 0011).

Why kept at all, and why only this: ``status`` shows what the photo said beside the answers,
and a click on "take the licence's value" must store exactly the value that was shown, days
later too. So each value read is kept, per field it compares with, and nothing else of the
photo's text (which holds more names and numbers than the case needs). Each value is written
the way the answer it compares with is written: sealed when that field is personal and a key
is set (``StoreTransaction._sealed``), so a read never holds in plain what its answer seals.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from storage.case_store import StoreTransaction

Outcome = Literal["read", "unreadable"]


@dataclass(frozen=True, slots=True)
class LicenceRead:
    id: int
    case_id: int
    file_id: str
    outcome: Outcome
    at: str
    values: Mapping[str, str] = field(default_factory=dict)
    """Field key (``uscc``, ``enterprise_name``, ``legal_rep``, …) → the value read."""


def record_read(tx: StoreTransaction, case_id: int, file_id: str, outcome: Outcome,
                values: Mapping[str, str], *, at: str) -> int:
    """Store one read of the photo ``file_id``; returns its id (the buttons name it)."""
    cursor = tx.db.execute(
        "INSERT INTO licence_reads (case_id, file_id, outcome, at) VALUES (?, ?, ?, ?)",
        [case_id, file_id, outcome, at])
    read_id = cursor.lastrowid
    assert read_id is not None
    for key, value in values.items():
        tx.db.execute(
            "INSERT INTO licence_read_values (read_id, field, value) VALUES (?, ?, ?)",
            [read_id, key, tx._sealed(key, json.dumps(value, ensure_ascii=False))])
    return int(read_id)


def _values(tx: StoreTransaction, read_id: int) -> dict[str, str]:
    rows = tx.db.execute(
        "SELECT field, value FROM licence_read_values WHERE read_id = ? ORDER BY field",
        [read_id]).fetchall()
    return {str(key): str(json.loads(tx._opened(value) or "null")) for key, value in rows}


def read(tx: StoreTransaction, read_id: int) -> LicenceRead | None:
    row = tx.db.execute(
        "SELECT id, case_id, file_id, outcome, at FROM licence_reads WHERE id = ?",
        [read_id]).fetchone()
    if row is None:
        return None
    return LicenceRead(int(row[0]), int(row[1]), str(row[2]), row[3], str(row[4]),
                       _values(tx, int(row[0])))


def latest_read(tx: StoreTransaction, case_id: int, file_id: str) -> LicenceRead | None:
    """The newest read of the photo ``file_id`` in this case (None: it was never read)."""
    row = tx.db.execute(
        "SELECT id FROM licence_reads WHERE case_id = ? AND file_id = ? ORDER BY id DESC LIMIT 1",
        [case_id, file_id]).fetchone()
    return None if row is None else read(tx, int(row[0]))
