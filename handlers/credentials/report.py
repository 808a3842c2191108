"""What a credential check asks and what it found, and how that reads in Chinese and English.

Why platform-neutral dataclasses: the check itself talks to Tencent Cloud (``bot/credentials/checker.py``),
but the console, Slack, WeCom, the CLI and the database all show or keep the same five results.
Each result is a status and a catalogue key with parameters, never a sentence, so it is stored
once and read in either language, and no sentence can smuggle a secret into a reply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, Literal

from pydantic import SecretStr

from handlers.catalogue import CONTACT, has, t
from handlers.credentials.secret_shapes import mask_secret_id

CheckName = Literal["key_valid", "account_matches", "identity", "ess_policy", "app_id"]
CheckStatus = Literal["pass", "fail", "unknown", "skipped"]
"""``skipped``: the check did not apply to this key (an E-Sign key, from the test environment or
from the E-Sign console, is not a Tencent Cloud account key, so STS and CAM cannot answer for
it); the result's sentence says why. It is neither a pass nor a could-not-tell."""
CheckOutcome = Literal["pass", "fail", "unknown"]
CHECK_NAMES: tuple[CheckName, ...] = ("key_valid", "account_matches", "identity", "ess_policy",
                                      "app_id")
ENVIRONMENTS = ("test", "prod")
ESS_POLICY = "QcloudESSBASICFullAccess"

KNOWN_CODES: tuple[str, ...] = (
    # every product
    "AuthFailure.SecretIdNotFound", "AuthFailure.SignatureFailure", "AuthFailure.SignatureExpire",
    "AuthFailure.InvalidSecretId", "AuthFailure.UnauthorizedOperation", "UnauthorizedOperation",
    "RequestLimitExceeded", "InternalError", "FailedOperation",
    # CAM
    "ResourceNotFound.UserNotExist", "InvalidParameter.ParamError",
    # essbasic
    "InvalidParameter.Application", "ResourceNotFound.Application",
    "ResourceNotFound.NotExistApplication", "OperationDenied.BannedApplication",
    "OperationDenied.NoApiAuth", "ResourceNotFound.ApplicationAuth",
    "OperationDenied.WhiteListForbid",
    # essbasic, read from the installed SDK's tencentcloud/essbasic/v20210526/errorcodes.py
    "ResourceNotFound.ApplicationId", "UnauthorizedOperation.NoPermissionFeature",
    "UnauthorizedOperation.UnauthorizedOperationOrganization", "FailedOperation.AuthFail",
    "AuthFailure",
    # raised by the SDK itself
    "ClientNetworkError", "ServerNetworkError", "ClientParamsError", "ClientError",
)
"""Every code the reference lists, and the essbasic codes about the key and the app ID that the
installed SDK lists; each has a plain sentence ``cred.code.<code>``."""


def code_detail(code: str) -> str:
    """The catalogue key explaining an error code (``cred.code.unknown`` for a new one)."""
    key = f"cred.code.{code}"
    return key if has(key) else "cred.code.unknown"


@dataclass(frozen=True, slots=True)
class CredentialRequest:
    """One check to run. The SecretKey is a ``SecretStr``: printing, logging or a traceback
    shows ``**********``, never the key; only the signer calls ``get_secret_value()``."""

    secret_id: str
    secret_key: SecretStr = field(repr=False)
    environment: str
    uin: str | None = None
    app_id: str | None = None
    key_owner: str | None = None
    """What the case says the key is: ``main`` or ``sub`` (a Tencent Cloud CAM key, to point
    out a mix-up), or ``console`` (a key from the E-Sign console's 应用集成 › 获取密钥, which
    STS may not know at all)."""
    day: date = field(default_factory=date.today)
    """The day (Beijing time) the read-only billing query asks about."""

    @property
    def secret_id_masked(self) -> str:
        return mask_secret_id(self.secret_id)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a key belongs to, from STS ``GetCallerIdentity``."""

    account_id: str
    user_id: str
    principal_id: str
    type: str

    @property
    def kind(self) -> Literal["main", "sub", "role"]:
        """A root key is the one whose UserId is its AccountId (STS's ``Type`` for a root
        account is not documented, so it is not relied on)."""
        if self.type == "CAMRole":
            return "role"
        return "main" if self.user_id == self.account_id else "sub"

    @property
    def uin(self) -> str:
        """The UIN that owns the key (the sub-account's for a sub-account)."""
        return self.user_id if self.user_id.isdigit() else self.principal_id

    def as_dict(self) -> dict[str, str]:
        return {"account_id": self.account_id, "user_id": self.user_id,
                "principal_id": self.principal_id, "type": self.type, "kind": self.kind}


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One line of the report: ``detail`` is a catalogue key, ``params`` fill it in."""

    name: CheckName
    status: CheckStatus
    detail: str
    params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class CredentialReport:
    """The five results of one check, in ``CHECK_NAMES`` order."""

    environment: str
    secret_id_masked: str
    checks: tuple[CheckResult, ...]
    identity: Identity | None = None

    @property
    def outcome(self) -> CheckOutcome:
        """``pass`` means E-Sign accepted the key with this app ID in this environment: the key
        and the app ID passed and nothing failed. A line that could not be told beside them
        (CAM not readable, no UIN recorded) is named in the verdict, not a reason the case
        cannot finish; a report of skipped lines proves nothing, so it is never a pass."""
        statuses = {c.status for c in self.checks}
        if "fail" in statuses:
            return "fail"
        proven = {c.name for c in self.checks if c.status == "pass"}
        return "pass" if {"key_valid", "app_id"} <= proven else "unknown"

    @property
    def unproven(self) -> tuple[CheckResult, ...]:
        """The checks that neither passed nor failed (could not tell, or did not apply)."""
        return tuple(c for c in self.checks if c.status in {"unknown", "skipped"})

    def result(self, name: CheckName) -> CheckResult | None:
        return next((c for c in self.checks if c.name == name), None)


# -- reading it ------------------------------------------------------------------------------
_ICONS: Mapping[str, str] = MappingProxyType({"pass": "✅", "fail": "❌", "unknown": "❔",
                                              "skipped": "➖"})

_FIX_BY_DETAIL: Mapping[str, str] = MappingProxyType({
    **{f"cred.shape.secret_id.{p}": "cred.fix.api_keys"
       for p in ("empty", "space", "characters", "length")},
    **{f"cred.shape.secret_key.{p}": "cred.fix.copy_key"
       for p in ("empty", "space", "characters", "length", "is_id")},
    "cred.code.AuthFailure.SecretIdNotFound": "cred.fix.api_keys",
    "cred.code.AuthFailure.InvalidSecretId": "cred.fix.api_keys",
    "cred.code.AuthFailure.SignatureFailure": "cred.fix.copy_key",
    "cred.account.mismatch": "cred.fix.account",
    "cred.identity.role": "cred.fix.api_keys",
    "cred.policy.missing": "cred.fix.policy",
    "cred.policy.ess_denied": "cred.fix.policy",
    "cred.app.key_wrong_env": "cred.fix.key_wrong_env",
    "cred.code.InvalidParameter.Application": "cred.fix.app_id",
    "cred.code.ResourceNotFound.Application": "cred.fix.app_id",
    "cred.code.ResourceNotFound.NotExistApplication": "cred.fix.app_id",
    "cred.code.OperationDenied.BannedApplication": "cred.fix.contact",
    "cred.code.OperationDenied.NoApiAuth": "cred.fix.contact",
    "cred.code.ResourceNotFound.ApplicationAuth": "cred.fix.contact",
    "cred.code.ResourceNotFound.ApplicationId": "cred.fix.app_id",
    "cred.code.UnauthorizedOperation.NoPermissionFeature": "cred.fix.account_manager",
    "cred.code.UnauthorizedOperation.UnauthorizedOperationOrganization":
        "cred.fix.account_manager",
    "cred.code.FailedOperation.AuthFail": "cred.fix.esign_key",
    "cred.code.AuthFailure": "cred.fix.esign_key",
    "cred.key.test_unknown": "cred.fix.test_key",
    "cred.key.unknown_everywhere": "cred.fix.console_key",
})
"""For a failed check, the console path (or the person to write to) that fixes it."""


def environment_label(environment: str, lang: str) -> str:
    key = f"opt.environment.{environment}"
    return t(key, lang) if has(key) else environment


def detail_text(check: CheckResult, lang: str) -> str:
    """The sentence for one result, with the RequestId of a Tencent Cloud refusal, and for a
    failure the way to fix it."""
    params: dict[str, Any] = {"policy": ESS_POLICY, "contact": CONTACT, **check.params}
    if "environment" in check.params:
        params["environment"] = environment_label(check.params["environment"], lang)
    if "other" in check.params:
        params["other"] = environment_label(check.params["other"], lang)
    text = t(check.detail, lang, **params)
    if check.status != "pass" and check.params.get("request_id"):
        text += t("cred.request_id", lang, request_id=check.params["request_id"])
    if check.status == "fail":
        fix = _FIX_BY_DETAIL.get(check.detail, f"cred.fix.{check.name}")
        if has(fix):
            text += "\n    " + t("cred.fix_prefix", lang) + t(fix, lang, **params)
    return text


def render_report(report: CredentialReport, lang: str, *, who: str | None = None) -> str:
    """The report as one message: a title, one line per check, and the verdict."""
    environment = environment_label(report.environment, lang)
    lines = [t("cred.report.title", lang, secret_id=report.secret_id_masked,
               environment=environment)]
    if who:
        lines[0] += t("cred.report.by", lang, who=who)
    lines += [t("cred.report.line", lang, icon=_ICONS[check.status],
                check=t(f"cred.check.{check.name}", lang), detail=detail_text(check, lang))
              for check in report.checks]
    lines.append(verdict_text(report, lang))
    return "\n".join(lines)


def verdict_text(report: CredentialReport, lang: str) -> str:
    """The last line. Why more than three sentences: "nothing failed" over a report where
    nothing could be checked would read as a pass, and a pass with lines that did not apply
    must say which, so nobody takes a skipped line for a proven one."""
    outcome = report.outcome
    names = t("cred.report.list_sep", lang).join(
        t(f"cred.check.{c.name}", lang) for c in report.unproven)
    if outcome == "pass" and names:
        return t("cred.report.outcome.pass_skipped", lang, checks=names)
    if outcome == "unknown" and not any(c.status == "pass" for c in report.checks):
        return t("cred.report.outcome.nothing", lang, checks=names)
    return t(f"cred.report.outcome.{outcome}", lang)


def report_as_json(report: CredentialReport, lang: str) -> dict[str, Any]:
    """``{"outcome", "verdict", "checks": [{"name", "status", "detail"}], "identity": {...}}``
    for the CLI (``status`` is ``pass``, ``fail``, ``unknown`` or ``skipped``)."""
    return {
        "outcome": report.outcome,
        "verdict": verdict_text(report, lang),
        "checks": [{"name": c.name, "status": c.status, "detail": detail_text(c, lang)}
                   for c in report.checks],
        "identity": report.identity.as_dict() if report.identity else {},
    }
