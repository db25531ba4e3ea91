//! PostgreSQL for the replica tests: a fresh schema per test on `RELAY_TEST_POSTGRES_URL`
//! (started by `scripts/test.sh`), or a loud skip — a failure when `RELAY_TEST_REQUIRE_POSTGRES=1`.

use sqlx::Connection;

/// A URL whose connections use a new, empty schema; `None` (after a notice) without PostgreSQL.
pub async fn fresh_schema() -> Option<String> {
    let base = match std::env::var("RELAY_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => {
            assert!(
                std::env::var("RELAY_TEST_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "RELAY_TEST_REQUIRE_POSTGRES=1 but RELAY_TEST_POSTGRES_URL is unset"
            );
            eprintln!("SKIPPED: needs PostgreSQL (set RELAY_TEST_POSTGRES_URL, e.g. $(scripts/pg-start.sh))");
            return None;
        }
    };
    let schema = format!("r_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&base)
        .await
        .expect("connect to the test PostgreSQL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut admin)
        .await
        .expect("create schema");
    let _ = admin.close().await;
    Some(with_search_path(&base, &schema))
}

pub fn with_search_path(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{schema}")
}
