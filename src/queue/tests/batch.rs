//! Group commit: many callers share a transaction, every caller is answered, failures reach
//! every caller of the failed batch, leased jobs reach the worker.

use super::counting::Counting;
use super::harness::{job, DAY, T0};
use crate::queue::{
    Accepted, Acceptor, AcceptorConfig, Finish, Finisher, Lease, Store, StoreError, Writer,
};
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

on_both_backends!(
    concurrent_accepts_share_transactions_and_all_get_answers,
    a_failed_commit_fails_every_caller_in_the_batch_and_stores_nothing,
    order_heads_accepted_with_a_lease_are_handed_to_the_worker,
    the_acceptor_drains_and_stops_when_every_handle_is_dropped,
    the_finisher_batches_outcomes_and_reports_failures,
    recorded_outcomes_need_no_wait_and_a_flush_waits_for_their_commit,
    the_gateway_writer_leases_records_and_ends_with_its_handles,
);

fn config(batch_max: usize, lease: Option<(String, i64)>) -> AcceptorConfig {
    AcceptorConfig {
        batch_max,
        dedupe_window_ms: DAY,
        lease,
    }
}

/// Waits (bounded) until the gated store has been entered `n` times.
async fn until_calls(c: &Counting, n: usize) {
    for _ in 0..2_000 {
        if c.accept_calls.load(Ordering::SeqCst) + c.finish_calls.load(Ordering::SeqCst) >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the commit task never called the store");
}

async fn concurrent_accepts_share_transactions_and_all_get_answers(s: Arc<dyn Store>) {
    let counting = Counting::new(s.clone(), true);
    let (acceptor, task) = Acceptor::spawn(counting.clone(), config(64, None), None);
    let callers: Vec<_> = (0..150)
        .map(|i| {
            let a = acceptor.clone();
            tokio::spawn(async move { a.accept(job(&format!("e{i}"), &format!("o{i}"), T0)).await })
        })
        .collect();
    // The first commit is held while the other callers queue up behind it.
    until_calls(&counting, 1).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    counting.gate.add_permits(1);
    let mut ids = HashSet::new();
    for c in callers {
        match c.await.unwrap().unwrap() {
            Accepted::New { id, leased: false } => assert!(ids.insert(id)),
            other => panic!("{other:?}"),
        }
    }
    let transactions = counting.accept_calls.load(Ordering::SeqCst);
    assert!(
        transactions < 150,
        "{transactions} transactions for 150 webhooks"
    );
    assert_eq!(s.stats(T0, true).await.unwrap().pending, 150);
    drop(acceptor);
    task.await.unwrap();
}

async fn a_failed_commit_fails_every_caller_in_the_batch_and_stores_nothing(s: Arc<dyn Store>) {
    let counting = Counting::new(s.clone(), true);
    counting.fail.store(true, Ordering::SeqCst);
    let (acceptor, _task) = Acceptor::spawn(counting.clone(), config(16, None), None);
    let callers: Vec<_> = (0..20)
        .map(|i| {
            let a = acceptor.clone();
            tokio::spawn(async move { a.accept(job(&format!("e{i}"), "o", T0)).await })
        })
        .collect();
    until_calls(&counting, 1).await;
    counting.gate.add_permits(1);
    for c in callers {
        assert!(matches!(c.await.unwrap(), Err(StoreError::Unavailable(_))));
    }
    assert_eq!(s.stats(T0, true).await.unwrap().pending, 0);
    // The task survives a failed batch.
    counting.fail.store(false, Ordering::SeqCst);
    assert!(matches!(
        acceptor.accept(job("later", "o", T0)).await,
        Ok(Accepted::New { .. })
    ));
}

async fn order_heads_accepted_with_a_lease_are_handed_to_the_worker(s: Arc<dyn Store>) {
    let (tx, rx) = async_channel::bounded(16);
    let cfg = config(8, Some(("w1".into(), 60_000)));
    let (acceptor, task) = Acceptor::spawn(s.clone(), cfg, Some(tx));
    let a1 = acceptor.accept(job("a1", "A", T0)).await.unwrap();
    let a2 = acceptor.accept(job("a2", "A", T0)).await.unwrap();
    let b1 = acceptor.accept(job("b1", "B", T0)).await.unwrap();
    assert!(matches!(a1, Accepted::New { leased: true, .. }));
    assert!(matches!(a2, Accepted::New { leased: false, .. }));
    let dup = acceptor.accept(job("a1", "A", T0)).await.unwrap();
    assert!(matches!(dup, Accepted::Duplicate { .. }));
    drop(acceptor);
    task.await.unwrap();
    let handed: Vec<_> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
    let ids: Vec<i64> = handed.iter().map(|j| j.id).collect();
    let id = |a: Accepted| match a {
        Accepted::New { id, .. } => id,
        other => panic!("{other:?}"),
    };
    assert_eq!(ids, [id(a1), id(b1)]);
    assert_eq!(handed[0].order_id, "A");
    assert_eq!(handed[0].body, r#"{"event":"a1"}"#);
    assert_eq!(handed[0].attempts, 0);
    // The worker finishes with the acceptor's owner.
    let f = Finish::Delivered {
        id: id(a1),
        status: 200,
        at_ms: T0,
    };
    assert_eq!(s.finish_batch("w1", &[f]).await.unwrap(), 1);
}

async fn the_acceptor_drains_and_stops_when_every_handle_is_dropped(s: Arc<dyn Store>) {
    let (acceptor, task) = Acceptor::spawn(s.clone(), config(4, None), None);
    let second = acceptor.clone();
    let pending = tokio::spawn(async move { second.accept(job("e1", "o", T0)).await });
    drop(acceptor);
    assert!(pending.await.unwrap().is_ok());
    task.await.unwrap();
    assert_eq!(s.stats(T0, true).await.unwrap().pending, 1);
}

/// `n` jobs of distinct orders, accepted and leased to "w".
async fn leased_jobs(s: &Arc<dyn Store>, n: usize) -> Vec<crate::queue::Job> {
    let jobs: Vec<_> = (0..n)
        .map(|i| job(&format!("e{i}"), &format!("o{i}"), T0))
        .collect();
    s.accept_batch(&jobs, DAY, None).await.unwrap();
    let lease = Lease {
        owner: "w".into(),
        until_ms: T0 + DAY,
    };
    let leased = s.lease_due(&lease, T0, n).await.unwrap();
    assert_eq!(leased.len(), n);
    leased
}

async fn the_finisher_batches_outcomes_and_reports_failures(s: Arc<dyn Store>) {
    let leased = leased_jobs(&s, 100).await;
    let counting = Counting::new(s.clone(), true);
    let (finisher, task) = Finisher::spawn(counting.clone(), "w".into(), 32);
    let callers: Vec<_> = leased
        .iter()
        .map(|j| {
            let f = finisher.clone();
            let id = j.id;
            tokio::spawn(async move {
                f.finish(Finish::Delivered {
                    id,
                    status: 200,
                    at_ms: T0,
                })
                .await
            })
        })
        .collect();
    until_calls(&counting, 1).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    counting.gate.add_permits(1);
    for c in callers {
        c.await.unwrap().unwrap();
    }
    assert!(counting.finish_calls.load(Ordering::SeqCst) < 100);
    assert_eq!(s.stats(T0, true).await.unwrap().delivered, Some(100));

    counting.fail.store(true, Ordering::SeqCst);
    let err = finisher
        .finish(Finish::Delivered {
            id: 1,
            status: 200,
            at_ms: T0,
        })
        .await;
    assert!(matches!(err, Err(StoreError::Unavailable(_))));
    drop(finisher);
    task.await.unwrap();
}

async fn recorded_outcomes_need_no_wait_and_a_flush_waits_for_their_commit(s: Arc<dyn Store>) {
    let leased = leased_jobs(&s, 50).await;
    let counting = Counting::new(s.clone(), true);
    let (finisher, task) = Finisher::spawn(counting.clone(), "w".into(), 64);
    // The first commit is held: recording still returns at once, for every outcome.
    for j in &leased {
        let f = Finish::Delivered {
            id: j.id,
            status: 200,
            at_ms: T0,
        };
        tokio::time::timeout(Duration::from_secs(5), finisher.record(f))
            .await
            .expect("record waited for the commit")
            .unwrap();
    }
    until_calls(&counting, 1).await;
    let early = tokio::time::timeout(Duration::from_millis(100), finisher.flush()).await;
    assert!(
        early.is_err(),
        "flush returned before the outcomes committed"
    );
    counting.gate.add_permits(1);
    tokio::time::timeout(Duration::from_secs(10), finisher.flush())
        .await
        .expect("flush never returned");
    assert_eq!(s.stats(T0, true).await.unwrap().delivered, Some(50));
    drop(finisher);
    task.await.unwrap();
}

/// `Writer::spawn` as the gateway uses it: on SQLite the cycle runs on the write thread, on
/// PostgreSQL on two tasks; either way webhooks come back leased to the worker, outcomes
/// commit, and the tasks end once every handle is gone.
async fn the_gateway_writer_leases_records_and_ends_with_its_handles(s: Arc<dyn Store>) {
    let (tx, rx) = async_channel::bounded(64);
    let cfg = config(8, Some(("w1".into(), 60_000)));
    let (acceptor, finisher, tasks) = Writer::spawn(s.clone(), cfg, "w1".into(), Some(tx));
    let callers: Vec<_> = (0..20)
        .map(|i| {
            let a = acceptor.clone();
            tokio::spawn(async move { a.accept(job(&format!("e{i}"), &format!("o{i}"), T0)).await })
        })
        .collect();
    for c in callers {
        assert!(matches!(
            c.await.unwrap().unwrap(),
            Accepted::New { leased: true, .. }
        ));
    }
    // Callers are answered first, then the leased jobs handed over (on SQLite, from the write
    // thread): wait for them, bounded.
    let mut handed = Vec::new();
    while handed.len() < 20 {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            Ok(Ok(j)) => handed.push(j),
            other => panic!(
                "only {} of 20 order heads reached the worker: {other:?}",
                handed.len()
            ),
        }
    }
    for j in &handed {
        let f = Finish::Delivered {
            id: j.id,
            status: 200,
            at_ms: T0,
        };
        finisher.record(f).await.unwrap();
    }
    finisher.flush().await;
    assert_eq!(s.stats(T0, true).await.unwrap().delivered, Some(20));
    drop((acceptor, finisher));
    for t in tasks {
        tokio::time::timeout(Duration::from_secs(10), t)
            .await
            .expect("a commit task outlived its handles")
            .unwrap();
    }
}
