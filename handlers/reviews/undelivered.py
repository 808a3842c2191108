"""Telling admins, once, about a message the scheduler gave up on.

Why: a reminder or a review result that never arrives looks exactly like one that was never
due, so the team would simply wait. After its last attempt the message is told to the admins in
the conversations where they started a case (the route the mailbox watcher's notices take), in
the same transaction that marks it failed: told once, also across a restart or with two bot
processes on one file (the outbox's de-duplication key holds one per message and conversation).
The notice names the conversation, the case and the message by id, never what the message said.

A notice about a give-up is itself not reported when it is given up on: an admin conversation
that cannot be reached would otherwise be told, in vain, about itself forever.
"""

from __future__ import annotations

from collections.abc import Iterable

from handlers import admins as admin_notices
from handlers.catalogue import t
from storage import StoreTransaction, outbox

KEY_PREFIX = "undelivered:"


def tell_admins(tx: StoreTransaction, *, message_id: int, conversation: str, case_id: int | None,
                attempts: int, error: str, admins: Iterable[str], at: str) -> list[str]:
    """Queue the notice for each admin conversation, in the caller's transaction; returns the
    conversations newly told (none when the message was such a notice, or no admin has a case)."""
    if (outbox.dedupe_key(tx, message_id) or "").startswith(KEY_PREFIX):
        return []
    return admin_notices.tell_admins(
        tx, admins, key=f"{KEY_PREFIX}{message_id}", at=at,
        text=lambda lang: t("reviews.undelivered", lang, conversation=conversation,
                            case_id="—" if case_id is None else case_id,
                            message_id=message_id, attempts=attempts, error=error))
