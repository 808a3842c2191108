"""The smart bot's long-connection protocol: frames, what arrives in them, and media decryption.

Why our own and not the official SDK (``wecom-aibot-python-sdk``, read at 1.0.2): its client
passes an SSL context to every connection, which a ``ws://`` URL refuses (so it cannot be tested
against a local server), it has no media upload (the workbook could not be posted back), it
gives up reconnecting after ten attempts, and it brings pyee, websockets and certifi. The
protocol itself is small — JSON frames ``{cmd, headers: {req_id}, body}`` answered by
``{headers: {req_id}, errcode, errmsg[, body]}`` — and aiohttp, already a dependency, speaks
WebSocket. Commands and shapes follow WeCom's document 101463 (智能机器人长连接) and both SDKs
(the community ``wecom-aibot-sdk`` for the upload frames); ``tests/bot/wecom/smartbot`` holds the
official SDK against our fake server to keep the two honest.
"""

from __future__ import annotations

import base64
import binascii
import os
import time
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

DEFAULT_URL = "wss://openws.work.weixin.qq.com"

SUBSCRIBE = "aibot_subscribe"
PING = "ping"
RESPOND = "aibot_respond_msg"
RESPOND_WELCOME = "aibot_respond_welcome_msg"
RESPOND_UPDATE = "aibot_respond_update_msg"
SEND = "aibot_send_msg"
UPLOAD_INIT = "aibot_upload_media_init"
UPLOAD_CHUNK = "aibot_upload_media_chunk"
UPLOAD_FINISH = "aibot_upload_media_finish"
MESSAGE_CALLBACK = "aibot_msg_callback"
EVENT_CALLBACK = "aibot_event_callback"

UPLOAD_CHUNK_BYTES = 512 * 1024
"""A chunk's size before base64 (WeCom's limit), at most ``UPLOAD_MAX_CHUNKS`` of them."""
UPLOAD_MAX_CHUNKS = 100
MAX_MIXED_ITEMS = 20
"""Parts of a text-and-pictures message read (WeCom's client allows far fewer); the rest are
left, so a forged frame of a million parts costs nothing to read."""

RATE_LIMITED = frozenset({45009, 45033, 45035, 846607, -1})
"""errcodes that mean "not now": frequency limits (846607 is the long connection's own, "aibot send
msg frequency limit exceeded", reported by public clients) and WeCom's "system busy" (-1)."""


def request_id(cmd: str) -> str:
    """``<cmd>_<ms>_<random>``, the SDKs' form: acks are matched to requests by it."""
    return f"{cmd}_{int(time.time() * 1000)}_{os.urandom(4).hex()}"


def frame(cmd: str, body: dict[str, Any] | None = None, req_id: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"cmd": cmd, "headers": {"req_id": req_id or request_id(cmd)}}
    if body is not None:
        out["body"] = body
    return out


InputKind = Literal["text", "image", "file", "unheard", "other", "enter", "click", "kicked",
                    "event"]


@dataclass(frozen=True, slots=True)
class Media:
    """A picture or file WeCom hosts for the bot: where to fetch it and the key it is sealed
    with (the message's own ``aeskey``)."""

    url: str = field(repr=False)
    aes_key: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class BotInput:
    """One callback, read: who, in which chat, what. ``msgid`` is WeCom's id of the message or
    event, the same on every delivery of it (its de-duplication key, doc 101027)."""

    kind: InputKind
    msgid: str
    req_id: str
    user_id: str
    chat_type: Literal["single", "group"]
    chat_id: str
    """The group's chatid; in a single chat, the member's userid (where proactive sends go)."""
    text: str = field(default="", repr=False)
    """What was typed or said (a voice message's transcription; a picture's caption), the
    group's leading ``@bot`` taken off; never in ``repr`` (a key)."""
    media: tuple[Media, ...] = ()
    """An ``image`` or ``file``'s one; a text-and-pictures (``mixed``) message's pictures."""
    key: str = ""
    task_id: str = ""


class NotACallback(ValueError):
    """A frame that is not a callback we can read (logged by its reason only)."""


def _text(value: Any, limit: int = 200) -> str:
    if isinstance(value, str | int) and not isinstance(value, bool):
        text = str(value)
        if len(text) <= limit:
            return text
    return ""


def strip_mention(text: str) -> str:
    """``@E签助手 状态`` → ``状态``. In a group the bot only hears messages that @mention it, and
    WeCom keeps the mention in the text; a name may hold spaces WeCom does not escape, so only a
    leading ``@name`` up to the first space (or the thin space WeCom's client inserts) goes."""
    stripped = text.lstrip()
    if not stripped.startswith("@"):
        return text.strip()
    for index, char in enumerate(stripped):
        if char.isspace() or char == "\u2005":
            return stripped[index + 1:].strip()
    return ""  # the mention alone: like an empty message (help)


def read_callback(message: dict[str, Any]) -> BotInput:
    """A ``aibot_msg_callback`` or ``aibot_event_callback`` frame as a :class:`BotInput`."""
    cmd = message.get("cmd")
    headers = message.get("headers")
    body = message.get("body")
    if cmd not in (MESSAGE_CALLBACK, EVENT_CALLBACK) or not isinstance(body, dict) \
            or not isinstance(headers, dict):
        raise NotACallback("not a callback")
    req_id = _text(headers.get("req_id"), 300)
    msgid = _text(body.get("msgid"), 200)
    sender = body.get("from") if isinstance(body.get("from"), dict) else {}
    user = _text(sender.get("userid"), 200) if isinstance(sender, dict) else ""
    chat_type: Literal["single", "group"] = "group" if body.get("chattype") == "group" else "single"
    chat = _text(body.get("chatid"), 200) if chat_type == "group" else user
    msgtype = body.get("msgtype")
    if msgtype == "event":
        event = body.get("event") if isinstance(body.get("event"), dict) else {}
        assert isinstance(event, dict)
        kind = _text(event.get("eventtype"), 100)
        if kind == "disconnected_event":  # another connection took over; no sender needed
            return BotInput("kicked", msgid, req_id, user, chat_type, chat)
        if not msgid or not user or not chat:
            raise NotACallback("event without msgid, sender or chat")
        if kind == "enter_chat":
            return BotInput("enter", msgid, req_id, user, chat_type, chat)
        if kind == "template_card_event":
            card = event.get("template_card_event")
            card = card if isinstance(card, dict) else {}
            return BotInput("click", msgid, req_id, user, chat_type, chat,
                            key=_text(card.get("event_key"), 1024),
                            task_id=_text(card.get("task_id"), 128))
        return BotInput("event", msgid, req_id, user, chat_type, chat, key=kind)
    if not msgid or not user or not chat:
        raise NotACallback("message without msgid, sender or chat")
    said = BotInput("text", msgid, req_id, user, chat_type, chat)
    if msgtype == "text":
        text = _content(body.get("text"))
        return replace(said, text=strip_mention(text) if chat_type == "group" else text)
    if msgtype == "voice":  # WeCom sends what was said as text (doc 100719, 语音)
        text = _content(body.get("voice")).strip()
        return replace(said, text=text) if text else replace(said, kind="unheard")
    if msgtype in ("image", "file"):
        media = _media(body.get(msgtype))
        if media is not None:
            return replace(said, kind=msgtype, media=(media,))
    if msgtype == "mixed":
        return _mixed(said, body.get("mixed"))
    return replace(said, kind="other")


def _content(part: Any) -> str:
    """``{"content": "…"}``'s text ("" when it is not that shape)."""
    content = part.get("content") if isinstance(part, dict) else None
    return content if isinstance(content, str) else ""


def _media(part: Any) -> Media | None:
    """``{"url": …, "aeskey": …}`` when both are there and the URL is one to fetch."""
    if not isinstance(part, dict):
        return None
    url, aes_key = _text(part.get("url"), 4000), _text(part.get("aeskey"), 200)
    return Media(url, aes_key) if url.startswith(("https://", "http://")) and aes_key else None


def _mixed(said: BotInput, mixed: Any) -> BotInput:
    """Text and pictures sent as one message (图文混排, doc 100719) — the only way a picture
    reaches the bot in a group. With pictures, the pictures are the message (its words are a
    caption, "这是营业执照", not an answer); without, its words are."""
    items = mixed.get("msg_item") if isinstance(mixed, dict) else None
    if not isinstance(items, list) or not items:
        return replace(said, kind="other")
    words: list[str] = []
    pictures: list[Media] = []
    for item in items[:MAX_MIXED_ITEMS]:
        kind = item.get("msgtype") if isinstance(item, dict) else None
        if kind == "text":
            words.append(_content(item.get("text")))
        elif kind == "image" and (picture := _media(item.get("image"))) is not None:
            pictures.append(picture)
    text = "\n".join(word for word in words if word.strip())
    text = strip_mention(text) if said.chat_type == "group" else text
    if pictures:
        return replace(said, kind="image", media=tuple(pictures), text=text)
    return replace(said, text=text) if text.strip() else replace(said, kind="other")


class MediaUnreadable(ValueError):
    """The downloaded bytes do not open with the message's key."""


def decrypt_media(data: bytes, aes_key: str) -> bytes:
    """A picture or file as WeCom serves it: AES-256-CBC, the key the message's ``aeskey``
    (base64, its padding often left off), the IV the key's first 16 bytes, PKCS#7 padding to a
    multiple of 32 bytes (doc 101463, 多媒体资源解密; the SDKs' ``decrypt_file``)."""
    try:
        key = base64.b64decode(aes_key + "=" * (-len(aes_key) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise MediaUnreadable("aeskey is not base64") from None
    if len(key) != 32:
        raise MediaUnreadable("aeskey is not 32 bytes")
    if not data or len(data) % 16:
        raise MediaUnreadable("not whole AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= 32 or pad > len(plain) or plain[-pad:] != bytes([pad]) * pad:
        raise MediaUnreadable("bad padding")
    return plain[:-pad]
