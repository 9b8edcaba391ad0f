-- +goose Up
-- One cancel per job at a time: the write-ahead audit row of a cancel
-- (outcome 'pending') is also its claim on the job, for every replica that
-- shares the database. BeginCancel's INSERT … ON CONFLICT names this index.
CREATE UNIQUE INDEX audit_cancel_in_flight ON audit_events (account_id, job_id)
    WHERE action = 'job_cancel' AND outcome = 'pending';
