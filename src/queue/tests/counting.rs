//! A store wrapper for the group-commit tests: counts `accept_batch`/`finish_batch` calls,
//! can hold the first call until released (so requests pile up behind it), and can fail.

use crate::queue::{
    Accepted, Callback, Finish, Job, JobDetail, JobFilter, JobId, JobSummary, Lease, NewJob,
    QueueStats, Registration, Rewrite, Store, StoreError,
};
use async_trait::async_trait;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::Semaphore;

#[derive(Debug)]
pub(crate) struct Counting {
    pub(crate) inner: Arc<dyn Store>,
    pub(crate) accept_calls: AtomicUsize,
    pub(crate) finish_calls: AtomicUsize,
    pub(crate) fail: AtomicBool,
    /// The first batch call takes a permit; tests add one to let it through.
    pub(crate) gate: Semaphore,
    gated: AtomicBool,
}

impl Counting {
    pub(crate) fn new(inner: Arc<dyn Store>, hold_first: bool) -> Arc<Self> {
        Arc::new(Self {
            inner,
            accept_calls: AtomicUsize::new(0),
            finish_calls: AtomicUsize::new(0),
            fail: AtomicBool::new(false),
            gate: Semaphore::new(0),
            gated: AtomicBool::new(!hold_first),
        })
    }

    async fn enter(&self) -> Result<(), StoreError> {
        if !self.gated.swap(true, Ordering::SeqCst) {
            self.gate
                .acquire()
                .await
                .map_err(|_| StoreError::Other("gate".into()))?
                .forget();
        }
        if self.fail.load(Ordering::SeqCst) {
            return Err(StoreError::Unavailable("injected outage".into()));
        }
        Ok(())
    }
}

#[async_trait]
impl Store for Counting {
    async fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping().await
    }
    async fn accept_batch(
        &self,
        jobs: &[NewJob],
        window: i64,
        lease: Option<&Lease>,
    ) -> Result<Vec<Accepted>, StoreError> {
        self.accept_calls.fetch_add(1, Ordering::SeqCst);
        self.enter().await?;
        self.inner.accept_batch(jobs, window, lease).await
    }
    async fn lease_due(&self, l: &Lease, now: i64, n: usize) -> Result<Vec<Job>, StoreError> {
        self.inner.lease_due(l, now, n).await
    }
    async fn finish_batch(&self, owner: &str, f: &[Finish]) -> Result<u64, StoreError> {
        self.finish_calls.fetch_add(1, Ordering::SeqCst);
        self.enter().await?;
        self.inner.finish_batch(owner, f).await
    }
    async fn release(&self, owner: &str, now: i64) -> Result<u64, StoreError> {
        self.inner.release(owner, now).await
    }
    async fn stats(&self, now: i64, with_delivered: bool) -> Result<QueueStats, StoreError> {
        self.inner.stats(now, with_delivered).await
    }
    async fn list(&self, f: &JobFilter) -> Result<Vec<JobSummary>, StoreError> {
        self.inner.list(f).await
    }
    async fn get(&self, id: JobId) -> Result<Option<JobDetail>, StoreError> {
        self.inner.get(id).await
    }
    async fn replay(&self, id: JobId, r: Option<&Rewrite>, now: i64) -> Result<bool, StoreError> {
        self.inner.replay(id, r, now).await
    }
    async fn ids(&self, f: &JobFilter) -> Result<Vec<JobId>, StoreError> {
        self.inner.ids(f).await
    }
    async fn purge(&self, before: i64, now: i64) -> Result<u64, StoreError> {
        self.inner.purge(before, now).await
    }
    async fn put_registration(&self, r: &Registration, now: i64) -> Result<u64, StoreError> {
        self.inner.put_registration(r, now).await
    }
    async fn get_registration(
        &self,
        v: &str,
        k: &str,
        now: i64,
    ) -> Result<Option<Registration>, StoreError> {
        self.inner.get_registration(v, k, now).await
    }
    async fn delete_registration(&self, v: &str, k: &str) -> Result<bool, StoreError> {
        self.inner.delete_registration(v, k).await
    }
    async fn list_registrations(
        &self,
        v: Option<&str>,
        n: usize,
        after: Option<&str>,
    ) -> Result<Vec<Registration>, StoreError> {
        self.inner.list_registrations(v, n, after).await
    }
    async fn put_callback(&self, c: &Callback) -> Result<(), StoreError> {
        self.inner.put_callback(c).await
    }
    async fn get_callback(&self, h: &str, now: i64) -> Result<Option<Callback>, StoreError> {
        self.inner.get_callback(h, now).await
    }
    async fn delete_callback(&self, h: &str) -> Result<bool, StoreError> {
        self.inner.delete_callback(h).await
    }
    async fn list_callbacks(&self, v: Option<&str>, n: usize) -> Result<Vec<Callback>, StoreError> {
        self.inner.list_callbacks(v, n).await
    }
    async fn expire_correlation(&self, before: i64, now: i64) -> Result<(u64, u64), StoreError> {
        self.inner.expire_correlation(before, now).await
    }
}
