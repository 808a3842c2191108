"""``bot.uploads``: a file over the limit whose size nobody declared (a chunked download from a
real server on 127.0.0.1) is counted to its end, so its real size is told, while no more than
the limit and one chunk is ever held."""

from __future__ import annotations

import threading
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from bot.uploads import CHUNK_BYTES, Receiving, receive
from handlers.shapes import MAX_UPLOAD_BYTES

ELEVEN_MB = 11 * 1024 * 1024


class _Chunked(BaseHTTPRequestHandler):
    """11 MB made at request time, sent chunked: no Content-Length to read the size from."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        block = b"\x89PNG" + bytes(CHUNK_BYTES - 4)
        for sent in range(0, ELEVEN_MB, CHUNK_BYTES):
            piece = block[: min(CHUNK_BYTES, ELEVEN_MB - sent)]
            self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Chunked)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/photo.png"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_an_undeclared_11_mb_download_is_refused_with_its_real_size(server: str) -> None:
    with requests.get(server, stream=True, timeout=10) as response:
        assert "Content-Length" not in response.headers
        tracemalloc.start()
        try:
            got = receive(Receiving("photo.png", "image/png"),
                          response.iter_content(CHUNK_BYTES), errors=(requests.RequestException,))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert (got.problem, got.size, got.content) == ("too_large", ELEVEN_MB, b"")
    assert peak < MAX_UPLOAD_BYTES + 8 * CHUNK_BYTES  # never the whole 11 MB
