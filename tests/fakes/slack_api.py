"""A local Slack Web API on 127.0.0.1 that records every call (the way bolt-python tests itself).

It answers the methods the app uses with Slack's documented shapes: ``auth.test``,
``chat.postMessage`` (a fresh ``ts`` each time), ``chat.postEphemeral``, ``chat.update``,
``views.open``, ``views.publish``, ``users.info``, ``conversations.open``, ``files.info``, and
the three steps of ``files_upload_v2``: ``files.getUploadURLExternal`` (an upload URL on this
server), the POST of the bytes to it, ``files.completeUploadExternal``. Every API call must
carry the bot token; files a test "shares" in a thread are served at ``url_private_download``
to that token only.
``hold(method)`` makes calls to a method wait until ``release()``: that is how a test proves the
app acknowledged Slack before the work behind the acknowledgement finished.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

_JSON_PARAMS = {"blocks", "view", "files", "attachments"}
FILE_CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class Call:
    """One API call: the method and its parameters (query, form and JSON merged, with
    JSON-encoded ``blocks``/``view``/``files`` decoded), and what we answered."""

    method: str
    params: dict[str, Any]
    answer: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        """Everything a person would read in this call: ``text`` and every block's text."""
        parts = [str(self.params.get("text") or ""), str(self.params.get("initial_comment") or "")]

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                for key, value in node.items():
                    if key == "text" and isinstance(value, str):
                        parts.append(value)
                    else:
                        walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        walk(self.params.get("blocks"))
        walk(self.params.get("view"))
        return "\n".join(p for p in parts if p)


class FakeSlackApi:
    def __init__(self, token: str, *, team_id: str = "T1", bot_user: str = "UBOT") -> None:
        self.token = token
        self.team_id = team_id
        self.bot_user = bot_user
        self.calls: list[Call] = []
        self.users: dict[str, str] = {}
        """user id -> real name, for ``users.info``."""
        self.uploads: dict[str, bytes] = {}
        """file id -> the bytes POSTed to its upload URL."""
        self.shared: dict[str, tuple[bytes, dict[str, Any]]] = {}
        self.cut_after: dict[str, int] = {}
        """file id -> bytes the file host sends before it drops the connection."""
        self.chunked: set[str] = set()
        self.stalls: dict[str, float] = {}
        """file id -> seconds the file host holds the body after the headers (a slow host)."""
        self.failures: dict[str, str] = {}
        """method -> error code to answer once (``not_in_channel``...)."""
        self.limited = 0
        """How many of the next calls to ``limited_methods`` get HTTP 429 (see rate_limit)."""
        self.limited_methods: frozenset[str] = frozenset()
        self.retry_after = 1
        self.redirects: dict[str, str] = {}
        """file id -> where the file host redirects its download (302 Location)."""
        self.base = ""
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._changed = threading.Condition()
        self._held: set[str] = set()
        self._gate = threading.Event()
        self._gate.set()
        self._dropping = False
        self.waiting: dict[str, int] = {}
        """method -> calls currently held."""
        self.before_answering: dict[str, Callable[[Call], None]] = {}
        """method -> called with each call (and the answer made for it) before that answer goes
        back to the app: what happens while the app still waits for it (a person who answers
        in a thread before the app has its root's ``ts``)."""
        self.app_token: str | None = None
        self.socket_url = ""
        """What ``apps.connections.open`` hands out, with ``app_token`` (Socket Mode)."""

    # -- scenario helpers ------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def share_file(self, content: bytes, name: str, mimetype: str, *, size: int | None = None,
                   cut_after: int | None = None, chunked: bool = False,
                   stall_s: float = 0.0) -> dict[str, Any]:
        """A file a person uploaded, as Slack describes it in a ``file_share`` message.

        ``size``: what the file object claims (default: the truth). ``cut_after``: the file
        host announces every byte (Content-Length) but closes the connection after this many,
        as a dropped connection does. ``chunked``: sent without a Content-Length. ``stall_s``:
        the host sends the headers, then holds the body this long (a slow or stalled host)."""
        file_id = f"F{next(self._ids):08d}"
        info = {"id": file_id, "name": name, "title": name, "mimetype": mimetype,
                "size": len(content) if size is None else size,
                "url_private": f"{self.base}/files-pri/{file_id}/{name}",
                "url_private_download": f"{self.base}/files-pri/{file_id}/download/{name}"}
        self.shared[file_id] = (content, info)
        if cut_after is not None:
            self.cut_after[file_id] = cut_after
        if chunked:
            self.chunked.add(file_id)
        if stall_s:
            self.stalls[file_id] = stall_s
        return info

    def rate_limit(self, calls: int, *, retry_after: int = 1,
                   methods: tuple[str, ...] = ("chat.postMessage", "chat.postEphemeral")) -> None:
        """Answer the next ``calls`` calls to ``methods`` as Slack does past a method's rate
        limit: HTTP 429, ``Retry-After: <retry_after>``, ``{"ok": false, "error":
        "ratelimited"}`` (recorded with that answer)."""
        with self._changed:
            self.limited, self.retry_after, self.limited_methods = calls, retry_after, frozenset(methods)

    def take_limit(self, method: str) -> bool:
        with self._changed:
            if self.limited <= 0 or method not in self.limited_methods:
                return False
            self.limited -= 1
            return True

    def hold(self, method: str) -> None:
        self._held.add(method)
        self._gate.clear()

    def release(self, *, drop: bool = False) -> None:
        """Let held calls go on; ``drop``: they end unrecorded, as a request whose caller died
        before it arrived whole never reaches Slack (later calls go through)."""
        self._held.clear()
        self._dropping = drop
        self._gate.set()

    def calls_to(self, method: str) -> list[Call]:
        with self._changed:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, predicate: Callable[[list[Call]], bool], timeout: float = 15.0) -> list[Call]:
        """Block until ``predicate(calls)`` holds (or fail after ``timeout``)."""
        with self._changed:
            if not self._changed.wait_for(lambda: predicate(self.calls), timeout):
                raise AssertionError(f"Slack calls never matched; got {[c.method for c in self.calls]}")
            return list(self.calls)

    def wait_calls(self, method: str, count: int = 1, timeout: float = 15.0) -> list[Call]:
        self.wait_for(lambda calls: sum(c.method == method for c in calls) >= count, timeout)
        return self.calls_to(method)

    def wait_held(self, method: str, timeout: float = 15.0) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self.waiting.get(method, 0) > 0, timeout):
                raise AssertionError(f"no {method} call arrived to hold")

    # -- the API -------------------------------------------------------------------------------
    def _record(self, call: Call) -> None:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def api(self, method: str, params: dict[str, Any], authorization: str) -> dict[str, Any]:
        if method in self._held:
            with self._changed:
                self.waiting[method] = self.waiting.get(method, 0) + 1
                self._changed.notify_all()
            self._gate.wait(30)
            with self._changed:
                self.waiting[method] -= 1
            if self._dropping:
                return {"ok": False, "error": "dropped"}
        if method == "apps.connections.open":  # the one method called with the app-level token
            answer: dict[str, Any] = (
                {"ok": True, "url": self.socket_url} if self.app_token is not None
                and authorization == f"Bearer {self.app_token}" else {"ok": False, "error": "invalid_auth"})
        elif authorization != f"Bearer {self.token}":
            answer = {"ok": False, "error": "invalid_auth"}
        elif method in self.failures:
            answer = {"ok": False, "error": self.failures.pop(method)}
        else:
            answer = self._answer(method, params)
        self._record(Call(method, params, answer))
        return answer

    def _answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {"ok": True, "url": "https://fake.slack.com/", "team": "Fake", "user": "esignbot",
                    "team_id": self.team_id, "user_id": self.bot_user, "bot_id": "BBOT",
                    "is_enterprise_install": False}
        if method == "chat.postMessage":
            ts = f"{1700000000 + next(self._ts)}.000100"
            message = {"type": "message", "user": self.bot_user, "ts": ts, "text": params.get("text", "")}
            if params.get("thread_ts"):
                message["thread_ts"] = params["thread_ts"]
            return {"ok": True, "channel": params.get("channel"), "ts": ts, "message": message}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{1700000000 + next(self._ts)}.000200"}
        if method == "chat.update":
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts"),
                    "text": params.get("text", "")}
        if method in {"views.open", "views.publish"}:
            view = dict(params.get("view") or {})
            return {"ok": True, "view": {"id": f"V{next(self._ids):08d}", **view}}
        if method == "users.info":
            user = str(params.get("user"))
            if user not in self.users:
                return {"ok": False, "error": "user_not_found"}
            name = self.users[user]
            return {"ok": True, "user": {"id": user, "name": name.lower(), "real_name": name,
                                         "profile": {"display_name": name, "real_name": name}}}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(params.get("users", "")).split(",")[0]}}
        if method == "files.info":
            shared = self.shared.get(str(params.get("file")))
            return {"ok": True, "file": shared[1]} if shared else {"ok": False, "error": "file_not_found"}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ids):08d}"
            return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = params.get("files") or []
            missing = [f["id"] for f in files if f.get("id") not in self.uploads]
            if missing:
                return {"ok": False, "error": "file_upload_not_found"}
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title"),
                                           "size": len(self.uploads[f["id"]])} for f in files]}
        return {"ok": False, "error": "unknown_method"}

    # -- serving -----------------------------------------------------------------------------
    @contextmanager
    def serving(self) -> Iterator[FakeSlackApi]:
        server = _server(self)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.base = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            yield self
        finally:
            self.release()
            server.shutdown()
            server.server_close()


def _params(query: str, body: bytes, content_type: str) -> dict[str, Any]:
    params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query).items()}
    if body and content_type.startswith("application/json"):
        params.update(json.loads(body))
    elif body:
        params.update({k: v[-1] for k, v in parse_qs(body.decode("utf-8")).items()})
    for key in _JSON_PARAMS & params.keys():
        if isinstance(params[key], str):
            params[key] = json.loads(params[key])
    return params


def _server(fake: FakeSlackApi) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out as two writes; without this a kept-alive client waits out
        # the peer's delayed ACK (40 ms) before the body arrives (Nagle's algorithm).
        disable_nagle_algorithm = True

        def _reply(self, status: int, data: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _serve_file(self, content: bytes, mimetype: str, cut_after: int | None,
                        chunked: bool, stall_s: float = 0.0) -> None:
            """The way a file host sends a large file: the length first (or, ``chunked``, no
            length: HTTP chunked encoding), then the bytes in pieces as the network takes them
            (a reader that takes one read for the whole file gets the first pieces only); with
            ``cut_after``, the connection drops part way. A reader that hangs up early (a file
            too large) is let go quietly."""
            self.send_response(200)
            self.send_header("Content-Type", mimetype)
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            end = len(content) if cut_after is None else cut_after
            try:
                if stall_s:
                    self.wfile.flush()
                    time.sleep(stall_s)
                for start in range(0, end, FILE_CHUNK_BYTES):
                    piece = content[start:min(start + FILE_CHUNK_BYTES, end)]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
                if cut_after is not None:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                elif chunked:
                    self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _api(self, body: bytes) -> None:
            url = urlsplit(self.path)
            method = url.path.removeprefix("/api/")
            params = _params(url.query, body, self.headers.get("Content-Type") or "")
            if fake.take_limit(method):
                limited = {"ok": False, "error": "ratelimited"}
                fake._record(Call(method, params, limited))
                data = json.dumps(limited).encode()
                self.send_response(429)
                self.send_header("Retry-After", str(fake.retry_after))
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            answer = fake.api(method, params, self.headers.get("Authorization") or "")
            meanwhile = fake.before_answering.get(method)
            if meanwhile is not None:
                meanwhile(Call(method, params, answer))
            self._reply(200, json.dumps(answer).encode(), "application/json; charset=utf-8")

        def do_POST(self) -> None:
            body = self._body()
            if self.path.startswith("/response/"):
                # A slash command's response_url: what the app says where it cannot post.
                params = json.loads(body or b"{}")
                fake._record(Call("response_url", {"url": self.path, **params}))
                self._reply(200, b"ok", "text/html")
            elif self.path.startswith("/upload/"):
                file_id = self.path.removeprefix("/upload/")
                fake.uploads[file_id] = body
                fake._record(Call("upload", {"file_id": file_id, "size": len(body)}))
                self._reply(200, f"OK - {len(body)}".encode(), "text/plain")
            else:
                self._api(body)

        def do_GET(self) -> None:
            if self.path.startswith("/files-pri/"):
                file_id = self.path.split("/")[2]
                if file_id in fake.redirects:
                    self.send_response(302)
                    self.send_header("Location", fake.redirects[file_id])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    self._reply(403, b"forbidden", "text/plain")
                    return
                content, info = fake.shared[file_id]
                fake._record(Call("download", {"file_id": file_id}))
                self._serve_file(content, str(info["mimetype"]), fake.cut_after.get(file_id),
                                 file_id in fake.chunked, fake.stalls.get(file_id, 0.0))
            else:
                self._api(b"")

        def log_message(self, format: str, *args: Any) -> None:
            return  # keep test output clean

    server = _Server(("127.0.0.1", 0), Handler)
    return server


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    """socketserver's default backlog of 5 made a burst of new connections under load wait for a
    SYN retry (1 s and more); Slack's own API does not."""
