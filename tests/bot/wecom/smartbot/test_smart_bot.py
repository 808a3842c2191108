"""The WeCom smart bot through its front door: ``esignbot wecom --bot`` as a real process, its
long connection to a fake of WeCom's server on 127.0.0.1 (``tests/fakes/wecom_bot_server.py``,
which the official SDK is held against in ``test_fake_speaks_sdk.py``).

Single chats and a group of two, card taps, an encrypted picture stored whole, the workbook
posted back as a file, a dropped connection, a redelivered message, keys in a group."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from tests.bot.wecom.test_callback import (
    APP_ID,
    OFFLINE_UNTIL_IMAGE,
    ONLINE_ROUTE,
    SECRET_ID,
    SECRET_KEY,
    UNCHECKED,
    cloud_knowing_the_key,
)
from tests.conftest import noisy_jpeg
from tests.fakes.local_server import clean_env, serving, stop_process
from tests.fakes.wecom_bot_server import FakeWeComBot

BOT = "aib-test-bot"
SECRET = "bot-secret"
GROUP = "wrkSFfCgAAtestgroup"


def bot_env(fake: FakeWeComBot, **extra: str) -> dict[str, str]:
    return clean_env(WECOM_BOT_ID=BOT, WECOM_BOT_SECRET=SECRET, WECOM_BOT_URL=fake.url,
                     ESIGNBOT_SCHEDULER_SECONDS="0.5", **extra)


@dataclass
class Bot:
    fake: FakeWeComBot
    proc: subprocess.Popen[bytes]
    db: Path
    log: Path

    def rows(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        with sqlite3.connect(self.db) as conn:
            return conn.execute(sql, args).fetchall()

    def rows_become(self, sql: str, expected: list[tuple[Any, ...]], timeout: float = 30) -> None:
        """Wait until ``sql`` reads ``expected`` (a job is marked done after its turn's replies
        are already on their way)."""
        deadline = time.monotonic() + timeout
        while (found := self.rows(sql)) != expected:
            assert time.monotonic() < deadline, (found, expected)
            time.sleep(0.05)

    def answers(self, conversation: str) -> dict[str, tuple[object, str]]:
        return {field: (json.loads(value), user) for field, value, user in self.rows(
            "SELECT a.field, a.value, a.user_id FROM answers a JOIN cases c ON c.id = a.case_id "
            "WHERE c.conversation = ?", conversation)}

    def say(self, user: str, *texts: str, chat: str | None = None) -> None:
        """Each message once the reply to the one before has arrived, as a person types."""
        where = chat or user
        for text in texts:
            before = len(self.fake.markdowns_to(where))
            self.fake.push_text(user, text, chat=chat)
            self.told(where, "", before)

    def told(self, chat: str, words: str, after: int = 0, timeout: float = 30) -> str:
        found: list[str] = []

        def seen(fake: FakeWeComBot) -> bool:
            found[:] = [m for m in fake.markdowns_to(chat)[after:] if words in m]
            return bool(found)

        try:
            self.fake.wait_for(seen, timeout)
        except AssertionError:
            raise AssertionError(f"never told {words!r} in {chat}; got "
                                 f"{self.fake.markdowns_to(chat)[after:]}\n{self.output()}") from None
        return found[0]

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def acknowledged(self, timeout: float = 30) -> None:
        """Wait until WeCom's ack of every reply has reached the bot (its outbox holds none
        unsent). A connection cut between WeCom's receipt and its ack is at-least-once: the bot
        cannot know the send arrived and sends it again, as it must; tests about something else
        cut only after this."""
        deadline = time.monotonic() + timeout
        while self.rows("SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')") != [(0,)]:
            assert time.monotonic() < deadline, f"replies never acknowledged\n{self.output()}"
            time.sleep(0.05)


@contextmanager
def running(tmp_path: Path, *, per_minute: int = 10_000, **extra: str) -> Iterator[Bot]:
    """``per_minute``: WeCom's limit per chat (about 30); these tests type faster than people,
    so it is lifted unless a test is about it."""
    db = tmp_path / "esignbot.db"
    log = tmp_path / "wecom-bot.log"
    with FakeWeComBot(BOT, SECRET) as server:
        server.per_chat_per_minute = per_minute
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "wecom", "--bot", "--db", str(db)],
                cwd=tmp_path, env=bot_env(server, **extra), stdout=out, stderr=subprocess.STDOUT)
        bot = Bot(server, proc, db, log)
        try:
            server.wait_subscribed()
            yield bot
        finally:
            stop_process(proc)
    assert "Traceback" not in log.read_text(encoding="utf-8", errors="replace")


def packed(package: bytes) -> list[str]:
    """sha256 of the pictures in a materials zip."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return [hashlib.sha256(archive.read(name)).hexdigest() for name in archive.namelist()
                if name.lower().endswith((".png", ".jpg", ".jpeg"))]


def card_for(fake: FakeWeComBot, chat: str, key_prefix: str) -> dict[str, Any]:
    """The latest card with a button for ``key_prefix`` (it follows the question's text)."""
    def cards(fake: FakeWeComBot) -> list[dict[str, Any]]:
        return [c for c in fake.cards_to(chat)
                if any(b["key"].startswith(key_prefix) for b in c["button_list"])]

    fake.wait_for(lambda fake: bool(cards(fake)))
    return cards(fake)[-1]


def test_a_whole_onboarding_in_a_single_chat_with_a_card_tap_and_the_workbook(tmp_path: Path) -> None:
    with running(tmp_path) as bot:
        assert bot.fake.subscribes == [(BOT, SECRET, 0)]
        bot.say("alice", "开始")
        bot.told("alice", "第 1 步")
        # The first question's choices came as a card too: a tap answers it.
        card = card_for(bot.fake, "alice", "environment|")
        before = len(bot.fake.markdowns_to("alice"))
        bot.fake.click("alice", card, card["button_list"][1]["key"])  # 2: production
        bot.told("alice", "", before)
        bot.fake.wait_for(lambda fake: len(fake.updates) == 1)
        assert bot.fake.updates[0]["template_card"]["task_id"] == card["task_id"]
        # A second tap on the same card answers nothing (the question is gone).
        bot.fake.click("alice", card, card["button_list"][0]["key"])
        bot.say("alice", *ONLINE_ROUTE[1:])
        bot.told("alice", UNCHECKED)
        answers = bot.answers(f"wecombot:{BOT}:single:alice")
        assert answers["environment"] == ("prod", "alice")
        assert answers["app_id"] == (APP_ID, "alice")
        bot.say("alice", "excel")
        bot.fake.wait_for(lambda fake: bool(fake.files_to("alice")), timeout=60)
        name, content = bot.fake.files_to("alice")[0]
        assert name.endswith(".xlsx")
        sheet = openpyxl.load_workbook(io.BytesIO(content)).active
        assert sheet is not None and any("腾讯科技（深圳）有限公司" in str(cell.value)
                                         for row in sheet.iter_rows() for cell in row)
        # No message the bot sent was text (refused by WeCom but for the welcome).
        assert all(f.errcode == 0 for f in bot.fake.frames if f.cmd == "aibot_send_msg"), \
            [f for f in bot.fake.frames if f.cmd == "aibot_send_msg" and f.errcode]


def test_a_group_is_one_case_for_its_two_members_with_personal_data_masked(tmp_path: Path) -> None:
    conversation = f"wecombot:{BOT}:group:{GROUP}"
    with running(tmp_path) as bot:
        bot.say("alice", "开始", chat=GROUP)
        bot.told(GROUP, "第 1 步")
        for i, answer in enumerate(OFFLINE_UNTIL_IMAGE):
            bot.say("alice" if i % 2 == 0 else "bob", answer, chat=GROUP)
        bot.told(GROUP, "营业执照的照片")
        answers = bot.answers(conversation)
        assert answers["uin"] == ("100016315204", "alice")
        assert answers["enterprise_name"] == ("腾讯科技（深圳）有限公司", "bob")
        said = "\n".join(bot.fake.markdowns_to(GROUP))
        assert "13812345678" not in said and "138****5678" in said.replace("∗", "*")
        # Status from bob shows the same case: one case for the group.
        bot.say("bob", "状态", chat=GROUP)
        bot.told(GROUP, "案例 #1")
        assert [row[0] for row in bot.rows("SELECT conversation FROM cases")] == [conversation]


def test_a_licence_photo_sent_encrypted_is_stored_whole(tmp_path: Path) -> None:
    photo = noisy_jpeg()  # several megabytes, made now
    assert len(photo) > 2_000_000
    with running(tmp_path) as bot:
        bot.say("alice", "开始", *OFFLINE_UNTIL_IMAGE)
        bot.told("alice", "营业执照的照片")
        before = len(bot.fake.markdowns_to("alice"))
        bot.fake.push_image("alice", photo)
        bot.told("alice", "已保存「多合一营业执照」", before, timeout=60)
        stored = bot.rows("SELECT data FROM files")
        assert [hashlib.sha256(row[0]).hexdigest() for row in stored] == [
            hashlib.sha256(photo).hexdigest()]
        # The materials package holds it: several megabytes back, uploaded in 512 KiB chunks.
        bot.say("alice", "材料")
        bot.fake.wait_for(lambda fake: bool(fake.files_to("alice")), timeout=60)
        assert packed(bot.fake.files_to("alice")[-1][1]) == [hashlib.sha256(photo).hexdigest()]
        chunks = [f for f in bot.fake.frames if f.cmd == "aibot_upload_media_chunk"]
        assert len(chunks) >= 5 and all(f.errcode == 0 for f in chunks)


def test_a_dropped_connection_is_survived_and_a_redelivery_is_applied_once(tmp_path: Path) -> None:
    with running(tmp_path) as bot:
        bot.say("alice", "开始")
        bot.acknowledged()
        bot.fake.drop()
        bot.fake.wait_subscribed(2)
        before = len(bot.fake.markdowns_to("alice"))
        msgid = bot.fake.push_text("alice", "2")
        bot.told("alice", "✔ 已保存「环境」", before)
        bot.fake.redeliver(msgid)  # WeCom delivers the message again, on this connection
        bot.acknowledged()
        bot.fake.drop()
        bot.fake.wait_subscribed(3)
        bot.fake.redeliver(msgid)  # …and on the next
        after = len(bot.fake.markdowns_to("alice"))
        bot.fake.push_text("alice", "help")
        bot.told("alice", "可用命令", after)  # everything before it has been answered
        assert bot.rows("SELECT count(*) FROM history WHERE field = 'environment'") == [(1,)]
        answered = [m for m in bot.fake.markdowns_to("alice")[before:] if "✔ 已保存「环境」" in m]
        assert len(answered) == 1, answered


def test_a_secret_key_in_a_group_is_never_stored_and_check_points_to_a_single_chat(
        tmp_path: Path) -> None:
    with running(tmp_path) as bot:
        bot.say("alice", "开始", chat=GROUP)
        bot.say("alice", f"检查 {SECRET_ID} {SECRET_KEY}", chat=GROUP)
        warning = bot.told(GROUP, "SecretKey")
        assert warning.startswith("<@alice>") and SECRET_KEY not in warning
        bot.say("bob", "检查", chat=GROUP)
        bot.told(GROUP, "单聊")
        bot.say("alice", "help", chat=GROUP)
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("esignbot.db*"))
    assert SECRET_KEY.encode() not in raw and SECRET_ID.encode() not in raw
    assert SECRET_KEY not in (tmp_path / "wecom-bot.log").read_text(encoding="utf-8")


def test_a_refused_bot_secret_is_one_sentence_and_exit_2(tmp_path: Path) -> None:
    with FakeWeComBot(BOT, SECRET) as fake:
        fake.refuse_auth()
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "wecom", "--bot", "--db", str(tmp_path / "x.db")],
            cwd=tmp_path, env=bot_env(fake), capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "WECOM_BOT_SECRET" in done.stderr and "Traceback" not in done.stderr


def test_serve_with_two_workers_opens_one_connection(tmp_path: Path) -> None:
    with FakeWeComBot(BOT, SECRET) as fake, serving(tmp_path / "esignbot.db", bot_env(fake),
                                                    args=["--workers", "2"]) as server:
        fake.wait_subscribed()
        fake.push_text("alice", "开始")
        fake.wait_for(lambda f: any("第 1 步" in m for m in f.markdowns_to("alice")))
        time.sleep(3)  # both workers have had time to try
        assert fake.connections == 1 and len(fake.subscribes) == 1
        del server


@pytest.mark.parametrize("chat", [None, GROUP])
def test_a_review_result_is_announced_in_the_chat_proactively(tmp_path: Path, chat: str | None) -> None:
    """The scheduler's notices leave through the same runtime and ``aibot_send_msg`` as replies:
    a review result recorded by an admin is announced in the case's chat, with its mention."""
    where = chat or "alice"
    with running(tmp_path, ESIGNBOT_ADMINS=f"wecombot:{BOT}:alice") as bot:
        bot.say("alice", "开始", "2", "2", "2", chat=chat)  # production, the transfer submitted
        bot.fake.push_text("alice", "review transfer approved", chat=chat)
        announced = bot.told(where, "📣 对公打款认证已完成")
        assert announced.startswith("<@alice>")
        assert bot.rows("SELECT count(*) FROM outbox WHERE purpose = 'result'") == [(1,)]


def test_refused_for_now_messages_arrive_later_in_order(tmp_path: Path) -> None:
    """WeCom's frequency limit (45009/846607): the outbox keeps the message and sends it again
    after its back-off, before anything later in that chat."""
    with running(tmp_path) as bot:
        bot.say("alice", "开始")
        bot.fake.rate_limit(1)
        bot.fake.push_text("alice", "2")
        bot.fake.push_text("alice", "1")
        bot.told("alice", "主账号的 UIN", timeout=60)
        said = bot.fake.markdowns_to("alice")
        first = next(i for i, m in enumerate(said) if "正式环境" in m and "✔" in m)
        second = next(i for i, m in enumerate(said) if "UIN" in m)
        assert first < second
        assert sum(f.errcode == 45009 for f in bot.fake.frames) == 1


def test_a_group_members_keys_sent_in_a_single_chat_check_the_groups_case(tmp_path: Path) -> None:
    cloud = cloud_knowing_the_key()
    with cloud.serving(), running(tmp_path, ESIGNBOT_TENCENTCLOUD_ENDPOINT=cloud.endpoint,
                                  ESIGNBOT_TENCENTCLOUD_TEST_ENDPOINT=cloud.test_endpoint) as bot:
        bot.say("alice", "开始", *ONLINE_ROUTE[:-2], chat=GROUP)
        bot.say("bob", "1", chat=GROUP)  # the main account's key; the last question: the check
        bot.told(GROUP, "现在检查密钥吗")
        bot.say("bob", "检查", chat=GROUP)
        bot.told(GROUP, "单聊")
        msgid = bot.fake.push_text("bob", f"检查 {SECRET_ID} {SECRET_KEY}")
        bot.told("bob", "正在用这对密钥")
        bot.fake.redeliver(msgid)
        bot.told(GROUP, "结论：全部通过", timeout=60)
        bot.told(GROUP, "🎉 接入完成")
        bot.say("bob", "help")
        assert bot.rows("SELECT user_id, outcome FROM credential_checks") == [("bob", "pass")]
        assert sum(c.action == "GetCallerIdentity" for c in cloud.calls) == 1
        assert not any(SECRET_KEY in m for chat in (GROUP, "bob")
                       for m in bot.fake.markdowns_to(chat))
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("esignbot.db*"))
    assert SECRET_KEY.encode() not in raw
    assert SECRET_KEY not in (tmp_path / "wecom-bot.log").read_text(encoding="utf-8")


def test_what_wecom_sends_malformed_changes_nothing_and_an_unknown_kind_gets_a_sentence(
        tmp_path: Path) -> None:
    with running(tmp_path) as bot:
        bot.say("alice", "开始")
        for raw in ("not json", "[1, 2]", '{"cmd": "aibot_msg_callback", "headers": {}}',
                    '{"cmd": "aibot_msg_callback", "headers": {"req_id": "r"}, "body": {"msgtype": "text"}}',
                    '{"cmd": "aibot_event_callback", "headers": {"req_id": "r"}, "body": 7}',
                    '{"cmd": "aibot_future_thing", "headers": {"req_id": "r"}, "body": {}}'):
            bot.fake.push_raw(raw)
        before = len(bot.fake.markdowns_to("alice"))
        body = {"msgid": "VIDEO-1", "aibotid": BOT, "chattype": "single", "from": {"userid": "alice"},
                "msgtype": "video", "video": {"url": "https://x", "aeskey": "k"}}
        bot.fake.push_raw(json.dumps({"cmd": "aibot_msg_callback", "headers": {"req_id": "v1"},
                                      "body": body}))
        bot.told("alice", "这种消息我还处理不了", before)
        for mixed in ({}, {"msg_item": []}, {"msg_item": "x"},
                      {"msg_item": [{"msgtype": "image", "image": {"url": "ftp://x", "aeskey": "k"}}]}):
            before = len(bot.fake.markdowns_to("alice"))
            body = {"msgid": f"MIXED-{len(str(mixed))}", "aibotid": BOT, "chattype": "single",
                    "from": {"userid": "alice"}, "msgtype": "mixed", "mixed": mixed}
            bot.fake.push_raw(json.dumps({"cmd": "aibot_msg_callback",
                                          "headers": {"req_id": "m1"}, "body": body}))
            bot.told("alice", "这种消息我还处理不了", before)
        assert bot.rows("SELECT count(*) FROM jobs WHERE kind = 'wecombot.media'") == [(0,)]
        bot.say("alice", "2")
        assert bot.answers(f"wecombot:{BOT}:single:alice")["environment"] == ("prod", "alice")
        assert bot.proc.poll() is None
        assert bot.fake.connections == 1


def test_unanswered_heartbeats_open_the_connection_again(tmp_path: Path) -> None:
    with running(tmp_path, WECOM_BOT_HEARTBEAT_SECONDS="0.3") as bot:
        bot.fake.stall_pings()
        bot.fake.wait_subscribed(2, timeout=20)
        bot.fake.answer_pings()
        bot.say("alice", "开始")
        bot.told("alice", "第 1 步")
        assert "did not answer two heartbeats" in bot.output()


def test_a_second_connection_with_the_bots_id_stops_this_one_with_a_sentence(tmp_path: Path) -> None:
    import asyncio

    import aiohttp

    async def take_over(url: str) -> None:
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as socket:
            await socket.send_json({"cmd": "aibot_subscribe", "headers": {"req_id": "x"},
                                    "body": {"bot_id": BOT, "secret": SECRET}})
            await socket.receive(timeout=10)

    with running(tmp_path) as bot:
        asyncio.run(take_over(bot.fake.url))
        assert bot.proc.wait(timeout=30) == 1
        assert "Another connection took this smart bot over" in bot.output()


def test_a_second_process_stands_by_and_takes_over_when_the_first_dies(tmp_path: Path) -> None:
    with running(tmp_path) as bot:
        standby_log = tmp_path / "standby.log"
        with standby_log.open("wb") as out:
            standby = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "wecom", "--bot", "--db", str(bot.db)],
                cwd=tmp_path, env=bot_env(bot.fake), stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 30  # a log file: nothing to await but its lines
            while "standing by" not in standby_log.read_text("utf-8"):
                assert time.monotonic() < deadline, standby_log.read_text("utf-8")
                time.sleep(0.05)
            assert bot.fake.connections == 1
            bot.say("alice", "开始")
            bot.proc.kill()  # the holder dies however it dies; the kernel lets go of its lock
            bot.proc.wait()
            bot.fake.wait_subscribed(2, timeout=30)
            bot.say("alice", "2")
            bot.told("alice", "✔ 已保存「环境」")
        finally:
            standby.terminate()
            standby.wait(timeout=60)
        assert "Traceback" not in standby_log.read_text("utf-8")


def test_entering_the_single_chat_is_welcomed_once(tmp_path: Path) -> None:
    with running(tmp_path) as bot:
        msgid = bot.fake.push_event("alice", "enter_chat")
        bot.fake.wait_for(lambda fake: len(fake.welcomes) == 1)
        bot.fake.redeliver(msgid)
        bot.say("alice", "help")
        assert len(bot.fake.welcomes) == 1
        assert "开始" in json.dumps(bot.fake.welcomes[0], ensure_ascii=False)


def test_a_groups_licence_photo_is_sent_in_a_single_chat_and_lands_in_the_groups_case(
        tmp_path: Path) -> None:
    photo = noisy_jpeg(seed=5)
    with running(tmp_path) as bot:
        bot.say("alice", "开始", *OFFLINE_UNTIL_IMAGE, chat=GROUP)
        bot.told(GROUP, "营业执照的照片")
        before = len(bot.fake.markdowns_to(GROUP))
        bot.fake.push_image("bob", photo)  # bob never answered: nothing of his to send it to
        bot.told("bob", "", 0)
        bot.fake.push_image("alice", photo)  # alice works on the group's case
        bot.told(GROUP, "已保存「多合一营业执照」", before, timeout=60)
        assert [hashlib.sha256(row[0]).hexdigest() for row in bot.rows("SELECT data FROM files")] \
            == [hashlib.sha256(photo).hexdigest()]
        assert bot.rows("SELECT DISTINCT c.conversation FROM files f JOIN cases c ON c.id = f.case_id") \
            == [(f"wecombot:{BOT}:group:{GROUP}",)]
        # The package holds personal data in full: it goes to alice's single chat, not the group.
        before = len(bot.fake.markdowns_to(GROUP))
        bot.fake.push_text("alice", "材料", chat=GROUP)
        bot.told(GROUP, "发到了你和我的单聊里", before, timeout=60)
        assert packed(bot.fake.files_to("alice")[-1][1]) == [hashlib.sha256(photo).hexdigest()]
        assert bot.fake.files_to(GROUP) == []


def test_a_voice_message_is_heard_as_what_was_said(tmp_path: Path) -> None:
    """WeCom sends a voice message's transcription (doc 100719): it answers as typed words do;
    one with no words gets a sentence and changes nothing."""
    with running(tmp_path) as bot:
        bot.fake.push_voice("alice", "开始。")
        bot.told("alice", "第 1 步")
        before = len(bot.fake.markdowns_to("alice"))
        bot.fake.push_voice("alice", "  ")
        bot.told("alice", "这条语音没有转出文字", before)
        assert "environment" not in bot.answers(f"wecombot:{BOT}:single:alice")
        before = len(bot.fake.markdowns_to("alice"))
        bot.fake.push_voice("alice", "正式环境。")  # a transcription ends as a sentence
        bot.told("alice", "✔ 已保存「环境」", before)
        assert bot.answers(f"wecombot:{BOT}:single:alice")["environment"] == ("prod", "alice")


def test_a_picture_sent_with_words_in_a_group_lands_in_the_groups_case_once(tmp_path: Path) -> None:
    """In a group a picture reaches the bot only inside a text-and-pictures message (图文混排):
    its words are a caption, the picture is the answer, stored whole in the group's case; WeCom's
    msgid (with its ``/`` and ``=``) delivered twice applies it once. Words alone in such a
    message are read as typed."""
    photo = noisy_jpeg(seed=7)
    assert len(photo) > 2_000_000
    msgid = "CAIQ16HMjQYY/NGagIOAgAMgq4KM0AI="  # the shape of doc 100719's example
    with running(tmp_path) as bot:
        bot.fake.push_mixed("alice", "开始", chat=GROUP)
        bot.told(GROUP, "第 1 步")
        bot.say("alice", *OFFLINE_UNTIL_IMAGE, chat=GROUP)
        bot.told(GROUP, "营业执照的照片")
        before = len(bot.fake.markdowns_to(GROUP))
        bot.fake.push_mixed("alice", "这是营业执照", photo, chat=GROUP, msgid=msgid)
        bot.told(GROUP, "已保存「多合一营业执照」", before, timeout=60)
        bot.fake.redeliver(msgid)
        after = len(bot.fake.markdowns_to(GROUP))
        bot.say("alice", "状态", chat=GROUP)
        assert bot.rows("SELECT count(*) FROM jobs WHERE kind = 'wecombot.media'") == [(1,)]
        assert [hashlib.sha256(row[0]).hexdigest() for row in bot.rows("SELECT data FROM files")] \
            == [hashlib.sha256(photo).hexdigest()]
        assert bot.rows("SELECT DISTINCT c.conversation FROM files f JOIN cases c ON c.id = f.case_id") \
            == [(f"wecombot:{BOT}:group:{GROUP}",)]
        assert not any("已保存「多合一营业执照」" in m for m in bot.fake.markdowns_to(GROUP)[after:])
        assert "这是营业执照" not in json.dumps(bot.answers(f"wecombot:{BOT}:group:{GROUP}"),
                                               ensure_ascii=False)
        # Keys as a picture's caption in a group: never used or kept, and the sender is told.
        before = len(bot.fake.markdowns_to(GROUP))
        bot.fake.push_mixed("alice", f"{SECRET_ID} {SECRET_KEY}", noisy_jpeg(200, 200), chat=GROUP)
        bot.told(GROUP, "似乎有 SecretKey，我没有使用它", before)
        bot.say("alice", "状态", chat=GROUP)
        for stored in tmp_path.glob("esignbot.db*"):
            assert SECRET_KEY.encode() not in stored.read_bytes()
        assert SECRET_KEY not in bot.output()


def test_of_several_pictures_in_one_message_the_first_is_taken_and_the_sender_told(
        tmp_path: Path) -> None:
    """Two pictures in one message: the first answers the licence question (stored whole); the
    sender is told the second was not taken, and no job is made for it."""
    first, second = noisy_jpeg(seed=8), noisy_jpeg(seed=9)
    with running(tmp_path) as bot:
        bot.say("alice", "开始", *OFFLINE_UNTIL_IMAGE)
        bot.told("alice", "营业执照的照片")
        before = len(bot.fake.markdowns_to("alice"))
        bot.fake.push_mixed("alice", first, second)
        bot.told("alice", "只收下了第一张", before)
        bot.told("alice", "已保存「多合一营业执照」", before, timeout=60)
        assert [hashlib.sha256(row[0]).hexdigest() for row in bot.rows("SELECT data FROM files")] \
            == [hashlib.sha256(first).hexdigest()]
        bot.rows_become("SELECT state FROM jobs WHERE kind = 'wecombot.media'", [("done",)])
