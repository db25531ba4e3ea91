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
            conn.pragma_update(None, name, value)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_pragmas_are_in_effect_on_the_thread_and_a_failed_call_is_rolled_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let pragmas = [
            ("synchronous", "FULL"),
            ("temp_store", "MEMORY"),
            ("cache_size", "-4096"),
        ];
        let w = WriteThread::start(&path, Duration::from_secs(1), &pragmas).unwrap();
        let read = |p: &'static str| {
            move |tx: &rusqlite::Transaction<'_>| {
                tx.query_row(&format!("PRAGMA {p}"), [], |r| r.get::<_, i64>(0))
                    .map_err(from_rusqlite)
            }
        };
        // FULL = 2, MEMORY = 2: what makes an acknowledged webhook survive a power loss.
        assert_eq!(w.write(read("synchronous")).await.unwrap(), 2);
        assert_eq!(w.write(read("temp_store")).await.unwrap(), 2);
        assert_eq!(w.write(read("cache_size")).await.unwrap(), -4096);

        w.write(|tx| {
            tx.execute_batch("CREATE TABLE t (x)")
                .map_err(from_rusqlite)
        })
        .await
        .unwrap();
        let failed = w
            .write(|tx| {
                tx.execute("INSERT INTO t VALUES (1)", [])
                    .map_err(from_rusqlite)?;
                Err::<(), _>(StoreError::Other("refused".into()))
            })
            .await;
        assert!(matches!(failed, Err(StoreError::Other(m)) if m == "refused"));
        let panicked = w
            .write(|_| -> Result<(), StoreError> { panic!("boom") })
            .await;
        assert!(matches!(panicked, Err(StoreError::Other(m)) if m.contains("panic")));
        let n = w
            .write(|tx| {
                tx.query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0))
                    .map_err(from_rusqlite)
            })
            .await
            .unwrap();
        assert_eq!(
            n, 0,
            "the failed call's insert was rolled back; the thread still serves"
        );
    }
}
