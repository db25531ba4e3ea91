//! One group-commit cycle, whoever runs it: split what was queued into webhooks, outcomes and
//! flushes, decide the lease of the fast path, then — once the store has written the batch —
//! answer every caller and hand the leased jobs to delivery.
//!
//! PostgreSQL runs cycles on a tokio task (`batch::run`). SQLite runs them on its write thread
//! ([`Committer`]): between two commits the next batch is then taken at once by the thread that
//! writes it. On a task, each cycle crossed threads twice (task → write thread → task), and on
//! the 2-core benchmark machine each crossing waited ~0.1 ms for a core while the write thread,
//! the one serial step, sat idle.

use super::hub::{answer, Answers};
use super::{Accepted, AcceptorConfig, Finish, Job, Lease, NewJob, StoreError};
use tokio::sync::{mpsc, oneshot};

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

/// What the committing loop is asked to do.
pub(crate) enum Request {
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

/// One batch on its way through the store.
pub(crate) struct Cycle {
    pub(crate) jobs: Vec<NewJob>,
    pub(crate) outcomes: Vec<Finish>,
    /// The lease new order heads are inserted with, when the delivery channel has room for all.
    pub(crate) lease: Option<Lease>,
    accept_replies: Vec<(Reply<Accepted>, Option<mpsc::UnboundedSender<Answers>>)>,
    finish_replies: Vec<Reply<()>>,
    flushes: Vec<oneshot::Sender<()>>,
}

impl Cycle {
    /// Takes everything in `queued` into one batch.
    pub(crate) fn prepare(
        queued: &mut Vec<Request>,
        cfg: &AcceptorConfig,
        leased: Option<&async_channel::Sender<Job>>,
    ) -> Self {
        let mut c = Cycle {
            jobs: Vec::new(),
            outcomes: Vec::new(),
            lease: None,
            accept_replies: Vec::new(),
            finish_replies: Vec::new(),
            flushes: Vec::new(),
        };
        for r in queued.drain(..) {
            match r {
                Request::Accept(j, reply, hub) => {
                    c.jobs.push(*j);
                    c.accept_replies.push((reply, hub));
                }
                Request::Finish(f, reply) => {
                    c.outcomes.push(f);
                    c.finish_replies.extend(reply);
                }
                Request::Flush(done) => c.flushes.push(done),
            }
        }
        // Lease on the fast path only what the delivery channel has room for: the committer
        // must never wait on delivery (delivery waits on it to record outcomes). Jobs inserted
        // unleased are pending, and the poller hands them out as capacity frees.
        let room = leased.map_or(0, |w| {
            w.capacity().unwrap_or(usize::MAX).saturating_sub(w.len())
        });
        c.lease = cfg
            .lease
            .as_ref()
            .filter(|_| room >= c.jobs.len())
            .map(|(owner, ms)| Lease {
                owner: owner.clone(),
                until_ms: chrono::Utc::now().timestamp_millis().saturating_add(*ms),
            });
        c
    }

    /// Answers every caller with `written` (the store's `write_batch` result) and hands the
    /// jobs inserted leased to `leased`. Never waits: a full delivery channel gets the rest
    /// from a task on `rt`.
    pub(crate) fn conclude(
        self,
        written: Result<(Vec<Accepted>, u64), StoreError>,
        leased: Option<&async_channel::Sender<Job>>,
        rt: &tokio::runtime::Handle,
    ) {
        let Cycle {
            jobs,
            outcomes,
            lease,
            accept_replies,
            finish_replies,
            flushes,
        } = self;
        let written = match written {
            Ok((a, _)) if a.len() == jobs.len() => Ok(a),
            Ok((a, _)) => Err(StoreError::Other(format!(
                "write_batch answered {} of {} jobs",
                a.len(),
                jobs.len()
            ))),
            Err(e) => Err(e),
        };
        let accepted = match written {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::error!(error = %e, jobs = jobs.len(), outcomes = outcomes.len(), "group commit failed: its webhooks are answered with the error, and its outcomes' jobs are tried again once their leases expire");
                answer(accept_replies, std::iter::repeat_with(|| Err(e.clone())));
                for reply in finish_replies {
                    let _ = reply.send(Err(e.clone()));
                }
                for done in flushes {
                    let _ = done.send(());
                }
                return;
            }
        };
        // Answer first: the callers' webhooks are durable now, whatever the worker does.
        answer(accept_replies, accepted.iter().map(|a| Ok(*a)));
        for reply in finish_replies {
            let _ = reply.send(Ok(()));
        }
        for done in flushes {
            let _ = done.send(());
        }
        let Some(worker) = leased else { return };
        let until_ms = lease.as_ref().map_or(0, |l| l.until_ms);
        for (job, a) in jobs.into_iter().zip(accepted) {
            let Accepted::New { id, leased: true } = a else {
                continue;
            };
            let Some(job) = leased_job(id, job, until_ms) else {
                continue;
            };
            match worker.try_send(job) {
                Ok(()) => {}
                // The poller filled the room meanwhile: hand it over without blocking here.
                Err(async_channel::TrySendError::Full(job)) => {
                    let worker = worker.clone();
                    rt.spawn(async move {
                        let _ = worker.send(job).await;
                    });
                }
                // Delivery stopped (shutdown): the job stays leased until `release`.
                Err(async_channel::TrySendError::Closed(_)) => break,
            }
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

/// A batch committed but not yet answered: SQLite's write thread commits without waiting for
/// the disk and hands this to the stage that does (`sqlite::wal_sync`), so it can serve single
/// calls while the next batch gathers.
pub(crate) struct Written {
    cycle: Cycle,
    result: Result<(Vec<Accepted>, u64), StoreError>,
    leased: Option<async_channel::Sender<Job>>,
    rt: tokio::runtime::Handle,
}

impl Written {
    /// Answers every caller and hands the jobs inserted leased to delivery.
    pub(crate) fn conclude(self) {
        self.cycle
            .conclude(self.result, self.leased.as_ref(), &self.rt);
    }

    /// The commit could not be made durable: its callers are answered with `e` instead, and
    /// its leased jobs stay with their lease until it expires.
    pub(crate) fn fail(mut self, e: StoreError) -> Self {
        self.result = Err(e);
        self
    }
}

/// The group-commit loop for a store that runs it on its own writer thread (SQLite). Handed to
/// the store by `Writer::spawn`; `done` fires once every handle is dropped and the queue is
/// committed.
pub struct Committer {
    pub(crate) rx: mpsc::Receiver<Request>,
    pub(crate) cfg: AcceptorConfig,
    pub(crate) owner: String,
    pub(crate) batch_max: usize,
    pub(crate) leased: Option<async_channel::Sender<Job>>,
    /// For the rare hand-over to a full delivery channel.
    pub(crate) rt: tokio::runtime::Handle,
    pub(crate) done: oneshot::Sender<()>,
}

/// What a writer thread's store does with one batch: `(jobs, dedupe window, lease, owner,
/// outcomes)` written in one transaction, as `Store::write_batch`.
pub(crate) type WriteFn<'a> = dyn FnMut(
        &[NewJob],
        i64,
        Option<&Lease>,
        &str,
        &[Finish],
    ) -> Result<(Vec<Accepted>, u64), StoreError>
    + 'a;

impl std::fmt::Debug for Committer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Committer")
            .field("owner", &self.owner)
            .field("batch_max", &self.batch_max)
            .finish_non_exhaustive()
    }
}

impl Committer {
    /// Waits for requests (0 once every handle is dropped and the queue is empty).
    pub(crate) async fn recv(&mut self, queued: &mut Vec<Request>) -> usize {
        self.rx.recv_many(queued, 2 * self.batch_max).await
    }

    /// Commits `queued` with `write`. Its callers are answered by [`Written::conclude`], once
    /// the commit is durable.
    pub(crate) fn write(&self, queued: &mut Vec<Request>, write: &mut WriteFn<'_>) -> Written {
        let cycle = Cycle::prepare(queued, &self.cfg, self.leased.as_ref());
        let result = if cycle.jobs.is_empty() && cycle.outcomes.is_empty() {
            Ok((Vec::new(), 0))
        } else {
            write(
                &cycle.jobs,
                self.cfg.dedupe_window_ms,
                cycle.lease.as_ref(),
                &self.owner,
                &cycle.outcomes,
            )
        };
        Written {
            cycle,
            result,
            leased: self.leased.clone(),
            rt: self.rt.clone(),
        }
    }

    /// The loop has drained its queue for good.
    pub(crate) fn finished(self) {
        let _ = self.done.send(());
    }
}
