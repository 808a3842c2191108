"""The cases a person takes part in: those they opened or answered in.

Why here: a person's overview (Slack's App Home) lists their cases across conversations, which
no single turn reads; the query belongs with the other SQL, not in an adapter.
"""

from __future__ import annotations

from storage.case_store import AnswerRecord, CaseRecord, StoreTransaction

_COLUMNS = ", ".join(CaseRecord.__dataclass_fields__)


def cases_of_person(
    tx: StoreTransaction, user_id: str, conversation_prefix: str, *, limit: int = 20
) -> list[tuple[CaseRecord, dict[str, AnswerRecord]]]:
    """Active cases (in progress or complete) under ``conversation_prefix`` that ``user_id``
    opened or answered in, most recently changed first, each with its current answers."""
    rows = tx.db.execute(
        f"SELECT {_COLUMNS} FROM cases "
        "WHERE state = 'active' AND substr(conversation, 1, length(:prefix)) = :prefix "
        "AND (created_by = :user OR id IN (SELECT case_id FROM history WHERE user_id = :user)) "
        "ORDER BY updated_at DESC, id DESC LIMIT :limit",
        {"prefix": conversation_prefix, "user": user_id, "limit": limit},
    ).fetchall()
    cases = [CaseRecord(*row) for row in rows]
    return [(case, tx.answers(case.id)) for case in cases]
