"""The admin overview through the front doors: ``status all`` typed by an admin in ``esignbot
console``, and ``esignbot cases`` (text and ``--csv``) as real processes on one real SQLite
file with two cases, one whose enterprise name would be a spreadsheet formula and one with no
name yet."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import run_console

FORMULA_NAME = '=HYPERLINK("http://example.com","点我")'
ADMIN = {"ESIGNBOT_ADMINS": "console:alice"}


def cases(tmp_path: Path, *args: str, db: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ESIGNBOT_")}
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "cases", "--db", str(db or tmp_path / "esignbot.db"), *args],
        capture_output=True, timeout=120, cwd=tmp_path, env={**clean, "PYTHONIOENCODING": "utf-8"})
    assert b"Traceback" not in proc.stdout + proc.stderr, proc.stderr
    return proc


@pytest.fixture
def two_cases(tmp_path: Path) -> Path:
    """Case #1 (named with a formula) started first but answered last; case #2 never named.
    A second apart, so the order by last activity (kept to the second) is not a tie."""
    run_console(tmp_path, ["start", "2", "1", "100016315204", FORMULA_NAME],
                "--conversation", "one")  # production, verified, UIN, name
    time.sleep(1.1)
    run_console(tmp_path, ["start"], "--conversation", "two", user="bob")
    time.sleep(1.1)
    run_console(tmp_path, ["edit uin 100016315205"], "--conversation", "one")
    return tmp_path / "esignbot.db"


def test_status_all_names_each_case_by_its_enterprise_quietest_first(two_cases: Path) -> None:
    tmp_path = two_cases.parent
    out = run_console(tmp_path, ["status all"], "--conversation", "admin", "--lang", "en", env=ADMIN)
    assert "All 3 cases" in out  # the console opened a case in the admin's own conversation
    unnamed = out.index("#2 · (no name yet) · (no environment yet) · stage 1")
    named = out.index(f"#1 · {FORMULA_NAME} · production · stage 2")
    assert unnamed < named < out.index("#3 ·")  # #2 quiet longest, though #1 was started first
    assert "last activity" in out and "console:one" not in out and "console:two" not in out
    zh = run_console(tmp_path, ["状态 全部"], "--conversation", "admin-zh", env=ADMIN)
    assert "#2 · （尚无企业名称） · （未选环境）" in zh and f"#1 · {FORMULA_NAME} · 正式环境" in zh


def test_esignbot_cases_prints_the_same_rows_from_a_shell(two_cases: Path) -> None:
    proc = cases(two_cases.parent, "--lang", "en", db=two_cases)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode("utf-8")
    assert out.index("#2 · (no name yet)") < out.index(f"#1 · {FORMULA_NAME} · production")
    assert "no pending waits" in out


def test_esignbot_cases_csv_is_excel_ready_and_formula_safe(two_cases: Path) -> None:
    proc = cases(two_cases.parent, "--csv", db=two_cases)
    assert proc.returncode == 0, proc.stderr
    raw = proc.stdout
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    assert b"\r\n" in raw  # RFC 4180 line ends
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["案例", "企业名称", "环境", "阶段", "进行中的等待", "最近活动"]
    assert [r[0] for r in rows[1:]] == ["2", "1"]
    unnamed, named = rows[1], rows[2]
    assert named[1] == "'" + FORMULA_NAME  # a leading apostrophe: shown as text, never run
    assert named[2] == "正式环境" and named[3] == "第 2 步（进行中）"
    assert unnamed[1] == "（尚无企业名称）" and unnamed[2] == "（未选环境）"
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert len(named[5]) == len("2026-12-01 10:00")  # local time, minutes: a date to Excel
    english = list(csv.reader(io.StringIO(
        cases(two_cases.parent, "--csv", "--lang", "en", db=two_cases).stdout.decode("utf-8-sig"))))
    assert english[0][1] == "enterprise name" and english[1][1] == "(no name yet)"


def test_esignbot_cases_on_a_missing_file_says_so_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    proc = cases(tmp_path, "--lang", "en", db=missing)
    assert proc.returncode == 2
    err = proc.stderr.decode("utf-8").strip()
    assert err == f"There is no SQLite database at {missing}; nothing was changed. Check --db or ESIGNBOT_DB."
    assert not missing.exists()
