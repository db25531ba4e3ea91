//! `accept_batch` on SQLite, run on the write thread: the whole batch in one `BEGIN IMMEDIATE`
//! transaction (one commit; `wal_sync` makes it durable). The thread's connection owns the
//! write lock for the transaction, so ids can be taken after the highest one up front and the
//! dedupe, registration and order-head checks see every earlier commit. Dedupe keys are
//! claimed, order heads checked and rows inserted one cached statement each; the rarer
//! look-ups (who holds a live dedupe key, which registrations exist) take their key lists as
//! one JSON parameter (`json_each`), one cached statement whatever the batch size. `CROSS
//! JOIN` pins the key list as the outer loop (SQLite's planner, without statistics, would
//! otherwise walk an index once per key).

use crate::queue::db_error::from_rusqlite;
use crate::queue::plan::{self, NewRow};
use crate::queue::{Accepted, JobState, Lease, NewJob, StoreError};
use rusqlite::{params, Connection};
use serde_json::json;
use std::collections::{HashMap, HashSet};

pub(super) fn accept_batch(
    conn: &Connection,
    jobs: &[NewJob],
    window_ms: i64,
    lease: Option<&Lease>,
) -> Result<Vec<Accepted>, StoreError> {
    for job in jobs {
        plan::validate(job)?;
    }
    let repeats = plan::in_batch_repeats(jobs, window_ms);
    let firsts: Vec<usize> = (0..jobs.len()).filter(|&i| repeats[i].is_none()).collect();

    // Ids are never reused: retention keeps the newest job, and the mark is the counter the
    // table had before migration 0006 (see there).
    let last_id: i64 = conn
        .prepare_cached(
            "SELECT MAX(COALESCE((SELECT MAX(id) FROM jobs), 0), \
               (SELECT last_id FROM jobs_id_mark))",
        )
        .and_then(|mut q| q.query_row([], |r| r.get(0)))
        .map_err(from_rusqlite)?;
    // Tentative id of each first occurrence; a duplicate leaves a gap, which is harmless.
    let ids: Vec<i64> = (1..=firsts.len() as i64).map(|k| last_id + k).collect();

    let (claimed, existing) = if window_ms > 0 {
        claim_dedupe(conn, jobs, &firsts, &ids, window_ms)?
    } else {
        (ids.iter().copied().collect(), HashMap::new())
    };

    let new: Vec<(usize, i64)> = firsts
        .iter()
        .zip(&ids)
        .filter(|(_, id)| claimed.contains(id))
        .map(|(&i, &id)| (i, id))
        .collect();
    let registered = find_registrations(conn, jobs, &new)?;
    let mut rows: Vec<NewRow> = new
        .iter()
        .map(|&(i, id)| plan::initial_row(&jobs[i], id, registered.get(&i)))
        .collect();
    let sources: Vec<&NewJob> = new.iter().map(|&(i, _)| &jobs[i]).collect();
    if lease.is_some() {
        let busy = busy_orders(conn, &rows)?;
        plan::choose_leased(&mut rows, &sources, &busy);
    }
    insert_rows(conn, &sources, &rows, lease)?;

    let inserted: Vec<(usize, &NewRow)> = new.iter().map(|&(i, _)| i).zip(&rows).collect();
    plan::answers(jobs, &repeats, &inserted, &existing)
}

/// Tentative ids whose dedupe key was claimed, and for each key that was not, the job holding it.
type Claims = (HashSet<i64>, HashMap<(String, String), i64>);

/// Claims the dedupe key of each first occurrence: a new key, or one whose window has passed,
/// takes the new job's id; a live key stays and its job id is returned for the duplicate.
///
/// One cached upsert per key, whose change count says which: one statement over a JSON list
/// with `RETURNING` cost more (building and parsing the JSON, extracting each field, and a
/// temporary table for the returned rows) than the per-key calls on this thread.
fn claim_dedupe(
    conn: &Connection,
    jobs: &[NewJob],
    firsts: &[usize],
    ids: &[i64],
    window_ms: i64,
) -> Result<Claims, StoreError> {
    let mut upsert = conn
        .prepare_cached(
            "INSERT INTO dedupe (vendor, event_key, job_id, expires_at) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (vendor, event_key) DO UPDATE \
               SET job_id = excluded.job_id, expires_at = excluded.expires_at \
               WHERE dedupe.expires_at <= excluded.expires_at - ?5",
        )
        .map_err(from_rusqlite)?;
    let mut claimed = HashSet::with_capacity(firsts.len());
    let mut lost = Vec::new();
    for (&i, &id) in firsts.iter().zip(ids) {
        let j = &jobs[i];
        let expires_at = j.received_at_ms.saturating_add(window_ms);
        let changed = upsert
            .execute(params![j.vendor, j.event_key, id, expires_at, window_ms])
            .map_err(from_rusqlite)?;
        if changed == 1 {
            claimed.insert(id);
        } else {
            lost.push(json!([j.vendor, j.event_key]));
        }
    }
    let mut existing = HashMap::new();
    if !lost.is_empty() {
        let rows: Vec<(String, String, i64)> = conn
            .prepare_cached(
                "SELECT d.vendor, d.event_key, d.job_id FROM json_each(?1) AS k \
                 CROSS JOIN dedupe AS d ON d.vendor = k.value->>0 AND d.event_key = k.value->>1",
            )
            .and_then(|mut q| {
                let list = serde_json::Value::Array(lost).to_string();
                q.query_map([list], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect()
            })
            .map_err(from_rusqlite)?;
        existing.extend(rows.into_iter().map(|(v, e, id)| ((v, e), id)));
    }
    Ok((claimed, existing))
}

/// Live registrations for new jobs that await their order (input index → (order, account)).
fn find_registrations(
    conn: &Connection,
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
    let rows: Vec<(i64, String, String)> = conn
        .prepare_cached(
            "SELECT k.value->>0, r.order_id, r.account_id FROM json_each(?1) AS k \
             CROSS JOIN registrations AS r \
               ON r.vendor = k.value->>1 AND r.correlation_key = k.value->>2 \
             WHERE r.expires_at > k.value->>3",
        )
        .and_then(|mut q| {
            let list = serde_json::Value::Array(wanted).to_string();
            q.query_map([list], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect()
        })
        .map_err(from_rusqlite)?;
    Ok(rows
        .into_iter()
        .map(|(i, o, a)| (i as usize, (o, a)))
        .collect())
}

/// Orders among `rows` that already have an unfinished (pending or in-flight) job: one cached
/// look-up per order in `jobs_order_head` (cheaper here than one statement over a JSON list,
/// as for the dedupe claim).
fn busy_orders(
    conn: &Connection,
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
    let mut unfinished = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM jobs WHERE account_id = ?1 AND order_id = ?2 \
               AND state IN ('pending', 'in_flight'))",
        )
        .map_err(from_rusqlite)?;
    let mut busy = HashSet::new();
    for (account, order) in orders {
        let found: bool = unfinished
            .query_row(params![account, order], |r| r.get(0))
            .map_err(from_rusqlite)?;
        if found {
            busy.insert((account.to_owned(), order.to_owned()));
        }
    }
    Ok(busy)
}

const INSERT_JOB: &str = "INSERT INTO jobs (id, vendor, event_key, order_id, account_id, \
     correlation_key, route, rule, request_id, state, attempts, next_attempt_at, lease_owner, \
     lease_until, last_error, received_at, updated_at) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16)";
/// The write-once columns, in their own table (see migrations/sqlite/0002_job_data.sql).
const INSERT_DATA: &str =
    "INSERT INTO job_data (id, body, payload, headers) VALUES (?1, ?2, ?3, ?4)";

/// Inserts the rows, one cached statement each (no round trip per row on this thread).
fn insert_rows(
    conn: &Connection,
    jobs: &[&NewJob],
    rows: &[NewRow],
    lease: Option<&Lease>,
) -> Result<(), StoreError> {
    let mut insert = conn.prepare_cached(INSERT_JOB).map_err(from_rusqlite)?;
    let mut data = conn.prepare_cached(INSERT_DATA).map_err(from_rusqlite)?;
    for (row, job) in rows.iter().zip(jobs) {
        let start = plan::start_columns(row, job, lease);
        insert
            .execute(params![
                row.id,
                job.vendor,
                job.event_key,
                row.order_id,
                row.account_id,
                job.correlation_key,
                job.route,
                job.rule,
                job.request_id,
                start.state,
                start.attempts,
                start.next_attempt_at,
                start.lease_owner,
                start.lease_until,
                row.last_error,
                job.received_at_ms,
            ])
            .map_err(from_rusqlite)?;
        data.execute(params![row.id, job.body, job.payload, job.headers])
            .map_err(from_rusqlite)?;
    }
    Ok(())
}
/// `write_batch` in one transaction: acceptances and outcomes together (one commit for both).
pub(super) fn write_both(
    tx: &rusqlite::Transaction<'_>,
    jobs: &[NewJob],
    dedupe_window_ms: i64,
    lease: Option<&Lease>,
    owner: &str,
    outcomes: &[crate::queue::Finish],
) -> Result<(Vec<Accepted>, u64), StoreError> {
    let accepted = if jobs.is_empty() {
        Vec::new()
    } else {
        accept_batch(tx, jobs, dedupe_window_ms, lease)?
    };
    let finished = super::lease::finish_batch(tx, owner, outcomes)?;
    Ok((accepted, finished))
}
