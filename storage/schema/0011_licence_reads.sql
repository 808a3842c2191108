-- What was read from a licence or certificate photo (the ocr extra), one row per photo read,
-- and each value read, one row per field it compares with: never the photo's whole text. A
-- value is written as the answer it compares with would be (sealed when that field is personal
-- and ESIGNBOT_DATA_KEY is set). A read is never an answer: the answers change only when a
-- person takes a value (handlers/files/licence_check.py).
CREATE TABLE licence_reads (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    file_id TEXT NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('read', 'unreadable')),
    at TEXT NOT NULL
);
CREATE INDEX licence_reads_by_case ON licence_reads (case_id, id);
CREATE TABLE licence_read_values (
    read_id INTEGER NOT NULL REFERENCES licence_reads (id),
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (read_id, field)
);
