//! CONTRACT STUB (queue helper): pure retry schedule.
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base: Duration,
    pub cap: Duration,
    pub max_age: Duration,
    pub max_attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    RetryAt(i64),
    GiveUp(String),
}

pub fn next_attempt(
    _p: &RetryPolicy,
    _attempts_made: u32,
    _received_at_ms: i64,
    _now_ms: i64,
    _retry_after: Option<Duration>,
    _jitter: f64,
) -> Decision {
    todo!("queue helper")
}
