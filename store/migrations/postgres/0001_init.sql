-- +goose Up
-- Users, sealed Cloudflare credentials and the audit log: the PostgreSQL
-- version of migrations/sqlite/0001_init.sql, applied by goose (see
-- store/postgres_migrate.go). Timestamps are timestamptz, which keeps
-- microseconds and compares instants. Text the store sorts by is declared
-- COLLATE "C": byte order, and lower() folds ASCII only, exactly as in
-- SQLite, whatever the database's default collation is.

CREATE TABLE users (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email           text        COLLATE "C" NOT NULL UNIQUE,
    role            text        NOT NULL CHECK (role IN ('viewer', 'responder', 'admin')),
    password_hash   text        NOT NULL,
    disabled        boolean     NOT NULL DEFAULT false,
    session_version bigint      NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE credentials (
    id             text        COLLATE "C" PRIMARY KEY,
    user_id        bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label          text        COLLATE "C" NOT NULL,
    account_id     text        COLLATE "C" NOT NULL,
    kind           text        NOT NULL CHECK (kind IN ('api_token', 'global_key')),
    email          text        NOT NULL DEFAULT '',
    last4          text        NOT NULL DEFAULT '',
    -- key_id names the keyring key; sealed is nonce || AES-256-GCM output,
    -- with "credential:v1:<id>:<user_id>" as additional data.
    key_id         text        NOT NULL,
    sealed         bytea       NOT NULL,
    created_at     timestamptz NOT NULL,
    last_tested_at timestamptz,
    last_test_ok   boolean
);

CREATE INDEX credentials_user_account ON credentials (user_id, account_id, created_at);
CREATE INDEX credentials_key_id ON credentials (key_id);

-- No foreign key on user_id: the log outlives whatever happens to users,
-- and 0 records events with no known user (a failed login).
CREATE TABLE audit_events (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL,
    user_id     bigint      NOT NULL DEFAULT 0,
    user_email  text        NOT NULL DEFAULT '',
    action      text        NOT NULL,
    account_id  text        NOT NULL DEFAULT '',
    job_id      text        NOT NULL DEFAULT '',
    reason      text        NOT NULL DEFAULT '',
    outcome     text        NOT NULL DEFAULT '',
    detail      text        NOT NULL DEFAULT '',
    remote_addr text        NOT NULL DEFAULT ''
);

CREATE INDEX audit_events_at ON audit_events (at, id);
CREATE INDEX audit_events_user ON audit_events (user_id, at);
CREATE INDEX audit_events_action ON audit_events (action, at);
CREATE INDEX audit_events_account ON audit_events (account_id, at);
CREATE INDEX audit_events_job ON audit_events (job_id, at);
