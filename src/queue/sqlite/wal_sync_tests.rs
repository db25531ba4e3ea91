//! The WAL sync stage: nobody is answered before the sync returns, answers keep commit order,
//! and a failed sync fails that batch and every later one; a single call on the write thread
//! syncs when it changed rows, and only then.

use super::*;
use crate::queue::cycle::{Committer, Request};
use crate::queue::tests::harness::{job, T0};
use crate::queue::{Accepted, AcceptorConfig};
use std::os::unix::fs::MetadataExt;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

type Answer = oneshot::Receiver<Result<Accepted, StoreError>>;

fn committer() -> Committer {
    let (_tx, rx) = mpsc::channel(1);
    let (done, _) = oneshot::channel();
    Committer {
        rx,
        cfg: AcceptorConfig {
            batch_max: 8,
            dedupe_window_ms: 0,
            lease: None,
        },
        owner: "test".into(),
        batch_max: 8,
        leased: None,
        rt: tokio::runtime::Handle::current(),
        done,
    }
}

/// One webhook "committed" as job `id`, and the receiver of its answer.
fn written(c: &Committer, id: i64) -> (Written, Answer) {
    let (reply, answer) = oneshot::channel();
    let mut queued = vec![Request::Accept(
        Box::new(job(&format!("e{id}"), "o", T0)),
        reply,
        None,
    )];
    let w = c.write(&mut queued, &mut |jobs, _, _, _, _| {
        assert_eq!(jobs.len(), 1);
        Ok((vec![Accepted::New { id, leased: false }], 0))
    });
    (w, answer)
}

async fn answer_of(a: Answer) -> Result<Accepted, StoreError> {
    tokio::time::timeout(Duration::from_secs(5), a)
        .await
        .expect("answered in time")
        .expect("answered")
}

/// `a` is answered: accepted as job `id`.
async fn assert_accepted(a: Answer, id: i64) {
    let got = answer_of(a).await;
    assert!(
        matches!(got, Ok(Accepted::New { id: got_id, leased: false }) if got_id == id),
        "{got:?}"
    );
}

#[tokio::test]
async fn callers_are_answered_after_the_sync_in_commit_order_and_never_after_a_failed_one() {
    // Each sync waits for the test to let it finish, with the result the test gives.
    let (results, gate) = std_mpsc::channel::<io::Result<()>>();
    let (entered_tx, entered) = std_mpsc::channel::<()>();
    let syncer = Syncer::start(move || {
        entered_tx.send(()).unwrap();
        gate.recv().unwrap()
    })
    .unwrap();
    let c = committer();

    let (w1, mut a1) = written(&c, 1);
    syncer.send(w1);
    entered.recv_timeout(Duration::from_secs(5)).unwrap();
    // Committed but not yet synced: no answer.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(matches!(
        a1.try_recv(),
        Err(oneshot::error::TryRecvError::Empty)
    ));
    // Two more batches queue while the first sync runs; one sync then covers both.
    let (w2, a2) = written(&c, 2);
    let (w3, a3) = written(&c, 3);
    syncer.send(w2);
    syncer.send(w3);
    results.send(Ok(())).unwrap();
    assert_accepted(a1, 1).await;
    entered.recv_timeout(Duration::from_secs(5)).unwrap();
    results.send(Ok(())).unwrap();
    assert_accepted(a2, 2).await;
    assert_accepted(a3, 3).await;

    // A failed sync fails its batch, and every later one without syncing again.
    let (w4, a4) = written(&c, 4);
    syncer.send(w4);
    entered.recv_timeout(Duration::from_secs(5)).unwrap();
    results.send(Err(io::Error::other("disk gone"))).unwrap();
    let failed = answer_of(a4).await;
    assert!(
        matches!(&failed, Err(StoreError::Unavailable(m)) if m.contains("disk gone")),
        "{failed:?}"
    );
    let (w5, a5) = written(&c, 5);
    syncer.send(w5);
    assert!(matches!(
        answer_of(a5).await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(
        entered.try_recv().is_err(),
        "no sync is tried after a failed one"
    );
    syncer.finish();
}

#[tokio::test]
async fn finish_waits_until_every_batch_handed_over_is_answered() {
    let syncer = Syncer::start(|| {
        std::thread::sleep(Duration::from_millis(20));
        Ok(())
    })
    .unwrap();
    let c = committer();
    let answers: Vec<Answer> = (1..=5)
        .map(|id| {
            let (w, a) = written(&c, id);
            syncer.send(w);
            a
        })
        .collect();
    syncer.finish();
    for (id, mut a) in (1..=5).zip(answers) {
        assert!(
            matches!(a.try_recv().unwrap(), Ok(Accepted::New { id: got, leased: false }) if got == id)
        );
    }
}

#[tokio::test]
async fn room_lets_the_writer_run_one_batch_ahead_of_the_disk_and_no_more() {
    let within = |d| tokio::time::timeout(Duration::from_millis(d), std::future::pending::<()>());
    let (results, gate) = std_mpsc::channel::<io::Result<()>>();
    let syncer = Syncer::start(move || gate.recv().unwrap()).unwrap();
    let c = committer();
    let room = || tokio::time::timeout(Duration::from_secs(5), syncer.room());
    room().await.expect("room with nothing handed over");

    let (w1, a1) = written(&c, 1);
    syncer.send(w1);
    room()
        .await
        .expect("room for a second batch while the first syncs");
    let (w2, a2) = written(&c, 2);
    syncer.send(w2);
    tokio::select! {
        _ = syncer.room() => panic!("room for a third batch while two are unanswered"),
        _ = within(50) => {}
    }
    results.send(Ok(())).unwrap();
    // The first round took the first batch, or both: either way one at most is left.
    room().await.expect("room once the first is answered");
    results.send(Ok(())).unwrap();
    assert!(answer_of(a1).await.is_ok() && answer_of(a2).await.is_ok());
    syncer.finish();
}

#[tokio::test]
async fn a_sync_thread_that_panics_does_not_leave_the_write_thread_waiting() {
    let syncer = Syncer::start(|| panic!("sync panicked (expected by this test)")).unwrap();
    let c = committer();
    let (w, a) = written(&c, 1);
    syncer.send(w);
    syncer.send(written(&c, 2).0);
    tokio::time::timeout(Duration::from_secs(5), syncer.room())
        .await
        .expect("room: the rounds counted as ended");
    let answered = tokio::time::timeout(Duration::from_secs(5), a)
        .await
        .unwrap();
    assert!(
        answered.is_err(),
        "dropped unanswered: the caller sees the store stopped"
    );
    syncer.finish();
}

#[test]
fn the_wal_file_is_synced_by_path_and_opened_again_when_sqlite_made_a_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    let mut wal = WalFile::of(&db);
    assert_eq!(wal.path, dir.path().join("relay.db-wal"));
    // No WAL (yet): an error, never a silent success.
    assert_eq!(wal.sync().unwrap_err().kind(), io::ErrorKind::NotFound);

    std::fs::write(&wal.path, b"frames").unwrap();
    wal.sync().unwrap();
    let first = wal.open.as_ref().map(|(_, inode)| *inode).unwrap();
    wal.sync().unwrap();
    assert_eq!(wal.open.as_ref().map(|(_, i)| *i), Some(first), "kept open");

    // SQLite deleted the WAL (after a full checkpoint) and later created a new one. The new
    // file is made before the old one is removed so that it cannot reuse the inode number.
    let next = dir.path().join("next");
    std::fs::write(&next, b"new frames").unwrap();
    std::fs::rename(&next, &wal.path).unwrap();
    wal.sync().unwrap();
    let second = wal.open.as_ref().map(|(_, i)| *i).unwrap();
    assert_ne!(second, first, "the new file is the one synced");
    assert_eq!(second, std::fs::metadata(&wal.path).unwrap().ino());
}

#[test]
fn the_inode_number_is_the_one_metadata_gives() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, b"x").unwrap();
    assert_eq!(
        inode_of(&path).unwrap(),
        std::fs::metadata(&path).unwrap().ino()
    );
    assert_eq!(
        inode_of(&dir.path().join("missing")).unwrap_err().kind(),
        io::ErrorKind::NotFound
    );
}

#[tokio::test]
async fn a_single_call_syncs_only_when_it_changed_rows() {
    use crate::queue::db_error::from_rusqlite;
    use crate::queue::sqlite::thread::WriteThread;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let pragmas = [("journal_mode", "WAL"), ("synchronous", "NORMAL")];
    let w = WriteThread::start(&db, Duration::from_secs(1), &pragmas).unwrap();
    let insert = || {
        |tx: &rusqlite::Transaction<'_>| {
            tx.execute("INSERT INTO t VALUES (1)", [])
                .map_err(from_rusqlite)
        }
    };
    let count = || {
        |tx: &rusqlite::Transaction<'_>| {
            tx.query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0))
                .map_err(from_rusqlite)
        }
    };
    w.write(|tx| {
        tx.execute_batch("CREATE TABLE t (x)")
            .map_err(from_rusqlite)
    })
    .await
    .unwrap();
    assert_eq!(w.write(insert()).await.unwrap(), 1);

    // The WAL can no longer be synced by its path (SQLite keeps writing to its open file).
    let wal = WalFile::of(&db).path;
    std::fs::rename(&wal, dir.path().join("moved")).unwrap();
    assert_eq!(w.write(count()).await.unwrap(), 1, "a read needs no sync");
    let failed = w.write(insert()).await;
    assert!(
        matches!(&failed, Err(StoreError::Unavailable(m)) if m.contains("cannot sync")),
        "a change is answered only once synced: {failed:?}"
    );
}
