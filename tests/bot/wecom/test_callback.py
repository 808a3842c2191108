"""The WeCom self-built app over real HTTP: ``esignbot serve`` as a process on 127.0.0.1, WeCom's
callbacks encrypted and signed with wechatpy's crypto, and a local fake of the WeCom API that
records every ``gettoken``, ``message/send``, ``media/upload`` and ``media/get``."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from wechatpy.work.crypto import WeChatCrypto

from bot.wecom.render import split_text
from tests.conftest import png_bytes
from tests.fakes.local_server import clean_env, free_port, serving
from tests.fakes.tencentcloud import FakeTencentCloud, Key
from tests.fakes.wecom_api import FakeWeComApi
from tests.fakes.wecom_callbacks import WeComCallbacks

CORP = "ww5f0c3e1b2a9d8e7f"
AGENT = 1000002
SECRET = "app-secret-for-the-fake-0123456789abcdef"
TOKEN = "QDG6eK"
AES_KEY = base64.b64encode(hashlib.sha256(b"esignbot wecom tests").digest()).decode().rstrip("=")
APP_ID = "yDCWpUUckpvv76rqUxjIE8qvXHjCqG4t"

ONLINE_ROUTE = ["2", "1", "100016315204", "腾讯科技（深圳）有限公司", "1", "2", "3",
                "2", "合同助手", "微信小程序", "在线签署劳动合同的小程序", "5, 9", "2", "3", APP_ID, "1",
                "later"]
"""prod, verified account, UIN, name, online real-name (submitted, approved), the app by email
(2; the word "email" is the email command), main key, the key check put off."""
UNCHECKED = "四个步骤都回答了，但密钥还没有验证过能用"
"""How a case ends whose key check was put off (``later``)."""
OFFLINE_UNTIL_IMAGE = ["2", "1", "100016315204", "腾讯科技（深圳）有限公司", "2", "1",
                       "9144030071526726XG", "张三", "李四", "13812345678", "ops@example.com"]
"""production, verified account, UIN, name, offline enterprise until its licence."""


def wecom_env(api_url: str, **extra: str) -> dict[str, str]:
    settings = dict(WECOM_CORP_ID=CORP, WECOM_AGENT_ID=str(AGENT), WECOM_SECRET=SECRET,
                    WECOM_TOKEN=TOKEN, WECOM_AES_KEY=AES_KEY, WECOM_API_URL=api_url)
    return clean_env(**(settings | extra))  # ``extra`` may change one of ours


@dataclass
class Served:
    api: FakeWeComApi
    wecom: WeComCallbacks
    db: Path
    log: Path

    def rows(self, sql: str) -> list[tuple[object, ...]]:
        with sqlite3.connect(self.db) as conn:
            return conn.execute(sql).fetchall()

    def answers(self) -> dict[str, tuple[object, str]]:
        return {field: (json.loads(value), user) for field, value, user in
                self.rows("SELECT field, value, user_id FROM answers")}

    def say(self, user: str, *texts: str) -> None:
        for text in texts:
            self.wecom.text(user, text)

    def settle(self, user: str = "alice") -> None:
        """Wait until everything queued so far has been sent: the bot sends in one ordered
        queue, so once the reply to a fresh ``help`` arrives, all before it has too."""
        before = len(self.api.texts_to(user))
        self.wecom.text(user, "help")
        self.api.wait_for(lambda api: any(
            "可用命令" in text or "Commands (English" in text
            for text in api.texts_to(user)[before:]))


@contextmanager
def running(tmp_path: Path, **extra_env: str) -> Iterator[Served]:
    """``esignbot serve`` with the WeCom settings, its API at a local fake."""
    db = tmp_path / "esignbot.db"
    with FakeWeComApi(CORP, SECRET) as api, serving(db, wecom_env(api.url, **extra_env)) as server:
        wecom = WeComCallbacks(server.base, token=TOKEN, aes_key=AES_KEY, corp_id=CORP,
                               agent_id=AGENT)
        try:
            yield Served(api, wecom, db, server.log)
        finally:
            wecom.close()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    with running(tmp_path) as it:
        yield it


def test_url_verification_answers_the_decrypted_echostr(served: Served) -> None:
    answer = served.wecom.verify_url("4733523651285296318")
    assert answer.status_code == 200
    assert answer.text == "4733523651285296318"
    assert served.wecom.verify_url("123", token="another-token").status_code == 403
    assert httpx.get(served.wecom.url, params={"echostr": "x"}).status_code == 400


def test_two_members_share_one_case_through_a_whole_onboarding(served: Served) -> None:
    served.say("alice", "开始")
    served.api.wait_for(lambda api: any("第 1 步" in text for text in api.texts_to("alice")))
    served.say("bob", "状态")  # bob joins the corp's case by talking to the app
    served.api.wait_for(lambda api: any("案例 #1" in text for text in api.texts_to("bob")))
    for i, answer in enumerate(ONLINE_ROUTE):
        served.say("alice" if i % 2 == 0 else "bob", answer)
    for user in ("alice", "bob"):
        served.api.wait_for(lambda api, u=user: any(UNCHECKED in text for text in api.texts_to(u)))

    answers = served.answers()
    assert answers["uin"] == ("100016315204", "alice")
    assert answers["enterprise_name"] == ("腾讯科技（深圳）有限公司", "bob")
    assert answers["app_id"] == (APP_ID, "alice")
    assert answers["key_check"] == ("later", "alice")
    assert answers["whitelist_interfaces"][0] == ["VerifyUser", "CreateServerFlowSign"]
    assert served.rows("SELECT conversation, completed_at IS NOT NULL FROM cases") == [
        (f"wecom:{CORP}", 1)]
    assert {row[0] for row in served.rows("SELECT user_id FROM wecom_members")} == {"alice", "bob"}
    # Both saw each other's answers confirmed: one case, one conversation, two private chats.
    for user in ("alice", "bob"):
        texts = "\n".join(served.api.texts_to(user))
        assert "✔ 已保存「主账号 UIN」：100016315204" in texts
        assert "✔ 已保存「企业名称」：腾讯科技（深圳）有限公司" in texts
    # Choices arrive numbered, with a button card beside them.
    assert any("1. 测试环境（联调）" in text for text in served.api.texts_to("alice"))
    card = served.api.cards_to("alice")[0]
    assert card["card_type"] == "button_interaction"
    assert [b["key"] for b in card["button_list"]] == ["environment|test", "environment|prod"]
    # Every call carried a token from gettoken, and gettoken was asked once (it is cached).
    assert served.api.paths().count("gettoken") == 1


def test_answers_are_recorded_under_the_members_directory_name_else_the_userid(
        served: Served) -> None:
    served.api.names["alice"] = "王小丽"  # bob is not in the app's visible range
    served.say("alice", "开始")
    served.api.wait_for(lambda api: any("第 1 步" in text for text in api.texts_to("alice")))
    served.say("alice", "2")
    served.say("bob", "1")
    served.say("bob", "状态")
    served.api.wait_for(lambda api: any("案例 #1" in text for text in api.texts_to("bob")))
    status = next(text for text in served.api.texts_to("bob") if "案例 #1" in text)
    assert "由 王小丽 于" in status and "王小丽，" in status and "bob，" in status
    assert served.rows("SELECT field, user_id, user_name FROM answers ORDER BY field") == [
        ("environment", "alice", "王小丽"), ("has_verified_account", "bob", "bob")]
    assert served.rows("SELECT created_by, created_by_name FROM cases") == [("alice", "王小丽")]
    # One lookup per member however many messages (the refusal for bob is remembered too).
    assert sorted(c.query["userid"] for c in served.api.calls if c.path == "user/get") == [
        "alice", "bob"]


def test_help_is_private_and_commands_work_in_both_languages(served: Served) -> None:
    served.say("alice", "start", "2")
    served.say("bob", "帮助")
    served.api.wait_for(lambda api: any("可用命令" in text for text in api.texts_to("bob")))
    assert not any("可用命令" in text for text in served.api.texts_to("alice"))
    served.say("bob", "back")
    served.api.wait_for(lambda api: sum("这次接入用于哪个环境" in t for t in api.texts_to("bob")) >= 1)
    served.say("alice", "lang en")
    served.api.wait_for(lambda api: any("Switched to English" in t for t in api.texts_to("bob")))
    served.say("alice", "1", "status")
    served.api.wait_for(lambda api: any("Case #1" in t for t in api.texts_to("bob")))
    assert served.answers()["environment"] == ("test", "alice")


def test_a_repeated_msgid_is_answered_once(served: Served) -> None:
    envelope = served.wecom.seal(served.wecom.text_xml("alice", "开始", msg_id=424242))
    assert served.wecom.deliver(envelope).status_code == 200
    assert served.wecom.deliver(envelope).status_code == 200  # WeCom's retry
    served.settle()
    welcomes = [t for t in served.api.texts_to("alice") if t.startswith("你好！")]
    assert len(welcomes) == 1
    assert served.rows("SELECT count(*) FROM cases") == [(1,)]
    assert served.rows("SELECT count(*) FROM events WHERE event_id LIKE '%:msg:424242'") == [(1,)]


def test_requests_wecom_did_not_send_are_refused_and_leave_no_trace(served: Served) -> None:
    wecom = served.wecom
    good = wecom.seal(wecom.text_xml("mallory", "开始"))
    bad_signature = {**good.query, "msg_signature": "0" * 40}
    assert httpx.post(wecom.url, params=bad_signature, content=good.body).status_code == 403
    other_corp = wecom.seal(wecom.text_xml("mallory", "开始"),
                            crypto=WeChatCrypto(TOKEN, AES_KEY, "wwanothercorp0000"))
    assert wecom.deliver(other_corp).status_code == 403
    assert httpx.post(wecom.url, params=good.query, content=b"not xml at all").status_code == 400
    truncated = good.body[: len(good.body) // 2]
    assert httpx.post(wecom.url, params=good.query, content=truncated).status_code == 400
    assert httpx.post(wecom.url, content=good.body).status_code == 400  # no signature at all
    assert httpx.post(wecom.url, params=good.query, content=b"").status_code == 400
    huge = b"<xml>" + b"a" * (300 * 1024) + b"</xml>"
    assert httpx.post(wecom.url, params=good.query, content=huge).status_code == 413
    other_agent = WeComCallbacks(wecom.url.removesuffix("/wecom/callback"), token=TOKEN,
                                 aes_key=AES_KEY, corp_id=CORP, agent_id=AGENT + 1)
    try:
        envelope = other_agent.seal(other_agent.text_xml("mallory", "开始"))
        assert other_agent.deliver(envelope).status_code == 403
    finally:
        other_agent.close()

    for table in ("cases", "events", "history", "answers", "wecom_members"):
        assert served.rows(f"SELECT count(*) FROM {table}") == [(0,)], table
    assert "message/send" not in served.api.paths()
    # The same message, as WeCom sends it, is then accepted.
    assert wecom.deliver(good).status_code == 200
    served.api.wait_for(lambda api: any("第 1 步" in t for t in api.texts_to("mallory")))


def test_a_card_tap_answers_its_question_and_a_stale_tap_is_refused_privately(
        served: Served) -> None:
    served.say("alice", "开始")
    served.api.wait_for(lambda api: len(api.cards_to("alice")) == 1)
    card = served.api.cards_to("alice")[0]
    test_key = card["button_list"][0]["key"]
    served.wecom.post(served.wecom.card_click_xml("alice", test_key, card["task_id"], "RC-1"))
    served.api.wait_for(lambda api: any(
        c.path == "message/update_template_card" and c.body and c.body["response_code"] == "RC-1"
        for c in api.calls))
    served.api.wait_for(lambda api: any("已保存「环境」：测试环境（联调）" in t
                                        for t in api.texts_to("alice")))
    assert served.answers()["environment"] == ("test", "alice")
    update = next(c.body for c in served.api.calls if c.path == "message/update_template_card")
    assert update == {"userids": ["alice"], "agentid": AGENT, "response_code": "RC-1",
                      "button": {"replace_name": "已提交"}}

    # bob taps the other button of the same, now answered, card: refused, and only he hears it.
    prod_key = card["button_list"][1]["key"]
    served.wecom.post(served.wecom.card_click_xml("bob", prod_key, card["task_id"], "RC-2"))
    served.api.wait_for(lambda api: any(
        c.path == "message/update_template_card" and c.body and c.body["response_code"] == "RC-2"
        for c in api.calls))
    served.settle()
    bob = served.api.texts_to("bob")
    assert any("按钮" in t or "问题" in t for t in bob), bob
    stale = [t for t in bob if t not in served.api.texts_to("alice")]
    assert stale, "the refusal went to bob alone"
    second = [c.body for c in served.api.calls if c.path == "message/update_template_card"][1]
    assert second is not None
    assert second["userids"] == ["bob"] and second["button"] == {"replace_name": "已失效"}
    assert served.answers()["environment"] == ("test", "alice")


def test_an_image_is_downloaded_and_kept_as_the_licence_after_the_callback_returned(
        served: Served) -> None:
    served.say("alice", "开始", *OFFLINE_UNTIL_IMAGE)
    served.api.wait_for(lambda api: any("营业执照的照片" in t for t in api.texts_to("alice")))
    # Shared with the corp's members, personal data is masked.
    texts = "\n".join(served.api.texts_to("alice"))
    assert "138****5678" in texts and "13812345678" not in texts

    image = png_bytes(4, 3)
    served.api.add_media("MEDIA-LICENCE-1", image, "image/png", "licence.png")
    with served.api.held():
        served.wecom.post(served.wecom.image_xml("alice", "MEDIA-LICENCE-1"))
        # The callback was answered while the download is still waiting at the fake API.
        served.api.wait_for(lambda api: "media/get" in api.arrived)
        assert "media/get" not in served.api.paths()
        assert served.answers().get("license_image") is None
        # The download was written down before the 200: a job, not work in memory (issue 27).
        assert served.rows("SELECT kind, state FROM jobs") == [("wecom.image", "running")]
    served.api.wait_for(lambda api: any("已保存「多合一营业执照」" in t
                                        for t in api.texts_to("alice")))
    value, user = served.answers()["license_image"]
    assert user == "alice"
    assert isinstance(value, dict) and value["mime"] == "image/png"
    stored = served.rows("SELECT data FROM files")
    assert stored == [(image,)]
    assert value["file_id"] == hashlib.sha256(image).hexdigest()
    get = next(c for c in served.api.calls if c.path == "media/get")
    assert get.query["media_id"] == "MEDIA-LICENCE-1"


def test_an_image_that_is_not_an_image_or_out_of_place_is_refused(served: Served) -> None:
    def told(api: FakeWeComApi, words: str) -> bool:
        return any(words in t for t in api.texts_to("alice"))

    served.say("alice", "开始")
    served.api.add_media("MEDIA-2", png_bytes(), "image/png", "x.png")
    served.wecom.post(served.wecom.image_xml("alice", "MEDIA-2"))
    served.api.wait_for(lambda api: told(api, "现在不需要文件"))
    assert served.rows("SELECT count(*) FROM files") == [(0,)]
    assert served.rows("SELECT count(*) FROM answers") == [(0,)]
    served.say("alice", *OFFLINE_UNTIL_IMAGE)
    served.api.wait_for(lambda api: told(api, "营业执照的照片"))
    served.api.add_media("MEDIA-3", b"GIF89a not a photo", "image/gif", "x.gif")
    served.wecom.post(served.wecom.image_xml("alice", "MEDIA-3"))
    served.api.wait_for(lambda api: told(api, "只接受 JPEG 或 PNG 图片"))
    served.wecom.post(served.wecom.image_xml("alice", "MEDIA-UNKNOWN"))
    served.api.wait_for(lambda api: told(api, "没能从企业微信取回这张图片"))
    assert served.rows("SELECT count(*) FROM files") == [(0,)]
    assert "license_image" not in served.answers()


def test_the_callback_returns_before_the_slow_api_answers(served: Served) -> None:
    with served.api.held():
        response = served.wecom.text("alice", "开始")
        assert response.status_code == 200
        # Inside WeCom's 5 s although the directory (user/get) never answered: the input went
        # ahead under the UserID.
        assert response.elapsed.total_seconds() < 5
        # Committed before the answer: the case exists while no message has been delivered.
        assert served.rows("SELECT created_by_name FROM cases") == [("alice",)]
        served.api.wait_for(lambda api: len(api.arrived) >= 1)
        assert "message/send" not in served.api.paths()
    served.api.wait_for(lambda api: any("第 1 步" in t for t in api.texts_to("alice")))


def test_other_kinds_of_message_get_one_sentence_and_events_none(served: Served) -> None:
    served.wecom.post(served.wecom.voice_xml("alice"))
    served.wecom.post(served.wecom.enter_agent_xml("alice"))
    served.settle()
    texts = served.api.texts_to("alice")
    assert sum("这种消息我还处理不了" in t for t in texts) == 1
    assert served.rows("SELECT count(*) FROM cases") == [(0,)]
    # A custom-menu item whose key is a command word works like typing it.
    served.wecom.post(served.wecom.menu_click_xml("alice", "开始"))
    served.api.wait_for(lambda api: any("第 1 步" in t for t in api.texts_to("alice")))
    assert served.rows("SELECT count(*) FROM cases") == [(1,)]


@given(st.text(alphabet=st.sampled_from("ab中文🎉\n "), max_size=3000),
       st.integers(min_value=8, max_value=2048))
def test_long_replies_are_split_within_wecoms_byte_limit(text: str, limit: int) -> None:
    pieces = split_text(text, limit)
    assert all(len(piece.encode()) <= limit for piece in pieces)
    assert "".join("".join(pieces).split()) == "".join(text.split())  # nothing but spaces lost
    if text.strip() and len(text.encode()) <= limit:
        assert pieces == [text]


def test_files_are_uploaded_and_sent_the_workbook_to_all_the_materials_to_one(
        served: Served) -> None:
    served.say("alice", "开始")
    served.api.wait_for(lambda api: any("第 1 步" in t for t in api.texts_to("alice")))
    served.say("bob", "状态")
    served.say("alice", *OFFLINE_UNTIL_IMAGE)
    served.api.wait_for(lambda api: any("营业执照的照片" in t for t in api.texts_to("alice")))
    image = png_bytes(5, 5)
    served.api.add_media("MEDIA-LICENCE", image, "image/png", "营业执照.png")
    served.wecom.post(served.wecom.image_xml("alice", "MEDIA-LICENCE"))
    served.api.wait_for(lambda api: any("已保存「多合一营业执照」" in t
                                        for t in api.texts_to("alice")))
    served.say("bob", "2", "3", "2", "合同助手", "微信小程序", "在线签署劳动合同的小程序", "5, 9")
    # Stage 3 complete: the application workbook is handed over unasked, to every member.
    served.api.wait_for(lambda api: any(m.get("msgtype") == "file" for m in api.sent_to("alice")))
    workbook_message = next(m for m in served.api.sent() if m.get("msgtype") == "file")
    assert set(workbook_message["touser"].split("|")) == {"alice", "bob"}
    upload = served.api.uploads[workbook_message["file"]["media_id"]]
    assert upload.type == "file" and upload.filename.endswith(".xlsx")
    cells = {str(c.value) for row in openpyxl.load_workbook(io.BytesIO(upload.content)).active
             for c in row if c.value is not None}
    assert {"100016315204", "腾讯科技（深圳）有限公司", "合同助手"} <= cells

    # The materials package holds unmasked personal data: bob never gave any, so he is told
    # who can ask (docs/privacy.md); alice, who gave them, gets it, and only she.
    served.say("bob", "材料")
    served.api.wait_for(lambda api: any("只交给填写这些信息的成员" in t for t in api.texts_to("bob")))
    served.say("alice", "材料")
    served.api.wait_for(lambda api: sum(m.get("msgtype") == "file" for m in api.sent()) == 2)
    package_message = [m for m in served.api.sent() if m.get("msgtype") == "file"][1]
    assert package_message["touser"] == "alice"
    package = served.api.uploads[package_message["file"]["media_id"]]
    assert package.filename.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(package.content)) as archive:
        contents = [archive.read(name) for name in archive.namelist()]
    assert image in contents  # the very bytes alice sent through WeCom


SECRET_ID = "AKID" + "Z9q8R7s6T5u4V3w2X1y0A9b8C7d6E5f4"
SECRET_KEY = "Gh7Jk8Lm9Np0Qr1St2Uv3Wx4Yz5Ab6Cd"


def cloud_knowing_the_key() -> FakeTencentCloud:
    """A fake Tencent Cloud where ``SECRET_ID``/``SECRET_KEY`` is a sub-account's key of the
    UIN the onboarding gives, and ``APP_ID`` exists in production."""
    cloud = FakeTencentCloud()
    cloud.add_key(Key(SECRET_ID, SECRET_KEY, account_id="100016315204", user_id="100016315204",
                      type="CAMUser"))
    cloud.apps["prod"][APP_ID] = "ok"
    return cloud


def test_keys_are_checked_from_a_private_chat_and_the_result_goes_to_every_member(
        tmp_path: Path) -> None:
    cloud = cloud_knowing_the_key()
    with cloud.serving(), running(tmp_path, ESIGNBOT_TENCENTCLOUD_ENDPOINT=cloud.endpoint,
                                  ESIGNBOT_TENCENTCLOUD_TEST_ENDPOINT=cloud.test_endpoint) as served:
        served.say("alice", "开始", *ONLINE_ROUTE[:-2])
        served.say("bob", "1")  # the main account's key; the last question is the check itself
        served.api.wait_for(lambda api: any("现在检查密钥吗" in t for t in api.texts_to("alice")))

        served.say("bob", "检查")
        served.api.wait_for(lambda api: any("检查 <SecretId> <SecretKey>" in t
                                            for t in api.texts_to("bob")))
        assert not any("<SecretId>" in t for t in served.api.texts_to("alice"))
        assert not any("群里" in t for t in served.api.texts_to("bob"))  # this chat is private

        served.say("bob", "检查 AKIDonlythis")  # not a SecretId: how to send the keys, privately
        served.api.wait_for(lambda api: any("检查密钥的格式" in t for t in api.texts_to("bob")))
        served.say("bob", f"检查 {SECRET_ID}")  # a SecretId without its key: the same
        served.api.wait_for(lambda api: sum("检查密钥的格式" in t for t in api.texts_to("bob")) == 2)
        assert not any("检查密钥的格式" in t for t in served.api.texts_to("alice"))

        envelope = served.wecom.seal(served.wecom.text_xml("bob", f"检查 {SECRET_ID} {SECRET_KEY}"))
        assert served.wecom.deliver(envelope).status_code == 200
        assert served.wecom.deliver(envelope).status_code == 200  # WeCom's retry: one check
        for user in ("alice", "bob"):
            served.api.wait_for(lambda api, u=user: any("结论：全部通过" in t
                                                        for t in api.texts_to(u)))
        served.settle()
        assert sum("🔐 API 密钥检查" in t for t in served.api.texts_to("alice")) == 1
        assert any("正在用这对密钥" in t for t in served.api.texts_to("bob"))
        assert not any("正在用这对密钥" in t for t in served.api.texts_to("alice"))
        assert served.rows("SELECT user_id, outcome FROM credential_checks") == [("bob", "pass")]
        assert sum(c.action == "GetCallerIdentity" for c in cloud.calls) == 1
        # The passing check for the case's own environment is the last answer: onboarding is done.
        for user in ("alice", "bob"):
            served.api.wait_for(lambda api, u=user: any("🎉 接入完成" in t for t in api.texts_to(u)))
        assert served.answers()["key_check"] == ("passed", "bob")
        assert served.rows("SELECT completed_at IS NOT NULL FROM cases") == [(1,)]

        # A pair pasted with other words is a check too, never an answer to the dialogue.
        served.say("alice", f"我们的密钥 {SECRET_ID} {SECRET_KEY} test")
        served.api.wait_for(lambda api: sum("🔐 API 密钥检查" in t
                                            for t in api.texts_to("bob")) == 2)
        history = served.rows("SELECT count(*) FROM history")
        served.settle()
        assert served.rows("SELECT count(*) FROM history") == history

    files = [tmp_path / name for name in ("esignbot.db", "esignbot.db-wal", "serve.log")]
    for path in files:
        if path.exists():
            assert SECRET_KEY.encode() not in path.read_bytes(), path.name
            assert SECRET_ID.encode() not in path.read_bytes(), path.name


@pytest.mark.parametrize(("unset", "changed", "named"), [
    (("WECOM_SECRET", "WECOM_TOKEN"), {}, ("WECOM_SECRET", "WECOM_TOKEN")),
    ((), {"WECOM_AES_KEY": "too-short"}, ("WECOM_AES_KEY",)),
    ((), {"WECOM_AGENT_ID": "agent-one"}, ("WECOM_AGENT_ID",)),
])
def test_serve_refuses_a_half_configured_wecom_and_names_what_to_fix(
        tmp_path: Path, unset: tuple[str, ...], changed: dict[str, str],
        named: tuple[str, ...]) -> None:
    env = wecom_env("http://127.0.0.1:9/cgi-bin/", **changed)
    for name in unset:
        del env[name]
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(free_port()),
         "--db", str(tmp_path / "esignbot.db")],
        cwd=tmp_path, env=env, capture_output=True, text=True, encoding="utf-8", timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    for name in named:
        assert name in proc.stderr
    assert SECRET not in proc.stderr and AES_KEY not in proc.stderr


def test_cancelling_by_card_is_told_to_every_member(served: Served) -> None:
    served.say("alice", "开始", "2")
    served.say("bob", "状态")
    served.say("bob", "取消")
    served.api.wait_for(lambda api: any(c["main_title"]["title"].startswith("确定要取消")
                                        for c in api.cards_to("alice")))
    card = next(c for c in served.api.cards_to("alice")
                if c["main_title"]["title"].startswith("确定要取消"))
    yes = next(b["key"] for b in card["button_list"] if b["key"].endswith("|yes"))
    served.wecom.post(served.wecom.card_click_xml("alice", yes, card["task_id"]))
    for user in ("alice", "bob"):
        served.api.wait_for(lambda api, u=user: any("案例 #1 已取消" in t for t in api.texts_to(u)))
    assert served.rows("SELECT state FROM cases") == [("cancelled",)]
    # The corp's next case is still everyone's: bob hears it start without messaging again.
    before = len(served.api.texts_to("bob"))
    served.say("alice", "开始")
    served.api.wait_for(lambda api: any("你好" in t for t in api.texts_to("bob")[before:]))
    assert served.rows("SELECT case_id, user_id FROM wecom_members WHERE case_id = 2 "
                       "ORDER BY user_id") == [(2, "alice"), (2, "bob")]
