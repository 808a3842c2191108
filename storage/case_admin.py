"""An admin's operations on whole cases: export one, erase one, re-seal personal fields.

Why generic over the schema rather than a list of tables: features add tables in their own
migrations; a case's rows are found by their ``case_id`` column and by the foreign keys that point
at those rows, so a table added later is exported and erased without this module changing.
The store holds no secrets (no SecretKey is ever written), so an export holds none either.
The one reference no foreign key declares, a case id inside the mail findings' JSON list of
candidate cases, is taken out by ``storage.mail.forget_case``.
"""

from __future__ import annotations

import json
from typing import Any

from storage import mail
from storage.case_store import StoreTransaction
from storage.sealing import Sealer, is_sealed


def _tables(tx: StoreTransaction) -> list[str]:
    return [str(row[0]) for row in tx.db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name").fetchall()]


def _columns(tx: StoreTransaction, table: str) -> list[tuple[str, bool]]:
    """(name, not null) for each column of ``table``."""
    return [(str(row[1]), bool(row[3]))
            for row in tx.db.execute(f'PRAGMA table_info("{table}")').fetchall()]


def _references(tx: StoreTransaction, parent: str) -> list[tuple[str, str, str, bool]]:
    """(child table, child column, parent column, child column is NOT NULL) for every foreign
    key pointing at ``parent``."""
    found = []
    for table in _tables(tx):
        not_null = dict(_columns(tx, table))
        for row in tx.db.execute(f'PRAGMA foreign_key_list("{table}")').fetchall():
            if row[2] == parent:
                found.append((table, str(row[3]), str(row[4] or "id"), not_null[str(row[3])]))
    return found


def _case_tables(tx: StoreTransaction) -> list[str]:
    """Tables with a ``case_id`` column (``cases`` itself excepted)."""
    return [t for t in _tables(tx) if t != "cases" and "case_id" in dict(_columns(tx, t))]


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"bytes": len(value)}
    return value


def _rows(tx: StoreTransaction, table: str, where: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = tx.db.execute(f'SELECT * FROM "{table}" WHERE {where}', params)
    names = [d[0] for d in cursor.description]
    return [{n: _plain(v) for n, v in zip(names, row, strict=True)} for row in cursor.fetchall()]


def export_case(tx: StoreTransaction, case_id: int) -> dict[str, Any] | None:
    """Everything stored about a case, personal fields opened (full values); file contents as
    their size only; mail findings that named it among other cases too. None when there is no
    such case."""
    case = tx.case(case_id)
    if case is None:
        return None
    tables: dict[str, list[dict[str, Any]]] = {}
    for table in _case_tables(tx):
        if table in ("answers", "history"):
            continue
        rows = _rows(tx, table, "case_id = ?", [case_id])
        tables[table] = rows
        for child, column, parent_column, _ in _references(tx, table):
            if child in tables or "case_id" in dict(_columns(tx, child)):
                continue
            tables[child] = _rows(
                tx, child,
                f'"{column}" IN (SELECT "{parent_column}" FROM "{table}" WHERE case_id = ?)',
                [case_id])
    tables.setdefault("mail_findings", []).extend(_rows(
        tx, "mail_findings", f"case_id IS NOT ? AND {mail.NAMES_CASE}", [case_id, case_id]))
    return {
        "case": {name: getattr(case, name) for name in case.__dataclass_fields__},
        "answers": {field: {"value": a.value, "user_id": a.user_id, "user_name": a.user_name,
                            "at": a.at} for field, a in sorted(tx.answers(case_id).items())},
        "history": [{"id": h.id, "kind": h.kind, "field": h.field, "value": h.value,
                     "previous": h.previous, "user_id": h.user_id, "user_name": h.user_name,
                     "at": h.at} for h in tx.history(case_id)],
        **{table: tables[table] for table in sorted(tables)},
    }


def _erase(tx: StoreTransaction, table: str, where: str, params: list[Any],
           counts: dict[str, int]) -> None:
    """Delete ``table``'s rows matching ``where``, after whatever points at them: a NOT NULL
    reference is deleted with them, a nullable one is cleared."""
    for child, column, parent_column, not_null in _references(tx, table):
        if child == table:
            continue
        inner = f'"{column}" IN (SELECT "{parent_column}" FROM "{table}" WHERE {where})'
        if not_null:
            _erase(tx, child, inner, params, counts)
        else:
            tx.db.execute(f'UPDATE "{child}" SET "{column}" = NULL WHERE {inner}', params)
    cursor = tx.db.execute(f'DELETE FROM "{table}" WHERE {where}', params)
    counts[table] = counts.get(table, 0) + cursor.rowcount


def delete_case(tx: StoreTransaction, case_id: int) -> dict[str, int] | None:
    """Erase a case and every row tied to it; the number of rows removed per table, or None
    when there is no such case."""
    if tx.case(case_id) is None:
        return None
    counts = mail.forget_case(tx, case_id)
    for table in _case_tables(tx):
        _erase(tx, table, "case_id = ?", [case_id], counts)
    _erase(tx, "cases", "id = ?", [case_id], counts)
    return {table: n for table, n in sorted(counts.items()) if n}


def reseal(tx: StoreTransaction, sealer: Sealer) -> int:
    """Seal every personal value (answers and history, plain or sealed with an older key) with
    ``sealer``'s first key; returns how many values were rewritten."""
    fields = sorted(sealer.fields)
    if not fields:
        return 0
    marks = ", ".join("?" for _ in fields)
    changed = 0
    rows = tx.db.execute(
        f"SELECT case_id, field, value FROM answers WHERE field IN ({marks})", fields).fetchall()
    for case_id, field, value in rows:
        tx.db.execute("UPDATE answers SET value = ? WHERE case_id = ? AND field = ?",
                      [sealer.reseal(value), case_id, field])
        changed += 1
    rows = tx.db.execute(
        f"SELECT id, value, previous FROM history WHERE field IN ({marks})", fields).fetchall()
    for row_id, value, previous in rows:
        tx.db.execute("UPDATE history SET value = ?, previous = ? WHERE id = ?",
                      [None if value is None else sealer.reseal(value),
                       None if previous is None else sealer.reseal(previous), row_id])
        changed += (value is not None) + (previous is not None)
    # What waits to be sent or run may quote them too (sealed like them: storage/outbox.py).
    for table, column, unfinished in (("outbox", "replies", "('pending', 'sending')"),
                                      ("jobs", "payload", "('pending', 'running')")):
        for row_id, text in tx.db.execute(
                f"SELECT id, {column} FROM {table} WHERE state IN {unfinished}").fetchall():
            tx.db.execute(f"UPDATE {table} SET {column} = ? WHERE id = ?",
                          [sealer.reseal(text), row_id])
    return changed


def count_plain(tx: StoreTransaction, fields: frozenset[str]) -> int:
    """How many personal values are stored unsealed (for the rotation's report)."""
    if not fields:
        return 0
    marks = ", ".join("?" for _ in fields)
    values = [v for row in tx.db.execute(
        f"SELECT value, NULL FROM answers WHERE field IN ({marks}) UNION ALL "
        f"SELECT value, previous FROM history WHERE field IN ({marks})",
        [*fields, *fields]).fetchall() for v in row if v is not None]
    return sum(not is_sealed(v) for v in values)


def first_sealed(tx: StoreTransaction) -> str | None:
    """One sealed value, if the file holds any (which key sealed them is then checkable)."""
    row = tx.db.execute(
        "SELECT value FROM answers WHERE substr(value, 1, 7) = 'sealed:' UNION ALL "
        "SELECT value FROM history WHERE substr(value, 1, 7) = 'sealed:' LIMIT 1").fetchone()
    return None if row is None else str(row[0])


def dumps(export: dict[str, Any]) -> str:
    return json.dumps(export, ensure_ascii=False, indent=2, sort_keys=False)
