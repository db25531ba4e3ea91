//! PostgreSQL-only behaviour: migrations raced by replicas starting together, dedupe and
//! per-order ordering across replicas, and recovery after the server restarts.

use super::harness::{job, options, postgres_url, with_pg_option, PgDb, DAY, T0};
use crate::queue::{open, Accepted, Lease, StoreError};
use sqlx::{Connection, PgConnection};
use std::time::Duration;

fn database_url(base: &str, db: &str) -> String {
    let mut url = reqwest::Url::parse(base).expect("RELAY_TEST_POSTGRES_URL is a URL");
    url.set_path(&format!("/{db}"));
    url.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_starting_together_on_a_fresh_database_all_open_it() {
    let Some(base) = postgres_url() else { return };
    let db = format!("relay_mig_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&base).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {db}")))
        .execute(&mut admin)
        .await
        .unwrap();
    let url = database_url(&base, &db);
    let opens: Vec<_> = (0..8)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { open(&url, &options()).await })
        })
        .collect();
    let mut stores = Vec::new();
    for o in opens {
        stores.push(o.await.unwrap().expect("every replica opens the store"));
    }
    let mut conn = PgConnection::connect(&url).await.unwrap();
    let (applied, failed): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COUNT(*) FILTER (WHERE NOT success) FROM _sqlx_migrations",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        (applied, failed),
        (crate::queue::tests::harness::MIGRATIONS, 0)
    );
    stores[3]
        .accept_batch(&[job("e", "o", T0)], DAY, None)
        .await
        .unwrap();
    conn.close().await.ok();
    drop(stores);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {db} WITH (FORCE)"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_accepting_the_same_events_store_each_once() {
    let Some(db) = PgDb::new().await else { return };
    let other = open(&db.url, &options()).await.unwrap();
    let replicas = [db.store.clone(), other];
    let mut tasks = Vec::new();
    for replica in &replicas {
        for i in 0..30 {
            let s = replica.clone();
            tasks.push(tokio::spawn(async move {
                s.accept_batch(&[job(&format!("e{i}"), &format!("o{i}"), T0)], DAY, None)
                    .await
                    .unwrap()[0]
            }));
        }
    }
    let mut new = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), Accepted::New { .. }) {
            new += 1;
        }
    }
    assert_eq!(new, 30);
    assert_eq!(db.store.stats(T0, true).await.unwrap().pending, 30);
    drop(replicas);
    db.drop_schema().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_never_both_lease_jobs_of_one_order_on_acceptance() {
    let Some(db) = PgDb::new().await else { return };
    let other = open(&db.url, &options()).await.unwrap();
    let replicas = [db.store.clone(), other];
    let mut tasks = Vec::new();
    for (r, replica) in replicas.iter().enumerate() {
        for i in 0..20 {
            let s = replica.clone();
            tasks.push(tokio::spawn(async move {
                let lease = Lease {
                    owner: format!("replica{r}"),
                    until_ms: T0 + DAY,
                };
                s.accept_batch(
                    &[job(&format!("e{r}-{i}"), "the-order", T0)],
                    DAY,
                    Some(&lease),
                )
                .await
                .unwrap()[0]
            }));
        }
    }
    let mut leased = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), Accepted::New { leased: true, .. }) {
            leased += 1;
        }
    }
    assert_eq!(leased, 1, "only the order's first job may be in flight");
    let st = db.store.stats(T0, true).await.unwrap();
    assert_eq!((st.in_flight, st.pending), (1, 39));
    drop(replicas);
    db.drop_schema().await;
}

async fn script(name: &str, args: &[&str]) -> String {
    let path = format!("{}/scripts/{name}", env!("CARGO_MANIFEST_DIR"));
    let out = tokio::process::Command::new("bash")
        .arg(path)
        .args(args)
        .output()
        .await
        .expect("run script");
    assert!(
        out.status.success(),
        "{name} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_is_unavailable_while_postgres_is_down_and_recovers_by_itself() {
    if postgres_url().is_none() {
        return;
    }
    // A server of its own, so stopping it does not disturb the other tests.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
        .to_string();
    let dir = format!("/tmp/relay-pg-restart-{port}");
    let url = script("pg-start.sh", &[&port, &dir]).await;
    let store = open(&with_pg_option(&url, "search_path", "public"), &options())
        .await
        .unwrap();
    store
        .accept_batch(&[job("before", "o1", T0)], DAY, None)
        .await
        .unwrap();

    script("pg-stop.sh", &[&port, &dir]).await;
    let down = store
        .accept_batch(&[job("during", "o2", T0)], DAY, None)
        .await;
    assert!(matches!(down, Err(StoreError::Unavailable(_))), "{down:?}");
    assert!(matches!(
        store.ping().await,
        Err(StoreError::Unavailable(_))
    ));

    script("pg-start.sh", &[&port, &dir]).await;
    let mut recovered = None;
    for _ in 0..30 {
        match store
            .accept_batch(&[job("after", "o3", T0)], DAY, None)
            .await
        {
            Ok(a) => {
                recovered = Some(a);
                break;
            }
            Err(StoreError::Unavailable(_)) => tokio::time::sleep(Duration::from_secs(1)).await,
            Err(e) => panic!("{e}"),
        }
    }
    assert!(matches!(recovered, Some(ref a) if matches!(a[0], Accepted::New { .. })));
    let st = store.stats(T0, true).await.unwrap();
    assert_eq!(
        st.pending, 2,
        "the job committed before the restart survived; none during"
    );
    drop(store);
    script("pg-stop.sh", &[&port, &dir, "--purge"]).await;
}
