-- Emails the bot sent for a case: when, by whom, to whom, the Message-ID, and each attachment's
-- name and sha256 (a JSON list), so the team can prove what Tencent received.
CREATE TABLE sent_emails (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    message_id TEXT NOT NULL,
    recipient TEXT NOT NULL,
    sender TEXT NOT NULL,
    subject TEXT NOT NULL,
    attachments TEXT NOT NULL,
    user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX sent_emails_by_case ON sent_emails (case_id, id);
