"""The ``check`` / ``检查`` command, and the guard against API keys posted where others read.

Why the key is handled so carefully: a SecretKey signs requests for the whole account. So the
dialogue takes it only in a private conversation (a DM, a private WeCom chat, the terminal's
hidden prompt), uses it for one check that runs after the turn has committed (the network call
never holds SQLite's write lock), and keeps only the masked SecretId and the results. A key
pasted into a shared conversation is refused before anything of that message is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from pydantic import SecretStr

from handlers.commands import Command, parse_command
from handlers.core_commands import split_field
from handlers.credentials.completion import check_completes_stage, snippet_reply
from handlers.credentials.report import (
    ENVIRONMENTS,
    CredentialReport,
    CredentialRequest,
    render_report,
)
from handlers.credentials.secret_shapes import (
    find_credentials,
    looks_like_secret,
    mask_secret_id,
    typed,
)
from handlers.flow import Step
from handlers.registry import Router, leave_work, turn_for_case
from handlers.reviews.commands import records_app_id
from handlers.reviews.tracking import end_wait
from handlers.services import CredentialChecker, Services
from handlers.shapes import Choice, Reply
from handlers.turn import Turn, parse_environment
from storage import CaseStore
from storage.credential_checks import CheckResultRecord, record_check

log = logging.getLogger("esignbot.check")

_BEIJING = timezone(timedelta(hours=8))

router = Router("credentials")

ReportHook = Callable[[Turn, CredentialReport], list[Reply]]
"""Called with (the case's turn, report) when a check's result is stored, in the same
transaction: a turn for a change made outside an input (``registry.turn_for_case``), acting as
the person who ran the check, so an answer the report implies goes in the one way answers do."""


def app_id_ends_app_review(turn: Turn, report: CredentialReport) -> list[Reply]:
    """A working essbasic call with the case's app ID proves the app-ID review passed: end
    that wait as approved (announced once, like ``review app approved``)."""
    if any(c.name == "app_id" and c.status == "pass" for c in report.checks):
        who = turn.who()
        end_wait(turn.tx, turn.require_case().id, "app", approved=True, by=who["user_id"],
                 by_name=who["user_name"], at=who["at"], turn=turn)
    return []


REPORT_HOOKS: tuple[ReportHook, ...] = (app_id_ends_app_review, check_completes_stage)


# -- the command ------------------------------------------------------------------------------
@router.command(Command.CHECK)
def cmd_check(turn: Turn, args: str) -> list[Reply]:
    """``check [test|prod]``: ask the adapter to collect the key privately (and say how)."""
    environment = None
    if args:
        environment = parse_environment(args)
        if environment is None:
            return [turn.error("cred.check_usage")]
    request = credentials_request(turn, environment)
    if not turn.msg.private:
        return [turn.reply("info", "cred.shared_how", private=True), request]
    return [request]


@router.command(Command.SNIPPET)
def cmd_snippet(turn: Turn, args: str) -> list[Reply]:
    """``snippet`` / ``代码``: the first-call program for this case's app ID and environment."""
    app_id = turn.values.get("app_id")
    if not isinstance(app_id, str) or not app_id:
        return [turn.error("done.snippet_needs_app_id"), *turn.reask()]
    return [snippet_reply(app_id, str(turn.values.get("environment") or "prod"),
                          turn.require_case().id, turn.lang)]


def credentials_request(turn: Turn, environment: str | None) -> Reply:
    """``Reply(kind="credentials")``: the adapter collects a SecretId and SecretKey privately
    and calls ``bot.credentials.checker.check_for_case``. ``choices`` are the environments, the one to
    check first (the one named in the command, else the case's)."""
    chosen = environment or turn.values.get("environment") or "prod"
    order = [chosen, *(e for e in ENVIRONMENTS if e != chosen)]
    choices = tuple(Choice(value=e, label=turn.t(f"opt.environment.{e}")) for e in order)
    return Reply(kind="credentials", text=turn.t("cred.ask"), choices=choices, private=True)


# -- keys in messages -------------------------------------------------------------------------
APP_ID_FIELDS = frozenset({"app_id", "app_status"})
"""The questions where a 32-character token is the app ID (the app ID question, and the app-ID
status question, where pasting the ID records the approval: ``reviews.app_id_at_status``)."""


def expects_app_id(text: str, step: Step | None) -> bool:
    """Whether an app ID is what ``text`` brings at ``step`` (the open question): an answer to
    an app-ID question, or a command whose argument is the app ID (``edit app_id <ID>``,
    ``review app approved <ID>``). Everywhere else a 32-character token of letters and digits
    is taken for a SecretKey (``secret_shapes``). The Slack adapter asks this too, before the
    dialogue, so both draw the line in the same place."""
    command = parse_command(text)
    if command is None:
        return step is not None and bool(APP_ID_FIELDS & set(step.fields))
    if command.command is Command.EDIT:
        return split_field(command.args)[0] == "app_id"
    if command.command is Command.REVIEW:
        return records_app_id(command.args)
    return False


@router.input_guard
def guard_secrets(turn: Turn) -> list[Reply] | None:
    """Runs before anything of a message is stored, for answers, commands (``edit``'s value
    included) and free text alike. A message holding a key is never an answer and never echoed:
    in a shared conversation it is dropped and its poster told (privately) to rotate the key;
    in a private one a SecretId with its SecretKey is a request to check them, and a SecretId
    or a SecretKey alone gets a hint. Otherwise None: the message goes on as usual."""
    text = turn.msg.text
    step = turn.current_step() if turn.case is not None else None
    if not looks_like_secret(text, app_id_expected=expects_app_id(text, step)):
        return None
    found = find_credentials(text)
    if not turn.msg.private:
        log.warning("ignored a message with an API key in shared conversation %s",
                    turn.msg.conversation)
        return [turn.error("cred.leaked")]
    if not found.secret_ids or not found.secret_keys:
        log.warning("ignored a message shaped like an API key in conversation %s",
                    turn.msg.conversation)
        return [turn.error("cred.id_alone" if found.secret_ids else "cred.key_alone")]
    if len(found.secret_ids) > 1 or len(found.secret_keys) > 1:
        return [turn.error("cred.pair_ambiguous")]
    if turn.case is None:
        return [turn.error("err.no_case")]
    environment = None
    for word in found.rest.split():
        environment = parse_environment(word) or environment
    return start_check(turn, found.secret_ids[0], found.secret_keys[0], environment)


def start_check(turn: Turn, secret_id: str, secret_key: str,
                environment: str | None) -> list[Reply]:
    """Queue the check for after this turn commits; say it is running."""
    checker, store = turn.services.credential_checker, turn.case_store
    if checker is None or store is None:
        return [turn.error("cred.not_configured")]
    case = turn.require_case()
    request = build_request(turn.values, secret_id=secret_id, secret_key=secret_key,
                            environment=environment, now=turn.clock_now)
    who, lang, services = turn.who(), turn.lang, turn.services

    def later() -> list[Reply]:
        return record_and_render(store, checker, request, case_id=case.id, lang=lang,
                                 services=services, **who)

    turn.hold(later, "check")
    return [Reply(kind="info", text=turn.t(
        "cred.running", secret_id=request.secret_id_masked,
        environment=turn.t(f"opt.environment.{request.environment}")))]


# -- running one check ------------------------------------------------------------------------
def build_request(answers: Mapping[str, Any], *, secret_id: str, secret_key: str,
                  environment: str | None, now: datetime) -> CredentialRequest:
    """A check of this key for a case with these answers (its UIN, app ID, environment)."""
    chosen = environment or answers.get("environment") or "prod"
    return CredentialRequest(
        secret_id=typed(secret_id),
        secret_key=SecretStr(typed(secret_key)),
        environment=chosen if chosen in ENVIRONMENTS else "prod",
        uin=_text(answers.get("uin")),
        app_id=_text(answers.get("app_id")),
        key_owner=_text(answers.get("key_owner")),
        day=now.astimezone(_BEIJING).date(),
    )


def record_and_render(store: CaseStore, checker: CredentialChecker, request: CredentialRequest,
                      *, case_id: int, user_id: str, user_name: str, at: str,
                      lang: str, services: Services | None = None) -> list[Reply]:
    """Run the check (network, outside any transaction), then store its result in a
    transaction of its own, with what it implies for the case (:data:`REPORT_HOOKS`, through a
    turn of the case acting as ``user_id``: ``services`` are the hooks' — the files service
    for the workbook — by default none), and return the report for the case's conversation."""
    report = checker.check(request)
    replies = [Reply(kind="info", text=render_report(report, lang, who=user_name))]
    with store.transaction() as tx:
        record_check(
            tx, case_id, user_id=user_id, user_name=user_name, at=at,
            secret_id_masked=mask_secret_id(request.secret_id), environment=report.environment,
            outcome=report.outcome,
            identity=report.identity.as_dict() if report.identity else None,
            results=[CheckResultRecord(c.name, c.status, c.detail, dict(c.params))
                     for c in report.checks],
        )
        turn = turn_for_case(tx, case_id, by=user_id, by_name=user_name, at=at,
                             services=services, case_store=store)
        if turn is not None:  # the case is still active
            for hook in REPORT_HOOKS:
                replies += hook(turn, report)
            leave_work(turn)
    return replies


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
