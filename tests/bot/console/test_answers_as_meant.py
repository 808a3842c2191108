"""Issue 26, the dialogue side, through ``esignbot console`` (a real process, piped stdin, the
real SQLite file opened afterwards): answers that start like a command, a confirmation that
lapses instead of swallowing the next input, answers that follow the organisation type and the
route, the language kept per conversation, and the test environment's guide route."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import png_bytes, run_console
from tests.fakes.local_server import free_port

UIN = "100016315204"
APP_ID = "yDCWpUUckpvv76rqUxjIE8qvXHjCqG4t"
TEST_ON_CONSOLE = ["lang en", "1", "console", "2", "Acme Test Ltd"]
"""A test case on the console route, up to the app-name question."""


def _answers(db: Path, case_id: int | None = None) -> dict[str, object]:
    with sqlite3.connect(db) as conn:
        if case_id is None:
            case_id = conn.execute("SELECT max(id) FROM cases").fetchone()[0]
        rows = conn.execute("SELECT field, value FROM answers WHERE case_id = ?", [case_id])
        return {field: json.loads(value) for field, value in rows.fetchall()}


def _cases(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id, state, pending_confirm FROM cases ORDER BY id").fetchall()


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "licence.png"
    path.write_bytes(png_bytes())
    return path


def test_names_that_start_with_a_command_word_are_answers(tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    out = run_console(tmp_path, [*TEST_ON_CONSOLE, "Email Helper", "edit app_name",
                                 "Check Point 助手", "Status Report", "status all"])
    assert _answers(db)["app_name"] == "Check Point 助手"
    assert "Saved app name: Email Helper" in out and "Saved app name: Check Point 助手" in out
    assert "Saved app type" not in out  # "Status Report" is no app type: refused, not a command
    assert "Reply with an option's number or name" in out
    assert "status all" in out and "ESIGNBOT_ADMINS" in out  # arguments that parse: the command


def test_input_that_does_not_answer_a_pending_confirmation_cancels_it_and_goes_on(
        tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    out = run_console(tmp_path, [*TEST_ON_CONSOLE[:4], "cancel", "help", "cancel", "Acme Test Ltd",
                                 "cancel", "no"])
    assert out.count("OK, not cancelled; let's go on.") == 3
    after_help = out.split("> help", 1)[1]
    assert "Commands (English or Chinese):" in after_help.split("> cancel", 1)[0]
    assert _answers(db)["enterprise_name"] == "Acme Test Ltd"
    assert _cases(db) == [(1, "active", None)]


def _console(tmp_path: Path, lines: list[str], env: dict[str, str]) -> tuple[str, str]:
    """``esignbot console`` as ``run_console`` runs it, returning (what the person read, the
    log, on stderr or in the log file beside the database): here a failure is expected, and
    its traceback belongs in the log only."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ESIGNBOT_", "TENCENTCLOUD_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--db", str(tmp_path / "esignbot.db"),
         "--out", str(tmp_path / "out"), "--user", "alice"],
        input="".join(line + "\n" for line in lines), capture_output=True, text=True,
        encoding="utf-8", timeout=120, cwd=tmp_path, env={**base, **env, "PYTHONIOENCODING": "utf-8"})
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stdout, proc.stdout
    logs = [proc.stderr, *(p.read_text(encoding="utf-8") for p in tmp_path.glob("*.log"))]
    return proc.stdout, "\n".join(logs)


def test_an_email_preview_that_fails_to_build_leaves_no_question_behind(tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    env = {"ESIGNBOT_SMTP_HOST": "127.0.0.1", "ESIGNBOT_SMTP_PORT": str(free_port()),
           "ESIGNBOT_SMTP_FROM": "bot@example.com", "ESIGNBOT_SMTP_SECURITY": "none"}
    run_console(tmp_path, ["lang en", "2", "1", UIN, "Acme Ltd", "1", "2", "3", "2",
                           "Contract helper", "pc web", "Signs contracts", "skip"], env=env)
    # An answer an older release kept in another shape: the email's files cannot be written,
    # so its preview (the "send it?" question) cannot be built.
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE answers SET value = '5' WHERE field = 'whitelist_interfaces'")
    out, log = _console(tmp_path, ["email", "1"], env)
    # The next answer is the flow's, not taken as "send" by a question nobody saw.
    assert _answers(db).get("app_status") == "not_sent"
    assert _cases(db) == [(1, "active", None)]
    assert "Send it?" not in out and re.search(r"job \d+ \(\S+\) failed", log)
    assert "Something went wrong" in out  # the apology in the case's language


def test_changing_the_organisation_type_asks_again_what_belonged_to_the_old_one(
        tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    out = run_console(tmp_path, ["lang en", "2", "1", UIN, "Acme Ltd", "2", "2", "110108000000016",
                                 "王五", "11010519491231002X", "13812345678", "edit org_type 3"])
    answers = _answers(db)
    for gone in ("contact_phone", "operator_name", "operator_id_number", "business_reg_no"):
        assert gone not in answers, gone
    assert "'contact phone' no longer fits the new answer" in out
    after = out.rsplit("> edit org_type 3", 1)[1]
    assert "Which certificate does the organisation hold?" in after  # the government's, asked next


def test_start_prod_carries_what_applied_and_a_finished_production_case_says_what_exists(
        tmp_path: Path, image: Path) -> None:
    db = tmp_path / "esignbot.db"
    individual = ["2", "1", UIN, "某某科技有限公司", "2", "2", "110108000000016", "王五",
                  "11010519491231002X", "13812345678", "shop@example.com", str(image)]
    # Then it turns out to be another organisation: its own questions, then to the end.
    other = ["edit org_type 4", "71526726-X", "孙八", "周九", "13812345678", str(image), "2", "3",
             "2", "合同助手", "微信小程序", "在线签署劳动合同的小程序", "skip", "2", "3", APP_ID, "1",
             "later"]
    out = run_console(tmp_path, [*individual, *other, "start prod", "status"])
    finished = out.split("> start prod", 1)[1]
    assert f"正式环境的案例 #1 已经完成：某某科技有限公司，应用号 {APP_ID}。没有另开新案例。" in finished
    assert _cases(db) == [(1, "active", None)]
    out = run_console(tmp_path, ["start test"], user="bob")
    carried = out.split("从案例 #1 带过来的信息：", 1)[1].split("。", 1)[0]
    assert "组织机构代码" in carried and "经营者身份证号" not in carried and "营业执照注册号" not in carried
    second = _answers(db)
    assert "operator_id_number" not in second and second["org_code"] == "71526726-X"


def test_the_language_is_kept_for_the_conversation_with_or_without_a_case(tmp_path: Path) -> None:
    out = run_console(tmp_path, ["lang en", "cancel", "yes", "hello", "lang en"])
    after = out.split("> yes", 1)[1]
    assert "Case #1 is cancelled" in after
    assert "There is no onboarding case here yet" in after and "这里还没有" not in after
    assert "Switched to English." in after.split("> lang en", 1)[1]
    out = run_console(tmp_path, [])  # the terminal opened again: a new case, still in English
    assert "Which environment is this onboarding for?" in out and "这次接入" not in out


def test_the_test_environments_guide_route_asks_for_a_test_account_by_email(
        tmp_path: Path) -> None:
    db = tmp_path / "esignbot.db"
    out = run_console(tmp_path, ["lang en", "1", "2", "Acme Test Ltd", "Contract helper", "pc web",
                                 "Signs contracts", "2", "status"])
    assert "https://cloud.tencent.com/document/product/1420/53857" in out
    assert "Where are you with the test account request?" in out
    for not_asked in ("bank-transfer verification?", "What is the Tencent Cloud main account's UIN",
                      "Which route for the supplementary real-name verification?",
                      "Which whitelist-only features do you need?"):
        assert not_asked not in out, not_asked
    assert "Stage 2: supplementary real-name verification (not needed for a test account)" in out
    answers = _answers(db)
    assert answers["app_status"] == "sent" and "uin" not in answers


def test_stage_two_shows_todays_activation_beside_the_guides_route(tmp_path: Path) -> None:
    out = run_console(tmp_path, ["lang en", "2", "1", UIN, "Acme Ltd"])
    assert "Which route for the supplementary real-name verification?" in out
    assert "https://cloud.tencent.com/document/product/1420/58760" in out
    assert "super administrator authorisation letter" in out


def test_what_the_terminal_says_itself_keeps_the_conversations_language_without_a_case(
        tmp_path: Path) -> None:
    """The console's own sentences (here the closing line about warnings written to its log,
    one of which the ignored key causes) follow ``lang`` once the case is gone, as the
    dialogue's replies do."""
    out = run_console(tmp_path, ["lang en", "cancel", "yes", "Gu5t9xGARNpq86cd98joQYCN3Cozk1qA"])
    assert "Case #1 is cancelled" in out
    assert "This session wrote" in out and "本次运行" not in out
