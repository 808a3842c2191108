"""The onboarding flow as data: fields, their options, and the ordered table of steps.

Why a table: the four stages of ``ONBOARDING.md`` branch on a handful of answers (verified
account or not, online or offline real-name, organisation type, main or sub-account key). Each
step says *when* it applies as a condition on earlier answers, so the engine only ever asks
"which applicable step is the first one not done?". Adding a field or a branch is a new row,
not a new ``if`` in the engine. Every user-facing word lives in the catalogue under keys derived
from the names here (``q.<step>``, ``intro.<step>``, ``field.<key>``, ``opt.<field>.<value>``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from handlers import validators as v
from handlers.whitelist import whitelist_name

Validator = Callable[[str, Mapping[str, Any]], str]


class Kind(StrEnum):
    TEXT = "text"
    CHOICE = "choice"
    MULTI = "multi"
    IMAGE = "image"


@dataclass(frozen=True, slots=True)
class Option:
    """One choice. ``value`` is what is stored; ``aliases`` are extra words people type."""

    value: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Field:
    key: str
    kind: Kind
    validate: Validator | None = None
    options: tuple[Option, ...] = ()
    depends_on: tuple[str, ...] = ()
    personal: bool = False
    """Personal data (resident ID, phone): masked in replies to a shared conversation."""
    advise: Callable[[Any], tuple[v.Advice, ...]] | None = None
    """Lines said with a *kept* answer that may still be wrong (a region code newer than the
    table): the person is asked to double-check it, nothing is refused."""
    carries_over: bool = False
    """A fact about the organisation or its app that holds in either environment, so the case
    for the next environment (``start prod`` after the test case) begins with it. What belongs
    to one account or one review (UIN, verification, real-name and app-ID progress, the app ID,
    the licence upload) does not."""


@dataclass(frozen=True, slots=True)
class Step:
    """One question of the dialogue.

    ``fields`` normally holds one key; a step that accepts one of several identifiers (an
    individual business gives its USCC *or* its registration number) lists each, and the answer
    is stored under the first whose validator accepts it. A *gate* step (``done_when``) records
    where the team is in a wait at Tencent; the flow moves on only when the answer is in
    ``done_when``, and answers in ``waiting`` mark the stage as waiting.
    """

    name: str
    stage: int
    fields: tuple[str, ...]
    when: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))
    unless: Mapping[str, frozenset[str]] = field(default_factory=lambda: MappingProxyType({}))
    """The step does not apply when *every* condition here holds (``when`` says when it may;
    ``unless`` carves out a route, e.g. a test case set up in the console skips the guide's
    bank transfer and reviews)."""
    question: str = ""
    intro: str | None = None
    optional: bool = False
    done_when: frozenset[str] | None = None
    waiting: frozenset[str] = frozenset()
    notes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    provisional: frozenset[str] = frozenset()
    """Answers in ``done_when`` that let the flow go on but leave the step on the missing list
    (a key check put off until ``later``)."""
    shaped_by: frozenset[str] = frozenset()
    """Answers that change what this step asks for without changing whether it applies (the
    certificate photo and number follow the certificate type): when one of them changes, this
    step's answer is cleared and asked again (``Turn.store``)."""

    @property
    def question_key(self) -> str:
        return self.question or f"q.{self.name}"


def _options(*values: str | tuple[str, tuple[str, ...]]) -> tuple[Option, ...]:
    return tuple(Option(x) if isinstance(x, str) else Option(x[0], x[1]) for x in values)


APP_TYPES: tuple[str, ...] = ("PC Web", "APP(IOS)", "APP(Android)", "微信小程序", "H5", "其他")
WHITELIST_FEATURES: tuple[str, ...] = (
    "ChannelCreateFlowReminds",
    "ChannelCreateFlowGroupByFiles",
    "ChannelCreateUserAutoSignEnableUrl",
    "ChannelDescribeSignFaceVideo",
)
"""The whitelist-only features of the current API (essbasic 2021-05-26), as its SDK's
docstrings mark them (``ONBOARDING.md``, today's console route). Each is named by its lead
action; the label names the others that belong to the same feature."""
LEGACY_WHITELIST_INTERFACES: tuple[str, ...] = (
    "VerifyUser",
    "CreateUserAndSeal",
    "VerifySubOrganization",
    "CreateSubOrganizationAndSeal",
    "CreateServerFlowSign",
)
"""The guide's five, which exist only in the legacy API version 2020-12-22."""
WHITELIST_INTERFACES: tuple[str, ...] = (
    *WHITELIST_FEATURES, *LEGACY_WHITELIST_INTERFACES, "FaceVerification",
)

_FIELDS: tuple[Field, ...] = (
    Field("environment", Kind.CHOICE, options=_options(
        ("test", ("联调", "测试", "testing", "sandbox")),
        ("prod", ("正式", "生产", "production", "live")))),
    Field("app_id_route", Kind.CHOICE, options=_options(
        ("console", ("控制台", "应用集成", "自助", "self-service")),
        ("email", ("邮件", "excel", "guide", "指引")))),
    Field("test_enterprise", Kind.CHOICE, options=_options(
        ("not_yet", ("还没有", "未创建", "not yet", "no")),
        ("created", ("已创建", "已完成", "完成", "done", "yes")))),
    Field("has_verified_account", Kind.CHOICE, options=_options(
        ("yes", ("y", "是", "有", "已认证")), ("no", ("n", "否", "没有", "无")))),
    Field("transfer_status", Kind.CHOICE, options=_options(
        ("not_started", ("未开始", "not started")),
        ("waiting", ("等待", "已提交", "wait", "submitted")),
        ("verified", ("已验证", "已完成", "done", "完成")))),
    Field("uin", Kind.TEXT, v.uin),
    Field("enterprise_name", Kind.TEXT, v.organisation_name, carries_over=True),
    Field("realname_route", Kind.CHOICE, options=_options(
        ("online", ("线上",)), ("offline", ("线下",)))),
    Field("org_type", Kind.CHOICE, options=_options(
        ("enterprise", ("企业", "company")),
        ("individual", ("个体", "个体户", "个体工商户", "individual business")),
        ("government", ("政府", "事业单位", "政府/事业单位", "public institution")),
        ("other", ("其他", "其他组织", "other organisation", "other organization"))), carries_over=True),
    Field("uscc", Kind.TEXT, v.uscc_number, advise=v.uscc_advice, carries_over=True),
    Field("business_reg_no", Kind.TEXT, v.business_reg_no, carries_over=True),
    Field("cert_type", Kind.CHOICE, options=_options(
        ("uscc", ("统一社会信用代码", "credit code")),
        ("institution_cert", ("事业单位法人证书", "certificate"))), carries_over=True),
    Field("cert_number", Kind.TEXT, v.cert_number, depends_on=("cert_type",),
          advise=v.uscc_advice, carries_over=True),
    Field("org_code", Kind.TEXT, v.org_code, carries_over=True),
    Field("legal_rep", Kind.TEXT, v.person_name, carries_over=True),
    Field("operator_name", Kind.TEXT, v.person_name, carries_over=True),
    Field("operator_id_number", Kind.TEXT, v.resident_id, advise=v.resident_id_advice,
          personal=True, carries_over=True),
    Field("contact_name", Kind.TEXT, v.person_name, carries_over=True),
    Field("contact_phone", Kind.TEXT, v.phone, personal=True, carries_over=True),
    Field("org_email", Kind.TEXT, v.email, carries_over=True),
    Field("license_image", Kind.IMAGE),
    Field("realname_status", Kind.CHOICE, options=_options(
        ("not_submitted", ("未提交", "not submitted")),
        ("submitted", ("已提交", "审核中", "waiting", "等待")),
        ("approved", ("通过", "已通过", "pass", "passed")),
        ("rejected", ("驳回", "未通过", "拒绝", "failed")))),
    Field("app_name", Kind.TEXT, v.app_name, carries_over=True),
    Field("app_type", Kind.CHOICE, options=_options(
        ("PC Web", ("pc", "web", "网页", "pc网页")),
        ("APP(IOS)", ("ios", "iphone", "app ios")),
        ("APP(Android)", ("android", "安卓", "app android")),
        ("微信小程序", ("小程序", "wechat mini program", "mini program", "miniprogram")),
        ("H5", ("h5页面", "mobile web")),
        ("其他", ("other", "others", "其它"))), carries_over=True),
    Field("app_description", Kind.TEXT, v.app_description, carries_over=True),
    Field("whitelist_interfaces", Kind.MULTI, options=_options(
        ("ChannelCreateFlowReminds", ("合同催办", "催办", "remind", "reminders")),
        ("ChannelCreateFlowGroupByFiles", ("ChannelCreateFlowGroupByTemplates", "企业授权签",
                                           "授权签署", "authorised signing")),
        ("ChannelCreateUserAutoSignEnableUrl", ("ChannelDescribeUserAutoSignStatus",
                                                "ChannelDisableUserAutoSign", "个人自动签",
                                                "处方单", "auto sign", "auto-sign")),
        ("ChannelDescribeSignFaceVideo", ("签署视频", "认证视频", "face video")),
        *LEGACY_WHITELIST_INTERFACES,
        ("FaceVerification", ("人脸核身", "face", "人脸"))),
        validate=whitelist_name, carries_over=True),
    Field("app_status", Kind.CHOICE, options=_options(
        ("not_sent", ("未发送", "not sent")),
        ("sent", ("已发送", "审核中", "waiting", "等待", "submitted")),
        ("approved", ("通过", "已通过", "pass", "passed", "已收到")),
        ("rejected", ("驳回", "未通过", "拒绝", "failed")))),
    Field("app_id", Kind.TEXT, v.app_id),
    Field("key_owner", Kind.CHOICE, options=_options(
        ("main", ("主账号", "main account", "root")),
        ("sub", ("子账号", "sub-account", "subaccount", "sub account")),
        ("console", ("控制台", "应用集成", "获取密钥", "e-sign console")))),
    # Only ``later`` can be typed; ``passed`` is written by a credential check that passed for
    # this case's environment (handlers/credentials/completion.py), never by a person.
    Field("key_check", Kind.CHOICE, options=_options(
        ("later", ("稍后", "以后", "稍后检查", "check later", "not now")))),
)

FIELDS: Mapping[str, Field] = MappingProxyType({f.key: f for f in _FIELDS})


def _when(**conditions: str | tuple[str, ...]) -> Mapping[str, frozenset[str]]:
    return MappingProxyType(
        {k: frozenset((c,) if isinstance(c, str) else c) for k, c in conditions.items()}
    )


_OFFLINE = {"realname_route": "offline"}
_REALNAME_NOTES = MappingProxyType({
    "not_submitted": "note.realname_status.not_submitted",
    "submitted": "note.realname_status.submitted",
    "rejected": "note.realname_status.rejected",
})
_NOT_INDIVIDUAL = ("enterprise", "government", "other")
TEST_ON_CONSOLE = _when(environment="test", app_id_route="console")
"""A test case set up in the console's 测试联调: its test enterprise needs no bank transfer and
no real-name review, and its app ID is created at once."""
TEST_BY_EMAIL = _when(environment="test", app_id_route="email")
"""A test case on the guide's route: the guide sends it to "测试账号申请" (doc 1420/53857:
https://cloud.tencent.com/document/product/1420/53857, read in tencentyun/qcloud-documents,
product/企业应用/腾讯电子签集成版/接入指引/测试账号申请.md), which asks by email to
e-contract@tencent.com (or the business contact) for the app's name, description (应用简介) and
type, and sends the test account back by email. No bank transfer, no real-name review, no UIN
and no Excel: those are production's."""
TEST_ROUTES: Mapping[str, Mapping[str, frozenset[str]]] = MappingProxyType({
    "test_console": TEST_ON_CONSOLE, "test_email": TEST_BY_EMAIL})
"""The test case's two routes by name (stage titles and status read them)."""


def _guide(name: str, stage: int, fields: tuple[str, ...],
           when: Mapping[str, frozenset[str]] | None = None, **kwargs: Any) -> Step:
    """A step of the guide's stages 1 and 2 (the verified account and the real-name review):
    production's only, as neither test route has them (1323/83102 for the console's test
    enterprise, 1420/53857 for the test account by email)."""
    return Step(name, stage, fields, MappingProxyType({**(when or {}), **_when(environment="prod")}),
                **kwargs)


STEPS: tuple[Step, ...] = (
    # Stage 1: a Tencent Cloud enterprise account verified by bank transfer (对公打款), or for a
    # test case on today's console route, the test enterprise made in 应用集成 > 测试联调.
    Step("environment", 1, ("environment",), intro="intro.environment"),
    Step("test_route", 1, ("app_id_route",), _when(environment="test"),
         question="q.test_route", intro="intro.test_route",
         notes=MappingProxyType({"console": "note.test_route.console",
                                 "email": "note.test_route.email"})),
    Step("test_enterprise", 1, ("test_enterprise",), TEST_ON_CONSOLE,
         intro="intro.test_enterprise", done_when=frozenset({"created"}),
         notes=MappingProxyType({"not_yet": "note.test_enterprise.not_yet"})),
    _guide("has_verified_account", 1, ("has_verified_account",),
           intro="intro.has_verified_account"),
    _guide("transfer_status", 1, ("transfer_status",), _when(has_verified_account="no"),
           intro="intro.transfer_status", done_when=frozenset({"verified"}),
           waiting=frozenset({"waiting"}),
           notes=MappingProxyType({"not_started": "note.transfer_status.not_started",
                                   "waiting": "note.transfer_status.waiting"})),
    _guide("uin", 1, ("uin",), intro="intro.uin"),
    Step("enterprise_name", 1, ("enterprise_name",)),
    # Stage 2: supplementary real-name verification at E-Sign (补充实名认证).
    _guide("realname_route", 2, ("realname_route",), intro="intro.realname_route"),
    _guide("org_type", 2, ("org_type",), _when(**_OFFLINE), intro="intro.org_type"),
    _guide("uscc", 2, ("uscc",), _when(**_OFFLINE, org_type="enterprise")),
    _guide("uscc_or_reg", 2, ("uscc", "business_reg_no"), _when(**_OFFLINE, org_type="individual")),
    _guide("cert_type", 2, ("cert_type",), _when(**_OFFLINE, org_type="government")),
    _guide("cert_number", 2, ("cert_number",), _when(**_OFFLINE, org_type="government"),
           shaped_by=frozenset({"cert_type"})),
    _guide("org_code", 2, ("org_code",), _when(**_OFFLINE, org_type="other")),
    _guide("legal_rep", 2, ("legal_rep",), _when(**_OFFLINE, org_type=_NOT_INDIVIDUAL)),
    _guide("operator_name", 2, ("operator_name",), _when(**_OFFLINE, org_type="individual")),
    _guide("operator_id_number", 2, ("operator_id_number",),
           _when(**_OFFLINE, org_type="individual")),
    _guide("contact_name", 2, ("contact_name",), _when(**_OFFLINE, org_type=_NOT_INDIVIDUAL)),
    _guide("contact_phone", 2, ("contact_phone",), _when(**_OFFLINE, org_type=_NOT_INDIVIDUAL)),
    _guide("operator_phone", 2, ("contact_phone",), _when(**_OFFLINE, org_type="individual")),
    _guide("org_email", 2, ("org_email",), _when(**_OFFLINE)),
    _guide("license_image", 2, ("license_image",), _when(**_OFFLINE, org_type="enterprise")),
    _guide("individual_license_image", 2, ("license_image",),
           _when(**_OFFLINE, org_type="individual")),
    _guide("certificate_image", 2, ("license_image",), _when(**_OFFLINE, org_type="government"),
           shaped_by=frozenset({"cert_type"})),
    _guide("org_code_image", 2, ("license_image",), _when(**_OFFLINE, org_type="other")),
    *(
        _guide(f"realname_status_{route}", 2, ("realname_status",), _when(realname_route=route),
               question="q.realname_status", intro=f"intro.realname_status.{route}",
               done_when=frozenset({"approved"}), waiting=frozenset({"submitted"}),
               notes=_REALNAME_NOTES)
        for route in ("online", "offline")
    ),
    # Stage 3: the app ID (应用号) and the interface whitelist: created at once in the console's
    # 应用集成, or applied for with the guide's Excel by email (the route a production case
    # chooses here; a test case chose it in stage 1).
    Step("app_id_route", 3, ("app_id_route",), _when(environment="prod"),
         intro="intro.app_id_route",
         notes=MappingProxyType({"console": "note.app_id_route.console",
                                 "email": "note.app_id_route.email"})),
    Step("app_name", 3, ("app_name",), intro="intro.app_name"),
    Step("app_type", 3, ("app_type",)),
    Step("app_description", 3, ("app_description",)),
    Step("console_app_id", 3, ("app_id",), _when(app_id_route="console"),
         question="q.console_app_id", intro="intro.console_app_id"),
    Step("whitelist_interfaces", 3, ("whitelist_interfaces",), unless=TEST_BY_EMAIL,
         optional=True, intro="intro.whitelist_interfaces"),
    # The test account by email (1420/53857): the same gate field as production's app-ID
    # application, so the wait, ``review app …`` and the app-ID question work alike.
    Step("test_account", 3, ("app_status",), TEST_BY_EMAIL, question="q.test_account",
         intro="intro.test_account",
         done_when=frozenset({"approved"}), waiting=frozenset({"sent"}),
         notes=MappingProxyType({"not_sent": "note.test_account.not_sent",
                                 "sent": "note.app_status.sent",
                                 "rejected": "note.app_status.rejected"})),
    Step("app_status", 3, ("app_status",), _when(environment="prod"),
         unless=_when(app_id_route="console"), intro="intro.app_status",
         done_when=frozenset({"approved"}), waiting=frozenset({"sent"}),
         notes=MappingProxyType({"not_sent": "note.app_status.not_sent",
                                 "sent": "note.app_status.sent",
                                 "rejected": "note.app_status.rejected"})),
    # The app ID may be pasted as soon as the approval email arrives, even while the review is
    # still recorded as pending: a passing credential check then ends that wait (issue 7).
    Step("app_id", 3, ("app_id",), _when(app_status=("sent", "approved")),
         unless=_when(app_id_route="console")),
    # Stage 4: the API keys (SecretId / SecretKey), and a check that shows they work. A test
    # case's keys always come from 测试联调 > 获取密钥 (the test host accepts no CAM key).
    Step("key_owner", 4, ("key_owner",), _when(environment="prod"), intro="intro.key_owner",
         notes=MappingProxyType({"main": "note.key_owner.main", "sub": "note.key_owner.sub",
                                 "console": "note.key_owner.console"})),
    *(
        Step(name, 4, ("key_check",), _when(environment=environment), question="q.key_check",
             intro=f"intro.{name}", done_when=frozenset({"passed", "later"}),
             provisional=frozenset({"later"}),
             notes=MappingProxyType({"later": "note.key_check.later"}))
        for name, environment in (("test_keys", "test"), ("key_check", "prod"))
    ),
)

STEPS_BY_NAME: Mapping[str, Step] = MappingProxyType({s.name: s for s in STEPS})
STAGES: tuple[int, ...] = (1, 2, 3, 4)


def applies(step: Step, values: Mapping[str, Any]) -> bool:
    if step.unless and all(values.get(key) in allowed for key, allowed in step.unless.items()):
        return False
    return all(values.get(key) in allowed for key, allowed in step.when.items())


def on_test_console(values: Mapping[str, Any]) -> bool:
    """A test case set up in the console's 测试联调 (its stages read differently)."""
    return all(values.get(key) in allowed for key, allowed in TEST_ON_CONSOLE.items())


def test_route(values: Mapping[str, Any]) -> str | None:
    """``test_console`` or ``test_email`` for a test case whose route is chosen, else None:
    its stages 1 and 2 read differently (stage titles, "not needed" in ``status``)."""
    return next((name for name, when in TEST_ROUTES.items()
                 if all(values.get(key) in allowed for key, allowed in when.items())), None)


_CONDITION_KEYS: tuple[str, ...] = tuple(dict.fromkeys(
    key for step in STEPS for key in (*step.when, *step.unless)))
"""The answers any step's ``when`` or ``unless`` names (all single choices)."""


@lru_cache(maxsize=1024)
def _applicable(branch: tuple[str | None, ...]) -> tuple[Step, ...]:
    values = dict(zip(_CONDITION_KEYS, branch, strict=True))
    return tuple(step for step in STEPS if applies(step, values))


def applicable_steps(values: Mapping[str, Any]) -> list[Step]:
    """The steps these answers make apply, in order. Memoised on the few answers conditions
    name: every turn asks this several times (the position, the progress, the hooks), and the
    table is walked once per combination of those answers instead of each time."""
    branch = tuple(v if isinstance(v := values.get(key), str) else None for key in _CONDITION_KEYS)
    return list(_applicable(branch))


def answered_field(step: Step, values: Mapping[str, Any]) -> str | None:
    """The field holding this step's answer, if any."""
    return next((key for key in step.fields if key in values), None)


def is_complete(step: Step, values: Mapping[str, Any]) -> bool:
    key = answered_field(step, values)
    if key is None:
        return False
    return step.done_when is None or values[key] in step.done_when


def is_missing(step: Step, values: Mapping[str, Any]) -> bool:
    """Still to be done, as ``status`` lists it: not complete, or complete only for now."""
    key = answered_field(step, values)
    return not is_complete(step, values) or (
        key is not None and isinstance(values[key], str) and values[key] in step.provisional)


def first_missing(values: Mapping[str, Any]) -> Step | None:
    """The first step still to be done as ``status`` counts it: the current question, or once
    the flow has run through, a step answered only for now (the key check put off)."""
    return first_incomplete(values) or next(
        (s for s in applicable_steps(values) if is_missing(s, values)), None)


def is_waiting(step: Step, values: Mapping[str, Any]) -> bool:
    key = answered_field(step, values)
    # A multi-choice answer is a list (unhashable): only a single choice can mean "waiting".
    return key is not None and isinstance(values[key], str) and values[key] in step.waiting


def first_incomplete(values: Mapping[str, Any]) -> Step | None:
    return next((s for s in applicable_steps(values) if not is_complete(s, values)), None)


def steps_for_field(key: str) -> list[Step]:
    return [step for step in STEPS if key in step.fields]


def applicable_step_for_field(key: str, values: Mapping[str, Any]) -> Step | None:
    return next((s for s in steps_for_field(key) if applies(s, values)), None)


def _fold(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


SENTENCE_END = "。.!?~〜"
"""Sentence-final marks, as NFKC leaves them: it folds the full-width ``．！？～`` and the
half-width ``｡`` to these (``…`` to ``...``). WeCom's smart bot hands a voice message over as
its transcription, which ends with one, and people put one after a short reply on a phone."""
CHINESE_NUMERALS: Mapping[str, int] = MappingProxyType(
    {numeral: number for number, numeral in enumerate("一二三四五六七八九十", start=1)})
"""The numerals people write for a list's item number, 一 to 十 (no list here is longer).
Not 两: it counts things (两个) and is never an item's number; not 〇/零 (no item 0), nor the
banking forms 壹贰叁 or compounds (十一, 二二): nobody picks an item from a short list so."""


def fold_reply(text: str) -> str:
    """A short reply to a choice, compared loosely: folded as everywhere (NFKC, so full-width
    and circled digits are plain ones; case-folded; no white space), without the sentence-final
    marks after it, and a Chinese numeral (``二``) as its digits (``2``). Every place that reads
    a choice (an option, a yes or no, ``keep``, ``none``) compares with this; a free-text answer
    is stored as typed and never passes through it."""
    folded = _fold(text).rstrip(SENTENCE_END)
    number = CHINESE_NUMERALS.get(folded)
    return folded if number is None else str(number)


def option_number(text: str) -> int | None:
    """The item number ``text`` is (``2``, ``２``, ``②``, ``二``, ``2。``), if it is one."""
    folded = fold_reply(text)
    return int(folded) if folded.isascii() and folded.isdigit() else None


def option_words(option: Option, labels: tuple[str, ...]) -> set[str]:
    return {fold_reply(w) for w in (option.value, *option.aliases, *labels)}


def match_option(
    field_def: Field, text: str, label_of: Callable[[str, str], tuple[str, ...]]
) -> str | None:
    """The option a person meant: its number (Arabic, full-width, circled or Chinese digits),
    value, label in either language, or an alias, compared by :func:`fold_reply`, so a mark
    after it (``正式环境。``, ``2。``, as a voice message's transcription ends) is no matter."""
    wanted = fold_reply(text)
    if not wanted:
        return None
    for index, option in enumerate(field_def.options, start=1):
        if wanted == str(index) or wanted in option_words(
            option, label_of(field_def.key, option.value)
        ):
            return option.value
    return None
