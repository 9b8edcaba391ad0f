-- +goose Up
-- A deleted credential leaves its ID and label behind, never its secret, so
-- that a repeated delete (a double click, a second tab, another replica) is
-- answered "already deleted" and never confused with an ID that was not the
-- user's.
CREATE TABLE deleted_credentials (
    id         text        COLLATE "C" PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label      text        NOT NULL,
    deleted_at timestamptz NOT NULL
);
