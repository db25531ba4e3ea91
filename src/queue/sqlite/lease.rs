//! Leasing, outcomes and release on SQLite, run on the write thread. Every statement runs on
//! the one connection that takes the queue's hot writes, so "choose due heads, then mark them in
//! flight" is a single atomic `UPDATE … RETURNING`.

use crate::queue::db_error::from_rusqlite;
use crate::queue::rows::{finish_rows, into_jobs, JobRow};
use crate::queue::{Finish, Job, Lease, StoreError};
use rusqlite::{params, Connection};

/// A due job is the head of its order when no older job of the same order is unfinished and
/// no newer one is being delivered (a registration can release an older result while a newer
/// one is in flight; a newer one whose lease expired no longer counts, or neither could go).
/// (`state IN (…)` is spelled exactly as in the `jobs_order_head` index so SQLite uses it.)
const IS_HEAD: &str = "NOT EXISTS (SELECT 1 FROM jobs AS o \
     WHERE o.account_id = j.account_id AND o.order_id = j.order_id \
       AND o.state IN ('pending', 'in_flight') \
       AND (o.id < j.id OR (o.state = 'in_flight' AND o.lease_until > ?3)))";

/// `rows::JOB_COLUMNS`, with the body read from `job_data`.
const RETURNED: &str = "id, vendor, order_id, account_id, \
     (SELECT d.body FROM job_data AS d WHERE d.id = jobs.id) AS body, attempts, received_at, \
     request_id, event_key, lease_until";

pub(super) fn lease_due(
    conn: &Connection,
    lease: &Lease,
    now_ms: i64,
    limit: usize,
) -> Result<Vec<Job>, StoreError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    // Each branch walks its own partial index in due order and stops at the limit, so a large
    // backlog does not make every poll sort the whole queue (`INDEXED BY`: without statistics
    // SQLite would pick the `jobs_state` index and sort).
    let sql = format!(
        "UPDATE jobs SET state = 'in_flight', lease_owner = ?1, lease_until = ?2, \
           attempts = attempts + 1, next_attempt_at = NULL, updated_at = ?3 \
         WHERE id IN ( \
           SELECT id FROM (SELECT j.id FROM jobs AS j INDEXED BY jobs_due \
             WHERE j.state = 'pending' AND j.next_attempt_at <= ?3 AND {IS_HEAD} \
             ORDER BY j.next_attempt_at, j.id LIMIT ?4) \
           UNION ALL \
           SELECT id FROM (SELECT j.id FROM jobs AS j INDEXED BY jobs_leased \
             WHERE j.state = 'in_flight' AND j.lease_until <= ?3 AND {IS_HEAD} \
             ORDER BY j.lease_until, j.id LIMIT ?4) \
           LIMIT ?4) \
         RETURNING {RETURNED}"
    );
    let rows: Vec<JobRow> = conn
        .prepare_cached(&sql)
        .and_then(|mut q| {
            q.query_map(
                params![lease.owner, lease.until_ms, now_ms, limit as i64],
                job_row,
            )?
            .collect()
        })
        .map_err(from_rusqlite)?;
    into_jobs(rows)
}

/// Decodes a row returned with [`RETURNED`].
fn job_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<JobRow> {
    Ok(JobRow {
        id: r.get(0)?,
        vendor: r.get(1)?,
        order_id: r.get(2)?,
        account_id: r.get(3)?,
        body: r.get(4)?,
        attempts: r.get(5)?,
        received_at: r.get(6)?,
        request_id: r.get(7)?,
        event_key: r.get(8)?,
        lease_until: r.get(9)?,
    })
}

pub(super) fn finish_batch(
    conn: &Connection,
    owner: &str,
    outcomes: &[Finish],
) -> Result<u64, StoreError> {
    if outcomes.is_empty() {
        return Ok(0);
    }
    // One primary-key hit per outcome (`+`: never an index on state instead); it applies only
    // while `owner` still holds the lease.
    let mut update = conn
        .prepare_cached(
            "UPDATE jobs SET state = ?3, next_attempt_at = ?4, lease_owner = NULL, \
               lease_until = NULL, last_status = ?5, last_error = ?6, last_response = ?7, \
               updated_at = ?8, \
               delivered_at = CASE WHEN ?3 = 'delivered' THEN ?8 ELSE delivered_at END \
             WHERE id = ?1 AND +state = 'in_flight' AND +lease_owner = ?2",
        )
        .map_err(from_rusqlite)?;
    let mut done = 0;
    for r in finish_rows(outcomes) {
        done += update
            .execute(params![
                r.id,
                owner,
                r.state,
                r.next_attempt_at,
                r.status,
                r.error,
                r.response,
                r.at
            ])
            .map_err(from_rusqlite)? as u64;
    }
    Ok(done)
}

pub(super) fn release(conn: &Connection, owner: &str, now_ms: i64) -> Result<u64, StoreError> {
    // The attempt counted at lease time was not made (or was cut short): give it back.
    let done = conn
        .prepare_cached(
            "UPDATE jobs SET state = 'pending', next_attempt_at = ?2, lease_owner = NULL, \
               lease_until = NULL, attempts = MAX(attempts - 1, 0), updated_at = ?2 \
             WHERE state = 'in_flight' AND lease_owner = ?1",
        )
        .and_then(|mut q| q.execute(params![owner, now_ms]))
        .map_err(from_rusqlite)?;
    Ok(done as u64)
}
