-- Waits at Tencent (bank transfer, real-name review, app-ID review), and the outbox of messages
-- about them. An outbox row is written in the same transaction as the change it announces, so a
-- result is announced exactly once and a reminder is not lost by a restart.
CREATE TABLE waits (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    kind TEXT NOT NULL CHECK (kind IN ('transfer', 'realname', 'app')),
    state TEXT NOT NULL CHECK (state IN ('waiting', 'overdue', 'approved', 'rejected', 'withdrawn')),
    started_at TEXT NOT NULL,
    started_by TEXT NOT NULL,
    started_by_name TEXT NOT NULL,
    due_on TEXT NOT NULL,
    due_estimated INTEGER NOT NULL DEFAULT 0,
    overdue_at TEXT,
    ended_at TEXT,
    reason TEXT,
    recorded_by TEXT,
    recorded_by_name TEXT,
    last_reminded_on TEXT,
    reminders INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX waits_one_open_per_kind
    ON waits (case_id, kind) WHERE state IN ('waiting', 'overdue');
CREATE INDEX waits_by_case ON waits (case_id, id);
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    dedupe_key TEXT NOT NULL UNIQUE,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    wait_id INTEGER REFERENCES waits (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('result', 'reminder')),
    conversation TEXT NOT NULL,
    mention_user_id TEXT,
    mention_name TEXT,
    replies TEXT NOT NULL,
    created_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'sending', 'sent', 'skipped', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_by TEXT,
    claimed_until TEXT,
    sent_at TEXT,
    last_error TEXT
);
CREATE INDEX outbox_to_send ON outbox (state, next_attempt_at, id);
