"""The framework's floor: bare Slack apps served exactly as ``esignbot serve`` is (uvicorn, one
worker, 127.0.0.1), whose listeners only acknowledge and post one message.

Three shapes, so our numbers can be read against what bolt itself costs:

- ``async``: bolt's ``AsyncApp`` behind the async Starlette adapter (the shape we use);
- ``sync``: bolt's sync ``App`` with each dispatch in Starlette's thread pool (the sync adapter
  alone would run dispatch on the event loop and serialise every request; see DESIGN.md);
- ``starlette``: an endpoint that only answers 200, the server's own ceiling.

Run one with ``python -m bench.bare_bolt --shape async --port 8090``; the tokens come from the
same environment variables as ``serve`` (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL).
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Sequence
from typing import Any

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

SHAPES = ("async", "sync", "starlette")
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
    handler = AsyncSlackRequestHandler(app)

    async def endpoint(request: Request) -> Response:
        return await handler.handle(request)

    return Starlette(routes=[Route("/healthz", _healthz), Route(EVENTS_PATH, endpoint, methods=["POST"])])


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
