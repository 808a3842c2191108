"""Every branch of the onboarding walked to the end through ``esignbot console`` (a real process,
piped stdin, a real SQLite file opened again afterwards)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import dialogue_part, png_bytes, run_console

APP_ID = "yDCWpUUckpvv76rqUxjIE8qvXHjCqG4t"
EMAIL_ROUTE = "2"
"""The guide's route (the Excel by email) by its number: the word ``email`` is the email command."""
STAGE_1_VERIFIED = ["2", "1", "100016315204", "腾讯科技（深圳）有限公司"]  # production
STAGE_1_TRANSFER = ["2", "2", "2", "3", "100016315204", "测试科技有限公司"]  # production
"""(Issue 26: a test case on the guide's route asks for a test account by email, 1420/53857,
with no bank transfer; the transfer is walked on a production case.)"""
STAGE_3 = ["合同助手", "微信小程序", "在线签署劳动合同的小程序", "5, 9", "2", "3", APP_ID]
"""Stage 3 of a case whose route is already chosen (a test case chooses it in stage 1)."""
PROD_STAGE_3 = [EMAIL_ROUTE, *STAGE_3]
"""A production case chooses its route as stage 3's first question."""
STAGE_3_SKIP = ["合同助手", "pc web", "在线签署合同", "skip", "sent", "approved", APP_ID]
UNCHECKED = "四个步骤都回答了，但密钥还没有验证过能用"
"""The closing message when the key check is put off (``later``)."""


def walk(tmp_path: Path, image: Path, route: list[str]) -> dict[str, object]:
    lines = [str(image) if line == "<image>" else line for line in route]
    out = run_console(tmp_path, lines)
    assert UNCHECKED in out and "🎉" not in out, out[-2000:]
    with sqlite3.connect(tmp_path / "esignbot.db") as conn:
        rows = conn.execute("SELECT field, value, user_id FROM answers").fetchall()
        step = conn.execute("SELECT current_step, completed_at FROM cases").fetchone()
    assert step[0] is None and step[1] is not None
    assert {user for _, _, user in rows} == {"alice"}
    answers = {field: json.loads(value) for field, value, _ in rows}
    assert answers["key_check"] == "later" and answers["app_id_route"] == "email"
    # Only production asks where the keys come from (a test case's come from 测试联调).
    assert ("key_owner" in answers) == (answers["environment"] == "prod")
    return answers


@pytest.fixture
def image(tmp_path: Path) -> Path:
    path = tmp_path / "licence.png"
    path.write_bytes(png_bytes())
    return path


ROUTES: dict[str, tuple[list[str], dict[str, object]]] = {
    "verified account, online, main key": (
        [*STAGE_1_VERIFIED, "1", "2", "3", *PROD_STAGE_3, "1", "later"],
        {"environment": "prod", "has_verified_account": "yes", "realname_route": "online",
         "whitelist_interfaces": ["VerifyUser", "CreateServerFlowSign"], "app_type": "微信小程序",
         "app_id": APP_ID, "key_owner": "main", "realname_status": "approved"},
    ),
    "bank transfer, offline enterprise, keys checked later": (
        [*STAGE_1_TRANSFER, "2", "1", "9144030071526726XG", "张三", "李四", "13812345678",
         "ops@example.com", "<image>", "submitted", "approved", EMAIL_ROUTE, *STAGE_3_SKIP,
         "1", "later"],
        {"environment": "prod", "transfer_status": "verified", "org_type": "enterprise",
         "uscc": "9144030071526726XG", "legal_rep": "张三", "contact_name": "李四",
         "contact_phone": "13812345678", "whitelist_interfaces": [], "key_check": "later"},
    ),
    "offline individual business with a registration number": (
        [*STAGE_1_VERIFIED, "offline", "个体工商户", "110108000000016", "王五", "11010519491231002X",
         "010-12345678-123", "shop@example.com", "<image>", "2", "3", *PROD_STAGE_3, "main",
         "later"],
        {"org_type": "individual", "business_reg_no": "110108000000016", "operator_name": "王五",
         "operator_id_number": "11010519491231002X", "contact_phone": "010-12345678-123"},
    ),
    "offline individual business with a credit code, sub-account key": (
        [*STAGE_1_VERIFIED, "2", "2", "91110000802100433B", "王五", "11010519491231002X",
         "13812345678", "shop@example.com", "<image>", "2", "3", *PROD_STAGE_3, "2", "later"],
        {"org_type": "individual", "uscc": "91110000802100433B", "key_owner": "sub"},
    ),
    "offline government body with a public institution certificate": (
        [*STAGE_1_VERIFIED, "2", "3", "2", "事证第110000001234号", "赵六", "钱七",
         "010-12345678", "gov@example.gov.cn", "<image>", "2", "3", *PROD_STAGE_3, "1", "later"],
        {"org_type": "government", "cert_type": "institution_cert", "cert_number": "110000001234",
         "legal_rep": "赵六", "contact_name": "钱七", "org_email": "gov@example.gov.cn"},
    ),
    "offline government body with a credit code": (
        [*STAGE_1_VERIFIED, "2", "3", "1", "914403001922038216", "赵六", "钱七",
         "13812345678", "gov@example.gov.cn", "<image>", "2", "3", *PROD_STAGE_3, "1", "later"],
        {"cert_type": "uscc", "cert_number": "914403001922038216"},
    ),
    "offline other organisation, console key": (
        [*STAGE_1_VERIFIED, "2", "4", "71526726-X", "孙八", "周九", "13812345678",
         "club@example.org", "<image>", "2", "3", *PROD_STAGE_3, "3", "later"],
        {"org_type": "other", "org_code": "71526726-X", "legal_rep": "孙八", "key_owner": "console"},
    ),
}


@pytest.mark.parametrize("name", list(ROUTES))
def test_branch_walked_to_the_end(tmp_path: Path, image: Path, name: str) -> None:
    route, expected = ROUTES[name]
    answers = walk(tmp_path, image, route)
    for field, value in expected.items():
        assert answers[field] == value, field
    if "license_image" in answers:
        stored = answers["license_image"]
        assert isinstance(stored, dict)
        with sqlite3.connect(tmp_path / "esignbot.db") as conn:
            data = conn.execute("SELECT data FROM files WHERE id = ?", [stored["file_id"]]).fetchone()[0]
        assert data == image.read_bytes()


def test_english_conversation_and_numbered_choices(tmp_path: Path) -> None:
    out = run_console(tmp_path, ["1"], "--lang", "en")
    assert "Which environment is this onboarding for?" in out
    assert "  1. test (joint debugging)" in out and "  2. production" in out
    assert "Saved environment: test (joint debugging)" in out


def test_quitting_and_running_again_resumes_where_the_case_stood(tmp_path: Path) -> None:
    run_console(tmp_path, [*STAGE_1_VERIFIED, "2"])
    out = run_console(tmp_path, [], user="bob")
    assert "继续案例 #1" in out
    assert dialogue_part(out).endswith("  4. 其他组织"), out  # the organisation-type question again
    out = run_console(tmp_path, ["1", "status"], user="bob")
    assert "企业名称：腾讯科技（深圳）有限公司 — alice" in out
    assert "组织类型：企业 — bob" in out


def test_transfer_wait_explains_the_amount_and_the_two_tries(tmp_path: Path) -> None:
    out = run_console(tmp_path, ["2", "2", "2", "status"])
    assert "0.01–0.99" in out and "连续输错两次" in out
    assert "⏳ 第 1 步：腾讯云企业账号与对公打款认证 — 等待腾讯审核/打款" in out


TEST_OFFLINE = ["1", EMAIL_ROUTE, "测试科技有限公司", "合同助手", "微信小程序",
                "在线签署劳动合同的小程序", "2", "3", APP_ID, "later"]
"""The test environment walked to the end on the guide's route: the test account asked for by
email with the app's name, type and description (1420/53857)."""


def test_a_finished_test_case_is_followed_by_a_production_case_that_keeps_the_organisation(
        tmp_path: Path, image: Path) -> None:
    out = run_console(tmp_path, [str(image) if x == "<image>" else x for x in TEST_OFFLINE])
    assert "回复「开始 正式」为正式环境开一个新案例" in out  # the finished test case says what is next
    assert "不能为另一个环境开新案例" not in out

    out = run_console(tmp_path, ["开始 正式", "2", "status"], user="bob")
    assert "从案例 #1 带过来的信息：企业名称、应用名称、应用类型、应用简介。" in out, out
    assert "✔ 已保存「环境」：正式环境" in out
    status = out[out.index("案例 #2 · 正式环境"):]
    assert "企业名称：测试科技有限公司 — alice" in status  # still credited to who gave it
    assert "主账号 UIN" in status.split("还缺：")[1]  # the production account is asked again
    with sqlite3.connect(tmp_path / "esignbot.db") as conn:
        cases = conn.execute("SELECT id, state, closed_at IS NOT NULL FROM cases ORDER BY id").fetchall()
        assert cases == [(1, "completed", 1), (2, "active", 0)]
        second = dict(conn.execute("SELECT field, value FROM answers WHERE case_id = 2").fetchall())
        first = dict(conn.execute("SELECT field, value FROM answers WHERE case_id = 1").fetchall())
        kinds = dict(conn.execute("SELECT field, kind FROM history WHERE case_id = 2 AND field IS NOT NULL "
                                  "AND kind = 'carried'").fetchall())
    assert json.loads(second["environment"]) == "prod"
    assert json.loads(second["has_verified_account"]) == "no"
    for field in ("enterprise_name", "app_name", "app_type", "app_description"):
        assert second[field] == first[field] and kinds[field] == "carried", field
    for field in ("uin", "realname_route", "license_image", "realname_status", "app_status", "app_id",
                  "key_owner", "key_check", "app_id_route"):
        assert field not in second, field
    assert first["app_id"]  # the test case keeps everything it had


def test_start_with_an_environment_opens_a_case_there_and_refuses_while_unfinished(
        tmp_path: Path) -> None:
    out = run_console(tmp_path, ["start prod"])
    assert "✔ 已保存「环境」：正式环境" in out
    out = run_console(tmp_path, ["开始 联调", "start sandbox please"])
    assert "案例 #1（正式环境）还没有完成" in out
    with sqlite3.connect(tmp_path / "esignbot.db") as conn:
        assert conn.execute("SELECT id, state FROM cases").fetchall() == [(1, "active")]
        assert conn.execute("SELECT value FROM answers WHERE field = 'environment'").fetchall() == [('"prod"',)]
    # "Start Ltd" and the like stay answers: only an environment word makes "start" a command.
    out = run_console(tmp_path, ["1", "1", "100016315204", "Start Ltd", "status"])
    assert "企业名称：Start Ltd" in out
