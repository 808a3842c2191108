-- The mailbox watcher (issue 8): which messages it has read, what it found in them, notices for
-- admins, and the state of a mailbox that cannot be reached.
-- What a message seems to say, waiting for a person: proposed (queued in the outbox for the
-- case's conversation at posted_at), then confirmed or dismissed there. Unmatched or ambiguous
-- ones go to admins, who may give an ambiguous one to one of its candidate cases.
CREATE TABLE mail_findings (
    id INTEGER PRIMARY KEY,
    case_id INTEGER REFERENCES cases (id),
    state TEXT NOT NULL
        CHECK (state IN ('proposed', 'confirmed', 'dismissed', 'unmatched', 'ambiguous')),
    candidates TEXT NOT NULL DEFAULT '[]',
    matched_by TEXT NOT NULL DEFAULT '[]',
    mailbox TEXT NOT NULL,
    message_id TEXT,
    subject TEXT NOT NULL,
    sender TEXT NOT NULL,
    sent_at TEXT,
    kind TEXT CHECK (kind IN ('realname', 'app')),
    outcome TEXT CHECK (outcome IN ('approved', 'rejected')),
    reason TEXT,
    app_id TEXT,
    evidence TEXT NOT NULL DEFAULT '[]',
    attachments TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    posted_at TEXT,
    decided_by TEXT,
    decided_by_name TEXT,
    decided_at TEXT
);
CREATE INDEX mail_findings_by_case ON mail_findings (case_id, id);
-- A message is known by its place (mailbox + UIDVALIDITY + UID) and by its Message-ID, so neither
-- a restart nor a server that renumbers its UIDs makes the watcher read it twice.
CREATE TABLE mail_seen (
    mailbox TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    message_id TEXT,
    sender TEXT NOT NULL,
    disposition TEXT NOT NULL
        CHECK (disposition IN ('finding', 'other_sender', 'duplicate', 'unreadable')),
    finding_id INTEGER REFERENCES mail_findings (id),
    seen_at TEXT NOT NULL,
    PRIMARY KEY (mailbox, uidvalidity, uid)
);
CREATE INDEX mail_seen_by_message_id ON mail_seen (message_id);
-- Messages for admins: a finding that matched no case or several, a mailbox that refuses the
-- login or cannot be reached, and its recovery. Stored and logged, and queued in the outbox
-- (migration 0004) for the conversations of cases admins started: queued_to lists them.
CREATE TABLE mail_notices (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL
        CHECK (kind IN ('unmatched', 'ambiguous', 'login_failed', 'unreachable', 'recovered')),
    mailbox TEXT NOT NULL,
    finding_id INTEGER REFERENCES mail_findings (id),
    detail TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    queued_at TEXT,
    queued_to TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX mail_notices_by_finding ON mail_notices (finding_id);
-- A mailbox currently failing: what kind of fault, since when, how many attempts; its presence
-- means the fault was already reported, so a restart does not report it again.
CREATE TABLE mail_faults (
    mailbox TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('login_failed', 'unreachable')),
    since TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_attempt_at TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
