"""Queries for the record of credential checks (``storage/schema/0002_credential_checks.sql``).

Why its own table rather than history rows: a check is not an answer, and it has structure (five
results, each a status and a catalogue key with parameters) that ``status`` and the reviews feature
read back. The SecretKey never reaches this module: callers hand over the SecretId already masked,
and the schema refuses anything longer than a prefix (``AKID``, ``IKID``, ``AK``), ``****`` and four
characters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from storage.case_store import StoreTransaction


@dataclass(frozen=True, slots=True)
class CheckResultRecord:
    name: str
    status: str
    detail: str
    params: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class CredentialCheckRecord:
    id: int
    case_id: int
    user_id: str
    user_name: str
    at: str
    secret_id_masked: str
    environment: str
    outcome: str
    identity: Mapping[str, str] | None
    results: tuple[CheckResultRecord, ...]


def record_check(
    tx: StoreTransaction,
    case_id: int,
    *,
    user_id: str,
    user_name: str,
    at: str,
    secret_id_masked: str,
    environment: str,
    outcome: str,
    identity: Mapping[str, str] | None,
    results: Sequence[CheckResultRecord],
) -> int:
    """Store one check and its results inside the caller's transaction; returns its id."""
    cursor = tx.db.execute(
        "INSERT INTO credential_checks (case_id, user_id, user_name, at, secret_id_masked,"
        " environment, outcome, identity) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [case_id, user_id, user_name, at, secret_id_masked, environment, outcome,
         None if identity is None else json.dumps(dict(identity), sort_keys=True)],
    )
    check_id = cursor.lastrowid
    assert check_id is not None
    for position, result in enumerate(results):
        tx.db.execute(
            "INSERT INTO credential_check_results (check_id, position, name, status, detail,"
            " params) VALUES (?, ?, ?, ?, ?, ?)",
            [check_id, position, result.name, result.status, result.detail,
             json.dumps(dict(result.params), ensure_ascii=False, sort_keys=True)],
        )
    return int(check_id)


def checks_for_case(tx: StoreTransaction, case_id: int) -> list[CredentialCheckRecord]:
    """Every check run for a case, oldest first."""
    rows = tx.db.execute(
        "SELECT id, case_id, user_id, user_name, at, secret_id_masked, environment, outcome,"
        " identity FROM credential_checks WHERE case_id = ? ORDER BY id",
        [case_id],
    ).fetchall()
    return [_record(tx, row) for row in rows]


def latest_check(tx: StoreTransaction, case_id: int) -> CredentialCheckRecord | None:
    checks = checks_for_case(tx, case_id)
    return checks[-1] if checks else None


def _record(tx: StoreTransaction, row: Sequence[Any]) -> CredentialCheckRecord:
    results = tx.db.execute(
        "SELECT name, status, detail, params FROM credential_check_results WHERE check_id = ?"
        " ORDER BY position",
        [row[0]],
    ).fetchall()
    return CredentialCheckRecord(
        id=row[0], case_id=row[1], user_id=row[2], user_name=row[3], at=row[4],
        secret_id_masked=row[5], environment=row[6], outcome=row[7],
        identity=None if row[8] is None else json.loads(row[8]),
        results=tuple(CheckResultRecord(name, status, detail, json.loads(params))
                      for name, status, detail, params in results),
    )
