"""Limits on HTTP connections for ``esignbot serve``: time to send a request, and how many
connections may be open at once.

Why in the server itself: both webhooks face the internet, and a reverse proxy is not assumed.
uvicorn closes a connection that stays idle *between* requests (its keep-alive timeout), but it
waits for ever for a request that has begun and stalls, or for a first request that never comes:
a few hundred sockets that send half a request held their file descriptors until the process ran
out and stopped answering everyone, and each stalled body pinned up to a megabyte in the body
limit's buffer. Here a request must arrive whole — request line, headers and body — within
``request_timeout`` seconds of the connection opening (or of the previous response), and past
``max_connections`` open connections a new one is answered ``503`` at once and closed, logged
once per overload rather than once per connection. Memory held by stalled uploads is therefore
at most ``max_connections`` × the body limit, and only for ``request_timeout`` seconds.

Built as a subclass of uvicorn's httptools protocol (the one ``serve`` ran with already), so
parsing, keep-alive and the ASGI cycle stay uvicorn's; only connection open, request complete,
response complete and connection lost are hooked.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger("esignbot.http")

DEFAULT_REQUEST_TIMEOUT_S = 10.0
"""Slack and WeCom send a few kilobytes at once; ten seconds is generous on any network."""
DEFAULT_MAX_CONNECTIONS = 500
"""Far above what two platforms' webhooks keep open, far below a process's file limit."""
FD_HEADROOM = 64
"""Descriptors kept free under the process's limit for the database, logs and outgoing calls."""

OVERLOADED = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\n"
              b"content-length: 12\r\nconnection: close\r\n\r\ntoo many now")


def limited_http(request_timeout: float, max_connections: int) -> type[HttpToolsProtocol]:
    """uvicorn's HTTP protocol with these limits (pass it as ``uvicorn.run(..., http=...)``)."""

    class LimitedHttp(HttpToolsProtocol):
        overloaded = False
        """Whether the current overload has been logged (class-wide: one server per process)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                if not LimitedHttp.overloaded:
                    LimitedHttp.overloaded = True
                    log.warning("more than %d connections open: new ones get 503 until some close",
                                max_connections)
                transport.write(OVERLOADED)
                transport.close()
                return
            if LimitedHttp.overloaded and len(self.connections) <= max_connections // 2:
                LimitedHttp.overloaded = False
                log.warning("connections back to %d: accepting again", len(self.connections))
            self._arm(request_timeout)

        def on_message_complete(self) -> None:
            self._disarm()  # the request is here; how long the app takes is not the client's doing
            super().on_message_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                # The next request on this connection: uvicorn's keep-alive timeout closes an
                # idle one; this closes one that starts a request and stalls.
                self._arm(self.timeout_keep_alive + request_timeout)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self, seconds: float) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(seconds, self._too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self) -> None:
            self._deadline = None
            if not self.transport.is_closing():
                log.info("closed a connection whose request did not arrive within %.0f s",
                         request_timeout)
                self.transport.close()

    return LimitedHttp


def connection_cap(setting: int, fd_limit: int | None = None) -> int:
    """``setting``, lowered to stay ``FD_HEADROOM`` under the process's open-file limit."""
    if fd_limit is None:
        try:
            import resource

            fd_limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        except (ImportError, ValueError, OSError):
            return setting
    if fd_limit <= 0:  # RLIM_INFINITY is -1
        return setting
    return max(1, min(setting, fd_limit - FD_HEADROOM))
