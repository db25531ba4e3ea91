//! Retention on SQLite: delivered jobs past retention and expired dedupe keys, deleted in
//! chunks (one short transaction each, so a first purge after months does not hold the write
//! lock, and stall acceptance, for seconds).
//!
//! Neither has an index of its own (migration 0005): each would cost every webhook one more
//! page in the WAL, on the write thread that is the gateway's one serial step. Both walks
//! follow a primary key instead:
//! - jobs by id, which is received order. A job received at or after the cutoff cannot have
//!   been delivered before it, so the walk ends at the first chunk that reaches one; what it
//!   passes and keeps (dead letters, old undelivered jobs) is normally little.
//!   The newest job is never deleted: new ids are taken after the highest one in the table
//!   (migration 0006), so deleting it would hand its id out again.
//! - dedupe keys in key order, all of them: a key's expiry is its event's receipt plus the
//!   window, which its place in the key order says nothing about.

use crate::queue::db_error::from_sqlx;
use crate::queue::StoreError;
use sqlx::SqlitePool;

/// Rows looked at per transaction.
pub(super) const PURGE_CHUNK: i64 = 5_000;

/// Deletes delivered jobs delivered before `before_ms` (with their data, by trigger) and
/// dedupe keys expired at `now_ms`; returns how many jobs.
pub(super) async fn purge(
    pool: &SqlitePool,
    before_ms: i64,
    now_ms: i64,
    chunk: i64,
) -> Result<u64, StoreError> {
    let mut total = 0;
    let mut after = 0i64;
    loop {
        let (last, newest): (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT MAX(id), MAX(received_at) FROM \
               (SELECT id, received_at FROM jobs WHERE id > ?1 ORDER BY id LIMIT ?2)",
        )
        .bind(after)
        .bind(chunk)
        .fetch_one(pool)
        .await
        .map_err(from_sqlx)?;
        let Some(last) = last else { break };
        let done = sqlx::query(
            "DELETE FROM jobs WHERE id > ?1 AND id <= ?2 \
               AND state = 'delivered' AND delivered_at < ?3 \
               AND id < (SELECT MAX(id) FROM jobs)",
        )
        .bind(after)
        .bind(last)
        .bind(before_ms)
        .execute(pool)
        .await
        .map_err(from_sqlx)?;
        total += done.rows_affected();
        if newest.is_none_or(|t| t >= before_ms) {
            break;
        }
        after = last;
    }
    sweep_dedupe(pool, now_ms, chunk).await?;
    Ok(total)
}

/// Deletes expired dedupe keys, one chunk of the key order at a time. A chunk is read first
/// and written only if it holds an expired key: most of a 7-day window is live, and every
/// write, even one deleting nothing, takes the write lock the write thread needs.
async fn sweep_dedupe(pool: &SqlitePool, now_ms: i64, chunk: i64) -> Result<(), StoreError> {
    // The walk starts after ('', ''), which every key follows: a vendor name is never empty.
    let mut after = (String::new(), String::new());
    loop {
        let last: Option<(String, String, i64)> = sqlx::query_as(
            "WITH c AS MATERIALIZED (SELECT vendor, event_key, expires_at FROM dedupe \
               WHERE (vendor, event_key) > (?1, ?2) ORDER BY vendor, event_key LIMIT ?3) \
             SELECT vendor, event_key, (SELECT COUNT(*) FROM c WHERE expires_at <= ?4) \
             FROM c ORDER BY vendor DESC, event_key DESC LIMIT 1",
        )
        .bind(&after.0)
        .bind(&after.1)
        .bind(chunk)
        .bind(now_ms)
        .fetch_optional(pool)
        .await
        .map_err(from_sqlx)?;
        let Some((vendor, event_key, expired)) = last else {
            return Ok(());
        };
        if expired > 0 {
            sqlx::query(
                "DELETE FROM dedupe WHERE (vendor, event_key) > (?1, ?2) \
                   AND (vendor, event_key) <= (?3, ?4) AND expires_at <= ?5",
            )
            .bind(&after.0)
            .bind(&after.1)
            .bind(&vendor)
            .bind(&event_key)
            .bind(now_ms)
            .execute(pool)
            .await
            .map_err(from_sqlx)?;
        }
        after = (vendor, event_key);
    }
}

#[cfg(test)]
#[path = "purge_tests.rs"]
mod tests;
