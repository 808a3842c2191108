"""``CaseStore``: the few operations the dialogue needs, over one SQLite file.

Why the shape: every turn of the conversation runs inside ``CaseStore.transaction()``, which
starts with ``BEGIN IMMEDIATE``. That takes SQLite's write lock before the case is read, so two
inputs for one case (two threads, or two processes sharing the file) are applied one after the
other, and no reply is ever built from a state another turn is about to change. Each thread gets
its own connection because a ``sqlite3`` connection must not be used from two threads at once.
The store holds no business rules: what a valid answer is, or which question comes next, is the
dialogue's business.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlite_utils import Database

from storage.migrations import NewerSchema, apply_migrations
from storage.sealing import Sealer, is_sealed, unreadable

JsonValue = Any


@dataclass(frozen=True, slots=True)
class CaseRecord:
    id: int
    conversation: str
    state: str
    lang: str
    focus_step: str | None
    current_step: str | None
    pending_confirm: str | None
    created_by: str
    created_by_name: str
    created_at: str
    updated_at: str
    completed_at: str | None
    closed_at: str | None


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    field: str
    value: JsonValue
    user_id: str
    user_name: str
    at: str


@dataclass(frozen=True, slots=True)
class HistoryRecord:
    id: int
    kind: str
    field: str | None
    value: JsonValue
    previous: JsonValue
    user_id: str
    user_name: str
    at: str


@dataclass(frozen=True, slots=True)
class FileRecord:
    id: str
    case_id: int
    name: str
    mime: str
    size: int
    data: bytes
    user_id: str
    at: str


def _dump(value: JsonValue) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _load(text: str | None) -> JsonValue:
    return None if text is None else json.loads(text)


_CASE_COLUMNS = tuple(CaseRecord.__dataclass_fields__)


class StoreTransaction:
    """The operations available inside one turn's transaction."""

    def __init__(self, db: Database, sealer: Sealer | None = None) -> None:
        self._db = db
        self._sealer = sealer

    def _sealed(self, field: str | None, text: str) -> str:
        """``text`` as written to the file: sealed when ``field`` is personal and a key is set."""
        if self._sealer is not None and self._sealer.applies(field):
            return self._sealer.seal(text)
        return text

    def _opened(self, text: str | None) -> str | None:
        if text is None or not is_sealed(text):
            return text
        if self._sealer is None:
            raise unreadable(text)
        return self._sealer.open(text)

    def seal_text(self, text: str) -> str:
        """Text that may quote personal data (a queued reply, a job's payload), sealed when a
        key is set: what waits in the outbox is held to the same rule as the answers."""
        return self._sealer.seal(text) if self._sealer is not None else text

    def open_text(self, text: str) -> str:
        opened = self._opened(text)
        assert opened is not None
        return opened

    @property
    def db(self) -> Database:
        """The connection inside this transaction, for a feature's own store module
        (``storage/<feature>.py``) to run its queries in the same turn."""
        return self._db

    # -- events ---------------------------------------------------------------------------
    def claim_event(self, event_id: str, at: str) -> bool:
        """Record ``event_id`` as processed; False when it already was (a platform retry)."""
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO events (event_id, at) VALUES (?, ?)", [event_id, at]
        )
        return cursor.rowcount == 1

    def link_event(self, event_id: str, case_id: int) -> None:
        self._db.execute("UPDATE events SET case_id = ? WHERE event_id = ?", [case_id, event_id])

    def prune_events(self, before: str, limit: int) -> int:
        """Forget at most ``limit`` processed event ids recorded before ``before``, oldest first
        (by the ``events_by_time`` index): the table would otherwise grow with every message
        for ever, while a retry only ever repeats an id for minutes. Returns how many went."""
        cursor = self._db.execute(
            "DELETE FROM events WHERE rowid IN (SELECT rowid FROM events WHERE at < ?"
            " ORDER BY at LIMIT ?)", [before, limit])
        return cursor.rowcount

    # -- cases ----------------------------------------------------------------------------
    def _case_from_row(self, row: sqlite3.Row | tuple[Any, ...] | None) -> CaseRecord | None:
        if row is None:
            return None
        return CaseRecord(*row)

    def active_case(self, conversation: str) -> CaseRecord | None:
        row = self._db.execute(
            f"SELECT {', '.join(_CASE_COLUMNS)} FROM cases "
            "WHERE conversation = ? AND state = 'active'",
            [conversation],
        ).fetchone()
        return self._case_from_row(row)

    def case(self, case_id: int) -> CaseRecord | None:
        row = self._db.execute(
            f"SELECT {', '.join(_CASE_COLUMNS)} FROM cases WHERE id = ?", [case_id]
        ).fetchone()
        return self._case_from_row(row)

    def cases(self) -> list[CaseRecord]:
        rows = self._db.execute(
            f"SELECT {', '.join(_CASE_COLUMNS)} FROM cases ORDER BY id"
        ).fetchall()
        return [CaseRecord(*row) for row in rows]

    def create_case(
        self, conversation: str, lang: str, user_id: str, user_name: str, at: str
    ) -> CaseRecord:
        cursor = self._db.execute(
            "INSERT INTO cases (conversation, state, lang, created_by, created_by_name, created_at,"
            " updated_at) VALUES (:conversation, :state, :lang, :created_by, :created_by_name,"
            " :created_at, :updated_at)",
            {
                "conversation": conversation,
                "state": "active",
                "lang": lang,
                "created_by": user_id,
                "created_by_name": user_name,
                "created_at": at,
                "updated_at": at,
            },
        )
        assert cursor.lastrowid is not None
        created = self.case(cursor.lastrowid)
        assert created is not None
        return created

    def update_case(self, case_id: int, **changes: Any) -> None:
        unknown = set(changes) - set(_CASE_COLUMNS)
        if unknown:
            raise ValueError(f"unknown case columns: {sorted(unknown)}")
        if changes:
            assignments = ", ".join(f"{column} = :{column}" for column in changes)
            self._db.execute(f"UPDATE cases SET {assignments} WHERE id = :case_id",
                             {**changes, "case_id": case_id})

    # -- answers and history --------------------------------------------------------------
    def answers(self, case_id: int) -> dict[str, AnswerRecord]:
        rows = self._db.execute(
            "SELECT field, value, user_id, user_name, at FROM answers WHERE case_id = ?",
            [case_id],
        ).fetchall()
        return {row[0]: self._answer_record(row) for row in rows}

    def answer(self, case_id: int, field: str) -> AnswerRecord | None:
        """One answer, for a caller that needs only it (the others are not read or unsealed)."""
        row = self._db.execute(
            "SELECT field, value, user_id, user_name, at FROM answers WHERE case_id = ? AND field = ?",
            [case_id, field],
        ).fetchone()
        return None if row is None else self._answer_record(row)

    def field_values(self, field: str) -> dict[int, JsonValue]:
        """One field's current value in every case that has it, by case id: the admin overview
        needs a field or two of thousands of cases, not every answer of each."""
        rows = self._db.execute(
            "SELECT case_id, value FROM answers WHERE field = ?", [field]).fetchall()
        return {int(case_id): _load(self._opened(value)) for case_id, value in rows}

    def last_activity(self) -> dict[int, str]:
        """When each case last changed, by case id: its latest history row or answer (every
        answer leaves a history row; the answers are read too so an imported row counts)."""
        rows = self._db.execute(
            "SELECT case_id, max(at) FROM (SELECT case_id, at FROM history "
            "UNION ALL SELECT case_id, at FROM answers) GROUP BY case_id").fetchall()
        return {int(case_id): str(at) for case_id, at in rows}

    def _answer_record(self, row: Sequence[Any]) -> AnswerRecord:
        field, value, user_id, user_name, at = row
        return AnswerRecord(field, _load(self._opened(value)), user_id, user_name, at)

    def put_answer(
        self,
        case_id: int,
        field: str,
        value: JsonValue,
        *,
        kind: str,
        user_id: str,
        user_name: str,
        at: str,
    ) -> None:
        """Store the current value and append it to the history with the value it replaced."""
        previous = self._db.execute(
            "SELECT value FROM answers WHERE case_id = ? AND field = ?", [case_id, field]
        ).fetchone()
        stored = self._sealed(field, _dump(value))
        self._db.execute(
            "INSERT INTO answers (case_id, field, value, user_id, user_name, at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (case_id, field) DO UPDATE SET"
            " value = excluded.value, user_id = excluded.user_id,"
            " user_name = excluded.user_name, at = excluded.at",
            [case_id, field, stored, user_id, user_name, at],
        )
        self._history(
            case_id,
            kind,
            field,
            stored,
            previous[0] if previous else None,
            user_id,
            user_name,
            at,
        )

    def delete_answer(
        self, case_id: int, field: str, *, kind: str, user_id: str, user_name: str, at: str
    ) -> None:
        previous = self._db.execute(
            "SELECT value FROM answers WHERE case_id = ? AND field = ?", [case_id, field]
        ).fetchone()
        if previous is None:
            return
        self._db.execute("DELETE FROM answers WHERE case_id = ? AND field = ?", [case_id, field])
        self._history(case_id, kind, field, None, previous[0], user_id, user_name, at)

    def note(
        self, case_id: int, kind: str, value: JsonValue, *, user_id: str, user_name: str, at: str
    ) -> None:
        """Append a history row that is not an answer (cancel, language change, ...)."""
        self._history(case_id, kind, None, _dump(value), None, user_id, user_name, at)

    def _history(
        self,
        case_id: int,
        kind: str,
        field: str | None,
        value: str | None,
        previous: str | None,
        user_id: str,
        user_name: str,
        at: str,
    ) -> None:
        self._db.execute(
            "INSERT INTO history (case_id, kind, field, value, previous, user_id, user_name, at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [case_id, kind, field, value, previous, user_id, user_name, at],
        )

    def history(self, case_id: int) -> list[HistoryRecord]:
        rows = self._db.execute(
            "SELECT id, kind, field, value, previous, user_id, user_name, at "
            "FROM history WHERE case_id = ? ORDER BY id",
            [case_id],
        ).fetchall()
        return [
            HistoryRecord(id_, kind, field, _load(self._opened(value)),
                          _load(self._opened(previous)), uid, uname, at)
            for id_, kind, field, value, previous, uid, uname, at in rows
        ]

    # -- files ----------------------------------------------------------------------------
    def put_file(
        self, case_id: int, name: str, mime: str, data: bytes, *, user_id: str, at: str
    ) -> FileRecord:
        file_id = hashlib.sha256(data).hexdigest()
        self._db.execute(
            "INSERT INTO files (id, case_id, name, mime, size, data, user_id, at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (case_id, id) DO UPDATE SET"
            " name = excluded.name, mime = excluded.mime, size = excluded.size,"
            " data = excluded.data, user_id = excluded.user_id, at = excluded.at",
            [file_id, case_id, name, mime, len(data), data, user_id, at],
        )
        return FileRecord(file_id, case_id, name, mime, len(data), data, user_id, at)

    def file(self, case_id: int, file_id: str) -> FileRecord | None:
        row = self._db.execute(
            "SELECT id, case_id, name, mime, size, data, user_id, at FROM files "
            "WHERE case_id = ? AND id = ?",
            [case_id, file_id],
        ).fetchone()
        return None if row is None else FileRecord(*row)


Synchronous = Literal["full", "normal"]


def _create_owner_only(path: Path) -> None:
    """Create a new database file readable by its owner only, whatever the umask: it holds
    resident ID and phone numbers (and SQLite gives its ``-wal`` and ``-shm`` files the
    database file's permissions). An existing file keeps the permissions its operator chose."""
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


StoreProblem = Literal["cannot_open", "not_a_database", "damaged", "newer", "other"]


class StoreUnusable(RuntimeError):
    """The SQLite file cannot be used at all: a directory, a text file, a truncated copy, one a
    newer esignbot migrated. Raised at open, before anything is written; the command line says
    it in one sentence from ``reason`` (storage holds no sentences), never as a traceback."""

    def __init__(self, path: Path, reason: StoreProblem, detail: str) -> None:
        super().__init__(f"{path}: {reason} ({detail})")
        self.path, self.reason, self.detail = path, reason, detail

    @classmethod
    def because(cls, path: Path, problem: BaseException) -> StoreUnusable:
        if isinstance(problem, NewerSchema):
            return cls(path, "newer", ", ".join(problem.names))
        if isinstance(problem, OSError):
            return cls(path, "cannot_open", problem.strerror or str(problem))
        reasons: dict[str, StoreProblem] = {"SQLITE_CANTOPEN": "cannot_open",
                                            "SQLITE_NOTADB": "not_a_database",
                                            "SQLITE_CORRUPT": "damaged"}
        return cls(path, reasons.get(getattr(problem, "sqlite_errorname", ""), "other"),
                   str(problem))


class CaseStore:
    """One SQLite file, opened per thread, migrated at start, in WAL mode."""

    def __init__(
        self,
        path: str | Path,
        *,
        busy_timeout_s: float = 30.0,
        sealer: Sealer | None = None,
        synchronous: Synchronous = "full",
    ) -> None:
        self.path = Path(path)
        self.synchronous: Synchronous = synchronous
        """``full``: every commit is on the disk (fsync) before it returns, so an acknowledged
        answer survives a power cut. ``normal``: on the OS's page cache, which survives the
        process being killed (SIGKILL) but not a power cut; much faster on a slow disk."""
        self.sealer = sealer
        """Seals the personal fields it names (storage/sealing.py); None: stored as given."""
        self._busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._writer = threading.RLock()
        try:
            if self.path.parent and not self.path.parent.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
            _create_owner_only(self.path)
            apply_migrations(self._database().conn)
        except (OSError, sqlite3.Error, NewerSchema) as problem:
            self.close()
            raise StoreUnusable.because(self.path, problem) from None

    def _database(self) -> Database:
        db: Database | None = getattr(self._local, "db", None)
        if db is None:
            # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves; sqlite-utils
            # then nests its own writes as savepoints inside our transaction.
            conn = sqlite3.connect(
                self.path,
                timeout=self._busy_timeout_s,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_s * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(f"PRAGMA synchronous = {self.synchronous.upper()}")
            conn.execute("PRAGMA foreign_keys = ON")
            db = Database(conn, execute_plugins=False)
            self._local.db = db
            with self._lock:
                self._connections.append(conn)
        return db

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[StoreTransaction]:
        """One turn: take the write lock, read, write, commit; roll back on any error.

        Threads of this process queue on a Python lock before asking SQLite: SQLite's own busy
        handler makes a waiting writer sleep in steps of up to 100 ms, which under a burst of
        concurrent turns turned a 2 ms turn into a 1.5 s p99 acknowledgement (measured with
        ``bench``). Other processes sharing the file still meet at SQLite's lock.

        ``durable=False``: bookkeeping whose loss in a power cut only repeats work that is safe
        to repeat (the delivery runtime's claims and "sent" marks: at worst a message is sent
        again). Committed without its own fsync (``synchronous=NORMAL`` for this one commit):
        it survives the process being killed, and reaches the disk with the next durable commit
        of a turn. What a platform was told had arrived is always committed durably.
        """
        db = self._database()
        relaxed = not durable and self.synchronous == "full"
        if relaxed:
            db.conn.execute("PRAGMA synchronous = NORMAL")
        try:
            with self._transaction(db) as tx:
                yield tx
        finally:
            if relaxed:
                db.conn.execute("PRAGMA synchronous = FULL")

    @contextmanager
    def _transaction(self, db: Database) -> Iterator[StoreTransaction]:
        with self._writer:
            db.conn.execute("BEGIN IMMEDIATE")
            try:
                yield StoreTransaction(db, self.sealer)
            except BaseException:
                db.conn.execute("ROLLBACK")
                raise
            try:
                db.conn.execute("COMMIT")
            except BaseException:
                # A commit that failed (disk I/O error, read-only file) may leave the transaction
                # open, and every later BEGIN on this thread's connection would then fail.
                if db.conn.in_transaction:
                    db.conn.execute("ROLLBACK")
                raise

    @contextmanager
    def reading(self) -> Iterator[StoreTransaction]:
        """Reads outside any transaction: each statement is its own consistent read. For
        look-ups of one statement on a hot path (where an outbox row goes), which need no
        BEGIN and ROLLBACK around them; a read of several statements that must agree uses
        :meth:`snapshot`."""
        yield StoreTransaction(self._database(), self.sealer)

    @contextmanager
    def snapshot(self) -> Iterator[StoreTransaction]:
        """A consistent read without the write lock: in WAL mode readers never wait for a
        writer, so adapters that only look a case up (which thread is it in?) do not queue
        behind the turns being written. Anything written here is rolled back."""
        db = self._database()
        db.conn.execute("BEGIN DEFERRED")
        try:
            yield StoreTransaction(db, self.sealer)
        finally:
            db.conn.execute("ROLLBACK")

    def journal_mode(self) -> str:
        return str(self._database().conn.execute("PRAGMA journal_mode").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()
