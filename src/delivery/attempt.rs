//! Turning one attempt's [`Outcome`] into what the store records. Pure: the clock and the jitter
//! are inputs, so every branch is unit-tested.

use crate::forward::Outcome;
use crate::queue::retry::{next_attempt, Decision, RetryPolicy};
use crate::queue::{Finish, Job};

/// Why a job is dead-lettered, as a metric label.
pub fn dead_reason(f: &Finish) -> Option<&'static str> {
    match f {
        Finish::Dead {
            status: Some(_), ..
        } => Some("upstream_rejected"),
        Finish::Dead { status: None, .. } => Some("retries_exhausted"),
        _ => None,
    }
}

/// What to record after attempt number `job.attempts + 1` ended with `outcome` at `now_ms`.
pub fn decide(
    job: &Job,
    outcome: Outcome,
    policy: &RetryPolicy,
    now_ms: i64,
    jitter: f64,
) -> Finish {
    match outcome {
        Outcome::Delivered { status } => Finish::Delivered {
            id: job.id,
            status,
            at_ms: now_ms,
        },
        Outcome::Permanent { status, body } => Finish::Dead {
            id: job.id,
            status: Some(status),
            error: format!("upstream refused the result with {status}"),
            response_body: Some(body),
            at_ms: now_ms,
        },
        Outcome::Retry {
            status,
            retry_after,
            reason,
        } => {
            match next_attempt(
                policy,
                job.attempts + 1,
                job.received_at_ms,
                now_ms,
                retry_after,
                jitter,
            ) {
                Decision::RetryAt(at) => Finish::Retry {
                    id: job.id,
                    next_attempt_ms: at,
                    status,
                    error: reason,
                    at_ms: now_ms,
                },
                Decision::GiveUp(why) => Finish::Dead {
                    id: job.id,
                    // Keep the last status for the operator, but the reason is exhaustion.
                    status: None,
                    error: format!("{reason}; gave up: {why}"),
                    response_body: None,
                    at_ms: now_ms,
                },
            }
        }
    }
}
