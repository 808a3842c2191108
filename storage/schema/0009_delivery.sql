-- Live replies that could not be sent (a rate limit or an outage outlasting the SDK's retries)
-- wait in the outbox as purpose 'reply', behind nothing and overtaken by nothing of their
-- conversation: 'actor' is the person whose input they answer (replies meant for that person
-- alone go to them only), and case_id may be empty (a reply to someone without a case). SQLite
-- cannot change a CHECK, so the table is rebuilt with its rows.
CREATE TABLE outbox_new (
    id INTEGER PRIMARY KEY,
    dedupe_key TEXT NOT NULL UNIQUE,
    case_id INTEGER REFERENCES cases (id),
    wait_id INTEGER REFERENCES waits (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('result', 'reminder', 'reply')),
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
    last_error TEXT,
    actor TEXT
);
INSERT INTO outbox_new (id, dedupe_key, case_id, wait_id, purpose, conversation, mention_user_id,
    mention_name, replies, created_at, state, attempts, next_attempt_at, claimed_by,
    claimed_until, sent_at, last_error)
    SELECT id, dedupe_key, case_id, wait_id, purpose, conversation, mention_user_id,
    mention_name, replies, created_at, state, attempts, next_attempt_at, claimed_by,
    claimed_until, sent_at, last_error FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_to_send ON outbox (state, next_attempt_at, id);
-- Each conversation's messages in order: what keeps a later message from overtaking one that
-- waits (storage/waits.py claim_messages).
CREATE INDEX outbox_by_conversation ON outbox (conversation, id);
-- Processed event ids are kept for a retention far past every platform's retries and then
-- pruned oldest first (the scheduler, storage/case_store.py prune_events).
CREATE INDEX events_by_time ON events (at);
