"""The credential check against Tencent Cloud: STS, CAM and essbasic through the official SDK.

Which calls depend on where the key comes from. A test-environment key (E-Sign console,
应用集成 › 测试联调 › 获取密钥) is E-Sign's own and works only at the test host, so only that host
is asked, with the app ID (one call proves both); STS and CAM cannot answer for it, so the account,
identity and policy lines are *skipped* with the reason. A production key of the CAM route (main
account or sub-account) goes through STS, CAM and production essbasic. Every production key is
tried at STS first; one STS does not know (a key from the E-Sign console, whatever the case says
the key is) is judged by production essbasic, and the STS/CAM lines are skipped. The key's form
(``AKID…``, ``AK…``) never decides: the calls do.

Why these three calls: STS ``GetCallerIdentity`` is the one call any valid key may make, and it
says whose key it is; CAM ``ListAttachedUserAllPolicies`` (AttachType 0: direct and through
groups) says whether a sub-account holds ``QcloudESSBASICFullAccess``; and essbasic
``ChannelDescribeBillUsageDetail`` for one day is the cheapest read-only call that proves the app
ID answers in the case's environment. Every call has a timeout and throttling is retried a few
times with growing pauses, so a check always ends, and whatever Tencent Cloud answers (or fails
to) becomes a pass, a fail or a could-not-tell in the report, never an exception.

The SecretKey lives only in the ``SecretStr`` of the request and in the SDK's signer for the
duration of a call; it is never logged, stored or put in a message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bot.settings import Settings
from handlers import Dialogue, Reply
from handlers.catalogue import normalise_lang, t
from handlers.credentials.commands import build_request, record_and_render
from handlers.credentials.report import (
    CHECK_NAMES,
    ENVIRONMENTS,
    ESS_POLICY,
    CheckName,
    CheckResult,
    CheckStatus,
    CredentialReport,
    CredentialRequest,
    Identity,
    code_detail,
)
from handlers.credentials.secret_shapes import secret_id_problem, secret_key_problem
from storage.conversation_langs import remembered_lang

if TYPE_CHECKING:  # the SDK itself is imported when a check runs (below): ~0.3 s that every
    # `serve`, worker and terminal start would otherwise pay for a check it may never make
    from tencentcloud.common.credential import Credential
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
    from tencentcloud.common.profile.client_profile import ClientProfile

log = logging.getLogger("esignbot.credentials")

PROD_HOSTS = {"sts": "sts.tencentcloudapi.com", "cam": "cam.tencentcloudapi.com",
              "essbasic": "essbasic.tencentcloudapi.com"}
TEST_ESSBASIC_HOST = "essbasic.test.ess.tencent.cn"
STS_REGION = "ap-guangzhou"
"""STS needs a region (any will do); CAM and essbasic take none."""
CAM_PAGE_SIZE = 200
CAM_MAX_PAGES = 200

_KEY_REJECTED = frozenset({"AuthFailure.SecretIdNotFound", "AuthFailure.SignatureFailure",
                           "AuthFailure.InvalidSecretId"})
_KEY_UNKNOWN = frozenset({"AuthFailure.SecretIdNotFound", "AuthFailure.InvalidSecretId"})
"""STS does not know the SecretId at all (a signature failure means it does: wrong SecretKey)."""
_ESS_AUTH_FAILED = frozenset({"FailedOperation.AuthFail", "AuthFailure"})
"""essbasic's own "authentication failed" (the key does not go with the app, or is wrong)."""
_APP_NOT_FOUND = frozenset({"InvalidParameter.Application", "ResourceNotFound.Application",
                            "ResourceNotFound.NotExistApplication",
                            "ResourceNotFound.ApplicationId"})
_APP_REFUSED = frozenset({"OperationDenied.BannedApplication", "OperationDenied.NoApiAuth",
                          "ResourceNotFound.ApplicationAuth",
                          "UnauthorizedOperation.NoPermissionFeature",
                          "UnauthorizedOperation.UnauthorizedOperationOrganization"})
_STS_CAM_ONLY: tuple[CheckName, ...] = ("account_matches", "identity", "ess_policy")
"""The checks only Tencent Cloud's STS and CAM can answer."""
_DENIED = frozenset({"UnauthorizedOperation", "AuthFailure.UnauthorizedOperation"})


# -- where the services are ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Endpoint:
    """A host (with its port, if any) and the scheme to reach it."""

    host: str
    scheme: str = "https"

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        """``http://127.0.0.1:9000`` → host ``127.0.0.1:9000`` over http."""
        parts = urlsplit(url.strip())
        if parts.scheme not in {"http", "https"} or not parts.hostname or parts.path.strip("/"):
            raise ValueError(f"not an http(s) endpoint without a path: {url!r}")
        return cls(parts.netloc, parts.scheme)


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where STS, CAM and the two E-Sign environments are reached."""

    sts: Endpoint = Endpoint(PROD_HOSTS["sts"])
    cam: Endpoint = Endpoint(PROD_HOSTS["cam"])
    essbasic_prod: Endpoint = Endpoint(PROD_HOSTS["essbasic"])
    essbasic_test: Endpoint = Endpoint(TEST_ESSBASIC_HOST)

    @classmethod
    def override(cls, url: str, test_url: str | None = None) -> Endpoints:
        """Every service at ``url`` (a local server in tests); E-Sign's test environment at
        ``test_url`` when given, so production and test can be told apart there too."""
        one = Endpoint.parse(url)
        return cls(one, one, one, Endpoint.parse(test_url) if test_url else one)

    def essbasic(self, environment: str) -> Endpoint:
        return self.essbasic_test if environment == "test" else self.essbasic_prod


# -- one call's answer -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Answer:
    """What one API call produced: the response model, or why not."""

    value: Any = None
    code: str | None = None
    request_id: str = ""
    host: str = ""
    network: str | None = None
    """``timeout``, ``unreachable`` or ``http`` when the call never got an API answer."""
    timeout: float = 0.0

    @property
    def ok(self) -> bool:
        return self.code is None

    @property
    def authenticated(self) -> bool:
        """Tencent Cloud knew the key and checked its signature (whatever it said next)."""
        return self.network is None and self.code not in _ESS_AUTH_FAILED and (
            self.ok or not (self.code or "").startswith(("AuthFailure.SecretId",
                                                          "AuthFailure.Signature",
                                                          "AuthFailure.InvalidSecretId",
                                                          "Client", "Server")))


Results = dict[CheckName, CheckResult]


def _result(name: CheckName, status: CheckStatus, detail: str, **params: Any) -> CheckResult:
    return CheckResult(name, status, detail, {k: str(v) for k, v in params.items()})


# -- the checker -------------------------------------------------------------------------------
@dataclass
class TencentCloudCredentialChecker:
    """The ``CredentialChecker`` service over the real Tencent Cloud SDK."""

    endpoints: Endpoints = field(default_factory=Endpoints)
    timeout: float = 10.0
    """Seconds each HTTP request may take (the SDK's ``reqTimeout``)."""
    attempts: int = 3
    """Tries per call when Tencent Cloud answers ``RequestLimitExceeded``."""
    backoff: float = 0.5
    """Pause before the second try; doubled before each further one."""
    sleep: Callable[[float], None] = time.sleep

    def check(self, request: CredentialRequest) -> CredentialReport:
        results, identity = self._run(request)
        return CredentialReport(request.environment, request.secret_id_masked,
                                tuple(results[name] for name in CHECK_NAMES), identity)

    # -- the five checks ---------------------------------------------------------------------
    def _run(self, request: CredentialRequest) -> tuple[Results, Identity | None]:
        # Only what cannot be a key at all stops here; any well-formed value is sent, and
        # Tencent Cloud's answer decides (docs/credentials.md, "Key formats").
        secret_key = request.secret_key.get_secret_value()
        for problem, length in ((secret_id_problem(request.secret_id), len(request.secret_id)),
                                (secret_key_problem(secret_key), len(secret_key))):
            if problem is not None:
                return _all_depend(_result("key_valid", "fail", problem, length=length),
                                   "cred.depends.key"), None
        if request.environment == "test":
            # Test keys are E-Sign's own: only the test host knows them, STS never sees them.
            return self._esign_key(request, "test"), None
        sts = self._call_sts(request)
        if sts.ok:
            identity = _identity(sts.value)
            return self._with_identity(request, identity), identity
        if sts.code in _KEY_UNKNOWN:
            # Not a Tencent Cloud account key: whatever the case says the key is, a key made
            # by the E-Sign console is known only to E-Sign, so production essbasic decides.
            return self._esign_key(request, "console"), None
        key = _failure("key_valid", sts, fail=sts.code in _KEY_REJECTED)
        return _all_depend(key, "cred.depends.key" if key.status == "fail"
                           else "cred.depends.key_unknown"), None

    def _esign_key(self, request: CredentialRequest, route: str) -> Results:
        """A key only E-Sign can judge (``route``: ``test``, or ``console`` for production):
        one essbasic call with the app ID decides the key and the app ID together; the checks
        only STS and CAM answer are skipped, each saying why."""
        skipped = {name: _result(name, "skipped", f"cred.skip.{route}.{name}")
                   for name in _STS_CAM_ONLY}
        if not request.app_id:
            return {"key_valid": _result("key_valid", "unknown", f"cred.key.needs_app_id_{route}"),
                    **skipped, "app_id": _result("app_id", "unknown", "cred.app.no_app_id")}
        environment = "test" if route == "test" else "prod"
        ess = self._call_ess(request, environment)
        if ess.authenticated:
            # E-Sign's own refusal of the key settles the policy line even here.
            skipped["ess_policy"] = _ess_policy_from_ess(ess) or skipped["ess_policy"]
            return {"key_valid": _result("key_valid", "pass", f"cred.key.pass_{route}"),
                    **skipped, "app_id": self._app_result(request, ess)}
        if ess.network is not None:
            key = _failure("key_valid", ess, fail=False)
            return _all_depend(key, "cred.depends.key_unknown")
        if ess.code in _KEY_UNKNOWN:
            detail = "cred.key.test_unknown" if route == "test" else "cred.key.unknown_everywhere"
            key = _result("key_valid", "fail", detail, code=ess.code, request_id=ess.request_id)
        else:
            key = _failure("key_valid", ess, fail=ess.code in _KEY_REJECTED | _ESS_AUTH_FAILED)
        return _all_depend(key, "cred.depends.key" if key.status == "fail"
                           else "cred.depends.key_unknown")

    def _with_identity(self, request: CredentialRequest, identity: Identity) -> Results:
        results: Results = {
            "key_valid": _result("key_valid", "pass", "cred.key.pass"),
            "account_matches": _account(request, identity),
            "identity": _identity_result(request, identity),
        }
        ess = self._call_ess(request, request.environment) if request.app_id else None
        results["app_id"] = (self._app_result(request, ess) if ess is not None
                             else _result("app_id", "unknown", "cred.app.no_app_id"))
        if identity.kind == "main":
            results["ess_policy"] = _result("ess_policy", "pass", "cred.policy.main")
        elif identity.kind == "role":
            results["ess_policy"] = _result("ess_policy", "unknown", "cred.policy.role")
        else:
            denied = _ess_policy_from_ess(ess) if ess is not None else None
            results["ess_policy"] = denied or self._policy_from_cam(
                request, identity, ess_ok=ess is not None and ess.ok)
        return results

    def _policy_from_cam(self, request: CredentialRequest, identity: Identity,
                         *, ess_ok: bool) -> CheckResult:
        if not identity.uin.isdigit():
            return _result("ess_policy", "unknown", "cred.code.ClientParamsError")
        found_direct, groups = False, []
        page, seen = 1, 0
        while page <= CAM_MAX_PAGES:
            answer = self._call_cam(request, identity.uin, page)
            if not answer.ok:
                if answer.code in _DENIED and ess_ok:
                    # The guide's sub-account holds QcloudESSBASICFullAccess alone, which does
                    # not let it read CAM; E-Sign accepting its call with the app ID is the
                    # proof the policy was for, so the lookup was not needed.
                    return _result("ess_policy", "skipped", "cred.policy.cam_refused_ess_ok",
                                   code=answer.code, request_id=answer.request_id)
                if answer.code in _DENIED:
                    return _result("ess_policy", "unknown", "cred.policy.cam_refused",
                                   code=answer.code, request_id=answer.request_id)
                return _failure("ess_policy", answer, fail=False)
            policies = answer.value.PolicyList or []
            for policy in policies:
                if policy.PolicyName != ESS_POLICY:
                    continue
                if policy.Groups:
                    groups += [g.GroupName or str(g.GroupId) for g in policy.Groups]
                else:
                    found_direct = True
            seen += len(policies)
            if not policies or seen >= (answer.value.TotalNum or 0):
                break
            page += 1
        if found_direct:
            return _result("ess_policy", "pass", "cred.policy.direct", uin=identity.uin)
        if groups:
            return _result("ess_policy", "pass", "cred.policy.group", uin=identity.uin,
                           group="、".join(dict.fromkeys(groups)))
        return _result("ess_policy", "fail", "cred.policy.missing", uin=identity.uin)

    def _app_result(self, request: CredentialRequest, ess: _Answer) -> CheckResult:
        """The app ID's line from essbasic's answer in the case's environment. An app ID not
        found there is not looked for in the other environment: the same key cannot work
        there (keys belong to one environment), so that call could never answer; the sentence
        says how environments are kept apart instead."""
        environment = request.environment
        if ess.ok:
            return _result("app_id", "pass", "cred.app.pass", app_id=request.app_id,
                           environment=environment)
        if ess.code in _APP_NOT_FOUND:
            return _result("app_id", "fail", "cred.app.not_found", app_id=request.app_id,
                           environment=environment, code=ess.code, request_id=ess.request_id)
        if ess.code in _APP_REFUSED:
            return _result("app_id", "fail", code_detail(ess.code or ""),
                           request_id=ess.request_id)
        if ess.code == "OperationDenied.WhiteListForbid":
            return _result("app_id", "unknown", "cred.app.whitelist", code=ess.code,
                           request_id=ess.request_id)
        if ess.code in _DENIED:
            return _result("app_id", "unknown", "cred.app.key_denied")
        if ess.code in _KEY_REJECTED:
            return _result("app_id", "fail", "cred.app.key_wrong_env", environment=environment,
                           request_id=ess.request_id)
        if ess.code in _ESS_AUTH_FAILED:
            return _result("app_id", "fail", code_detail(ess.code or ""), code=ess.code,
                           request_id=ess.request_id)
        return _failure("app_id", ess, fail=False)

    # -- the calls -------------------------------------------------------------------------
    def _profile(self, endpoint: Endpoint) -> ClientProfile:
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile

        http = HttpProfile(endpoint=endpoint.host, protocol=endpoint.scheme,
                           reqTimeout=self.timeout)
        return ClientProfile(httpProfile=http)

    def _credential(self, request: CredentialRequest) -> Credential:
        from tencentcloud.common.credential import Credential

        return Credential(request.secret_id, request.secret_key.get_secret_value())

    def _call_sts(self, request: CredentialRequest) -> _Answer:
        from tencentcloud.sts.v20180813 import models as sts_models
        from tencentcloud.sts.v20180813 import sts_client

        endpoint = self.endpoints.sts
        client = sts_client.StsClient(self._credential(request), STS_REGION,
                                      self._profile(endpoint))
        return self._call(endpoint, "GetCallerIdentity",
                          lambda: client.GetCallerIdentity(sts_models.GetCallerIdentityRequest()))

    def _call_cam(self, request: CredentialRequest, uin: str, page: int) -> _Answer:
        from tencentcloud.cam.v20190116 import cam_client
        from tencentcloud.cam.v20190116 import models as cam_models

        endpoint = self.endpoints.cam
        client = cam_client.CamClient(self._credential(request), "", self._profile(endpoint))
        query = cam_models.ListAttachedUserAllPoliciesRequest()
        query.TargetUin = int(uin)
        query.Rp = CAM_PAGE_SIZE
        query.Page = page
        query.AttachType = 0
        return self._call(endpoint, "ListAttachedUserAllPolicies",
                          lambda: client.ListAttachedUserAllPolicies(query))

    def _call_ess(self, request: CredentialRequest, environment: str) -> _Answer:
        from tencentcloud.essbasic.v20210526 import essbasic_client
        from tencentcloud.essbasic.v20210526 import models as ess_models

        endpoint = self.endpoints.essbasic(environment)
        client = essbasic_client.EssbasicClient(self._credential(request), "",
                                                self._profile(endpoint))
        query = ess_models.ChannelDescribeBillUsageDetailRequest()
        agent = ess_models.Agent()
        agent.AppId = request.app_id
        query.Agent = agent
        query.StartTime = query.EndTime = request.day.strftime("%Y%m%d")
        return self._call(endpoint, "ChannelDescribeBillUsageDetail",
                          lambda: client.ChannelDescribeBillUsageDetail(query))

    def _call(self, endpoint: Endpoint, action: str, send: Callable[[], Any]) -> _Answer:
        """One call with bounded retries on throttling; every failure becomes an answer."""
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )

        for attempt in range(1, max(1, self.attempts) + 1):
            try:
                return _Answer(value=send(), host=endpoint.host)
            except TencentCloudSDKException as error:
                code = str(error.get_code() or "ClientError")
                request_id = str(error.get_request_id() or "")
                if code.startswith("RequestLimitExceeded") and attempt < self.attempts:
                    pause = self.backoff * 2 ** (attempt - 1)
                    log.info("%s at %s throttled (RequestId %s); retrying in %.1fs",
                             action, endpoint.host, request_id, pause)
                    self.sleep(pause)
                    continue
                network = _network_kind(error)
                log.info("%s at %s answered %s (RequestId %s)", action, endpoint.host,
                         network or code, request_id or "-")
                return _Answer(code=code, request_id=request_id, host=endpoint.host,
                               network=network, timeout=self.timeout)
        raise AssertionError("unreachable: the loop always returns")


def _network_kind(error: TencentCloudSDKException) -> str | None:
    code = error.get_code()
    if code == "ServerNetworkError":
        return "http"
    if code != "ClientNetworkError":
        return None
    # The SDK wraps the HTTP library's exception; its class (requests' Timeout family) or its
    # words tell a server too slow to answer from one that cannot be reached at all.
    cause = error.__context__
    if any(c.__name__ == "Timeout" for c in type(cause).__mro__) or "timed out" in str(
            error.message):
        return "timeout"
    return "unreachable"


def _identity(response: Any) -> Identity:
    return Identity(account_id=str(response.AccountId or ""), user_id=str(response.UserId or ""),
                    principal_id=str(response.PrincipalId or ""), type=str(response.Type or ""))


def _failure(name: CheckName, answer: _Answer, *, fail: bool) -> CheckResult:
    """A result for a call that did not succeed: the network reason, or the code's sentence."""
    status: CheckStatus = "fail" if fail else "unknown"
    if answer.network == "timeout":
        return _result(name, "unknown", "cred.net.timeout", host=answer.host,
                       seconds=f"{answer.timeout:g}")
    if answer.network == "unreachable":
        return _result(name, "unknown", "cred.net.unreachable", host=answer.host)
    if answer.network == "http":
        return _result(name, "unknown", "cred.net.http", host=answer.host)
    return _result(name, status, code_detail(answer.code or ""), code=answer.code,
                   request_id=answer.request_id)


def _all_depend(key: CheckResult, detail: str) -> Results:
    """The key did not pass: every other check depends on it."""
    return {name: key if name == "key_valid" else _result(name, "unknown", detail)
            for name in CHECK_NAMES}


def _account(request: CredentialRequest, identity: Identity) -> CheckResult:
    if not request.uin:
        return _result("account_matches", "unknown", "cred.account.no_uin",
                       account=identity.account_id)
    if identity.account_id == request.uin:
        return _result("account_matches", "pass", "cred.account.pass", uin=request.uin)
    return _result("account_matches", "fail", "cred.account.mismatch",
                   account=identity.account_id, uin=request.uin)


def _identity_result(request: CredentialRequest, identity: Identity) -> CheckResult:
    if identity.kind == "role":
        return _result("identity", "fail", "cred.identity.role", uin=identity.user_id)
    if identity.kind == "main":
        detail = "cred.identity.main_not_sub" if request.key_owner == "sub" else "cred.identity.main"
        return _result("identity", "pass", detail, uin=identity.account_id)
    detail = "cred.identity.sub_not_main" if request.key_owner == "main" else "cred.identity.sub"
    return _result("identity", "pass", detail, uin=identity.uin, account=identity.account_id)


def _ess_policy_from_ess(ess: _Answer) -> CheckResult | None:
    """E-Sign's own refusal settles the policy question, whatever CAM would say."""
    if ess.code in _DENIED:
        return _result("ess_policy", "fail", "cred.policy.ess_denied", code=ess.code,
                       request_id=ess.request_id)
    return None


# -- wiring and the adapters' entry point ---------------------------------------------------
def build_checker(settings: Settings) -> TencentCloudCredentialChecker:
    """The checker for these settings: Tencent Cloud's hosts, or every service at
    ``ESIGNBOT_TENCENTCLOUD_ENDPOINT`` (a local server)."""
    endpoint = settings.esignbot_tencentcloud_endpoint
    endpoints = (Endpoints.override(endpoint, settings.esignbot_tencentcloud_test_endpoint)
                 if endpoint else Endpoints())
    return TencentCloudCredentialChecker(endpoints, timeout=settings.esignbot_tencentcloud_timeout)


def check_for_case(dialogue: Dialogue, *, conversation: str, user_id: str, user_name: str,
                   secret_id: str, secret_key: str,
                   environment: str | None = None) -> list[Reply]:
    """Check a key pair for the active case of ``conversation`` (its UIN, app ID and, unless
    ``environment`` is given, its environment), store the result with who ran it, and return
    the report for the case's conversation. Blocking: call it off any acknowledgement path.

    For adapters that collect the key privately (the Slack modal, a private WeCom chat, the
    terminal's hidden prompt). The replies hold no secret.
    """
    now = dialogue.clock()
    with dialogue.store.transaction() as tx:
        case = tx.active_case(conversation)
        answers = {k: a.value for k, a in tx.answers(case.id).items()} if case else {}
    lang = normalise_lang(case.lang if case else dialogue.default_lang)
    if case is None:
        return [Reply(kind="error", text=t("err.no_case", lang), private=True)]
    checker = dialogue.services.credential_checker
    if checker is None:
        return [Reply(kind="error", text=t("cred.not_configured", lang), private=True)]
    if environment is not None and environment not in ENVIRONMENTS:
        return [Reply(kind="error", text=t("cred.bad_environment", lang), private=True)]
    request = build_request(answers, secret_id=secret_id, secret_key=secret_key,
                            environment=environment, now=now)
    at = now.astimezone(UTC).isoformat(timespec="seconds")
    case_id = case.id

    def run() -> list[Reply]:
        return record_and_render(dialogue.store, checker, request, case_id=case_id,
                                 user_id=user_id, user_name=user_name or user_id, at=at,
                                 lang=lang, services=dialogue.services)

    return dialogue.run_or_apologise(run, lang)


def case_language(dialogue: Dialogue, conversation: str) -> str:
    """The language of the conversation's case, else the one the conversation chose with
    ``lang`` (kept without a case), for prompts an adapter prints itself."""
    with dialogue.store.transaction() as tx:
        case = tx.active_case(conversation)
        lang = case.lang if case else remembered_lang(tx, conversation)
    return normalise_lang(lang or dialogue.default_lang)
