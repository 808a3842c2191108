"""One access-log line per HTTP request, and the acknowledgement time of each platform request.

Why a pure-ASGI middleware (like ``bot.web.body_limit``): it sees every request, whatever route or
platform answers it, including those refused before a route runs, and it times the moment the
response's last byte is handed to the server — the acknowledgement Slack (3 s) and WeCom (5 s)
wait for — not work a route does after answering. uvicorn's own access log is turned off
(``bot.cli``): it prints the query string, and WeCom signs its callbacks in the query string.

A line carries the method, the path without its query, the status, the time to the response in
milliseconds and the client's address; never a header or a body.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("esignbot.access")

Observe = Callable[[str, float], None]
"""(platform, seconds to the response) for requests to a platform's route."""

MAX_PATH_CHARS = 200


def _printable(path: str) -> str:
    """The path as it may appear in one log line: no control characters (a decoded ``%0a``
    would otherwise start a forged line), at most :data:`MAX_PATH_CHARS`."""
    return "".join(c if c.isprintable() else "?" for c in path[:MAX_PATH_CHARS])


class AccessLog:
    """ASGI middleware: logs each HTTP request once, at INFO on ``esignbot.access``, and reports
    the response time of requests to ``platform_paths`` (path → platform) to ``observe``."""

    def __init__(self, app: ASGIApp, platform_paths: Mapping[str, str] | None = None,
                 observe: Observe | None = None) -> None:
        self.app = app
        self.platform_paths = dict(platform_paths or {})
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0
        logged = False

        def done(code: int) -> None:
            nonlocal logged
            if logged:
                return
            logged = True
            seconds = time.perf_counter() - started
            path = str(scope.get("path", ""))
            client = scope.get("client")
            address = str(client[0]) if client else "-"
            method = str(scope.get("method", "-"))
            shown = _printable(path)
            log.info("%s %s %d %.1f ms %s", method, shown, code, seconds * 1000, address,
                     extra={"method": method, "path": shown, "status": code,
                            "duration_ms": round(seconds * 1000, 3), "client": address})
            platform = self.platform_paths.get(path)
            if platform is not None and self.observe is not None:
                self.observe(platform, seconds)

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                done(status)

        try:
            await self.app(scope, receive, sending)
        except BaseException:
            done(status or 500)  # the app raised before answering (uvicorn answers 500)
            raise
        done(status or 499)  # no response: the client went away first (nginx's 499)
