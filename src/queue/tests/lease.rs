//! Leasing: only the oldest unfinished job of an order, orders in parallel, the lease limit.

use super::harness::{accept, delivered, job, lease, DAY, T0};
use crate::queue::{Finish, NewJob, Store};
use std::sync::Arc;

on_both_backends!(
    only_the_oldest_unfinished_job_of_an_order_is_leased,
    orders_proceed_in_parallel_while_one_waits_for_its_retry,
    the_lease_limit_is_respected,
);

async fn only_the_oldest_unfinished_job_of_an_order_is_leased(s: Arc<dyn Store>) {
    let ids = accept(
        &s,
        &[
            job("a1", "A", T0),
            job("b1", "B", T0),
            job("a2", "A", T0),
            job("a3", "A", T0),
        ],
    )
    .await;
    let l = lease("w1", T0 + 60_000);
    let got: Vec<i64> = s
        .lease_due(&l, T0, 10)
        .await
        .unwrap()
        .iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(got, [ids[0], ids[1]]);
    assert!(
        s.lease_due(&l, T0, 10).await.unwrap().is_empty(),
        "a2 waits behind a1"
    );
    assert_eq!(
        s.finish_batch("w1", &[delivered(ids[0], T0)])
            .await
            .unwrap(),
        1
    );
    let next = s.lease_due(&l, T0, 10).await.unwrap();
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].id, ids[2]);
    assert_eq!(next[0].order_id, "A");
    assert_eq!(next[0].account_id, "acct");
    assert_eq!(next[0].body, r#"{"event":"a2"}"#);
    assert_eq!(next[0].event_key, "a2");
    assert_eq!(next[0].request_id, "req-a2");
    assert_eq!(next[0].attempts, 0);
    assert_eq!(next[0].received_at_ms, T0);
}

async fn orders_proceed_in_parallel_while_one_waits_for_its_retry(s: Arc<dyn Store>) {
    let ids = accept(
        &s,
        &[
            job("a1", "A", T0),
            job("a2", "A", T0),
            job("b1", "B", T0),
            job("b2", "B", T0),
        ],
    )
    .await;
    let l = lease("w1", T0 + 60_000);
    assert_eq!(s.lease_due(&l, T0, 10).await.unwrap().len(), 2);
    // A fails and retries in an hour; B is delivered.
    let retry = Finish::Retry {
        id: ids[0],
        next_attempt_ms: T0 + 3_600_000,
        status: Some(503),
        error: "upstream 503".into(),
        at_ms: T0,
    };
    s.finish_batch("w1", &[retry, delivered(ids[2], T0)])
        .await
        .unwrap();
    let got: Vec<i64> = s
        .lease_due(&l, T0 + 1, 10)
        .await
        .unwrap()
        .iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(
        got,
        [ids[3]],
        "B goes on; A's later job waits for A's retry"
    );
}

async fn the_lease_limit_is_respected(s: Arc<dyn Store>) {
    let jobs: Vec<NewJob> = (0..10)
        .map(|i| job(&format!("e{i}"), &format!("o{i}"), T0))
        .collect();
    accept(&s, &jobs).await;
    // Two of them hold expired leases, so both kinds of due job compete for the limit.
    s.lease_due(&lease("old", T0 + 5), T0, 2).await.unwrap();
    assert!(s
        .lease_due(&lease("w", T0 + DAY), T0 + 10, 0)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        s.lease_due(&lease("w", T0 + DAY), T0 + 10, 3)
            .await
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        s.lease_due(&lease("w", T0 + DAY), T0 + 10, 100)
            .await
            .unwrap()
            .len(),
        7
    );
}
