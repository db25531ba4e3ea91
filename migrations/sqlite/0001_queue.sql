-- The durable queue: jobs, dedupe keys, correlation registrations and per-invite callbacks.
-- Times are Unix milliseconds. Same logical schema as migrations/postgres/0001_queue.sql.

CREATE TABLE jobs (
    -- AUTOINCREMENT: ids are never reused, so id order is received order for per-order delivery.
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    vendor          TEXT    NOT NULL,
    event_key       TEXT    NOT NULL,
    order_id        TEXT,
    account_id      TEXT,
    correlation_key TEXT,
    body            TEXT,
    payload         BLOB    NOT NULL,
    headers         TEXT    NOT NULL,
    route           TEXT    NOT NULL,
    rule            TEXT,
    request_id      TEXT    NOT NULL,
    state           TEXT    NOT NULL
        CHECK (state IN ('pending', 'in_flight', 'delivered', 'dead', 'awaiting_order')),
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

-- Due pending jobs, oldest due first.
CREATE INDEX jobs_due ON jobs (next_attempt_at, id) WHERE state = 'pending';
-- In-flight jobs by lease expiry (taken over when expired); release on shutdown scans it too.
CREATE INDEX jobs_leased ON jobs (lease_until) WHERE state = 'in_flight';
-- Per-order head: is there an older unfinished job of the same order?
CREATE INDEX jobs_order_head ON jobs (account_id, order_id, id)
    WHERE state IN ('pending', 'in_flight');
-- Jobs waiting for their registration.
CREATE INDEX jobs_awaiting ON jobs (vendor, correlation_key, id) WHERE state = 'awaiting_order';
-- Admin listings and counts use the partial index of each state (pending: jobs_due,
-- in_flight: jobs_leased, awaiting_order: jobs_awaiting, dead and delivered below) rather
-- than one index on state: every index costs each accept and each outcome a write.
CREATE INDEX jobs_dead ON jobs (vendor, id) WHERE state = 'dead';
CREATE INDEX jobs_delivered ON jobs (delivered_at) WHERE state = 'delivered';
-- "What happened to order X?"
CREATE INDEX jobs_order ON jobs (order_id, id);

-- One row per (vendor, event id) seen within the dedupe window. The primary key plus an upsert
-- that only replaces an expired row makes the window hold for every writer.
CREATE TABLE dedupe (
    vendor     TEXT    NOT NULL,
    event_key  TEXT    NOT NULL,
    job_id     INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (vendor, event_key)
) WITHOUT ROWID;
CREATE INDEX dedupe_expires ON dedupe (expires_at);

CREATE TABLE registrations (
    vendor          TEXT    NOT NULL,
    correlation_key TEXT    NOT NULL,
    order_id        TEXT    NOT NULL,
    account_id      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    PRIMARY KEY (vendor, correlation_key)
) WITHOUT ROWID;
CREATE INDEX registrations_expires ON registrations (expires_at);

CREATE TABLE callbacks (
    token_sha256 TEXT    NOT NULL PRIMARY KEY,
    vendor       TEXT    NOT NULL,
    order_id     TEXT    NOT NULL,
    account_id   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX callbacks_expires ON callbacks (expires_at);
CREATE INDEX callbacks_vendor ON callbacks (vendor, created_at);
