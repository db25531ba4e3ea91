//! Background checkpoints: copying committed WAL pages into the database file was ~12% of the
//! SQLite write thread's time when SQLite did it on commit. A task does it here instead, on a
//! reader connection, and then has the write thread finish it, so that the WAL starts over.
//!
//! Why the finish: SQLite writes the WAL from its start again only when a write transaction
//! begins with every frame already checkpointed. A checkpoint beside the write thread never
//! gets there under load: commits land while it copies, so it always ends a few frames short.
//! The WAL then grew until the write thread's own automatic checkpoint (at
//! `WAL_AUTOCHECKPOINT_PAGES`, 80 MiB) ran on it: a 21–28 ms commit every ~0.8 s at 64
//! connections, then a 5–7 ms one truncating the file, with every webhook in flight waiting;
//! and in between, each commit appended to a growing file. Once this task has copied what it
//! saw of a WAL past `FINISH_FROM_FRAMES`, a passive checkpoint on the write thread, between
//! two of its transactions, copies the few frames committed meanwhile; nothing can commit
//! during it, so it leaves the WAL complete and the next commit starts the file over. The
//! automatic checkpoint stays as the backstop. This task also syncs the database file after
//! each checkpoint that copied pages, so that the finish has few left to sync
//! ([`Progress::needs_flush`]).

use super::thread::Checkpoints;
use sqlx::SqlitePool;
use std::path::PathBuf;
use std::time::Duration;

/// How often: long enough that a job's insert and its outcome moments later usually land in
/// the same checkpoint (each page is copied once, not twice).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// The WAL size (frames, 8 KiB each on a new database: 32 MiB) from which a checkpoint is
/// finished on the write thread. A finish holds the thread for a copy and two `fsync`s (1.5-4
/// ms at 64 connections), so at load it runs every ~0.4 s rather than after every checkpoint
/// (from 1 024 frames: write thread 0.5-1.3 µs more per webhook in three pairs). A quiet
/// gateway's WAL grows slowly and mostly starts over on its own: a checkpoint that no commit
/// overlaps completes.
const FINISH_FROM_FRAMES: i64 = 4096;

/// What `PRAGMA wal_checkpoint` answers: whether it was blocked, the WAL's frames, and how
/// many of them are now in the database file.
pub(super) type Checkpointed = (i64, i64, i64);

/// Copies what it can without waiting for or blocking any writer; answers [`Checkpointed`].
const PASSIVE: &str = "PRAGMA wal_checkpoint(PASSIVE)";

/// A passive checkpoint on `conn` (a plain SQLite connection, as the write thread's).
pub(super) fn passive(conn: &rusqlite::Connection) -> rusqlite::Result<Checkpointed> {
    conn.query_row(PASSIVE, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
}

/// What the loop knows between two checkpoints.
#[derive(Debug, Default)]
struct Progress {
    /// Frames copied as of the last sync of the database file.
    flushed: i64,
    /// What the last finish answered: while nothing commits, checkpoints answer the same.
    finished: Option<Checkpointed>,
}

impl Progress {
    /// Whether the database file needs a sync after a checkpoint that answered `done`.
    ///
    /// SQLite syncs it only after a checkpoint that reached the WAL's end, so under load only
    /// the finish did, on the write thread, for every page copied since the last one: 12-20
    /// ms at 64 connections, with every commit waiting. Synced here after each checkpoint
    /// that copied anything, the finish has a few pages left.
    fn needs_flush(&self, (_, _, copied): Checkpointed) -> bool {
        copied != self.flushed
    }

    /// Whether to finish on the write thread after a checkpoint that answered `done`: it
    /// copied everything it saw of a WAL worth starting over, and something was committed
    /// since the last finish.
    fn needs_finish(&self, done: Checkpointed) -> bool {
        let (busy, frames, copied) = done;
        busy == 0 && frames >= FINISH_FROM_FRAMES && copied == frames && self.finished != Some(done)
    }
}

/// Runs passive checkpoints (they never wait for or block the writers) until aborted. `db` is
/// the database file.
pub(super) async fn run(pool: SqlitePool, db: PathBuf, writer: Checkpoints) {
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut progress = Progress::default();
    loop {
        every.tick().await;
        let done = match sqlx::query_as::<_, Checkpointed>(PASSIVE)
            .fetch_one(&pool)
            .await
        {
            Ok(done) => done,
            Err(e) => {
                tracing::debug!(error = %e, "background checkpoint failed; the write thread's own checkpoint covers it");
                continue;
            }
        };
        if progress.needs_flush(done) {
            if let Err(e) = flush(db.clone()).await {
                tracing::debug!(error = %e, "cannot sync the database file after a checkpoint; the next checkpoint syncs it");
                continue;
            }
            progress.flushed = done.2;
        }
        if progress.needs_finish(done) {
            match writer.finish().await {
                Ok(answer) => progress.finished = Some(answer),
                Err(e) => {
                    tracing::debug!(error = %e, "finishing a checkpoint on the write thread failed; the next one tries again");
                }
            }
        }
    }
}

/// Writes the database file's dirty pages to disk, on a blocking thread.
async fn flush(db: PathBuf) -> std::io::Result<()> {
    tokio::task::spawn_blocking(move || std::fs::File::open(db)?.sync_data())
        .await
        .map_err(std::io::Error::other)?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::db_error::from_rusqlite;
    use crate::queue::sqlite::thread::WriteThread;
    use crate::queue::sqlite::wal_sync::wal_path;
    use rusqlite::Connection;

    /// The size of the WAL file of `db`.
    fn wal_len(db: &std::path::Path) -> u64 {
        std::fs::metadata(wal_path(db)).unwrap().len()
    }

    /// The situation under load, played step by step: commits land while a checkpoint beside
    /// the write thread copies, so it ends short of the WAL's end and the WAL keeps growing;
    /// finished on the write thread, the next commit starts the WAL over.
    #[tokio::test]
    async fn a_finished_checkpoint_lets_the_next_commit_start_the_wal_over() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        // No automatic checkpoint: only the ones played here.
        let pragmas = [
            ("journal_mode", "WAL"),
            ("synchronous", "NORMAL"),
            ("wal_autocheckpoint", "0"),
        ];
        let w = WriteThread::start(&db, Duration::from_secs(1), &pragmas).unwrap();
        let commit = || {
            w.write(|tx| {
                tx.execute("INSERT INTO t VALUES (zeroblob(20000))", [])
                    .map_err(from_rusqlite)
            })
        };
        w.write(|tx| {
            tx.execute_batch("CREATE TABLE t (x BLOB)")
                .map_err(from_rusqlite)
        })
        .await
        .unwrap();
        for _ in 0..5 {
            commit().await.unwrap();
        }
        // A reader's snapshot stands for the commits the checkpoint does not see.
        let mut reader = Connection::open(&db).unwrap();
        let snapshot = reader.transaction().unwrap();
        snapshot
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0))
            .unwrap();
        commit().await.unwrap();
        let checkpointer = Connection::open(&db).unwrap();
        let (busy, frames, copied) = passive(&checkpointer).unwrap();
        assert_eq!(busy, 0);
        assert!(copied < frames, "ended short: {copied} of {frames}");
        snapshot.commit().unwrap();

        let before = wal_len(&db);
        commit().await.unwrap();
        let grown = wal_len(&db);
        assert!(
            grown > before,
            "not started over: the WAL grew from {before} to {grown}"
        );

        let (busy, frames, copied) = w.checkpoints().finish().await.unwrap();
        assert_eq!((busy, copied), (0, frames), "the finish copies the rest");
        commit().await.unwrap();
        assert_eq!(wal_len(&db), grown, "started over: written from its start");
        let (_, frames_now, _) = passive(&checkpointer).unwrap();
        assert!(frames_now < frames, "{frames_now} frames, from {frames}");
    }

    #[tokio::test]
    async fn finishing_on_a_stopped_thread_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let pragmas = [("journal_mode", "WAL")];
        let w =
            WriteThread::start(&dir.path().join("t.db"), Duration::from_secs(1), &pragmas).unwrap();
        let checkpoints = w.checkpoints();
        drop(w);
        assert!(matches!(
            checkpoints.finish().await,
            Err(crate::queue::StoreError::Unavailable(_))
        ));
    }

    #[test]
    fn only_a_complete_checkpoint_of_a_large_wal_is_finished_and_only_once() {
        let mut p = Progress::default();
        assert!(p.needs_finish((0, 4096, 4096)));
        assert!(p.needs_finish((0, 5000, 5000)));
        assert!(!p.needs_finish((0, 4095, 4095)), "small WAL");
        assert!(
            !p.needs_finish((0, 5000, 4999)),
            "a reader held frames back"
        );
        assert!(!p.needs_finish((1, -1, -1)), "blocked");
        p.finished = Some((0, 5000, 5000));
        assert!(!p.needs_finish((0, 5000, 5000)), "nothing committed since");
        assert!(
            p.needs_finish((0, 5100, 5100)),
            "committed, not started over"
        );
    }

    #[test]
    fn the_database_file_is_synced_after_a_checkpoint_that_copied_pages() {
        let mut p = Progress::default();
        assert!(!p.needs_flush((0, 0, 0)), "an empty WAL");
        assert!(p.needs_flush((0, 300, 120)));
        p.flushed = 120;
        assert!(!p.needs_flush((0, 350, 120)), "nothing copied since");
        assert!(p.needs_flush((0, 350, 350)));
        assert!(p.needs_flush((0, 40, 40)), "the WAL started over");
    }

    #[tokio::test]
    async fn flushing_syncs_the_file_and_reports_a_missing_one() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        std::fs::write(&db, b"pages").unwrap();
        flush(db).await.unwrap();
        let missing = flush(dir.path().join("missing")).await.unwrap_err();
        assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
    }
}
