-- A deleted credential leaves its ID and label behind, never its secret, so
-- that a repeated delete (a double click, a second tab) is answered "already
-- deleted" and never confused with an ID that was not the user's.
CREATE TABLE deleted_credentials (
    id         TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label      TEXT    NOT NULL,
    deleted_at TEXT    NOT NULL
) STRICT;
