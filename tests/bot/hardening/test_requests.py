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
import urllib.parse
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


@pytest.mark.parametrize("stamp", ["abc", "", "9" * 400, "-1", "1.5", "0x10", "１２３", "12 34",
                                   "\u0661\u0662\u0663"])
def test_a_malformed_slack_timestamp_is_refused_without_a_traceback(world: SlackWorld, stamp: str) -> None:
    before = counts(world)
    body = world.sender.command_body("start", channel="CSTAMP").encode()
    headers = signed_headers(body, "application/x-www-form-urlencoded")
    mac = hmac.new(SIGNING_SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256)
    headers["X-Slack-Request-Timestamp"] = stamp
    headers["X-Slack-Signature"] = "v0=" + mac.hexdigest()  # signed, so only the stamp is wrong
    response = world.sender.http.post("/slack/events", content=body,
                                      headers={k: v.encode() for k, v in headers.items()})
    assert response.status_code == 401, response.status_code
    assert counts(world) == before


@pytest.mark.parametrize("signature", ["", "v0=", "v0=zz", "v1=" + "0" * 64, "0" * 67, "v0=" + "é" * 64])
def test_a_malformed_slack_signature_is_refused(world: SlackWorld, signature: str) -> None:
    body = world.sender.command_body("start", channel="CSIG").encode()
    headers = signed_headers(body, "application/x-www-form-urlencoded")
    headers["X-Slack-Signature"] = signature
    response = world.sender.http.post("/slack/events", content=body,
                                      headers={k: v.encode() for k, v in headers.items()})
    assert response.status_code == 401, response.status_code


ODD_SIGNED_JSON: list[object] = [
    {"type": "event_callback"},
    {"type": "event_callback", "event": "start"},
    {"type": "event_callback", "event": None, "event_id": 5},
    {"type": "event_callback", "event": {"type": "message", "channel": "DODD", "user": "U1", "text": 5,
                                         "ts": "1.2", "channel_type": "im"}, "event_id": "EvOdd1"},
    {"type": "event_callback", "event": {"type": "message", "channel": ["D"], "user": {"id": 1},
                                         "text": "start", "channel_type": "im"}, "event_id": "EvOdd2"},
    {"type": "event_callback", "event": {"type": "message", "channel": "DODD3", "user": "U1",
                                         "text": "start", "ts": "1.2", "channel_type": "im",
                                         "files": "not a list"}, "event_id": "EvOdd3"},
    {"type": "event_callback", "event": {"type": "message", "channel": "DODD4", "user": "U1",
                                         "text": "start", "ts": "1.2", "channel_type": "im",
                                         "files": [{"id": 1, "size": "big"}]}, "event_id": "EvOdd4"},
    {"type": "event_callback", "event": {"type": "app_home_opened", "user": 7}, "event_id": "EvOdd5"},
    {"type": "url_verification"},
    {"type": "url_verification", "challenge": {"a": 1}},
    {"type": 42},
    {"team_id": "T1"},
]

ODD_SIGNED_PAYLOADS: list[object] = [
    {"type": "block_actions", "actions": "x"},
    {"type": "block_actions", "actions": [{"action_id": "esign_choice", "value": 7}], "user": {"id": "U1"},
     "channel": {"id": "CODD"}, "team": {"id": "T1"}},
    {"type": "block_actions", "actions": [{"action_id": "esign_choice"}], "user": "U1"},
    {"type": "view_submission", "view": 1},
    {"type": "view_submission", "view": {"type": "modal", "callback_id": "esign_keys",
                                         "state": {"values": "x"}},
     "user": {"id": "U1"}, "team": {"id": "T1"}},
    {"type": "view_submission", "view": {"type": "modal", "callback_id": "esign_keys",
                                         "private_metadata": "{not json"},
     "user": {"id": "U1"}, "team": {"id": "T1"}},
    {"type": "view_submission", "view": {"callback_id": "esign_keys"}, "user": {"id": "U1"}},
    {"type": "shortcut", "callback_id": "x"},
    {"type": "view_closed"},
]


@pytest.mark.parametrize("body, content_type", [
    *[(json.dumps(shape).encode(), "application/json") for shape in ODD_SIGNED_JSON],
    *[(b"payload=" + urllib.parse.quote(json.dumps(shape)).encode(), "application/x-www-form-urlencoded")
      for shape in ODD_SIGNED_PAYLOADS],
    (b"command=%2Fesign&text=start", "application/x-www-form-urlencoded"),
    (b"command=%2Fesign&text=start&channel_id=CODDCMD", "application/x-www-form-urlencoded"),
    (b"command=%2Fother&text=start&channel_id=C1&user_id=U1&team_id=T1", "application/x-www-form-urlencoded"),
    (b"command=%2Fesign&text=%FF%FE&channel_id=C1&user_id=U1&team_id=T1", "application/x-www-form-urlencoded"),
])
def test_oddly_shaped_signed_slack_requests_never_answer_500(
        world: SlackWorld, body: bytes, content_type: str) -> None:
    """Signed by the signing secret (so a leaked secret, a buggy proxy or Slack itself could send
    them), and readable, but not shaped as Slack's requests are: never a 5xx, never a
    traceback (the world's teardown reads the whole server log for one)."""
    response = world.sender.http.post("/slack/events", content=body,
                                      headers=signed_headers(body, content_type))
    assert response.status_code < 500, (response.status_code, response.text)
    assert "Traceback" not in response.text


ODD_SEALED_XML = [
    "<xml></xml>",
    "<xml><MsgType><![CDATA[text]]></MsgType></xml>",
    "<xml><FromUserName><![CDATA[mallory]]></FromUserName><MsgType>text</MsgType>"
    "<Content>x</Content><AgentID>not-a-number</AgentID></xml>",
    "<xml><FromUserName><![CDATA[mallory]]></FromUserName><MsgType>text</MsgType>"
    "<CreateTime>soon</CreateTime><Content>start</Content><MsgId>abc</MsgId></xml>",
    "<xml><FromUserName><![CDATA[mallory]]></FromUserName><MsgType>event</MsgType>"
    "<Event>template_card_event</Event><AgentID>1000002</AgentID></xml>",
    "<xml><FromUserName><![CDATA[mallory]]></FromUserName><MsgType>image</MsgType>"
    "<AgentID>1000002</AgentID></xml>",
    "<xml><FromUserName><![CDATA[mallory]]></FromUserName><MsgType>text</MsgType>"
    "<Content><x>nested</x></Content><AgentID>1000002</AgentID></xml>",
    "not xml at all",
    "<xml><FromUserName><![CDATA[mallory]]></FromUserName><MsgType>text</MsgType>"
    "<Content>" + "长" * 20000 + "</Content><AgentID>1000002</AgentID></xml>",
]


@pytest.mark.parametrize("xml", ODD_SEALED_XML)
def test_oddly_shaped_sealed_wecom_messages_never_answer_500(served: Served, xml: str) -> None:
    """Encrypted and signed with the app's keys, but not shaped as WeCom's messages: never a
    5xx (the served fixture's teardown reads the server log for a traceback)."""
    response = served.wecom.deliver(served.wecom.seal(xml))
    assert response.status_code < 500, (response.status_code, response.text)
