-- WeCom: who takes part in a case. A WeCom app chat is one person and the bot, so the people
-- working on a corp's case are the members who have messaged the app for it; every reply of
-- the case is sent to each of them.
CREATE TABLE wecom_members (
    case_id INTEGER NOT NULL REFERENCES cases (id),
    user_id TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (case_id, user_id)
);
