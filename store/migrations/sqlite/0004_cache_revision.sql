-- One counter that every change to a user or a credential moves on, kept by
-- triggers so that no write path, present or future, can forget it. A cache
-- of user and credential rows (store.Cache) reads it about once a second and
-- drops what it holds when it moved, so a change made by another process on
-- the same database (an admin command, another replica) reaches it within
-- that second.
CREATE TABLE cache_revision (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n  INTEGER NOT NULL
) STRICT;

INSERT INTO cache_revision (id, n) VALUES (1, 0);

CREATE TRIGGER users_update_revision AFTER UPDATE ON users
BEGIN UPDATE cache_revision SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER users_delete_revision AFTER DELETE ON users
BEGIN UPDATE cache_revision SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER credentials_insert_revision AFTER INSERT ON credentials
BEGIN UPDATE cache_revision SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER credentials_update_revision AFTER UPDATE ON credentials
BEGIN UPDATE cache_revision SET n = n + 1 WHERE id = 1; END;

CREATE TRIGGER credentials_delete_revision AFTER DELETE ON credentials
BEGIN UPDATE cache_revision SET n = n + 1 WHERE id = 1; END;
