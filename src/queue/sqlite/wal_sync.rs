//! Durable group commits without holding the write thread in `fsync`.
//!
//! The write thread's connection runs with `synchronous=NORMAL`: a commit writes its WAL frames
//! and returns without waiting for the disk. Nobody is answered yet. The written batch goes to
//! the [`Syncer`] thread, which calls `fdatasync` on the WAL file once for every batch queued
//! meanwhile, and only then answers their callers, in commit order. So a webhook is still
//! acknowledged only once it is on disk, as with `synchronous=FULL`, but the write thread is
//! free while the disk works instead of blocked in `fsync` (about a tenth of its wall time on the
//! load benchmark).
//!
//! The write thread runs one batch ahead of the disk, no more ([`Syncer::room`]): it writes the
//! next batch while the last one syncs, then waits for that sync before it takes another. A
//! commit writes a WAL frame for every page it touches, and about ten pages are touched by any
//! commit (the tail of each table and index, the database header) whatever its size, so fewer,
//! larger commits write fewer bytes per webhook: committing eagerly gave two to three commits
//! per sync at 64 connections, and waiting for every sync took the write thread from 18.3 to
//! 14-15 µs per webhook. But waiting for every sync also left the machine idle while the disk
//! worked, with most connections waiting on it; one batch ahead costs the write thread ~0.6 µs
//! per webhook and gave +5.4% per second at 64 connections (docs/performance.md). The stage
//! takes whatever is queued when a sync starts, which keeps it correct for any caller.
//!
//! Why one `fdatasync` of the WAL covers a commit: every frame of a commit is `pwrite`n to the
//! WAL before the commit returns, and `fdatasync` on any descriptor of that file flushes all of
//! its dirty pages (and its size). Frames leave the WAL only through a checkpoint, which syncs
//! the WAL before copying; SQLite writes the WAL over from its start, or deletes it, only after
//! a checkpoint that copied its last frame and then synced the database file (at `NORMAL`
//! too). The path is looked up again when its file changed, so a new WAL is never confused
//! with the old one.

use crate::queue::cycle::Written;
use crate::queue::StoreError;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use tokio::sync::Notify;

/// The WAL file of one database, opened for `fdatasync`.
#[derive(Debug)]
pub(super) struct WalFile {
    path: PathBuf,
    /// The open file and its inode number.
    open: Option<(File, u64)>,
}

impl WalFile {
    /// The WAL of the database at `db` (`<db>-wal`, where SQLite keeps it).
    pub(super) fn of(db: &Path) -> Self {
        Self {
            path: wal_path(db),
            open: None,
        }
    }

    /// Makes everything written to the WAL so far durable.
    pub(super) fn sync(&mut self) -> io::Result<()> {
        let inode = inode_of(&self.path)?;
        let file = match self.open.take() {
            Some((file, open)) if open == inode => file,
            _ => File::open(&self.path)?,
        };
        let done = file.sync_data();
        self.open = Some((file, inode));
        done
    }
}

/// Where SQLite keeps the WAL of the database at `db`: `<db>-wal`.
pub(super) fn wal_path(db: &Path) -> PathBuf {
    let mut path = db.as_os_str().to_owned();
    path.push("-wal");
    path.into()
}

/// The inode number of the file at `path`, asked for alone.
///
/// Not `std::fs::metadata`: since Linux 6.13, ext4, XFS and btrfs give a file a fine-grained
/// modification time on its next write whenever its times were read since the last one. Read
/// before every sync, that made every commit's `pwrite` change the WAL's mtime, and every
/// `fdatasync` then wrote the inode's block too: one more device round trip per commit (3.2
/// against 2.5-2.6 device writes per sync under load on this project's machine). `statx` asking
/// for the inode number only reads no time, so the mtime moves once per clock tick again.
#[cfg(target_os = "linux")]
fn inode_of(path: &Path) -> io::Result<u64> {
    use rustix::fs::{statx, AtFlags, StatxFlags, CWD};
    match statx(CWD, path, AtFlags::empty(), StatxFlags::INO) {
        Ok(st) => Ok(st.stx_ino),
        // A kernel older than 4.11, or a sandbox that filters `statx`.
        Err(rustix::io::Errno::NOSYS | rustix::io::Errno::PERM) => {
            use std::os::unix::fs::MetadataExt;
            Ok(std::fs::metadata(path)?.ino())
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(target_os = "linux"))]
fn inode_of(path: &Path) -> io::Result<u64> {
    use std::os::unix::fs::MetadataExt;
    Ok(std::fs::metadata(path)?.ino())
}

/// The error callers get when their commit could not be made durable.
pub(super) fn not_durable(e: &io::Error) -> StoreError {
    StoreError::Unavailable(format!("cannot sync the SQLite WAL to disk: {e}"))
}

/// The stage after the write thread: syncs, then answers (see the module doc).
#[derive(Debug)]
pub(super) struct Syncer {
    batches: mpsc::Sender<Written>,
    thread: JoinHandle<()>,
    pending: Arc<Pending>,
}

impl Syncer {
    /// Starts the thread; `sync` makes every commit written so far durable.
    pub(super) fn start(
        mut sync: impl FnMut() -> io::Result<()> + Send + 'static,
    ) -> io::Result<Self> {
        let (batches, queue) = mpsc::channel::<Written>();
        let pending = Arc::new(Pending::default());
        let done = pending.clone();
        let thread = std::thread::Builder::new()
            .name("relay-sqlite-sync".into())
            .spawn(move || {
                // After a failed `fdatasync` the kernel may have dropped the dirty pages and a
                // later one can succeed without them: no commit is answered as durable again
                // until the gateway restarts (and SQLite recovers from what is on disk).
                let mut failed: Option<io::Error> = None;
                while let Ok(first) = queue.recv() {
                    let written: Vec<Written> =
                        std::iter::once(first).chain(queue.try_iter()).collect();
                    // Counts them answered when this round ends, even by a panic.
                    let _answered = Answered(&done, written.len());
                    if failed.is_none() {
                        if let Err(e) = sync() {
                            tracing::error!(error = %e, "cannot sync the SQLite WAL to disk: from now on webhooks are answered 503 (vendors retry) and the gateway needs a restart; the jobs committed are delivered once their leases expire");
                            failed = Some(e);
                        }
                    }
                    match &failed {
                        None => written.into_iter().for_each(Written::conclude),
                        Some(e) => {
                            for w in written {
                                w.fail(not_durable(e)).conclude();
                            }
                        }
                    }
                }
            })?;
        Ok(Self {
            batches,
            thread,
            pending,
        })
    }

    /// Hands a committed batch over; its callers are answered once it is durable.
    pub(super) fn send(&self, written: Written) {
        self.pending.count.fetch_add(1, Ordering::AcqRel);
        if let Err(mpsc::SendError(written)) = self.batches.send(written) {
            self.pending.answered(1);
            written.fail(stopped()).conclude();
        }
    }

    /// Resolves once at most [`AHEAD`] batches handed over are unanswered: the write thread
    /// waits for this before it takes its next batch (see the module doc).
    pub(super) async fn room(&self) {
        loop {
            let woken = self.pending.answered.notified();
            tokio::pin!(woken);
            // Registered before the check, so a round that ends in between still wakes us.
            woken.as_mut().enable();
            if self.pending.count.load(Ordering::Acquire) <= AHEAD {
                return;
            }
            woken.await;
        }
    }

    /// Waits until every batch handed over is answered.
    pub(super) fn finish(self) {
        let Self {
            batches, thread, ..
        } = self;
        drop(batches); // the thread's queue ends once it has drained
        let _ = thread.join();
    }
}

/// Batches the write thread may have handed over and unanswered when it takes the next: one
/// syncing while the next is written.
const AHEAD: usize = 1;

/// Batches handed to the sync thread and not yet answered, and a wake-up for each answer.
#[derive(Debug, Default)]
struct Pending {
    count: AtomicUsize,
    answered: Notify,
}

impl Pending {
    /// Takes `n` answered batches off the count and wakes [`Syncer::room`].
    fn answered(&self, n: usize) {
        self.count.fetch_sub(n, Ordering::AcqRel);
        self.answered.notify_waiters();
    }
}

/// Takes a round of batches off the pending count when dropped.
struct Answered<'a>(&'a Pending, usize);

impl Drop for Answered<'_> {
    fn drop(&mut self) {
        self.0.answered(self.1);
    }
}

fn stopped() -> StoreError {
    StoreError::Unavailable("the SQLite sync thread has stopped".into())
}

#[cfg(test)]
#[path = "wal_sync_tests.rs"]
mod tests;
