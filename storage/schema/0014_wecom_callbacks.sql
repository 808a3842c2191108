-- WeCom callbacks seen lately, so a replay is refused for as long as a callback is fresh
-- enough to be accepted at all (bot/wecom/freshness.py), whatever the events table's retention.
-- One row per signed request ('sig:<msg_signature>') and per message ('event:<event id>');
-- a row is of no use once its callback would be refused as too old, and is deleted then.
CREATE TABLE wecom_callbacks (
    key TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
);
CREATE INDEX wecom_callbacks_by_expiry ON wecom_callbacks (expires_at);
