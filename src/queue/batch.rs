//! Group commit. Durability costs one fsync per transaction, so instead of one transaction per
//! webhook a single task drains whatever requests are queued (up to `batch_max`), commits them
//! with one store call, and answers each caller. Under load batches grow by themselves; when
//! idle a lone request is committed at once (no timer, no added latency).
//!
//! Nothing is acknowledged that is not committed: a failed batch answers every caller in it
//! with the error. A caller that gave up waiting does not undo its commit; the vendor's retry
//! then meets the dedupe key.

use super::hub::{answer, Answers, ReplyHub};
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

/// What the committing task is asked to do.
enum Request {
    /// A webhook, answered directly or through its caller's thread's hub.
    Accept(
        Box<NewJob>,
        Reply<Accepted>,
        Option<mpsc::UnboundedSender<Answers>>,
    ),
    /// An outcome, with a reply only when the caller waits for its commit.
    Finish(Finish, Option<Reply<()>>),
    /// Answered once everything queued before it is committed.
    Flush(oneshot::Sender<()>),
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
            let task = tokio::spawn(run(store, cfg, owner, batch_max, leased, rx));
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
        let (done, wait) = oneshot::channel();
        if self.tx.send(Request::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
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
        let (done, wait) = oneshot::channel();
        if self.tx.send(Request::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

/// The job a worker delivers, for a row inserted leased.
fn leased_job(id: i64, job: NewJob, lease_until_ms: i64) -> Option<Job> {
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
        lease_until_ms,
    })
}

/// The committing loop: drain what is queued (up to `batch_max` of each kind), commit it with
/// one `write_batch`, answer every caller, then hand the leased jobs to the worker.
async fn run(
    store: Arc<dyn Store>,
    cfg: AcceptorConfig,
    owner: String,
    batch_max: usize,
    leased: Option<async_channel::Sender<Job>>,
    mut rx: mpsc::Receiver<Request>,
) {
    let mut queued = Vec::with_capacity(2 * batch_max);
    while rx.recv_many(&mut queued, 2 * batch_max).await > 0 {
        let (mut jobs, mut accept_replies) = (Vec::new(), Vec::new());
        let (mut outcomes, mut finish_replies, mut flushes) = (Vec::new(), Vec::new(), Vec::new());
        for r in queued.drain(..) {
            match r {
                Request::Accept(j, reply, hub) => {
                    jobs.push(*j);
                    accept_replies.push((reply, hub));
                }
                Request::Finish(f, reply) => {
                    outcomes.push(f);
                    finish_replies.extend(reply);
                }
                Request::Flush(done) => flushes.push(done),
            }
        }
        // Lease on the fast path only what the delivery channel has room for: this task must
        // never wait on delivery (delivery waits on it to record outcomes). Jobs inserted
        // unleased are pending, and the poller hands them out as capacity frees.
        let room = leased.as_ref().map_or(0, |w| {
            w.capacity().unwrap_or(usize::MAX).saturating_sub(w.len())
        });
        let lease = cfg
            .lease
            .as_ref()
            .filter(|_| room >= jobs.len())
            .map(|(owner, ms)| Lease {
                owner: owner.clone(),
                until_ms: now_ms().saturating_add(*ms),
            });
        let started = std::time::Instant::now();
        let result = match store
            .write_batch(
                &jobs,
                cfg.dedupe_window_ms,
                lease.as_ref(),
                &owner,
                &outcomes,
            )
            .await
        {
            Ok((a, _)) if a.len() == jobs.len() => Ok(a),
            Ok((a, _)) => Err(StoreError::Other(format!(
                "write_batch answered {} of {} jobs",
                a.len(),
                jobs.len()
            ))),
            Err(e) => Err(e),
        };
        tracing::debug!(
            jobs = jobs.len(),
            outcomes = outcomes.len(),
            elapsed_us = started.elapsed().as_micros() as u64,
            "group commit"
        );
        let accepted = match result {
            Ok(accepted) => {
                for reply in finish_replies {
                    let _ = reply.send(Ok(()));
                }
                accepted
            }
            Err(e) => {
                tracing::error!(error = %e, jobs = jobs.len(), outcomes = outcomes.len(), "group commit failed: its webhooks are answered with the error, and its outcomes' jobs are tried again once their leases expire");
                answer(accept_replies, std::iter::repeat_with(|| Err(e.clone())));
                for reply in finish_replies {
                    let _ = reply.send(Err(e.clone()));
                }
                for done in flushes {
                    let _ = done.send(());
                }
                continue;
            }
        };
        // Answer first: the callers' webhooks are durable now, whatever the worker does.
        answer(accept_replies, accepted.iter().map(|a| Ok(*a)));
        let mut to_deliver = Vec::new();
        for (job, a) in jobs.into_iter().zip(accepted) {
            if let Accepted::New { id, leased: true } = a {
                to_deliver.extend(leased_job(
                    id,
                    job,
                    lease.as_ref().map_or(0, |l| l.until_ms),
                ));
            }
        }
        for done in flushes {
            let _ = done.send(());
        }
        if let Some(worker) = &leased {
            for job in to_deliver {
                match worker.try_send(job) {
                    Ok(()) => {}
                    // The poller filled the room meanwhile: hand it over without blocking here.
                    Err(async_channel::TrySendError::Full(job)) => {
                        let worker = worker.clone();
                        tokio::spawn(async move {
                            let _ = worker.send(job).await;
                        });
                    }
                    // Delivery stopped (shutdown): the job stays leased until `release`.
                    Err(async_channel::TrySendError::Closed(_)) => break,
                }
            }
        }
    }
}
