"""A fake of Slack's Socket Mode WebSocket on 127.0.0.1, speaking the documented protocol.

``apps.connections.open`` (on :class:`tests.fakes.slack_api.FakeSlackApi`, with the app-level
token) hands out this server's ``ws://`` URL. On connect the server says ``hello``; then the test
pushes envelopes — ``{"envelope_id", "type": "slash_commands" | "events_api" | "interactive",
"payload", "accepts_response_payload"}`` — and the app must acknowledge each with a message
carrying the same ``envelope_id``, as it would to Slack within three seconds.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import WSMsgType, web


class FakeSocketMode:
    def __init__(self) -> None:
        self.url = ""
        self.acks: dict[str, dict[str, Any]] = {}
        self.connections = 0
        self._changed = threading.Condition()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._socket: web.WebSocketResponse | None = None

    # -- what tests use ----------------------------------------------------------------------
    def wait_connected(self, timeout: float = 30.0) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self._socket is not None, timeout):
                raise AssertionError("the app never opened the Socket Mode connection")

    def send(self, kind: str, payload: dict[str, Any]) -> str:
        """Push one envelope to the connected app; returns its ``envelope_id``."""
        envelope_id = str(uuid.uuid4())
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload,
                    "accepts_response_payload": kind != "events_api", "retry_attempt": 0,
                    "retry_reason": ""}
        assert self._loop is not None and self._socket is not None, "not connected"
        asyncio.run_coroutine_threadsafe(self._socket.send_str(json.dumps(envelope)),
                                         self._loop).result(10)
        return envelope_id

    def wait_ack(self, envelope_id: str, timeout: float = 15.0) -> dict[str, Any]:
        with self._changed:
            if not self._changed.wait_for(lambda: envelope_id in self.acks, timeout):
                raise AssertionError(f"envelope {envelope_id} was never acknowledged")
            return self.acks[envelope_id]

    # -- the server --------------------------------------------------------------------------
    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()  # answers the client's pings itself
        await socket.prepare(request)
        await socket.send_str(json.dumps({
            "type": "hello", "num_connections": 1,
            "debug_info": {"host": "fake-socket-mode", "approximate_connection_time": 18060},
            "connection_info": {"app_id": "A0FAKE"}}))
        with self._changed:
            self._socket = socket
            self.connections += 1
            self._changed.notify_all()
        async for message in socket:
            if message.type != WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            if "envelope_id" in data:
                with self._changed:
                    self.acks[data["envelope_id"]] = data
                    self._changed.notify_all()
        with self._changed:
            if self._socket is socket:
                self._socket = None
            self._changed.notify_all()
        return socket

    @contextmanager
    def serving(self) -> Iterator[FakeSocketMode]:
        ready = threading.Event()
        stop: list[asyncio.Event] = []

        async def main() -> None:
            app = web.Application()
            app.router.add_get("/link", self._link)
            runner = web.AppRunner(app, handle_signals=False)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            self.url = f"ws://127.0.0.1:{port}/link"
            self._loop = asyncio.get_running_loop()
            stop.append(asyncio.Event())
            ready.set()
            await stop[0].wait()
            await runner.cleanup()

        thread = threading.Thread(target=asyncio.run, args=(main(),), daemon=True)
        thread.start()
        if not ready.wait(15):
            raise AssertionError("the fake Socket Mode server did not start")
        try:
            yield self
        finally:
            assert self._loop is not None
            self._loop.call_soon_threadsafe(stop[0].set)
            thread.join(15)
