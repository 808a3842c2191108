"""The language each conversation chose (table ``conversation_langs``, migration 0013).

Why a table of its own and not only ``cases.lang``: a language chosen with ``lang`` belongs to
the conversation, not to one case. Kept only on the case, it was lost the moment the case was
cancelled or finished (every reply Chinese again), and ``lang en`` with no case open had
nowhere to go (issue 26).
"""

from __future__ import annotations

from storage.case_store import StoreTransaction


def remembered_lang(tx: StoreTransaction, conversation: str) -> str | None:
    """The language this conversation chose last, or None when it never chose one."""
    row = tx.db.execute("SELECT lang FROM conversation_langs WHERE conversation = ?",
                        [conversation]).fetchone()
    return str(row[0]) if row else None


def remember_lang(tx: StoreTransaction, conversation: str, lang: str, *, at: str) -> None:
    """Keep ``lang`` (``zh`` or ``en``) for the conversation, replacing an earlier choice."""
    tx.db.execute(
        "INSERT INTO conversation_langs (conversation, lang, set_at) VALUES (?, ?, ?) "
        "ON CONFLICT (conversation) DO UPDATE SET lang = excluded.lang, set_at = excluded.set_at",
        [conversation, lang, at])
