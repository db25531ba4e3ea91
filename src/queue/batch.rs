//! Group commit. Durability costs one fsync per transaction, so instead of one transaction per
//! webhook a single task drains whatever requests are queued (up to `batch_max`), commits them
//! with one store call, and answers each caller. Under load batches grow by themselves; when
//! idle a lone request is committed at once (no timer, no added latency).
//!
//! Nothing is acknowledged that is not committed: a failed batch answers every caller in it
//! with the error. A caller that gave up waiting does not undo its commit; the vendor's retry
//! then meets the dedupe key.

use super::{Accepted, Finish, Job, Lease, NewJob, Store, StoreError};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// Requests that may wait for the committing task, per unit of `batch_max`: enough to build
/// the next batch while one commits, and a bound so overload pushes back on callers.
const QUEUED_BATCHES: usize = 4;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn stopped() -> StoreError {
    StoreError::Unavailable("the commit task has stopped".into())
}

/// How the acceptor commits.
#[derive(Debug, Clone)]
pub struct AcceptorConfig {
    /// Most webhooks committed in one transaction.
    pub batch_max: usize,
    /// `RELAY_DEDUPE_WINDOW_S` in ms; 0 disables dedupe.
    pub dedupe_window_ms: i64,
    /// `(owner, lease_ms)`: insert order heads already leased to `owner` for `lease_ms`, and
    /// hand them to the delivery worker without a second write or a poll.
    pub lease: Option<(String, i64)>,
}

/// Handle to the acceptance group-commit task. Cheap to clone; the task ends once every clone
/// is dropped and the queued requests are committed.
#[derive(Debug, Clone)]
pub struct Acceptor {
    tx: mpsc::Sender<(NewJob, Reply<Accepted>)>,
}

impl Acceptor {
    /// Starts the task. Jobs that come back leased are sent to `leased` (as built from the
    /// `NewJob` and its id, without re-reading them); if that channel is closed they stay
    /// leased until the lease expires and the poller takes them.
    pub fn spawn(
        store: Arc<dyn Store>,
        cfg: AcceptorConfig,
        leased: Option<async_channel::Sender<Job>>,
    ) -> (Acceptor, JoinHandle<()>) {
        let batch_max = cfg.batch_max.max(1);
        let (tx, rx) = mpsc::channel(batch_max * QUEUED_BATCHES);
        let handle = tokio::spawn(run_acceptor(store, cfg, batch_max, leased, rx));
        (Acceptor { tx }, handle)
    }

    /// Commits `job` (in a batch with whatever else is queued) and returns its fate.
    pub async fn accept(&self, job: NewJob) -> Result<Accepted, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.tx.send((job, reply)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// The job a worker delivers, for a row inserted leased.
fn leased_job(id: i64, job: NewJob) -> Option<Job> {
    Some(Job {
        id,
        order_id: job.order_id?,
        account_id: job.account_id?,
        body: job.body?,
        vendor: job.vendor,
        attempts: 0,
        received_at_ms: job.received_at_ms,
        request_id: job.request_id,
        event_key: job.event_key,
    })
}

async fn run_acceptor(
    store: Arc<dyn Store>,
    cfg: AcceptorConfig,
    batch_max: usize,
    leased: Option<async_channel::Sender<Job>>,
    mut rx: mpsc::Receiver<(NewJob, Reply<Accepted>)>,
) {
    let mut queued = Vec::with_capacity(batch_max);
    while rx.recv_many(&mut queued, batch_max).await > 0 {
        let (jobs, replies): (Vec<NewJob>, Vec<Reply<Accepted>>) = queued.drain(..).unzip();
        let lease = cfg.lease.as_ref().map(|(owner, ms)| Lease {
            owner: owner.clone(),
            until_ms: now_ms().saturating_add(*ms),
        });
        let result = match store
            .accept_batch(&jobs, cfg.dedupe_window_ms, lease.as_ref())
            .await
        {
            Ok(r) if r.len() == jobs.len() => Ok(r),
            Ok(r) => Err(StoreError::Other(format!(
                "accept_batch answered {} of {} jobs",
                r.len(),
                jobs.len()
            ))),
            Err(e) => Err(e),
        };
        let accepted = match result {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(error = %e, jobs = jobs.len(), "group commit failed");
                for reply in replies {
                    let _ = reply.send(Err(e.clone()));
                }
                continue;
            }
        };
        // Answer first: the callers' webhooks are durable now, whatever the worker does.
        let mut to_deliver = Vec::new();
        for ((job, reply), a) in jobs.into_iter().zip(replies).zip(accepted) {
            let _ = reply.send(Ok(a));
            if let Accepted::New { id, leased: true } = a {
                to_deliver.extend(leased_job(id, job));
            }
        }
        if let Some(worker) = &leased {
            for job in to_deliver {
                if worker.send(job).await.is_err() {
                    break;
                }
            }
        }
    }
}

/// Handle to the delivery-outcome group-commit task (same batching as [`Acceptor`]). Each
/// outcome applies only while `owner` still holds the job's lease; one that lost its lease
/// is skipped silently (the job is someone else's now).
#[derive(Debug, Clone)]
pub struct Finisher {
    tx: mpsc::Sender<(Finish, Reply<()>)>,
}

impl Finisher {
    /// Starts the task recording outcomes for leases held by `owner`.
    pub fn spawn(
        store: Arc<dyn Store>,
        owner: String,
        batch_max: usize,
    ) -> (Finisher, JoinHandle<()>) {
        let batch_max = batch_max.max(1);
        let (tx, rx) = mpsc::channel(batch_max * QUEUED_BATCHES);
        let handle = tokio::spawn(run_finisher(store, owner, batch_max, rx));
        (Finisher { tx }, handle)
    }

    /// Records `f` (in a batch with whatever else is queued) once it is committed.
    pub async fn finish(&self, f: Finish) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.tx.send((f, reply)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run_finisher(
    store: Arc<dyn Store>,
    owner: String,
    batch_max: usize,
    mut rx: mpsc::Receiver<(Finish, Reply<()>)>,
) {
    let mut queued = Vec::with_capacity(batch_max);
    while rx.recv_many(&mut queued, batch_max).await > 0 {
        let (outcomes, replies): (Vec<Finish>, Vec<Reply<()>>) = queued.drain(..).unzip();
        let result = store.finish_batch(&owner, &outcomes).await.map(|_| ());
        if let Err(e) = &result {
            tracing::warn!(error = %e, outcomes = outcomes.len(), "recording outcomes failed");
        }
        for reply in replies {
            let _ = reply.send(result.clone());
        }
    }
}
