//! Admin operations that change jobs: replay (plain or with a rewrite, and what it refuses) and
//! purge of old delivered jobs and expired dedupe keys.

use super::harness::{accept, job, kill, lease, settle, unmappable, DAY, T0};
use crate::queue::{Accepted, Finish, JobState, Rewrite, Store};
use std::sync::Arc;

on_both_backends!(
    replay_makes_a_dead_job_pending_again_with_attempts_reset,
    replay_with_a_rewrite_replaces_order_account_body_and_rule,
    replay_refuses_pending_jobs_and_untranslated_dead_letters,
    purge_deletes_old_delivered_jobs_and_expired_dedupe_keys,
);

async fn replay_makes_a_dead_job_pending_again_with_attempts_reset(s: Arc<dyn Store>) {
    let ids = accept(&s, &[job("a1", "A", T0)]).await;
    settle(&s, T0, kill).await;
    assert!(s.replay(ids[0], None, T0 + 500).await.unwrap());
    let d = s.get(ids[0]).await.unwrap().unwrap();
    assert_eq!(d.summary.state, JobState::Pending);
    assert_eq!(d.summary.attempts, 0);
    assert_eq!(d.summary.next_attempt_ms, Some(T0 + 500));
    let again = s
        .lease_due(&lease("w", T0 + DAY), T0 + 500, 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 0);
    // A delivered job may be replayed too (sent again on purpose).
    s.finish_batch(
        "w",
        &[Finish::Delivered {
            id: ids[0],
            status: 200,
            at_ms: T0 + 600,
        }],
    )
    .await
    .unwrap();
    assert!(s.replay(ids[0], None, T0 + 700).await.unwrap());
    assert_eq!(s.get(ids[0]).await.unwrap().unwrap().delivered_at_ms, None);
}

async fn replay_with_a_rewrite_replaces_order_account_body_and_rule(s: Arc<dyn Store>) {
    let ids = accept(&s, &[unmappable("u1", T0)]).await;
    let rw = Rewrite {
        order_id: "order-9".into(),
        account_id: "acct-9".into(),
        body: r#"{"score":90}"#.into(),
        rule: None,
    };
    assert!(s.replay(ids[0], Some(&rw), T0 + 1).await.unwrap());
    let job = &s
        .lease_due(&lease("w", T0 + DAY), T0 + 1, 10)
        .await
        .unwrap()[0];
    assert_eq!(
        (job.order_id.as_str(), job.account_id.as_str()),
        ("order-9", "acct-9")
    );
    assert_eq!(job.body, r#"{"score":90}"#);
    assert_eq!(s.get(ids[0]).await.unwrap().unwrap().rule, None);
}

async fn replay_refuses_pending_jobs_and_untranslated_dead_letters(s: Arc<dyn Store>) {
    let ids = accept(&s, &[job("a1", "A", T0), unmappable("u1", T0)]).await;
    assert!(!s.replay(ids[0], None, T0).await.unwrap(), "still pending");
    assert!(
        !s.replay(ids[1], None, T0).await.unwrap(),
        "needs re-translation"
    );
    assert!(!s.replay(999_999, None, T0).await.unwrap());
    assert_eq!(
        s.get(ids[1]).await.unwrap().unwrap().summary.state,
        JobState::Dead
    );
}

async fn purge_deletes_old_delivered_jobs_and_expired_dedupe_keys(s: Arc<dyn Store>) {
    let ids = accept(
        &s,
        &[
            job("old", "A", T0),
            job("new", "B", T0),
            job("dead", "C", T0),
        ],
    )
    .await;
    let (old, new) = (ids[0], ids[1]);
    settle(&s, T0, |id| {
        Some(if id == old {
            Finish::Delivered {
                id,
                status: 200,
                at_ms: T0 + 1,
            }
        } else if id == new {
            Finish::Delivered {
                id,
                status: 200,
                at_ms: T0 + 5 * DAY,
            }
        } else {
            Finish::Dead {
                id,
                status: Some(400),
                error: "x".into(),
                response_body: None,
                at_ms: T0,
            }
        })
    })
    .await;
    let purged = s.purge(T0 + 2 * DAY, T0 + 2 * DAY).await.unwrap();
    assert_eq!(purged, 1);
    assert!(s.get(old).await.unwrap().is_none());
    assert!(s.get(new).await.unwrap().is_some());
    assert!(
        s.get(ids[2]).await.unwrap().is_some(),
        "dead letters are kept"
    );
    // The dedupe keys expired at T0 + DAY were purged; the event is new again even with a
    // window check that would otherwise still match a stale key.
    let again = s
        .accept_batch(&[job("old", "A", T0 + 2 * DAY)], DAY, None)
        .await
        .unwrap();
    assert!(matches!(again[0], Accepted::New { .. }));
}
