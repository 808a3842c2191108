"""The first-call program, run for real: generated for a case, written to disk, executed by the
Python of this virtual environment (which has the Tencent Cloud SDK) against the fake E-Sign test
host on loopback, with the test environment's keys in the environment only."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from handlers.credentials.snippet import first_call_snippet
from handlers.validators import Invalid
from tests.fakes.tencentcloud import (
    APP_TEST,
    FakeTencentCloud,
    secret_id,
    secret_key,
    standard_cloud,
)


@pytest.fixture
def cloud() -> Iterator[FakeTencentCloud]:
    with standard_cloud().serving() as fake:
        yield fake


def run(program: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("ESIGNBOT_", "TENCENTCLOUD_", "ESSBASIC_"))}
    return subprocess.run([sys.executable, str(program)], capture_output=True, text=True,
                          encoding="utf-8", timeout=60, cwd=program.parent,
                          env={**base, "PYTHONIOENCODING": "utf-8", **env})


def test_the_snippet_brings_in_a_first_sub_enterprise_at_the_test_host(
        tmp_path: Path, cloud: FakeTencentCloud) -> None:
    out = first_call_snippet(APP_TEST, "test", 1)
    assert out.name == "esign_first_call_case1_test.py" and out.mime == "text/x-python"
    program = tmp_path / out.name
    program.write_bytes(out.content)
    source = out.content.decode("utf-8")
    ast.parse(source)  # a real Python program
    assert f"APP_ID = '{APP_TEST}'" in source
    assert "'essbasic.test.ess.tencent.cn'" in source and "tencentcloudapi.com'" not in source
    assert "from tencentcloud.essbasic.v20210526 import essbasic_client, models" in source
    # every field explained in both languages
    for field in ("Agent.AppId", "Agent.ProxyOrganizationOpenId", "Agent.ProxyOperator.OpenId",
                  "ProxyOrganizationName"):
        assert source.count(f"# {field}：") == 1 and source.count(f"# {field}: ") == 1, field
    assert "最多 64 个字符" in source and "at most 64 characters" in source

    done = run(program, ESSBASIC_ENDPOINT=cloud.test_endpoint,
               TENCENTCLOUD_SECRET_ID=secret_id("TestOnly"),
               TENCENTCLOUD_SECRET_KEY=secret_key("TestOnly"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("https://quick.test.qian.qq.com/login/")
    (call,) = cloud.calls
    assert (call.environment, call.action) == ("test", "CreateConsoleLoginUrl")
    assert call.params["Agent"]["AppId"] == APP_TEST
    assert call.params["Agent"]["ProxyOrganizationOpenId"]
    assert call.params["Agent"]["ProxyOperator"]["OpenId"]
    assert call.params["ProxyOrganizationName"].endswith("测试")  # the test host's rule


def test_a_wrong_key_exits_1_with_the_code(tmp_path: Path, cloud: FakeTencentCloud) -> None:
    out = first_call_snippet(APP_TEST, "test", 1)
    program = tmp_path / out.name
    program.write_bytes(out.content)
    wrong = run(program, ESSBASIC_ENDPOINT=cloud.test_endpoint,
                TENCENTCLOUD_SECRET_ID=secret_id("TestOnly"),
                TENCENTCLOUD_SECRET_KEY=secret_key("Wrong"))
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("AuthFailure.SignatureFailure: ")
    assert "Traceback" not in wrong.stdout + wrong.stderr
    assert secret_key("Wrong") not in wrong.stdout + wrong.stderr
    # a production key is unknown at the test host
    prod_key = run(program, ESSBASIC_ENDPOINT=cloud.test_endpoint,
                   TENCENTCLOUD_SECRET_ID=secret_id("Root"),
                   TENCENTCLOUD_SECRET_KEY=secret_key("Root"))
    assert prod_key.returncode == 1 and prod_key.stderr.startswith("AuthFailure.SecretIdNotFound")
    assert cloud.calls == []  # nothing was signed right
    # no keys in the environment: it says so, in both languages, and calls nobody
    none = run(program, ESSBASIC_ENDPOINT=cloud.test_endpoint)
    assert none.returncode == 2 and "TENCENTCLOUD_SECRET_KEY" in none.stderr
    assert len(cloud.seen) == 2


def test_the_production_snippet_and_what_is_never_written_into_code() -> None:
    source = first_call_snippet(APP_TEST, "prod", 1).content.decode("utf-8")
    assert "'essbasic.tencentcloudapi.com'" in source and "test.ess.tencent.cn'" not in source
    assert "'典子谦示例企业'" in source
    assert "AKID" not in source  # never a key
    with pytest.raises(Invalid):
        first_call_snippet(APP_TEST + "'; import os; os.system('x') #", "test", 1)
    with pytest.raises(ValueError):
        first_call_snippet(APP_TEST, "staging", 1)
