//! The store test suite: every case runs against SQLite (a temporary file) and PostgreSQL
//! (a fresh schema of `RELAY_TEST_POSTGRES_URL`, so cases run in parallel). Without that
//! variable the PostgreSQL half says loudly that it was skipped, or fails when
//! `RELAY_TEST_REQUIRE_POSTGRES=1` (CI). Times are passed in, so nothing sleeps.

/// Declares, for each named case `async fn case(store: Arc<dyn Store>)` of the enclosing
/// module, one test per backend: `case::sqlite` and `case::postgres`. A macro because the
/// test harness needs one `#[tokio::test]` item per test; a function cannot emit items.
macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::queue::tests::harness::SqliteDb::new().await;
                super::$case(db.store.clone()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = $crate::queue::tests::harness::PgDb::new().await {
                    super::$case(db.store.clone()).await;
                    db.drop_schema().await;
                }
            }
        }
    )*};
}

mod accept;
mod admin;
mod batch;
mod correlation;
mod counting;
pub(crate) mod harness;
mod lease;
mod lease_owners;
mod ordering;
mod outcomes;
mod pg_ops;
mod replay_purge;
mod sqlite_schema;
