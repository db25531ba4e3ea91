//! Durable store-and-forward. A webhook is acknowledged only after its translated request is
//! committed here; delivery workers lease due jobs, and the outcome decides done, retry (with
//! the pure schedule in `retry`) or dead letter. The same [`Store`] trait is implemented for
//! SQLite (embedded, default) and PostgreSQL (several replicas sharing one queue).
//!
//! Layout: `types` (data in and out), `plan` (the pure rules of a batch: dedupe repeats, lock
//! keys, order heads), `rows` + `filter` (shared decoding and admin filters), one folder per
//! backend, `batch` (group commit for acceptance and outcomes) with `cycle` (one commit, run by
//! whichever committer) and `hub` (answers per HTTP worker thread), `retry` (the pure schedule).

mod batch;
mod cycle;
mod db_error;
mod filter;
mod hub;
mod plan;
mod postgres;
pub mod retry;
mod rows;
mod sqlite;
mod types;

#[cfg(test)]
mod tests;

pub use batch::{Acceptor, AcceptorConfig, Finisher, Writer};
pub use hub::ReplyHub;
pub use types::*;

use async_trait::async_trait;
use std::sync::Arc;

/// Opens the store named by `url` (`sqlite://…` or `postgres://…`), creating the SQLite file and
/// its folder if needed, and runs migrations (safe when several replicas start at once).
///
/// PostgreSQL: `opts.pool_size` connections, each with `statement_timeout` set at connect;
/// acquiring a connection waits at most a few seconds, then the call fails `Unavailable`.
/// The pool reconnects by itself when the server comes back. SQLite (a file; in-memory is
/// refused): a write thread for the queue's hot writes (its commits synced to disk by a thread
/// of their own before anyone is answered), one sqlx writer connection for the rest (WAL,
/// `synchronous=FULL`) and up to `min(pool_size, 4)` readers.
pub async fn open(url: &str, opts: &StoreOptions) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::open(url, opts).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::open(url, opts).await?))
    } else {
        Err(StoreError::Other(
            "database URL must start with sqlite: or postgres://".into(),
        ))
    }
}

/// Everything the gateway keeps. All times are Unix milliseconds passed in by the caller, so
/// behaviour is testable without sleeping. Every method is one transaction (except `purge`,
/// which deletes in chunks of a few thousand rows, one transaction each).
///
/// Attempts are counted when a job is leased (so a worker that crashes mid-delivery still
/// used up an attempt); `Job::attempts` is the count before the current one.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// Cheap round trip, for `/readyz`.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Commits a batch of accepted webhooks in one transaction (group commit), applying dedupe:
    /// a job whose `(vendor, event_key)` was seen within the window is not inserted and answers
    /// `Duplicate`. When `lease` is given, each new `Pending` job that is the oldest unfinished
    /// job of its order is inserted already leased to `lease.owner` (returned `leased: true`) so
    /// the caller can deliver it at once without a second write. Results are in input order.
    ///
    /// A repeat of the same event inside one batch answers `Duplicate` of its first
    /// occurrence; a window of 0 or less turns dedupe off. An `AwaitingOrder` job whose
    /// `(vendor, correlation_key)` has a live registration is stored `Pending` with that
    /// order (never leased: the caller's `NewJob` does not know the order). A `Pending` job
    /// without order, account or body, or an `AwaitingOrder` one without correlation key or
    /// body, fails the whole batch with `Other`.
    async fn accept_batch(
        &self,
        jobs: &[NewJob],
        dedupe_window_ms: i64,
        lease: Option<&Lease>,
    ) -> Result<Vec<Accepted>, StoreError>;

    /// Commits acceptances and delivery outcomes together: `(accept_batch answers, outcomes
    /// applied)`. A backend with a single writer (SQLite) does both in one transaction, one
    /// commit, and says so with [`Store::combines_writes`]; the default runs the two in turn.
    async fn write_batch(
        &self,
        jobs: &[NewJob],
        dedupe_window_ms: i64,
        lease: Option<&Lease>,
        owner: &str,
        outcomes: &[Finish],
    ) -> Result<(Vec<Accepted>, u64), StoreError> {
        let accepted = if jobs.is_empty() {
            Vec::new()
        } else {
            self.accept_batch(jobs, dedupe_window_ms, lease).await?
        };
        let finished = if outcomes.is_empty() {
            0
        } else {
            self.finish_batch(owner, outcomes).await?
        };
        Ok((accepted, finished))
    }

    /// Whether [`Store::write_batch`] commits both in one transaction (then one task should
    /// batch acceptances and outcomes together; otherwise separate tasks keep them parallel).
    fn combines_writes(&self) -> bool {
        false
    }

    /// Takes the group-commit loop onto the store's own writer thread, if it has one (SQLite);
    /// otherwise gives it back and a tokio task runs it.
    fn run_committer(&self, c: cycle::Committer) -> Result<(), cycle::Committer> {
        Err(c)
    }

    /// Leases up to `limit` due jobs: pending with `next_attempt_at <= now`, or in flight with an
    /// expired lease; only the oldest unfinished job of each order is eligible (per-order
    /// ordering); never a job another owner holds an unexpired lease on.
    async fn lease_due(
        &self,
        lease: &Lease,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError>;

    /// Records outcomes; each applies only if `owner` still holds the job's lease.
    /// Returns how many applied.
    async fn finish_batch(&self, owner: &str, outcomes: &[Finish]) -> Result<u64, StoreError>;

    /// Gives back every job leased by `owner` (graceful shutdown): they are due again now,
    /// and the attempt counted when they were leased is given back too.
    async fn release(&self, owner: &str, now_ms: i64) -> Result<u64, StoreError>;

    /// Counts by state and the age of the oldest undelivered job (metrics, readiness, 503 guard).
    /// Delivered jobs are counted only `with_delivered` (it walks all of them).
    async fn stats(&self, now_ms: i64, with_delivered: bool) -> Result<QueueStats, StoreError>;

    /// Admin listing, newest first, keyset-paginated by `filter.before_id`; `limit` 0 means
    /// 100, and at most 1000 are returned.
    async fn list(&self, filter: &JobFilter) -> Result<Vec<JobSummary>, StoreError>;
    async fn get(&self, id: JobId) -> Result<Option<JobDetail>, StoreError>;
    /// Makes the given dead (or delivered) jobs pending again, due now, attempts reset.
    /// With `rewrite`, the job's order/account/body are replaced first (re-translation).
    /// `false` when the job does not exist, is not dead or delivered, or has no translation
    /// (an unmappable dead letter can only be replayed with a rewrite).
    async fn replay(
        &self,
        id: JobId,
        rewrite: Option<&Rewrite>,
        now_ms: i64,
    ) -> Result<bool, StoreError>;
    /// Ids of jobs matching `filter` (for "replay all dead letters of vendor X"), newest
    /// first; `limit` 0 means all.
    async fn ids(&self, filter: &JobFilter) -> Result<Vec<JobId>, StoreError>;

    /// Deletes delivered jobs delivered before `before_ms` and dedupe keys expired at `now_ms`.
    /// Returns how many jobs were deleted. Dead letters are kept.
    async fn purge(&self, before_ms: i64, now_ms: i64) -> Result<u64, StoreError>;

    // ---- order correlation ----

    /// Inserts or replaces a registration; jobs of the same `(vendor, correlation_key)` waiting
    /// in `awaiting_order` get its order/account and become pending, due now. Returns how many.
    async fn put_registration(&self, reg: &Registration, now_ms: i64) -> Result<u64, StoreError>;
    /// The registration, unless it expired at `now_ms`.
    async fn get_registration(
        &self,
        vendor: &str,
        key: &str,
        now_ms: i64,
    ) -> Result<Option<Registration>, StoreError>;
    async fn delete_registration(&self, vendor: &str, key: &str) -> Result<bool, StoreError>;
    /// Registrations (expired ones too, until `expire_correlation` removes them) ordered by
    /// `(correlation_key, vendor)`, keys after `after_key`; `limit` 0 means 100, at most 1000.
    async fn list_registrations(
        &self,
        vendor: Option<&str>,
        limit: usize,
        after_key: Option<&str>,
    ) -> Result<Vec<Registration>, StoreError>;
    /// Stores a per-invite callback (only the SHA-256 of its token is kept).
    async fn put_callback(&self, cb: &Callback) -> Result<(), StoreError>;
    /// The callback, unless it expired at `now_ms`.
    async fn get_callback(
        &self,
        token_sha256: &str,
        now_ms: i64,
    ) -> Result<Option<Callback>, StoreError>;
    async fn delete_callback(&self, token_sha256: &str) -> Result<bool, StoreError>;
    /// Newest first; `limit` 0 means 100, at most 1000.
    async fn list_callbacks(
        &self,
        vendor: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Callback>, StoreError>;
    /// `awaiting_order` jobs received before `before_ms` become dead ("no order registered …").
    /// Registrations and callbacks expired at `now_ms` are deleted. Returns (dead-lettered, purged).
    async fn expire_correlation(
        &self,
        before_ms: i64,
        now_ms: i64,
    ) -> Result<(u64, u64), StoreError>;
}
