//! The backend-independent half of `accept_batch`: which inputs repeat an earlier one of the
//! same batch, which advisory locks to take, what state each new row starts in, and which new
//! rows may be leased at once. Pure, so the rules are unit-tested once for both backends; the
//! backends only run the SQL between these steps.

use super::{Accepted, Initial, JobState, Lease, NewJob, StoreError};
use std::collections::{HashMap, HashSet};

/// Why a result that never got its order is dead-lettered by `expire_correlation`.
pub(crate) const NO_ORDER_REASON: &str =
    "no order registered for its correlation key within the wait (RELAY_CORRELATION_WAIT_S)";

/// Rejects jobs that could never be delivered or replayed, before anything is written: a
/// pending job needs its order, account and body; a job awaiting its order needs a body and
/// the correlation key that will release it.
pub(crate) fn validate(job: &NewJob) -> Result<(), StoreError> {
    let missing = match job.initial {
        Initial::Pending => {
            if job.order_id.is_none() {
                Some("order_id")
            } else if job.account_id.is_none() {
                Some("account_id")
            } else if job.body.is_none() {
                Some("body")
            } else {
                None
            }
        }
        Initial::AwaitingOrder => {
            if job.correlation_key.is_none() {
                Some("correlation_key")
            } else if job.body.is_none() {
                Some("body")
            } else {
                None
            }
        }
        Initial::Dead { .. } => None,
    };
    match missing {
        Some(field) => Err(StoreError::Other(format!(
            "job {} of {} has no {field} for its initial state",
            job.request_id, job.vendor
        ))),
        None => Ok(()),
    }
}

/// For each input, the index of an earlier input of the same batch with the same
/// `(vendor, event_key)`, if any. Repeats inside one batch are duplicates of the first
/// occurrence (a batch spans milliseconds, far less than any dedupe window); with a window of
/// zero or less dedupe is off and nothing repeats.
pub(crate) fn in_batch_repeats(jobs: &[NewJob], dedupe_window_ms: i64) -> Vec<Option<usize>> {
    if dedupe_window_ms <= 0 {
        return vec![None; jobs.len()];
    }
    let mut first: HashMap<(&str, &str), usize> = HashMap::with_capacity(jobs.len());
    jobs.iter()
        .enumerate()
        .map(|(i, j)| {
            let key = (j.vendor.as_str(), j.event_key.as_str());
            match first.get(&key) {
                Some(&earlier) => Some(earlier),
                None => {
                    first.insert(key, i);
                    None
                }
            }
        })
        .collect()
}

/// A stable 64-bit key for a PostgreSQL advisory lock (FNV-1a over a namespaced string, so
/// every replica computes the same key for the same order or correlation key).
fn lock_key(namespace: u8, a: &str, b: &str) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &x in bytes {
            h ^= u64::from(x);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    eat(&[namespace]);
    eat(a.as_bytes());
    eat(&[0x1f]);
    eat(b.as_bytes());
    h as i64
}

/// Lock key serialising inserts of one order's jobs across replicas (id order = commit order).
pub(crate) fn order_lock(account_id: &str, order_id: &str) -> i64 {
    lock_key(b'o', account_id, order_id)
}

/// Lock key serialising "result awaits its registration" against "registration arrives".
pub(crate) fn correlation_lock(vendor: &str, key: &str) -> i64 {
    lock_key(b'c', vendor, key)
}

/// Advisory locks for the given inputs, sorted and unique (every transaction takes its locks
/// in ascending order, so two batches never deadlock on them).
pub(crate) fn lock_keys<'a>(jobs: impl IntoIterator<Item = &'a NewJob>) -> Vec<i64> {
    let mut keys: Vec<i64> = jobs
        .into_iter()
        .filter_map(|j| match (&j.initial, &j.account_id, &j.order_id) {
            (Initial::Pending, Some(a), Some(o)) => Some(order_lock(a, o)),
            (Initial::AwaitingOrder, _, _) => j
                .correlation_key
                .as_deref()
                .map(|k| correlation_lock(&j.vendor, k)),
            _ => None,
        })
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// How one new row is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewRow {
    pub(crate) id: i64,
    pub(crate) state: JobState,
    pub(crate) order_id: Option<String>,
    pub(crate) account_id: Option<String>,
    pub(crate) last_error: Option<String>,
    pub(crate) leased: bool,
}

/// The queue columns a new row is inserted with.
#[derive(Debug, PartialEq)]
pub(crate) struct StartColumns<'a> {
    pub(crate) state: &'static str,
    pub(crate) attempts: i64,
    pub(crate) next_attempt_at: Option<i64>,
    pub(crate) lease_owner: Option<&'a str>,
    pub(crate) lease_until: Option<i64>,
}

/// A row leased on insert is in flight with its first attempt counted; a pending one is due at
/// once; any other (awaiting its order, dead) waits for something else to move it.
pub(crate) fn start_columns<'a>(
    row: &NewRow,
    job: &NewJob,
    lease: Option<&'a Lease>,
) -> StartColumns<'a> {
    let (state, attempts, next_attempt_at, lease_owner, lease_until) = match (row.leased, lease) {
        (true, Some(l)) => (
            "in_flight",
            1,
            None,
            Some(l.owner.as_str()),
            Some(l.until_ms),
        ),
        _ if row.state == JobState::Pending => ("pending", 0, Some(job.received_at_ms), None, None),
        _ => (row.state.as_str(), 0, None, None, None),
    };
    StartColumns {
        state,
        attempts,
        next_attempt_at,
        lease_owner,
        lease_until,
    }
}

/// Decides the first state of a new row. `registered` is the live registration found for an
/// awaiting job's correlation key, if any: it turns the job pending (the registration won the
/// race) but never leased, because the caller's `NewJob` does not carry the order it got.
pub(crate) fn initial_row(job: &NewJob, id: i64, registered: Option<&(String, String)>) -> NewRow {
    let (state, order_id, account_id, last_error) = match (&job.initial, registered) {
        (Initial::Pending, _) => (
            JobState::Pending,
            job.order_id.clone(),
            job.account_id.clone(),
            None,
        ),
        (Initial::AwaitingOrder, Some((order, account))) => (
            JobState::Pending,
            Some(order.clone()),
            Some(account.clone()),
            None,
        ),
        (Initial::AwaitingOrder, None) => (
            JobState::AwaitingOrder,
            job.order_id.clone(),
            job.account_id.clone(),
            None,
        ),
        (Initial::Dead { reason }, _) => (
            JobState::Dead,
            job.order_id.clone(),
            job.account_id.clone(),
            Some(reason.clone()),
        ),
    };
    NewRow {
        id,
        state,
        order_id,
        account_id,
        last_error,
        leased: false,
    }
}

/// Marks as leased each row that was submitted `Pending` and is the head of its order: no
/// older unfinished job of the order in the database (`busy`) nor earlier in this batch.
/// `rows` are in id order, paired with the job each came from.
pub(crate) fn choose_leased(
    rows: &mut [NewRow],
    jobs: &[&NewJob],
    busy: &HashSet<(String, String)>,
) {
    let mut seen: HashSet<(String, String)> = HashSet::new();
    for (row, job) in rows.iter_mut().zip(jobs) {
        if row.state != JobState::Pending {
            continue;
        }
        let (Some(a), Some(o)) = (&row.account_id, &row.order_id) else {
            continue;
        };
        let key = (a.clone(), o.clone());
        let head = !busy.contains(&key) && !seen.contains(&key);
        seen.insert(key);
        row.leased = head && job.initial == Initial::Pending;
    }
}

/// The answers of a batch, in input order. `new` pairs each inserted row with its input
/// index; `existing` holds the job id behind every live dedupe key that was not claimed.
/// A repeat inside the batch answers `Duplicate` of whatever its first occurrence became.
pub(crate) fn answers(
    jobs: &[NewJob],
    repeats: &[Option<usize>],
    new: &[(usize, &NewRow)],
    existing: &HashMap<(String, String), i64>,
) -> Result<Vec<Accepted>, StoreError> {
    let mut first: Vec<Option<Accepted>> = vec![None; jobs.len()];
    for &(i, row) in new {
        first[i] = Some(Accepted::New {
            id: row.id,
            leased: row.leased,
        });
    }
    (0..jobs.len())
        .map(|i| {
            let f = repeats[i].unwrap_or(i);
            match first[f] {
                Some(Accepted::New { id, .. }) if f != i => Ok(Accepted::Duplicate { id }),
                Some(a) => Ok(a),
                None => {
                    let key = (jobs[f].vendor.clone(), jobs[f].event_key.clone());
                    existing
                        .get(&key)
                        .map(|&id| Accepted::Duplicate { id })
                        .ok_or_else(|| {
                            StoreError::Other("dedupe key vanished inside its transaction".into())
                        })
                }
            }
        })
        .collect()
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
