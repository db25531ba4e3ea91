//! Order correlation: registrations (and the race with results), callbacks, expiry.

use super::harness::{awaiting, job, DAY, T0};
use crate::queue::{Accepted, Callback, JobState, Lease, Registration, Store};
use std::sync::Arc;

on_both_backends!(
    a_result_arriving_after_its_registration_is_pending_at_once,
    a_registration_releases_the_results_waiting_for_it,
    a_result_and_its_registration_racing_never_miss_each_other,
    an_expired_registration_is_not_found_and_is_purged,
    registrations_are_replaced_deleted_and_listed_in_pages,
    callbacks_are_found_by_token_hash_until_they_expire,
    results_that_wait_too_long_are_dead_lettered_with_a_reason,
);

fn reg(key: &str, order: &str, expires: i64) -> Registration {
    Registration {
        vendor: "codesignal".into(),
        correlation_key: key.into(),
        order_id: order.into(),
        account_id: "acct-r".into(),
        created_at_ms: T0,
        expires_at_ms: expires,
    }
}

fn new_id(a: Accepted) -> i64 {
    match a {
        Accepted::New { id, .. } => id,
        other => panic!("{other:?}"),
    }
}

fn lease() -> Lease {
    Lease {
        owner: "w".into(),
        until_ms: T0 + DAY,
    }
}

async fn a_result_arriving_after_its_registration_is_pending_at_once(s: Arc<dyn Store>) {
    assert_eq!(
        s.put_registration(&reg("k1", "order-1", T0 + DAY), T0)
            .await
            .unwrap(),
        0
    );
    let out = s
        .accept_batch(&[awaiting("e1", "k1", T0 + 5)], DAY, Some(&lease()))
        .await
        .unwrap();
    assert!(
        matches!(out[0], Accepted::New { leased: false, .. }),
        "{out:?}"
    );
    let jobs = s.lease_due(&lease(), T0 + 5, 10).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(
        (jobs[0].order_id.as_str(), jobs[0].account_id.as_str()),
        ("order-1", "acct-r")
    );
}

async fn a_registration_releases_the_results_waiting_for_it(s: Arc<dyn Store>) {
    let out = s
        .accept_batch(
            &[
                awaiting("e1", "k1", T0),
                awaiting("e2", "k1", T0),
                awaiting("e3", "k2", T0),
            ],
            DAY,
            None,
        )
        .await
        .unwrap();
    assert!(s.lease_due(&lease(), T0 + 1, 10).await.unwrap().is_empty());
    assert_eq!(
        s.put_registration(&reg("k1", "order-1", T0 + DAY), T0 + 10)
            .await
            .unwrap(),
        2
    );
    let d = s.get(new_id(out[0])).await.unwrap().unwrap();
    assert_eq!(d.summary.state, JobState::Pending);
    assert_eq!(d.summary.next_attempt_ms, Some(T0 + 10));
    // Both released results belong to one order: delivered one at a time, in order.
    let first = s.lease_due(&lease(), T0 + 10, 10).await.unwrap();
    assert_eq!(
        first.iter().map(|j| j.id).collect::<Vec<_>>(),
        [new_id(out[0])]
    );
    let other = s.get(new_id(out[2])).await.unwrap().unwrap();
    assert_eq!(other.summary.state, JobState::AwaitingOrder);
}

async fn a_result_and_its_registration_racing_never_miss_each_other(s: Arc<dyn Store>) {
    // Each round starts a result and its registration at the same moment; whichever commits
    // second must see the other, so no result is left waiting.
    let mut tasks = Vec::new();
    for i in 0..40 {
        let key = format!("race-{i}");
        let (s1, s2) = (s.clone(), s.clone());
        let k1 = key.clone();
        tasks.push(tokio::spawn(async move {
            s1.accept_batch(&[awaiting(&format!("e{i}"), &k1, T0)], DAY, None)
                .await
                .unwrap();
        }));
        tasks.push(tokio::spawn(async move {
            s2.put_registration(&reg(&key, &format!("order-{i}"), T0 + DAY), T0)
                .await
                .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let st = s.stats(T0, true).await.unwrap();
    assert_eq!((st.awaiting_order, st.pending), (0, 40), "{st:?}");
}

async fn an_expired_registration_is_not_found_and_is_purged(s: Arc<dyn Store>) {
    s.put_registration(&reg("k1", "order-1", T0 + 100), T0)
        .await
        .unwrap();
    assert!(s
        .get_registration("codesignal", "k1", T0 + 99)
        .await
        .unwrap()
        .is_some());
    assert!(s
        .get_registration("codesignal", "k1", T0 + 100)
        .await
        .unwrap()
        .is_none());
    // A result arriving after the expiry waits instead of using the stale binding.
    let out = s
        .accept_batch(&[awaiting("e1", "k1", T0 + 200)], DAY, None)
        .await
        .unwrap();
    assert_eq!(
        s.get(new_id(out[0])).await.unwrap().unwrap().summary.state,
        JobState::AwaitingOrder
    );
    let (dead, purged) = s.expire_correlation(T0, T0 + 200).await.unwrap();
    assert_eq!((dead, purged), (0, 1));
    assert!(s
        .list_registrations(None, 10, None)
        .await
        .unwrap()
        .is_empty());
}

async fn registrations_are_replaced_deleted_and_listed_in_pages(s: Arc<dyn Store>) {
    for k in ["k3", "k1", "k2", "k4"] {
        s.put_registration(&reg(k, "order-x", T0 + DAY), T0)
            .await
            .unwrap();
    }
    s.put_registration(&reg("k2", "order-y", T0 + DAY), T0)
        .await
        .unwrap();
    let other = Registration {
        vendor: "imocha".into(),
        ..reg("k0", "order-z", T0 + DAY)
    };
    s.put_registration(&other, T0).await.unwrap();
    let got = s
        .get_registration("codesignal", "k2", T0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.order_id, "order-y");

    let page1 = s
        .list_registrations(Some("codesignal"), 2, None)
        .await
        .unwrap();
    let keys: Vec<&str> = page1.iter().map(|r| r.correlation_key.as_str()).collect();
    assert_eq!(keys, ["k1", "k2"]);
    let page2 = s
        .list_registrations(Some("codesignal"), 2, Some("k2"))
        .await
        .unwrap();
    let keys: Vec<&str> = page2.iter().map(|r| r.correlation_key.as_str()).collect();
    assert_eq!(keys, ["k3", "k4"]);
    assert_eq!(
        s.list_registrations(None, 100, None).await.unwrap().len(),
        5
    );

    assert!(s.delete_registration("codesignal", "k1").await.unwrap());
    assert!(!s.delete_registration("codesignal", "k1").await.unwrap());
    assert!(s
        .get_registration("codesignal", "k1", T0)
        .await
        .unwrap()
        .is_none());
}

async fn callbacks_are_found_by_token_hash_until_they_expire(s: Arc<dyn Store>) {
    let cb = |hash: &str, vendor: &str, created: i64| Callback {
        token_sha256: hash.into(),
        vendor: vendor.into(),
        order_id: "order-1".into(),
        account_id: "acct-1".into(),
        created_at_ms: created,
        expires_at_ms: T0 + DAY,
    };
    s.put_callback(&cb("aa11", "imocha", T0)).await.unwrap();
    s.put_callback(&cb("bb22", "imocha", T0 + 1)).await.unwrap();
    s.put_callback(&cb("cc33", "hackerearth", T0 + 2))
        .await
        .unwrap();
    assert_eq!(
        s.get_callback("aa11", T0).await.unwrap(),
        Some(cb("aa11", "imocha", T0))
    );
    assert_eq!(
        s.get_callback("aa11", T0 + DAY).await.unwrap(),
        None,
        "expired"
    );
    assert_eq!(s.get_callback("nope", T0).await.unwrap(), None);
    let imocha: Vec<String> = s
        .list_callbacks(Some("imocha"), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.token_sha256)
        .collect();
    assert_eq!(imocha, ["bb22", "aa11"], "newest first");
    assert_eq!(s.list_callbacks(None, 2).await.unwrap().len(), 2);
    assert!(s.delete_callback("bb22").await.unwrap());
    assert!(!s.delete_callback("bb22").await.unwrap());
    let (_, purged) = s.expire_correlation(T0, T0 + DAY).await.unwrap();
    assert_eq!(purged, 2);
    assert!(s.list_callbacks(None, 10).await.unwrap().is_empty());
}

async fn results_that_wait_too_long_are_dead_lettered_with_a_reason(s: Arc<dyn Store>) {
    let out = s
        .accept_batch(
            &[
                awaiting("old", "k1", T0),
                awaiting("young", "k2", T0 + 1_000),
                job("p", "A", T0),
            ],
            DAY,
            None,
        )
        .await
        .unwrap();
    let (dead, _) = s.expire_correlation(T0 + 500, T0 + 2_000).await.unwrap();
    assert_eq!(dead, 1);
    let d = s.get(new_id(out[0])).await.unwrap().unwrap();
    assert_eq!(d.summary.state, JobState::Dead);
    assert!(d
        .summary
        .last_error
        .unwrap()
        .contains("no order registered"));
    assert_eq!(
        s.get(new_id(out[1])).await.unwrap().unwrap().summary.state,
        JobState::AwaitingOrder
    );
    assert_eq!(
        s.get(new_id(out[2])).await.unwrap().unwrap().summary.state,
        JobState::Pending
    );
    // A registration arriving later does not resurrect a dead letter (replay does).
    assert_eq!(
        s.put_registration(&reg("k1", "order-1", T0 + DAY), T0 + 3_000)
            .await
            .unwrap(),
        0
    );
}
