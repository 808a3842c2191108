"""The operator's holidays file (``ESIGNBOT_HOLIDAYS``) and ``esignbot doctor``: a schedule
written down for 2027 makes due dates across the year boundary exact; a mistake in the file
stops every front door with one sentence and writes nothing; ``doctor`` says which years are
covered and by what, and exits 1 when a year a due date may fall in is only estimated."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot import doctor
from bot.settings import Settings
from bot.wiring import use_holidays
from handlers.reviews import workdays
from tests.conftest import Chat
from tests.fakes.local_server import clean_env

TO_TRANSFER = ["start", "2", "2", "2"]  # production, not verified, transfer submitted

SCHEDULE_2027 = """\
# 2027, as an operator would copy it from the State Council's notice (dates made up for the test)
[2027]
off = ["2027-01-01", "2027-01-04", "2027-02-05..2027-02-11"]
work = ["2027-01-09", 2027-02-20]  # a quoted and a bare TOML date
"""


@pytest.fixture(autouse=True)
def no_operator_days() -> Iterator[None]:
    """The calendar's operator days are process-wide: every test starts and ends without."""
    workdays.use_operator_days(None)
    yield
    workdays.use_operator_days(None)


def run_esignbot(tmp_path: Path, *args: str, holidays: Path | None, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = clean_env(**({"ESIGNBOT_HOLIDAYS": str(holidays)} if holidays else {}))
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True,
                          text=True, encoding="utf-8", timeout=60, cwd=tmp_path, env=env)


def test_with_the_operators_schedule_a_wait_across_new_year_is_exact(tmp_path: Path) -> None:
    path = tmp_path / "holidays.toml"
    path.write_text(SCHEDULE_2027, encoding="utf-8")
    use_holidays(Settings(esignbot_holidays=path))
    assert workdays.source(2027) == "operator" and workdays.covered(date(2027, 6, 1))
    chat = Chat(tmp_path / "esignbot.db")
    chat.clock.now = datetime(2026, 12, 29, 2, 0, tzinfo=UTC)  # Tuesday, 10:00 in Shanghai
    text = "\n".join(chat.say(line) for line in [*TO_TRANSFER, "2"])
    with chat.store.snapshot() as tx:
        case = tx.active_case(chat.conversation)
        assert case is not None
        due = [row[0] for row in tx.db.execute("SELECT due_on FROM waits WHERE case_id = ?", [case.id])]
    # Wed 30, Thu 31; 1 January off, weekend, 4 January off (the operator says so); Tue 5.
    assert due == ["2027-01-05"]
    assert "估算" not in text and "估算" not in chat.say("status")
    assert workdays.is_makeup_workday(date(2027, 1, 9)) and workdays.is_makeup_workday(date(2027, 2, 20))
    assert not workdays.is_workday(date(2027, 2, 8)) and workdays.is_workday(date(2027, 2, 12))
    chat.store.close()


@pytest.mark.parametrize(("content", "says"), [
    ("[2027\noff = []", "is not valid TOML"),
    ('[2027]\nwork = ["2027-02-17"]', "2027-02-17, a weekday"),
    ('[2027]\noff = ["2026-12-31"]', "outside 2027"),
    ('[2027]\noff = ["2027-02-20"]\nwork = ["2027-02-20"]', "under both off and work"),
    ('[2027]\nholidays = ["2027-01-01"]', "only off and work are known"),
    ('[next]\noff = ["2027-01-01"]', "[next] is not a year"),
    ('[2027]\noff = ["2027-02-30"]', "is not a date"),
    ('[2027]\noff = ["2027-10-07..2027-10-01"]', "must run forwards"),
    ('[2027]\noff = "2027-01-01"', "must be a list of dates"),
    ("", "lists no year"),
    (None, "cannot be read"),
])
def test_a_mistake_in_the_file_stops_the_console_with_one_sentence(
        tmp_path: Path, content: str | None, says: str) -> None:
    path = tmp_path / "holidays.toml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = run_esignbot(tmp_path, "console", "--db", str(tmp_path / "esignbot.db"), holidays=path,
                          stdin="start\n")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.startswith("ESIGNBOT_HOLIDAYS (") and says in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "esignbot.db").exists()  # nothing was written


def test_doctor_names_the_operators_years_and_exits_0_when_covered(tmp_path: Path) -> None:
    this_year = datetime.now(workdays.SHANGHAI).year
    path = tmp_path / "holidays.toml"
    path.write_text("".join(f"[{year}]\noff = [\"{year}-01-01\"]\n" for year in (this_year, this_year + 1)),
                    encoding="utf-8")
    result = run_esignbot(tmp_path, "doctor", "--lang", "en", holidays=path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{this_year}, {this_year + 1}: the operator's schedule (ESIGNBOT_HOLIDAYS = {path})" in result.stdout
    assert "the State Council's schedule (chinese-calendar 1.1" in result.stdout
    assert f"✅ {this_year} is covered: the operator's schedule" in result.stdout
    bad = run_esignbot(tmp_path, "doctor", holidays=tmp_path / "missing.toml")
    assert bad.returncode == 2 and "cannot be read" in bad.stderr and "Traceback" not in bad.stderr


def test_doctor_in_december_warns_that_next_year_is_only_estimated(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("ESIGNBOT_HOLIDAYS", raising=False)
    args = argparse.Namespace(lang="en")
    assert doctor.run(args, today=lambda: date(2026, 12, 1)) == 1
    out = capsys.readouterr().out
    assert "⚠️ 2027 has no official schedule, only estimates" in out
    assert "no operator's holidays file" in out and "✅ 2026 is covered" in out
    assert doctor.run(args, today=lambda: date(2026, 6, 1)) == 0  # 2027 is not needed yet
    assert "2027" not in capsys.readouterr().out
    assert doctor.run(argparse.Namespace(lang="zh"), today=lambda: date(2026, 12, 1)) == 1
    assert "⚠️ 2027 年没有正式安排" in capsys.readouterr().out
