-- One row the health check writes (storage/health.py): a committed write through the same
-- connection, lock and fsync as a turn's, so /healthz answers whether a turn could be saved now.
CREATE TABLE heartbeat (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    beat_at TEXT NOT NULL,
    beat_by TEXT NOT NULL
);
