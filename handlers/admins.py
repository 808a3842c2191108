"""Where notices for admins go: the conversations in which an admin started a case.

Why one module: the mailbox watcher (findings no case claims, a mailbox that fails), the
scheduler (a message given up on) and the calendar (next year not covered) all tell admins
something nobody asked for. They share who counts as an admin (``ESIGNBOT_ADMINS``), where the
admins are reached, and "once": each notice is queued in the outbox under a de-duplication key
per conversation, so a restart or a second bot process never repeats it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from storage import CaseRecord, StoreTransaction
from storage import waits as outbox


def is_admin_case(case: CaseRecord, admins: Iterable[str]) -> bool:
    """A case started by an admin (``ESIGNBOT_ADMINS`` lists bare or ``platform:user`` ids)."""
    listed = set(admins)
    platform = case.conversation.split(":", 1)[0]
    return case.created_by in listed or f"{platform}:{case.created_by}" in listed


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
