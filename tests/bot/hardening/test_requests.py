"""Forged, malformed and oversized requests at both webhooks of ``esignbot serve`` (a real
process): each gets a 4xx and leaves no trace in the SQLite file.

Already proven elsewhere (not repeated here): Slack's wrong secret, stale and missing signature
(tests/bot/slack/test_app.py::test_a_bad_or_stale_signature_gets_401_and_changes_nothing); WeCom's
wrong signature, other corp, other agent, non-XML, truncated, empty and 300 KiB bodies
(tests/bot/wecom/test_callback.py::test_requests_wecom_did_not_send_are_refused_and_leave_no_trace); images
of the wrong type or too large through each adapter (bot/slack/test_app.py::
test_an_image_shared_in_the_thread_is_checked_for_type_and_size, bot/wecom/test_callback.py::
test_an_image_that_is_not_an_image_or_out_of_place_is_refused).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.bot.wecom.test_callback import Served, running
from tests.fakes.slack_world import SIGNING_SECRET, SlackWorld, slack_world

MIB = 1024 * 1024
TRACE_TABLES = ("cases", "events", "history", "answers")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackWorld]:
    with slack_world(tmp_path_factory.mktemp("slack-hardening")) as started:
        yield started


def counts(world: SlackWorld) -> list[int]:
    return [int(world.rows(f"SELECT count(*) FROM {table}")[0][0]) for table in TRACE_TABLES]


def signed_headers(body: bytes, content_type: str) -> dict[str, str]:
    """Slack's scheme (``v0=`` HMAC-SHA256 of ``v0:{ts}:{body}``) over raw bytes, so a body
    that is not UTF-8 can be signed too."""
    stamp = str(int(time.time()))
    mac = hmac.new(SIGNING_SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    signature = "v0=" + mac.hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature}


def chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    """A body sent with ``Transfer-Encoding: chunked`` (no Content-Length)."""
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        sent += piece
        yield b"a" * piece


def test_a_tampered_slack_body_is_refused(world: SlackWorld) -> None:
    before = counts(world)
    body = world.sender.command_body("start", channel="CTAMPER").encode()
    headers = signed_headers(body, "application/x-www-form-urlencoded")
    tampered = body.replace(b"CTAMPER", b"CTAMPEX")
    assert world.sender.http.post("/slack/events", content=tampered, headers=headers).status_code == 401
    event = world.sender.event_body({"type": "message", "channel": "DTAMPER", "user": "U1",
                                     "text": "start", "ts": "1.2", "channel_type": "im"}).encode()
    headers = signed_headers(event, "application/json")
    tampered = event.replace(b'"start"', b'"cancel"')
    assert world.sender.http.post("/slack/events", content=tampered, headers=headers).status_code == 401
    assert counts(world) == before
    assert world.settle("CTAMPER") == [] and world.settle("DTAMPER") == []


@pytest.mark.parametrize("body, content_type", [
    (b'{"type": "event_callback", "event": {', "application/json"),
    (b"\xff\xfe\x00not json", "application/json"),
    (b"[1, 2, 3]", "application/json"),
    (b"payload=%7Bnot-json", "application/x-www-form-urlencoded"),
    (b"payload=" + json.dumps({"type": "block_actions"}).encode(), "application/x-www-form-urlencoded"),
    (b"%%%&&&===", "application/x-www-form-urlencoded"),
    (b"", "application/json"),
])
def test_signed_but_malformed_slack_bodies_get_a_4xx_and_change_nothing(
        world: SlackWorld, body: bytes, content_type: str) -> None:
    before = counts(world)
    response = world.sender.http.post("/slack/events", content=body,
                                      headers=signed_headers(body, content_type))
    assert 400 <= response.status_code < 500, response.status_code
    assert counts(world) == before
    assert "Traceback" not in response.text


@pytest.mark.parametrize("chunked", [False, True])
def test_a_slack_body_over_one_mib_is_refused_before_it_is_read(world: SlackWorld, chunked: bool) -> None:
    before = counts(world)
    if chunked:
        response = world.sender.http.post("/slack/events", content=chunks(MIB + 1),
                                          headers={"Content-Type": "application/json"})
    else:
        big = b'{"type": "event_callback", "pad": "' + b"a" * MIB + b'"}'
        response = world.sender.http.post("/slack/events", content=big,
                                          headers=signed_headers(big, "application/json"))
    assert response.status_code == 413
    assert counts(world) == before
    # The server is still there and a normal request still works.
    assert httpx.get(str(world.sender.http.base_url) + "/healthz").status_code == 200
    just_under = world.sender.http.post("/slack/events", content=chunks(MIB),
                                        headers={"Content-Type": "application/json"})
    assert just_under.status_code == 401  # read whole, then refused for its missing signature


def test_a_declared_length_over_the_limit_is_refused_without_reading_a_byte(world: SlackWorld) -> None:
    """A client that announces 5 MiB and sends nothing gets its 413 at once (the server does
    not wait for the body), over a raw socket since an HTTP library will not lie."""
    url = world.sender.http.base_url
    with socket.create_connection((str(url.host), int(url.port or 80)), timeout=20) as sock:
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: " + str(5 * MIB).encode() + b"\r\n\r\n")
        assert sock.recv(64).startswith(b"HTTP/1.1 413")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with running(tmp_path_factory.mktemp("wecom-hardening")) as it:
        yield it


@pytest.mark.parametrize("chunked", [False, True])
def test_a_wecom_body_over_one_mib_is_refused(served: Served, chunked: bool) -> None:
    good = served.wecom.seal(served.wecom.text_xml("mallory", "开始"))
    if chunked:
        response = httpx.post(served.wecom.url, params=good.query, content=chunks(2 * MIB), timeout=30)
    else:
        huge = b"<xml><Encrypt><![CDATA[" + b"A" * (MIB + 10) + b"]]></Encrypt></xml>"
        response = httpx.post(served.wecom.url, params=good.query, content=huge, timeout=30)
    assert response.status_code == 413
    for table in ("cases", "events", "history", "answers", "wecom_members"):
        assert served.rows(f"SELECT count(*) FROM {table}") == [(0,)], table


def test_a_wecom_envelope_with_a_mangled_ciphertext_is_refused(served: Served) -> None:
    good = served.wecom.seal(served.wecom.text_xml("mallory", "开始"))
    text = good.body.decode()
    start = text.index("<Encrypt><![CDATA[") + len("<Encrypt><![CDATA[")
    mangled = (text[:start] + "QUJD" + text[start + 4:]).encode()  # same length, other bytes
    response = httpx.post(served.wecom.url, params=good.query, content=mangled)
    assert 400 <= response.status_code < 500
    for table in ("cases", "events", "history", "answers", "wecom_members"):
        assert served.rows(f"SELECT count(*) FROM {table}") == [(0,)], table
