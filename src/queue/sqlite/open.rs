//! Opening the embedded store: the file and its folder, migrations, the sqlx writer and
//! readers, the write thread and the background checkpoint.

use super::{checkpoint, thread, SqliteStore};
use crate::queue::db_error::{from_migrate, from_sqlx};
use crate::queue::{StoreError, StoreOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// How long a writer waits for the connection (other writes queue behind a group commit).
const WRITER_ACQUIRE: Duration = Duration::from_secs(10);
/// How long a reader waits for a pooled connection.
const READER_ACQUIRE: Duration = Duration::from_secs(5);
/// How long SQLite waits on a lock held by another process (the CLI working on the file).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// WAL pages written before the write thread checkpoints on its own (SQLite's default is
/// 1 000). The background checkpoint (`checkpoint`) keeps the WAL well below this; the
/// automatic one is the backstop when that task falls behind. (When it was the only one, a
/// longer interval let most pages be copied once instead of twice: 20-40% more accept+finish
/// throughput.)
const WAL_AUTOCHECKPOINT_PAGES: &str = "10000";
/// Page size of a new database (an existing one keeps its own). Each page a commit touches is
/// one WAL frame, written with two `pwrite`s (frame header, page); a commit touches a few dozen
/// pages whatever their size, so 8 KiB pages halve the write thread's system calls. Measured on
/// the load benchmark against 4 KiB pages (interleaved runs): +7% webhooks per second with
/// counting ids, +10% with random ones, 1-4 µs less write-thread CPU per webhook.
const PAGE_SIZE: u32 = 8192;
/// After a checkpoint the WAL file is truncated back to this size (bytes).
const WAL_SIZE_LIMIT: &str = "67108864";
/// Page cache of the write thread (KiB, negative = size rather than pages): the hot end of every
/// index stays in memory. The other connections keep SQLite's default.
const WRITER_CACHE_KIB: &str = "-65536";

impl SqliteStore {
    /// Opens (creating the file and its folder) and migrates the database at `url`.
    pub(crate) async fn open(url: &str, opts: &StoreOptions) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Other(format!("bad SQLite URL: {e}")))?
            .create_if_missing(true)
            .page_size(PAGE_SIZE)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(false)
            .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES)
            .pragma("journal_size_limit", WAL_SIZE_LIMIT);
        if url.contains(":memory:") || url.contains("mode=memory") {
            return Err(StoreError::Other(
                "an in-memory SQLite database cannot hold a durable queue: give a file path".into(),
            ));
        }
        if let Some(dir) = options.get_filename().parent() {
            if !dir.as_os_str().is_empty() {
                tokio::fs::create_dir_all(dir).await.map_err(|e| {
                    StoreError::Other(format!("cannot create {}: {e}", dir.display()))
                })?;
            }
        }
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(WRITER_ACQUIRE)
            // A local file connection does not go stale; a ping per transaction would be one
            // more round trip to SQLite's thread on the path every webhook takes.
            .test_before_acquire(false)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options.clone())
            .await
            .map_err(from_sqlx)?;
        MIGRATOR.run(&writer).await.map_err(from_migrate)?;
        let hot = thread::WriteThread::start(
            options.get_filename(),
            BUSY_TIMEOUT,
            &[
                // Durable all the same: nothing it commits is answered before the WAL is
                // synced (`wal_sync`), but the sync no longer holds the thread.
                ("synchronous", "NORMAL"),
                ("foreign_keys", "OFF"),
                ("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES),
                ("journal_size_limit", WAL_SIZE_LIMIT),
                ("cache_size", WRITER_CACHE_KIB),
                // Multi-row statements keep a statement journal; past 64 KiB SQLite spills it
                // to a temporary file, which cost the thread ~10% of its time in writes.
                ("temp_store", "MEMORY"),
            ],
        )?;
        let db = options.get_filename().to_owned();
        let reader = SqlitePoolOptions::new()
            .max_connections(opts.pool_size.clamp(1, 4))
            .acquire_timeout(READER_ACQUIRE)
            .connect_with(options)
            .await
            .map_err(from_sqlx)?;
        let checkpointer = tokio::spawn(checkpoint::run(reader.clone(), db, hot.checkpoints()));
        Ok(Self {
            hot,
            writer,
            reader,
            checkpointer,
        })
    }
}
