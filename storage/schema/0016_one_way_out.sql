-- One way out (issue 27): every reply of a turn is an outbox row written in the turn's own
-- transaction, and slow work a turn leaves (a file to build, a photo to read, a shared file to
-- fetch) is a job row written with it, so a crash after the commit delays a reply or a file,
-- never loses it.
--
-- address: where the input came from, as its adapter describes it (JSON: a Slack thread, the
--   person a private reply is for, a slash command's response URL), read back by the same
--   adapter's transport; the engine never looks inside.
-- progress: how many of the row's replies went out before a refusal, so a retry resumes there.
ALTER TABLE outbox ADD COLUMN address TEXT;
ALTER TABLE outbox ADD COLUMN progress INTEGER NOT NULL DEFAULT 0;
-- The head of each conversation's queue: its earliest message not yet sent or given up on.
-- Partial, so it holds only what is still to send (a few rows, hot in the cache): finding a
-- head never walks a conversation's delivered history, and a message leaves it when sent. It
-- replaces the two indexes over every row (kept up to date at each insert and each change of
-- state, every turn, now that every reply is a row; measured: they cost most of the outbox's
-- system time per turn). Every query for messages still to send names the same
-- `state IN ('pending', 'sending')` term, which is what lets SQLite use a partial index.
CREATE INDEX outbox_unsent ON outbox (conversation, id) WHERE state IN ('pending', 'sending');
DROP INDEX outbox_to_send;
DROP INDEX outbox_by_conversation;

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    conversation TEXT NOT NULL,
    case_id INTEGER REFERENCES cases (id),
    actor TEXT,
    address TEXT,
    lang TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    claimed_by TEXT,
    claimed_until TEXT,
    created_at TEXT NOT NULL,
    done_at TEXT,
    last_error TEXT
);
CREATE INDEX jobs_to_run ON jobs (id) WHERE state IN ('pending', 'running');
