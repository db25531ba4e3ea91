//! Leasing, outcomes and release on PostgreSQL. `FOR UPDATE SKIP LOCKED` makes concurrent
//! leasers (pool connections or replicas) pass over each other's candidates instead of
//! waiting, and the re-check PostgreSQL does on a row changed meanwhile drops a job that was
//! just leased elsewhere, so no job is ever handed to two owners at once.

use crate::queue::db_error::from_sqlx;
use crate::queue::rows::{finish_rows, into_jobs, JobRow, JOB_COLUMNS};
use crate::queue::{Finish, Job, Lease, StoreError};
use sqlx::PgPool;

/// A due job is the head of its order when no older job of the same order is unfinished and
/// no newer one is being delivered (a registration can release an older result while a newer
/// one is in flight; a newer one whose lease expired no longer counts, or neither could go).
const IS_HEAD: &str = "NOT EXISTS (SELECT 1 FROM jobs AS o \
     WHERE o.account_id = j.account_id AND o.order_id = j.order_id \
       AND o.state IN ('pending', 'in_flight') \
       AND (o.id < j.id OR (o.state = 'in_flight' AND o.lease_until > $3)))";

pub(super) async fn lease_due(
    pool: &PgPool,
    lease: &Lease,
    now_ms: i64,
    limit: usize,
) -> Result<Vec<Job>, StoreError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let sql = format!(
        "WITH due AS ( \
           SELECT j.id FROM jobs AS j \
           WHERE j.state = 'pending' AND j.next_attempt_at <= $3 AND {IS_HEAD} \
           ORDER BY j.next_attempt_at, j.id LIMIT $4 FOR UPDATE SKIP LOCKED), \
         expired AS ( \
           SELECT j.id FROM jobs AS j \
           WHERE j.state = 'in_flight' AND j.lease_until <= $3 AND {IS_HEAD} \
           ORDER BY j.lease_until, j.id LIMIT $4 FOR UPDATE SKIP LOCKED) \
         UPDATE jobs SET state = 'in_flight', lease_owner = $1, lease_until = $2, \
           attempts = attempts + 1, next_attempt_at = NULL, updated_at = $3 \
         WHERE id IN (SELECT id FROM due UNION ALL SELECT id FROM expired LIMIT $4) \
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
    pool: &PgPool,
    owner: &str,
    outcomes: &[Finish],
) -> Result<u64, StoreError> {
    if outcomes.is_empty() {
        return Ok(0);
    }
    let rows = finish_rows(outcomes);
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let states: Vec<&str> = rows.iter().map(|r| r.state).collect();
    let next: Vec<Option<i64>> = rows.iter().map(|r| r.next_attempt_at).collect();
    let status: Vec<Option<i64>> = rows.iter().map(|r| r.status).collect();
    let error: Vec<Option<&str>> = rows.iter().map(|r| r.error.as_deref()).collect();
    let response: Vec<Option<&str>> = rows.iter().map(|r| r.response.as_deref()).collect();
    let at: Vec<i64> = rows.iter().map(|r| r.at).collect();
    let done = sqlx::query(
        "UPDATE jobs SET state = u.state, next_attempt_at = u.next_at, lease_owner = NULL, \
           lease_until = NULL, last_status = u.status, last_error = u.error, \
           last_response = u.response, updated_at = u.at, \
           delivered_at = CASE WHEN u.state = 'delivered' THEN u.at ELSE jobs.delivered_at END \
         FROM unnest($2::int8[], $3::text[], $4::int8[], $5::int8[], $6::text[], $7::text[], \
           $8::int8[]) AS u(id, state, next_at, status, error, response, at) \
         WHERE jobs.id = u.id AND jobs.state = 'in_flight' AND jobs.lease_owner = $1",
    )
    .bind(owner)
    .bind(&ids)
    .bind(&states)
    .bind(&next)
    .bind(&status)
    .bind(&error)
    .bind(&response)
    .bind(&at)
    .execute(pool)
    .await
    .map_err(from_sqlx)?;
    Ok(done.rows_affected())
}

pub(super) async fn release(pool: &PgPool, owner: &str, now_ms: i64) -> Result<u64, StoreError> {
    // The attempt counted at lease time was not made (or was cut short): give it back.
    let done = sqlx::query(
        "UPDATE jobs SET state = 'pending', next_attempt_at = $2, lease_owner = NULL, \
           lease_until = NULL, attempts = GREATEST(attempts - 1, 0), updated_at = $2 \
         WHERE state = 'in_flight' AND lease_owner = $1",
    )
    .bind(owner)
    .bind(now_ms)
    .execute(pool)
    .await
    .map_err(from_sqlx)?;
    Ok(done.rows_affected())
}
