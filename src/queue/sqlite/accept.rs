//! `accept_batch` on SQLite: the whole batch in one `BEGIN IMMEDIATE` transaction (one fsync).
//! The single writer connection owns the write lock for the transaction, so ids can be taken
//! from `sqlite_sequence` up front and the dedupe, registration and order-head checks see
//! every earlier commit. Key lists travel as one JSON parameter (`json_each`), jobs as
//! multi-row `INSERT`s in power-of-two chunks so only a few statement shapes get prepared.
//! `CROSS JOIN` pins the key list as the outer loop (SQLite's planner, without statistics,
//! would otherwise walk an index of every unfinished job once per key).

use crate::queue::db_error::from_sqlx;
use crate::queue::plan::{self, NewRow};
use crate::queue::{Accepted, JobState, Lease, NewJob, StoreError};
use serde_json::json;
use sqlx::SqliteConnection;
use std::collections::{HashMap, HashSet};

pub(super) async fn accept_batch(
    conn: &mut SqliteConnection,
    jobs: &[NewJob],
    window_ms: i64,
    lease: Option<&Lease>,
) -> Result<Vec<Accepted>, StoreError> {
    for job in jobs {
        plan::validate(job)?;
    }
    let repeats = plan::in_batch_repeats(jobs, window_ms);
    let firsts: Vec<usize> = (0..jobs.len()).filter(|&i| repeats[i].is_none()).collect();

    let last_id: i64 = sqlx::query_scalar(
        "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'jobs'), 0)",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(from_sqlx)?;
    // Tentative id of each first occurrence; a duplicate leaves a gap, which is harmless.
    let ids: Vec<i64> = (1..=firsts.len() as i64).map(|k| last_id + k).collect();

    let (claimed, existing) = if window_ms > 0 {
        claim_dedupe(conn, jobs, &firsts, &ids, window_ms).await?
    } else {
        (ids.iter().copied().collect(), HashMap::new())
    };

    let new: Vec<(usize, i64)> = firsts
        .iter()
        .zip(&ids)
        .filter(|(_, id)| claimed.contains(id))
        .map(|(&i, &id)| (i, id))
        .collect();
    let registered = find_registrations(conn, jobs, &new).await?;
    let mut rows: Vec<NewRow> = new
        .iter()
        .map(|&(i, id)| plan::initial_row(&jobs[i], id, registered.get(&i)))
        .collect();
    let sources: Vec<&NewJob> = new.iter().map(|&(i, _)| &jobs[i]).collect();
    if lease.is_some() {
        let busy = busy_orders(conn, &rows).await?;
        plan::choose_leased(&mut rows, &sources, &busy);
    }
    insert_rows(conn, &sources, &rows, lease).await?;

    let inserted: Vec<(usize, &NewRow)> = new.iter().map(|&(i, _)| i).zip(&rows).collect();
    plan::answers(jobs, &repeats, &inserted, &existing)
}

/// Claims the dedupe key of each first occurrence: a new key, or one whose window has passed,
/// takes the new job's id; a live key stays and its job id is returned for the duplicate.
async fn claim_dedupe(
    conn: &mut SqliteConnection,
    jobs: &[NewJob],
    firsts: &[usize],
    ids: &[i64],
    window_ms: i64,
) -> Result<(HashSet<i64>, HashMap<(String, String), i64>), StoreError> {
    let keys: Vec<_> = firsts
        .iter()
        .zip(ids)
        .map(|(&i, &id)| {
            let j = &jobs[i];
            json!([
                j.vendor,
                j.event_key,
                id,
                j.received_at_ms.saturating_add(window_ms)
            ])
        })
        .collect();
    let claimed: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO dedupe (vendor, event_key, job_id, expires_at) \
         SELECT value->>0, value->>1, value->>2, value->>3 FROM json_each(?1) WHERE true \
         ON CONFLICT (vendor, event_key) DO UPDATE \
           SET job_id = excluded.job_id, expires_at = excluded.expires_at \
           WHERE dedupe.expires_at <= excluded.expires_at - ?2 \
         RETURNING job_id",
    )
    .bind(serde_json::Value::Array(keys.clone()).to_string())
    .bind(window_ms)
    .fetch_all(&mut *conn)
    .await
    .map_err(from_sqlx)?;
    let claimed: HashSet<i64> = claimed.into_iter().collect();
    let mut existing = HashMap::new();
    if claimed.len() < firsts.len() {
        let lost: Vec<_> = keys
            .iter()
            .zip(ids)
            .filter(|(_, id)| !claimed.contains(id))
            .map(|(k, _)| k.clone())
            .collect();
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT d.vendor, d.event_key, d.job_id FROM json_each(?1) AS k \
             CROSS JOIN dedupe AS d ON d.vendor = k.value->>0 AND d.event_key = k.value->>1",
        )
        .bind(serde_json::Value::Array(lost).to_string())
        .fetch_all(&mut *conn)
        .await
        .map_err(from_sqlx)?;
        existing.extend(rows.into_iter().map(|(v, e, id)| ((v, e), id)));
    }
    Ok((claimed, existing))
}

/// Live registrations for new jobs that await their order (input index → (order, account)).
async fn find_registrations(
    conn: &mut SqliteConnection,
    jobs: &[NewJob],
    new: &[(usize, i64)],
) -> Result<HashMap<usize, (String, String)>, StoreError> {
    let wanted: Vec<_> = new
        .iter()
        .filter(|(i, _)| jobs[*i].initial == crate::queue::Initial::AwaitingOrder)
        .map(|&(i, _)| {
            let j = &jobs[i];
            json!([i, j.vendor, j.correlation_key, j.received_at_ms])
        })
        .collect();
    if wanted.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT k.value->>0, r.order_id, r.account_id FROM json_each(?1) AS k \
         CROSS JOIN registrations AS r ON r.vendor = k.value->>1 AND r.correlation_key = k.value->>2 \
         WHERE r.expires_at > k.value->>3",
    )
    .bind(serde_json::Value::Array(wanted).to_string())
    .fetch_all(&mut *conn)
    .await
    .map_err(from_sqlx)?;
    Ok(rows
        .into_iter()
        .map(|(i, o, a)| (i as usize, (o, a)))
        .collect())
}

/// Orders among `rows` that already have an unfinished (pending or in-flight) job.
async fn busy_orders(
    conn: &mut SqliteConnection,
    rows: &[NewRow],
) -> Result<HashSet<(String, String)>, StoreError> {
    let orders: HashSet<(&str, &str)> = rows
        .iter()
        .filter(|r| r.state == JobState::Pending)
        .filter_map(|r| Some((r.account_id.as_deref()?, r.order_id.as_deref()?)))
        .collect();
    if orders.is_empty() {
        return Ok(HashSet::new());
    }
    let list: Vec<_> = orders.iter().map(|(a, o)| json!([a, o])).collect();
    let busy: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT j.account_id, j.order_id FROM json_each(?1) AS k \
         CROSS JOIN jobs AS j ON j.account_id = k.value->>0 AND j.order_id = k.value->>1 \
         WHERE j.state IN ('pending', 'in_flight')",
    )
    .bind(serde_json::Value::Array(list).to_string())
    .fetch_all(&mut *conn)
    .await
    .map_err(from_sqlx)?;
    Ok(busy.into_iter().collect())
}

const INSERT_COLUMNS: &str = "INSERT INTO jobs (id, vendor, event_key, order_id, account_id, \
     correlation_key, body, payload, headers, route, rule, request_id, state, attempts, \
     next_attempt_at, lease_owner, lease_until, last_error, received_at, updated_at) VALUES ";
const ROW_PLACEHOLDERS: &str = "(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
/// Largest multi-row insert (20 parameters a row, far below SQLite's 32766).
const MAX_CHUNK: usize = 128;

fn insert_sql(rows: usize) -> String {
    let mut sql = String::with_capacity(INSERT_COLUMNS.len() + rows * 42);
    sql.push_str(INSERT_COLUMNS);
    for k in 0..rows {
        if k > 0 {
            sql.push(',');
        }
        sql.push_str(ROW_PLACEHOLDERS);
    }
    sql
}

/// Inserts the rows in chunks of 128, 64, … 1 rows.
async fn insert_rows(
    conn: &mut SqliteConnection,
    jobs: &[&NewJob],
    rows: &[NewRow],
    lease: Option<&Lease>,
) -> Result<(), StoreError> {
    let mut start = 0;
    while start < rows.len() {
        let left = rows.len() - start;
        let chunk = if left >= MAX_CHUNK {
            MAX_CHUNK
        } else {
            1 << (usize::BITS - 1 - left.leading_zeros())
        };
        let sql = insert_sql(chunk);
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (row, job) in rows[start..start + chunk]
            .iter()
            .zip(&jobs[start..start + chunk])
        {
            let (state, attempts, next, owner, until) = match (row.leased, lease) {
                (true, Some(l)) => (
                    "in_flight",
                    1_i64,
                    None,
                    Some(l.owner.as_str()),
                    Some(l.until_ms),
                ),
                _ if row.state == JobState::Pending => {
                    ("pending", 0, Some(job.received_at_ms), None, None)
                }
                _ => (row.state.as_str(), 0, None, None, None),
            };
            q = q
                .bind(row.id)
                .bind(job.vendor.as_str())
                .bind(job.event_key.as_str())
                .bind(row.order_id.as_deref())
                .bind(row.account_id.as_deref())
                .bind(job.correlation_key.as_deref())
                .bind(job.body.as_deref())
                .bind(job.payload.as_slice())
                .bind(job.headers.as_str())
                .bind(job.route.as_str())
                .bind(job.rule.as_deref())
                .bind(job.request_id.as_str())
                .bind(state)
                .bind(attempts)
                .bind(next)
                .bind(owner)
                .bind(until)
                .bind(row.last_error.as_deref())
                .bind(job.received_at_ms)
                .bind(job.received_at_ms);
        }
        q.execute(&mut *conn).await.map_err(from_sqlx)?;
        start += chunk;
    }
    Ok(())
}
