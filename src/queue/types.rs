//! Plain data moved in and out of the store.

use serde::{Deserialize, Serialize};

pub type JobId = i64;

/// `Clone` so a failed group commit can answer every caller in the batch with the same error.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or timed out: callers answer 503 and retry later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Anything else (constraint, migration, decode).
    #[error("store error: {0}")]
    Other(String),
}

/// Store tuning taken from `Settings`.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub pool_size: u32,
    pub statement_timeout_ms: u64,
}

/// A lease: who holds a job and until when (Unix ms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub owner: String,
    pub until_ms: i64,
}

/// Lifecycle of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for its first or next attempt.
    Pending,
    /// Leased by a worker that is delivering it.
    InFlight,
    /// The upstream answered 2xx.
    Delivered,
    /// Given up: permanent upstream error, retries exhausted, unmappable, or never correlated.
    Dead,
    /// Verified and translated, but its order is not registered yet (correlation race).
    AwaitingOrder,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::InFlight => "in_flight",
            Self::Delivered => "delivered",
            Self::Dead => "dead",
            Self::AwaitingOrder => "awaiting_order",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::InFlight,
            Self::Delivered,
            Self::Dead,
            Self::AwaitingOrder,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// How a new job enters the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Initial {
    Pending,
    AwaitingOrder,
    /// Verified but not deliverable (mapping error): stored for replay after a fix.
    Dead {
        reason: String,
    },
}

/// A verified (and, unless dead, translated) webhook to commit.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub vendor: String,
    /// Dedupe key: the mapping's event id, or the hex SHA-256 of the body.
    pub event_key: String,
    pub order_id: Option<String>,
    pub account_id: Option<String>,
    pub correlation_key: Option<String>,
    /// The StackOne body (JSON text); `None` for an unmappable dead letter.
    pub body: Option<String>,
    /// The exact verified payload, kept for re-translation on replay.
    pub payload: Vec<u8>,
    /// JSON: the headers the mapping reads (`domain::Headers`).
    pub headers: String,
    /// JSON: route parameters (`mapping::RouteParams`).
    pub route: String,
    pub rule: Option<String>,
    pub request_id: String,
    pub received_at_ms: i64,
    pub initial: Initial,
}

/// Per input job of `accept_batch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    New { id: JobId, leased: bool },
    Duplicate { id: JobId },
}

/// A leased job, ready to PATCH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: JobId,
    pub vendor: String,
    pub order_id: String,
    pub account_id: String,
    pub body: String,
    /// Attempts made before this one.
    pub attempts: u32,
    pub received_at_ms: i64,
    pub request_id: String,
    pub event_key: String,
    /// When this lease runs out (Unix ms): past it, another worker may take the job, so a
    /// worker must not start an attempt that could still be running then.
    pub lease_until_ms: i64,
}

/// What happened to one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    Delivered {
        id: JobId,
        status: u16,
        at_ms: i64,
    },
    Retry {
        id: JobId,
        next_attempt_ms: i64,
        status: Option<u16>,
        error: String,
        at_ms: i64,
    },
    Dead {
        id: JobId,
        status: Option<u16>,
        error: String,
        response_body: Option<String>,
        at_ms: i64,
    },
}

/// Replacement values when replaying with re-translation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewrite {
    pub order_id: String,
    pub account_id: String,
    pub body: String,
    pub rule: Option<String>,
}

/// Admin filters; all optional.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub state: Option<JobState>,
    pub vendor: Option<String>,
    pub order_id: Option<String>,
    pub before_id: Option<JobId>,
    pub limit: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobSummary {
    pub id: JobId,
    pub vendor: String,
    pub state: JobState,
    pub order_id: Option<String>,
    pub account_id: Option<String>,
    pub event_key: String,
    pub attempts: u32,
    pub received_at_ms: i64,
    pub next_attempt_ms: Option<i64>,
    pub last_status: Option<u16>,
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobDetail {
    #[serde(flatten)]
    pub summary: JobSummary,
    pub correlation_key: Option<String>,
    pub rule: Option<String>,
    pub body: Option<String>,
    /// The vendor's payload; shown as text (it is JSON the vendor sent) wherever it is printed.
    #[serde(serialize_with = "as_text")]
    pub payload: Vec<u8>,
    pub headers: String,
    pub route: String,
    pub request_id: String,
    pub last_response: Option<String>,
    pub delivered_at_ms: Option<i64>,
    pub updated_at_ms: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct QueueStats {
    pub pending: u64,
    pub in_flight: u64,
    /// `None` when not counted (see `Store::stats`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered: Option<u64>,
    pub dead: u64,
    pub awaiting_order: u64,
    /// Age of the oldest pending/in-flight/awaiting job, ms (0 when none).
    pub oldest_undelivered_age_ms: i64,
}

/// A correlation registration: what the vendor will send back → the order it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub vendor: String,
    pub correlation_key: String,
    pub order_id: String,
    pub account_id: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
}

/// A per-invite callback URL's binding; the token itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Callback {
    pub token_sha256: String,
    pub vendor: String,
    pub order_id: String,
    pub account_id: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
}

fn as_text<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(bytes))
}
