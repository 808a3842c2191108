"""Today's console route beside the guide's (issue 16), walked through ``esignbot console``: a
real process, piped stdin, the fake Tencent Cloud on loopback for the check, and the SQLite file
and the written files opened again afterwards."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_console
from tests.fakes.tencentcloud import (
    APP_PROD,
    APP_TEST,
    UIN,
    FakeTencentCloud,
    console_env,
    secret_id,
    secret_key,
    standard_cloud,
)

TEST_ON_CONSOLE = ["lang en", "1", "console", "2", "Acme Test Ltd", "Contract helper", "pc web",
                   "Signs labour contracts online", APP_TEST, "skip"]
"""A test case on the console route, up to its last question (the key check)."""
PROD_ON_CONSOLE = ["lang en", "2", "1", UIN, "Acme Ltd", "online", "submitted", "approved",
                   "console", "Contract helper", "pc web", "Signs labour contracts online",
                   APP_PROD, "skip", "console"]
"""A production case: the guide's account and real-name stages, then the console route."""
GUIDE_QUESTIONS = ("bank-transfer", "Where are you with the supplementary real-name",
                   "Where are you with the app ID application", "Tencent Cloud main account's UIN")


@pytest.fixture
def cloud() -> Iterator[FakeTencentCloud]:
    with standard_cloud().serving() as fake:
        yield fake


def _console(tmp_path: Path, cloud: FakeTencentCloud, lines: list[str],
             key: str | None = None) -> str:
    return run_console(tmp_path, lines, env=console_env(cloud, key))


def _case(db: Path) -> tuple[dict[str, object], tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT field, value FROM answers").fetchall()
        case = conn.execute("SELECT current_step, completed_at FROM cases").fetchone()
    return {field: json.loads(value) for field, value in rows}, case


def test_a_test_case_on_the_console_route_ends_with_a_passing_check_and_no_review(
        tmp_path: Path, cloud: FakeTencentCloud) -> None:
    key = secret_key("TestOnly")
    out = _console(tmp_path, cloud, [*TEST_ON_CONSOLE, "check", secret_id("TestOnly")], key)
    for asked in GUIDE_QUESTIONS:
        assert asked not in out, asked
    assert "Whoever scans becomes the test enterprise's administrator" in out
    assert "Stage 2: supplementary real-name verification (not needed" not in out  # never asked
    assert "🎉 Onboarding is done: the keys passed the check" in out
    closing = out[out.index("🎉 Onboarding is done"):]
    assert f"app ID {APP_TEST}" in closing and "environment: test (joint debugging)" in closing
    assert "应用集成 > 测试联调 > 参数配置" in closing and "CreateConsoleLoginUrl" in closing
    assert "start prod" in closing
    assert key not in out
    # Only the test host was asked: test keys are not Tencent Cloud keys.
    assert {environment for environment, _, _ in cloud.seen} == {"test"}
    answers, (current, completed) = _case(tmp_path / "esignbot.db")
    assert answers["key_check"] == "passed" and answers["app_id_route"] == "console"
    assert current is None and completed is not None
    assert not {"transfer_status", "realname_status", "app_status", "uin", "key_owner"} & set(answers)
    snippet = tmp_path / "out" / "esign_first_call_case1_test.py"
    assert APP_TEST in snippet.read_text(encoding="utf-8")
    assert key not in snippet.read_text(encoding="utf-8")


def test_status_on_the_console_route_says_stage_2_is_not_needed_and_the_check_is_missing(
        tmp_path: Path) -> None:
    out = run_console(tmp_path, [*TEST_ON_CONSOLE, "later", "status"])
    assert "All four stages are answered, but the keys have not been shown to work yet" in out
    assert "🎉" not in out
    status = out[out.rindex("Case #1"):]
    assert "Stage 1: the test enterprise" in status
    assert "➖ Stage 2: supplementary real-name verification (not needed for a test enterprise)" in status
    assert "Missing: key check" in status
    assert "▶️ Stage 4: API keys (SecretId / SecretKey), checked to work — current" in status
    assert "Next: Check the keys now?" in status and "Every stage is done" not in status
    answers, (current, completed) = _case(tmp_path / "esignbot.db")
    assert answers["key_check"] == "later" and current is None and completed is not None


def test_a_production_case_on_the_console_route_takes_console_keys(
        tmp_path: Path, cloud: FakeTencentCloud) -> None:
    key = secret_key("Console")
    out = _console(tmp_path, cloud, [*PROD_ON_CONSOLE, "check", secret_id("Console")], key)
    assert "Where are you with the app ID application" not in out
    assert "应用集成 > 添加第三方应用 > 创建应用 > 确定" in out  # the route's own steps
    assert "应用集成 > 生产运行 > 获取密钥" in out
    assert "🎉 Onboarding is done" in out
    answers, (current, _) = _case(tmp_path / "esignbot.db")
    assert answers["key_owner"] == "console" and answers["key_check"] == "passed"
    assert current is None
    assert (tmp_path / "out" / "esign_first_call_case1_prod.py").is_file()
    assert not list((tmp_path / "out").glob("*.xlsx"))  # no application to send: only on request
    assert "Next: stage 3, the app ID: created in the E-Sign console" in out


def test_the_workbook_is_still_there_on_request_on_the_console_route(tmp_path: Path) -> None:
    out = run_console(tmp_path, [*PROD_ON_CONSOLE[:13], "excel"])
    after_description = out[out.index("Saved app description"):]
    assert after_description.index("Paste the app ID (应用号) the console just created") < \
        after_description.index("Which whitelist-only features")
    assert any((tmp_path / "out").glob("*.xlsx")), out[-1500:]
    answers, _ = _case(tmp_path / "esignbot.db")
    assert answers["app_id_route"] == "console" and "app_status" not in answers


def test_a_check_of_the_other_environment_does_not_finish_the_case(
        tmp_path: Path, cloud: FakeTencentCloud) -> None:
    key = secret_key("Root")
    out = _console(tmp_path, cloud, [*PROD_ON_CONSOLE[:-1], "main", "check test",
                                     secret_id("Root")], key)
    assert "🎉 Onboarding is done" not in out
    answers, (current, _) = _case(tmp_path / "esignbot.db")
    assert "key_check" not in answers and current == "key_check"


def test_the_whitelist_takes_any_real_essbasic_action_and_suggests_near_misses(
        tmp_path: Path) -> None:
    lines = ["lang en", "1", "console", "2", "Acme Test Ltd", "Contract helper", "pc web",
             "Signs labour contracts online", APP_TEST,
             "ChannelCreateFlowRemind", "Frobnicate", "1, DescribeChannelOrganizations, 9"]
    out = run_console(tmp_path, lines)
    assert "'ChannelCreateFlowRemind' is not an E-Sign interface name. Did you mean: " \
           "ChannelCreateFlowReminds" in out
    assert "'Frobnicate' is neither on the list nor an interface of the E-Sign SDK" in out
    assert "CreateServerFlowSign (legacy API 2020-12-22)" in out
    answers, _ = _case(tmp_path / "esignbot.db")
    assert answers["whitelist_interfaces"] == ["ChannelCreateFlowReminds", "CreateServerFlowSign",
                                               "DescribeChannelOrganizations"]


def test_snippet_command_hands_over_the_first_call_program(tmp_path: Path) -> None:
    out = run_console(tmp_path, ["lang en", "snippet", *TEST_ON_CONSOLE[1:9], "snippet"])
    assert "There is no app ID yet, and the program needs it" in out
    assert APP_TEST in (tmp_path / "out" / "esign_first_call_case1_test.py").read_text(encoding="utf-8")


def test_an_option_word_that_is_also_a_command_answers_the_question(tmp_path: Path) -> None:
    out = run_console(tmp_path, ["lang en", "1", "email", "/email"])
    assert "Saved route (console or email): by email" in out
    answers, _ = _case(tmp_path / "esignbot.db")
    assert answers["app_id_route"] == "email"
    assert out.count("Saved route") == 1  # "/email" with its slash is still the command
