"""A fake Tencent Cloud API on 127.0.0.1: STS, CAM and essbasic over real signed HTTP.

Why a server and not a patched SDK: the credential check is only worth something if the
SecretId/SecretKey really sign a request the way Tencent Cloud verifies it. So this fake checks
the TC3-HMAC-SHA256 signature from scratch (its own code, proven on the worked example in
Tencent's "签名方法 v3" document), routes by the service named in the credential scope and by
``X-TC-Action``, and answers with the documented JSON and ``Content-Type: application/json``
exactly (the SDK ignores error bodies under any other content type).

One fake listens on two ports: ``endpoint`` plays the production hosts (``sts``, ``cam``,
``essbasic.tencentcloudapi.com``), ``test_endpoint`` the E-Sign joint-debugging host
(``essbasic.test.ess.tencent.cn``). A test key is known only to the test port (STS, CAM and
production essbasic refuse it as an unknown SecretId), and a key made by the E-Sign console for
production only to production essbasic, as the console route describes. Each is a scenario knob
away from the failures a team meets: a wrong key, a missing policy, a banned app, any essbasic
error code, throttling, a server too slow to answer. Besides the probe, essbasic answers
``CreateConsoleLoginUrl`` (what the first-call snippet sends).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ESS_POLICY = "QcloudESSBASICFullAccess"
VERSIONS = {"sts": "2018-08-13", "cam": "2019-01-16", "essbasic": "2021-05-26"}
_AUTH = re.compile(
    r"^TC3-HMAC-SHA256 Credential=(?P<secret_id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/"
    r"(?P<service>[a-z]+)/tc3_request, SignedHeaders=(?P<signed>[a-z;\-]+), "
    r"Signature=(?P<signature>[0-9a-f]{64})$"
)


# -- the signature, written from Tencent's document, independent of the SDK -------------------
def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_request(method: str, uri: str, query: str, headers: dict[str, str],
                      signed_headers: str, payload: bytes) -> str:
    """The canonical request: method, URI, query, the signed headers (lower-case names,
    trimmed lower-case values, one per line), their names, and the payload's SHA-256."""
    names = signed_headers.split(";")
    canonical_headers = "".join(f"{name}:{headers[name].strip().lower()}\n" for name in names)
    return "\n".join([method, uri, query, canonical_headers, signed_headers, sha256_hex(payload)])


def string_to_sign(timestamp: int, service: str, canonical: str) -> str:
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{day}/{service}/tc3_request"
    return "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope, sha256_hex(canonical.encode())])


def tc3_signature(secret_key: str, timestamp: int, service: str, to_sign: str) -> str:
    """hex(HMAC(HMAC(HMAC(HMAC("TC3" + SecretKey, date), service), "tc3_request"), text))."""
    day = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")

    def mac(key: bytes, text: str) -> bytes:
        return hmac.new(key, text.encode(), hashlib.sha256).digest()

    signing_key = mac(mac(mac(("TC3" + secret_key).encode(), day), service), "tc3_request")
    return hmac.new(signing_key, to_sign.encode(), hashlib.sha256).hexdigest()


# -- the accounts a scenario is made of ------------------------------------------------------
@dataclass
class Key:
    """One API key: whose it is, and where it is valid (``prod`` means Tencent Cloud itself:
    STS, CAM and production E-Sign; ``test`` the E-Sign joint-debugging environment;
    ``console`` an E-Sign key for production made in the E-Sign console, which only production
    essbasic knows)."""

    secret_id: str
    secret_key: str
    account_id: str
    user_id: str
    environments: frozenset[str] = frozenset({"prod"})
    type: str = "CAMUser"


@dataclass
class Group:
    group_id: int
    name: str
    policies: list[str]


@dataclass
class Call:
    environment: str
    service: str
    action: str
    params: dict[str, Any]
    secret_id: str


@dataclass
class FakeTencentCloud:
    """The state behind both ports; tests change it between requests as they like."""

    keys: dict[str, Key] = field(default_factory=dict)
    direct_policies: dict[str, list[str]] = field(default_factory=dict)
    groups: dict[str, list[Group]] = field(default_factory=dict)
    cam_readers: set[str] = field(default_factory=set)
    """Users allowed to list policies (root accounts always are)."""
    apps: dict[str, dict[str, str]] = field(default_factory=lambda: {"prod": {}, "test": {}})
    """environment -> app ID -> "ok", "banned", or any other error code essbasic answers for
    it (``FailedOperation.AuthFail``, ``UnauthorizedOperation.NoPermissionFeature``…)."""
    app_not_found_code: str = "ResourceNotFound.Application"
    throttle: int = 0
    """How many of the next requests are answered ``RequestLimitExceeded``."""
    delay: float = 0.0
    """Seconds to wait before answering each request (a slow server)."""
    calls: list[Call] = field(default_factory=list)
    """Requests whose signature was verified, in order."""
    seen: list[tuple[str, str, str]] = field(default_factory=list)
    """(port's environment, service in the credential scope, action) of every request that
    arrived, before any check: proof of which hosts were asked at all."""
    rejected: list[str] = field(default_factory=list)
    """Error codes answered, in order (what the SDK was told)."""
    endpoint: str = ""
    test_endpoint: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- scenario helpers ------------------------------------------------------------------
    def add_key(self, key: Key) -> Key:
        self.keys[key.secret_id] = key
        return key

    def holds_policy(self, uin: str) -> bool:
        if uin in {k.account_id for k in self.keys.values() if k.user_id == k.account_id}:
            return True
        via_groups = [p for g in self.groups.get(uin, []) for p in g.policies]
        return ESS_POLICY in self.direct_policies.get(uin, []) + via_groups

    # -- the protocol ----------------------------------------------------------------------
    def handle(self, environment: str, method: str, path: str, headers: dict[str, str],
               body: bytes) -> tuple[int, dict[str, Any]]:
        request_id = str(uuid.uuid4())
        if self.delay:
            time.sleep(self.delay)
        try:
            result = self._handle(environment, method, path, headers, body)
        except ApiError as error:
            with self._lock:
                self.rejected.append(error.code)
            return 200, {"Response": {"Error": {"Code": error.code, "Message": error.message},
                                      "RequestId": request_id}}
        return 200, {"Response": {**result, "RequestId": request_id}}

    def _handle(self, environment: str, method: str, path: str, headers: dict[str, str],
                body: bytes) -> dict[str, Any]:
        if method != "POST" or path != "/":
            raise ApiError("InvalidParameter", "only POST / is served here")
        match = _AUTH.match(headers.get("authorization", ""))
        with self._lock:
            self.seen.append((environment, match["service"] if match else "",
                              headers.get("x-tc-action", "")))
        if match is None:
            raise ApiError("AuthFailure.SignatureFailure", "missing or malformed Authorization")
        service, action = match["service"], headers.get("x-tc-action", "")
        try:
            timestamp = int(headers.get("x-tc-timestamp", ""))
        except ValueError:
            raise ApiError("MissingParameter", "X-TC-Timestamp is required") from None
        if abs(time.time() - timestamp) > 300:
            raise ApiError("AuthFailure.SignatureExpire", "request time is out of range")
        if datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d") != match["date"]:
            raise ApiError("AuthFailure.SignatureFailure", "credential date does not match")
        # Whatever its form (AKID…, IKID…, AK…), a SecretId is judged by whether this service
        # knows it: STS and CAM know Tencent Cloud account keys, each E-Sign host its own.
        key = self.keys.get(match["secret_id"])
        if service in {"sts", "cam"}:
            accepted = {"prod"}
        else:
            accepted = {"prod", "console"} if environment == "prod" else {"test"}
        if key is None or not accepted & key.environments:
            raise ApiError("AuthFailure.SecretIdNotFound", "the SecretId is not found")
        signed = match["signed"]
        if "content-type" not in signed.split(";") or "host" not in signed.split(";"):
            raise ApiError("AuthFailure.SignatureFailure", "content-type and host must be signed")
        canonical = canonical_request(method, path, "", headers, signed, body)
        expected = tc3_signature(key.secret_key, timestamp, service,
                                 string_to_sign(timestamp, service, canonical))
        if not hmac.compare_digest(expected, match["signature"]):
            raise ApiError("AuthFailure.SignatureFailure", "the signature does not match")
        if headers.get("x-tc-version") != VERSIONS.get(service):
            raise ApiError("NoSuchVersion", "unknown version for this service")
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            raise ApiError("InvalidParameter", "the body is not JSON") from None
        with self._lock:
            self.calls.append(Call(environment, service, action, params, key.secret_id))
            if self.throttle > 0:
                self.throttle -= 1
                raise ApiError("RequestLimitExceeded", "too many requests")
        handler = _ACTIONS.get((service, action))
        if handler is None:
            raise ApiError("InvalidAction", f"{service} has no action {action}")
        return handler(self, environment, key, params, headers)

    # -- the three actions -----------------------------------------------------------------
    def _get_caller_identity(self, environment: str, key: Key, params: dict[str, Any],
                             headers: dict[str, str]) -> dict[str, Any]:
        if not headers.get("x-tc-region"):
            raise ApiError("MissingParameter", "Region is required")
        return {"Arn": f"qcs::cam::uin/{key.account_id}:uin/{key.user_id}",
                "AccountId": key.account_id, "UserId": key.user_id,
                "PrincipalId": key.user_id, "Type": key.type}

    def _list_attached_user_all_policies(self, environment: str, key: Key,
                                         params: dict[str, Any],
                                         headers: dict[str, str]) -> dict[str, Any]:
        for name in ("TargetUin", "Rp", "Page", "AttachType"):
            if name not in params:
                raise ApiError("InvalidParameter.ParamError", f"{name} is required")
        rp, page, attach = params["Rp"], params["Page"], params["AttachType"]
        if not (isinstance(rp, int) and 1 <= rp <= 200 and isinstance(page, int)
                and 1 <= page <= 200 and attach in (0, 1, 2)):
            raise ApiError("InvalidParameter.ParamError", "Rp, Page or AttachType out of range")
        is_root = key.user_id == key.account_id
        if not is_root and key.user_id not in self.cam_readers:
            raise ApiError("UnauthorizedOperation", "you are not authorized to perform this operation")
        target = str(params["TargetUin"])
        users = {k.user_id for k in self.keys.values() if k.account_id == key.account_id}
        if target not in users:
            raise ApiError("ResourceNotFound.UserNotExist", "the user does not exist")
        policies: list[dict[str, Any]] = []
        if attach in (0, 1):
            policies += [_policy(name, []) for name in self.direct_policies.get(target, [])]
        if attach in (0, 2):
            for group in self.groups.get(target, []):
                policies += [_policy(name, [{"GroupId": group.group_id, "GroupName": group.name}])
                             for name in group.policies]
        start = (page - 1) * rp
        return {"TotalNum": len(policies), "PolicyList": policies[start:start + rp]}

    def _channel_describe_bill_usage_detail(self, environment: str, key: Key,
                                            params: dict[str, Any],
                                            headers: dict[str, str]) -> dict[str, Any]:
        app_id = (params.get("Agent") or {}).get("AppId")
        if not app_id:
            raise ApiError("MissingParameter", "Agent.AppId is required")
        try:
            start = datetime.strptime(params["StartTime"], "%Y%m%d").date()
            end = datetime.strptime(params["EndTime"], "%Y%m%d").date()
        except (KeyError, TypeError, ValueError):
            raise ApiError("InvalidParameter", "StartTime and EndTime are yyyyMMdd") from None
        if not date(2000, 1, 1) <= start <= end or (end - start).days > 31:
            raise ApiError("InvalidParameter", "the time span is at most 31 days")
        self._check_app(environment, key, app_id)
        return {"Total": 0, "Details": []}

    def _check_app(self, environment: str, key: Key, app_id: str) -> None:
        """What essbasic checks for every action: the key's E-Sign permission, then the app."""
        cam_key = "prod" in key.environments
        if environment == "prod" and cam_key and not self.holds_policy(key.user_id):
            raise ApiError("AuthFailure.UnauthorizedOperation", "no permission for essbasic")
        state = self.apps[environment].get(app_id)
        if state is None:
            raise ApiError(self.app_not_found_code, "the application does not exist")
        if state == "banned":
            raise ApiError("OperationDenied.BannedApplication", "the application is banned")
        if state != "ok":
            raise ApiError(state, f"the application answers {state}")

    def _create_console_login_url(self, environment: str, key: Key, params: dict[str, Any],
                                  headers: dict[str, str]) -> dict[str, Any]:
        """A login link for a sub-enterprise: the Agent in full and the enterprise's name, as
        the SDK documents them required; the same OpenId gets the same enterprise."""
        agent = params.get("Agent") or {}
        app_id = agent.get("AppId")
        if not app_id:
            raise ApiError("MissingParameter", "Agent.AppId is required")
        org = agent.get("ProxyOrganizationOpenId")
        if not isinstance(org, str) or not 0 < len(org) <= 64:
            raise ApiError("InvalidParameter.ProxyOrganizationOpenId",
                           "Agent.ProxyOrganizationOpenId is required, at most 64 characters")
        if not (agent.get("ProxyOperator") or {}).get("OpenId"):
            raise ApiError("MissingParameter.ProxyOperatorOpenId",
                           "Agent.ProxyOperator.OpenId is required")
        if not params.get("ProxyOrganizationName"):
            raise ApiError("MissingParameter", "ProxyOrganizationName is required")
        self._check_app(environment, key, app_id)
        token = hashlib.sha256(f"{environment}/{app_id}/{org}".encode()).hexdigest()[:24]
        host = "quick.test.qian.qq.com" if environment == "test" else "quick.qian.qq.com"
        return {"ConsoleUrl": f"https://{host}/login/{token}", "IsActivated": False,
                "ProxyOperatorIsVerified": False}

    # -- serving -----------------------------------------------------------------------------
    @contextmanager
    def serving(self) -> Iterator[FakeTencentCloud]:
        """Listen on two loopback ports (production and test hosts) until the block ends."""
        servers = [_server(self, "prod"), _server(self, "test")]
        threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05},
                                    daemon=True) for s in servers]
        for thread in threads:
            thread.start()
        self.endpoint = f"http://127.0.0.1:{servers[0].server_address[1]}"
        self.test_endpoint = f"http://127.0.0.1:{servers[1].server_address[1]}"
        try:
            yield self
        finally:
            for server in servers:
                server.shutdown()
                server.server_close()


class ApiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


def _policy(name: str, groups: list[dict[str, Any]]) -> dict[str, Any]:
    preset = name.startswith("Qcloud")
    return {"PolicyId": str(abs(hash(name)) % 10**9), "PolicyName": name,
            "AddTime": "2026-03-01 10:00:00", "CreateMode": "2" if preset else "1",
            "Deactived": 0, "Description": name, "StrategyType": "2" if preset else "1",
            "Groups": groups}


_ACTIONS = {
    ("sts", "GetCallerIdentity"): FakeTencentCloud._get_caller_identity,
    ("cam", "ListAttachedUserAllPolicies"): FakeTencentCloud._list_attached_user_all_policies,
    ("essbasic", "ChannelDescribeBillUsageDetail"):
        FakeTencentCloud._channel_describe_bill_usage_detail,
    ("essbasic", "CreateConsoleLoginUrl"): FakeTencentCloud._create_console_login_url,
}


def _server(fake: FakeTencentCloud, environment: str) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out as two writes; without this a kept-alive client waits out
        # the peer's delayed ACK (40 ms) before the body arrives (Nagle's algorithm).
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            headers = {name.lower(): value for name, value in self.headers.items()}
            status, payload = fake.handle(environment, "POST", self.path, headers, body)
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up waiting (the slow-server scenario)

        def log_message(self, format: str, *args: Any) -> None:
            return  # keep test output clean

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server


# -- the accounts most tests use --------------------------------------------------------------
UIN = "100016315204"
OTHER_UIN = "200000000001"
APP_PROD = "yDCWpUUckpvv76rqUxjIE8qvXHjCqG4t"
APP_TEST = "yDTestUUckpvv76rqUxjIE8qvXHjTEST"
APP_BANNED = "yDBannedckpvv76rqUxjIE8qvXHjCBAN"


def secret_id(tag: str) -> str:
    """A well-formed SecretId (AKID and 32 letters and digits) that names its role."""
    return ("AKID" + tag + "0123456789abcdefghijklmnopqrstuvwxyz")[:36]


def secret_key(tag: str) -> str:
    return (tag + "Zq7xW3vB9nM2kL5jH8gF4dS6aP1oI0uY")[:32]


def esign_secret_id(tag: str) -> str:
    """A SecretId as the E-Sign console's 获取密钥 issues it: ``AK`` and 32 letters and digits."""
    return ("AK" + tag + "yDtKGUUckpf9qwo2UE18DO1B0XMD2ThA")[:34]


def esign_secret_key(tag: str) -> str:
    """Its SecretKey: ``SK`` and 32 letters and digits."""
    return ("SK" + tag + "5sb7s2YpX8D3X74vSGtptyq8Ewq6UQDw")[:34]


def console_env(cloud: FakeTencentCloud, key: str | None = None) -> dict[str, str]:
    """The settings that point an ``esignbot`` process at this fake (both E-Sign hosts), and
    the SecretKey a piped ``check`` reads from the environment."""
    env = {"ESIGNBOT_TENCENTCLOUD_ENDPOINT": cloud.endpoint,
           "ESIGNBOT_TENCENTCLOUD_TEST_ENDPOINT": cloud.test_endpoint,
           "ESIGNBOT_TENCENTCLOUD_TIMEOUT": "5"}
    if key is not None:
        env["TENCENTCLOUD_SECRET_KEY"] = key
    return env


def standard_cloud() -> FakeTencentCloud:
    """One main account with its root key and sub-accounts in every state the check tells
    apart, a second main account, a key that only the E-Sign test environment knows, a
    production key made by the E-Sign console (unknown to STS), and apps in both environments."""
    cloud = FakeTencentCloud()
    cloud.add_key(Key(secret_id("Root"), secret_key("Root"), UIN, UIN))
    cloud.add_key(Key(secret_id("SubDirect"), secret_key("SubDirect"), UIN, "100026100001"))
    cloud.add_key(Key(secret_id("SubGroup"), secret_key("SubGroup"), UIN, "100026100002"))
    cloud.add_key(Key(secret_id("SubNone"), secret_key("SubNone"), UIN, "100026100003"))
    cloud.add_key(Key(secret_id("SubNoCam"), secret_key("SubNoCam"), UIN, "100026100004"))
    cloud.add_key(Key(secret_id("Other"), secret_key("Other"), OTHER_UIN, OTHER_UIN))
    cloud.add_key(Key(secret_id("Both"), secret_key("Both"), UIN, UIN,
                      environments=frozenset({"prod", "test"})))
    cloud.add_key(Key(secret_id("TestOnly"), secret_key("TestOnly"), "300000000009",
                      "300000000009", environments=frozenset({"test"})))
    cloud.add_key(Key(secret_id("Console"), secret_key("Console"), "esign-console",
                      "esign-console", environments=frozenset({"console"})))
    # Keys in the form the E-Sign console really issues them (AK…/SK…, 34 characters each).
    cloud.add_key(Key(esign_secret_id("Test"), esign_secret_key("Test"), "esign-test",
                      "esign-test", environments=frozenset({"test"})))
    cloud.add_key(Key(esign_secret_id("Prod"), esign_secret_key("Prod"), "esign-console",
                      "esign-console", environments=frozenset({"console"})))
    cloud.direct_policies["100026100001"] = ["QcloudCOSReadOnlyAccess", ESS_POLICY]
    cloud.groups["100026100002"] = [Group(7, "esign-devs", [ESS_POLICY, "QcloudCamReadOnlyAccess"])]
    cloud.direct_policies["100026100003"] = ["QcloudCOSReadOnlyAccess"]
    cloud.direct_policies["100026100004"] = [ESS_POLICY]
    cloud.cam_readers |= {"100026100001", "100026100002", "100026100003"}
    cloud.apps["prod"] = {APP_PROD: "ok", APP_BANNED: "banned"}
    cloud.apps["test"] = {APP_TEST: "ok"}
    return cloud
