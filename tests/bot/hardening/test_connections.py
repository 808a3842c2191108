"""``esignbot serve`` under connections that never finish: half-sent requests and stalled
uploads are closed by the server within its request timeout, and past its connection cap a new
connection gets a fast 503 — logged once, not once per connection — while the server keeps
answering. Over raw sockets on 127.0.0.1; every loop is bounded in count and time."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.fakes.slack_world import SlackWorld, slack_world

TIMEOUT_S = 1.0
CAP = 40


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackWorld]:
    with slack_world(tmp_path_factory.mktemp("connections"),
                     ESIGNBOT_HTTP_REQUEST_TIMEOUT=str(TIMEOUT_S),
                     ESIGNBOT_HTTP_MAX_CONNECTIONS=str(CAP)) as started:
        yield started


def address(world: SlackWorld) -> tuple[str, int]:
    url = world.sender.http.base_url
    return str(url.host), int(url.port or 80)


def healthy(world: SlackWorld) -> bool:
    return httpx.get(str(world.sender.http.base_url) + "/healthz", timeout=5).status_code == 200


def closed_by_server(sock: socket.socket, within_s: float) -> bool:
    """True when the server closes ``sock`` (recv sees the end) within ``within_s``."""
    sock.settimeout(within_s)
    try:
        while sock.recv(4096):
            pass  # an error page before the close is fine; silence for ever is not
    except TimeoutError:
        return False
    except OSError:
        return True  # reset by the server
    return True


@pytest.mark.parametrize("sent", [
    b"",  # connected, never says anything
    b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Le",  # half the headers
    b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Content-Length: 900000\r\n\r\n" + b"a" * 400_000,  # an upload that stalls half-way
])
def test_a_request_that_does_not_arrive_in_time_is_closed(world: SlackWorld, sent: bytes) -> None:
    socks = [socket.create_connection(address(world), timeout=5) for _ in range(20)]
    try:
        for sock in socks:
            sock.sendall(sent)
        started = time.monotonic()
        assert all(closed_by_server(sock, within_s=TIMEOUT_S + 5) for sock in socks)
        assert time.monotonic() - started < TIMEOUT_S + 5
        assert healthy(world)
    finally:
        for sock in socks:
            sock.close()


def test_a_keep_alive_connection_that_stalls_in_its_second_request_is_closed(world: SlackWorld) -> None:
    with socket.create_connection(address(world), timeout=5) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHo")  # and nothing more
        assert closed_by_server(sock, within_s=TIMEOUT_S + 10)


def test_past_the_cap_new_connections_get_a_fast_503_and_the_log_says_so_once(world: SlackWorld) -> None:
    held = [socket.create_connection(address(world), timeout=5) for _ in range(CAP)]
    try:
        time.sleep(0.2)  # the server has accepted them all
        answers = []
        for _ in range(30):
            with socket.create_connection(address(world), timeout=5) as extra:
                extra.settimeout(5)
                answers.append(extra.recv(64))
        assert all(answer.startswith(b"HTTP/1.1 503") for answer in answers), answers[:3]
    finally:
        for sock in held:
            sock.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not _accepting(world):
        time.sleep(0.1)
    assert healthy(world)
    log = world.server_log()
    assert log.count(f"more than {CAP} connections open") == 1, log


def _accepting(world: SlackWorld) -> bool:
    try:
        return healthy(world)
    except httpx.HTTPError:
        return False


def test_stalled_uploads_share_one_memory_budget(world: SlackWorld) -> None:
    """30 uploads of 900 kB that stall hold more than the 16 MiB budget: the ones past it get
    a 503 at once instead of a buffer, and all are closed by the request timeout."""
    head = (b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000000\r\n\r\n")
    socks = []
    try:
        for _ in range(30):
            sock = socket.create_connection(address(world), timeout=5)
            # Refused (503 and closed) while we were still sending: that is the point.
            with contextlib.suppress(OSError):
                sock.sendall(head + b"a" * 900_000)
            socks.append(sock)
        answers = []
        for sock in socks:
            sock.settimeout(TIMEOUT_S + 5)
            try:
                answers.append(sock.recv(64))
            except (TimeoutError, OSError):
                answers.append(b"reset")
        refused = [a for a in answers if a.startswith(b"HTTP/1.1 503") or a == b"reset"]
        assert len(refused) >= 10, answers
        assert healthy(world)
    finally:
        for sock in socks:
            sock.close()
    assert "new ones get 503" in world.server_log()
