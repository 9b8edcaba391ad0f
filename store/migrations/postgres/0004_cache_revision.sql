-- +goose Up
-- One counter that every change to a user or a credential moves on, kept by
-- triggers so that no write path, present or future, can forget it. A cache
-- of user and credential rows (store.Cache) reads it about once a second and
-- drops what it holds when it moved, so a change made by another process or
-- replica on the same database reaches it within that second. (The same as
-- migrations/sqlite/0004_cache_revision.sql.)
CREATE TABLE cache_revision (
    id integer PRIMARY KEY CHECK (id = 1),
    n  bigint  NOT NULL
);

INSERT INTO cache_revision (id, n) VALUES (1, 0);

-- +goose StatementBegin
CREATE FUNCTION bump_cache_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cache_revision SET n = n + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER users_revision AFTER UPDATE OR DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_revision();

CREATE TRIGGER credentials_revision AFTER INSERT OR UPDATE OR DELETE ON credentials
    FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_revision();

