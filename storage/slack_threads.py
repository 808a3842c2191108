"""Which Slack thread a channel case lives in, and what the Slack adapter reads about a case.

Why a table: a channel hosts ordinary chat as well as the onboarding, so the adapter must know
which thread is the case's before it takes a message as an answer. The thread is only known
once the bot's first message for the case has been posted (after the turn committed), so it is
recorded in its own small transaction; ``claim_thread`` keeps the first root if two posts race.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage.case_store import StoreTransaction


@dataclass(frozen=True, slots=True)
class SlackCase:
    """The active case of a Slack conversation, as the adapter needs it."""

    case_id: int
    lang: str
    current_step: str | None
    thread_ts: str | None
    environment: Any


def thread_of(tx: StoreTransaction, case_id: int) -> str | None:
    row = tx.db.execute("SELECT thread_ts FROM slack_threads WHERE case_id = ?", [case_id]).fetchone()
    return None if row is None else str(row[0])


def case_and_thread(tx: StoreTransaction, case_id: int) -> tuple[str, str | None] | None:
    """(language, thread) of a case, in one statement; None when there is no such case."""
    row = tx.db.execute("SELECT c.lang, t.thread_ts FROM cases c LEFT JOIN slack_threads t"
                        " ON t.case_id = c.id WHERE c.id = ?", [case_id]).fetchone()
    return None if row is None else (str(row[0]), None if row[1] is None else str(row[1]))


def claim_thread(tx: StoreTransaction, case_id: int, channel_id: str, thread_ts: str, at: str) -> str:
    """Record ``thread_ts`` as the case's thread unless it has one; returns the case's thread."""
    tx.db.execute(
        "INSERT OR IGNORE INTO slack_threads (case_id, channel_id, thread_ts, at) VALUES (?, ?, ?, ?)",
        [case_id, channel_id, thread_ts, at],
    )
    stored = thread_of(tx, case_id)
    assert stored is not None
    return stored


def slack_case(tx: StoreTransaction, conversation: str) -> SlackCase | None:
    """The conversation's active case with its thread, or None when it has no active case."""
    case = tx.active_case(conversation)
    if case is None:
        return None
    environment = tx.answer(case.id, "environment")
    return SlackCase(
        case_id=case.id,
        lang=case.lang,
        current_step=case.current_step,
        thread_ts=thread_of(tx, case.id),
        environment=environment.value if environment is not None else None,
    )
