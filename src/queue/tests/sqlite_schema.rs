//! SQLite only: the split of a job's write-once data into `job_data` (migration 0002) and the
//! rebuilds of `jobs` (0004, 0006) keep what a database written before them holds, the retention
//! purge leaves no data behind, ids are never handed out twice without AUTOINCREMENT, and new
//! databases get 8 KiB pages.

use super::harness::{job, options, DAY, T0};
use crate::queue::{open, Accepted, Finish, Lease};
use sqlx::sqlite::SqlitePoolOptions;
use sqlx::Row;

fn url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}/relay.db?mode=rwc", dir.path().display())
}

async fn count(url: &str, sql: &'static str) -> i64 {
    let pool = SqlitePoolOptions::new()
        .connect(url)
        .await
        .expect("connect");
    let n: i64 = sqlx::query(sql)
        .fetch_one(&pool)
        .await
        .expect("count")
        .get(0);
    pool.close().await;
    n
}

/// A connection to a database with only the first `n` migrations applied (an older release's).
async fn migrated_up_to(url: &str, n: usize) -> sqlx::SqlitePool {
    let pool = SqlitePoolOptions::new()
        .connect(url)
        .await
        .expect("connect");
    let mut older = sqlx::migrate!("./migrations/sqlite");
    older.migrations = older.migrations[..n].to_vec().into();
    older.run(&pool).await.expect("older migrations");
    pool
}

#[tokio::test]
async fn a_database_from_before_the_split_keeps_every_payload_and_body() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = url(&dir);
    {
        // The schema as release 0001 left it, with one stored job.
        let pool = migrated_up_to(&url, 1).await;
        sqlx::query(
            "INSERT INTO jobs (id, vendor, event_key, order_id, account_id, body, payload, \
               headers, route, request_id, state, received_at, updated_at) \
             VALUES (7, 'codesignal', 'e1', 'o1', 'acct', '{\"b\":1}', x'00ff7b', \
               '[[\"x-sig\",\"abc\"]]', '{}', 'req-1', 'dead', ?1, ?1)",
        )
        .bind(T0)
        .execute(&pool)
        .await
        .expect("old row");
        pool.close().await;
    }
    let store = open(&url, &options()).await.expect("open migrates");
    let d = store
        .get(7)
        .await
        .expect("get")
        .expect("job 7 is still there");
    assert_eq!(d.body.as_deref(), Some("{\"b\":1}"));
    assert_eq!(d.payload, vec![0x00, 0xff, 0x7b]);
    assert_eq!(d.headers, "[[\"x-sig\",\"abc\"]]");
    assert_eq!(d.summary.order_id.as_deref(), Some("o1"));
    // A database keeps the page size it was created with.
    assert_eq!(count(&url, "PRAGMA page_size").await, 4096);
}

#[tokio::test]
async fn a_new_database_has_8_kib_pages() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = url(&dir);
    let store = open(&url, &options()).await.expect("open creates");
    drop(store);
    assert_eq!(count(&url, "PRAGMA page_size").await, 8192);
}

/// A new store at `url` with two jobs accepted (ids 1 and 2), both leased to "w".
async fn open_with_two_leased_jobs(
    url: &str,
) -> (std::sync::Arc<dyn crate::queue::Store>, Vec<Accepted>) {
    let store = open(url, &options()).await.expect("open");
    let lease = Lease {
        owner: "w".into(),
        until_ms: T0 + 60_000,
    };
    let accepted = store
        .accept_batch(
            &[job("e1", "o1", T0), job("e2", "o2", T0)],
            DAY,
            Some(&lease),
        )
        .await
        .expect("accept");
    (store, accepted)
}

#[tokio::test]
async fn purging_a_delivered_job_deletes_its_data() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = url(&dir);
    let (store, accepted) = open_with_two_leased_jobs(&url).await;
    let Accepted::New { id, leased: true } = accepted[0] else {
        panic!("expected a leased job, got {accepted:?}");
    };
    let outcome = Finish::Delivered {
        id,
        status: 200,
        at_ms: T0 + 1,
    };
    assert_eq!(
        store.finish_batch("w", &[outcome]).await.expect("finish"),
        1
    );
    assert_eq!(count(&url, "SELECT COUNT(*) FROM job_data").await, 2);

    assert_eq!(store.purge(T0 + 2, T0 + 2).await.expect("purge"), 1);
    assert_eq!(count(&url, "SELECT COUNT(*) FROM job_data").await, 1);
    assert!(store.get(id).await.expect("get").is_none());
    assert_eq!(
        count(
            &url,
            "SELECT COUNT(*) FROM job_data WHERE id NOT IN (SELECT id FROM jobs)"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn rebuilding_jobs_for_its_cheaper_state_check_keeps_rows_ids_and_the_check() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = url(&dir);
    {
        // The schema before 0004: three jobs, the newest one purged (ids 1..=3 used).
        let pool = migrated_up_to(&url, 3).await;
        for id in 1..=3 {
            sqlx::query(
                "INSERT INTO jobs (id, vendor, event_key, order_id, account_id, route, \
                   request_id, state, received_at, updated_at) \
                 VALUES (?1, 'codesignal', 'e' || ?1, 'o1', 'acct', '{}', 'req', 'dead', ?2, ?2)",
            )
            .bind(id)
            .bind(T0)
            .execute(&pool)
            .await
            .expect("old job");
            sqlx::query(
                "INSERT INTO job_data (id, body, payload, headers) VALUES (?1, '{}', x'01', '[]')",
            )
            .bind(id)
            .execute(&pool)
            .await
            .expect("old data");
        }
        sqlx::query("DELETE FROM jobs WHERE id = 3")
            .execute(&pool)
            .await
            .expect("purge");
        pool.close().await;
    }
    let store = open(&url, &options()).await.expect("open migrates");
    assert_eq!(
        store.get(2).await.expect("get").map(|d| d.summary.id),
        Some(2)
    );
    // The high-water mark survived the rebuild: id 3 is not handed out again.
    let ids = super::harness::accept(&store, &[job("e9", "o9", T0)]).await;
    assert_eq!(ids, vec![4]);
    // Job 3's data went with it before the rebuild; the trigger still works after it.
    assert_eq!(count(&url, "SELECT COUNT(*) FROM job_data").await, 3);

    let pool = SqlitePoolOptions::new()
        .connect(&url)
        .await
        .expect("connect");
    let bogus = sqlx::query("UPDATE jobs SET state = 'bogus' WHERE id = 1")
        .execute(&pool)
        .await;
    assert!(
        matches!(&bogus, Err(e) if e.to_string().contains("CHECK constraint failed")),
        "{bogus:?}"
    );
    // What the rebuild is for: writing a job's state builds no temporary B-tree any more.
    for sql in [
        "EXPLAIN UPDATE jobs SET state = 'delivered' WHERE id = 1",
        "EXPLAIN INSERT INTO jobs (vendor, event_key, route, request_id, state, received_at, \
           updated_at) VALUES ('v', 'e', '{}', 'r', 'pending', 1, 1)",
    ] {
        let ops: Vec<String> = sqlx::query(sql)
            .fetch_all(&pool)
            .await
            .expect("explain")
            .iter()
            .map(|r| r.get::<String, _>(1))
            .collect();
        assert!(
            !ops.iter().any(|op| op == "OpenEphemeral"),
            "{sql}: {ops:?}"
        );
    }
    pool.close().await;
}

#[tokio::test]
async fn ids_are_never_handed_out_twice_and_no_commit_writes_a_sequence_counter() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = url(&dir);
    let (store, accepted) = open_with_two_leased_jobs(&url).await;
    assert_eq!(accepted.len(), 2);
    let done = [
        super::harness::delivered(1, T0 + 1),
        super::harness::delivered(2, T0 + 1),
    ];
    assert_eq!(store.finish_batch("w", &done).await.expect("finish"), 2);
    // Both are past retention; the newest stays, so its id remains the highest.
    assert_eq!(store.purge(T0 + 2, T0 + 2).await.expect("purge"), 1);
    assert!(store.get(1).await.expect("get").is_none());
    assert!(store.get(2).await.expect("get").is_some());
    let ids = super::harness::accept(&store, &[job("e3", "o3", T0 + 3)]).await;
    assert_eq!(ids, vec![3]);
    // What migration 0006 is for: no AUTOINCREMENT counter row to rewrite on every commit.
    assert_eq!(
        count(
            &url,
            "SELECT COUNT(*) FROM sqlite_sequence WHERE name = 'jobs'"
        )
        .await,
        0
    );
}
