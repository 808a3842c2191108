"""A local WeCom server API on 127.0.0.1, recording every call (the way bolt-python tests itself).

It speaks the documented shapes of ``gettoken``, ``message/send``, ``media/upload``,
``media/get`` and ``message/update_template_card``: calls need a token that ``gettoken`` issued
for the right corp ID and secret, uploads are real multipart bodies, downloads serve the bytes
registered for a MediaId. ``hold()`` makes every call wait until ``release()``, which is how a
test proves that a callback was answered before the slow work behind it finished.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

FILE_CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class Upload:
    media_id: str
    type: str
    filename: str
    content: bytes


@dataclass(frozen=True)
class Call:
    """One finished API call: its path under /cgi-bin/, query, JSON body and our answer."""

    path: str
    query: dict[str, str]
    body: dict[str, Any] | None
    answer: dict[str, Any] = field(default_factory=dict)


def _multipart(body: bytes, content_type: str) -> dict[str, tuple[str, bytes]]:
    """name -> (filename, bytes) from a multipart/form-data body."""
    boundary = content_type.split("boundary=", 1)[1].strip().strip('"').encode()
    parts: dict[str, tuple[str, bytes]] = {}
    for chunk in body.split(b"--" + boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk.lstrip(b"\r\n").partition(b"\r\n\r\n")
        headers = head.decode("utf-8")
        disposition = next(line for line in headers.split("\r\n")
                           if line.lower().startswith("content-disposition"))
        params = dict(
            (key.strip(), value.strip().strip('"'))
            for key, _, value in (item.partition("=") for item in disposition.split(";")[1:])
        )
        parts[params["name"]] = (params.get("filename", ""), data.removesuffix(b"\r\n"))
    return parts


class FakeWeComApi:
    """Start with ``with FakeWeComApi(corp_id, secret) as api:``; point WECOM_API_URL at
    ``api.url``."""

    def __init__(self, corp_id: str, secret: str) -> None:
        self.corp_id = corp_id
        self.secret = secret
        self.calls: list[Call] = []
        self.arrived: list[str] = []
        self._got: list[tuple[str, str]] = []
        self.media: dict[str, tuple[bytes, str, str]] = {}
        self.cut_after: dict[str, int] = {}
        self.drip_s: dict[str, float] = {}
        """MediaId -> seconds between the bytes ``media/get`` sends of it (a slow network)."""
        self._stop_dripping = threading.Event()
        self.uploads: dict[str, Upload] = {}
        self.names: dict[str, str] = {}
        self.limited = 0
        """How many of the next ``message/send`` calls answer errcode 45009 (rate_limit)."""
        self.redirected: dict[str, str] = {}
        """MediaId -> a URL ``media/get`` redirects to, the request's query appended (as a
        careless proxy would: the access token with it)."""
        self.dropped: list[dict[str, Any]] = []
        """``message/send`` bodies WeCom's duplicate check dropped (same body, within the window)."""
        self._recent: dict[str, float] = {}
        """The directory ``user/get`` reads: UserID → name (others: errcode 60111)."""
        self._tokens: set[str] = set()
        self._gate = threading.Event()
        self._gate.set()
        self._stall_text: str | None = None
        self._stall_gate = threading.Event()
        self.stalled = 0
        """``message/send`` calls that arrived and are stalled (:meth:`stall_sends`)."""
        self._changed = threading.Condition()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                fake._serve(self, None)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                fake._serve(self, self.rfile.read(length))

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/cgi-bin/"

    def __enter__(self) -> FakeWeComApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._gate.set()
        self._stall_gate.set()
        self._stop_dripping.set()
        self._server.shutdown()
        self._server.server_close()

    # -- control ------------------------------------------------------------------------------
    def add_media(self, media_id: str, content: bytes, mime: str, filename: str, *,
                  cut_after: int | None = None, drip_s: float | None = None) -> None:
        """A file a member sent. ``cut_after``: ``media/get`` announces every byte
        (Content-Length) but drops the connection after this many. ``drip_s``: it sends one
        byte every ``drip_s`` seconds, until :meth:`stop_dripping` (then drops the connection)."""
        self.media[media_id] = (content, mime, filename)
        if cut_after is not None:
            self.cut_after[media_id] = cut_after
        if drip_s is not None:
            self.drip_s[media_id] = drip_s

    def stop_dripping(self) -> None:
        """Every dripping download ends now, its connection dropped (before the server under
        test stops, so its shutdown does not wait for the drip)."""
        self._stop_dripping.set()

    def gets_of(self, media_id: str) -> int:
        """How many ``media/get`` requests for ``media_id`` have arrived (begun, not finished)."""
        with self._changed:
            return sum(1 for path, media in self._got if path == "media/get" and media == media_id)

    def rate_limit(self, calls: int) -> None:
        """The next ``calls`` ``message/send`` calls are refused as WeCom refuses an app past
        its frequency limit: errcode 45009 (recorded with that answer, nothing delivered)."""
        with self._changed:
            self.limited = calls

    def _take_limit(self) -> bool:
        with self._changed:
            if self.limited <= 0:
                return False
            self.limited -= 1
            return True

    def stall_sends(self, containing: str) -> None:
        """From now on a ``message/send`` whose body holds ``containing`` waits, once it has
        arrived, until :meth:`unstall`, and is then delivered whether or not the caller is still
        there: how a test kills the bot between WeCom taking a message and the bot hearing so."""
        self._stall_gate.clear()
        self._stall_text = containing

    def unstall(self) -> None:
        self._stall_text = None
        self._stall_gate.set()

    def hold(self) -> None:
        """Every call from now on waits (the fake is slow) until :meth:`release`."""
        self._gate.clear()

    def release(self) -> None:
        self._gate.set()

    @contextmanager
    def held(self) -> Iterator[None]:
        self.hold()
        try:
            yield
        finally:
            self.release()

    def wait_for(self, predicate: Callable[[FakeWeComApi], bool], timeout: float = 30.0) -> None:
        """Wait until ``predicate(self)`` holds (the bot sends in the background)."""
        with self._changed:
            if not self._changed.wait_for(lambda: predicate(self), timeout=timeout):
                raise AssertionError(f"the fake WeCom API never saw what was expected; calls: "
                                     f"{[c.path for c in self.calls]}")

    # -- reading what the bot sent ---------------------------------------------------------
    def sent(self) -> list[dict[str, Any]]:
        with self._changed:
            return [c.body for c in self.calls if c.path == "message/send" and c.body]

    def sent_to(self, user: str) -> list[dict[str, Any]]:
        return [m for m in self.sent() if user in str(m.get("touser", "")).split("|")]

    def texts_to(self, user: str) -> list[str]:
        return [m["text"]["content"] for m in self.sent_to(user) if m.get("msgtype") == "text"]

    def cards_to(self, user: str) -> list[dict[str, Any]]:
        return [m["template_card"] for m in self.sent_to(user) if m.get("msgtype") == "template_card"]

    def paths(self) -> list[str]:
        with self._changed:
            return [c.path for c in self.calls]

    # -- the API --------------------------------------------------------------------------
    def _serve(self, handler: BaseHTTPRequestHandler, body: bytes | None) -> None:
        parts = urlsplit(handler.path)
        path = parts.path.removeprefix("/cgi-bin/")
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self._changed:
            self.arrived.append(path)
            self._got.append((path, query.get("media_id", "")))
            self._changed.notify_all()
        self._gate.wait(timeout=60)
        if path == "message/send" and body and self._stall_text is not None \
                and self._stall_text in json.dumps(json.loads(body), ensure_ascii=False):
            with self._changed:
                self.stalled += 1
                self._changed.notify_all()
            self._stall_gate.wait(timeout=60)  # then delivered, as WeCom would
        payload: dict[str, Any] | None = None
        if body and not handler.headers.get("Content-Type", "").startswith("multipart/"):
            payload = json.loads(body)  # wechatpy posts JSON without a Content-Type
        raw: tuple[bytes, str, str] | None = None
        if path == "gettoken":
            answer = self._gettoken(query)
        elif query.get("access_token") not in self._tokens:
            answer = {"errcode": 40014, "errmsg": "invalid access_token"}
        elif path == "media/get" and query.get("media_id") in self.redirected:
            with self._changed:
                self.calls.append(Call(path, query, None, {"redirected": True}))
                self._changed.notify_all()
            handler.send_response(302)
            handler.send_header("Location", f"{self.redirected[query['media_id']]}?{parts.query}")
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        elif path == "message/send" and self._take_limit():
            answer = {"errcode": 45009, "errmsg": "api freq out of limit"}
            payload = None  # refused: not delivered
        elif path == "message/send":
            answer = {"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": uuid.uuid4().hex}
            assert payload is not None
            if payload.get("msgtype") == "template_card":
                answer["response_code"] = uuid.uuid4().hex
            if self._repeated(payload):
                self.dropped.append(payload)  # accepted, and not delivered again
                payload = None
        elif path == "media/upload":
            answer = self._upload(handler, query, body or b"")
        elif path == "media/get":
            if query.get("media_id") in self.media:
                raw = self.media[query["media_id"]]
                answer = {"errcode": 0, "served": len(raw[0])}
            else:
                answer = {"errcode": 40007, "errmsg": "invalid media_id"}
        elif path == "user/get":
            userid = query.get("userid", "")
            answer = ({"errcode": 0, "errmsg": "ok", "userid": userid, "name": self.names[userid],
                       "department": [1], "status": 1} if userid in self.names
                      else {"errcode": 60111, "errmsg": "invalid string value `userid`"})
        elif path == "message/update_template_card":
            answer = {"errcode": 0, "errmsg": "ok", "invaliduser": []}
        else:
            answer = {"errcode": 404, "errmsg": f"unknown API {path}"}
        with self._changed:
            self.calls.append(Call(path, query, payload, answer))
            self._changed.notify_all()
        if raw is not None:
            content, mime, filename = raw
            handler.send_response(200)
            handler.send_header("Content-Type", mime)
            disposition = (f'attachment; filename="{filename}"' if filename.isascii()
                           else f"attachment; filename*=UTF-8''{quote(filename)}")
            handler.send_header("Content-Disposition", disposition)
            handler.send_header("Content-Length", str(len(content)))
            handler.end_headers()
            # In chunks, as the network takes a large file; part way only when told to drop.
            drip = self.drip_s.get(query["media_id"])
            if drip is not None:
                for index in range(len(content)):
                    if self._stop_dripping.wait(drip if index else 0):
                        break
                    try:
                        handler.wfile.write(content[index:index + 1])
                        handler.wfile.flush()
                    except OSError:
                        break  # the bot gave up on it
                handler.close_connection = True
                with suppress(OSError):
                    handler.connection.shutdown(socket.SHUT_RDWR)
                return
            cut = self.cut_after.get(query["media_id"])
            end = len(content) if cut is None else cut
            for start in range(0, end, FILE_CHUNK_BYTES):
                handler.wfile.write(content[start:min(start + FILE_CHUNK_BYTES, end)])
            if cut is not None:
                handler.close_connection = True
                handler.connection.shutdown(socket.SHUT_RDWR)
            return
        data = json.dumps(answer).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _repeated(self, payload: dict[str, Any]) -> bool:
        """WeCom's duplicate check: with ``enable_duplicate_check`` 1, the same request body
        within ``duplicate_check_interval`` seconds (default 1800) is not delivered again."""
        if payload.get("enable_duplicate_check") != 1:
            return False
        key = json.dumps(payload, sort_keys=True, ensure_ascii=False)
        now, last = time.monotonic(), self._recent.get(key)
        if last is not None and now - last < int(payload.get("duplicate_check_interval", 1800)):
            return True
        self._recent[key] = now
        return False

    def _gettoken(self, query: dict[str, str]) -> dict[str, Any]:
        if query.get("corpid") != self.corp_id or query.get("corpsecret") != self.secret:
            return {"errcode": 40001, "errmsg": "invalid credential"}
        token = uuid.uuid4().hex
        self._tokens.add(token)
        return {"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}

    def _upload(self, handler: BaseHTTPRequestHandler, query: dict[str, str],
                body: bytes) -> dict[str, Any]:
        parts = _multipart(body, handler.headers.get("Content-Type", ""))
        if "media" not in parts or query.get("type") not in {"file", "image", "voice", "video"}:
            return {"errcode": 40004, "errmsg": "invalid media"}
        filename, content = parts["media"]
        media_id = "M" + uuid.uuid4().hex
        self.uploads[media_id] = Upload(media_id, query["type"], filename, content)
        return {"errcode": 0, "errmsg": "", "type": query["type"], "media_id": media_id,
                "created_at": "1700000000"}
