//! The chunked walks, with chunks of two rows so that every boundary is crossed.

use super::purge;
use crate::queue::open;
use crate::queue::tests::harness::{accept, delivered, job, kill, options, settle, DAY, T0};
use sqlx::sqlite::SqlitePoolOptions;

#[tokio::test]
async fn retention_walks_jobs_and_dedupe_keys_chunk_by_chunk() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}/relay.db?mode=rwc", dir.path().display());
    let s = open(&url, &options()).await.expect("open");
    // Jobs 1-5 received at T0 (dedupe keys expire at T0 + DAY); job 6 at T0 + 3 days.
    let mut ids = accept(
        &s,
        &[
            job("e1", "o1", T0),
            job("e2", "o2", T0),
            job("e3", "o3", T0),
            job("e4", "o4", T0),
            job("e5", "o5", T0),
        ],
    )
    .await;
    ids.extend(accept(&s, &[job("e6", "o6", T0 + 3 * DAY)]).await);
    let delivered_at = |id: i64| match id - ids[0] {
        2 => None,                   // job 3: a dead letter, kept
        4 => Some(T0 + 5 * DAY),     // job 5: received before the cutoff, delivered after it
        5 => Some(T0 + 3 * DAY + 1), // job 6: received after the cutoff
        _ => Some(T0 + 1),           // jobs 1, 2 and 4: past retention
    };
    settle(&s, T0 + 3 * DAY, |id| {
        delivered_at(id).map_or_else(|| kill(id), |at| Some(delivered(id, at)))
    })
    .await;

    let pool = SqlitePoolOptions::new()
        .connect(&url)
        .await
        .expect("connect");
    let purged = purge(&pool, T0 + 2 * DAY, T0 + 2 * DAY, 2)
        .await
        .expect("purge");
    assert_eq!(purged, 3);
    let left: Vec<(i64,)> = sqlx::query_as("SELECT id FROM jobs ORDER BY id")
        .fetch_all(&pool)
        .await
        .expect("jobs");
    assert_eq!(left, vec![(ids[2],), (ids[4],), (ids[5],)]);
    let keys: Vec<(String,)> = sqlx::query_as("SELECT event_key FROM dedupe")
        .fetch_all(&pool)
        .await
        .expect("dedupe");
    let live = job("e6", "o6", T0).event_key;
    assert_eq!(keys, vec![(live,)], "only the live key is left");
    pool.close().await;
}
