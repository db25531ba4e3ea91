//! The PostgreSQL store, for several replicas sharing one queue. Everything that must hold
//! across replicas is enforced by the database: the dedupe window by a primary key and an
//! upsert that only replaces an expired row; exclusive delivery by `FOR UPDATE SKIP LOCKED`
//! leases guarded by `lease_owner`; per-order ordering and the registration race by
//! transaction-scoped advisory locks taken in ascending key order (so they cannot deadlock).
//!
//! Connections: a pool of `pool_size`, each with `statement_timeout` set in its startup
//! packet; acquiring waits at most [`ACQUIRE_TIMEOUT`], then the call fails `Unavailable`
//! (the HTTP edge answers 503). Idle connections are pinged before use, so after a server
//! restart the dead ones are dropped and the pool reconnects by itself.

mod accept;
mod admin;
mod correlation;
mod lease;

use super::db_error::{from_migrate, from_sqlx};
use super::{
    Accepted, Callback, Finish, Job, JobDetail, JobFilter, JobId, JobSummary, Lease, NewJob,
    QueueStats, Registration, Rewrite, Store, StoreError, StoreOptions,
};
use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Longest wait for a pooled connection before answering `Unavailable`.
pub(crate) const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug)]
pub(crate) struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Migrates (under sqlx's database-wide advisory lock, so replicas starting together run
    /// each migration once) and opens the pool.
    pub(crate) async fn open(url: &str, opts: &StoreOptions) -> Result<Self, StoreError> {
        let base = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Other(format!("bad PostgreSQL URL: {e}")))?
            .application_name("assessment-relay");
        migrate(&base).await?;
        let timeout_ms = opts.statement_timeout_ms.max(1);
        let pool = PgPoolOptions::new()
            .max_connections(opts.pool_size.max(1))
            .min_connections(0)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire(true)
            .connect_with(base.options([("statement_timeout", timeout_ms)]))
            .await
            .map_err(from_sqlx)?;
        Ok(Self { pool })
    }

    async fn tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        self.pool.begin().await.map_err(from_sqlx)
    }
}

/// Runs migrations on a one-connection pool of its own, closed afterwards: sqlx holds a
/// session-level advisory lock while migrating and does not release it on failure, so that
/// connection must end with the migration, never serve requests. No statement timeout here:
/// waiting for another replica's migration, or building an index on a big table, may take
/// longer than a request may.
async fn migrate(base: &PgConnectOptions) -> Result<(), StoreError> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(base.clone())
        .await
        .map_err(from_sqlx)?;
    let result = MIGRATOR.run(&pool).await.map_err(from_migrate);
    pool.close().await;
    result
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
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
        let mut tx = self.tx().await?;
        let out = accept::accept_batch(&mut tx, jobs, dedupe_window_ms, lease).await?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(out)
    }

    async fn lease_due(
        &self,
        lease: &Lease,
        now_ms: i64,
        limit: usize,
    ) -> Result<Vec<Job>, StoreError> {
        lease::lease_due(&self.pool, lease, now_ms, limit).await
    }

    async fn finish_batch(&self, owner: &str, outcomes: &[Finish]) -> Result<u64, StoreError> {
        lease::finish_batch(&self.pool, owner, outcomes).await
    }

    async fn release(&self, owner: &str, now_ms: i64) -> Result<u64, StoreError> {
        lease::release(&self.pool, owner, now_ms).await
    }

    async fn stats(&self, now_ms: i64, with_delivered: bool) -> Result<QueueStats, StoreError> {
        admin::stats(with_delivered, &self.pool, now_ms).await
    }

    async fn list(&self, filter: &JobFilter) -> Result<Vec<JobSummary>, StoreError> {
        admin::list(&self.pool, filter).await
    }

    async fn get(&self, id: JobId) -> Result<Option<JobDetail>, StoreError> {
        admin::get(&self.pool, id).await
    }

    async fn replay(
        &self,
        id: JobId,
        rewrite: Option<&Rewrite>,
        now_ms: i64,
    ) -> Result<bool, StoreError> {
        admin::replay(&self.pool, id, rewrite, now_ms).await
    }

    async fn ids(&self, filter: &JobFilter) -> Result<Vec<JobId>, StoreError> {
        admin::ids(&self.pool, filter).await
    }

    async fn purge(&self, before_ms: i64, now_ms: i64) -> Result<u64, StoreError> {
        admin::purge(&self.pool, before_ms, now_ms).await
    }

    async fn put_registration(&self, reg: &Registration, now_ms: i64) -> Result<u64, StoreError> {
        let mut tx = self.tx().await?;
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
        correlation::get_registration(&self.pool, vendor, key, now_ms).await
    }

    async fn delete_registration(&self, vendor: &str, key: &str) -> Result<bool, StoreError> {
        correlation::delete_registration(&self.pool, vendor, key).await
    }

    async fn list_registrations(
        &self,
        vendor: Option<&str>,
        limit: usize,
        after_key: Option<&str>,
    ) -> Result<Vec<Registration>, StoreError> {
        correlation::list_registrations(&self.pool, vendor, limit, after_key).await
    }

    async fn put_callback(&self, cb: &Callback) -> Result<(), StoreError> {
        correlation::put_callback(&self.pool, cb).await
    }

    async fn get_callback(
        &self,
        token_sha256: &str,
        now_ms: i64,
    ) -> Result<Option<Callback>, StoreError> {
        correlation::get_callback(&self.pool, token_sha256, now_ms).await
    }

    async fn delete_callback(&self, token_sha256: &str) -> Result<bool, StoreError> {
        correlation::delete_callback(&self.pool, token_sha256).await
    }

    async fn list_callbacks(
        &self,
        vendor: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Callback>, StoreError> {
        correlation::list_callbacks(&self.pool, vendor, limit).await
    }

    async fn expire_correlation(
        &self,
        before_ms: i64,
        now_ms: i64,
    ) -> Result<(u64, u64), StoreError> {
        let mut tx = self.tx().await?;
        let n = correlation::expire_correlation(&mut tx, before_ms, now_ms).await?;
        tx.commit().await.map_err(from_sqlx)?;
        Ok(n)
    }
}
