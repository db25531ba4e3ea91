//! Delivering committed jobs. Leased jobs arrive on one channel — straight from acceptance (the
//! fast path: committed already leased) or from the [`poller`] (retries, successors in an order,
//! expired leases, other replicas' work). Worker threads each own an awc client (it is not
//! `Send`) and run deliveries as local tasks; one semaphore bounds deliveries in flight over all
//! threads. The outcome goes to the store through the batched `Finisher`.

mod attempt;
mod poller;
mod worker;

pub use attempt::{dead_reason, decide};

use crate::forward::{ClientOptions, Target};
use crate::queue::retry::RetryPolicy;
use crate::queue::Finisher;
use crate::queue::{Job, Store};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Delivery settings taken from `Settings`.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    pub target: Target,
    pub client: ClientOptions,
    pub concurrency: usize,
    pub threads: usize,
    pub policy: RetryPolicy,
    /// This replica's lease owner name.
    pub owner: String,
    pub lease_ms: i64,
    /// Longest the poller sleeps when nothing kicks it.
    pub poll_interval: Duration,
}

/// What the rest of the process holds to feed and stop delivery.
#[derive(Debug, Clone)]
pub struct Delivery {
    jobs: async_channel::Sender<Job>,
    kick: Arc<Notify>,
    /// A hint that jobs wait in the store for a poll (committed unleased, or freed by a
    /// finished predecessor): finished deliveries kick the poller only while it is set, so an
    /// idle queue is not polled after every delivery.
    waiting: Arc<AtomicBool>,
    stop: CancellationToken,
    tracker: TaskTracker,
    /// Where outcomes go; flushed at shutdown before the leases are given back.
    finisher: Finisher,
    semaphore: Arc<Semaphore>,
    store: Arc<dyn Store>,
    owner: String,
    alive: Arc<std::sync::atomic::AtomicUsize>,
}

impl Delivery {
    /// The channel leased jobs travel on, 16 × `concurrency` deep: created first because both
    /// acceptance (which leases on the fast path only when the whole batch fits in the room
    /// left) and delivery need it. Deep enough for one group commit at 256 connections (~120
    /// jobs): at 4 × 64 such batches were often stored unleased, and leasing them again from
    /// the store was ~10% of the SQLite write thread. A job that waits in it so long behind a
    /// slow upstream that its lease no longer covers an attempt (with the defaults: 50 s, i.e.
    /// deliveries averaging over 3 s) is refused by the worker and handed out again once the
    /// lease expires, so depth can never cause a double delivery.
    pub fn channel(
        concurrency: usize,
    ) -> (async_channel::Sender<Job>, async_channel::Receiver<Job>) {
        async_channel::bounded::<Job>(concurrency.max(1) * 16)
    }

    /// Starts `cfg.threads` worker threads and the poller (on the current tokio runtime),
    /// taking jobs from `channel` (see [`Delivery::channel`]).
    pub fn start(
        store: Arc<dyn Store>,
        finisher: Finisher,
        cfg: DeliveryConfig,
        channel: (async_channel::Sender<Job>, async_channel::Receiver<Job>),
    ) -> Self {
        let (tx, rx) = channel;
        let d = Delivery {
            jobs: tx,
            kick: Arc::new(Notify::new()),
            waiting: Arc::new(AtomicBool::new(true)),
            stop: CancellationToken::new(),
            tracker: TaskTracker::new(),
            finisher: finisher.clone(),
            semaphore: Arc::new(Semaphore::new(cfg.concurrency.max(1))),
            store: store.clone(),
            owner: cfg.owner.clone(),
            alive: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
        };
        let cfg = Arc::new(cfg);
        for n in 0..cfg.threads.max(1) {
            worker::spawn_thread(n, rx.clone(), finisher.clone(), cfg.clone(), d.clone());
        }
        tokio::spawn(poller::run(store, cfg, d.clone()));
        d
    }

    /// Asks the poller to look for due jobs now: jobs were committed without a lease (the
    /// fast path was full, or their order has an older job in flight), or a registration or a
    /// replay made jobs due.
    pub fn kick(&self) {
        self.waiting.store(true, Ordering::Relaxed);
        self.kick.notify_one();
    }

    /// After a delivery: its order's next job may be due now, if any job waits at all.
    fn delivered_one(&self) {
        if self.waiting.load(Ordering::Relaxed) {
            self.kick.notify_one();
        }
    }

    /// Worker threads currently running (for `/readyz`).
    pub fn workers_alive(&self) -> usize {
        self.alive.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Stops taking jobs, waits up to `deadline` for deliveries in flight and for their outcomes
    /// to commit, then gives back every lease this replica still holds so another replica (or
    /// the next start) delivers them.
    pub async fn shutdown(&self, deadline: Duration) {
        self.stop.cancel();
        self.jobs.close();
        self.tracker.close();
        if tokio::time::timeout(deadline, self.tracker.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                deadline_s = deadline.as_secs(),
                "deliveries still running at the shutdown deadline; their jobs are released"
            );
        }
        // Outcomes are recorded without waiting for their commit; a release that overtook one
        // would make a delivered job due again.
        if tokio::time::timeout(deadline, self.finisher.flush())
            .await
            .is_err()
        {
            tracing::warn!("delivery outcomes still uncommitted at the shutdown deadline");
        }
        let now = chrono::Utc::now().timestamp_millis();
        match self.store.release(&self.owner, now).await {
            Ok(n) => tracing::info!(released = n, "delivery stopped; unfinished jobs released"),
            Err(e) => {
                tracing::error!(error = %e, "could not release leases; they expire by themselves")
            }
        }
    }
}
