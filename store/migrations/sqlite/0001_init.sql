-- Users, sealed Cloudflare credentials and the audit log.
-- Timestamps are UTC text with fixed-width microseconds
-- (2006-01-02T15:04:05.000000Z), so text order is time order.

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    email           TEXT    NOT NULL UNIQUE,
    role            TEXT    NOT NULL CHECK (role IN ('viewer', 'responder', 'admin')),
    password_hash   TEXT    NOT NULL,
    disabled        INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    session_version INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL
) STRICT;

CREATE TABLE credentials (
    id             TEXT    PRIMARY KEY,
    user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label          TEXT    NOT NULL,
    account_id     TEXT    NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('api_token', 'global_key')),
    email          TEXT    NOT NULL DEFAULT '',
    last4          TEXT    NOT NULL DEFAULT '',
    -- key_id names the keyring key; sealed is nonce || AES-256-GCM output,
    -- with "credential:v1:<id>:<user_id>" as additional data.
    key_id         TEXT    NOT NULL,
    sealed         BLOB    NOT NULL,
    created_at     TEXT    NOT NULL,
    last_tested_at TEXT,
    last_test_ok   INTEGER CHECK (last_test_ok IN (0, 1))
) STRICT;

CREATE INDEX credentials_user_account ON credentials (user_id, account_id, created_at);
CREATE INDEX credentials_key_id ON credentials (key_id);

-- No foreign key on user_id: the log outlives whatever happens to users,
-- and 0 records events with no known user (a failed login).
CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY,
    at          TEXT    NOT NULL,
    user_id     INTEGER NOT NULL DEFAULT 0,
    user_email  TEXT    NOT NULL DEFAULT '',
    action      TEXT    NOT NULL,
    account_id  TEXT    NOT NULL DEFAULT '',
    job_id      TEXT    NOT NULL DEFAULT '',
    reason      TEXT    NOT NULL DEFAULT '',
    outcome     TEXT    NOT NULL DEFAULT '',
    detail      TEXT    NOT NULL DEFAULT '',
    remote_addr TEXT    NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX audit_events_at ON audit_events (at, id);
CREATE INDEX audit_events_user ON audit_events (user_id, at);
CREATE INDEX audit_events_action ON audit_events (action, at);
CREATE INDEX audit_events_account ON audit_events (account_id, at);
CREATE INDEX audit_events_job ON audit_events (job_id, at);
