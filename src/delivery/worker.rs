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
        let (client, finisher, cfg, d2) =
            (client.clone(), finisher.clone(), cfg.clone(), d.clone());
        tokio::task::spawn_local(d.tracker.track_future(async move {
            deliver(&client, &finisher, &cfg, job).await;
            drop(permit);
            d2.kick();
        }));
    }
    d.alive.fetch_sub(1, Ordering::Relaxed);
    // Returning would drop this thread's local tasks mid-delivery; wait for them (shutdown gives
    // them a deadline and then releases their leases).
    d.tracker.wait().await;
    tracing::debug!(worker = n, "delivery worker stopped");
}

/// One attempt: PATCH, classify, decide, record. Never panics on upstream input; a failure to
/// record leaves the lease to expire, so the job is tried again (at-least-once).
async fn deliver(client: &awc::Client, finisher: &Finisher, cfg: &DeliveryConfig, job: Job) {
    let span = tracing::info_span!("delivery", delivery_id = job.id, request_id = %job.request_id, vendor = %job.vendor, order_id = %job.order_id, attempt = job.attempts + 1);
    let _enter = span.enter();
    let req = forward::Delivery {
        delivery_id: job.id,
        order_id: &job.order_id,
        account_id: &job.account_id,
        body: &job.body,
        request_id: &job.request_id,
    };
    drop(_enter);
    let (outcome, took) = forward::send(client, &cfg.target, &req).await;
    let _enter = span.enter();
    let class = outcome.status_class();
    m::observe(m::UPSTREAM_SECONDS, &[], took);
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
            m::count(m::RETRIES, &[("vendor", job.vendor.clone())]);
            tracing::warn!(status, error = %error, retry_in_ms = next_attempt_ms - now, "delivery failed; will retry");
            "retry"
        }
        Finish::Dead { status, error, .. } => {
            let reason = dead_reason(&finish).unwrap_or("unknown");
            m::count(
                m::DEAD_LETTERS,
                &[("vendor", job.vendor.clone()), ("reason", reason.into())],
            );
            tracing::error!(status, error = %error, "delivery dead-lettered");
            "dead"
        }
    };
    m::count(
        m::DELIVERIES,
        &[("outcome", label.into()), ("status_class", class.into())],
    );
    drop(_enter);
    if let Err(e) = finisher.finish(finish).await {
        tracing::error!(parent: &span, error = %e, "could not record the delivery outcome; the job will be tried again when its lease expires");
    }
}
