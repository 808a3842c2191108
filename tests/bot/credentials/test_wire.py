"""The fake Tencent Cloud's signature check is proven before anything relies on it.

First on the worked example of Tencent's "签名方法 v3" document (its payload hash, canonical
request hash and signature), then on the wire: a request it signs itself is accepted, and the
same request with one byte of the body changed, a stale timestamp, or another key is refused with
the documented error JSON under ``Content-Type: application/json`` exactly.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from tests.fakes.tencentcloud import (
    FakeTencentCloud,
    canonical_request,
    secret_id,
    secret_key,
    sha256_hex,
    standard_cloud,
    string_to_sign,
    tc3_signature,
)

EXAMPLE_BODY = (b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], '
                b'"Name": "instance-name"}]}')


def test_the_verifier_reproduces_the_documented_worked_example() -> None:
    headers = {"content-type": "application/json; charset=utf-8",
               "host": "cvm.tencentcloudapi.com"}
    assert sha256_hex(EXAMPLE_BODY) == (
        "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064")
    canonical = canonical_request("POST", "/", "", headers, "content-type;host", EXAMPLE_BODY)
    assert sha256_hex(canonical.encode()) == (
        "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031")
    to_sign = string_to_sign(1551113065, "cvm", canonical)
    assert to_sign.splitlines()[:3] == ["TC3-HMAC-SHA256", "1551113065",
                                        "2019-02-25/cvm/tc3_request"]
    assert tc3_signature("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", 1551113065, "cvm", to_sign) == (
        "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168")


@pytest.fixture
def cloud() -> Iterator[FakeTencentCloud]:
    with standard_cloud().serving() as fake:
        yield fake


def _signed(endpoint: str, body: bytes, *, key: str, sign_body: bytes | None = None,
            timestamp: int | None = None, service: str = "sts",
            action: str = "GetCallerIdentity", version: str = "2018-08-13") -> httpx.Response:
    host = endpoint.removeprefix("http://")
    stamp = int(time.time()) if timestamp is None else timestamp
    headers = {"content-type": "application/json", "host": host}
    canonical = canonical_request("POST", "/", "", headers, "content-type;host",
                                  body if sign_body is None else sign_body)
    signature = tc3_signature(key, stamp, service, string_to_sign(stamp, service, canonical))
    day = datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d")
    return httpx.post(f"{endpoint}/", content=body, headers={
        "Content-Type": "application/json", "X-TC-Action": action, "X-TC-Version": version,
        "X-TC-Timestamp": str(stamp), "X-TC-Region": "ap-guangzhou",
        "Authorization": f"TC3-HMAC-SHA256 Credential={secret_id('Root')}/{day}/{service}/"
                         f"tc3_request, SignedHeaders=content-type;host, Signature={signature}"})


def _error(response: httpx.Response) -> str | None:
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = json.loads(response.content)["Response"]
    assert body["RequestId"]
    return body.get("Error", {}).get("Code")


def test_a_correctly_signed_request_is_answered(cloud: FakeTencentCloud) -> None:
    response = _signed(cloud.endpoint, b"{}", key=secret_key("Root"))
    assert _error(response) is None
    assert json.loads(response.content)["Response"]["AccountId"] == "100016315204"


def test_a_changed_body_a_stale_time_or_another_key_is_refused(cloud: FakeTencentCloud) -> None:
    key = secret_key("Root")
    assert _error(_signed(cloud.endpoint, b'{"a": 2}', key=key, sign_body=b'{"a": 1}')) == (
        "AuthFailure.SignatureFailure")
    assert _error(_signed(cloud.endpoint, b"{}", key=key, timestamp=int(time.time()) - 600)) == (
        "AuthFailure.SignatureExpire")
    assert _error(_signed(cloud.endpoint, b"{}", key=secret_key("Other"))) == (
        "AuthFailure.SignatureFailure")
    assert _error(_signed(cloud.endpoint, b"{}", key=key, action="Nope")) == "InvalidAction"
    assert _error(_signed(cloud.endpoint, b"{}", key=key, service="cam",
                          action="ListAttachedUserAllPolicies", version="2019-01-16")) == (
        "InvalidParameter.ParamError")
    assert cloud.rejected == ["AuthFailure.SignatureFailure", "AuthFailure.SignatureExpire",
                              "AuthFailure.SignatureFailure", "InvalidAction",
                              "InvalidParameter.ParamError"]
