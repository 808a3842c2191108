"""Who the admins are, and where notices for admins go.

Why one module: the mailbox watcher (findings no case claims, a mailbox that fails), the
scheduler (a message given up on) and the calendar (next year not covered) all tell admins
something nobody asked for; review results, ``status all`` and the personal-data rule
(``handlers/privacy.py``) ask whether someone is an admin. They share who counts as an admin
(``ESIGNBOT_ADMINS``), where the admins are reached, and "once": each notice is queued in the
outbox under a de-duplication key per conversation, so a restart or a second bot process never
repeats it.

An admin is named with the workspace they administer: ``slack:<team_id>:<user_id>`` or
``wecom:<corp_id>:<userid>`` (the smart bot: ``wecombot:<bot_id>:<userid>``, since its callbacks
name the bot, not the corp). Why: a bare ``U0ADMIN`` matched that user id in *every* Slack
team and a WeCom member who happened to pick it as UserID, and each of them saw every team's
cases. A platform without workspaces (the terminal, tests) names a person ``<platform>:<user>``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from storage import CaseRecord, StoreTransaction, outbox

WORKSPACE_PLATFORMS = frozenset({"slack", "wecom", "wecombot"})
"""Platforms whose conversations belong to a workspace (a Slack team, a WeCom corp): a
conversation id reads ``<platform>:<workspace>:...``."""


def workspace_of(conversation: str) -> str:
    """The workspace a conversation belongs to: ``slack:T1`` for ``slack:T1:C42``,
    ``wecom:ww12`` for ``wecom:ww12``; on a platform without workspaces, the platform itself
    (``console``)."""
    platform, _, rest = conversation.partition(":")
    if platform in WORKSPACE_PLATFORMS and rest:
        return f"{platform}:{rest.split(':', 1)[0]}"
    return platform


def person_id(conversation: str, user_id: str) -> str:
    """How ``ESIGNBOT_ADMINS`` names the person ``user_id`` of this conversation's workspace:
    ``slack:T1:U0ADMIN``, ``wecom:ww12:lisi``, ``console:alice``."""
    return f"{workspace_of(conversation)}:{user_id}"


def is_admin(admins: Iterable[str], conversation: str, user_id: str) -> bool:
    """``user_id``, acting in ``conversation``, is an admin of that conversation's workspace."""
    return person_id(conversation, user_id) in set(admins)


def is_admin_case(case: CaseRecord, admins: Iterable[str]) -> bool:
    """A case started by an admin of its own workspace."""
    return is_admin(admins, case.conversation, case.created_by)


def admin_cases(tx: StoreTransaction, admins: Iterable[str]) -> list[CaseRecord]:
    """One active case per conversation an admin started: where admin notices are posted."""
    listed = set(admins)
    if not listed:  # nobody to tell, and no reason to read every case
        return []
    chosen: dict[str, CaseRecord] = {}
    for case in tx.cases():
        if case.state == "active" and is_admin_case(case, listed):
            chosen.setdefault(case.conversation, case)
    return list(chosen.values())


def tell_admins(tx: StoreTransaction, admins: Iterable[str], *, key: str,
                text: Callable[[str], str], at: str) -> list[str]:
    """Queue ``text(lang)`` once for each admin conversation, under ``key:<conversation>``,
    mentioning the admin; returns the conversations newly told."""
    told = []
    for case in admin_cases(tx, admins):
        if outbox.add_message(
                tx, dedupe_key=f"{key}:{case.conversation}", case_id=case.id, wait_id=None,
                purpose="result", conversation=case.conversation, mention_user_id=case.created_by,
                mention_name=case.created_by_name or case.created_by,
                replies=[{"kind": "info", "text": text(case.lang)}], at=at,
                actor=case.created_by):  # for the admin alone (two terminals on one case)
            told.append(case.conversation)
    return told
