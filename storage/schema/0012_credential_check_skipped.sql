-- A credential check's result may now be 'skipped': the check did not apply to the key (a key
-- of the E-Sign test environment, or one made by the E-Sign console, is not a Tencent Cloud
-- account key, so STS and CAM cannot answer for it). SQLite cannot change a CHECK constraint in
-- place, so the results table is rebuilt with every row kept; nothing references it.
CREATE TABLE credential_check_results_new (
    check_id INTEGER NOT NULL REFERENCES credential_checks (id),
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
ALTER TABLE credential_check_results_new RENAME TO credential_check_results;
