"""The long connection to WeCom: subscribe, heartbeat, reconnect, and requests matched to acks.

Why this shape:

- **One reader, one queue.** Callbacks are handed to ``on_callback`` one at a time, in the order
  WeCom sent them, so two quick messages of one chat become turns in that order. Acks resolve
  the request waiting on the same ``req_id``; a request never blocks the reader.
- **Reconnect forever, with backoff** (1 s doubling to 30 s, as the SDKs do — but without their
  ten-attempt limit: a service that gives up after five minutes of network trouble needs a
  person to restart it). After a drop the bot subscribes again.
- **A refused ID or secret** on the first subscribe ends :meth:`run` with :class:`AuthRefused`
  (``esignbot wecom --bot`` says which setting to fix and exits 2); after the bot has been up
  (a secret reset in the console), it is logged as an error and retried every 30 s.
- **Heartbeat**: a ``ping`` every ``heartbeat_s`` (30 s, the SDKs' interval); two without an
  answer and the connection is taken as dead and opened again.
- **Taken over**: WeCom tells the old connection ``disconnected_event`` when another one
  subscribes with the same bot; two deployments would otherwise take the bot from each other
  forever, so this one stops (:class:`TakenOver`) and says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from bot.wecom.smartbot import protocol

log = logging.getLogger("esignbot.wecom.smartbot")

Callback = Callable[[dict[str, Any]], Awaitable[None]]


class AuthRefused(Exception):
    """WeCom refused the bot ID or secret (the subscribe's errcode and errmsg)."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"errcode {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class TakenOver(Exception):
    """Another connection subscribed with this bot's ID, and WeCom closed this one."""


class NotConnected(Exception):
    """No connection now (opening, or reconnecting after a drop)."""


class Refused(Exception):
    """WeCom answered a request with a non-zero errcode."""

    def __init__(self, cmd: str, errcode: int, errmsg: str) -> None:
        super().__init__(f"{cmd}: errcode {errcode} ({errmsg})")
        self.cmd = cmd
        self.errcode = errcode
        self.errmsg = errmsg

    @property
    def for_now(self) -> bool:
        return self.errcode in protocol.RATE_LIMITED


class LongConnection:
    def __init__(self, url: str, bot_id: str, secret: str, on_callback: Callback, *,
                 heartbeat_s: float = 30.0, ack_timeout_s: float = 10.0,
                 base_delay_s: float = 1.0, max_delay_s: float = 30.0) -> None:
        self.url = url
        self.bot_id = bot_id
        self._secret = secret
        self._on_callback = on_callback
        self.heartbeat_s = heartbeat_s
        self.ack_timeout_s = ack_timeout_s
        self.base_delay_s = base_delay_s
        self.max_delay_s = max_delay_s
        self.connected = asyncio.Event()
        self.subscribed_once = asyncio.Event()
        self.generation = 0
        """How many times the bot has subscribed: a ``req_id`` of one connection means
        nothing on the next."""
        self.state = "starting"
        """For the health probe: starting, up, reconnecting, refused, taken over, stopped."""
        self._socket: aiohttp.ClientWebSocketResponse | None = None
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._stopping = False

    # -- requests -------------------------------------------------------------------------
    async def request(self, cmd: str, body: dict[str, Any] | None = None, *,
                      req_id: str | None = None, wait_s: float = 0.0) -> dict[str, Any]:
        """Send one frame and wait for its ack; :class:`Refused` for a non-zero errcode,
        :class:`NotConnected` when there is no connection within ``wait_s`` seconds,
        ``TimeoutError`` when the ack does not come."""
        if not self.connected.is_set() and wait_s > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.connected.wait(), wait_s)
        socket = self._socket
        if socket is None or socket.closed or not self.connected.is_set():
            raise NotConnected(cmd)
        return await self._exchange(socket, protocol.frame(cmd, body, req_id))

    async def _exchange(self, socket: aiohttp.ClientWebSocketResponse,
                        message: dict[str, Any]) -> dict[str, Any]:
        req_id = message["headers"]["req_id"]
        waiting: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[req_id] = waiting
        try:
            await socket.send_str(json.dumps(message, ensure_ascii=False))
            ack = await asyncio.wait_for(waiting, self.ack_timeout_s)
        finally:
            self._pending.pop(req_id, None)
        errcode = ack.get("errcode", 0)
        if errcode not in (0, None):
            raise Refused(message["cmd"], int(errcode) if isinstance(errcode, int) else -1,
                          str(ack.get("errmsg") or ""))
        return ack

    # -- running --------------------------------------------------------------------------
    async def run(self) -> None:
        """Connect and serve until :meth:`stop` (returns), a refusal before the first
        subscribe (:class:`AuthRefused`) or a takeover (:class:`TakenOver`)."""
        consumer = asyncio.create_task(self._consume())
        failures = 0
        try:
            async with aiohttp.ClientSession() as session:
                while not self._stopping:
                    try:
                        await self._session(session)
                        failures = 0 if self.connected_since_subscribe else failures + 1
                    except AuthRefused as refused:
                        if not self.subscribed_once.is_set():
                            self.state = "refused"
                            raise
                        log.error("WeCom refused WECOM_BOT_ID/WECOM_BOT_SECRET (%s); trying "
                                  "again in %.0f s", refused, self.max_delay_s)
                        failures = 99
                    except TakenOver:
                        self.state = "taken over"
                        raise
                    except (aiohttp.ClientError, OSError, TimeoutError, NotConnected) as problem:
                        log.warning("WeCom long connection failed (%s)", type(problem).__name__)
                        failures += 1
                    if self._stopping:
                        break
                    self.state = "reconnecting"
                    delay = min(self.base_delay_s * 2 ** max(failures - 1, 0), self.max_delay_s)
                    log.info("WeCom: connecting again in %.1f s", delay)
                    await asyncio.sleep(delay)
        finally:
            consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await consumer
            if self.state not in ("refused", "taken over"):
                self.state = "stopped"

    connected_since_subscribe = False

    async def _session(self, session: aiohttp.ClientSession) -> None:
        """One connection: open, subscribe, read until it ends."""
        self.connected_since_subscribe = False
        async with session.ws_connect(self.url, heartbeat=None, autoping=True,
                                      timeout=aiohttp.ClientWSTimeout(ws_close=5),
                                      max_msg_size=16 * 1024 * 1024) as socket:
            reader = asyncio.create_task(self._read(socket))
            try:
                ack = await self._exchange(socket, protocol.frame(
                    protocol.SUBSCRIBE, {"bot_id": self.bot_id, "secret": self._secret}))
            except Refused as refused:
                reader.cancel()
                raise AuthRefused(refused.errcode, refused.errmsg) from None
            except BaseException:
                reader.cancel()
                raise
            del ack
            self._socket = socket
            self.generation += 1
            self.connected_since_subscribe = True
            self.state = "up"
            self.connected.set()
            self.subscribed_once.set()
            log.info("WeCom smart bot connected (bot %s)", self.bot_id)
            beat = asyncio.create_task(self._heartbeat(socket))
            try:
                await reader
            finally:
                beat.cancel()
                self.connected.clear()
                self._socket = None
                for waiting in self._pending.values():
                    if not waiting.done():
                        waiting.set_exception(NotConnected("connection closed"))
                self._pending.clear()
        if reader.done() and not reader.cancelled() and reader.exception() is not None:
            raise reader.exception()  # type: ignore[misc]
        if not self._stopping:
            log.warning("WeCom long connection closed; reconnecting")

    async def _read(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        async for message in socket:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            try:
                data = json.loads(message.data)
            except ValueError:
                log.warning("WeCom sent a frame that is not JSON")
                continue
            if not isinstance(data, dict):
                continue
            if data.get("cmd") in (protocol.MESSAGE_CALLBACK, protocol.EVENT_CALLBACK):
                if _is_takeover(data):
                    await socket.close()
                    raise TakenOver()
                self._inbox.put_nowait(data)
                continue
            headers = data.get("headers")
            req_id = headers.get("req_id") if isinstance(headers, dict) else None
            waiting = self._pending.get(req_id) if isinstance(req_id, str) else None
            if waiting is not None and not waiting.done():
                waiting.set_result(data)

    async def _heartbeat(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        missed = 0
        while not socket.closed:
            await asyncio.sleep(self.heartbeat_s)
            try:
                await asyncio.wait_for(self._exchange(socket, protocol.frame(protocol.PING)),
                                       self.heartbeat_s)
                missed = 0
            except (TimeoutError, Refused, NotConnected, ConnectionError):
                missed += 1
            if missed >= 2:
                log.warning("WeCom did not answer two heartbeats; reconnecting")
                await socket.close()
                return

    async def _consume(self) -> None:
        while True:
            message = await self._inbox.get()
            try:
                await self._on_callback(message)
            except Exception:
                log.exception("WeCom callback not handled")

    async def stop(self) -> None:
        self._stopping = True
        socket = self._socket
        if socket is not None and not socket.closed:
            await socket.close()


def _is_takeover(message: dict[str, Any]) -> bool:
    body = message.get("body")
    event = body.get("event") if isinstance(body, dict) else None
    return isinstance(event, dict) and event.get("eventtype") == "disconnected_event"
