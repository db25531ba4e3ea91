//! The write thread: the queue's hot writes (accepting webhooks, recording outcomes, leasing,
//! releasing) run on one dedicated thread that owns a plain SQLite connection and runs each
//! call start to finish with cached prepared statements.
//!
//! Why not through sqlx like the rest of the store: sqlx-sqlite sends every statement (and
//! every returned row) to its connection thread and back, and a group commit is some ten
//! statements. On a loaded 2-core machine each hop waits for a scheduler slot, so commits took
//! ~2.5 ms even when nearly empty; here one batch is one hop in and one out.
//!
//! The gateway's group-commit loop runs here too ([`WriteThread::run_commits`]): webhooks and
//! outcomes queue on the committer's channel, and the thread takes the next batch while the
//! last one syncs, but never two ahead of the disk (see `wal_sync`).
//!
//! It also finishes the background checkpoints ([`Checkpoints`]), between two transactions,
//! so that the WAL starts over (see `checkpoint`). The rarer writes (replay, purge,
//! correlation) stay on sqlx's writer connection. The two
//! connections take SQLite's write lock with `BEGIN IMMEDIATE` and wait on each other through
//! the busy timeout, exactly as the CLI working on the same file does.
//!
//! Commits here do not wait for the disk (`synchronous=NORMAL`): a single call that changed
//! rows syncs the WAL before it answers, and the group-commit loop's batches are synced and
//! answered by the [`Syncer`] while the next batch is written (see `wal_sync`).

use super::checkpoint::{self, Checkpointed};
use super::wal_sync::{not_durable, Syncer, WalFile};
use crate::queue::cycle::{Committer, WriteFn};
use crate::queue::db_error::from_rusqlite;
use crate::queue::StoreError;
use rusqlite::{Connection, TransactionBehavior};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

type Task = Box<dyn FnOnce(&mut Connection, &mut WalFile) + Send>;

/// What the thread is asked to do.
enum Msg {
    /// One call in its own transaction.
    Task(Task),
    /// From now on, also run the group-commit loop (`cycle::Committer`) here.
    Commits(Box<Committer>),
}

/// Statements the thread keeps prepared (a batch uses about ten distinct ones).
const STATEMENT_CACHE: usize = 64;

/// Handle to the write thread. The thread ends when the handle is dropped and its committer,
/// if any, has drained.
#[derive(Debug)]
pub(super) struct WriteThread {
    tasks: mpsc::UnboundedSender<Msg>,
}

fn stopped() -> StoreError {
    StoreError::Unavailable("the SQLite write thread has stopped".into())
}

/// Runs `f` in one `BEGIN IMMEDIATE` transaction: committed when it returns `Ok`, rolled back
/// otherwise, or if it panics (answered as an error; the thread keeps serving).
fn in_transaction<T>(
    conn: &mut Connection,
    f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let run = || {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(from_rusqlite)?;
        let out = f(&tx)?;
        tx.commit().map_err(from_rusqlite)?;
        Ok(out)
    };
    catch_unwind(AssertUnwindSafe(run)).unwrap_or_else(|_| {
        Err(StoreError::Other(
            "the SQLite write thread caught a panic".into(),
        ))
    })
}

impl WriteThread {
    /// Opens a connection to the (already created and migrated) database file at `path`, which
    /// must be in WAL mode, applies `pragmas` (`name`, `value`) and starts the thread.
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
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .map_err(from_rusqlite)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Other(format!(
                "the SQLite write thread needs a database in WAL mode, not {mode}"
            )));
        }
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // A runtime without I/O or timers: waiting on two channels at once is all it does, and
        // being woken costs a futex, not an eventfd.
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| StoreError::Other(format!("cannot start the SQLite write thread: {e}")))?;
        let (tasks, queue) = mpsc::unbounded_channel::<Msg>();
        std::thread::Builder::new()
            .name("relay-sqlite-writer".into())
            .spawn({
                let path = path.to_owned();
                move || rt.block_on(serve(conn, path, queue))
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
        let task: Task = Box::new(move |conn, wal| {
            let before = conn.total_changes();
            let done = in_transaction(conn, f).and_then(|out| {
                // A call that changed no row (an idle poll, every 250 ms) wrote nothing to
                // sync: the thread's calls write with INSERT, UPDATE and DELETE only.
                if conn.total_changes() == before {
                    return Ok(out);
                }
                wal.sync().map(|()| out).map_err(|e| not_durable(&e))
            });
            let _ = reply.send(done);
        });
        self.tasks.send(Msg::Task(task)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// A handle that finishes checkpoints on this thread and does not keep it running.
    pub(super) fn checkpoints(&self) -> Checkpoints {
        Checkpoints(self.tasks.downgrade())
    }

    /// Runs the group-commit loop on this thread from now on.
    pub(super) fn run_commits(&self, c: Committer) -> Result<(), Committer> {
        self.tasks
            .send(Msg::Commits(Box::new(c)))
            .map_err(|mpsc::error::SendError(m)| match m {
                Msg::Commits(c) => *c,
                Msg::Task(_) => unreachable!("sent a committer"),
            })
    }
}

/// Finishes background checkpoints on the write thread (see `checkpoint`).
#[derive(Debug, Clone)]
pub(super) struct Checkpoints(mpsc::WeakUnboundedSender<Msg>);

impl Checkpoints {
    /// A passive checkpoint on the write thread, between two of its transactions, so no
    /// commit lands while it copies.
    pub(super) async fn finish(&self) -> Result<Checkpointed, StoreError> {
        let (reply, answer) = oneshot::channel();
        let task: Task = Box::new(move |conn, _| {
            let _ = reply.send(checkpoint::passive(conn).map_err(from_rusqlite));
        });
        let tasks = self.0.upgrade().ok_or_else(stopped)?;
        tasks.send(Msg::Task(task)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// The thread: single calls and, once handed one, the committer's batches, as they come.
/// Calls go first (leasing and releasing are short, and delivery waits on them).
async fn serve(mut conn: Connection, path: PathBuf, mut queue: mpsc::UnboundedReceiver<Msg>) {
    let mut wal = WalFile::of(&path);
    let mut committer: Option<(Committer, Syncer)> = None;
    let mut queued = Vec::new();
    let mut open = true;
    while open || committer.is_some() {
        enum Next {
            Msg(Option<Msg>),
            Batch(usize),
        }
        let next = tokio::select! {
            biased;
            m = queue.recv(), if open => Next::Msg(m),
            n = async {
                match committer.as_mut() {
                    Some((c, syncer)) => {
                        // One batch ahead of the disk: written while the last one syncs.
                        syncer.room().await;
                        c.recv(&mut queued).await
                    }
                    None => std::future::pending().await,
                }
            } => Next::Batch(n),
        };
        match next {
            Next::Msg(Some(Msg::Task(task))) => task(&mut conn, &mut wal),
            Next::Msg(Some(Msg::Commits(c))) => {
                let mut wal = WalFile::of(&path);
                match Syncer::start(move || wal.sync()) {
                    Ok(syncer) => committer = Some((*c, syncer)),
                    Err(e) => {
                        // Dropping the committer closes its queue: webhooks are answered
                        // 503 rather than acknowledged without a durable commit.
                        tracing::error!(error = %e, "cannot start the SQLite sync thread");
                        c.finished();
                    }
                }
            }
            Next::Msg(None) => open = false,
            Next::Batch(0) => {
                if let Some((c, syncer)) = committer.take() {
                    syncer.finish();
                    c.finished();
                }
            }
            Next::Batch(_) => {
                if let Some((c, syncer)) = &committer {
                    let write: &mut WriteFn<'_> = &mut |jobs, window, lease, owner, outcomes| {
                        in_transaction(&mut conn, |tx| {
                            super::accept::write_both(tx, jobs, window, lease, owner, outcomes)
                        })
                    };
                    syncer.send(c.write(&mut queued, write));
                }
            }
        }
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
            ("journal_mode", "WAL"),
            ("synchronous", "NORMAL"),
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
        // NORMAL = 1 (the WAL is synced apart, before any answer), MEMORY = 2.
        assert_eq!(w.write(read("synchronous")).await.unwrap(), 1);
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
