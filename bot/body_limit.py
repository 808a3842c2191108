"""Refuse request bodies over a limit (413) before any platform parses them.

Why a middleware in front of every route: both webhooks face the internet, and a body is read
into memory before its signature can be checked; one limit at the door (declared length, or the
bytes actually received when the body is chunked) keeps a stranger from making the process hold
an arbitrary amount. The body is buffered up to the limit and replayed to the app, so a route
never sees a partial body. No Slack or WeCom request comes near 1 MiB.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_REQUEST_BYTES = 1024 * 1024


class BodyLimit:
    """ASGI middleware: HTTP requests with more than ``limit`` body bytes get 413."""

    def __init__(self, app: ASGIApp, limit: int = MAX_REQUEST_BYTES) -> None:
        self.app = app
        self.limit = limit

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
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.limit:
                await _refuse(send, 413)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _refuse(send: Send, status: int) -> None:
    body = b"request body too large" if status == 413 else b"bad content-length"
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
