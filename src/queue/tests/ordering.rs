//! Per-order ordering when a registration releases an older result of an order whose newer
//! result is already leased: the older one waits until the newer one's delivery ends (or its
//! lease expires), so two results of one order are never in flight together.

use super::harness::{awaiting, job, DAY, T0};
use crate::queue::{Accepted, Finish, Lease, NewJob, Registration, Store};
use std::sync::Arc;

on_both_backends!(
    a_released_older_result_waits_while_a_newer_one_is_in_flight,
    a_newer_result_whose_lease_expired_no_longer_holds_the_order,
);

const LEASE_UNTIL: i64 = T0 + 60_000;

fn lease() -> Lease {
    Lease {
        owner: "w".into(),
        until_ms: LEASE_UNTIL,
    }
}

/// A registered order's result, for the account the registration gives.
fn newer(event: &str, at: i64) -> NewJob {
    NewJob {
        account_id: Some("acct-r".into()),
        ..job(event, "order-9", at)
    }
}

/// Stores result A waiting for key k9, then result B of order-9 (leased at once), then the
/// registration k9 → order-9, which makes A pending. Returns (A, B).
async fn older_released_behind_newer(s: &Arc<dyn Store>) -> (i64, i64) {
    let a = s
        .accept_batch(&[awaiting("e-a", "k9", T0)], DAY, Some(&lease()))
        .await
        .unwrap();
    let b = s
        .accept_batch(&[newer("e-b", T0 + 1)], DAY, Some(&lease()))
        .await
        .unwrap();
    let (
        Accepted::New { id: a, .. },
        Accepted::New {
            id: b,
            leased: true,
        },
    ) = (a[0], b[0])
    else {
        panic!("expected A stored and B leased: {a:?} {b:?}");
    };
    let reg = Registration {
        vendor: "codesignal".into(),
        correlation_key: "k9".into(),
        order_id: "order-9".into(),
        account_id: "acct-r".into(),
        created_at_ms: T0 + 2,
        expires_at_ms: T0 + DAY,
    };
    assert_eq!(s.put_registration(&reg, T0 + 2).await.unwrap(), 1);
    (a, b)
}

async fn a_released_older_result_waits_while_a_newer_one_is_in_flight(s: Arc<dyn Store>) {
    let (a, b) = older_released_behind_newer(&s).await;
    assert!(
        s.lease_due(&lease(), T0 + 3, 10).await.unwrap().is_empty(),
        "A must not be delivered while B is"
    );
    let done = Finish::Delivered {
        id: b,
        status: 200,
        at_ms: T0 + 4,
    };
    assert_eq!(s.finish_batch("w", &[done]).await.unwrap(), 1);
    let jobs = s.lease_due(&lease(), T0 + 5, 10).await.unwrap();
    assert_eq!(jobs.iter().map(|j| j.id).collect::<Vec<_>>(), vec![a]);
}

async fn a_newer_result_whose_lease_expired_no_longer_holds_the_order(s: Arc<dyn Store>) {
    let (a, b) = older_released_behind_newer(&s).await;
    let later = Lease {
        owner: "w2".into(),
        until_ms: LEASE_UNTIL + 120_000,
    };
    // B's worker died: once its lease expires the order's oldest result goes first, then B.
    let jobs = s.lease_due(&later, LEASE_UNTIL, 10).await.unwrap();
    assert_eq!(jobs.iter().map(|j| j.id).collect::<Vec<_>>(), vec![a]);
    let done = Finish::Delivered {
        id: a,
        status: 200,
        at_ms: LEASE_UNTIL + 1,
    };
    assert_eq!(s.finish_batch("w2", &[done]).await.unwrap(), 1);
    let jobs = s.lease_due(&later, LEASE_UNTIL + 2, 10).await.unwrap();
    assert_eq!(jobs.iter().map(|j| j.id).collect::<Vec<_>>(), vec![b]);
}
