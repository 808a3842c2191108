-- The Slack thread each channel case lives in: the bot's first message for the case is the
-- thread's root, and only replies in that thread are taken as answers.
CREATE TABLE slack_threads (
    case_id INTEGER PRIMARY KEY REFERENCES cases (id),
    channel_id TEXT NOT NULL,
    thread_ts TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE UNIQUE INDEX slack_threads_by_message ON slack_threads (channel_id, thread_ts);
