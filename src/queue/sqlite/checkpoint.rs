//! Background checkpoints: copying committed WAL pages into the database file was ~12% of the
//! SQLite write thread's time when SQLite did it on commit. A task does it here instead, on a
//! reader connection; the write thread's own automatic checkpoint (at
//! `WAL_AUTOCHECKPOINT_PAGES`) stays as the backstop that lets the WAL restart from its start.

use sqlx::SqlitePool;
use std::time::Duration;

/// How often: long enough that a job's insert and its outcome moments later usually land in
/// the same checkpoint (each page is copied once, not twice).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// Runs passive checkpoints (they never wait for or block the writers) until aborted.
pub(super) async fn run(pool: SqlitePool) {
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            tracing::debug!(error = %e, "background checkpoint failed; the write thread's own checkpoint covers it");
        }
    }
}
