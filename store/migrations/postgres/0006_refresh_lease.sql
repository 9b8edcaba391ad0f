-- +goose Up
-- The replicas' refreshers share their feeds here (store.PostgresFeeds, the
-- guard.Fleet of apiclient/guard): one lease per credential and account,
-- whose holder alone reads Cloudflare for it; the snapshot it publishes,
-- which the others load; and the jobs the others' tabs watch, which it
-- reads as well. A credential is named by its guard Key (a hash), never by
-- its secret. Every row ends: leases and watches at until, snapshots ten
-- minutes after their last write (Prune). SQLite, one process, has none of
-- this (migrations/sqlite/0006_refresh_lease.sql).
CREATE TABLE refresh_leases (
    cred_key text        NOT NULL,
    account  text        NOT NULL,
    holder   text        NOT NULL,
    until    timestamptz NOT NULL,
    PRIMARY KEY (cred_key, account)
);

CREATE INDEX refresh_leases_until ON refresh_leases (until);

-- Every write of a snapshot takes a new seq from one sequence, so that a
-- replica's "newer than what I have" holds even across a delete.
CREATE SEQUENCE refresh_snapshot_seq;

CREATE TABLE refresh_snapshots (
    cred_key   text        NOT NULL,
    account    text        NOT NULL,
    seq        bigint      NOT NULL,
    data       bytea       NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (cred_key, account)
);

CREATE INDEX refresh_snapshots_updated_at ON refresh_snapshots (updated_at);

CREATE TABLE refresh_watches (
    cred_key text        NOT NULL,
    account  text        NOT NULL,
    job_id   text        NOT NULL,
    until    timestamptz NOT NULL,
    PRIMARY KEY (cred_key, account, job_id)
);

CREATE INDEX refresh_watches_until ON refresh_watches (until);

-- Each write (seq) or delete (0) of a snapshot is told to every replica
-- listening, when it commits: "seq cred_key account".
-- +goose StatementBegin
CREATE FUNCTION notify_refresh_snapshot() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('refresh_snapshots', '0 ' || OLD.cred_key || ' ' || OLD.account);
    ELSE
        PERFORM pg_notify('refresh_snapshots', NEW.seq || ' ' || NEW.cred_key || ' ' || NEW.account);
    END IF;
    RETURN NULL;
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER refresh_snapshots_notify AFTER INSERT OR UPDATE OR DELETE ON refresh_snapshots
    FOR EACH ROW EXECUTE FUNCTION notify_refresh_snapshot();
