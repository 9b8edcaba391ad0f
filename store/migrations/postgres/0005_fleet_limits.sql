-- +goose Up
-- What several replicas must count together (issue 10): the requests each
-- Cloudflare credential sent in the current window, Cloudflare's Retry-After
-- block per credential, and failed login checks. A key is a hash of the
-- credential (guard.Key) or a login limit key (loginlimit.AccountKey,
-- AddrKey, DeviceKey), never a secret. Times are the replicas' own clocks
-- (the callers pass them), UTC to the microsecond.

-- One row per request counted against a credential's budget. Takes of one
-- key are serialized by a transaction-scoped advisory lock on the key, so
-- the count and the insert that follows it cannot interleave across
-- replicas. Rows older than two windows are swept.
CREATE TABLE upstream_sends (
    key text        NOT NULL,
    at  timestamptz NOT NULL
);
CREATE INDEX upstream_sends_key_at ON upstream_sends (key, at);
CREATE INDEX upstream_sends_at ON upstream_sends (at);

-- Cloudflare's block of a credential after a 429: one row per key, whose
-- until only grows (an upsert keeps the later end).
CREATE TABLE upstream_blocks (
    key   text        PRIMARY KEY,
    until timestamptz NOT NULL
);

-- One row per failed password check and key it counted against. Rows older
-- than the limiter's window are swept.
CREATE TABLE login_failures (
    key text        NOT NULL,
    at  timestamptz NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures (key, at);
CREATE INDEX login_failures_at ON login_failures (at);
