-- The masked SecretId may now start as every form Tencent issues does (issue 25): AKID**** and
-- IKID**** (Tencent Cloud CAM keys), AK**** (keys from the E-Sign console's 获取密钥), with the
-- last four characters after the stars, as before. Still never a full SecretId: at most 12
-- characters, and the four stars stand 3 to 5 characters in. SQLite cannot change a CHECK
-- constraint in place, so the table is rebuilt with every row kept. Its results table refers to
-- it, and dropping a parent with rows under it fails with foreign keys on (as every connection
-- here has them), so both are rebuilt: the new results refer to the new checks table, the old
-- child goes first, then the old parent, and renaming the new parent carries the reference.
CREATE TABLE credential_checks_new (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    at TEXT NOT NULL,
    secret_id_masked TEXT NOT NULL CHECK (length(secret_id_masked) <= 12 AND instr(secret_id_masked, '****') BETWEEN 3 AND 5),
    environment TEXT NOT NULL CHECK (environment IN ('test', 'prod')),
    outcome TEXT NOT NULL CHECK (outcome IN ('pass', 'fail', 'unknown')),
    identity TEXT
);
INSERT INTO credential_checks_new (id, case_id, user_id, user_name, at, secret_id_masked, environment, outcome, identity)
    SELECT id, case_id, user_id, user_name, at, secret_id_masked, environment, outcome, identity FROM credential_checks;
CREATE TABLE credential_check_results_new (
    check_id INTEGER NOT NULL REFERENCES credential_checks_new (id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL CHECK (name IN ('key_valid', 'account_matches', 'identity', 'ess_policy', 'app_id')),
    status TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'unknown', 'skipped')),
    detail TEXT NOT NULL,
    params TEXT NOT NULL,
    PRIMARY KEY (check_id, name)
);
INSERT INTO credential_check_results_new (check_id, position, name, status, detail, params)
    SELECT check_id, position, name, status, detail, params FROM credential_check_results;
DROP TABLE credential_check_results;
DROP TABLE credential_checks;
ALTER TABLE credential_checks_new RENAME TO credential_checks;
ALTER TABLE credential_check_results_new RENAME TO credential_check_results;
CREATE INDEX credential_checks_by_case ON credential_checks (case_id, id);
