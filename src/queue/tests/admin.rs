//! Admin operations: stats, listing with filters and pagination, replay, purge.

use super::harness::{accept, job, lease, unmappable, DAY, T0};
use crate::queue::{Accepted, Finish, JobFilter, JobState, NewJob, QueueStats, Rewrite, Store};
use std::sync::Arc;

on_both_backends!(
    stats_count_each_state_and_the_oldest_undelivered_age,
    list_filters_by_state_vendor_and_order_newest_first,
    list_pages_with_before_id,
    ids_returns_every_match_when_unlimited,
    get_of_an_unknown_id_is_none,
    replay_makes_a_dead_job_pending_again_with_attempts_reset,
    replay_with_a_rewrite_replaces_order_account_body_and_rule,
    replay_refuses_pending_jobs_and_untranslated_dead_letters,
    purge_deletes_old_delivered_jobs_and_expired_dedupe_keys,
);

/// Leases everything due and applies `outcome` to each job whose event key starts with `prefix`.
async fn settle(s: &Arc<dyn Store>, now: i64, outcome: impl Fn(i64) -> Option<Finish>) {
    let leased = s.lease_due(&lease("w", T0 + DAY), now, 1000).await.unwrap();
    let done: Vec<Finish> = leased.iter().filter_map(|j| outcome(j.id)).collect();
    s.finish_batch("w", &done).await.unwrap();
}

fn deliver(at: i64) -> impl Fn(i64) -> Option<Finish> {
    move |id| {
        Some(Finish::Delivered {
            id,
            status: 204,
            at_ms: at,
        })
    }
}

fn kill(id: i64) -> Option<Finish> {
    Some(Finish::Dead {
        id,
        status: Some(422),
        error: "rejected".into(),
        response_body: None,
        at_ms: T0,
    })
}

async fn stats_count_each_state_and_the_oldest_undelivered_age(s: Arc<dyn Store>) {
    assert_eq!(
        s.stats(T0, true).await.unwrap(),
        QueueStats {
            delivered: Some(0),
            ..Default::default()
        }
    );
    assert_eq!(
        s.stats(T0, false).await.unwrap().delivered,
        None,
        "not counted when not asked"
    );
    accept(
        &s,
        &[
            job("a", "A", T0),
            job("b", "B", T0 + 10),
            job("c", "C", T0 + 20),
        ],
    )
    .await;
    accept(
        &s,
        &[
            unmappable("u", T0 + 30),
            super::harness::awaiting("w", "k", T0 + 40),
        ],
    )
    .await;
    s.lease_due(&lease("w", T0 + DAY), T0 + 50, 1)
        .await
        .unwrap(); // a in flight
    let st = s.stats(T0 + 1_000, true).await.unwrap();
    assert_eq!(
        st,
        QueueStats {
            pending: 2,
            in_flight: 1,
            delivered: Some(0),
            dead: 1,
            awaiting_order: 1,
            oldest_undelivered_age_ms: 1_000,
        }
    );
    settle(&s, T0 + 60, deliver(T0 + 60)).await;
    let st = s.stats(T0 + 1_000, true).await.unwrap();
    assert_eq!((st.pending, st.delivered), (0, Some(2)));
    assert_eq!(st.oldest_undelivered_age_ms, 1_000, "a is still in flight");
}

async fn list_filters_by_state_vendor_and_order_newest_first(s: Arc<dyn Store>) {
    let other = NewJob {
        vendor: "qualified".into(),
        ..job("q1", "A", T0)
    };
    let ids = accept(
        &s,
        &[
            job("a1", "A", T0),
            job("b1", "B", T0),
            other,
            job("a2", "A", T0),
        ],
    )
    .await;
    let b1 = ids[1];
    settle(&s, T0, |id| if id == b1 { kill(id) } else { None }).await;

    let all = s.list(&JobFilter::default()).await.unwrap();
    assert_eq!(
        all.iter().map(|j| j.id).collect::<Vec<_>>(),
        [ids[3], ids[2], ids[1], ids[0]]
    );

    let dead = s
        .list(&JobFilter {
            state: Some(JobState::Dead),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].id, b1);
    assert_eq!(dead[0].last_status, Some(422));
    assert_eq!(dead[0].attempts, 1);

    let qualified = s
        .list(&JobFilter {
            vendor: Some("qualified".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(qualified.iter().map(|j| j.id).collect::<Vec<_>>(), [ids[2]]);

    let order_a_codesignal = s
        .list(&JobFilter {
            vendor: Some("codesignal".into()),
            order_id: Some("A".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        order_a_codesignal.iter().map(|j| j.id).collect::<Vec<_>>(),
        [ids[3], ids[0]]
    );
}

async fn list_pages_with_before_id(s: Arc<dyn Store>) {
    let jobs: Vec<NewJob> = (0..7).map(|i| job(&format!("e{i}"), "A", T0)).collect();
    let ids = accept(&s, &jobs).await;
    let mut seen = Vec::new();
    let mut before = None;
    loop {
        let page = s
            .list(&JobFilter {
                before_id: before,
                limit: 3,
                ..Default::default()
            })
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 3);
        before = page.last().map(|j| j.id);
        seen.extend(page.into_iter().map(|j| j.id));
    }
    let mut want = ids.clone();
    want.reverse();
    assert_eq!(seen, want);
}

async fn ids_returns_every_match_when_unlimited(s: Arc<dyn Store>) {
    let jobs: Vec<NewJob> = (0..150)
        .map(|i| job(&format!("e{i}"), &format!("o{i}"), T0))
        .collect();
    accept(&s, &jobs).await;
    settle(&s, T0, kill).await;
    let dead = JobFilter {
        state: Some(JobState::Dead),
        ..Default::default()
    };
    assert_eq!(s.ids(&dead).await.unwrap().len(), 150);
    assert_eq!(
        s.ids(&JobFilter { limit: 20, ..dead }).await.unwrap().len(),
        20
    );
}

async fn get_of_an_unknown_id_is_none(s: Arc<dyn Store>) {
    assert!(s.get(424_242).await.unwrap().is_none());
}

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
