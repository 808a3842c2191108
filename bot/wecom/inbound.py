"""WeCom's callback, verified and decrypted, as one small typed message.

Why its own module: everything that arrives at ``/wecom/callback`` is untrusted until the
signature checks and the ciphertext opens to our corp ID. This module does exactly that with
wechatpy's ``WeChatCrypto`` and turns the XML into a :class:`WeComMessage`, or raises
:class:`CallbackRejected` with the HTTP status to answer — so the adapter never touches the
dialogue with something WeCom did not send.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from wechatpy.exceptions import InvalidSignatureException
from wechatpy.fields import IntegerField, StringField
from wechatpy.work import parse_message
from wechatpy.work.crypto import WeChatCrypto
from wechatpy.work.events import BaseEvent, ClickEvent
from wechatpy.work.exceptions import InvalidCorpIdException
from wechatpy.work.messages import ImageMessage, TextMessage

MAX_BODY_BYTES = 256 * 1024
"""WeCom's callbacks are small XML envelopes; anything bigger is not from WeCom."""


class TemplateCardEvent(BaseEvent):  # type: ignore[misc]
    """A tap on a template card's button (``template_card_event``); wechatpy 2.0.0a26 has no
    class for it, and defining one registers it with wechatpy's parser."""

    event = "template_card_event"
    agent = IntegerField("AgentID", 0)
    key = StringField("EventKey", "")
    task_id = StringField("TaskId", "")
    card_type = StringField("CardType", "")
    response_code = StringField("ResponseCode", "")


class CallbackRejected(Exception):
    """The request is not a callback we accept; ``status`` is the HTTP answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


MessageKind = Literal["text", "image", "card", "menu", "other", "event"]
"""``other``: a message kind we do not read (voice, video...); ``event``: one we ignore."""


@dataclass(frozen=True, slots=True)
class WeComMessage:
    """One member's input. ``event_id`` is stable across WeCom's repeated deliveries of it."""

    kind: MessageKind
    user_id: str
    agent_id: int | None
    event_id: str
    text: str = field(default="", repr=False)
    """What was typed; kept out of ``repr`` because it may hold a SecretKey."""
    media_id: str = ""
    key: str = ""
    task_id: str = ""
    response_code: str = ""


def _param(params: Mapping[str, str], name: str) -> str:
    value = params.get(name)
    if not value:
        raise CallbackRejected(400, f"missing {name}")
    return value


def _string(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str | int):
        raise CallbackRejected(400, f"malformed {field}")
    return str(value)


class CallbackCrypto:
    """Checks and opens WeCom's callbacks for one self-built app."""

    def __init__(self, token: str, aes_key: str, corp_id: str) -> None:
        self.corp_id = corp_id
        self._crypto = WeChatCrypto(token, aes_key, corp_id)

    def verify_url(self, params: Mapping[str, str]) -> str:
        """URL verification (GET): the decrypted ``echostr`` to answer with."""
        try:
            return str(self._crypto.check_signature(
                _param(params, "msg_signature"), _param(params, "timestamp"),
                _param(params, "nonce"), _param(params, "echostr"),
            ))
        except InvalidSignatureException:
            raise CallbackRejected(403, "bad signature") from None
        except InvalidCorpIdException:
            raise CallbackRejected(403, "another corp") from None
        except CallbackRejected:
            raise
        except Exception:
            raise CallbackRejected(400, "echostr does not decrypt") from None

    def open(self, params: Mapping[str, str], body: bytes) -> WeComMessage:
        """Verify, decrypt and parse one POSTed callback."""
        signature = _param(params, "msg_signature")
        timestamp = _param(params, "timestamp")
        nonce = _param(params, "nonce")
        if not body:
            raise CallbackRejected(400, "empty body")
        try:
            xml = self._crypto.decrypt_message(body, signature, timestamp, nonce)
        except InvalidSignatureException:
            raise CallbackRejected(403, "bad signature") from None
        except InvalidCorpIdException:
            raise CallbackRejected(403, "another corp") from None
        except Exception:
            raise CallbackRejected(400, "body does not parse or decrypt") from None
        try:
            return self._message(parse_message(xml))
        except CallbackRejected:
            raise
        except Exception:
            raise CallbackRejected(400, "message does not parse") from None

    def _message(self, message: Any) -> WeComMessage:
        if message is None:
            raise CallbackRejected(400, "empty message")
        user = _string(message.source, "FromUserName")
        if not user or len(user) > 200:
            raise CallbackRejected(400, "no sender")
        agent_raw = message._data.get("AgentID")
        agent = int(agent_raw) if agent_raw not in (None, "") else None
        if _string(message._data.get("MsgType"), "MsgType").lower() == "event":
            return self._event(message, user, agent)
        msg_id = _string(message._data.get("MsgId"), "MsgId")
        if not msg_id or len(msg_id) > 100:
            raise CallbackRejected(400, "no MsgId")
        event_id = f"wecom:{self.corp_id}:msg:{msg_id}"
        if isinstance(message, TextMessage):
            return WeComMessage("text", user, agent, event_id,
                                text=_string(message.content, "Content"))
        if isinstance(message, ImageMessage):
            media_id = _string(message.media_id, "MediaId")
            if not media_id:
                raise CallbackRejected(400, "image without MediaId")
            return WeComMessage("image", user, agent, event_id, media_id=media_id)
        return WeComMessage("other", user, agent, event_id)

    def _event(self, message: Any, user: str, agent: int | None) -> WeComMessage:
        created = _string(message._data.get("CreateTime"), "CreateTime")
        name = _string(message._data.get("Event"), "Event").lower()
        key = _string(message._data.get("EventKey"), "EventKey")
        task = _string(message._data.get("TaskId"), "TaskId")
        # WeCom de-duplicates events on FromUserName + CreateTime; the event's own fields are
        # added so that two different taps within one second stay two inputs.
        digest = hashlib.sha256("\n".join((user, created, name, key, task)).encode()).hexdigest()
        event_id = f"wecom:{self.corp_id}:event:{digest[:40]}"
        if isinstance(message, TemplateCardEvent):
            return WeComMessage("card", user, agent, event_id, key=key, task_id=task,
                                response_code=_string(message.response_code, "ResponseCode"))
        if isinstance(message, ClickEvent):
            return WeComMessage("menu", user, agent, event_id, key=key)
        return WeComMessage("event", user, agent, event_id, key=name)
