//! Admin operations: stats, listing with filters and pagination (replay and purge are in
//! `replay_purge.rs`).

use super::harness::{accept, job, kill, lease, settle, unmappable, DAY, T0};
use crate::queue::{Finish, JobFilter, JobState, NewJob, QueueStats, Store};
use std::sync::Arc;

on_both_backends!(
    stats_count_each_state_and_the_oldest_undelivered_age,
    list_filters_by_state_vendor_and_order_newest_first,
    list_pages_with_before_id,
    ids_returns_every_match_when_unlimited,
    get_of_an_unknown_id_is_none,
);

fn deliver(at: i64) -> impl Fn(i64) -> Option<Finish> {
    move |id| {
        Some(Finish::Delivered {
            id,
            status: 204,
            at_ms: at,
        })
    }
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
