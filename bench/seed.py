"""Cases already in the database, for the growth measurement: generated with SQL straight into
a freshly migrated file (one transaction, ``executemany``), not through the API, so 100,000
cases take seconds rather than hours.

Each seeded case looks like a finished onboarding of the online route: its answers, one history
row per answer plus the start, the processed event ids, and its Slack thread.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from bench.slack_load import ROUTE, TEAM
from storage import CaseStore

_AT = "2026-01-05T02:00:00+00:00"


def seed(db: Path, cases: int) -> None:
    """Create ``db`` with the current schema and ``cases`` completed onboardings in it."""
    store = CaseStore(db)
    with store.transaction():
        pass  # applies every migration
    store.close()
    answers = [(t.field, json.dumps(t.value, ensure_ascii=False)) for t in ROUTE if t.field]
    latest = dict(answers)
    conn = sqlite3.connect(db)
    try:
        with conn:
            conn.execute("PRAGMA synchronous = OFF")
            for start in range(1, cases + 1, 10_000):
                ids = range(start, min(cases, start + 9_999) + 1)
                conn.executemany(
                    "INSERT INTO cases (id, conversation, state, lang, current_step, created_by, "
                    "created_by_name, created_at, updated_at, completed_at) "
                    "VALUES (?, ?, 'active', 'zh', NULL, 'U0', 'seed', ?, ?, ?)",
                    [(i, f"slack:{TEAM}:CSEED{i:07d}", _AT, _AT, _AT) for i in ids])
                conn.executemany(
                    "INSERT INTO answers (case_id, field, value, user_id, user_name, at) "
                    "VALUES (?, ?, ?, 'U0', 'seed', ?)",
                    [(i, f, v, _AT) for i in ids for f, v in latest.items()])
                conn.executemany(
                    "INSERT INTO history (case_id, kind, field, value, previous, user_id, user_name, at) "
                    "VALUES (?, ?, ?, ?, NULL, 'U0', 'seed', ?)",
                    [(i, kind, f, v, _AT) for i in ids
                     for kind, f, v in [("start", None, "null"), *(("answer", f, v) for f, v in answers)]])
                conn.executemany(
                    "INSERT INTO events (event_id, case_id, at) VALUES (?, ?, ?)",
                    [(f"slack:event:EvSEED{i:07d}.{n}", i, _AT) for i in ids for n in range(len(ROUTE))])
                conn.executemany(
                    "INSERT INTO slack_threads (case_id, channel_id, thread_ts, at) VALUES (?, ?, ?, ?)",
                    [(i, f"CSEED{i:07d}", f"1600000000.{i:06d}", _AT) for i in ids])
    finally:
        conn.close()
