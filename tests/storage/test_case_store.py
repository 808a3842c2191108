"""The store on real files: migrations, WAL, one transaction per turn, two processes at once."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from storage import CaseStore
from storage.migrations import available_migrations
from tests.conftest import run_console

AT = "2026-03-02T01:00:00+00:00"


def test_migrations_run_once_and_are_recorded(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    CaseStore(path).close()
    store = CaseStore(path)  # a second start applies nothing again
    assert store.journal_mode() == "wal"
    store.close()
    with sqlite3.connect(path) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM schema_migrations ORDER BY name")]
        assert names == [name for name, _ in available_migrations()]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"cases", "answers", "history", "events", "files"} <= tables


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    CaseStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_migrations (name) VALUES ('9999_from_the_future')")
    with pytest.raises(RuntimeError, match="newer"):
        CaseStore(path)


def test_a_failed_turn_leaves_nothing(tmp_path: Path) -> None:
    store = CaseStore(tmp_path / "b.db")
    with pytest.raises(ZeroDivisionError), store.transaction() as tx:
        case = tx.create_case("c", "zh", "u", "U", AT)
        tx.put_answer(case.id, "uin", "1000", kind="answer", user_id="u", user_name="U", at=AT)
        raise ZeroDivisionError
    with store.transaction() as tx:
        assert tx.active_case("c") is None and tx.cases() == []
    store.close()


def test_one_active_case_per_conversation(tmp_path: Path) -> None:
    store = CaseStore(tmp_path / "c.db")
    with store.transaction() as tx:
        tx.create_case("c", "zh", "u", "U", AT)
    with pytest.raises(sqlite3.IntegrityError), store.transaction() as tx:
        tx.create_case("c", "zh", "u", "U", AT)
    store.close()


def test_answers_keep_history_with_previous_values(tmp_path: Path) -> None:
    store = CaseStore(tmp_path / "d.db")
    with store.transaction() as tx:
        case = tx.create_case("c", "zh", "u", "U", AT)
        for value in ["A公司", "B公司"]:
            tx.put_answer(case.id, "enterprise_name", value, kind="answer", user_id="u",
                          user_name="U", at=AT)
        tx.delete_answer(case.id, "enterprise_name", kind="invalidated", user_id="u", user_name="U", at=AT)
        history = tx.history(case.id)
        assert [(h.kind, h.value, h.previous) for h in history] == [
            ("answer", "A公司", None), ("answer", "B公司", "A公司"), ("invalidated", None, "B公司")]
        assert tx.answers(case.id) == {}
    store.close()


def test_two_console_processes_on_one_case_lose_no_answer(tmp_path: Path) -> None:
    """Two terminals share a database and a conversation; every edit of both is kept once."""
    db = tmp_path / "shared.db"
    run_console(tmp_path, ["2", "1", "100016315204", "测试科技有限公司"], db=db)
    script = tmp_path / "edits.txt"
    procs = []
    for who in ["ann", "ben"]:
        lines = "".join(f"edit app_name {who}-{n}\n" for n in range(40))
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "console", "--db", str(db), "--user", who],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            cwd=tmp_path))
        script.write_text(lines)
        assert procs[-1].stdin is not None
        procs[-1].stdin.write(lines)
        procs[-1].stdin.close()
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    with sqlite3.connect(db) as conn:
        values = [r[0] for r in conn.execute(
            "SELECT value FROM history WHERE field = 'app_name' ORDER BY id")]
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert sorted(values) == sorted(f'"{w}-{n}"' for w in ["ann", "ben"] for n in range(40))
