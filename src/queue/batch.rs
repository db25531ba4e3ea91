//! Group commit. Durability costs one fsync per transaction, so instead of one transaction per
//! webhook one committer drains whatever requests are queued (up to `batch_max`), commits them
//! with one store call, and answers each caller ([`super::cycle`]). On SQLite the committer is
//! the store's write thread; on PostgreSQL, tokio tasks. Under load batches grow by themselves; when
//! idle a lone request is committed at once (no timer, no added latency).
//!
//! Nothing is acknowledged that is not committed: a failed batch answers every caller in it
//! with the error. A caller that gave up waiting does not undo its commit; the vendor's retry
//! then meets the dedupe key.

use super::cycle::{Committer, Cycle, Request};
use super::hub::{Answers, ReplyHub};
use super::{Accepted, Finish, Job, NewJob, Store, StoreError};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Requests that may wait for the committing task, per unit of `batch_max`: enough to build
/// the next batch while one commits, and a bound so overload pushes back on callers.
const QUEUED_BATCHES: usize = 4;

fn stopped() -> StoreError {
    StoreError::Unavailable("the commit task has stopped".into())
}

/// Waits until everything queued on `tx` before this call is committed (or its commit failed).
async fn flush(tx: &mpsc::Sender<Request>) {
    let (done, wait) = oneshot::channel();
    if tx.send(Request::Flush(done)).await.is_ok() {
        let _ = wait.await;
    }
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

/// Handle to the acceptance side of a group-commit task. Cheap to clone; the task ends once
/// every handle is dropped and the queued requests are committed.
#[derive(Debug, Clone)]
pub struct Acceptor {
    tx: mpsc::Sender<Request>,
}

/// Handle to the delivery-outcome side of a group-commit task. Each outcome applies only while
/// the task's owner still holds the job's lease; one that lost its lease is skipped silently
/// (the job is someone else's now).
#[derive(Debug, Clone)]
pub struct Finisher {
    tx: mpsc::Sender<Request>,
}

/// Starts the gateway's committing tasks.
#[derive(Debug)]
pub struct Writer;

impl Writer {
    /// One task batching acceptances *and* outcomes into one transaction when the store commits
    /// them together (SQLite: its single writer is the limit, and one fsync per cycle beats two);
    /// otherwise one task each, so they proceed in parallel (PostgreSQL).
    pub fn spawn(
        store: Arc<dyn Store>,
        cfg: AcceptorConfig,
        owner: String,
        leased: Option<async_channel::Sender<Job>>,
    ) -> (Acceptor, Finisher, Vec<JoinHandle<()>>) {
        let batch_max = cfg.batch_max.max(1);
        if store.combines_writes() {
            let (tx, rx) = mpsc::channel(2 * batch_max * QUEUED_BATCHES);
            let (done, finished) = oneshot::channel();
            let committer = Committer {
                rx,
                cfg,
                owner,
                batch_max,
                leased,
                rt: tokio::runtime::Handle::current(),
                done,
            };
            let task = match store.run_committer(committer) {
                // On the store's writer thread: this task only reports its end.
                Ok(()) => tokio::spawn(async move {
                    let _ = finished.await;
                }),
                Err(c) => tokio::spawn(run(store, c.cfg, c.owner, batch_max, c.leased, c.rx)),
            };
            (Acceptor { tx: tx.clone() }, Finisher { tx }, vec![task])
        } else {
            let (acceptor, a) = Acceptor::spawn(store.clone(), cfg, leased);
            let (finisher, f) = Finisher::spawn(store, owner, batch_max);
            (acceptor, finisher, vec![a, f])
        }
    }
}

impl Acceptor {
    /// Starts an acceptance-only task. Jobs that come back leased are sent to `leased` (as built
    /// from the `NewJob` and its id, without re-reading them); if that channel is closed they
    /// stay leased until the lease expires and the poller takes them.
    pub fn spawn(
        store: Arc<dyn Store>,
        cfg: AcceptorConfig,
        leased: Option<async_channel::Sender<Job>>,
    ) -> (Acceptor, JoinHandle<()>) {
        let batch_max = cfg.batch_max.max(1);
        let (tx, rx) = mpsc::channel(batch_max * QUEUED_BATCHES);
        let handle = tokio::spawn(run(store, cfg, String::new(), batch_max, leased, rx));
        (Acceptor { tx }, handle)
    }

    /// Commits `job` (in a batch with whatever else is queued) and returns its fate.
    pub async fn accept(&self, job: NewJob) -> Result<Accepted, StoreError> {
        self.submit(job, None).await
    }

    /// [`Acceptor::accept`], answered through `hub` (the caller's thread's) when given.
    pub fn accept_via(
        &self,
        job: NewJob,
        hub: Option<&ReplyHub>,
    ) -> impl std::future::Future<Output = Result<Accepted, StoreError>> + Send + '_ {
        // The hub itself stays on its thread; only its channel travels with the request.
        self.submit(job, hub.map(ReplyHub::sender))
    }

    async fn submit(
        &self,
        job: NewJob,
        hub: Option<mpsc::UnboundedSender<Answers>>,
    ) -> Result<Accepted, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Request::Accept(Box::new(job), reply, hub))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Waits until every acceptance queued before this call is committed (graceful shutdown:
    /// the server has stopped taking webhooks; let the last ones reach the store).
    pub async fn flush(&self) {
        flush(&self.tx).await
    }
}

impl Finisher {
    /// Starts an outcome-only task recording outcomes for leases held by `owner`.
    pub fn spawn(
        store: Arc<dyn Store>,
        owner: String,
        batch_max: usize,
    ) -> (Finisher, JoinHandle<()>) {
        let batch_max = batch_max.max(1);
        let (tx, rx) = mpsc::channel(batch_max * QUEUED_BATCHES);
        let cfg = AcceptorConfig {
            batch_max,
            dedupe_window_ms: 0,
            lease: None,
        };
        let handle = tokio::spawn(run(store, cfg, owner, batch_max, None, rx));
        (Finisher { tx }, handle)
    }

    /// Records `f` (in a batch with whatever else is queued) and returns once it is committed.
    /// (Delivery uses [`Finisher::record`]; the store benchmark and tests wait with this.)
    pub async fn finish(&self, f: Finish) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Request::Finish(f, Some(reply)))
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Queues `f` for the next commit without waiting for it (a failed commit is logged by the
    /// committing task; the job's lease then expires and it is tried again). What delivery
    /// uses: waiting would cost a cross-thread wake-up per delivery for nothing the worker
    /// does with the answer. Errs only when the committing task has stopped.
    pub async fn record(&self, f: Finish) -> Result<(), StoreError> {
        self.tx
            .send(Request::Finish(f, None))
            .await
            .map_err(|_| stopped())
    }

    /// Waits until every outcome queued before this call is committed (or its commit failed):
    /// shutdown releases this replica's leases only after this, so a recorded delivery is never
    /// released and sent again.
    pub async fn flush(&self) {
        flush(&self.tx).await
    }
}

/// The committing loop on a tokio task: drain what is queued (up to `batch_max` of each kind),
/// commit it with one `write_batch`, answer every caller, then hand the leased jobs to the
/// worker. (SQLite runs the same cycle on its write thread instead: [`Committer`].)
async fn run(
    store: Arc<dyn Store>,
    cfg: AcceptorConfig,
    owner: String,
    batch_max: usize,
    leased: Option<async_channel::Sender<Job>>,
    mut rx: mpsc::Receiver<Request>,
) {
    let rt = tokio::runtime::Handle::current();
    let mut queued = Vec::with_capacity(2 * batch_max);
    while rx.recv_many(&mut queued, 2 * batch_max).await > 0 {
        let c = Cycle::prepare(&mut queued, &cfg, leased.as_ref());
        let result = store
            .write_batch(
                &c.jobs,
                cfg.dedupe_window_ms,
                c.lease.as_ref(),
                &owner,
                &c.outcomes,
            )
            .await;
        c.conclude(result, leased.as_ref(), &rt);
    }
}
