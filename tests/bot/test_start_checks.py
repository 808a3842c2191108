"""What an operator meets when a setting or the database file is wrong: one sentence naming the
setting or the file and exit 2 from every command, never a traceback; and ``esignbot doctor``
running every check ``serve`` makes at start, without starting it and without writing a byte.

All through the front door: ``esignbot`` as a real process, with the settings in its
environment and real files (a text file, a folder, a copy cut short, a database a newer version
migrated) where the database should be.
"""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from storage import CaseStore
from tests.bot.wecom.test_callback import AES_KEY, AGENT, CORP, SECRET, TOKEN
from tests.fakes.local_server import clean_env, free_port


def esignbot(cwd: Path, *args: str, env: dict[str, str] | None = None,
             stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=cwd,
                          env=env if env is not None else clean_env(), input=stdin,
                          capture_output=True, text=True, encoding="utf-8", timeout=120)


def one_sentence(proc: subprocess.CompletedProcess[str], *names: str) -> str:
    """Exit 2, no traceback anywhere, stderr a single line naming each of ``names``."""
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    for name in names:
        assert name in lines[0], lines[0]
    return lines[0]


WECOM = dict(WECOM_CORP_ID=CORP, WECOM_AGENT_ID=str(AGENT), WECOM_SECRET=SECRET,
             WECOM_TOKEN=TOKEN, WECOM_AES_KEY=AES_KEY, WECOM_API_URL="http://127.0.0.1:9/")
"""A complete WeCom app: ``serve`` would start with it (the API is never called here)."""


@pytest.mark.parametrize(("setting", "value"), [
    ("ESIGNBOT_SMTP_PORT", "abc"),
    ("ESIGNBOT_SCHEDULER_SECONDS", "0"),
    ("ESIGNBOT_SCHEDULER_SECONDS", "nan"),
    ("ESIGNBOT_HTTP_MAX_CONNECTIONS", "0"),
    ("ESIGNBOT_HTTP_REQUEST_TIMEOUT", "inf"),
    ("ESIGNBOT_IMAP_LOOKBACK_DAYS", "-1"),
    ("ESIGNBOT_DB_SYNC", "sometimes"),
    ("ESIGNBOT_TENCENTCLOUD_TIMEOUT", "ten"),
    ("SLACK_API_URL", "http://"),
    ("WECOM_API_URL", "https://"),
])
def test_serve_refuses_a_setting_it_cannot_read_in_one_sentence(
        tmp_path: Path, setting: str, value: str) -> None:
    proc = esignbot(tmp_path, "serve", "--db", str(tmp_path / "e.db"), "--port", str(free_port()),
                    env=clean_env(**(WECOM | {setting: value})))
    line = one_sentence(proc, setting, repr(value))
    assert "must be" in line
    assert not (tmp_path / "e.db").exists()  # stopped before the file


@pytest.mark.parametrize("command", [["doctor"], ["cases"], ["console"], ["mail-check"],
                                     ["export-case", "--case", "1"], ["backup", "--to", "b.db"]])
def test_every_command_says_a_setting_it_cannot_read_in_one_sentence(
        tmp_path: Path, command: list[str]) -> None:
    proc = esignbot(tmp_path, *command, env=clean_env(ESIGNBOT_SMTP_PORT="abc"))
    assert one_sentence(proc, "ESIGNBOT_SMTP_PORT") == (
        "ESIGNBOT_SMTP_PORT must be a whole number from 1 to 65535, not 'abc'.")


def test_a_secret_setting_is_named_but_never_repeated(tmp_path: Path) -> None:
    proc = esignbot(tmp_path, "doctor", env=clean_env(ESIGNBOT_SMTP_PORT="x",
                                                      ESIGNBOT_IMAP_PORT="70000"))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == [
        "ESIGNBOT_SMTP_PORT must be a whole number from 1 to 65535, not 'x'.",
        "ESIGNBOT_IMAP_PORT must be a whole number from 1 to 65535, not '70000'."]


def test_a_port_out_of_range_is_one_line_of_usage(tmp_path: Path) -> None:
    proc = esignbot(tmp_path, "serve", "--db", str(tmp_path / "e.db"), "--port", "99999",
                    env=clean_env(**WECOM))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "argument --port: must be a whole number from 1 to 65535, not '99999'" in proc.stderr


# -- database files that cannot be used -------------------------------------------------------
def _current(tmp_path: Path) -> Path:
    path = tmp_path / "made.db"
    CaseStore(path).close()
    return path


def text_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.db"
    path.write_text("not a database\n" * 100, encoding="utf-8")
    return path


def folder(tmp_path: Path) -> Path:
    path = tmp_path / "folder.db"
    path.mkdir()
    return path


def cut_short(tmp_path: Path) -> Path:
    data = _current(tmp_path).read_bytes()
    path = tmp_path / "cut.db"
    path.write_bytes(data[: len(data) // 2])
    return path


def newer(tmp_path: Path) -> Path:
    path = _current(tmp_path)
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_migrations (name) VALUES ('9999_from_the_future')")
    conn.close()
    return path


@pytest.mark.parametrize(("make", "says"), [
    (text_file, "is not an SQLite database"),
    (folder, "cannot be opened as the database|There is no SQLite database at"),
    (cut_short, "is damaged"),
    (newer, "was migrated by a newer esignbot (9999_from_the_future)"),
])
@pytest.mark.parametrize("command", ["serve", "console", "cases", "doctor"])
def test_a_database_that_cannot_be_used_is_one_sentence_and_left_as_it_was(
        tmp_path: Path, make: object, says: str, command: str) -> None:
    assert callable(make)
    if (command, make) == ("cases", folder):
        pytest.skip("cases has said this one sentence since it was written")
    db: Path = make(tmp_path)
    before = db.read_bytes() if db.is_file() else None
    args = [command, "--db", str(db)] + (["--port", str(free_port())] if command == "serve" else [])
    proc = esignbot(tmp_path, *args, env=clean_env(**WECOM, ESIGNBOT_LANG="en"))
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    assert proc.returncode == 2, proc.stdout + proc.stderr
    problems = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(problems) == 1 and str(db) in problems[0], proc.stderr
    assert re.search(says.replace("(", r"\(").replace(")", r"\)"), problems[0]), problems[0]
    assert "nothing was changed" in problems[0].lower()
    assert (db.read_bytes() if db.is_file() else None) == before


def test_the_sentence_is_in_the_operators_language(tmp_path: Path) -> None:
    proc = esignbot(tmp_path, "cases", "--db", str(newer(tmp_path)), env=clean_env())
    assert "已被更新版本的 esignbot 升级过" in one_sentence(proc, "9999_from_the_future")


# -- esignbot doctor --------------------------------------------------------------------------
def covered_calendar(tmp_path: Path) -> dict[str, str]:
    """An operator's holidays file for this year and the next: the calendar is no warning, so
    the doctor's exit status speaks of the settings alone, whatever the date."""
    this_year = datetime.now().year
    path = tmp_path / "holidays.toml"
    path.write_text("".join(f'[{y}]\noff = ["{y}-01-01"]\n' for y in (this_year, this_year + 1)),
                    encoding="utf-8")
    return {"ESIGNBOT_HOLIDAYS": str(path)}


def test_doctor_names_every_setting_serve_would_refuse(tmp_path: Path) -> None:
    env = clean_env(**covered_calendar(tmp_path), ESIGNBOT_LANG="en", WECOM_CORP_ID=CORP,
                    SLACK_BOT_TOKEN="xoxb-1-2-abc", ESIGNBOT_LOG_LEVEL="LOUD",
                    ESIGNBOT_DATA_KEY="not-a-fernet-key", ESIGNBOT_IMAP_HOST="imap.example.com")
    proc = esignbot(tmp_path, "doctor", "--db", str(tmp_path / "e.db"), env=env)
    assert proc.returncode == 2 and "Traceback" not in proc.stdout + proc.stderr, proc.stderr
    problems = proc.stderr.strip().splitlines()
    for names in (["ESIGNBOT_LOG_LEVEL", "LOUD"], ["ESIGNBOT_DATA_KEY"],
                  ["WECOM_AGENT_ID", "WECOM_SECRET", "WECOM_TOKEN", "WECOM_AES_KEY"],
                  ["SLACK_SIGNING_SECRET"], ["ESIGNBOT_IMAP_USER", "ESIGNBOT_IMAP_PASSWORD"]):
        assert sum(all(name in line for name in names) for line in problems) == 1, (names, problems)
    assert len(problems) == 5, problems
    assert "not-a-fernet-key" not in proc.stdout + proc.stderr
    assert "Working-day calendar" in proc.stdout  # the calendar is still reported
    assert not (tmp_path / "e.db").exists()  # the doctor writes nothing


def test_doctor_passes_what_serve_accepts_and_leaves_the_database_alone(tmp_path: Path) -> None:
    db = _current(tmp_path)
    before = db.read_bytes()
    env = clean_env(**covered_calendar(tmp_path), **WECOM, ESIGNBOT_LANG="en")
    proc = esignbot(tmp_path, "doctor", "--db", str(db), env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr == ""
    assert "✅ WeCom: configured" in proc.stdout
    assert f"✅ the database {db}: readable, its schema up to date" in proc.stdout
    assert db.read_bytes() == before
