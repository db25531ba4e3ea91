//! Outcomes and release: a retry is due at its time, a dead letter keeps the upstream's answer,
//! and a released job is due at once without its attempt counted.

use super::harness::{accept, delivered, job, lease, DAY, T0};
use crate::queue::{Finish, JobState, Store};
use std::sync::Arc;

on_both_backends!(
    a_retry_is_due_at_its_scheduled_time_with_the_attempt_counted,
    a_dead_letter_keeps_the_upstream_status_and_response,
    release_gives_jobs_back_due_now_without_counting_the_attempt,
);

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
