//! Fresh databases, sample jobs, leases and outcomes for the store suite.

use crate::queue::{open, Accepted, Finish, Initial, Lease, NewJob, Store, StoreOptions};
use sqlx::{Connection, PgConnection};
use std::io::Write;
use std::sync::{Arc, Once};

pub(crate) const T0: i64 = 1_700_000_000_000;
pub(crate) const DAY: i64 = 86_400_000;
/// Migrations in migrations/postgres (migrations/sqlite has one more: 0002_job_data).
pub(crate) const MIGRATIONS: i64 = 1;

pub(crate) fn options() -> StoreOptions {
    StoreOptions {
        pool_size: 4,
        statement_timeout_ms: 10_000,
    }
}

/// A pending job of `order` (account "acct") received at `at`.
pub(crate) fn job(event: &str, order: &str, at: i64) -> NewJob {
    NewJob {
        vendor: "codesignal".into(),
        event_key: event.into(),
        order_id: Some(order.into()),
        account_id: Some("acct".into()),
        correlation_key: None,
        body: Some(format!(r#"{{"event":"{event}"}}"#)),
        payload: format!("raw {event}").into_bytes(),
        headers: "{}".into(),
        route: "{}".into(),
        rule: Some("completed".into()),
        request_id: format!("req-{event}"),
        received_at_ms: at,
        initial: Initial::Pending,
    }
}

/// A translated job whose order is not known yet: it waits for `key`'s registration.
pub(crate) fn awaiting(event: &str, key: &str, at: i64) -> NewJob {
    NewJob {
        order_id: None,
        account_id: None,
        correlation_key: Some(key.into()),
        initial: Initial::AwaitingOrder,
        ..job(event, "unused", at)
    }
}

/// A verified payload the mapping could not translate.
pub(crate) fn unmappable(event: &str, at: i64) -> NewJob {
    NewJob {
        order_id: None,
        account_id: None,
        body: None,
        rule: None,
        initial: Initial::Dead {
            reason: "mapping: no rule matched".into(),
        },
        ..job(event, "unused", at)
    }
}

pub(crate) struct SqliteDb {
    pub(crate) store: Arc<dyn Store>,
    _dir: tempfile::TempDir,
}

impl SqliteDb {
    pub(crate) async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        // A folder that does not exist yet: open must create it.
        let url = format!("sqlite://{}/data/relay.db", dir.path().display());
        let store = open(&url, &options()).await.expect("open sqlite");
        Self { store, _dir: dir }
    }
}

static SKIP_NOTICE: Once = Once::new();

/// The base URL, or `None` after a loud notice (or a failure when PostgreSQL is required).
pub(crate) fn postgres_url() -> Option<String> {
    match std::env::var("RELAY_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("RELAY_TEST_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("RELAY_TEST_REQUIRE_POSTGRES=1 but RELAY_TEST_POSTGRES_URL is unset");
            }
            SKIP_NOTICE.call_once(|| {
                // Written past the test harness's capture so it shows on a passing run.
                let _ = writeln!(
                    std::io::stderr(),
                    "\n*** SKIPPED: PostgreSQL store tests (set RELAY_TEST_POSTGRES_URL, \
                     e.g. $(scripts/pg-start.sh)) ***\n"
                );
            });
            None
        }
    }
}

/// `url` with `options` added as a query parameter (`-c name=value`, percent-encoded).
pub(crate) fn with_pg_option(url: &str, name: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20{name}%3D{value}")
}

pub(crate) struct PgDb {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) url: String,
    base: String,
    schema: String,
}

impl PgDb {
    /// A store on a new, empty schema (migrated by `open`).
    pub(crate) async fn new() -> Option<Self> {
        let base = postgres_url()?;
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&base)
            .await
            .expect("connect postgres");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut admin)
            .await
            .expect("create schema");
        admin.close().await.ok();
        let url = with_pg_option(&base, "search_path", &schema);
        let store = open(&url, &options()).await.expect("open postgres");
        Some(Self {
            store,
            url,
            base,
            schema,
        })
    }

    pub(crate) async fn drop_schema(self) {
        drop(self.store);
        let mut admin = PgConnection::connect(&self.base).await.expect("connect");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA {} CASCADE",
            self.schema
        )))
        .execute(&mut admin)
        .await
        .expect("drop schema");
        admin.close().await.ok();
    }
}

/// `open` runs inside spawned tasks (replicas, the CLI): its future must be `Send`.
#[allow(dead_code)]
fn open_is_send() {
    fn is_send<T: Send>(_: &T) {}
    is_send(&open("sqlite://never-opened.db", &options()));
}

pub(crate) fn lease(owner: &str, until: i64) -> Lease {
    Lease {
        owner: owner.into(),
        until_ms: until,
    }
}

pub(crate) async fn accept(s: &Arc<dyn Store>, jobs: &[NewJob]) -> Vec<i64> {
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

pub(crate) fn delivered(id: i64, at: i64) -> Finish {
    Finish::Delivered {
        id,
        status: 200,
        at_ms: at,
    }
}

/// Leases everything due and records `outcome` of each leased job's id (`None`: left in flight).
pub(crate) async fn settle(s: &Arc<dyn Store>, now: i64, outcome: impl Fn(i64) -> Option<Finish>) {
    let leased = s.lease_due(&lease("w", T0 + DAY), now, 1000).await.unwrap();
    let done: Vec<Finish> = leased.iter().filter_map(|j| outcome(j.id)).collect();
    s.finish_batch("w", &done).await.unwrap();
}

pub(crate) fn kill(id: i64) -> Option<Finish> {
    Some(Finish::Dead {
        id,
        status: Some(422),
        error: "rejected".into(),
        response_body: None,
        at_ms: T0,
    })
}
