"""The framework's floor: bare Slack apps served exactly as ``esignbot serve`` is (uvicorn, one
worker, 127.0.0.1), whose listeners only acknowledge and post one message.

Four shapes, so our numbers can be read against what bolt itself costs:

- ``same-work``: the floor for the work a turn must do whatever the bot's own code costs
  (issue 20): bolt's ``AsyncApp`` that per request commits one SQLite transaction with the
  pragmas of ``storage.case_store`` (WAL, ``synchronous`` from ``ESIGNBOT_DB_SYNC``, default
  FULL) on one turn thread, acknowledges, and then makes the Web API calls a turn of ours makes
  for that kind of request (:data:`SAME_WORK_CALLS`; the benchmark counts both apps' calls on the
  fake Slack API, so the share is measured, not assumed);
- ``async``: bolt's ``AsyncApp`` behind the async Starlette adapter (the shape we use);
- ``sync``: bolt's sync ``App`` with each dispatch in Starlette's thread pool (the sync adapter
  alone would run dispatch on the event loop and serialise every request; see DESIGN.md);
- ``starlette``: an endpoint that only answers 200, the server's own ceiling.

Run one with ``python -m bench.bare_bolt --shape async --port 8090``; the tokens come from the
same environment variables as ``serve`` (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sqlite3
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aiohttp
from slack_bolt import Ack, App, BoltRequest
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.adapter.starlette.handler import to_starlette_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_sdk import WebClient
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SHAPES = ("same-work", "async", "sync", "starlette")
EVENTS_PATH = "/slack/events"
_ACTIONS = re.compile(r"^esign:")


def _channel(body: dict[str, Any]) -> str:
    """The channel a request came from, whatever its kind (command, event or click)."""
    if "channel_id" in body:
        return str(body["channel_id"])
    event = body.get("event")
    if isinstance(event, dict) and "channel" in event:
        return str(event["channel"])
    return str((body.get("channel") or {}).get("id", ""))


async def _healthz(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


def _served(app: AsyncApp) -> Starlette:
    """A bolt app behind the async Starlette adapter, with ``/healthz``, as every bolt target is
    served."""
    handler = AsyncSlackRequestHandler(app)

    async def endpoint(request: Request) -> Response:
        return await handler.handle(request)

    return Starlette(routes=[Route("/healthz", _healthz), Route(EVENTS_PATH, endpoint, methods=["POST"])])


def async_app(bot_token: str, signing_secret: str, api_url: str) -> Starlette:
    app = AsyncApp(client=AsyncWebClient(token=bot_token, base_url=api_url),
                   signing_secret=signing_secret)

    async def post_one(body: dict[str, Any], client: AsyncWebClient) -> None:
        await client.chat_postMessage(channel=_channel(body), text="ok")

    async def acked(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await post_one(body, client)

    app.command("/esign")(acked)
    app.action(_ACTIONS)(acked)
    app.event("message")(post_one)
    return _served(app)


SAME_WORK_CALLS: dict[str, tuple[str, ...]] = {
    "command": ("chat.postMessage", "chat.postMessage"),
    "action": ("chat.update", "chat.postMessage"),
    "message": ("chat.postMessage",),
}
"""What a turn of ours calls, by request kind (counted on the fake API for the online route):
``start`` posts the case's thread root and the first question in it; a click replaces the
clicked buttons (``chat.update``) and posts the next question; a typed answer posts the next
question. A click that records a review's approval also posts its announcement
(:data:`ANNOUNCING`): since issue 27 ours sends it right after the turn commits, where the
scheduler used to send it at its next pass (usually after a benchmark run had ended)."""

ANNOUNCING = frozenset({"approved"})
"""Button values that record a review result, which ours announces (📣) in the case's thread."""

_SCHEMA = ("CREATE TABLE IF NOT EXISTS turns (id INTEGER PRIMARY KEY, event_id TEXT UNIQUE NOT NULL, "
           "channel TEXT NOT NULL, body TEXT NOT NULL, at TEXT NOT NULL)")


class TurnStore:
    """One SQLite connection on one thread, as ``CaseStore`` runs a turn: ``BEGIN IMMEDIATE``,
    one row, ``COMMIT``, in WAL mode with the same ``synchronous`` setting."""

    def __init__(self, path: str, synchronous: str) -> None:
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="turn")
        self._conn = self._thread.submit(self._open, path, synchronous).result()

    @staticmethod
    def _open(path: str, synchronous: str) -> sqlite3.Connection:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
        conn.execute(_SCHEMA)
        return conn

    def _commit(self, event_id: str, channel: str, body: str) -> None:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._conn.execute("INSERT OR IGNORE INTO turns (event_id, channel, body, at) "
                               "VALUES (?, ?, ?, ?)", (event_id, channel, body, time.time()))
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    async def commit(self, event_id: str, channel: str, body: str) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._commit, event_id,
                                                         channel, body)


def _clicked_value(body: dict[str, Any]) -> str:
    """The value of the clicked button (ours carry ``{"s": step, "v": value}`` as JSON)."""
    raw = str(((body.get("actions") or [{}])[0] or {}).get("value") or "")
    try:
        data = json.loads(raw)
    except ValueError:
        return raw
    return str(data.get("v", "")) if isinstance(data, dict) else raw


def same_work_app(bot_token: str, signing_secret: str, api_url: str, db: str,
                  synchronous: str) -> Starlette:
    client = AsyncWebClient(token=bot_token, base_url=api_url)
    app = AsyncApp(client=client, signing_secret=signing_secret, process_before_response=True)
    store = TurnStore(db, synchronous)
    roots: dict[str, str] = {}
    tasks: set[asyncio.Task[None]] = set()

    async def calls(kind: str, body: dict[str, Any]) -> None:
        if client.session is None:  # one connection pool, as ours shares (bot/slack/app.py)
            client.session = aiohttp.ClientSession()
        channel = _channel(body)
        for method in SAME_WORK_CALLS[kind]:
            if method == "chat.update":
                ts = str((body.get("container") or {}).get("message_ts") or "")
                await client.chat_update(channel=channel, ts=ts, text="✓", blocks=[])
            elif kind == "command" and channel not in roots:
                posted = await client.chat_postMessage(channel=channel, text="case")
                roots[channel] = str(posted.get("ts"))
            else:
                await client.chat_postMessage(channel=channel, text="next question",
                                              thread_ts=roots.get(channel))
        if kind == "action" and _clicked_value(body) in ANNOUNCING:
            await client.chat_postMessage(channel=channel, text="announcement",
                                          thread_ts=roots.get(channel))

    def later(kind: str, body: dict[str, Any]) -> None:
        """After the acknowledgement, as ours posts (commit, acknowledge, then the slow part)."""
        task = asyncio.get_running_loop().create_task(calls(kind, body))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def input_id(kind: str, body: dict[str, Any]) -> str:
        return str(body.get("event_id") or body.get("trigger_id") or f"{kind}:{time.time_ns()}")

    async def turn(kind: str, body: dict[str, Any]) -> None:
        await store.commit(input_id(kind, body), _channel(body),
                           json.dumps(body, ensure_ascii=False)[:2000])

    async def command(ack: AsyncAck, body: dict[str, Any]) -> None:
        await turn("command", body)
        await ack()
        later("command", body)

    async def action(ack: AsyncAck, body: dict[str, Any]) -> None:
        await turn("action", body)
        await ack()
        later("action", body)

    async def message(body: dict[str, Any]) -> None:
        await turn("message", body)  # bolt acknowledges an event when its listener returns
        later("message", body)

    app.command("/esign")(command)
    app.action(_ACTIONS)(action)
    app.event("message")(message)
    return _served(app)


def sync_app(bot_token: str, signing_secret: str, api_url: str) -> Starlette:
    app = App(client=WebClient(token=bot_token, base_url=api_url), signing_secret=signing_secret)

    def post_one(body: dict[str, Any], client: WebClient) -> None:
        client.chat_postMessage(channel=_channel(body), text="ok")

    def acked(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        post_one(body, client)

    app.command("/esign")(acked)
    app.action(_ACTIONS)(acked)
    app.event("message")(post_one)

    async def endpoint(request: Request) -> Response:
        body = await request.body()
        bolt_request = BoltRequest(body=body.decode("utf-8"), query=request.query_params,  # type: ignore[arg-type]
                                   headers=request.headers)  # type: ignore[arg-type]
        return to_starlette_response(await run_in_threadpool(app.dispatch, bolt_request))

    return Starlette(routes=[Route("/healthz", _healthz), Route(EVENTS_PATH, endpoint, methods=["POST"])])


def starlette_app() -> Starlette:
    async def endpoint(request: Request) -> Response:
        await request.body()
        return Response(status_code=200)

    return Starlette(routes=[Route("/healthz", _healthz), Route(EVENTS_PATH, endpoint, methods=["POST"])])


def build(shape: str) -> Starlette:
    if shape == "starlette":
        return starlette_app()
    token = os.environ["SLACK_BOT_TOKEN"]
    secret = os.environ["SLACK_SIGNING_SECRET"]
    api_url = os.environ.get("SLACK_API_URL", "https://slack.com/api/")
    if shape == "same-work":
        return same_work_app(token, secret, api_url, os.environ.get("ESIGNBOT_DB", "same-work.db"),
                             os.environ.get("ESIGNBOT_DB_SYNC", "full"))
    return async_app(token, secret, api_url) if shape == "async" else sync_app(token, secret, api_url)


def main(argv: Sequence[str] | None = None) -> int:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.bare_bolt")
    parser.add_argument("--shape", choices=SHAPES, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    # The same call `esignbot serve` makes, so both are served the same way.
    uvicorn.run(build(args.shape), host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
