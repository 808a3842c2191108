"""The WeCom server API as the adapter uses it: token, send, upload, download, update a card,
a member's name.

Why a wrapper around wechatpy's ``WeChatClient``: its API base is a class attribute and two of
its calls (``gettoken`` and the media download URL) are hard-coded to qyapi.weixin.qq.com, so a
deployment behind a proxy or a test against a local server would leak to the real host. Here the
base URL is set per instance and used for every call, every request has a timeout, and failures
come back as :class:`WeComApiError` carrying only WeCom's error code — never a token, a secret or
a message's text.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from wechatpy.exceptions import WeChatClientException
from wechatpy.work import WeChatClient

log = logging.getLogger("esignbot.wecom")

DEFAULT_TIMEOUT_S = 10.0
_FILENAME = re.compile(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)\"?", re.IGNORECASE)


class WeComApiError(Exception):
    """A WeCom API call failed; ``code`` is WeCom's errcode (None for a transport failure)."""

    def __init__(self, operation: str, code: int | None) -> None:
        super().__init__(f"WeCom {operation} failed (errcode {code})")
        self.operation = operation
        self.code = code


@dataclass(frozen=True, slots=True)
class Media:
    """A file downloaded from WeCom (an image a member sent)."""

    content: bytes
    mime: str | None
    name: str | None


class _Client(WeChatClient):  # type: ignore[misc]
    """wechatpy's client with the base URL on the instance and a timeout on ``gettoken``."""

    def __init__(self, corp_id: str, secret: str, api_base_url: str, timeout: float) -> None:
        super().__init__(corp_id, secret, timeout=timeout)
        self.API_BASE_URL = api_base_url

    def fetch_access_token(self) -> dict[str, Any]:
        response = self._http.get(
            url=f"{self.API_BASE_URL}gettoken",
            params={"corpid": self.corp_id, "corpsecret": self.secret},
            timeout=self.timeout,
        )
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        if int(result.get("errcode", 0)) != 0:
            raise WeChatClientException(result["errcode"], result.get("errmsg", ""), client=self)
        expires_in = int(result.get("expires_in", 7200))
        self.session.set(self.access_token_key, result["access_token"], expires_in)
        self.expires_at = int(time.time()) + expires_in
        return result


def _errcode(problem: WeChatClientException) -> int | None:
    try:
        return int(problem.errcode)
    except (TypeError, ValueError):
        return None


class WeComApi:
    """The six calls the adapter makes, blocking (run them off the event loop)."""

    def __init__(self, corp_id: str, agent_id: int, secret: str, api_base_url: str,
                 *, timeout: float = DEFAULT_TIMEOUT_S) -> None:
        base = api_base_url if api_base_url.endswith("/") else api_base_url + "/"
        self.agent_id = agent_id
        self._client = _Client(corp_id, secret, base, timeout)

    def _call(self, operation: str, call: Any) -> Any:
        try:
            return call()
        except WeChatClientException as problem:
            raise WeComApiError(operation, _errcode(problem)) from None
        except Exception as problem:  # transport: refused, timed out, bad JSON
            log.warning("WeCom %s: %s", operation, type(problem).__name__)
            raise WeComApiError(operation, None) from None

    def send(self, user_ids: list[str], message: dict[str, Any]) -> dict[str, Any]:
        """``message/send`` to these members; ``message`` holds ``msgtype`` and its body."""
        result: dict[str, Any] = self._call(
            "message/send",
            lambda: self._client.message.send(self.agent_id, user_ids, msg=message),
        )
        invalid = result.get("invaliduser")
        if invalid:
            log.warning("WeCom message/send: %d member(s) not reachable by the app",
                        len(str(invalid).split("|")))
        return result

    def upload_file(self, name: str, content: bytes, mime: str) -> str:
        """``media/upload?type=file``; returns the media id (valid for three days)."""
        result = self._call(
            "media/upload",
            lambda: self._client.media.upload("file", (name, content, mime)),
        )
        return str(result["media_id"])

    def download(self, media_id: str) -> Media:
        """``media/get``: the bytes of a file a member sent. A JSON answer is WeCom's error."""
        response = self._call(
            "media/get", lambda: self._client.get("media/get", params={"media_id": media_id})
        )
        if not hasattr(response, "headers"):  # a JSON body with errcode 0 but no file
            raise WeComApiError("media/get", None)
        disposition = response.headers.get("Content-Disposition", "")
        found = _FILENAME.search(disposition)
        mime = response.headers.get("Content-Type")
        return Media(
            content=bytes(response.content),
            mime=mime.split(";")[0].strip() if mime else None,
            name=unquote(found.group(1).strip()) if found else None,
        )

    def member_name(self, user_id: str, *, timeout: float) -> str | None:
        """``user/get``: a member's name as the corp's directory has it (a self-built app reads
        the members in its visible range). None when WeCom will not say (not visible, unknown,
        no permission) or does not answer within ``timeout``."""
        try:
            result = self._call("user/get", lambda: self._client.get(
                "user/get", params={"userid": user_id}, timeout=timeout))
        except WeComApiError as problem:
            log.info("WeCom user/get: no name (errcode %s)", problem.code)
            return None
        name = result.get("name") if isinstance(result, dict) else None
        # Some kinds of app are given the userid in place of the name.
        return str(name) if name and name != user_id else None

    def update_card_button(self, user_ids: list[str], response_code: str, label: str) -> None:
        """``message/update_template_card``: turn a tapped card's buttons into one label."""
        data = {
            "userids": user_ids,
            "agentid": self.agent_id,
            "response_code": response_code,
            "button": {"replace_name": label},
        }
        self._call("message/update_template_card",
                   lambda: self._client.post("message/update_template_card", data=data))
