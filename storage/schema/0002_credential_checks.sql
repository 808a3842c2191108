-- Credential checks run for a case: who ran one, when, against which environment, the SecretId
-- masked as AKID**** plus its last four characters, and each check's result. Never the SecretKey,
-- never a full SecretId: nothing here lets anyone sign a request.
CREATE TABLE credential_checks (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES cases (id),
    user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    at TEXT NOT NULL,
    secret_id_masked TEXT NOT NULL CHECK (secret_id_masked GLOB 'AKID[*][*][*][*]*' AND length(secret_id_masked) <= 12),
    environment TEXT NOT NULL CHECK (environment IN ('test', 'prod')),
    outcome TEXT NOT NULL CHECK (outcome IN ('pass', 'fail', 'unknown')),
    identity TEXT
);
CREATE INDEX credential_checks_by_case ON credential_checks (case_id, id);
CREATE TABLE credential_check_results (
    check_id INTEGER NOT NULL REFERENCES credential_checks (id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL CHECK (name IN ('key_valid', 'account_matches', 'identity', 'ess_policy', 'app_id')),
    status TEXT NOT NULL CHECK (status IN ('pass', 'fail', 'unknown')),
    detail TEXT NOT NULL,
    params TEXT NOT NULL,
    PRIMARY KEY (check_id, name)
);
