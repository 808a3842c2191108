"""``esignbot check-credentials`` against a fake Tencent Cloud on loopback, one scenario each.

The CLI's ``main`` runs in this process (its real argument parsing, settings from the
environment, the real SDK over real signed HTTP); a few runs go through a real subprocess for
exit codes and stderr. After each run, the SecretKey is searched for in everything printed and
logged.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from handlers.catalogue import has
from handlers.credentials.report import KNOWN_CODES
from tests.conftest import REPO
from tests.fakes.local_server import free_port
from tests.fakes.tencentcloud import (
    APP_BANNED,
    APP_PROD,
    APP_TEST,
    OTHER_UIN,
    UIN,
    FakeTencentCloud,
    secret_id,
    secret_key,
    standard_cloud,
)


@pytest.fixture
def cloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTencentCloud]:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in list(os.environ):
        if name.startswith(("ESIGNBOT_", "TENCENTCLOUD_")):
            monkeypatch.delenv(name)
    with standard_cloud().serving() as fake:
        monkeypatch.setenv("ESIGNBOT_TENCENTCLOUD_ENDPOINT", fake.endpoint)
        monkeypatch.setenv("ESIGNBOT_TENCENTCLOUD_TEST_ENDPOINT", fake.test_endpoint)
        monkeypatch.setenv("ESIGNBOT_TENCENTCLOUD_TIMEOUT", "2")
        yield fake


class Run:
    def __init__(self, code: int, out: str, err: str, logs: str) -> None:
        self.code, self.out, self.err, self.logs = code, out, err, logs

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.out)  # type: ignore[no-any-return]

    def status(self, name: str) -> str:
        return next(c["status"] for c in self.json["checks"] if c["name"] == name)

    def detail(self, name: str) -> str:
        return next(c["detail"] for c in self.json["checks"] if c["name"] == name)


@pytest.fixture
def check(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
          caplog: pytest.LogCaptureFixture) -> Any:
    def run(tag: str, *, key: str | None = None, env: str = "prod", uin: str | None = UIN,
            app_id: str | None = APP_PROD, lang: str = "en", as_json: bool = True) -> Run:
        caplog.set_level(logging.DEBUG)  # the SDK's own request/response logging included
        secret = secret_key(tag) if key is None else key
        monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", secret)
        args = ["check-credentials", "--env", env, "--secret-id", secret_id(tag), "--lang", lang]
        args += ["--uin", uin] if uin else []
        args += ["--app-id", app_id] if app_id else []
        args += ["--json"] if as_json else []
        code = main(args)
        captured = capsys.readouterr()
        result = Run(code, captured.out, captured.err, caplog.text)
        for text in (result.out, result.err, result.logs):
            assert secret not in text
        caplog.clear()
        return result
    return run


def test_root_key_passes_everything(check: Any, cloud: FakeTencentCloud) -> None:
    run = check("Root")
    assert run.code == 0
    assert [c["status"] for c in run.json["checks"]] == ["pass"] * 5
    assert [c["name"] for c in run.json["checks"]] == [
        "key_valid", "account_matches", "identity", "ess_policy", "app_id"]
    assert run.json["identity"] == {"account_id": UIN, "user_id": UIN, "principal_id": UIN,
                                    "type": "CAMUser", "kind": "main"}
    assert "main account's own key" in run.detail("identity")
    # the probe is the documented read-only call for one day, with Agent.AppId
    probe = next(c for c in cloud.calls if c.service == "essbasic")
    assert probe.action == "ChannelDescribeBillUsageDetail"
    assert probe.params["Agent"] == {"AppId": APP_PROD}
    assert probe.params["StartTime"] == probe.params["EndTime"]
    assert {c.service for c in cloud.calls} == {"sts", "essbasic"}  # no CAM for a root key


def test_sub_account_with_the_policy_attached_directly(check: Any, cloud: FakeTencentCloud) -> None:
    run = check("SubDirect")
    assert run.code == 0
    assert run.json["identity"]["kind"] == "sub"
    assert "100026100001" in run.detail("identity")
    assert "directly" in run.detail("ess_policy")
    cam = next(c for c in cloud.calls if c.service == "cam")
    assert cam.params == {"TargetUin": 100026100001, "Rp": 200, "Page": 1, "AttachType": 0}


def test_sub_account_with_the_policy_through_a_group(check: Any, cloud: FakeTencentCloud) -> None:
    run = check("SubGroup", lang="zh")
    assert run.code == 0
    assert "用户组「esign-devs」" in run.detail("ess_policy")


def test_sub_account_without_the_policy(check: Any, cloud: FakeTencentCloud) -> None:
    # E-Sign itself refuses the key: that settles it, and says how to attach the policy.
    run = check("SubNone")
    assert run.code == 1
    assert run.status("ess_policy") == "fail"
    assert "AuthFailure.UnauthorizedOperation" in run.detail("ess_policy")
    assert "cam/user" in run.detail("ess_policy") and "QcloudESSBASICFullAccess" in run.detail("ess_policy")
    assert run.status("app_id") == "unknown"
    # Without an app ID to try, CAM's policy list tells the same.
    run = check("SubNone", app_id=None)
    assert run.status("ess_policy") == "fail"
    assert "does not hold QcloudESSBASICFullAccess" in run.detail("ess_policy")
    assert run.status("app_id") == "unknown" and "no app ID" in run.detail("app_id")


def test_the_guides_sub_account_passes_though_cam_cannot_be_read(check: Any, cloud: FakeTencentCloud) -> None:
    """A sub-account with QcloudESSBASICFullAccess alone, as the guide sets it up, may not read
    CAM: E-Sign accepting its call with the app ID is the pass, the lookup was not needed."""
    run = check("SubNoCam")
    assert run.code == 0
    assert run.status("ess_policy") == "skipped"
    assert "Not needed: E-Sign accepted this key's call with the app ID" in run.detail("ess_policy")
    assert "(UnauthorizedOperation)" in run.detail("ess_policy")
    assert [run.status(n) for n in ("key_valid", "account_matches", "identity", "app_id")] == ["pass"] * 4
    assert "UnauthorizedOperation" in cloud.rejected


def test_cam_refusing_the_lookup_without_an_app_id_is_could_not_tell(check: Any, cloud: FakeTencentCloud) -> None:
    run = check("SubNoCam", app_id=None)
    assert run.code == 1
    assert run.status("ess_policy") == "unknown"
    assert "CAM does not let this key list its own policies (UnauthorizedOperation)" in run.detail("ess_policy")


def test_cam_paging_reads_every_page(check: Any, cloud: FakeTencentCloud) -> None:
    cloud.direct_policies["100026100001"] = [f"Custom{i}" for i in range(250)] + [
        "QcloudESSBASICFullAccess"]
    run = check("SubDirect", app_id=None)
    assert run.status("ess_policy") == "pass"
    assert [c.params["Page"] for c in cloud.calls if c.service == "cam"] == [1, 2]


def test_app_id_unknown_in_this_environment(check: Any, cloud: FakeTencentCloud) -> None:
    run = check("Root", app_id="A" * 32)
    assert run.code == 1
    assert run.status("app_id") == "fail"
    assert "does not exist in production (ResourceNotFound.Application)" in run.detail("app_id")
    assert "RequestId: " in run.detail("app_id") and "edit app_id" in run.detail("app_id")
    # keys belong to one environment, so the other one is never asked with this key
    assert [c.environment for c in cloud.calls if c.service == "essbasic"] == ["prod"]
    assert [e for e, service, _ in cloud.seen if service == "essbasic"] == ["prod"]


@pytest.mark.parametrize("code", ["InvalidParameter.Application",
                                  "ResourceNotFound.NotExistApplication"])
def test_a_test_app_id_in_production_is_named_from_the_answer_alone(check: Any, cloud: FakeTencentCloud,
                                                                    code: str) -> None:
    cloud.app_not_found_code = code
    run = check("Both", app_id=APP_TEST)
    assert run.status("app_id") == "fail"
    assert run.detail("app_id").startswith(f"App ID {APP_TEST} does not exist in production ({code})")
    assert "an app ID made in 测试联调 works only in the test environment" in run.detail("app_id")
    assert "edit environment" in run.detail("app_id")
    assert [e for e, service, _ in cloud.seen if service == "essbasic"] == ["prod"]


def test_app_banned(check: Any, cloud: FakeTencentCloud) -> None:
    run = check("Root", app_id=APP_BANNED, lang="zh")
    assert run.code == 1
    assert run.status("app_id") == "fail"
    assert run.detail("app_id").startswith("这个应用号已被封禁。（RequestId：")
    assert "e-contract@tencent.com" in run.detail("app_id")


def test_secret_id_not_found(check: Any, cloud: FakeTencentCloud) -> None:
    run = check("Nobody")
    assert run.code == 1
    assert run.status("key_valid") == "fail"
    # STS did not know it, so E-Sign was asked as for a console key: neither knows it
    assert "Neither Tencent Cloud's STS nor production E-Sign knows this SecretId" in run.detail("key_valid")
    assert {run.status(n) for n in ("account_matches", "identity", "ess_policy", "app_id")} == {"unknown"}
    assert [c.service for c in cloud.calls] == []  # refused before any action ran
    assert [(e, service) for e, service, _ in cloud.seen] == [("prod", "sts"), ("prod", "essbasic")]


def test_wrong_secret_key_is_a_signature_failure(check: Any, cloud: FakeTencentCloud) -> None:
    run = check("Root", key=secret_key("Wrong"))
    assert run.code == 1
    assert run.status("key_valid") == "fail"
    assert "usually the SecretKey does not belong to this SecretId" in run.detail("key_valid")
    assert cloud.rejected == ["AuthFailure.SignatureFailure"]


def test_key_of_another_main_account(check: Any, cloud: FakeTencentCloud) -> None:
    run = check("Other", app_id=None)
    assert run.status("account_matches") == "fail"
    assert f"main account {OTHER_UIN}, but the case records main account {UIN}" in run.detail(
        "account_matches")
    assert "edit uin" in run.detail("account_matches")


def test_throttled_then_fine(check: Any, cloud: FakeTencentCloud) -> None:
    cloud.throttle = 2
    run = check("Root")
    assert run.code == 0, run.out
    assert cloud.rejected == ["RequestLimitExceeded", "RequestLimitExceeded"]


def test_throttled_for_good_gives_up_after_a_bounded_number_of_tries(
        check: Any, cloud: FakeTencentCloud) -> None:
    cloud.throttle = 1000
    run = check("Root")
    assert run.code == 1
    assert run.status("key_valid") == "unknown"
    assert "rate-limiting" in run.detail("key_valid") and "RequestId: " in run.detail("key_valid")
    assert len(cloud.calls) == 3


def test_unknown_error_code_is_shown_with_its_request_id(check: Any, cloud: FakeTencentCloud) -> None:
    cloud.app_not_found_code = "ResourceNotFound.SomethingNew"
    run = check("Root", app_id="B" * 32)
    assert run.status("app_id") == "unknown"
    assert run.detail("app_id").startswith(
        "Could not tell: Tencent Cloud answered ResourceNotFound.SomethingNew. (RequestId: ")


def test_server_down(check: Any, cloud: FakeTencentCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESIGNBOT_TENCENTCLOUD_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    run = check("Root")
    assert run.code == 1
    assert run.status("key_valid") == "unknown"
    assert "could not be reached" in run.detail("key_valid")
    assert {c["status"] for c in run.json["checks"]} == {"unknown"}


def test_slow_server_past_the_timeout(check: Any, cloud: FakeTencentCloud,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESIGNBOT_TENCENTCLOUD_TIMEOUT", "0.5")
    cloud.delay = 2
    run = check("Root")
    assert run.code == 1
    assert run.status("key_valid") == "unknown"
    assert "did not answer within 0.5 seconds" in run.detail("key_valid")


def test_a_test_environment_key_that_tencent_cloud_does_not_know(check: Any,
                                                                 cloud: FakeTencentCloud) -> None:
    run = check("TestOnly", env="test", app_id=APP_TEST)
    assert run.status("key_valid") == "pass" and "test environment" in run.detail("key_valid")
    assert run.status("app_id") == "pass"
    # STS and CAM cannot answer for an E-Sign test key: those lines did not apply
    assert {run.status(n) for n in ("account_matches", "identity", "ess_policy")} == {"skipped"}
    assert run.code == 0
    assert {c.service for c in cloud.calls} == {"essbasic"}


def test_a_production_key_in_the_test_environment(check: Any, cloud: FakeTencentCloud) -> None:
    run = check("Root", env="test", app_id=APP_TEST)
    assert run.status("key_valid") == "fail"
    assert "test environment does not know this SecretId" in run.detail("key_valid")
    assert run.status("app_id") == "unknown"


def test_malformed_keys_fail_without_a_call(check: Any, cloud: FakeTencentCloud,
                                            capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", secret_key("Root"))
    assert main(["check-credentials", "--env", "prod", "--secret-id", "AKID123", "--lang", "en"]) == 2
    assert "This is not a whole SecretId" in capsys.readouterr().err
    assert main(["check-credentials", "--env", "prod", "--secret-id", "AKID 1234567890abcdefghij",
                 "--lang", "en"]) == 2
    assert "no spaces or line breaks inside" in capsys.readouterr().err
    assert main(["check-credentials", "--env", "prod", "--secret-id", secret_id("Root"),
                 "--uin", "12ab", "--lang", "en"]) == 2
    assert capsys.readouterr().err.strip()
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "short")
    assert main(["check-credentials", "--env", "prod", "--secret-id", secret_id("Root")]) == 2
    assert cloud.calls == []
    with pytest.raises(SystemExit) as exit_:
        main(["check-credentials", "--env", "staging", "--secret-id", secret_id("Root")])
    assert exit_.value.code == 2


def test_text_report_in_chinese(check: Any, cloud: FakeTencentCloud) -> None:
    run = check("SubNoCam", lang="zh", as_json=False)
    assert run.out.startswith("🔐 API 密钥检查 · AKID****")
    assert "✅ 密钥有效：腾讯云接受了这对 SecretId/SecretKey。" in run.out
    assert "➖ 电子签权限：不需要查：电子签已经带着应用号接受了这个密钥的调用" in run.out
    assert run.out.rstrip().endswith("不影响这个结论。")


def test_every_error_code_in_the_reference_has_a_sentence() -> None:
    assert all(has(f"cred.code.{code}") for code in KNOWN_CODES)


def _cli(tmp_path: Path, env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ESIGNBOT_", "TENCENTCLOUD_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "check-credentials", *args], input=stdin,
        capture_output=True, text=True, encoding="utf-8", timeout=120, cwd=tmp_path,
        env={**base, "PYTHONPATH": str(REPO), "PYTHONIOENCODING": "utf-8", **env})


def test_the_real_command_exit_codes_and_no_key_anywhere(tmp_path: Path, cloud: FakeTencentCloud) -> None:
    env = {"ESIGNBOT_TENCENTCLOUD_ENDPOINT": cloud.endpoint,
           "ESIGNBOT_TENCENTCLOUD_TEST_ENDPOINT": cloud.test_endpoint}
    key = secret_key("Root")
    ok = _cli(tmp_path, {**env, "TENCENTCLOUD_SECRET_KEY": key}, "--env", "prod", "--uin", UIN,
              "--app-id", APP_PROD, "--secret-id", secret_id("Root"), "--json")
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["identity"]["kind"] == "main"
    failed = _cli(tmp_path, {**env, "TENCENTCLOUD_SECRET_KEY": key}, "--env", "prod",
                  "--uin", OTHER_UIN, "--secret-id", secret_id("Root"))
    assert failed.returncode == 1 and "❌" in failed.stdout
    # piped stdin and no TENCENTCLOUD_SECRET_KEY: the key is not read from the pipe
    no_key = _cli(tmp_path, env, "--env", "prod", "--secret-id", secret_id("Root"), stdin=key + "\n")
    assert no_key.returncode == 2
    assert "TENCENTCLOUD_SECRET_KEY" in no_key.stderr
    # and there is no argument that takes a SecretKey
    bad = _cli(tmp_path, env, "--env", "prod", "--secret-id", secret_id("Root"), "--secret-key", key)
    assert bad.returncode == 2 and "命令行参数" in bad.stderr  # default language: zh
    for run in (ok, failed, no_key, bad):
        assert key not in run.stdout + run.stderr
        assert "Traceback" not in run.stdout + run.stderr
