//! When to try a failed delivery again: exponential backoff with full jitter, `Retry-After`
//! honoured as a floor (but never beyond the cap), and the point where we give up (too many
//! attempts, or the next attempt would fall after the job's maximum age). Pure: the caller
//! passes the clock and the random draw, so every rule is tested without sleeping.
//!
//! "Was it a failure worth retrying?" is not decided here: the forwarder classifies the
//! upstream's answer; this module only schedules.

use std::time::Duration;

/// The retry schedule's knobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Backoff ceiling of the first retry; doubles with each attempt.
    pub base: Duration,
    /// Largest delay between two attempts, `Retry-After` included.
    pub cap: Duration,
    /// No attempt is scheduled later than `received_at + max_age`.
    pub max_age: Duration,
    /// Attempts after which the job is dead; 0 = unlimited.
    pub max_attempts: u32,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Try again at this Unix time (ms).
    RetryAt(i64),
    /// Dead-letter the job, for this reason.
    GiveUp(String),
}

fn millis(d: Duration) -> u128 {
    d.as_millis()
}

/// Schedules the attempt after `attempts_made` attempts (counting the one that just failed).
///
/// The delay is `jitter * min(cap, base * 2^(attempts_made - 1))` ("full jitter": retries of
/// many jobs failing together spread over the whole window instead of arriving in waves),
/// raised to `retry_after` when the upstream asked for more, but never above `cap`.
/// `jitter` is a uniform draw from [0, 1); values outside are clamped.
pub fn next_attempt(
    p: &RetryPolicy,
    attempts_made: u32,
    received_at_ms: i64,
    now_ms: i64,
    retry_after: Option<Duration>,
    jitter: f64,
) -> Decision {
    if p.max_attempts != 0 && attempts_made >= p.max_attempts {
        return Decision::GiveUp(format!(
            "gave up after {attempts_made} attempts (max {})",
            p.max_attempts
        ));
    }
    let cap = millis(p.cap);
    // base * 2^(n-1) in u128: base < 2^64 ms and the shift is at most 63, so it cannot overflow.
    let shift = attempts_made.saturating_sub(1).min(63);
    let ceiling = (millis(p.base).min(u128::from(u64::MAX)) << shift).min(cap);
    let jitter = if jitter.is_nan() {
        0.0
    } else {
        jitter.clamp(0.0, 1.0)
    };
    let mut delay = (ceiling as f64 * jitter) as u128;
    if let Some(asked) = retry_after {
        delay = delay.max(millis(asked).min(cap));
    }
    let delay = i64::try_from(delay).unwrap_or(i64::MAX);
    let at = now_ms.saturating_add(delay);
    let max_age = i64::try_from(millis(p.max_age)).unwrap_or(i64::MAX);
    let deadline = received_at_ms.saturating_add(max_age);
    if at > deadline {
        return Decision::GiveUp(format!(
            "gave up after {attempts_made} attempts: the next one would be past the maximum age of {}s",
            p.max_age.as_secs()
        ));
    }
    Decision::RetryAt(at)
}

#[cfg(test)]
#[path = "retry_tests.rs"]
mod tests;
