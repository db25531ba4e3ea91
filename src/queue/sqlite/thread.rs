//! The write thread: the queue's hot writes (accepting webhooks, recording outcomes, leasing,
//! releasing) run on one dedicated thread that owns a plain SQLite connection and runs each
//! call start to finish with cached prepared statements.
//!
//! Why not through sqlx like the rest of the store: sqlx-sqlite sends every statement (and
//! every returned row) to its connection thread and back, and a group commit is some ten
//! statements. On a loaded 2-core machine each hop waits for a scheduler slot, so commits took
//! ~2.5 ms even when nearly empty; here one batch is one hop in and one out.
//!
//! The rarer writes (replay, purge, correlation) stay on sqlx's writer connection. The two
//! connections take SQLite's write lock with `BEGIN IMMEDIATE` and wait on each other through
//! the busy timeout, exactly as the CLI working on the same file does.

use crate::queue::db_error::from_rusqlite;
use crate::queue::StoreError;
use rusqlite::{Connection, TransactionBehavior};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;
use tokio::sync::oneshot;

type Task = Box<dyn FnOnce(&mut Connection) + Send>;

/// Statements the thread keeps prepared (a batch uses about ten distinct ones).
const STATEMENT_CACHE: usize = 64;

/// Handle to the write thread. The thread ends when the handle is dropped.
#[derive(Debug)]
pub(super) struct WriteThread {
    tasks: mpsc::Sender<Task>,
}

fn stopped() -> StoreError {
    StoreError::Unavailable("the SQLite write thread has stopped".into())
}

impl WriteThread {
    /// Opens a connection to the (already created and migrated) database file at `path`,
    /// applies `pragmas` (`name`, `value`) and starts the thread.
    pub(super) fn start(
        path: &Path,
        busy_timeout: Duration,
        pragmas: &[(&str, &str)],
    ) -> Result<Self, StoreError> {
        let conn = Connection::open(path).map_err(from_rusqlite)?;
        conn.busy_timeout(busy_timeout).map_err(from_rusqlite)?;
        for (name, value) in pragmas {
            // `journal_mode` answers with a row, so every pragma is read as a query.
            conn.query_row(&format!("PRAGMA {name} = {value}"), [], |_| Ok(()))
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(()),
                    e => Err(e),
                })
                .map_err(from_rusqlite)?;
        }
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let (tasks, queue) = mpsc::channel::<Task>();
        std::thread::Builder::new()
            .name("relay-sqlite-writer".into())
            .spawn(move || {
                let mut conn = conn;
                for task in queue {
                    task(&mut conn);
                }
            })
            .map_err(|e| StoreError::Other(format!("cannot start the SQLite write thread: {e}")))?;
        Ok(Self { tasks })
    }

    /// Runs `f` inside one `BEGIN IMMEDIATE` transaction on the write thread: committed when
    /// it returns `Ok`, rolled back otherwise (or if it panics, which answers an error and
    /// leaves the thread serving).
    pub(super) async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let task: Task = Box::new(move |conn| {
            let run = || {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(from_rusqlite)?;
                let out = f(&tx)?;
                tx.commit().map_err(from_rusqlite)?;
                Ok(out)
            };
            let result = catch_unwind(AssertUnwindSafe(run)).unwrap_or_else(|_| {
                Err(StoreError::Other(
                    "the SQLite write thread caught a panic".into(),
                ))
            });
            let _ = reply.send(result);
        });
        self.tasks.send(task).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}
