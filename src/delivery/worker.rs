//! Worker threads. Each is a thread with its own single-threaded runtime that builds one awc
//! client and runs each delivery as a local task.

use super::{dead_reason, decide, Delivery, DeliveryConfig};
use crate::forward::{self, build_client};
use crate::metrics as m;
use crate::queue::Finisher;
use crate::queue::{Finish, Job};
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::OwnedSemaphorePermit;
use tracing::Instrument;

pub(super) fn spawn_thread(
    n: usize,
    jobs: async_channel::Receiver<Job>,
    finisher: Finisher,
    cfg: Arc<DeliveryConfig>,
    d: Delivery,
) {
    // A plain thread with a single-threaded runtime and a `LocalSet`: the non-`Send` client and
    // its connection pool live here, and awc's internal `spawn_local` calls have a local set.
    let spawned = std::thread::Builder::new()
        .name(format!("relay-delivery-{n}"))
        .spawn(move || {
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::error!(worker = n, error = %e, "cannot start a delivery runtime");
                    return;
                }
            };
            tokio::task::LocalSet::new().block_on(&rt, run(n, jobs, finisher, cfg, d));
        });
    if let Err(e) = spawned {
        tracing::error!(worker = n, error = %e, "delivery worker thread did not start");
    }
}

async fn run(
    n: usize,
    jobs: async_channel::Receiver<Job>,
    finisher: Finisher,
    cfg: Arc<DeliveryConfig>,
    d: Delivery,
) {
    d.alive.fetch_add(1, Ordering::Relaxed);
    let client = Rc::new(build_client(cfg.client));
    tracing::debug!(worker = n, "delivery worker started");
    loop {
        // Take a permit first so a job is only taken off the channel when it can start.
        let permit = tokio::select! {
            _ = d.stop.cancelled() => break,
            p = d.semaphore.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
        };
        let job = tokio::select! {
            _ = d.stop.cancelled() => break,
            j = jobs.recv() => match j { Ok(j) => j, Err(_) => break },
        };
        if !lease_covers_an_attempt(&job, &cfg, chrono::Utc::now().timestamp_millis()) {
            // It waited too long behind a slow upstream: its lease may run out mid-attempt and
            // another worker take it. Leave it; once the lease expires the poller hands it out.
            tracing::debug!(
                delivery_id = job.id,
                lease_until_ms = job.lease_until_ms,
                "lease too short for an attempt; left to expire"
            );
            continue;
        }
        let (client, finisher, cfg, d2) =
            (client.clone(), finisher.clone(), cfg.clone(), d.clone());
        tokio::task::spawn_local(d.tracker.track_future(async move {
            deliver(&client, &finisher, &cfg, job, permit).await;
            d2.delivered_one();
        }));
    }
    d.alive.fetch_sub(1, Ordering::Relaxed);
    // Returning would drop this thread's local tasks mid-delivery; wait for them (shutdown gives
    // them a deadline and then releases their leases).
    d.tracker.wait().await;
    tracing::debug!(worker = n, "delivery worker stopped");
}

/// Whether an attempt started at `now_ms` ends (at the latest, at the forward timeout) before the
/// job's lease does. (`RELAY_LEASE_MS` must exceed `RELAY_FORWARD_TIMEOUT_MS`; the difference
/// is how long a leased job may wait for a worker.)
fn lease_covers_an_attempt(job: &Job, cfg: &DeliveryConfig, now_ms: i64) -> bool {
    let attempt_ms = i64::try_from(cfg.client.timeout.as_millis()).unwrap_or(i64::MAX);
    now_ms.saturating_add(attempt_ms) <= job.lease_until_ms
}

/// One attempt: PATCH, classify, decide, record. Never panics on upstream input; a failure to
/// record leaves the lease to expire, so the job is tried again (at-least-once). Its log lines
/// carry the request id of the acceptance.
async fn deliver(
    client: &awc::Client,
    finisher: &Finisher,
    cfg: &DeliveryConfig,
    job: Job,
    permit: OwnedSemaphorePermit,
) {
    let span = tracing::info_span!("delivery", delivery_id = job.id, request_id = %job.request_id, vendor = %job.vendor, order_id = %job.order_id, attempt = job.attempts + 1);
    attempt(client, finisher, cfg, job, permit)
        .instrument(span)
        .await
}

async fn attempt(
    client: &awc::Client,
    finisher: &Finisher,
    cfg: &DeliveryConfig,
    job: Job,
    permit: OwnedSemaphorePermit,
) {
    let req = forward::Delivery {
        delivery_id: job.id,
        order_id: &job.order_id,
        account_id: &job.account_id,
        body: &job.body,
        request_id: &job.request_id,
    };
    let (outcome, took) = forward::send(client, &cfg.target, &req).await;
    // The delivery slot bounds requests to the upstream; recording the outcome does not need
    // it (the lease still guards the job), and holding it through the commit would pace
    // deliveries at the store's commit latency.
    drop(permit);
    let class = outcome.status_class();
    metrics::histogram!(m::UPSTREAM_SECONDS).record(took.as_secs_f64());
    let now = chrono::Utc::now().timestamp_millis();
    let finish = decide(&job, outcome, &cfg.policy, now, rand::random::<f64>());
    let label = match &finish {
        Finish::Delivered { status, .. } => {
            tracing::info!(status, latency_ms = took.as_millis() as u64, "delivered");
            "delivered"
        }
        Finish::Retry {
            status,
            error,
            next_attempt_ms,
            ..
        } => {
            metrics::counter!(m::RETRIES, "vendor" => job.vendor.clone()).increment(1);
            tracing::warn!(status, error = %error, retry_in_ms = next_attempt_ms - now, "delivery failed; will retry");
            "retry"
        }
        Finish::Dead { status, error, .. } => {
            let reason = dead_reason(&finish).unwrap_or("unknown");
            metrics::counter!(m::DEAD_LETTERS, "vendor" => job.vendor.clone(), "reason" => reason)
                .increment(1);
            tracing::error!(status, error = %error, "delivery dead-lettered");
            "dead"
        }
    };
    metrics::counter!(m::DELIVERIES, "outcome" => label, "status_class" => class).increment(1);
    if let Err(e) = finisher.record(finish).await {
        tracing::error!(error = %e, "could not record the delivery outcome; the job will be tried again when its lease expires");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forward::{ClientOptions, Target};
    use crate::queue::retry::RetryPolicy;
    use std::time::Duration;

    fn cfg() -> DeliveryConfig {
        DeliveryConfig {
            target: Target::new("http://127.0.0.1:1", &crate::domain::Secret::new("k")),
            client: ClientOptions {
                timeout: Duration::from_secs(10),
                max_connections: 1,
            },
            concurrency: 1,
            threads: 1,
            policy: RetryPolicy {
                base: Duration::from_secs(1),
                cap: Duration::from_secs(1),
                max_age: Duration::from_secs(1),
                max_attempts: 0,
            },
            owner: "w".into(),
            lease_ms: 60_000,
            poll_interval: Duration::from_secs(1),
        }
    }

    fn job(lease_until_ms: i64) -> Job {
        Job {
            id: 1,
            vendor: "v".into(),
            order_id: "o".into(),
            account_id: "a".into(),
            body: "{}".into(),
            attempts: 0,
            received_at_ms: 0,
            request_id: String::new(),
            event_key: String::new(),
            lease_until_ms,
        }
    }

    #[test]
    fn a_job_is_attempted_only_while_its_lease_outlasts_the_attempt() {
        let now = 1_000_000;
        assert!(lease_covers_an_attempt(&job(now + 60_000), &cfg(), now));
        assert!(
            lease_covers_an_attempt(&job(now + 10_000), &cfg(), now),
            "the timeout exactly"
        );
        assert!(!lease_covers_an_attempt(&job(now + 9_999), &cfg(), now));
        assert!(
            !lease_covers_an_attempt(&job(now - 1), &cfg(), now),
            "an expired lease"
        );
    }
}
