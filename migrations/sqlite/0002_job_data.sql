-- A job's large, write-once columns (the raw payload, its headers, the translated body) move to
-- their own table. A job row is updated at least twice after its insert (leased, then
-- delivered); SQLite rewrites the whole record and its page on every update, so with ~3 KB of
-- payload and body in the record each outcome cost a full 4 KiB page in the WAL. The state row
-- is now ~150 bytes, and outcomes rewrite a page shared by a few dozen jobs.
-- (PostgreSQL keeps one table: TOAST already stores large values outside the updated tuple.)

CREATE TABLE job_data (
    id      INTEGER PRIMARY KEY,
    body    TEXT,
    payload BLOB NOT NULL,
    headers TEXT NOT NULL
);
INSERT INTO job_data (id, body, payload, headers) SELECT id, body, payload, headers FROM jobs;
ALTER TABLE jobs DROP COLUMN body;
ALTER TABLE jobs DROP COLUMN payload;
ALTER TABLE jobs DROP COLUMN headers;

-- Whatever deletes a job (retention purge) deletes its data with it.
CREATE TRIGGER jobs_delete_data AFTER DELETE ON jobs
BEGIN
    DELETE FROM job_data WHERE id = old.id;
END;
