"""WeCom's side of the callback: messages encrypted and signed the way WeCom sends them.

Uses wechatpy's ``WeChatCrypto`` (AES-256-CBC with the corp ID appended, SHA-1 signature over
token, timestamp, nonce and ciphertext) and posts the envelope WeCom posts:
``<xml><ToUserName/><AgentID/><Encrypt/></xml>`` with ``msg_signature``, ``timestamp`` and
``nonce`` in the query string.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import time
import uuid
from dataclasses import dataclass

import httpx
from wechatpy.work.crypto import PrpCrypto, WeChatCrypto

_ENCRYPT = re.compile(r"<Encrypt><!\[CDATA\[(.*?)\]\]></Encrypt>", re.S)
_msg_ids = itertools.count(7_000_000_000_000_000_001)


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode()).hexdigest()


@dataclass(frozen=True)
class Envelope:
    """One encrypted callback, kept so a test can deliver it again (WeCom's retry)."""

    query: dict[str, str]
    body: bytes


class WeComCallbacks:
    """Plays WeCom delivering members' messages to ``{base_url}/wecom/callback``."""

    def __init__(self, base_url: str, *, token: str, aes_key: str, corp_id: str,
                 agent_id: int) -> None:
        self.url = base_url.rstrip("/") + "/wecom/callback"
        self.token = token
        self.aes_key = aes_key
        self.corp_id = corp_id
        self.agent_id = agent_id
        self.crypto = WeChatCrypto(token, aes_key, corp_id)
        self.http = httpx.Client(timeout=15.0)
        self._clock = itertools.count(int(time.time()))

    def close(self) -> None:
        self.http.close()

    # -- building -------------------------------------------------------------------------
    def _head(self, user: str, msg_type: str) -> str:
        return (f"<ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
                f"<FromUserName><![CDATA[{user}]]></FromUserName>"
                f"<CreateTime>{next(self._clock)}</CreateTime>"
                f"<MsgType><![CDATA[{msg_type}]]></MsgType>")

    def text_xml(self, user: str, content: str, msg_id: int | None = None) -> str:
        return (f"<xml>{self._head(user, 'text')}<Content><![CDATA[{content}]]></Content>"
                f"<MsgId>{msg_id or next(_msg_ids)}</MsgId><AgentID>{self.agent_id}</AgentID></xml>")

    def image_xml(self, user: str, media_id: str) -> str:
        return (f"<xml>{self._head(user, 'image')}"
                f"<PicUrl><![CDATA[https://wework.qpic.cn/{media_id}]]></PicUrl>"
                f"<MediaId><![CDATA[{media_id}]]></MediaId>"
                f"<MsgId>{next(_msg_ids)}</MsgId><AgentID>{self.agent_id}</AgentID></xml>")

    def voice_xml(self, user: str) -> str:
        return (f"<xml>{self._head(user, 'voice')}<MediaId><![CDATA[V1]]></MediaId>"
                f"<Format><![CDATA[amr]]></Format><MsgId>{next(_msg_ids)}</MsgId>"
                f"<AgentID>{self.agent_id}</AgentID></xml>")

    def card_click_xml(self, user: str, key: str, task_id: str,
                       response_code: str = "") -> str:
        return (f"<xml>{self._head(user, 'event')}"
                "<Event><![CDATA[template_card_event]]></Event>"
                f"<EventKey><![CDATA[{key}]]></EventKey><TaskId><![CDATA[{task_id}]]></TaskId>"
                "<CardType><![CDATA[button_interaction]]></CardType>"
                f"<ResponseCode><![CDATA[{response_code or uuid.uuid4().hex}]]></ResponseCode>"
                f"<AgentID>{self.agent_id}</AgentID></xml>")

    def menu_click_xml(self, user: str, key: str) -> str:
        """A tap on the app's custom menu (自定义菜单) item whose key is ``key``."""
        return (f"<xml>{self._head(user, 'event')}<Event><![CDATA[click]]></Event>"
                f"<EventKey><![CDATA[{key}]]></EventKey><AgentID>{self.agent_id}</AgentID></xml>")

    def enter_agent_xml(self, user: str) -> str:
        return (f"<xml>{self._head(user, 'event')}<Event><![CDATA[enter_agent]]></Event>"
                f"<EventKey><![CDATA[]]></EventKey><AgentID>{self.agent_id}</AgentID></xml>")

    def seal(self, xml: str, *, crypto: WeChatCrypto | None = None,
             timestamp: int | None = None) -> Envelope:
        """Encrypt and sign ``xml`` as WeCom does, at ``timestamp`` (default: now).

        The signed timestamp is the wall clock's, as WeCom's is: the server refuses a callback
        more than five minutes off (``bot/wecom/freshness.py``). ``CreateTime`` inside the
        message still counts up, so two events never share one."""
        nonce = uuid.uuid4().hex[:10]
        timestamp = str(int(time.time()) if timestamp is None else timestamp)
        sealed = (crypto or self.crypto).encrypt_message(xml, nonce, timestamp)
        found = _ENCRYPT.search(sealed)
        assert found is not None
        encrypted = found.group(1)
        body = (f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
                f"<AgentID><![CDATA[{self.agent_id}]]></AgentID>"
                f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>").encode()
        query = {"msg_signature": signature(self.token, timestamp, nonce, encrypted),
                 "timestamp": timestamp, "nonce": nonce}
        return Envelope(query, body)

    # -- delivering -----------------------------------------------------------------------
    def deliver(self, envelope: Envelope) -> httpx.Response:
        return self.http.post(self.url, params=envelope.query, content=envelope.body)

    def post(self, xml: str) -> httpx.Response:
        response = self.deliver(self.seal(xml))
        assert response.status_code == 200, response.text
        assert response.content == b""
        return response

    def text(self, user: str, content: str) -> httpx.Response:
        return self.post(self.text_xml(user, content))

    def verify_url(self, echo: str, *, token: str | None = None) -> httpx.Response:
        """WeCom's URL verification: an encrypted ``echostr`` the server must decrypt."""
        encrypted = PrpCrypto(self.crypto.key).encrypt(echo, self.corp_id).decode()
        timestamp, nonce = str(next(self._clock)), uuid.uuid4().hex[:10]
        sig = signature(token or self.token, timestamp, nonce, encrypted)
        return self.http.get(self.url, params={"msg_signature": sig, "timestamp": timestamp,
                                               "nonce": nonce, "echostr": encrypted})
