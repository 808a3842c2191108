"""A fake of WeCom's smart bot (企业微信智能机器人) long connection on 127.0.0.1, for tests.

It speaks the protocol as WeCom's official Python SDK (``wecom-aibot-python-sdk`` 1.0.2) and the
community one (``wecom-aibot-sdk`` 1.0.8, which adds the media upload) send and expect it: JSON
text frames ``{cmd, headers: {req_id}, body}``. The client subscribes (``aibot_subscribe``),
pings, answers callbacks (``aibot_respond_msg`` / ``_welcome_msg`` / ``_update_msg`` with the
callback's own req_id), sends unprompted (``aibot_send_msg``) and uploads media in chunks; every
frame it sends is acknowledged ``{headers: {req_id}, errcode, errmsg[, body]}``, an ack with no
cmd. The server pushes ``aibot_msg_callback`` / ``aibot_event_callback`` frames with req_ids of
its own. Images and files a member sends are served at ``/media/<id>`` encrypted the way the
SDKs' ``decrypt_file`` undoes: AES-256-CBC, key = base64 ``aeskey`` (sent without its padding),
IV = key[:16], PKCS#7 padding to a multiple of 32 bytes.

WeCom's rules are enforced by answering a non-zero errcode, never by crashing, so a test sees
what the bot would see in production; WeCom documents no codes for this channel, so each constant
below says where its code comes from. A frame other than subscribe or ping before a successful
subscribe closes the socket. A second connection subscribing for the bot gets
``disconnected_event`` pushed to the old one, whose TCP connection then goes without a close
frame: the official SDK reconnects after that, as bots on it are seen to against WeCom (two of
them displace each other in a loop), and would end quietly after a clean close.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import quote

from aiohttp import WSMsgType, web
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

AUTH_FAILED = 853000  # "invalid bot_id or secret": what real connections log (public threads)
INVALID_REQ_ID = 846605  # "invalid req_id": public clients of this channel handle it for replies
# to the wrong callback (reply_stream to an enter_chat); here also for one past its window.
FREQ_LIMIT = 45009  # WeCom's global "api freq out of limit", as FakeWeComApi answers; public
# clients also report 846607 "aibot send msg frequency limit exceeded" on this channel.
INVALID_MSGTYPE = 40008  # WeCom global code: invalid message type
CONTENT_TOO_LONG = 45002  # WeCom global code: content size out of limit
UNKNOWN_CHAT = 93000  # public clients see 93000 "invalid userid" sending to an unknown user
INVALID_MEDIA_ID = 40007  # WeCom global code: invalid media_id
INVALID_MEDIA_TYPE = 40004  # WeCom global code: invalid media type
INVALID_SIZE = 40006  # WeCom global code: invalid file size (a chunk, a total, a chunk count)
INVALID_PARAM = 40058  # WeCom global code: invalid parameter (upload_id, chunk_index, md5...)

MARKDOWN_MAX_BYTES = 4096
CHUNK_MAX_BYTES = 512 * 1024
MAX_CHUNKS = 100
MEDIA_TYPES = frozenset({"file", "image", "voice", "video"})
RESPOND_TYPES = frozenset({"markdown", "template_card", "file", "image", "stream",
                           "stream_with_template_card"})
SEND_TYPES = frozenset({"markdown", "template_card", "file", "image"})
"""What aibot_send_msg takes: the SDKs' send_message documents markdown and template cards,
send_media_message files and images; a stream only makes sense as the answer to a callback."""
WELCOME_TYPES = frozenset({"text", "template_card"})
STREAMS = frozenset({"stream", "stream_with_template_card"})

T = TypeVar("T")


class Refused(Exception):
    """A frame WeCom refuses: acked with this errcode (None: not acked at all)."""

    def __init__(self, errcode: int | None, errmsg: str) -> None:
        super().__init__(errmsg)
        self.errcode = errcode
        self.errmsg = errmsg


@dataclass(frozen=True)
class Frame:
    """One frame a client sent and the errcode the fake answered (None: not answered — a stalled
    ping, or a frame before subscribe, which closed the socket instead)."""

    cmd: str
    req_id: str
    body: dict[str, Any]
    connection: int
    errcode: int | None
    errmsg: str


@dataclass
class _Callback:
    """A callback pushed on one connection: what a respond with its req_id may do, and where to."""

    chat: str
    kind: str  # "message" or the eventtype
    at: float
    task_id: str = ""


@dataclass
class _Link:
    number: int
    socket: web.WebSocketResponse
    transport: asyncio.Transport | None
    subscribed: bool = False
    callbacks: dict[str, _Callback] = field(default_factory=dict)


@dataclass
class _Upload:
    type: str
    filename: str
    total_size: int
    total_chunks: int
    md5: str
    chunks: dict[int, bytes] = field(default_factory=dict)


def encrypt_media(content: bytes, key: bytes) -> bytes:
    """As WeCom serves a member's file: AES-256-CBC, IV = key[:16], PKCS#7 to 32-byte blocks."""
    pad = 32 - len(content) % 32
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return encryptor.update(content + bytes([pad]) * pad) + encryptor.finalize()


def _obj(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key)
    return value if isinstance(value, dict) else {}


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class FakeWeComBot:
    """Start with ``with FakeWeComBot() as bot:``; point WECOM_BOT_URL at ``bot.url``."""

    def __init__(self, bot_id: str = "aib-test-bot", secret: str = "bot-secret",
                 bot_name: str = "E签助手") -> None:
        self.bot_id = bot_id
        self.secret = secret
        self.bot_name = bot_name
        self.url = ""
        self.media_base = ""
        self.reply_window_s = 5.0
        """How long after an enter_chat / template_card_event its welcome / card update may come."""
        self.per_chat_per_minute = 30
        self.frames: list[Frame] = []
        self.subscribes: list[tuple[str, str, int]] = []
        self.updates: list[dict[str, Any]] = []
        self.welcomes: list[dict[str, Any]] = []
        self.connections = 0
        self.pushed: dict[str, dict[str, Any]] = {}
        """msgid -> the callback body pushed (its ``image.url`` etc.)."""
        self.req_ids: dict[str, list[str]] = {}
        """msgid -> the req_ids it was pushed with (more than one after :meth:`redeliver`)."""
        self._delivered: list[tuple[str, dict[str, Any]]] = []
        self._kinds: dict[str, tuple[str, str, str]] = {}  # msgid -> (cmd, kind, chat)
        self._known_chats: set[str] = set()
        self._open: list[_Link] = []
        self._link: _Link | None = None
        self._recent: dict[str, list[float]] = {}
        self._streams: set[str] = set()
        self._limited = 0
        self._auth_refusal: tuple[int, str] | None = None
        self._answer_pings = True
        self._uploads: dict[str, _Upload] = {}
        self._media: dict[str, tuple[str, str, bytes]] = {}  # media_id -> (type, filename, bytes)
        self._hosted: dict[str, tuple[bytes, str]] = {}  # id -> (encrypted, filename)
        self._gets: dict[str, int] = {}
        self._changed = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._acks_open: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def __enter__(self) -> FakeWeComBot:
        ready = threading.Event()

        async def main() -> None:
            app = web.Application()
            app.router.add_get("/", self._socket)
            app.router.add_get("/media/{id}", self._serve_media)
            runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=2.0)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            self.url = f"ws://127.0.0.1:{port}/"
            self.media_base = f"http://127.0.0.1:{port}/media/"
            self._loop = asyncio.get_running_loop()
            self._stop, self._acks_open = asyncio.Event(), asyncio.Event()
            self._acks_open.set()
            ready.set()
            await self._stop.wait()
            for link in list(self._open):  # else cleanup waits out the handlers
                await link.socket.close()
            await runner.cleanup()

        self._thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
        self._thread.start()
        if not ready.wait(15):
            raise AssertionError("the fake WeCom bot server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._stop is not None and self._acks_open is not None and self._thread is not None
        self._on_loop(self._acks_open.set)
        self._on_loop(self._stop.set)
        self._thread.join(15)

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run on the server's loop from the test thread and wait for the result."""
        assert self._loop is not None, "use FakeWeComBot as a context manager"
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(15)

    def _on_loop(self, action: Callable[[], object]) -> None:
        """Do ``action`` on the server's loop (asyncio objects are not thread-safe) and wait."""

        async def run() -> None:
            action()

        self._run(run())

    # -- what tests drive -----------------------------------------------------------------------
    def wait_for(self, predicate: Callable[[FakeWeComBot], bool], timeout: float = 30.0) -> None:
        """Wait until ``predicate(self)`` holds (the bot answers in the background)."""
        with self._changed:
            if not self._changed.wait_for(lambda: predicate(self), timeout=timeout):
                raise AssertionError("the fake WeCom bot never saw what was expected; frames: "
                                     f"{[(f.cmd, f.errcode) for f in self.frames][-20:]}")

    def wait_subscribed(self, count: int = 1, timeout: float = 30.0) -> None:
        """Until ``count`` subscribes in all have succeeded (a reconnect subscribes again)."""
        self.wait_for(lambda bot: sum(1 for s in bot.subscribes if s[2] == 0) >= count, timeout)

    def push_text(self, user: str, text: str, *, chat: str | None = None,
                  msgid: str | None = None) -> str:
        """A member's text; in a group it arrives as ``@<bot name> text``, as WeCom writes it."""
        body = self._envelope(user, chat, msgid, "text")
        body["text"] = {"content": f"@{self.bot_name} {text}" if chat else text}
        return self._push("aibot_msg_callback", body, "message", chat or user)

    def push_image(self, user: str, content: bytes, *, msgid: str | None = None) -> str:
        """An image in a single chat (WeCom delivers images to the bot only there)."""
        body = self._envelope(user, None, msgid, "image")
        body["image"] = self._host(content, "")
        return self._push("aibot_msg_callback", body, "message", user)

    def push_voice(self, user: str, said: str, *, msgid: str | None = None) -> str:
        """A voice message in a single chat: WeCom sends its transcription, not the sound
        (doc 100719, 语音: ``voice.content``)."""
        body = self._envelope(user, None, msgid, "voice")
        body["voice"] = {"content": said}
        return self._push("aibot_msg_callback", body, "message", user)

    def push_mixed(self, user: str, *parts: str | bytes, chat: str | None = None,
                   msgid: str | None = None) -> str:
        """Text and pictures as one message (图文混排), the way a picture reaches the bot in a
        group: ``mixed.msg_item`` in order, a ``str`` a text part, ``bytes`` a picture hosted
        encrypted like any other; in a group the first text part starts with the mention."""
        items: list[dict[str, Any]] = []
        for part in parts:
            if isinstance(part, bytes):
                items.append({"msgtype": "image", "image": self._host(part, "")})
            else:
                mention = f"@{self.bot_name} " if chat and not items else ""
                items.append({"msgtype": "text", "text": {"content": mention + part}})
        body = self._envelope(user, chat, msgid, "mixed")
        body["mixed"] = {"msg_item": items}
        return self._push("aibot_msg_callback", body, "message", chat or user)

    def push_file(self, user: str, content: bytes, filename: str, *,
                  chat: str | None = None) -> str:
        """A file; its name comes only with the download (Content-Disposition), as from WeCom."""
        body = self._envelope(user, chat, None, "file")
        body["file"] = self._host(content, filename)
        return self._push("aibot_msg_callback", body, "message", chat or user)

    def push_event(self, user: str, eventtype: str, *, chat: str | None = None,
                   msgid: str | None = None, **event_fields: Any) -> str:
        """An event; ``event_fields`` go in ``event[eventtype]`` (e.g. a card click's task_id)."""
        body = self._envelope(user, chat, msgid, "event")
        event: dict[str, Any] = {"eventtype": eventtype}
        if event_fields:
            event[eventtype] = dict(event_fields)
        body["event"] = event
        return self._push("aibot_event_callback", body, eventtype, chat or user,
                          str(event_fields.get("task_id", "")))

    def click(self, user: str, card: dict[str, Any], key: str, *, chat: str | None = None) -> str:
        """A member presses the button ``key`` of ``card`` (a template_card the bot sent)."""
        keys = [button.get("key") for button in card.get("button_list", [])]
        assert key in keys, f"the card has no button {key!r}; its buttons: {keys}"
        return self.push_event(user, "template_card_event", chat=chat,
                               card_type=card.get("card_type", "button_interaction"),
                               event_key=key, task_id=card["task_id"])

    def redeliver(self, msgid: str) -> str:
        """WeCom's retry after a network problem: the very same body under a NEW req_id, which
        this returns."""
        with self._changed:
            body = self.pushed[msgid]
            cmd, kind, chat = self._kinds[msgid]
        task_id = str(_obj(_obj(body, "event"), "template_card_event").get("task_id", ""))
        self._push(cmd, body, kind, chat, task_id, record=False)
        with self._changed:
            return self.req_ids[msgid][-1]

    def drop(self) -> None:
        """Cut the current connection from the server side, no close frame (a network failure)."""
        with self._changed:
            link = self._link or (self._open[-1] if self._open else None)
        assert link is not None and link.transport is not None, "no connection to drop"
        self._on_loop(link.transport.abort)
        self.wait_for(lambda bot: link not in bot._open, 10)

    def refuse_auth(self, errcode: int = AUTH_FAILED,
                    errmsg: str = "invalid bot_id or secret") -> None:
        """Every subscribe from now on is refused, whatever the credentials (a revoked secret)."""
        with self._changed:
            self._auth_refusal = (errcode, errmsg)

    def accept_auth(self) -> None:
        with self._changed:
            self._auth_refusal = None

    def stall_pings(self) -> None:
        """Pings go unanswered, the socket stays open: the client must notice and reconnect
        (SDK 1.0.2 notices after two and closes cleanly, which ends its loop: no reconnect)."""
        with self._changed:
            self._answer_pings = False

    def answer_pings(self) -> None:
        with self._changed:
            self._answer_pings = True

    def rate_limit(self, n: int) -> None:
        """The next ``n`` messages (sends, responds, welcomes) answer 45009 whatever."""
        with self._changed:
            self._limited = n

    def hold_acks(self) -> None:
        """No ack goes out until :meth:`release_acks` (frames are still read and recorded)."""
        assert self._acks_open is not None
        self._on_loop(self._acks_open.clear)

    def release_acks(self) -> None:
        assert self._acks_open is not None
        self._on_loop(self._acks_open.set)

    @property
    def connected(self) -> bool:
        """Whether a subscribed connection is open (the one pushes go to)."""
        with self._changed:
            return self._link is not None

    def media_gets(self, media: str) -> int:
        """How many downloads of a hosted file began; ``media`` is its id or its whole url."""
        with self._changed:
            return self._gets.get(media.rstrip("/").rsplit("/", 1)[-1], 0)

    # -- what tests read ------------------------------------------------------------------------
    def sent_to(self, chat: str) -> list[dict[str, Any]]:
        """Bodies delivered to ``chat`` (a userid for a single chat, a chatid for a group):
        sends, responds (to the chat of the callback answered) and welcomes."""
        with self._changed:
            return [body for to, body in self._delivered if to == chat]

    def markdowns_to(self, chat: str) -> list[str]:
        """Markdown contents, and each stream's final content (the snapshot a member is left
        with: every stream frame carries the whole text so far)."""
        texts: list[str] = []
        for body in self.sent_to(chat):
            if body.get("msgtype") == "markdown":
                texts.append(str(_obj(body, "markdown").get("content", "")))
            elif body.get("msgtype") in STREAMS and _obj(body, "stream").get("finish"):
                texts.append(str(_obj(body, "stream").get("content", "")))
        return texts

    def cards_to(self, chat: str) -> list[dict[str, Any]]:
        return [body["template_card"] for body in self.sent_to(chat)
                if isinstance(body.get("template_card"), dict)]

    def files_to(self, chat: str) -> list[tuple[str, bytes]]:
        """(filename, content) of each file message, content reassembled from its upload."""
        with self._changed:
            return [self._media[_obj(body, "file")["media_id"]][1:]
                    for to, body in self._delivered if to == chat and body.get("msgtype") == "file"]

    # -- pushing --------------------------------------------------------------------------------
    def _envelope(self, user: str, chat: str | None, msgid: str | None,
                  msgtype: str) -> dict[str, Any]:
        body: dict[str, Any] = {"msgid": msgid or uuid.uuid4().hex, "aibotid": self.bot_id}
        if chat:
            body["chatid"] = chat  # only in group chats
        body.update({"chattype": "group" if chat else "single", "from": {"userid": user},
                     "create_time": int(time.time()), "msgtype": msgtype})
        return body

    def _host(self, content: bytes, filename: str) -> dict[str, str]:
        key = os.urandom(32)
        media = uuid.uuid4().hex
        with self._changed:
            self._hosted[media] = (encrypt_media(content, key), filename)
        return {"url": self.media_base + media,
                "aeskey": base64.b64encode(key).decode().rstrip("=")}

    def _push(self, cmd: str, body: dict[str, Any], kind: str, chat: str, task_id: str = "",
              *, record: bool = True) -> str:
        req_id = uuid.uuid4().hex
        msgid = str(body["msgid"])
        with self._changed:
            if not self._changed.wait_for(lambda: self._link is not None, 15):
                raise AssertionError("no subscribed connection to push to")
            link = self._link
            assert link is not None
            link.callbacks[req_id] = _Callback(chat, kind, time.monotonic(), task_id)
            if kind != "disconnected_event":
                self._known_chats.add(chat)
            if record:
                self.pushed[msgid] = body
                self._kinds[msgid] = (cmd, kind, chat)
            self.req_ids.setdefault(msgid, []).append(req_id)
        frame = {"cmd": cmd, "headers": {"req_id": req_id}, "body": body}
        self._run(link.socket.send_str(json.dumps(frame, ensure_ascii=False)))
        return msgid

    def push_raw(self, text: str) -> None:
        """Send ``text`` as it is on the subscribed connection: what a broken or newer WeCom
        might send (not JSON, a callback without its fields, a command nobody knows)."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._link is not None, 15):
                raise AssertionError("no subscribed connection to push to")
            link = self._link
            assert link is not None
        self._run(link.socket.send_str(text))

    # -- the server -----------------------------------------------------------------------------
    async def _serve_media(self, request: web.Request) -> web.StreamResponse:
        media = request.match_info["id"]
        with self._changed:
            self._gets[media] = self._gets.get(media, 0) + 1
            hosted = self._hosted.get(media)
            self._changed.notify_all()
        if hosted is None:
            raise web.HTTPNotFound()
        headers = {"Content-Type": "application/octet-stream"}
        if hosted[1]:
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(hosted[1])}"
        return web.Response(body=hosted[0], headers=headers)

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        socket = web.WebSocketResponse()  # WebSocket-level pings answered by aiohttp itself
        await socket.prepare(request)
        with self._changed:
            self.connections += 1
            link = _Link(self.connections, socket, request.transport)
            self._open.append(link)
            self._changed.notify_all()
        try:
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    await self._receive(link, message.data)
        finally:
            with self._changed:
                self._open.remove(link)
                if self._link is link:
                    self._link = None
                self._changed.notify_all()
        return socket

    async def _receive(self, link: _Link, raw: str) -> None:
        try:
            frame = json.loads(raw)
            cmd, req_id = str(frame.get("cmd", "")), str(frame["headers"]["req_id"])
            body = frame.get("body") or {}
            assert isinstance(body, dict)
        except (ValueError, KeyError, TypeError, AttributeError, AssertionError):
            await link.socket.close()  # not the protocol: WeCom hangs up
            return
        displaced: _Link | None = None
        answer: dict[str, Any] | None = None
        with self._changed:
            try:
                if cmd == "aibot_subscribe":
                    displaced = self._subscribe(link, body)
                elif cmd == "ping":
                    if not self._answer_pings:
                        raise Refused(None, "ping not answered (stall_pings)")
                elif not link.subscribed:
                    raise Refused(None, "not subscribed: connection closed")
                else:
                    answer = self._handle(link, cmd, req_id, body)
                errcode: int | None = 0
                errmsg = "ok"
            except Refused as refused:
                errcode, errmsg = refused.errcode, refused.errmsg
            self.frames.append(Frame(cmd, req_id, body, link.number, errcode, errmsg))
            self._changed.notify_all()
        if errcode is None:
            if cmd != "ping":
                await link.socket.close()
            return
        assert self._acks_open is not None
        await self._acks_open.wait()
        ack: dict[str, Any] = {"headers": {"req_id": req_id}, "errcode": errcode, "errmsg": errmsg}
        if answer is not None:
            ack["body"] = answer
        with suppress(ConnectionError):  # the client went meanwhile: nothing to answer
            await link.socket.send_str(json.dumps(ack, ensure_ascii=False))
        if displaced is not None:
            event = {"cmd": "aibot_event_callback", "headers": {"req_id": uuid.uuid4().hex},
                     "body": {"msgid": uuid.uuid4().hex, "aibotid": self.bot_id,
                              "create_time": int(time.time()), "msgtype": "event",
                              "event": {"eventtype": "disconnected_event"}}}
            if not displaced.socket.closed and displaced.transport is not None:
                with suppress(ConnectionError):
                    await displaced.socket.send_str(json.dumps(event))
                # Then the TCP connection goes, no close frame: the official SDK reconnects
                # after it, as it does against WeCom (a clean close would end its loop silently).
                displaced.transport.close()

    def _subscribe(self, link: _Link, body: dict[str, Any]) -> _Link | None:
        bot_id, secret = str(body.get("bot_id", "")), str(body.get("secret", ""))
        if self._auth_refusal is not None:
            refusal: tuple[int, str] | None = self._auth_refusal
        elif (bot_id, secret) != (self.bot_id, self.secret):
            refusal = (AUTH_FAILED, "invalid bot_id or secret")
        else:
            refusal = None
        self.subscribes.append((bot_id, secret, refusal[0] if refusal else 0))
        if refusal is not None:  # the socket stays open: the SDK logs it and the client decides
            raise Refused(*refusal)
        displaced = self._link if self._link is not link else None
        if displaced is not None:
            displaced.subscribed = False
        link.subscribed = True
        self._link = link
        return displaced

    def _handle(self, link: _Link, cmd: str, req_id: str,
                body: dict[str, Any]) -> dict[str, Any] | None:
        if cmd == "aibot_respond_msg":
            callback = link.callbacks.get(req_id)
            if callback is None or callback.kind != "message":
                raise Refused(INVALID_REQ_ID, "invalid req_id: no message callback with it on "
                                              "this connection")
            self._check_message(body, RESPOND_TYPES)
            stream_id = str(_obj(body, "stream").get("id", ""))
            if body.get("msgtype") not in STREAMS or stream_id not in self._streams:
                self._take_quota(callback.chat)  # a stream's later frames edit one message
            if body.get("msgtype") in STREAMS:
                self._streams.add(stream_id)
            self._delivered.append((callback.chat, body))
        elif cmd == "aibot_respond_welcome_msg":
            callback = self._reply_target(link, req_id, "enter_chat")
            if body.get("msgtype") not in WELCOME_TYPES:
                raise Refused(INVALID_MSGTYPE, f"invalid message type {body.get('msgtype')!r}")
            self._take_quota(callback.chat)
            self.welcomes.append(body)
            self._delivered.append((callback.chat, body))
        elif cmd == "aibot_respond_update_msg":
            callback = self._reply_target(link, req_id, "template_card_event")
            card = _obj(body, "template_card")
            if body.get("response_type") != "update_template_card" or not card:
                raise Refused(INVALID_PARAM, "invalid parameter: response_type / template_card")
            if card.get("task_id") != callback.task_id:
                raise Refused(INVALID_PARAM, "invalid parameter: task_id is not the clicked card's")
            self.updates.append(body)
        elif cmd == "aibot_send_msg":
            chat = body.get("chatid")
            self._check_message(body, SEND_TYPES)
            if not isinstance(chat, str) or chat not in self._known_chats:
                raise Refused(UNKNOWN_CHAT, "invalid chatid: no conversation with the bot")
            self._take_quota(chat)
            self._delivered.append((chat, body))
        elif cmd == "aibot_upload_media_init":
            return self._upload_init(body)
        elif cmd == "aibot_upload_media_chunk":
            self._upload_chunk(body)
        elif cmd == "aibot_upload_media_finish":
            return self._upload_finish(body)
        else:
            raise Refused(INVALID_PARAM, f"invalid cmd {cmd!r}")
        return None

    def _reply_target(self, link: _Link, req_id: str, kind: str) -> _Callback:
        callback = link.callbacks.get(req_id)
        if callback is None or callback.kind != kind:
            raise Refused(INVALID_REQ_ID, f"invalid req_id: no {kind} callback with it on this "
                                          "connection")
        if time.monotonic() - callback.at > self.reply_window_s:
            raise Refused(INVALID_REQ_ID, "invalid req_id: the reply window has passed")
        return callback

    def _check_message(self, body: dict[str, Any], allowed: frozenset[str]) -> None:
        msgtype = body.get("msgtype")
        if msgtype not in allowed:
            raise Refused(INVALID_MSGTYPE, f"invalid message type {msgtype!r}")
        if msgtype == "markdown":
            content = _obj(body, "markdown").get("content")
            if not isinstance(content, str) or not content:
                raise Refused(INVALID_PARAM, "invalid parameter: markdown.content")
            if len(content.encode("utf-8")) > MARKDOWN_MAX_BYTES:
                raise Refused(CONTENT_TOO_LONG, "content size out of limit")
        elif msgtype in MEDIA_TYPES:
            media = self._media.get(str(_obj(body, str(msgtype)).get("media_id")))
            if media is None or media[0] != msgtype:
                raise Refused(INVALID_MEDIA_ID, "invalid media_id")
        elif msgtype == "template_card" and not _obj(body, "template_card"):
            raise Refused(INVALID_PARAM, "invalid parameter: template_card")

    def _take_quota(self, chat: str) -> None:
        if self._limited > 0:
            self._limited -= 1
            raise Refused(FREQ_LIMIT, "api freq out of limit")
        now = time.monotonic()
        recent = [at for at in self._recent.get(chat, []) if now - at < 60]
        if len(recent) >= self.per_chat_per_minute:
            self._recent[chat] = recent
            raise Refused(FREQ_LIMIT, "api freq out of limit")
        self._recent[chat] = [*recent, now]

    def _upload_init(self, body: dict[str, Any]) -> dict[str, Any]:
        kind, filename, md5 = body.get("type"), body.get("filename"), body.get("md5")
        size, chunks = _count(body.get("total_size")), _count(body.get("total_chunks"))
        if kind not in MEDIA_TYPES:
            raise Refused(INVALID_MEDIA_TYPE, f"invalid media type {kind!r}")
        if not isinstance(filename, str) or not filename or not isinstance(md5, str):
            raise Refused(INVALID_PARAM, "invalid parameter: filename / md5")
        if size is None or chunks is None or not 0 < chunks <= min(MAX_CHUNKS, size) \
                or size > chunks * CHUNK_MAX_BYTES:
            raise Refused(INVALID_SIZE, "invalid file size or chunk count")
        upload_id = uuid.uuid4().hex
        self._uploads[upload_id] = _Upload(str(kind), filename, size, chunks, md5.lower())
        return {"upload_id": upload_id}

    def _upload_chunk(self, body: dict[str, Any]) -> None:
        upload = self._uploads.get(str(body.get("upload_id")))
        if upload is None:
            raise Refused(INVALID_PARAM, "invalid upload_id")
        index = _count(body.get("chunk_index"))
        if index is None or not 0 <= index < upload.total_chunks:
            raise Refused(INVALID_PARAM, "invalid parameter: chunk_index out of range")
        try:
            data = base64.b64decode(str(body.get("base64_data")), validate=True)
        except binascii.Error:
            raise Refused(INVALID_PARAM, "invalid parameter: base64_data") from None
        if not data or len(data) > CHUNK_MAX_BYTES:
            raise Refused(INVALID_SIZE, "invalid chunk size")
        upload.chunks[index] = data  # chunks come in any order, and again on a retry

    def _upload_finish(self, body: dict[str, Any]) -> dict[str, Any]:
        upload_id = str(body.get("upload_id"))
        upload = self._uploads.get(upload_id)
        if upload is None:
            raise Refused(INVALID_PARAM, "invalid upload_id")
        missing = sorted(set(range(upload.total_chunks)) - upload.chunks.keys())
        if missing:
            raise Refused(INVALID_PARAM, f"upload not complete: chunks {missing} missing")
        content = b"".join(upload.chunks[i] for i in range(upload.total_chunks))
        if len(content) != upload.total_size:
            raise Refused(INVALID_SIZE, "total_size does not match the chunks")
        if hashlib.md5(content).hexdigest() != upload.md5:
            raise Refused(INVALID_PARAM, "md5 mismatch")
        del self._uploads[upload_id]
        media_id = f"media-{uuid.uuid4().hex}"
        self._media[media_id] = (upload.type, upload.filename, content)
        return {"type": upload.type, "media_id": media_id, "created_at": str(int(time.time()))}
