//! CONTRACT STUB (queue helper): group commit.
use super::{Accepted, Finish, Job, NewJob, Store, StoreError};
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct AcceptorConfig {
    pub batch_max: usize,
    pub dedupe_window_ms: i64,
    pub lease: Option<(String, i64)>,
}

#[derive(Debug, Clone)]
pub struct Acceptor {}

impl Acceptor {
    pub fn spawn(
        _store: Arc<dyn Store>,
        _cfg: AcceptorConfig,
        _leased: Option<async_channel::Sender<Job>>,
    ) -> (Acceptor, tokio::task::JoinHandle<()>) {
        todo!("queue helper")
    }
    pub async fn accept(&self, _job: NewJob) -> Result<Accepted, StoreError> {
        todo!("queue helper")
    }
}

#[derive(Debug, Clone)]
pub struct Finisher {}

impl Finisher {
    pub fn spawn(
        _store: Arc<dyn Store>,
        _owner: String,
        _batch_max: usize,
    ) -> (Finisher, tokio::task::JoinHandle<()>) {
        todo!("queue helper")
    }
    pub async fn finish(&self, _f: Finish) -> Result<(), StoreError> {
        todo!("queue helper")
    }
}
