//! Leasing, outcomes and release on SQLite. Every statement runs on the one writer connection,
//! so "choose due heads, then mark them in flight" is a single atomic `UPDATE … RETURNING`.

use crate::queue::db_error::from_sqlx;
use crate::queue::rows::{finish_rows, into_jobs, JobRow, JOB_COLUMNS};
use crate::queue::{Finish, Job, Lease, StoreError};
use serde_json::json;
use sqlx::SqlitePool;

/// A due job is the head of its order when no older job of the same order is unfinished.
/// (`state IN (…)` is spelled exactly as in the `jobs_order_head` index so SQLite uses it.)
const IS_HEAD: &str = "NOT EXISTS (SELECT 1 FROM jobs AS o \
     WHERE o.account_id = j.account_id AND o.order_id = j.order_id \
       AND o.state IN ('pending', 'in_flight') AND o.id < j.id)";

pub(super) async fn lease_due(
    pool: &SqlitePool,
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
         RETURNING {JOB_COLUMNS}"
    );
    let rows: Vec<JobRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(&lease.owner)
        .bind(lease.until_ms)
        .bind(now_ms)
        .bind(limit as i64)
        .fetch_all(pool)
        .await
        .map_err(from_sqlx)?;
    into_jobs(rows)
}

pub(super) async fn finish_batch(
    conn: &mut sqlx::SqliteConnection,
    owner: &str,
    outcomes: &[Finish],
) -> Result<u64, StoreError> {
    if outcomes.is_empty() {
        return Ok(0);
    }
    let rows: Vec<_> = finish_rows(outcomes)
        .into_iter()
        .map(|r| {
            json!([
                r.id,
                r.state,
                r.next_attempt_at,
                r.status,
                r.error,
                r.response,
                r.at
            ])
        })
        .collect();
    // `+` keeps SQLite from driving the update from an index on state (one scan of every
    // in-flight job per outcome); the outcomes list drives it, one primary-key hit each.
    let done = sqlx::query(
        "UPDATE jobs SET state = u.state, next_attempt_at = u.next_at, lease_owner = NULL, \
           lease_until = NULL, last_status = u.status, last_error = u.error, \
           last_response = u.response, updated_at = u.at, \
           delivered_at = CASE WHEN u.state = 'delivered' THEN u.at ELSE jobs.delivered_at END \
         FROM (SELECT value->>0 AS id, value->>1 AS state, value->>2 AS next_at, \
                 value->>3 AS status, value->>4 AS error, value->>5 AS response, \
                 value->>6 AS at FROM json_each(?2)) AS u \
         WHERE jobs.id = u.id AND +jobs.state = 'in_flight' AND +jobs.lease_owner = ?1",
    )
    .bind(owner)
    .bind(serde_json::Value::Array(rows).to_string())
    .execute(&mut *conn)
    .await
    .map_err(from_sqlx)?;
    Ok(done.rows_affected())
}

pub(super) async fn release(
    pool: &SqlitePool,
    owner: &str,
    now_ms: i64,
) -> Result<u64, StoreError> {
    // The attempt counted at lease time was not made (or was cut short): give it back.
    let done = sqlx::query(
        "UPDATE jobs SET state = 'pending', next_attempt_at = ?2, lease_owner = NULL, \
           lease_until = NULL, attempts = MAX(attempts - 1, 0), updated_at = ?2 \
         WHERE state = 'in_flight' AND lease_owner = ?1",
    )
    .bind(owner)
    .bind(now_ms)
    .execute(pool)
    .await
    .map_err(from_sqlx)?;
    Ok(done.rows_affected())
}
