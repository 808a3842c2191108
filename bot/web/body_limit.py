"""Refuse request bodies over a limit (413) before any platform parses them.

Why a middleware in front of every route: both webhooks face the internet, and a body is read
into memory before its signature can be checked; one limit at the door (declared length, or the
bytes actually received when the body is chunked) keeps a stranger from making the process hold
an arbitrary amount. The body is buffered up to the limit and replayed to the app, so a route
never sees a partial body. No Slack or WeCom request comes near 1 MiB.

Bodies being received share one budget (``MAX_BUFFERED_BYTES``): past it, a new body gets 503
instead of a buffer. Without it, stalled uploads each pinned up to the limit until their
connection closed — 150 of them took the server from 105 to 240 MiB, kept after they closed (the
allocator does not give such memory back). With the budget, however many stall, at most the
budget is held, and ``bot.web.connections`` closes them after the request timeout.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("esignbot.http")

MAX_REQUEST_BYTES = 1024 * 1024
MAX_BUFFERED_BYTES = 16 * 1024 * 1024
"""All bodies being received at once: sixteen times the largest, far above real traffic."""


class BodyLimit:
    """ASGI middleware: HTTP requests with more than ``limit`` body bytes get 413."""

    def __init__(self, app: ASGIApp, limit: int = MAX_REQUEST_BYTES,
                 budget: int = MAX_BUFFERED_BYTES) -> None:
        self.app = app
        self.limit = limit
        self.budget = budget
        self.buffered = 0
        """Bytes held for bodies still arriving (one event loop: no lock needed)."""
        self._over_budget_logged = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                declared = value.decode("latin-1").strip()
                if not declared.isdigit() or int(declared) > self.limit:
                    await _refuse(send, 413 if declared.isdigit() else 400)
                    return
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                body = message.get("body", b"")
                if size + len(body) > self.limit:
                    await _refuse(send, 413)
                    return
                if self.buffered + len(body) > self.budget:
                    if not self._over_budget_logged:
                        self._over_budget_logged = True
                        log.warning("bodies being received hold %d bytes: new ones get 503",
                                    self.buffered)
                    await _refuse(send, 503)
                    return
                size += len(body)
                self.buffered += len(body)
                chunks.append(body)
                if not message.get("more_body", False):
                    break
        finally:
            self.buffered -= size
            if self._over_budget_logged and self.buffered <= self.budget // 2:
                self._over_budget_logged = False
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _refuse(send: Send, status: int) -> None:
    body = {413: b"request body too large", 503: b"too many uploads now"}.get(
        status, b"bad content-length")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
