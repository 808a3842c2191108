"""The WeCom adapter's bookkeeping: which members take part in which case.

Why a table of its own: in WeCom each person chats with the app one to one, so "the
conversation" of a case is spread over several private chats. The adapter records who has
messaged the app for a case and sends that case's replies to each of them.
"""

from __future__ import annotations

from storage.case_store import StoreTransaction


def case_of_event(tx: StoreTransaction, event_id: str) -> int | None:
    """The case an applied input worked on (the dialogue links each event id to its case)."""
    row = tx.db.execute("SELECT case_id FROM events WHERE event_id = ?", [event_id]).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def latest_case(tx: StoreTransaction, conversation: str) -> int | None:
    """The active case of a conversation, else its most recent one."""
    row = tx.db.execute(
        "SELECT id FROM cases WHERE conversation = ? ORDER BY state = 'active' DESC, id DESC "
        "LIMIT 1",
        [conversation],
    ).fetchone()
    return None if row is None else int(row[0])


def add_member(tx: StoreTransaction, case_id: int, user_id: str, at: str) -> None:
    tx.db.execute(
        "INSERT INTO wecom_members (case_id, user_id, first_seen, last_seen) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (case_id, user_id) DO UPDATE SET last_seen = excluded.last_seen",
        [case_id, user_id, at, at],
    )


def inherit_members(tx: StoreTransaction, case_id: int, conversation: str) -> None:
    """A corp's new case (after a cancel, or ``start prod`` after the test case) begins with
    the members of the case before it: they chat with the app for the corp, not for one case,
    and would otherwise hear nothing of the new case until they wrote again."""
    if tx.db.execute("SELECT 1 FROM wecom_members WHERE case_id = ?", [case_id]).fetchone():
        return
    tx.db.execute(
        "INSERT INTO wecom_members (case_id, user_id, first_seen, last_seen) "
        "SELECT ?, user_id, first_seen, last_seen FROM wecom_members WHERE case_id = "
        "(SELECT max(id) FROM cases WHERE conversation = ? AND id < ?) "
        "ON CONFLICT (case_id, user_id) DO NOTHING",
        [case_id, conversation, case_id],
    )


def members(tx: StoreTransaction, case_id: int) -> list[str]:
    """The members of a case, in the order they joined it."""
    rows = tx.db.execute(
        "SELECT user_id FROM wecom_members WHERE case_id = ? ORDER BY first_seen, user_id",
        [case_id],
    ).fetchall()
    return [str(row[0]) for row in rows]


def callback_seen(tx: StoreTransaction, keys: list[str], now: int) -> bool:
    """One of ``keys`` (a callback's signature, its message's event id) was recorded and has not
    expired: the callback is a replay."""
    marks = ", ".join("?" for _ in keys)
    row = tx.db.execute(
        f"SELECT 1 FROM wecom_callbacks WHERE key IN ({marks}) AND expires_at >= ? LIMIT 1",
        [*keys, now]).fetchone()
    return row is not None


def remember_callback(tx: StoreTransaction, keys: list[str], now: int, expires_at: int,
                      prune: int = 100) -> None:
    """Record a callback's keys until ``expires_at`` (unix seconds), and drop up to ``prune``
    rows that expired: the table holds about one window's worth of callbacks."""
    tx.db.execute(
        "DELETE FROM wecom_callbacks WHERE rowid IN (SELECT rowid FROM wecom_callbacks "
        "WHERE expires_at < ? LIMIT ?)", [now, prune])
    for key in keys:
        tx.db.execute(
            "INSERT INTO wecom_callbacks (key, expires_at) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)",
            [key, expires_at])


def last_active_case_of(tx: StoreTransaction, user_id: str, prefix: str) -> str | None:
    """The conversation (under ``prefix``) of the active case ``user_id`` last acted in: where
    the smart bot checks keys a group member sends in their single chat."""
    row = tx.db.execute(
        "SELECT c.conversation FROM history h JOIN cases c ON c.id = h.case_id "
        "WHERE h.user_id = ? AND c.state = 'active' AND substr(c.conversation, 1, ?) = ? "
        "ORDER BY h.id DESC LIMIT 1",
        [user_id, len(prefix), prefix]).fetchone()
    return None if row is None else str(row[0])
