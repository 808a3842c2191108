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

import json
import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import requests
from urllib3.exceptions import HTTPError
from wechatpy.exceptions import WeChatClientException
from wechatpy.work import WeChatClient

from bot.origins import Origin, origin
from bot.uploads import CHUNK_BYTES, Receiving, declared_length, receive
from handlers import InboundFile

log = logging.getLogger("esignbot.wecom")

DEFAULT_TIMEOUT_S = 10.0
DOWNLOAD_DEADLINE_S = 60.0
"""The longest a picture may take to arrive whole from ``media/get``: 10 MB at 170 KB/s."""
_FILENAME = re.compile(r"filename\*?=(?:UTF-8'')?\"?([^\";]+)\"?", re.IGNORECASE)


FOR_NOW = frozenset({-1, 45009, 45033})
"""errcodes that mean "not now": system busy, API frequency limit, too many concurrent calls."""


class WeComApiError(Exception):
    """A WeCom API call failed; ``code`` is WeCom's errcode (None for a transport failure)."""

    def __init__(self, operation: str, code: int | None) -> None:
        super().__init__(f"WeCom {operation} failed (errcode {code})")
        self.operation = operation
        self.code = code

    @property
    def for_now(self) -> bool:
        """A rate limit, WeCom busy, or no answer at all (refused, timed out, HTTP error):
        the same message may go through later."""
        return self.code is None or self.code in FOR_NOW


@dataclass(frozen=True, slots=True)
class Media:
    """A file downloaded from WeCom (an image a member sent): ``received`` holds its bytes, or
    why they could not be had whole (``bot.uploads``); ``name`` is the one WeCom gave, if any."""

    received: InboundFile
    mime: str | None
    name: str | None


class OffOrigin(requests.RequestException):
    """A request would have carried the access token or the secret away from WECOM_API_URL."""


class _OriginBound(requests.Session):
    """Every request of the client — each carries the access token, ``gettoken`` the corp
    secret — goes to the configured API origin only (scheme, host and port), and never follows
    a redirect: requests would follow one to anywhere, and a redirect that echoes the query
    would hand the token over."""

    def __init__(self, allowed: Origin | None) -> None:
        super().__init__()
        self.allowed = allowed

    def request(self, method: str | bytes, url: str | bytes,
                *args: Any, **kwargs: Any) -> requests.Response:
        target = url.decode() if isinstance(url, bytes) else url
        if self.allowed is None or origin(target) != self.allowed:
            raise OffOrigin("not the WeCom API origin")
        kwargs["allow_redirects"] = False
        verb = method.decode() if isinstance(method, bytes) else method
        response = super().request(verb, target, *args, **kwargs)
        if response.is_redirect or response.is_permanent_redirect:
            response.close()
            raise OffOrigin(f"redirected ({response.status_code})")
        return response


class _Client(WeChatClient):  # type: ignore[misc]
    """wechatpy's client with the base URL on the instance, a timeout on ``gettoken``, and an
    HTTP session bound to that URL's origin."""

    def __init__(self, corp_id: str, secret: str, api_base_url: str, timeout: float) -> None:
        super().__init__(corp_id, secret, timeout=timeout)
        self.API_BASE_URL = api_base_url
        self._http = _OriginBound(origin(api_base_url))

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


_TOKEN_ERRORS = {40001, 40014, 42001}
"""invalid credential, invalid access_token, access_token expired: worth one fresh token."""
_ERROR_BODY_BYTES = 64 * 1024


def _error_in(response: requests.Response) -> int | None:
    """WeCom's errcode when ``media/get`` answered with JSON rather than the file (None: a file).
    A JSON body that says 0 but carries no file is an error too (-1)."""
    kind = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if kind not in {"application/json", "text/plain"}:
        return None
    body = b""
    try:
        for chunk in response.iter_content(4096):
            body += chunk
            if len(body) > _ERROR_BODY_BYTES:
                return -1
        code = int(json.loads(body).get("errcode", -1))
    except (ValueError, TypeError, AttributeError, requests.RequestException):
        return -1
    return code or -1


def _as_they_arrive(response: requests.Response) -> Iterator[bytes]:
    """The body's bytes as they come off the socket, a chunk of at most ``CHUNK_BYTES`` per
    read.

    Why not ``iter_content(CHUNK_BYTES)``: it reads through a buffered file that returns only
    once the whole chunk is there, so a body dripping a byte every two seconds gave its first
    64 KB after 36 hours, and no deadline between chunks could ever be checked. ``read1``
    returns whatever one read brought (each read bounded by the client's timeout), so
    :class:`~bot.uploads.Receiving` sees the time after every few bytes."""
    while chunk := response.raw.read1(CHUNK_BYTES, decode_content=True):
        yield chunk


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

    def download(self, media_id: str, *, deadline_s: float = DOWNLOAD_DEADLINE_S) -> Media:
        """``media/get``: the whole file a member sent, streamed. A JSON answer is WeCom's error.

        Why not wechatpy's ``get``: it reads ``response.content`` whole, however large, before
        looking at it; here the body is read in chunks, never more than the upload limit + 1
        byte kept, and checked against its Content-Length (``bot.uploads``). The whole file must
        arrive within ``deadline_s`` (a file still dripping then is refused as incomplete), each
        read within the client's timeout."""
        for attempt in range(2):
            token = self._call("gettoken", lambda: self._client.access_token)
            try:
                response = self._client._http.get(
                    f"{self._client.API_BASE_URL}media/get", stream=True, timeout=self._client.timeout,
                    params={"access_token": token, "media_id": media_id})
            except requests.RequestException as problem:
                log.warning("WeCom media/get: %s", type(problem).__name__)
                raise WeComApiError("media/get", None) from None
            with response:
                code = _error_in(response)
                if code in _TOKEN_ERRORS and attempt == 0:
                    # Expired or revoked: once more with a fresh one.
                    self._call("gettoken", self._client.fetch_access_token)
                    continue
                if code is not None or response.status_code != 200:
                    raise WeComApiError("media/get", code)
                found = _FILENAME.search(response.headers.get("Content-Disposition", ""))
                name = unquote(found.group(1).strip()) if found else None
                mime = (response.headers.get("Content-Type") or "").split(";")[0].strip() or None
                receiving = Receiving(name or "upload", mime,
                                      declared=[declared_length(response.headers)],
                                      deadline_s=deadline_s)
                received = receive(receiving, _as_they_arrive(response),
                                   (requests.RequestException, OSError, HTTPError))
                return Media(received=received, mime=mime, name=name)
        raise WeComApiError("media/get", None)

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
