//! Acceptance: ids, dedupe inside and after the window, and the leased fast path.

use super::harness::{awaiting, job, unmappable, DAY, T0};
use crate::queue::QueueStats;
use crate::queue::{Accepted, Initial, JobState, Lease, Store, StoreError};
use std::sync::Arc;

on_both_backends!(
    new_jobs_get_increasing_ids_in_input_order,
    a_repeat_within_the_window_is_a_duplicate_of_the_first,
    a_repeat_after_the_window_is_accepted_again,
    a_repeat_inside_one_batch_is_a_duplicate_of_its_first_occurrence,
    a_zero_window_turns_dedupe_off,
    only_order_heads_are_leased_on_acceptance,
    dead_and_awaiting_jobs_are_stored_but_never_leased,
    a_pending_job_without_an_order_is_refused_and_nothing_is_written,
);

fn lease(owner: &str, until: i64) -> Lease {
    Lease {
        owner: owner.into(),
        until_ms: until,
    }
}

fn new_id(a: Accepted) -> i64 {
    match a {
        Accepted::New { id, .. } => id,
        other => panic!("expected new, got {other:?}"),
    }
}

async fn new_jobs_get_increasing_ids_in_input_order(s: Arc<dyn Store>) {
    let out = s
        .accept_batch(
            &[
                job("e1", "o1", T0),
                job("e2", "o2", T0),
                job("e3", "o1", T0),
            ],
            DAY,
            None,
        )
        .await
        .unwrap();
    let ids: Vec<i64> = out.into_iter().map(new_id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let more = new_id(
        s.accept_batch(&[job("e4", "o1", T0)], DAY, None)
            .await
            .unwrap()[0],
    );
    assert!(more > ids[2]);
    let detail = s.get(ids[1]).await.unwrap().expect("stored");
    assert_eq!(detail.summary.state, JobState::Pending);
    assert_eq!(detail.summary.order_id.as_deref(), Some("o2"));
    assert_eq!(detail.payload, b"raw e2");
    assert_eq!(detail.body.as_deref(), Some(r#"{"event":"e2"}"#));
    assert_eq!(detail.summary.next_attempt_ms, Some(T0));
}

async fn a_repeat_within_the_window_is_a_duplicate_of_the_first(s: Arc<dyn Store>) {
    let first = new_id(
        s.accept_batch(&[job("e1", "o1", T0)], DAY, None)
            .await
            .unwrap()[0],
    );
    let again = s
        .accept_batch(&[job("e1", "o1", T0 + DAY - 1)], DAY, None)
        .await
        .unwrap();
    assert_eq!(again, vec![Accepted::Duplicate { id: first }]);
    // Another vendor's event with the same id is not a duplicate.
    let other = crate::queue::NewJob {
        vendor: "hackerearth".into(),
        ..job("e1", "o1", T0)
    };
    assert!(matches!(
        s.accept_batch(&[other], DAY, None).await.unwrap()[0],
        Accepted::New { .. }
    ));
    assert_eq!(s.stats(T0, true).await.unwrap().pending, 2);
}

async fn a_repeat_after_the_window_is_accepted_again(s: Arc<dyn Store>) {
    let first = new_id(
        s.accept_batch(&[job("e1", "o1", T0)], DAY, None)
            .await
            .unwrap()[0],
    );
    let later = new_id(
        s.accept_batch(&[job("e1", "o1", T0 + DAY)], DAY, None)
            .await
            .unwrap()[0],
    );
    assert_ne!(first, later);
    // The new acceptance restarted the window.
    let dup = s
        .accept_batch(&[job("e1", "o1", T0 + DAY + 5)], DAY, None)
        .await
        .unwrap();
    assert_eq!(dup, vec![Accepted::Duplicate { id: later }]);
}

async fn a_repeat_inside_one_batch_is_a_duplicate_of_its_first_occurrence(s: Arc<dyn Store>) {
    let old = new_id(
        s.accept_batch(&[job("old", "o1", T0)], DAY, None)
            .await
            .unwrap()[0],
    );
    let out = s
        .accept_batch(
            &[
                job("e1", "o1", T0),
                job("old", "o1", T0),
                job("e1", "o1", T0),
                job("old", "o1", T0),
            ],
            DAY,
            None,
        )
        .await
        .unwrap();
    let e1 = new_id(out[0]);
    assert_eq!(
        out[1..],
        [
            Accepted::Duplicate { id: old },
            Accepted::Duplicate { id: e1 },
            Accepted::Duplicate { id: old }
        ]
    );
    assert_eq!(s.stats(T0, true).await.unwrap().pending, 2);
}

async fn a_zero_window_turns_dedupe_off(s: Arc<dyn Store>) {
    let out = s
        .accept_batch(&[job("e1", "o1", T0), job("e1", "o1", T0)], 0, None)
        .await
        .unwrap();
    assert!(
        out.iter().all(|a| matches!(a, Accepted::New { .. })),
        "{out:?}"
    );
    let again = s
        .accept_batch(&[job("e1", "o1", T0)], 0, None)
        .await
        .unwrap();
    assert!(matches!(again[0], Accepted::New { .. }));
}

async fn only_order_heads_are_leased_on_acceptance(s: Arc<dyn Store>) {
    let l = lease("w1", T0 + 30_000);
    let out = s
        .accept_batch(
            &[job("a1", "A", T0), job("a2", "A", T0), job("b1", "B", T0)],
            DAY,
            Some(&l),
        )
        .await
        .unwrap();
    let leased: Vec<bool> = out
        .iter()
        .map(|a| matches!(a, Accepted::New { leased: true, .. }))
        .collect();
    assert_eq!(leased, [true, false, true]);
    // Order A still has unfinished jobs, order C is idle.
    let next = s
        .accept_batch(&[job("a3", "A", T0), job("c1", "C", T0)], DAY, Some(&l))
        .await
        .unwrap();
    assert!(matches!(next[0], Accepted::New { leased: false, .. }));
    assert!(matches!(next[1], Accepted::New { leased: true, .. }));
    let a1 = s.get(new_id(out[0])).await.unwrap().unwrap();
    assert_eq!(a1.summary.state, JobState::InFlight);
    assert_eq!(a1.summary.attempts, 1, "the leased attempt is counted");
    // A leased job is not handed out again by the poller, nor is the rest of its order.
    let due = s
        .lease_due(&lease("w2", T0 + 60_000), T0 + 1, 10)
        .await
        .unwrap();
    assert!(due.is_empty(), "{due:?}");
}

async fn dead_and_awaiting_jobs_are_stored_but_never_leased(s: Arc<dyn Store>) {
    let l = lease("w1", T0 + 30_000);
    let out = s
        .accept_batch(
            &[unmappable("u1", T0), awaiting("w1", "key-1", T0)],
            DAY,
            Some(&l),
        )
        .await
        .unwrap();
    assert!(out
        .iter()
        .all(|a| matches!(a, Accepted::New { leased: false, .. })));
    let dead = s.get(new_id(out[0])).await.unwrap().unwrap();
    assert_eq!(dead.summary.state, JobState::Dead);
    assert_eq!(
        dead.summary.last_error.as_deref(),
        Some("mapping: no rule matched")
    );
    assert_eq!(dead.payload, b"raw u1", "kept for re-translation");
    let waiting = s.get(new_id(out[1])).await.unwrap().unwrap();
    assert_eq!(waiting.summary.state, JobState::AwaitingOrder);
    assert_eq!(waiting.correlation_key.as_deref(), Some("key-1"));
    // Duplicates of a dead letter are deduplicated too.
    let again = s
        .accept_batch(&[unmappable("u1", T0 + 1)], DAY, None)
        .await
        .unwrap();
    assert_eq!(
        again,
        vec![Accepted::Duplicate {
            id: dead.summary.id
        }]
    );
    assert!(s.lease_due(&l, T0 + DAY, 10).await.unwrap().is_empty());
}

async fn a_pending_job_without_an_order_is_refused_and_nothing_is_written(s: Arc<dyn Store>) {
    let bad = crate::queue::NewJob {
        order_id: None,
        ..job("bad", "o", T0)
    };
    let err = s
        .accept_batch(&[job("good", "o", T0), bad], DAY, None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Other(ref m) if m.contains("order_id")),
        "{err}"
    );
    let awaiting_without_key = crate::queue::NewJob {
        initial: Initial::AwaitingOrder,
        ..job("bad2", "o", T0)
    };
    assert!(s
        .accept_batch(&[awaiting_without_key], DAY, None)
        .await
        .is_err());
    assert_eq!(
        s.stats(T0, true).await.unwrap(),
        QueueStats {
            delivered: Some(0),
            ..Default::default()
        }
    );
}

#[tokio::test]
async fn an_in_memory_sqlite_database_is_refused() {
    // The write thread and the sqlx connections are separate connections: they would each see
    // their own empty database, and nothing in memory survives a restart anyway.
    for url in ["sqlite::memory:", "sqlite://file:q?mode=memory"] {
        let err = crate::queue::open(url, &super::harness::options())
            .await
            .expect_err(url);
        assert!(
            matches!(&err, StoreError::Other(m) if m.contains("in-memory")),
            "{url}: {err}"
        );
    }
}
