//! A lease has one owner: an expired one is taken over, concurrent leasers never share a job,
//! and only the owner's outcome is applied.

use super::harness::{accept, delivered, job, lease, DAY, T0};
use crate::queue::{Finish, JobState, NewJob, Store};
use std::collections::HashSet;
use std::sync::Arc;

on_both_backends!(
    an_expired_lease_is_taken_over_and_the_old_owner_cannot_finish,
    concurrent_leasers_never_get_the_same_job,
    an_outcome_applies_only_for_the_lease_owner,
);

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
