-- `jobs.id` without AUTOINCREMENT: its counter, the `jobs` row of `sqlite_sequence`, was
-- rewritten by every commit that inserted a job: one more 8 KiB page in
-- the WAL per group commit (0.9 of the ~18 pages a commit wrote on the load benchmark) on the
-- write thread, the gateway's one serial step.
--
-- What AUTOINCREMENT guaranteed stays true: an id is never handed out twice, so id order is
-- received order and a purged job's id never comes back. The write thread takes new ids after
-- the larger of `MAX(jobs.id)` and `jobs_id_mark.last_id`:
-- - retention never deletes the newest job (src/queue/sqlite/purge.rs), so `MAX(id)` never
--   falls;
-- - `jobs_id_mark` keeps the AUTOINCREMENT counter as this migration found it, for a database
--   whose newest jobs were already purged. Nothing writes it after this migration.
--
-- The table is rebuilt as in 0004 (copy, drop, rename, indexes and trigger again); `DROP
-- TABLE` runs no trigger, so `job_data` keeps every row.

CREATE TABLE jobs_id_mark (last_id INTEGER NOT NULL);
INSERT INTO jobs_id_mark (last_id)
SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'jobs'), 0);

CREATE TABLE jobs_new (
    id              INTEGER PRIMARY KEY,
    vendor          TEXT    NOT NULL,
    event_key       TEXT    NOT NULL,
    order_id        TEXT,
    account_id      TEXT,
    correlation_key TEXT,
    route           TEXT    NOT NULL,
    rule            TEXT,
    request_id      TEXT    NOT NULL,
    state           TEXT    NOT NULL
        CHECK (state = 'pending' OR state = 'in_flight' OR state = 'delivered'
               OR state = 'dead' OR state = 'awaiting_order'),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    lease_owner     TEXT,
    lease_until     INTEGER,
    last_status     INTEGER,
    last_error      TEXT,
    last_response   TEXT,
    received_at     INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    delivered_at    INTEGER
);

INSERT INTO jobs_new (id, vendor, event_key, order_id, account_id, correlation_key, route, rule,
                      request_id, state, attempts, next_attempt_at, lease_owner, lease_until,
                      last_status, last_error, last_response, received_at, updated_at,
                      delivered_at)
SELECT id, vendor, event_key, order_id, account_id, correlation_key, route, rule, request_id,
       state, attempts, next_attempt_at, lease_owner, lease_until, last_status, last_error,
       last_response, received_at, updated_at, delivered_at
FROM jobs;

DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;

-- As after 0005.
CREATE INDEX jobs_due ON jobs (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX jobs_leased ON jobs (lease_until) WHERE state = 'in_flight';
CREATE INDEX jobs_order_head ON jobs (account_id, order_id, id)
    WHERE state IN ('pending', 'in_flight');
CREATE INDEX jobs_awaiting ON jobs (vendor, correlation_key, id) WHERE state = 'awaiting_order';
CREATE INDEX jobs_dead ON jobs (vendor, id) WHERE state = 'dead';

CREATE TRIGGER jobs_delete_data AFTER DELETE ON jobs
BEGIN
    DELETE FROM job_data WHERE id = old.id;
END;
