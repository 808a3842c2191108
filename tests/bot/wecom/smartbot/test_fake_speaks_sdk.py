"""The fake WeCom smart-bot server speaks the protocol as WeCom's official Python SDK does.

The client here is ``wecom-aibot-python-sdk`` 1.0.2 itself (module ``aibot``), run on an event
loop of its own thread as a bot runs it, so every frame shape, ack and callback the fake produces
is one the official SDK sends, parses and dispatches. The media upload, which only the community
SDK (``wecom-aibot-sdk`` 1.0.8) implements, is driven with that SDK's frame shapes by hand.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import threading
import uuid
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest

aibot = pytest.importorskip("aibot")
aibot_ws = pytest.importorskip("aibot.ws")

import aiohttp  # noqa: E402

from tests.fakes.wecom_bot_server import (  # noqa: E402
    AUTH_FAILED,
    CONTENT_TOO_LONG,
    FREQ_LIMIT,
    INVALID_MEDIA_ID,
    INVALID_MSGTYPE,
    INVALID_PARAM,
    INVALID_REQ_ID,
    INVALID_SIZE,
    UNKNOWN_CHAT,
    FakeWeComBot,
)

T = TypeVar("T")
EVENTS = ("authenticated", "disconnected", "error", "message.text", "message.image",
          "message.file", "event.enter_chat", "event.template_card_event",
          "event.disconnected_event")


@pytest.fixture(autouse=True)
def _plain_ws(monkeypatch: pytest.MonkeyPatch) -> None:
    # The SDK always passes ssl=<certifi context> to websockets.connect, and websockets refuses
    # an ssl argument for a ws:// URI ("ssl argument is incompatible with a ws:// URI"): the SDK
    # would log the ValueError and retry forever. WeCom is wss:// only; the fake is plain ws://
    # on 127.0.0.1, so the context goes (download_file's aiohttp ignores it for http://).
    monkeypatch.setattr(aibot_ws, "_SSL_CONTEXT", None)


@pytest.fixture
def bot() -> Iterator[FakeWeComBot]:
    with FakeWeComBot() as fake:
        yield fake


class Logs:
    """The SDK's Logger protocol, kept: how it reports an auth failure is part of the contract."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def _add(self, level: str, message: str, *args: object) -> None:
        self.lines.append((level, " ".join([message, *map(str, args)])))

    def debug(self, message: str, *args: object) -> None:
        self._add("debug", message, *args)

    def info(self, message: str, *args: object) -> None:
        self._add("info", message, *args)

    def warn(self, message: str, *args: object) -> None:
        self._add("warn", message, *args)

    def error(self, message: str, *args: object) -> None:
        self._add("error", message, *args)


class Sdk:
    """The official WSClient on its own loop thread; what it emits is recorded per event name."""

    def __init__(self, url: str, *, bot_id: str = "aib-test-bot", secret: str = "bot-secret",
                 heartbeat_ms: int = 30000, reconnect_ms: int = 100) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.logs = Logs()
        self.seen: dict[str, list[Any]] = {name: [] for name in EVENTS}
        self._changed = threading.Condition()
        options = aibot.WSClientOptions(bot_id=bot_id, secret=secret, ws_url=url,
                                        heartbeat_interval=heartbeat_ms,
                                        reconnect_interval=reconnect_ms,
                                        max_reconnect_attempts=5, logger=self.logs)

        async def build() -> Any:
            client = aibot.WSClient(options)
            for name in EVENTS:
                client.on(name, self._recorder(name))
            return client

        self.client = self.call(build())

    def _recorder(self, name: str) -> Any:
        def record(*args: Any) -> None:
            with self._changed:
                self.seen[name].append(args[0] if args else None)
                self._changed.notify_all()
        return record

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 20) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def wait(self, name: str, count: int = 1, timeout: float = 15) -> Any:
        """The ``count``-th thing the SDK emitted as ``name``."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.seen[name]) >= count, timeout):
                raise AssertionError(f"the SDK never emitted {name!r} #{count}: {self.logs.lines}")
            return self.seen[name][count - 1]

    def disconnect(self) -> None:
        async def stop() -> None:
            self.client.disconnect()  # schedules the close on this loop: not thread-safe
            await asyncio.sleep(0.1)  # let the SDK's own close task run

        self.call(stop())

    def close(self) -> None:
        if self.client._started:
            self.disconnect()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def sdks() -> Iterator[list[Sdk]]:
    started: list[Sdk] = []
    yield started
    for sdk in started:
        sdk.close()


def connected(bot: FakeWeComBot, sdks: list[Sdk], **kwargs: Any) -> Sdk:
    sdk = Sdk(bot.url, **kwargs)
    sdks.append(sdk)
    sdk.call(sdk.client.connect())
    return sdk


def test_subscribe_succeeds_and_a_wrong_secret_gets_the_auth_failure_the_sdk_logs(
        bot: FakeWeComBot, sdks: list[Sdk]) -> None:
    good = connected(bot, sdks)
    good.wait("authenticated")
    assert bot.subscribes == [("aib-test-bot", "bot-secret", 0)]
    assert bot.frames[0].cmd == "aibot_subscribe" and bot.frames[0].errcode == 0

    wrong = connected(bot, sdks, secret="not-it")
    error = wrong.wait("error")
    assert f"(code: {AUTH_FAILED})" in str(error)
    assert ("error", f"Authentication failed: errcode={AUTH_FAILED}, errmsg=invalid bot_id or "
                     "secret") in wrong.logs.lines
    assert bot.subscribes[1] == ("aib-test-bot", "not-it", AUTH_FAILED)
    # The socket stays open (the official SDK neither closes nor retries; the client decides),
    # and a refused subscribe displaces nobody.
    assert wrong.client.is_connected and bot.connections == 2
    assert not good.seen["event.disconnected_event"] and not wrong.seen["authenticated"]

    bot.refuse_auth(40001, "invalid credential")  # right credentials, refused all the same
    revoked = connected(bot, sdks)
    assert "(code: 40001)" in str(revoked.wait("error"))
    bot.accept_auth()
    assert bot.subscribes[2] == ("aib-test-bot", "bot-secret", 40001) and bot.connected


def test_a_text_callback_reaches_the_sdk_and_its_replies_are_acked_and_recorded(
        bot: FakeWeComBot, sdks: list[Sdk]) -> None:
    sdk = connected(bot, sdks)
    bot.wait_subscribed()
    msgid = bot.push_text("alice", "你好")
    frame = sdk.wait("message.text")
    body = frame["body"]
    assert frame["cmd"] == "aibot_msg_callback" and body["msgid"] == msgid
    assert body["chattype"] == "single" and "chatid" not in body
    assert body["from"] == {"userid": "alice"} and body["text"] == {"content": "你好"}
    assert frame["headers"]["req_id"] == bot.req_ids[msgid][0]

    first = sdk.call(sdk.client.reply_stream(frame, "s-1", "正在处理"))
    last = sdk.call(sdk.client.reply_stream(frame, "s-1", "正在处理……完成", finish=True))
    plain = sdk.call(sdk.client.reply(frame, {"msgtype": "markdown",
                                              "markdown": {"content": "**好的**"}}))
    for ack in (first, last, plain):
        assert ack == {"headers": {"req_id": frame["headers"]["req_id"]}, "errcode": 0,
                       "errmsg": "ok"}
    assert bot.markdowns_to("alice") == ["正在处理……完成", "**好的**"]
    assert len(bot.sent_to("alice")) == 3

    with pytest.raises(RuntimeError, match=f"errcode={INVALID_MSGTYPE}"):
        sdk.call(sdk.client.reply(frame, {"msgtype": "text", "text": {"content": "纯文本"}}))
    with pytest.raises(RuntimeError, match=f"errcode={CONTENT_TOO_LONG}"):
        sdk.call(sdk.client.reply(frame, {"msgtype": "markdown",
                                          "markdown": {"content": "长" * 1366}}))  # 4098 bytes
    assert [f.errcode for f in bot.frames if f.cmd == "aibot_respond_msg"] == [
        0, 0, 0, INVALID_MSGTYPE, CONTENT_TOO_LONG]

    bot.push_text("bob", "帮我看看", chat="grp-1")
    group = sdk.wait("message.text", 2)["body"]
    assert group["chatid"] == "grp-1" and group["chattype"] == "group"
    assert group["text"]["content"] == "@E签助手 帮我看看"


def test_send_message_reaches_a_chat_that_talked_and_no_stranger(
        bot: FakeWeComBot, sdks: list[Sdk]) -> None:
    sdk = connected(bot, sdks)
    bot.wait_subscribed()
    bot.push_text("alice", "在吗")
    sdk.wait("message.text")
    note = {"msgtype": "markdown", "markdown": {"content": "提醒：请上传营业执照"}}
    assert sdk.call(sdk.client.send_message("alice", note))["errcode"] == 0
    assert bot.sent_to("alice")[-1] == {"chatid": "alice", **note}
    with pytest.raises(RuntimeError, match=f"errcode={UNKNOWN_CHAT}"):
        sdk.call(sdk.client.send_message("mallory", note))
    with pytest.raises(RuntimeError, match=f"errcode={INVALID_MSGTYPE}"):
        sdk.call(sdk.client.send_message("alice", {"msgtype": "text", "text": {"content": "x"}}))
    assert bot.sent_to("mallory") == [] and len(bot.sent_to("alice")) == 1

    bot.rate_limit(1)
    with pytest.raises(RuntimeError, match=f"errcode={FREQ_LIMIT}"):
        sdk.call(sdk.client.send_message("alice", note))
    bot.per_chat_per_minute = 2
    assert sdk.call(sdk.client.send_message("alice", note))["errcode"] == 0
    with pytest.raises(RuntimeError, match=f"errcode={FREQ_LIMIT}"):
        sdk.call(sdk.client.send_message("alice", note))


def test_download_file_decrypts_a_pushed_image_to_its_bytes(
        bot: FakeWeComBot, sdks: list[Sdk]) -> None:
    sdk = connected(bot, sdks)
    bot.wait_subscribed()
    photo = os.urandom(3 * 1024 * 1024 + 7)
    msgid = bot.push_image("alice", photo)
    image = sdk.wait("message.image")["body"]["image"]
    assert len(image["aeskey"]) == 43  # base64 of 32 bytes, its "=" left off as WeCom does
    data, filename = sdk.call(sdk.client.download_file(image["url"], image["aeskey"]))
    assert data == photo and filename is None
    assert bot.media_gets(image["url"]) == 1 and bot.pushed[msgid]["image"] == image

    bot.push_file("alice", b"%PDF-1.7 contract", "合同.pdf")
    file = sdk.wait("message.file")["body"]["file"]
    assert sdk.call(sdk.client.download_file(file["url"], file["aeskey"])) == (
        b"%PDF-1.7 contract", "合同.pdf")


def test_a_card_click_reaches_the_sdk_and_the_card_update_is_acked_in_the_window(
        bot: FakeWeComBot, sdks: list[Sdk]) -> None:
    sdk = connected(bot, sdks)
    bot.wait_subscribed()
    bot.push_event("alice", "enter_chat")
    entered = sdk.wait("event.enter_chat")
    assert entered["body"]["event"] == {"eventtype": "enter_chat"}
    welcome = {"msgtype": "text", "text": {"content": "欢迎！"}}
    assert sdk.call(sdk.client.reply_welcome(entered, welcome))["errcode"] == 0
    assert bot.welcomes == [welcome]

    card = {"card_type": "button_interaction", "task_id": "task-1",
            "main_title": {"title": "确认资料"},
            "button_list": [{"text": "确认", "key": "ok"}, {"text": "修改", "key": "edit"}]}
    sdk.call(sdk.client.send_message("alice", {"msgtype": "template_card",
                                               "template_card": card}))
    assert bot.cards_to("alice") == [card]
    with pytest.raises(AssertionError, match="no button"):
        bot.click("alice", card, "delete")
    bot.click("alice", bot.cards_to("alice")[0], "ok")
    click = sdk.wait("event.template_card_event")
    assert click["body"]["event"] == {
        "eventtype": "template_card_event",
        "template_card_event": {"card_type": "button_interaction", "event_key": "ok",
                                "task_id": "task-1"}}
    done = {**card, "main_title": {"title": "已确认"}, "button_list": []}
    assert sdk.call(sdk.client.update_template_card(click, done, ["alice"]))["errcode"] == 0
    assert bot.updates == [{"response_type": "update_template_card", "template_card": done,
                            "userids": ["alice"]}]

    # The req_id of a click is no message to answer, nor an enter_chat to welcome.
    with pytest.raises(RuntimeError, match=f"errcode={INVALID_REQ_ID}"):
        sdk.call(sdk.client.reply_stream(entered, "s-2", "hi", finish=True))
    with pytest.raises(RuntimeError, match=f"errcode={INVALID_REQ_ID}"):
        sdk.call(sdk.client.reply_welcome(click, welcome))
    bot.reply_window_s = 0.0  # past the window
    bot.click("alice", card, "edit")
    late = sdk.wait("event.template_card_event", 2)
    with pytest.raises(RuntimeError, match=f"errcode={INVALID_REQ_ID}"):
        sdk.call(sdk.client.update_template_card(late, done))
    assert len(bot.updates) == 1


def test_a_dropped_connection_makes_the_sdk_reconnect_and_subscribe_again(
        bot: FakeWeComBot, sdks: list[Sdk]) -> None:
    sdk = connected(bot, sdks)
    bot.wait_subscribed()
    bot.push_text("alice", "一")
    old = sdk.wait("message.text")
    bot.drop()
    sdk.wait("disconnected")
    bot.wait_subscribed(2)
    assert bot.connections == 2
    # A reply to a callback of the dead connection is refused on the new one.
    with pytest.raises(RuntimeError, match=f"errcode={INVALID_REQ_ID}"):
        sdk.call(sdk.client.reply_stream(old, "s-1", "迟到的回答", finish=True))
    msgid = bot.push_text("alice", "二")
    again = bot.redeliver(msgid)
    first, second = sdk.wait("message.text", 2), sdk.wait("message.text", 3)
    assert first["body"] == second["body"] and second["headers"]["req_id"] == again
    assert bot.req_ids[msgid] == [first["headers"]["req_id"], again] and first["headers"]["req_id"] != again


def test_unanswered_pings_make_the_sdk_give_up_the_socket(
        bot: FakeWeComBot, sdks: list[Sdk]) -> None:
    sdk = connected(bot, sdks, heartbeat_ms=100)
    bot.wait_subscribed()
    bot.wait_for(lambda b: any(f.cmd == "ping" and f.errcode == 0 for f in b.frames))
    bot.stall_pings()
    bot.wait_for(lambda b: not b.connected)
    assert [f.errcode for f in bot.frames if f.cmd == "ping"][-2:] == [None, None]
    assert not sdk.client.is_connected
    assert ("warn", "No heartbeat ack received for 2 consecutive pings, connection considered "
                    "dead") in sdk.logs.lines
    # SDK 1.0.2 closes the socket cleanly itself, and websockets ends ``async for`` quietly on a
    # clean close: no "disconnected", no reconnect. A bot has to watch is_connected itself.
    bot.answer_pings()


def test_a_second_connection_displaces_the_first_with_disconnected_event(
        bot: FakeWeComBot, sdks: list[Sdk]) -> None:
    first = connected(bot, sdks, reconnect_ms=2000)
    bot.wait_subscribed()
    second = connected(bot, sdks)
    bot.wait_subscribed(2)
    event = first.wait("event.disconnected_event")
    assert event["cmd"] == "aibot_event_callback"
    assert event["body"]["event"] == {"eventtype": "disconnected_event"}
    first.wait("disconnected")
    # The official SDK 1.0.2 does not know the event: it would reconnect in 2 s and displace the
    # second connection in turn. A bot must stop it, as the community SDK does by itself.
    first.disconnect()
    bot.push_text("alice", "谁在线")
    assert second.wait("message.text")["body"]["text"]["content"] == "谁在线"
    assert not first.seen["message.text"]


# -- the upload, with the community SDK's frames ----------------------------------------------
async def ask(socket: aiohttp.ClientWebSocketResponse, cmd: str,
              body: dict[str, Any] | None = None) -> dict[str, Any]:
    """Send one frame as wecom_aibot_sdk does and return its ack (skipping any callback)."""
    req_id = f"{cmd}_{uuid.uuid4().hex[:8]}"
    frame: dict[str, Any] = {"cmd": cmd, "headers": {"req_id": req_id}}
    if body is not None:
        frame["body"] = body
    await socket.send_str(json.dumps(frame, ensure_ascii=False))
    while True:
        answer = json.loads(await socket.receive_str(timeout=10))
        if "cmd" not in answer and answer["headers"]["req_id"] == req_id:
            return answer  # type: ignore[no-any-return]


def test_a_chunked_upload_reassembles_and_its_media_id_sends_a_file(bot: FakeWeComBot) -> None:
    content = os.urandom(1_300_000)
    chunk = 512 * 1024
    pieces = [content[i:i + chunk] for i in range(0, len(content), chunk)]
    assert len(pieces) == 3

    async def run() -> None:
        async with aiohttp.ClientSession() as session:
            early = await session.ws_connect(bot.url)
            await early.send_str(json.dumps({"cmd": "aibot_send_msg",
                                             "headers": {"req_id": "aibot_send_msg_1"},
                                             "body": {"chatid": "alice", "msgtype": "markdown",
                                                      "markdown": {"content": "x"}}}))
            assert (await early.receive(timeout=10)).type == aiohttp.WSMsgType.CLOSE

            socket = await session.ws_connect(bot.url)
            subscribed = await ask(socket, "aibot_subscribe",
                                   {"bot_id": "aib-test-bot", "secret": "bot-secret"})
            assert subscribed["errcode"] == 0
            await asyncio.to_thread(bot.push_text, "alice", "发我合同")
            init = await ask(socket, "aibot_upload_media_init", {
                "type": "file", "filename": "合同.pdf", "total_size": len(content),
                "total_chunks": 3, "md5": hashlib.md5(content).hexdigest()})
            assert init["errcode"] == 0
            upload_id = init["body"]["upload_id"]

            async def put(index: int, data: bytes, upload: str = upload_id) -> int:
                answer = await ask(socket, "aibot_upload_media_chunk", {
                    "upload_id": upload, "chunk_index": index,
                    "base64_data": base64.b64encode(data).decode("ascii")})
                return int(answer["errcode"])

            assert await put(2, pieces[2]) == 0  # the SDK uploads chunks concurrently
            assert await put(0, pieces[0]) == 0
            early_finish = await ask(socket, "aibot_upload_media_finish", {"upload_id": upload_id})
            assert early_finish["errcode"] == INVALID_PARAM and "missing" in early_finish["errmsg"]
            assert await put(3, pieces[1]) == INVALID_PARAM
            assert await put(1, os.urandom(chunk + 1)) == INVALID_SIZE
            assert await put(1, pieces[1], "no-such-upload") == INVALID_PARAM
            assert await put(1, pieces[1]) == 0
            finish = await ask(socket, "aibot_upload_media_finish", {"upload_id": upload_id})
            assert finish["errcode"] == 0 and finish["body"]["type"] == "file"
            assert finish["body"]["created_at"].isdigit()
            media_id = finish["body"]["media_id"]

            sent = await ask(socket, "aibot_send_msg", {
                "chatid": "alice", "msgtype": "file", "file": {"media_id": media_id}})
            assert sent["errcode"] == 0
            unknown = await ask(socket, "aibot_send_msg", {
                "chatid": "alice", "msgtype": "file", "file": {"media_id": "media-nope"}})
            assert unknown["errcode"] == INVALID_MEDIA_ID

            bad = await ask(socket, "aibot_upload_media_init", {
                "type": "file", "filename": "x.bin", "total_size": 3, "total_chunks": 1,
                "md5": hashlib.md5(b"abc").hexdigest()})
            assert await put(0, b"abd", bad["body"]["upload_id"]) == 0
            mismatch = await ask(socket, "aibot_upload_media_finish",
                                 {"upload_id": bad["body"]["upload_id"]})
            assert mismatch["errcode"] == INVALID_PARAM and mismatch["errmsg"] == "md5 mismatch"
            await asyncio.to_thread(bot.hold_acks)
            ping = asyncio.ensure_future(ask(socket, "ping"))
            await asyncio.to_thread(bot.wait_for, lambda b: b.frames[-1].cmd == "ping")
            await asyncio.sleep(0.2)
            assert not ping.done() and bot.frames[-1].errcode == 0  # recorded, not yet acked
            await asyncio.to_thread(bot.release_acks)
            assert (await ping)["errcode"] == 0
            await socket.close()

    asyncio.run(run())
    assert bot.files_to("alice") == [("合同.pdf", content)]
    assert bot.frames[0].errcode is None  # the frame before subscribe was never answered
