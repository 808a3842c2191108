"""Keys as Tencent issues them (issue 25), through the front doors: ``esignbot console`` and
``esignbot check-credentials`` as real processes, Slack and WeCom through ``esignbot serve``, the
fake Tencent Cloud on loopback checking every TC3 signature, and the SQLite files opened again.

The E-Sign console's 获取密钥 issues ``AK`` + 32 / ``SK`` + 32 (34 characters each); Tencent
Cloud's CAM issues ``AKID`` + 32 and 32, and ``IKID…`` SecretIds appear too. Every entry point
takes them all, refuses only what cannot be a key, and the call decides. A key of any form is
never stored or echoed, on any path; an app ID is taken where an app ID is asked.
"""

from __future__ import annotations

import json
import sqlite3
import string
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers import Dialogue, Inbound
from storage import CaseStore
from tests.bot.console.test_routes import TEST_ON_CONSOLE
from tests.bot.credentials.test_routes import _env, by_name
from tests.conftest import run_console
from tests.fakes.tencentcloud import (
    APP_PROD,
    APP_TEST,
    UIN,
    FakeTencentCloud,
    Key,
    console_env,
    esign_secret_id,
    esign_secret_key,
    secret_id,
    secret_key,
    standard_cloud,
)

PROD_TO_APP_STATUS = ["2", "1", UIN, "腾讯科技（深圳）有限公司", "1", "2", "3", "2", "合同助手",
                      "微信小程序", "在线签署劳动合同的小程序", "5, 9"]
"""A production case on the guide's route (bank transfer done, real name online, the Excel by
email), up to "Where are you with the app ID application?"."""
IKID = "IKID" + "q3Lm8Nx2Vb7Ck4Zr9Tw1Yh6Pd5Fs0Gj3"
IKID_KEY = "Hn4Vc8Xz2Lk6Jq9Wm3Rt7Yp1Bs5Df0Ga"

ALNUM = string.ascii_letters + string.digits
tails = st.text(ALNUM, min_size=32, max_size=32).filter(
    lambda s: any(c.isdigit() for c in s) and any(c.isalpha() for c in s))
SHAPES = {
    "cam_id": lambda tail: "AKID" + tail,
    "ikid": lambda tail: "IKID" + tail,
    "esign_id": lambda tail: "AK" + tail,
    "esign_key": lambda tail: "SK" + tail,
    "cam_key": lambda tail: tail,
}


@pytest.fixture
def cloud() -> Iterator[FakeTencentCloud]:
    fake = standard_cloud()
    fake.add_key(Key(IKID, IKID_KEY, UIN, UIN))
    with fake.serving() as served:
        yield served


def _answers(db: Path) -> dict[str, Any]:
    with sqlite3.connect(db) as conn:
        return {f: json.loads(v) for f, v in conn.execute("SELECT field, value FROM answers")}


def _everything_on_disk(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


# -- the console -------------------------------------------------------------------------------
def test_a_test_case_on_the_console_route_finishes_with_the_keys_the_esign_console_issues(
        tmp_path: Path, cloud: FakeTencentCloud) -> None:
    key = esign_secret_key("Test")
    out = run_console(tmp_path, [*TEST_ON_CONSOLE, "check", esign_secret_id("Test")],
                      env=console_env(cloud, key))
    assert "🎉 Onboarding is done" in out, out[-2000:]
    assert "AK****" + esign_secret_id("Test")[-4:] in out  # masked by its own prefix
    assert _answers(tmp_path / "esignbot.db")["key_check"] == "passed"
    assert {environment for environment, _, _ in cloud.seen} == {"test"}
    program = tmp_path / "out" / "esign_first_call_case1_test.py"  # named by case and environment
    assert APP_TEST in program.read_text(encoding="utf-8")
    assert key not in out and key.encode() not in _everything_on_disk(tmp_path)


def test_the_guides_sub_account_finishes_a_production_case_and_an_app_id_is_taken_at_the_status_question(
        tmp_path: Path, cloud: FakeTencentCloud) -> None:
    key = secret_key("SubNoCam")  # QcloudESSBASICFullAccess alone: it may not read CAM
    out = run_console(tmp_path, [*PROD_TO_APP_STATUS, APP_PROD, "2", "check",
                                 secret_id("SubNoCam")], env=console_env(cloud, key))
    assert "请马上在" not in out  # the app ID was never taken for a leaked SecretKey
    answers = _answers(tmp_path / "esignbot.db")
    assert answers["app_status"] == "approved" and answers["app_id"] == APP_PROD
    assert "➖ 电子签权限：不需要查" in out
    assert "🎉 接入完成" in out, out[-2000:]
    assert answers["key_check"] == "passed"
    assert "UnauthorizedOperation" in cloud.rejected  # CAM refused the lookup, E-Sign said yes


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_key_shape_is_refused_by_edit_and_as_an_answer_and_never_echoed(
        tmp_path: Path, shape: str) -> None:
    token = SHAPES[shape]("Zz9" + "q1W2e3R4t5Y6u7I8o9P0a1S2d3F4g5"[:29])
    out = run_console(tmp_path, ["2", "1", UIN, f"edit enterprise_name {token}", token,
                                 f"修改 企业名称 {token}"])
    assert token not in out
    assert "enterprise_name" not in _answers(tmp_path / "esignbot.db")
    assert token.encode() not in _everything_on_disk(tmp_path)
    assert out.count("我没有") >= 3  # each of the three said what was done with it: nothing


def test_an_app_id_is_an_app_id_where_one_is_asked_and_in_edit_app_id(tmp_path: Path) -> None:
    out = run_console(tmp_path, [*TEST_ON_CONSOLE[:8], APP_TEST, f"edit app_id {APP_PROD}"])
    assert "rotate" not in out and "disable that key" not in out
    assert f"> {APP_TEST}\n" in out and f"> edit app_id {APP_PROD}\n" in out  # echoed as typed
    assert _answers(tmp_path / "esignbot.db")["app_id"] == APP_PROD


# -- check-credentials -------------------------------------------------------------------------
@pytest.mark.parametrize(("secret", "key", "args"), [
    (esign_secret_id("Test"), esign_secret_key("Test"), ("--env", "test", "--app-id", APP_TEST)),
    (esign_secret_id("Prod"), esign_secret_key("Prod"), ("--env", "prod", "--app-id", APP_PROD)),
    (IKID, IKID_KEY, ("--env", "prod", "--uin", UIN, "--app-id", APP_PROD)),
    (secret_id("Root"), secret_key("Root"), ("--env", "prod", "--uin", UIN, "--app-id", APP_PROD)),
], ids=["esign-test", "esign-prod", "ikid", "akid"])
def test_check_credentials_takes_every_form_tencent_issues(
        tmp_path: Path, cloud: FakeTencentCloud, secret: str, key: str, args: tuple[str, ...]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "check-credentials", "--secret-id", secret, "--json",
         "--lang", "en", *args], capture_output=True, text=True, encoding="utf-8", timeout=120,
        cwd=tmp_path, env={**_env(cloud, key)})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["outcome"] == "pass"
    assert by_name(report)["key_valid"]["status"] == "pass"
    assert key not in proc.stdout + proc.stderr


@pytest.mark.parametrize(("secret", "said"), [
    ("AK 12345678901234567890", "no spaces or line breaks inside"),
    ("AKID１２３４５６７８９０abcdefghijkl中文", "other characters"),
    ("AK1234", "This is not a whole SecretId"),
    ("A" * 200, "this has 200"),
])
def test_check_credentials_refuses_only_what_cannot_be_a_key(
        tmp_path: Path, cloud: FakeTencentCloud, secret: str, said: str) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "check-credentials", "--secret-id", secret, "--lang",
         "en", "--env", "test"], capture_output=True, text=True, encoding="utf-8", timeout=120,
        cwd=tmp_path, env=_env(cloud, esign_secret_key("Test")))
    assert proc.returncode == 2 and said in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and cloud.seen == []


# -- the one guard, over the whole space of shapes ---------------------------------------------
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=st.sampled_from(list(SHAPES)), tail=tails, private=st.booleans(),
       how=st.sampled_from(["{}", "edit enterprise_name {}", "修改 企业名称 {}", "check {}",
                            "our key: {}", "/esign edit uin {}"]))
def test_no_key_of_any_shape_is_ever_stored(tmp_path: Path, shape: str, tail: str, private: bool,
                                            how: str) -> None:
    token = SHAPES[shape](tail)
    name = f"{uuid.uuid4().hex}.db"
    store = CaseStore(tmp_path / name)
    try:
        dialogue = Dialogue(store)
        where = {"platform": "console", "conversation": "console:x", "user_id": "u",
                 "user_name": "u", "private": private}
        for text in ("start", "2", "1", UIN):
            dialogue.handle(Inbound(text=text, **where))
        replies = dialogue.handle(Inbound(text=how.format(token), **where))
        assert replies and replies[0].kind == "error"
        assert all(token not in r.text for r in replies)
        with store.transaction() as tx:
            case = tx.active_case("console:x")
            assert case is not None
            assert all(token not in json.dumps(a.value) for a in tx.answers(case.id).values())
    finally:
        store.close()
    assert token.encode() not in b"".join(p.read_bytes() for p in tmp_path.glob(f"{name}*"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(app_id=tails)
def test_an_app_id_is_taken_at_the_app_id_question_even_in_a_shared_conversation(
        tmp_path: Path, app_id: str) -> None:
    store = CaseStore(tmp_path / f"{uuid.uuid4().hex}.db")
    try:
        dialogue = Dialogue(store)
        where = {"platform": "slack", "conversation": "slack:T:C", "user_id": "u",
                 "user_name": "u", "private": False}
        for text in ("start", "1", "console", "2", "Acme Test Ltd", "Contract helper", "pc web",
                     "Signs labour contracts online", app_id):
            replies = dialogue.handle(Inbound(text=text, **where))
        assert not any(r.kind == "error" for r in replies), [r.text for r in replies]
        with store.transaction() as tx:
            case = tx.active_case("slack:T:C")
            assert case is not None and tx.answers(case.id)["app_id"].value == app_id
    finally:
        store.close()


# -- Slack and WeCom through serve -------------------------------------------------------------
def test_slack_modal_takes_esign_keys_and_a_lone_secret_id_in_a_dm_is_never_kept(tmp_path: Path) -> None:
    from tests.bot.slack.test_app import Thread, start, texts
    from tests.fakes.slack_world import slack_world

    with slack_world(tmp_path) as world:
        world.tencent.add_key(Key(esign_secret_id("Test"), esign_secret_key("Test"), "esign-test",
                                  "esign-test", environments=frozenset({"test"})))
        world.tencent.apps["test"][APP_TEST] = "ok"
        thread: Thread = start(world, "CSHAPE")
        thread.click("测试环境（联调）")
        thread.click("控制台自助创建（应用集成，几分钟，无需审核）")
        thread.click("已创建并完成认证")
        for text in ("测试科技有限公司", "合同助手"):
            thread.say(text)
        thread.click("PC Web")
        thread.say("在线签署合同")
        assert "请马上" not in texts(thread.say(APP_TEST))  # an app ID, not a leaked key
        thread.say("skip")
        thread.command("check")
        view = [c for c in world.api.calls if c.method == "views.open"][-1].params["view"]
        values = {"secret_id": {"value": {"type": "plain_text_input", "value": esign_secret_id("Test")}},
                  "secret_key": {"value": {"type": "plain_text_input", "value": esign_secret_key("Test")}},
                  "environment": {"value": {"type": "static_select",
                                            "selected_option": {"value": "test"}}}}
        response = world.sender.submit_view(view, values)
        assert response.status_code == 200 and response.text == "", response.text  # no field errors
        world.api.wait_for(lambda calls: any(
            c.method == "chat.postMessage" and "🎉 接入完成" in c.text() for c in calls))
        assert world.answers("CSHAPE")["key_check"] == "passed"

        # A production case in a DM: `check`, then the SecretId alone at a free-text question.
        for text in ("start", "2", "1"):
            world.sender.message(text, channel="DSHAPE", channel_type="im", user="U2")
            world.settle("DSHAPE")
        before = world.answers("DSHAPE")
        world.sender.message("check", channel="DSHAPE", channel_type="im", user="U2")
        world.settle("DSHAPE")
        lone = secret_id("Root")
        world.sender.message(lone, channel="DSHAPE", channel_type="im", user="U2")
        calls = world.settle("DSHAPE")
        assert world.answers("DSHAPE") == before
        assert "SecretId" in texts(calls) + texts(calls, "chat.postEphemeral")
        everything = "\n".join(json.dumps(c.params, ensure_ascii=False) for c in world.api.calls)
        assert lone not in everything and esign_secret_key("Test") not in everything
        assert lone.encode() not in b"".join(p.read_bytes() for p in world.db.parent.glob("esignbot.db*"))


def test_wecom_checks_esign_keys_from_a_private_chat_and_edit_never_stores_one(tmp_path: Path) -> None:
    from tests.bot.wecom.test_callback import running
    from tests.bot.wecom.test_console_route import WALK

    cloud = standard_cloud()
    key = esign_secret_key("Test")
    with cloud.serving(), running(tmp_path, ESIGNBOT_TENCENTCLOUD_ENDPOINT=cloud.endpoint,
                                  ESIGNBOT_TENCENTCLOUD_TEST_ENDPOINT=cloud.test_endpoint) as served:
        served.say("alice", *WALK)
        served.api.wait_for(lambda api: any("现在检查密钥吗" in t for t in api.texts_to("alice")))
        served.say("alice", f"修改 企业名称 {key}")
        served.api.wait_for(lambda api: any("我没有" in t and "SecretKey" in t
                                            for t in api.texts_to("alice")))
        assert served.answers()["enterprise_name"][0] == "测试科技有限公司"
        served.say("bob", f"检查 {esign_secret_id('Test')} {key}")
        served.api.wait_for(lambda api: any("🎉 接入完成" in t for t in api.texts_to("alice")))
        served.settle()
        assert served.rows("SELECT outcome FROM credential_checks") == [("pass",)]
        assert not any(key in t for t in served.api.texts_to("alice") + served.api.texts_to("bob"))
    assert {environment for environment, _, _ in cloud.seen} == {"test"}
    for path in (tmp_path / "esignbot.db", tmp_path / "esignbot.db-wal", tmp_path / "serve.log"):
        if path.exists():
            assert key.encode() not in path.read_bytes(), path.name
