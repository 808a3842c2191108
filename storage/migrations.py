"""Schema migrations: the ``.sql`` files in ``storage/schema/``, applied in name order at start.

Why files named ``NNNN_what.sql`` and a table of applied names (rather than one version
number): features are built in parallel, each adding its own file, and a database records exactly
which of them it has. A file is applied inside the same transaction as its bookkeeping row, so a
half-applied migration cannot exist; ``BEGIN IMMEDIATE`` keeps two processes starting at once
from applying the same file twice.
"""

from __future__ import annotations

import sqlite3
from importlib import resources


class NewerSchema(RuntimeError):
    """The file records migrations this esignbot does not have: a newer one wrote it, and
    writing with older code could break what the newer code relies on."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(f"this database was migrated by a newer esignbot ({', '.join(names)})")
        self.names = names


def pending_migrations(conn: sqlite3.Connection) -> tuple[list[str], list[str]]:
    """(names this file lacks, names it has that this esignbot does not know), read only:
    what ``esignbot doctor`` says about a database without changing it."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    done = ({row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
            if "schema_migrations" in tables else set())
    known = [name for name, _ in available_migrations()]
    return [name for name in known if name not in done], sorted(done - set(known))


def available_migrations() -> list[tuple[str, str]]:
    """(name, sql) for every migration this esignbot knows, in the order to apply them."""
    folder = resources.files("storage") / "schema"
    files = sorted((p for p in folder.iterdir() if p.name.endswith(".sql")), key=lambda p: p.name)
    return [(p.name.removesuffix(".sql"), p.read_text(encoding="utf-8")) for p in files]


def _statements(sql: str) -> list[str]:
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def apply_migrations(conn: sqlite3.Connection) -> list[str]:
    """Apply what the file lacks; returns the names applied now."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT "
            "NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))"
        )
        done = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
        known = available_migrations()
        unknown = done - {name for name, _ in known}
        if unknown:
            raise NewerSchema(sorted(unknown))
        applied = []
        for name, sql in known:
            if name in done:
                continue
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations (name) VALUES (?)", [name])
            applied.append(name)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return applied
