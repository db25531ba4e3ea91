//! `accept_batch` on PostgreSQL: one transaction, a handful of round trips whatever the batch
//! size (every step binds arrays and `unnest`s them). Steps: advisory locks on the batch's
//! orders and correlation keys (ascending), ids from the sequence (so per order, id order is
//! commit order across replicas), dedupe claims, registration look-ups, the order-head check,
//! then one `INSERT … SELECT FROM unnest(…)`.

use crate::queue::db_error::from_sqlx;
use crate::queue::plan::{self, NewRow};
use crate::queue::{Accepted, Initial, JobState, Lease, NewJob, StoreError};
use sqlx::PgConnection;
use std::collections::{HashMap, HashSet};

pub(super) async fn accept_batch(
    conn: &mut PgConnection,
    jobs: &[NewJob],
    window_ms: i64,
    lease: Option<&Lease>,
) -> Result<Vec<Accepted>, StoreError> {
    for job in jobs {
        plan::validate(job)?;
    }
    let repeats = plan::in_batch_repeats(jobs, window_ms);
    let firsts: Vec<usize> = (0..jobs.len()).filter(|&i| repeats[i].is_none()).collect();

    let keys = plan::lock_keys(firsts.iter().map(|&i| &jobs[i]));
    if !keys.is_empty() {
        sqlx::query("SELECT pg_advisory_xact_lock(k) FROM unnest($1::int8[]) AS k")
            .bind(&keys)
            .execute(&mut *conn)
            .await
            .map_err(from_sqlx)?;
    }
    let mut ids: Vec<i64> = sqlx::query_scalar(
        "SELECT nextval(pg_get_serial_sequence('jobs', 'id')) FROM generate_series(1, $1)",
    )
    .bind(firsts.len() as i64)
    .fetch_all(&mut *conn)
    .await
    .map_err(from_sqlx)?;
    ids.sort_unstable();

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
    if !rows.is_empty() {
        insert_rows(conn, &sources, &rows, lease).await?;
    }
    let inserted: Vec<(usize, &NewRow)> = new.iter().map(|&(i, _)| i).zip(&rows).collect();
    plan::answers(jobs, &repeats, &inserted, &existing)
}

type Claims = (HashSet<i64>, HashMap<(String, String), i64>);

/// Claims the dedupe keys of the first occurrences. Keys go in sorted so two batches that
/// share keys wait on each other in the same order instead of deadlocking; a key another
/// replica is inserting makes this one wait for its commit, then see it as live.
async fn claim_dedupe(
    conn: &mut PgConnection,
    jobs: &[NewJob],
    firsts: &[usize],
    ids: &[i64],
    window_ms: i64,
) -> Result<Claims, StoreError> {
    let mut order: Vec<(usize, i64)> = firsts.iter().copied().zip(ids.iter().copied()).collect();
    order.sort_by(|a, b| {
        let (x, y) = (&jobs[a.0], &jobs[b.0]);
        (&x.vendor, &x.event_key).cmp(&(&y.vendor, &y.event_key))
    });
    let vendors: Vec<&str> = order
        .iter()
        .map(|&(i, _)| jobs[i].vendor.as_str())
        .collect();
    let events: Vec<&str> = order
        .iter()
        .map(|&(i, _)| jobs[i].event_key.as_str())
        .collect();
    let job_ids: Vec<i64> = order.iter().map(|&(_, id)| id).collect();
    let expires: Vec<i64> = order
        .iter()
        .map(|&(i, _)| jobs[i].received_at_ms.saturating_add(window_ms))
        .collect();
    let claimed: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO dedupe (vendor, event_key, job_id, expires_at) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[]) \
         ON CONFLICT (vendor, event_key) DO UPDATE \
           SET job_id = EXCLUDED.job_id, expires_at = EXCLUDED.expires_at \
           WHERE dedupe.expires_at <= EXCLUDED.expires_at - $5 \
         RETURNING job_id",
    )
    .bind(&vendors)
    .bind(&events)
    .bind(&job_ids)
    .bind(&expires)
    .bind(window_ms)
    .fetch_all(&mut *conn)
    .await
    .map_err(from_sqlx)?;
    let claimed: HashSet<i64> = claimed.into_iter().collect();
    let mut existing = HashMap::new();
    if claimed.len() < order.len() {
        let (lost_v, lost_e): (Vec<&str>, Vec<&str>) = order
            .iter()
            .filter(|(_, id)| !claimed.contains(id))
            .map(|&(i, _)| (jobs[i].vendor.as_str(), jobs[i].event_key.as_str()))
            .unzip();
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT d.vendor, d.event_key, d.job_id \
             FROM unnest($1::text[], $2::text[]) AS k(v, e) \
             JOIN dedupe AS d ON d.vendor = k.v AND d.event_key = k.e",
        )
        .bind(&lost_v)
        .bind(&lost_e)
        .fetch_all(&mut *conn)
        .await
        .map_err(from_sqlx)?;
        existing.extend(rows.into_iter().map(|(v, e, id)| ((v, e), id)));
    }
    Ok((claimed, existing))
}

/// Live registrations for new jobs that await their order (input index → (order, account)).
/// The correlation-key locks taken first make this see any registration committed before.
async fn find_registrations(
    conn: &mut PgConnection,
    jobs: &[NewJob],
    new: &[(usize, i64)],
) -> Result<HashMap<usize, (String, String)>, StoreError> {
    let waiting: Vec<usize> = new
        .iter()
        .map(|&(i, _)| i)
        .filter(|&i| jobs[i].initial == Initial::AwaitingOrder)
        .collect();
    if waiting.is_empty() {
        return Ok(HashMap::new());
    }
    let idx: Vec<i64> = waiting.iter().map(|&i| i as i64).collect();
    let vendors: Vec<&str> = waiting.iter().map(|&i| jobs[i].vendor.as_str()).collect();
    let keys: Vec<&str> = waiting
        .iter()
        .map(|&i| jobs[i].correlation_key.as_deref().unwrap_or_default())
        .collect();
    let at: Vec<i64> = waiting.iter().map(|&i| jobs[i].received_at_ms).collect();
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT k.i, r.order_id, r.account_id \
         FROM unnest($1::int8[], $2::text[], $3::text[], $4::int8[]) AS k(i, v, c, t) \
         JOIN registrations AS r ON r.vendor = k.v AND r.correlation_key = k.c \
         WHERE r.expires_at > k.t",
    )
    .bind(&idx)
    .bind(&vendors)
    .bind(&keys)
    .bind(&at)
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
    conn: &mut PgConnection,
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
    let (accounts, order_ids): (Vec<&str>, Vec<&str>) = orders.into_iter().unzip();
    let busy: Vec<(String, String)> = sqlx::query_as(
        "SELECT DISTINCT j.account_id, j.order_id FROM unnest($1::text[], $2::text[]) AS k(a, o) \
         JOIN jobs AS j ON j.account_id = k.a AND j.order_id = k.o \
         WHERE j.state IN ('pending', 'in_flight')",
    )
    .bind(&accounts)
    .bind(&order_ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(from_sqlx)?;
    Ok(busy.into_iter().collect())
}

/// One `INSERT` for the whole batch: each column travels as one array parameter.
async fn insert_rows(
    conn: &mut PgConnection,
    jobs: &[&NewJob],
    rows: &[NewRow],
    lease: Option<&Lease>,
) -> Result<(), StoreError> {
    let n = rows.len();
    let mut state = Vec::with_capacity(n);
    let mut attempts = Vec::with_capacity(n);
    let mut next = Vec::with_capacity(n);
    let mut owner = Vec::with_capacity(n);
    let mut until = Vec::with_capacity(n);
    for (row, job) in rows.iter().zip(jobs) {
        let start = plan::start_columns(row, job, lease);
        state.push(start.state);
        attempts.push(start.attempts);
        next.push(start.next_attempt_at);
        owner.push(start.lease_owner);
        until.push(start.lease_until);
    }
    let id: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let order_id: Vec<Option<&str>> = rows.iter().map(|r| r.order_id.as_deref()).collect();
    let account_id: Vec<Option<&str>> = rows.iter().map(|r| r.account_id.as_deref()).collect();
    let last_error: Vec<Option<&str>> = rows.iter().map(|r| r.last_error.as_deref()).collect();
    let text = |f: fn(&NewJob) -> &str| jobs.iter().map(|j| f(j)).collect::<Vec<&str>>();
    let opt = |f: fn(&NewJob) -> Option<&str>| jobs.iter().map(|j| f(j)).collect::<Vec<_>>();
    let received: Vec<i64> = jobs.iter().map(|j| j.received_at_ms).collect();
    let payload: Vec<&[u8]> = jobs.iter().map(|j| j.payload.as_slice()).collect();
    sqlx::query(
        "INSERT INTO jobs (id, vendor, event_key, order_id, account_id, correlation_key, body, \
           payload, headers, route, rule, request_id, state, attempts, next_attempt_at, \
           lease_owner, lease_until, last_error, received_at, updated_at) \
         SELECT u.*, u.received_at FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[], \
           $5::text[], $6::text[], $7::text[], $8::bytea[], $9::text[], $10::text[], \
           $11::text[], $12::text[], $13::text[], $14::int8[], $15::int8[], $16::text[], \
           $17::int8[], $18::text[], $19::int8[]) AS u(id, vendor, event_key, order_id, \
           account_id, correlation_key, body, payload, headers, route, rule, request_id, state, \
           attempts, next_attempt_at, lease_owner, lease_until, last_error, received_at)",
    )
    .bind(&id)
    .bind(text(|j| &j.vendor))
    .bind(text(|j| &j.event_key))
    .bind(&order_id)
    .bind(&account_id)
    .bind(opt(|j| j.correlation_key.as_deref()))
    .bind(opt(|j| j.body.as_deref()))
    .bind(&payload)
    .bind(text(|j| &j.headers))
    .bind(text(|j| &j.route))
    .bind(opt(|j| j.rule.as_deref()))
    .bind(text(|j| &j.request_id))
    .bind(&state)
    .bind(&attempts)
    .bind(&next)
    .bind(&owner)
    .bind(&until)
    .bind(&last_error)
    .bind(&received)
    .execute(&mut *conn)
    .await
    .map_err(from_sqlx)?;
    Ok(())
}
