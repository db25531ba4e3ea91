//! Leasing, outcomes and release: per-order ordering, parallel orders, expiry, owners.

use super::harness::{job, DAY, T0};
use crate::queue::{Accepted, Finish, JobState, Lease, NewJob, Store};
use std::collections::HashSet;
use std::sync::Arc;

on_both_backends!(
    only_the_oldest_unfinished_job_of_an_order_is_leased,
    orders_proceed_in_parallel_while_one_waits_for_its_retry,
    an_expired_lease_is_taken_over_and_the_old_owner_cannot_finish,
    concurrent_leasers_never_get_the_same_job,
    an_outcome_applies_only_for_the_lease_owner,
    a_retry_is_due_at_its_scheduled_time_with_the_attempt_counted,
    a_dead_letter_keeps_the_upstream_status_and_response,
    release_gives_jobs_back_due_now_without_counting_the_attempt,
    the_lease_limit_is_respected,
);

fn lease(owner: &str, until: i64) -> Lease {
    Lease {
        owner: owner.into(),
        until_ms: until,
    }
}

async fn accept(s: &Arc<dyn Store>, jobs: &[NewJob]) -> Vec<i64> {
    s.accept_batch(jobs, DAY, None)
        .await
        .unwrap()
        .into_iter()
        .map(|a| match a {
            Accepted::New { id, .. } => id,
            other => panic!("{other:?}"),
        })
        .collect()
}

fn delivered(id: i64, at: i64) -> Finish {
    Finish::Delivered {
        id,
        status: 200,
        at_ms: at,
    }
}

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

async fn an_expired_lease_is_taken_over_and_the_old_owner_cannot_finish(s: Arc<dyn Store>) {
    let ids = accept(&s, &[job("a1", "A", T0), job("a2", "A", T0)]).await;
    assert_eq!(
        s.lease_due(&lease("w1", T0 + 10_000), T0, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(s
        .lease_due(&lease("w2", T0 + 20_000), T0 + 9_999, 10)
        .await
        .unwrap()
        .is_empty());
    let taken = s
        .lease_due(&lease("w2", T0 + 20_000), T0 + 10_000, 10)
        .await
        .unwrap();
    assert_eq!(
        taken.len(),
        1,
        "the expired job is due again, its successor still waits"
    );
    assert_eq!(taken[0].id, ids[0]);
    assert_eq!(taken[0].attempts, 1, "the crashed attempt counts");
    assert_eq!(
        s.finish_batch("w1", &[delivered(ids[0], T0)])
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        s.get(ids[0]).await.unwrap().unwrap().summary.state,
        JobState::InFlight
    );
    assert_eq!(
        s.finish_batch("w2", &[delivered(ids[0], T0)])
            .await
            .unwrap(),
        1
    );
}

async fn concurrent_leasers_never_get_the_same_job(s: Arc<dyn Store>) {
    // 240 jobs over 80 orders: each leaser delivers what it gets, so successors become due.
    let jobs: Vec<NewJob> = (0..240)
        .map(|i| job(&format!("e{i}"), &format!("o{}", i % 80), T0))
        .collect();
    for chunk in jobs.chunks(60) {
        accept(&s, chunk).await;
    }
    let mut tasks = Vec::new();
    for w in 0..6 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let owner = format!("w{w}");
            let mut got = Vec::new();
            let mut idle = 0;
            while idle < 3 {
                let batch = s.lease_due(&lease(&owner, T0 + DAY), T0, 7).await.unwrap();
                if batch.is_empty() {
                    idle += 1;
                    tokio::task::yield_now().await;
                    continue;
                }
                idle = 0;
                let done: Vec<Finish> = batch.iter().map(|j| delivered(j.id, T0)).collect();
                assert_eq!(
                    s.finish_batch(&owner, &done).await.unwrap(),
                    done.len() as u64
                );
                got.extend(batch.into_iter().map(|j| (j.id, j.order_id)));
            }
            got
        }));
    }
    let mut seen = HashSet::new();
    for t in tasks {
        for (id, _) in t.await.unwrap() {
            assert!(seen.insert(id), "job {id} leased twice");
        }
    }
    // Leasers may stop early while others still hold the last heads: finish the rest.
    loop {
        let rest = s
            .lease_due(&lease("last", T0 + DAY), T0, 100)
            .await
            .unwrap();
        if rest.is_empty() {
            break;
        }
        for j in &rest {
            assert!(seen.insert(j.id), "job {} leased twice", j.id);
        }
        let done: Vec<Finish> = rest.iter().map(|j| delivered(j.id, T0)).collect();
        s.finish_batch("last", &done).await.unwrap();
    }
    assert_eq!(seen.len(), 240);
    assert_eq!(s.stats(T0, true).await.unwrap().delivered, Some(240));
}

async fn an_outcome_applies_only_for_the_lease_owner(s: Arc<dyn Store>) {
    let ids = accept(&s, &[job("a1", "A", T0), job("b1", "B", T0)]).await;
    s.lease_due(&lease("w1", T0 + 60_000), T0, 1).await.unwrap();
    s.lease_due(&lease("w2", T0 + 60_000), T0, 1).await.unwrap();
    let both = [delivered(ids[0], T0), delivered(ids[1], T0)];
    assert_eq!(s.finish_batch("w1", &both).await.unwrap(), 1);
    assert_eq!(
        s.finish_batch("w1", &both).await.unwrap(),
        0,
        "already finished"
    );
    assert_eq!(s.finish_batch("w2", &both).await.unwrap(), 1);
    // A job never leased cannot be finished at all.
    let fresh = accept(&s, &[job("c1", "C", T0)]).await;
    assert_eq!(
        s.finish_batch("w1", &[delivered(fresh[0], T0)])
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        s.get(fresh[0]).await.unwrap().unwrap().summary.state,
        JobState::Pending
    );
}

async fn a_retry_is_due_at_its_scheduled_time_with_the_attempt_counted(s: Arc<dyn Store>) {
    let ids = accept(&s, &[job("a1", "A", T0)]).await;
    let l = lease("w1", T0 + DAY);
    s.lease_due(&l, T0, 10).await.unwrap();
    let retry = Finish::Retry {
        id: ids[0],
        next_attempt_ms: T0 + 5_000,
        status: None,
        error: "connect: refused".into(),
        at_ms: T0 + 10,
    };
    assert_eq!(s.finish_batch("w1", &[retry]).await.unwrap(), 1);
    let d = s.get(ids[0]).await.unwrap().unwrap();
    assert_eq!(d.summary.state, JobState::Pending);
    assert_eq!(d.summary.next_attempt_ms, Some(T0 + 5_000));
    assert_eq!(d.summary.last_error.as_deref(), Some("connect: refused"));
    assert_eq!(d.summary.last_status, None);
    assert_eq!(d.updated_at_ms, T0 + 10);
    assert!(s.lease_due(&l, T0 + 4_999, 10).await.unwrap().is_empty());
    let again = s.lease_due(&l, T0 + 5_000, 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 1);
    s.finish_batch("w1", &[delivered(ids[0], T0 + 5_001)])
        .await
        .unwrap();
    let d = s.get(ids[0]).await.unwrap().unwrap();
    assert_eq!(d.summary.state, JobState::Delivered);
    assert_eq!(d.summary.attempts, 2);
    assert_eq!(d.summary.last_status, Some(200));
    assert_eq!(d.summary.last_error, None);
    assert_eq!(d.delivered_at_ms, Some(T0 + 5_001));
}

async fn a_dead_letter_keeps_the_upstream_status_and_response(s: Arc<dyn Store>) {
    let ids = accept(&s, &[job("a1", "A", T0), job("a2", "A", T0)]).await;
    let l = lease("w1", T0 + DAY);
    s.lease_due(&l, T0, 10).await.unwrap();
    let dead = Finish::Dead {
        id: ids[0],
        status: Some(400),
        error: "upstream rejected the body".into(),
        response_body: Some(r#"{"message":"bad score"}"#.into()),
        at_ms: T0 + 1,
    };
    s.finish_batch("w1", &[dead]).await.unwrap();
    let d = s.get(ids[0]).await.unwrap().unwrap();
    assert_eq!(d.summary.state, JobState::Dead);
    assert_eq!(d.summary.last_status, Some(400));
    assert_eq!(
        d.last_response.as_deref(),
        Some(r#"{"message":"bad score"}"#)
    );
    assert_eq!(d.summary.next_attempt_ms, None);
    // A dead letter does not block its order.
    let next = s.lease_due(&l, T0 + 2, 10).await.unwrap();
    assert_eq!(next.iter().map(|j| j.id).collect::<Vec<_>>(), [ids[1]]);
}

async fn release_gives_jobs_back_due_now_without_counting_the_attempt(s: Arc<dyn Store>) {
    let ids = accept(
        &s,
        &[job("a1", "A", T0), job("b1", "B", T0), job("c1", "C", T0)],
    )
    .await;
    s.lease_due(&lease("w1", T0 + DAY), T0, 2).await.unwrap();
    s.lease_due(&lease("w2", T0 + DAY), T0, 1).await.unwrap();
    assert_eq!(s.release("w1", T0 + 100).await.unwrap(), 2);
    assert_eq!(s.release("w1", T0 + 100).await.unwrap(), 0);
    let d = s.get(ids[0]).await.unwrap().unwrap();
    assert_eq!(d.summary.state, JobState::Pending);
    assert_eq!(d.summary.attempts, 0);
    assert_eq!(d.summary.next_attempt_ms, Some(T0 + 100));
    let back = s
        .lease_due(&lease("w3", T0 + DAY), T0 + 100, 10)
        .await
        .unwrap();
    assert_eq!(
        back.iter().map(|j| j.id).collect::<Vec<_>>(),
        [ids[0], ids[1]]
    );
    assert_eq!(
        s.get(ids[2]).await.unwrap().unwrap().summary.state,
        JobState::InFlight
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
