//! The embedded SQLite store, in WAL mode; a webhook is acknowledged only once its commit is
//! synced to disk, so it survives a power loss. The queue's hot writes (accept, outcomes,
//! lease, release) run on the [`thread::WriteThread`] (commits synced apart, by
//! [`wal_sync`]); the rare ones (replay, [`purge`], correlation) on one sqlx writer
//! connection; admin queries and correlation look-ups on a small pool of readers, which WAL
//! lets run beside the writers; WAL pages are copied into the database file by a background
//! task, which has the write thread finish each copy so that the WAL starts over
//! ([`checkpoint`]). The database must be a file: the write thread and the sqlx
//! connections are separate connections to it.

mod accept;
mod admin;
mod checkpoint;
mod correlation;
mod lease;
mod open;
mod purge;
mod thread;
mod wal_sync;

use super::cycle::Committer;
use super::db_error::from_sqlx;
use super::{
    Accepted, Callback, Finish, Job, JobDetail, JobFilter, JobId, JobSummary, Lease, NewJob,
    QueueStats, Registration, Rewrite, Store, StoreError,
};
use async_trait::async_trait;
use sqlx::sqlite::SqlitePool;

#[derive(Debug)]
pub(crate) struct SqliteStore {
    hot: thread::WriteThread,
    writer: SqlitePool,
    reader: SqlitePool,
    checkpointer: tokio::task::JoinHandle<()>,
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.checkpointer.abort();
    }
}

impl SqliteStore {
    /// Starts a write transaction that holds SQLite's write lock from the first statement, so
    /// a concurrent writer in another process waits (busy timeout) instead of failing midway.
    async fn write_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        self.writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(from_sqlx)
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map_err(from_sqlx)?;
        Ok(())
    }

    async fn accept_batch(
        &self,
        jobs: &[NewJob],
        dedupe_window_ms: i64,
        lease: Option<&Lease>,
    ) -> Result<Vec<Accepted>, StoreError> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let (jobs, lease) = (jobs.to_vec(), lease.cloned());
        self.hot
            .write(move |tx| accept::accept_batch(tx, &jobs, dedupe_window_ms, lease.as_ref()))
            .await
    }

    async fn lease_due(
        &self,
        lease: &Lease,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        let lease = lease.clone();
        self.hot
            .write(move |tx| lease::lease_due(tx, &lease, now_ms, limit))
            .await
    }

    async fn finish_batch(&self, owner: &str, outcomes: &[Finish]) -> Result<u64, StoreError> {
        if outcomes.is_empty() {
            return Ok(0);
        }
        let (owner, outcomes) = (owner.to_owned(), outcomes.to_vec());
        self.hot
            .write(move |tx| lease::finish_batch(tx, &owner, &outcomes))
            .await
    }

    async fn write_batch(
        &self,
        jobs: &[NewJob],
        dedupe_window_ms: i64,
        lease: Option<&Lease>,
        owner: &str,
        outcomes: &[Finish],
    ) -> Result<(Vec<Accepted>, u64), StoreError> {
        if jobs.is_empty() && outcomes.is_empty() {
            return Ok((Vec::new(), 0));
        }
        // One transaction for both: the single writer is the throughput limit.
        // The thread needs owned inputs; copying the batch (~3 KB a job) costs far less than
        // the statement round trips it replaces.
        let (jobs, lease) = (jobs.to_vec(), lease.cloned());
        let (owner, outcomes) = (owner.to_owned(), outcomes.to_vec());
        self.hot
            .write(move |tx| {
                accept::write_both(
                    tx,
                    &jobs,
                    dedupe_window_ms,
                    lease.as_ref(),
                    &owner,
                    &outcomes,
                )
            })
            .await
    }

    fn combines_writes(&self) -> bool {
        true
    }

    fn run_committer(&self, c: Committer) -> Result<(), Committer> {
        self.hot.run_commits(c)
    }

    async fn release(&self, owner: &str, now_ms: i64) -> Result<u64, StoreError> {
        let owner = owner.to_owned();
        self.hot
            .write(move |tx| lease::release(tx, &owner, now_ms))
            .await
    }

    async fn stats(&self, now_ms: i64, with_delivered: bool) -> Result<QueueStats, StoreError> {
        admin::stats(with_delivered, &self.reader, now_ms).await
    }

    async fn list(&self, filter: &JobFilter) -> Result<Vec<JobSummary>, StoreError> {
        admin::list(&self.reader, filter).await
    }

    async fn get(&self, id: JobId) -> Result<Option<JobDetail>, StoreError> {
        admin::get(&self.reader, id).await
    }

    async fn replay(
        &self,
        id: JobId,
        rewrite: Option<&Rewrite>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        admin::replay(&self.writer, id, rewrite, now_ms).await
    }

    async fn ids(&self, filter: &JobFilter) -> Result<Vec<JobId>, StoreError> {
        admin::ids(&self.reader, filter).await
    }

    async fn purge(&self, before_ms: i64, now_ms: i64) -> Result<u64, StoreError> {
        purge::purge(&self.writer, before_ms, now_ms, purge::PURGE_CHUNK).await
    }

    async fn put_registration(&self, reg: &Registration, now_ms: i64) -> Result<u64, StoreError> {
        let mut tx = self.write_tx().await?;
        let n = correlation::put_registration(&mut tx, reg, now_ms).await?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(n)
    }

    async fn get_registration(
        &self,
        vendor: &str,
        key: &str,
        now_ms: i64,
    ) -> Result<Option<Registration>, StoreError> {
        correlation::get_registration(&self.reader, vendor, key, now_ms).await
    }

    async fn delete_registration(&self, vendor: &str, key: &str) -> Result<bool, StoreError> {
        correlation::delete_registration(&self.writer, vendor, key).await
    }

    async fn list_registrations(
        &self,
        vendor: Option<&str>,
        limit: usize,
        after_key: Option<&str>,
    ) -> Result<Vec<Registration>, StoreError> {
        correlation::list_registrations(&self.reader, vendor, limit, after_key).await
    }

    async fn put_callback(&self, cb: &Callback) -> Result<(), StoreError> {
        correlation::put_callback(&self.writer, cb).await
    }

    async fn get_callback(
        &self,
        token_sha256: &str,
        now_ms: i64,
    ) -> Result<Option<Callback>, StoreError> {
        correlation::get_callback(&self.reader, token_sha256, now_ms).await
    }

    async fn delete_callback(&self, token_sha256: &str) -> Result<bool, StoreError> {
        correlation::delete_callback(&self.writer, token_sha256).await
    }

    async fn list_callbacks(
        &self,
        vendor: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Callback>, StoreError> {
        correlation::list_callbacks(&self.reader, vendor, limit).await
    }

    async fn expire_correlation(
        &self,
        before_ms: i64,
        now_ms: i64,
    ) -> Result<(u64, u64), StoreError> {
        let mut tx = self.write_tx().await?;
        let n = correlation::expire_correlation(&mut tx, before_ms, now_ms).await?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(n)
    }
}
