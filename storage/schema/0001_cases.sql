-- Cases, their current answers, the append-only history, processed events, uploaded files.
CREATE TABLE cases (
    id INTEGER PRIMARY KEY,
    conversation TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'active',
    lang TEXT NOT NULL DEFAULT 'zh',
    focus_step TEXT,
    current_step TEXT,
    pending_confirm TEXT,
    created_by TEXT NOT NULL,
    created_by_name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    completed_at TEXT,
    closed_at TEXT
);
CREATE UNIQUE INDEX cases_one_active_per_conversation
    ON cases (conversation) WHERE state = 'active';
CREATE TABLE answers (
    case_id INTEGER NOT NULL REFERENCES cases (id),
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (case_id, field)
);
CREATE TABLE history (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    kind TEXT NOT NULL,
    field TEXT,
    value TEXT,
    previous TEXT,
    user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX history_by_case ON history (case_id, id);
CREATE TABLE events (
    event_id TEXT PRIMARY KEY,
    case_id INTEGER,
    at TEXT NOT NULL
);
CREATE TABLE files (
    id TEXT NOT NULL,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    name TEXT NOT NULL,
    mime TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    user_id TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (case_id, id)
);
