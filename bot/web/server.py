"""The HTTP server behind ``esignbot serve``: one Starlette app hosting every configured platform.

Why one app: Slack and WeCom share the process, the SQLite file and the dialogue; each platform
only contributes its routes and its way of sending messages (``Platform``), so ``serve`` runs
whatever is configured and a health check answers for all of it.
"""

from __future__ import annotations

import asyncio
import gc
import inspect
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Protocol

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from bot.delivery.transport import Transport
from bot.web.access_log import AccessLog
from bot.web.body_limit import BodyLimit
from bot.web.health import HealthCheck, Probe
from bot.web.metrics import CONTENT_TYPE, Metrics


class Platform(Transport, Protocol):
    """A chat platform served over HTTP: its routes, and (as a
    :class:`~bot.delivery.transport.Transport`) how the delivery runtime posts into its
    conversations. It never posts a reply itself: every reply leaves through the outbox."""

    name: str
    """The conversation-key prefix it owns (``slack`` for ``slack:T1:C42``)."""

    def routes(self) -> list[BaseRoute]: ...

    async def startup(self) -> None: ...

    async def shutdown(self) -> None: ...


def _freeze_what_startup_built() -> None:
    """Move every object alive after startup (modules, the app, clients) out of the collector's
    reach. Why: a full (generation 2) collection walks every tracked object, and with the
    libraries loaded that took 66 ms under load — a pause every request in flight waited out,
    the open-loop benchmark's worst tail (measured with ``gc.callbacks``). What startup built
    lives as long as the process, so scanning it again finds nothing; later collections walk
    only what requests create."""
    gc.collect()
    gc.freeze()


Hook = Callable[[], object]
"""A start or stop step; one that returns an awaitable is awaited."""


@asynccontextmanager
async def running(platforms: Sequence[Platform], extra_startup: Sequence[Hook] = (),
                  extra_shutdown: Sequence[Hook] = (),
                  final_shutdown: Sequence[Hook] = ()) -> AsyncIterator[None]:
    """The platforms and the work beside them, started and stopped in order — the lifespan of
    ``serve``, and the same for Socket Mode, so both run the scheduler and the mail watcher.

    ``extra_shutdown`` hooks run first on shutdown, so background work such as the scheduler
    stops while the platforms still send; ``final_shutdown`` hooks run last, once the platforms
    have drained their work (which may still have used what they close)."""
    for platform in platforms:
        await platform.startup()
    for hook in extra_startup:
        hook()
    _freeze_what_startup_built()
    try:
        yield
    finally:
        for stop in extra_shutdown:
            result = stop()
            if inspect.isawaitable(result):
                await result
        for platform in reversed(platforms):
            await platform.shutdown()
        for close in final_shutdown:
            close()


def build_app(platforms: Sequence[Platform], extra_startup: Sequence[Hook] = (),
              extra_shutdown: Sequence[Hook] = (),
              final_shutdown: Sequence[Hook] = (), *, probes: Mapping[str, Probe] | None = None,
              metrics: Metrics | None = None) -> Starlette:
    """The Starlette app serving every platform's routes, ``/healthz`` (200 when every probe
    passes, 503 naming what failed), ``/livez`` (200 while the event loop answers; both in
    ``bot/web/health.py``) and, with ``metrics``, ``/metrics``; every request is logged once
    (``bot/web/access_log.py``). Its lifespan is :func:`running`."""
    health = HealthCheck(probes or {})

    async def healthz(request: Request) -> JSONResponse:
        # With ``serve --workers N`` each request reaches one worker, and its checks are that
        # worker's own (its scheduler, its file-building child) plus the shared database; which
        # worker answered is in the access log line (``worker``), not in the body.
        ok, checks = await health.run()
        return JSONResponse({"ok": ok, "platforms": [p.name for p in platforms],
                             "checks": checks}, status_code=200 if ok else 503)

    async def livez(request: Request) -> JSONResponse:
        # Answered on the event loop, so only while it runs; no probe, file or thread is
        # touched, so it costs microseconds and a full disk cannot fail it (bot/web/health.py).
        return JSONResponse({"ok": True})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with running(platforms, extra_startup, extra_shutdown, final_shutdown):
            yield

    async def scrape(request: Request) -> Response:
        assert metrics is not None
        body = await asyncio.to_thread(metrics.render)  # reads SQLite: not on the event loop
        return Response(body, media_type=CONTENT_TYPE)

    routes: list[BaseRoute] = [Route("/healthz", healthz, methods=["GET"]),
                               Route("/livez", livez, methods=["GET"])]
    if metrics is not None:
        routes.append(Route("/metrics", scrape, methods=["GET"]))
    platform_paths: dict[str, str] = {}
    for platform in platforms:
        own = platform.routes()
        platform_paths.update({r.path: platform.name for r in own if isinstance(r, Route)})
        routes += own
    # One access line per request, refused ones included (so it comes first); every body over
    # 1 MiB is refused (413) before a platform reads it (bot/web/body_limit.py).
    access = Middleware(AccessLog, platform_paths=platform_paths,
                        observe=metrics.observe_ack if metrics is not None else None)
    return Starlette(routes=routes, lifespan=lifespan,
                     middleware=[access, Middleware(BodyLimit)])
