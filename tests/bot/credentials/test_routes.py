"""The check by environment and key route, through the front door: ``esignbot check-credentials``
and ``esignbot console`` as real processes against the fake Tencent Cloud on loopback (two
ports: production hosts, and the E-Sign test host), on real SQLite files.

A test key is E-Sign's own (应用集成 › 测试联调 › 获取密钥): only the test host may be asked, and
STS must never see it. A production key from the E-Sign console is unknown to STS; production
essbasic decides. The STS/CAM-only lines are then "did not apply" (➖), each with its reason, and
a verdict never passes a report in which nothing was proven.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from storage import CaseStore
from storage.credential_checks import checks_for_case
from storage.migrations import available_migrations
from tests.conftest import REPO, run_console
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

STS_CAM_ONLY = ("account_matches", "identity", "ess_policy")
NEW_CODES = {
    # code: (what the sentence says, in English; the fix it points to)
    "ResourceNotFound.ApplicationId": (
        "does not exist in production (ResourceNotFound.ApplicationId)", "edit app_id"),
    "UnauthorizedOperation.NoPermissionFeature": ("needs an upgraded edition", "account manager"),
    "UnauthorizedOperation.UnauthorizedOperationOrganization": (
        "enterprise is not authorised for this app", "account manager"),
    "FailedOperation.AuthFail": ("authentication failed", "same environment"),
    "AuthFailure": ("did not accept this request's signature", "same environment"),
}


@pytest.fixture
def cloud() -> Iterator[FakeTencentCloud]:
    with standard_cloud().serving() as fake:
        yield fake


def _env(cloud: FakeTencentCloud, key: str | None) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ESIGNBOT_", "TENCENTCLOUD_"))}
    return {**base, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8",
            **console_env(cloud, key)}


def check_cli(tmp_path: Path, cloud: FakeTencentCloud, tag: str, *args: str,
              lang: str = "en") -> tuple[int, dict[str, Any]]:
    """``esignbot check-credentials … --json`` as a real process; its exit status and report."""
    key = secret_key(tag)
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "check-credentials", "--secret-id", secret_id(tag),
         "--lang", lang, "--json", *args], capture_output=True, text=True, encoding="utf-8",
        timeout=120, cwd=tmp_path, env=_env(cloud, key))
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert key not in proc.stdout + proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def by_name(report: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {c["name"]: c for c in report["checks"]}


def services_asked(cloud: FakeTencentCloud) -> list[tuple[str, str]]:
    """(port, service) of every request that reached the fake, refused or not."""
    return [(port, service) for port, service, _ in cloud.seen]


# -- the test environment ---------------------------------------------------------------------
def test_a_test_key_is_checked_at_the_test_host_only_and_sts_never_sees_it(
        tmp_path: Path, cloud: FakeTencentCloud) -> None:
    code, report = check_cli(tmp_path, cloud, "TestOnly", "--env", "test", "--uin", UIN,
                             "--app-id", APP_TEST)
    assert code == 0, report
    checks = by_name(report)
    assert checks["key_valid"]["status"] == "pass"
    assert "test environment (essbasic.test.ess.tencent.cn) accepted" in checks["key_valid"]["detail"]
    assert checks["app_id"]["status"] == "pass"
    for name in STS_CAM_ONLY:
        assert checks[name]["status"] == "skipped", name
        assert checks[name]["detail"].startswith("Did not apply: ")
    assert "E-Sign's own key" in checks["account_matches"]["detail"]
    assert "STS" in checks["identity"]["detail"]
    assert "CAM policy" in checks["ess_policy"]["detail"]
    assert report["outcome"] == "pass"
    assert "did not apply" in report["verdict"] and "Belongs to the case's account" in report["verdict"]
    # one call, to the test port, the probe with the app ID: no STS, no CAM, no production
    assert services_asked(cloud) == [("test", "essbasic")]
    assert [(c.action, c.params["Agent"]) for c in cloud.calls] == [
        ("ChannelDescribeBillUsageDetail", {"AppId": APP_TEST})]


def test_a_test_key_without_an_app_id_cannot_be_checked_and_never_passes(
        tmp_path: Path, cloud: FakeTencentCloud) -> None:
    code, report = check_cli(tmp_path, cloud, "TestOnly", "--env", "test")
    assert code == 1
    checks = by_name(report)
    assert checks["key_valid"]["status"] == "unknown"
    assert "can only be checked by calling the test environment with an app ID" in checks[
        "key_valid"]["detail"]
    assert {checks[n]["status"] for n in STS_CAM_ONLY} == {"skipped"}
    assert report["outcome"] == "unknown"
    assert report["verdict"].startswith("Verdict: nothing could be checked")
    assert "no errors" not in report["verdict"].lower() and "passed" not in report["verdict"]
    assert cloud.seen == []


def test_a_production_key_at_the_test_host_fails_there_without_asking_sts(
        tmp_path: Path, cloud: FakeTencentCloud) -> None:
    code, report = check_cli(tmp_path, cloud, "Root", "--env", "test", "--app-id", APP_TEST,
                             lang="zh")
    assert code == 1
    key = by_name(report)["key_valid"]
    assert key["status"] == "fail"
    assert "电子签测试环境不认识这个 SecretId（AuthFailure.SecretIdNotFound）" in key["detail"]
    assert "应用集成 › 测试联调 › 获取密钥" in key["detail"]  # the fix: where test keys are made
    assert services_asked(cloud) == [("test", "essbasic")]


# -- production, a key made by the E-Sign console ---------------------------------------------
def test_a_console_key_unknown_to_sts_passes_on_production_essbasic(
        tmp_path: Path, cloud: FakeTencentCloud) -> None:
    code, report = check_cli(tmp_path, cloud, "Console", "--env", "prod", "--uin", UIN,
                             "--app-id", APP_PROD, "--key-owner", "console")
    assert code == 0, report
    checks = by_name(report)
    assert checks["key_valid"]["status"] == "pass"
    assert "STS does not know it" in checks["key_valid"]["detail"]
    assert {checks[n]["status"] for n in STS_CAM_ONLY} == {"skipped"}
    assert "made by the E-Sign console" in checks["account_matches"]["detail"]
    assert checks["app_id"]["status"] == "pass"
    assert services_asked(cloud) == [("prod", "sts"), ("prod", "essbasic")]
    assert cloud.rejected == ["AuthFailure.SecretIdNotFound"]  # STS's answer, then E-Sign's yes
    # the same key, whatever the case says it is: the calls decide, not the case's answer
    cloud.seen.clear()
    code, report = check_cli(tmp_path, cloud, "Console", "--env", "prod", "--app-id", APP_PROD,
                             "--key-owner", "sub")
    assert code == 0 and by_name(report)["key_valid"]["status"] == "pass", report
    assert services_asked(cloud) == [("prod", "sts"), ("prod", "essbasic")]


def test_a_console_key_that_production_essbasic_does_not_know_either(
        tmp_path: Path, cloud: FakeTencentCloud) -> None:
    code, report = check_cli(tmp_path, cloud, "TestOnly", "--env", "prod", "--app-id", APP_PROD,
                             "--key-owner", "console")
    assert code == 1
    key = by_name(report)["key_valid"]
    assert key["status"] == "fail"
    assert key["detail"].startswith(
        "Neither Tencent Cloud's STS nor production E-Sign knows this SecretId")
    assert "check test" in key["detail"]


# -- every new essbasic code has its sentence --------------------------------------------------
@pytest.mark.parametrize("code", list(NEW_CODES))
def test_each_new_essbasic_code_is_explained_with_its_fix(tmp_path: Path, cloud: FakeTencentCloud,
                                                          code: str) -> None:
    said, fix = NEW_CODES[code]
    cloud.apps["prod"][APP_PROD] = code
    status, report = check_cli(tmp_path, cloud, "Root", "--env", "prod", "--uin", UIN,
                               "--app-id", APP_PROD)
    app = by_name(report)["app_id"]
    assert status == 1
    assert app["status"] == "fail", app
    assert said in app["detail"] and fix in app["detail"], app["detail"]
    assert "Could not tell: Tencent Cloud answered" not in app["detail"]  # not cred.code.unknown


def test_authentication_refused_at_the_test_host_fails_the_key_with_its_sentence(
        tmp_path: Path, cloud: FakeTencentCloud) -> None:
    cloud.apps["test"][APP_TEST] = "FailedOperation.AuthFail"
    status, report = check_cli(tmp_path, cloud, "TestOnly", "--env", "test", "--app-id", APP_TEST)
    key = by_name(report)["key_valid"]
    assert status == 1 and key["status"] == "fail"
    assert key["detail"].startswith("E-Sign's authentication failed: this key pair and this app ID")
    assert by_name(report)["app_id"]["detail"].startswith("Not checked: the key itself")


# -- the terminal, and what is stored ----------------------------------------------------------
def _seed(db: Path, **answers: str) -> None:
    """A case of ``console:default`` with these answers, as earlier turns would have left it."""
    store = CaseStore(db)
    try:
        with store.transaction() as tx:
            case = tx.create_case("console:default", "zh", "alice", "alice",
                                  "2026-12-01T01:00:00+00:00")
            for field, value in answers.items():
                tx.put_answer(case.id, field, value, kind="answer", user_id="alice",
                              user_name="alice", at="2026-12-01T01:00:00+00:00")
    finally:
        store.close()


def _console(tmp_path: Path, cloud: FakeTencentCloud, lines: list[str], key: str) -> str:
    out = run_console(tmp_path, lines, env=console_env(cloud, key))
    assert key not in out
    return out


def _stored(db: Path) -> list[tuple[str, str, str]]:
    store = CaseStore(db)
    try:
        with store.transaction() as tx:
            case = tx.active_case("console:default")
            assert case is not None
            (check,) = checks_for_case(tx, case.id)
            return [(r.name, r.status, r.detail) for r in check.results]
    finally:
        store.close()


def test_console_check_of_a_test_key_shows_the_lines_that_did_not_apply(
        tmp_path: Path, cloud: FakeTencentCloud) -> None:
    db = tmp_path / "esignbot.db"
    _seed(db, environment="test", uin=UIN, app_id=APP_TEST)
    out = _console(tmp_path, cloud, ["check", secret_id("TestOnly")], secret_key("TestOnly"))
    report = out[out.index("🔐 API 密钥检查"):]
    assert "✅ 密钥有效：电子签测试环境（essbasic.test.ess.tencent.cn）接受了这对密钥和应用号。" in report
    assert "➖ 属于案例的主账号：不适用：测试环境的密钥是电子签自己的密钥" in report
    assert "➖ 密钥身份：不适用：" in report and "➖ 电子签权限：不适用：" in report
    assert "✅ 应用号：应用号 yDTestUUckpvv76rqUxjIE8qvXHjTEST 在测试环境" in report
    assert "结论：电子签带着应用号接受了这对密钥，它可以调用电子签；密钥身份、属于案例的主账号" in report or "不适用或无法确定" in report
    assert services_asked(cloud) == [("test", "essbasic")]
    # the skipped results are kept as such, and read back
    assert [(n, s) for n, s, _ in _stored(db)] == [
        ("key_valid", "pass"), ("account_matches", "skipped"), ("identity", "skipped"),
        ("ess_policy", "skipped"), ("app_id", "pass")]
    assert secret_key("TestOnly").encode() not in b"".join(
        p.read_bytes() for p in tmp_path.glob("esignbot.db*"))


def test_console_check_of_a_console_key_in_production(tmp_path: Path,
                                                     cloud: FakeTencentCloud) -> None:
    db = tmp_path / "esignbot.db"
    _seed(db, environment="prod", uin=UIN, app_id=APP_PROD, key_owner="console")
    out = _console(tmp_path, cloud, ["check", secret_id("Console")], secret_key("Console"))
    report = out[out.index("🔐 API 密钥检查"):]
    assert "✅ 密钥有效：电子签正式环境接受了这对密钥。腾讯云 STS 不认识它" in report
    assert report.count("➖") == 3 and "不适用：这是电子签控制台生成的密钥" in report
    assert services_asked(cloud) == [("prod", "sts"), ("prod", "essbasic")]
    assert [s for _, s, _ in _stored(db)] == ["pass", "skipped", "skipped", "skipped", "pass"]


def test_results_stored_before_the_skipped_status_survive_the_migration(tmp_path: Path) -> None:
    """A file made by the esignbot before this change: its check rows are kept whole by the
    results table's rebuild, and the rebuilt table takes ``skipped``."""
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT "
                 "NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))")
    for name, sql in available_migrations():
        if name.startswith("0012_"):
            break
        conn.executescript(sql)
        conn.execute("INSERT INTO schema_migrations (name) VALUES (?)", [name])
    conn.execute("INSERT INTO cases (id, conversation, state, lang, created_by, created_by_name,"
                 " created_at, updated_at) VALUES (1, 'console:default', 'active', 'zh', 'a',"
                 " 'a', 'x', 'x')")
    conn.execute("INSERT INTO credential_checks (id, case_id, user_id, user_name, at,"
                 " secret_id_masked, environment, outcome) VALUES (1, 1, 'a', 'a', 'x',"
                 " 'AKID****abcd', 'prod', 'unknown')")
    conn.executemany("INSERT INTO credential_check_results VALUES (1, ?, ?, ?, ?, '{}')",
                     [(i, n, "unknown" if i else "pass", f"d{i}") for i, n in enumerate(
                         ["key_valid", "account_matches", "identity", "ess_policy", "app_id"])])
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE credential_check_results SET status = 'skipped' WHERE position = 1")
    conn.commit()
    conn.close()
    store = CaseStore(db)  # opening it applies 0012
    try:
        with store.transaction() as tx:
            (check,) = checks_for_case(tx, 1)
            assert [(r.name, r.status, r.detail) for r in check.results] == [
                ("key_valid", "pass", "d0"), ("account_matches", "unknown", "d1"),
                ("identity", "unknown", "d2"), ("ess_policy", "unknown", "d3"),
                ("app_id", "unknown", "d4")]
            tx.db.execute("UPDATE credential_check_results SET status = 'skipped'"
                          " WHERE position = 1")
            with pytest.raises(sqlite3.IntegrityError):
                tx.db.execute("UPDATE credential_check_results SET status = 'maybe'")
    finally:
        store.close()
