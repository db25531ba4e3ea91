-- Drop the two indexes that only retention used: `jobs_delivered` (delivered jobs by delivery
-- time) and `dedupe_expires` (dedupe keys by expiry).
--
-- Every webhook wrote both: its dedupe key, and its job once delivered. That is two more
-- B-tree inserts and two more dirty pages per group commit on the write thread, the gateway's
-- one serial step. Without them, on the load benchmark (interleaved pairs): write thread
-- 20 against 22-23 µs per webhook at 64 connections, 16.5 against 17-19 at 256.
--
-- Retention walks the primary keys in chunks instead (src/queue/sqlite/purge.rs): jobs by id
-- up to the first one received after the cutoff, dedupe keys in key order. Counting delivered
-- jobs (once a minute, for the gauge) reads the table instead of the index.
-- PostgreSQL keeps both: its writes are not on one thread.
DROP INDEX jobs_delivered;
DROP INDEX dedupe_expires;
