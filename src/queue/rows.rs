//! Rows as both backends return them (the same column names and SQL types: i64, text, bytes)
//! and their conversion into the public types. Column lists live here too, so every query
//! selects exactly what its row type decodes.

use super::{Callback, Job, JobDetail, JobState, JobSummary, Registration, StoreError};

/// Columns of [`JobRow`], in `SELECT`/`RETURNING` lists.
pub(crate) const JOB_COLUMNS: &str =
    "id, vendor, order_id, account_id, body, attempts, received_at, request_id, event_key, \
     lease_until";

/// Columns of [`SummaryRow`].
pub(crate) const SUMMARY_COLUMNS: &str = "id, vendor, state, order_id, account_id, event_key, \
     attempts, received_at, next_attempt_at, last_status, last_error";

/// Columns of [`DetailRow`].
pub(crate) const DETAIL_COLUMNS: &str = "id, vendor, state, order_id, account_id, event_key, \
     attempts, received_at, next_attempt_at, last_status, last_error, correlation_key, rule, \
     body, payload, headers, route, request_id, last_response, delivered_at, updated_at";

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct JobRow {
    pub(crate) id: i64,
    pub(crate) vendor: String,
    pub(crate) order_id: Option<String>,
    pub(crate) account_id: Option<String>,
    pub(crate) body: Option<String>,
    /// Attempts counted so far, including the one this lease is for.
    pub(crate) attempts: i64,
    pub(crate) received_at: i64,
    pub(crate) request_id: String,
    pub(crate) event_key: String,
    pub(crate) lease_until: Option<i64>,
}

impl JobRow {
    /// A leased row as the worker sees it: `attempts` made before this one.
    pub(crate) fn into_job(self) -> Result<Job, StoreError> {
        let missing = |what: &str| StoreError::Other(format!("job {} has no {what}", self.id));
        Ok(Job {
            order_id: self.order_id.clone().ok_or_else(|| missing("order_id"))?,
            account_id: self
                .account_id
                .clone()
                .ok_or_else(|| missing("account_id"))?,
            body: self.body.clone().ok_or_else(|| missing("body"))?,
            id: self.id,
            vendor: self.vendor,
            attempts: u32::try_from(self.attempts.saturating_sub(1)).unwrap_or(0),
            received_at_ms: self.received_at,
            request_id: self.request_id,
            event_key: self.event_key,
            lease_until_ms: self.lease_until.ok_or_else(|| missing("lease"))?,
        })
    }
}

/// Leased rows come back from `UPDATE … RETURNING` in no particular order; workers get them
/// oldest first.
pub(crate) fn into_jobs(rows: Vec<JobRow>) -> Result<Vec<Job>, StoreError> {
    let mut jobs = rows
        .into_iter()
        .map(JobRow::into_job)
        .collect::<Result<Vec<_>, _>>()?;
    jobs.sort_by_key(|j| j.id);
    Ok(jobs)
}

fn state(s: &str) -> Result<JobState, StoreError> {
    JobState::parse(s).ok_or_else(|| StoreError::Other(format!("unknown job state {s:?}")))
}

fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn http_status(n: Option<i64>) -> Option<u16> {
    n.and_then(|s| u16::try_from(s).ok())
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct SummaryRow {
    id: i64,
    vendor: String,
    state: String,
    order_id: Option<String>,
    account_id: Option<String>,
    event_key: String,
    attempts: i64,
    received_at: i64,
    next_attempt_at: Option<i64>,
    last_status: Option<i64>,
    last_error: Option<String>,
}

impl TryFrom<SummaryRow> for JobSummary {
    type Error = StoreError;
    fn try_from(r: SummaryRow) -> Result<Self, StoreError> {
        Ok(JobSummary {
            id: r.id,
            vendor: r.vendor,
            state: state(&r.state)?,
            order_id: r.order_id,
            account_id: r.account_id,
            event_key: r.event_key,
            attempts: count(r.attempts),
            received_at_ms: r.received_at,
            next_attempt_ms: r.next_attempt_at,
            last_status: http_status(r.last_status),
            last_error: r.last_error,
        })
    }
}

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct DetailRow {
    #[sqlx(flatten)]
    summary: SummaryRow,
    correlation_key: Option<String>,
    rule: Option<String>,
    body: Option<String>,
    payload: Vec<u8>,
    headers: String,
    route: String,
    request_id: String,
    last_response: Option<String>,
    delivered_at: Option<i64>,
    updated_at: i64,
}

impl TryFrom<DetailRow> for JobDetail {
    type Error = StoreError;
    fn try_from(r: DetailRow) -> Result<Self, StoreError> {
        Ok(JobDetail {
            summary: r.summary.try_into()?,
            correlation_key: r.correlation_key,
            rule: r.rule,
            body: r.body,
            payload: r.payload,
            headers: r.headers,
            route: r.route,
            request_id: r.request_id,
            last_response: r.last_response,
            delivered_at_ms: r.delivered_at,
            updated_at_ms: r.updated_at,
        })
    }
}

/// Columns of [`RegistrationRow`].
pub(crate) const REGISTRATION_COLUMNS: &str =
    "vendor, correlation_key, order_id, account_id, created_at, expires_at";

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct RegistrationRow {
    vendor: String,
    correlation_key: String,
    order_id: String,
    account_id: String,
    created_at: i64,
    expires_at: i64,
}

impl From<RegistrationRow> for Registration {
    fn from(r: RegistrationRow) -> Self {
        Registration {
            vendor: r.vendor,
            correlation_key: r.correlation_key,
            order_id: r.order_id,
            account_id: r.account_id,
            created_at_ms: r.created_at,
            expires_at_ms: r.expires_at,
        }
    }
}

/// Columns of [`CallbackRow`].
pub(crate) const CALLBACK_COLUMNS: &str =
    "token_sha256, vendor, order_id, account_id, created_at, expires_at";

#[derive(Debug, sqlx::FromRow)]
pub(crate) struct CallbackRow {
    token_sha256: String,
    vendor: String,
    order_id: String,
    account_id: String,
    created_at: i64,
    expires_at: i64,
}

impl From<CallbackRow> for Callback {
    fn from(r: CallbackRow) -> Self {
        Callback {
            token_sha256: r.token_sha256,
            vendor: r.vendor,
            order_id: r.order_id,
            account_id: r.account_id,
            created_at_ms: r.created_at,
            expires_at_ms: r.expires_at,
        }
    }
}

/// Shared admin-listing limits: 0 means the default page, and no page is unbounded.
pub(crate) fn page_limit(limit: usize) -> i64 {
    match limit {
        0 => 100,
        n => n.min(1000) as i64,
    }
}

/// The outcome of one `Finish`, flattened into the columns `finish_batch` writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FinishRow {
    pub(crate) id: i64,
    pub(crate) state: &'static str,
    pub(crate) next_attempt_at: Option<i64>,
    pub(crate) status: Option<i64>,
    pub(crate) error: Option<String>,
    pub(crate) response: Option<String>,
    pub(crate) at: i64,
}

/// Flattens outcomes, keeping only the last outcome per job (one statement cannot update the
/// same row twice), sorted by id so concurrent finishers lock rows in the same order.
pub(crate) fn finish_rows(outcomes: &[super::Finish]) -> Vec<FinishRow> {
    use super::Finish;
    let mut by_id: std::collections::BTreeMap<i64, FinishRow> = Default::default();
    for f in outcomes {
        let row = match f {
            Finish::Delivered { id, status, at_ms } => FinishRow {
                id: *id,
                state: "delivered",
                next_attempt_at: None,
                status: Some(i64::from(*status)),
                error: None,
                response: None,
                at: *at_ms,
            },
            Finish::Retry {
                id,
                next_attempt_ms,
                status,
                error,
                at_ms,
            } => FinishRow {
                id: *id,
                state: "pending",
                next_attempt_at: Some(*next_attempt_ms),
                status: status.map(i64::from),
                error: Some(error.clone()),
                response: None,
                at: *at_ms,
            },
            Finish::Dead {
                id,
                status,
                error,
                response_body,
                at_ms,
            } => FinishRow {
                id: *id,
                state: "dead",
                next_attempt_at: None,
                status: status.map(i64::from),
                error: Some(error.clone()),
                response: response_body.clone(),
                at: *at_ms,
            },
        };
        by_id.insert(row.id, row);
    }
    by_id.into_values().collect()
}
