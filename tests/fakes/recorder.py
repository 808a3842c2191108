"""A second local server on 127.0.0.1 that records every request it receives (method, path with
query, headers) and answers 200 with a small PNG-looking body: the "other origin" a token must
never reach. Tests point a file URL or a redirect at it and then read what arrived."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]


class Recorder:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.base = ""
        self._lock = threading.Lock()

    def everything(self) -> str:
        """All that arrived, as one text to search for a token."""
        with self._lock:
            return "\n".join(f"{r.method} {r.path} {r.headers}" for r in self.received)

    @contextmanager
    def serving(self) -> Iterator[Recorder]:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                with recorder._lock:
                    recorder.received.append(Received(self.command, self.path, dict(self.headers)))
                body = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._record()

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self._record()

            def log_message(self, format: str, *args: Any) -> None:
                return

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.base = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
