//! Order correlation on PostgreSQL: registrations (with the release of results that arrived
//! first), per-invite callbacks, and their expiry. The release happens in the same write
//! transaction as the registration, and `accept_batch` checks registrations inside its own,
//! so with one writer a result and its registration can never miss each other.

use crate::queue::db_error::from_sqlx;
use crate::queue::plan::NO_ORDER_REASON;
use crate::queue::plan::{correlation_lock, order_lock};
use crate::queue::rows::{
    page_limit, CallbackRow, RegistrationRow, CALLBACK_COLUMNS, REGISTRATION_COLUMNS,
};
use crate::queue::{Callback, Registration, StoreError};
use sqlx::{PgConnection, PgPool};

pub(super) async fn put_registration(
    conn: &mut PgConnection,
    reg: &Registration,
    now_ms: i64,
) -> Result<u64, StoreError> {
    let mut locks = vec![
        correlation_lock(&reg.vendor, &reg.correlation_key),
        order_lock(&reg.account_id, &reg.order_id),
    ];
    locks.sort_unstable();
    sqlx::query("SELECT pg_advisory_xact_lock(k) FROM unnest($1::int8[]) AS k")
        .bind(&locks)
        .execute(&mut *conn)
        .await
        .map_err(from_sqlx)?;
    sqlx::query(
        "INSERT INTO registrations (vendor, correlation_key, order_id, account_id, created_at, \
           expires_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (vendor, correlation_key) DO UPDATE SET order_id = excluded.order_id, \
           account_id = excluded.account_id, created_at = excluded.created_at, \
           expires_at = excluded.expires_at",
    )
    .bind(&reg.vendor)
    .bind(&reg.correlation_key)
    .bind(&reg.order_id)
    .bind(&reg.account_id)
    .bind(reg.created_at_ms)
    .bind(reg.expires_at_ms)
    .execute(&mut *conn)
    .await
    .map_err(from_sqlx)?;
    let released = sqlx::query(
        "UPDATE jobs SET state = 'pending', order_id = $3, account_id = $4, \
           next_attempt_at = $5, updated_at = $5 \
         WHERE state = 'awaiting_order' AND vendor = $1 AND correlation_key = $2",
    )
    .bind(&reg.vendor)
    .bind(&reg.correlation_key)
    .bind(&reg.order_id)
    .bind(&reg.account_id)
    .bind(now_ms)
    .execute(&mut *conn)
    .await
    .map_err(from_sqlx)?;
    Ok(released.rows_affected())
}

pub(super) async fn get_registration(
    pool: &PgPool,
    vendor: &str,
    key: &str,
    now_ms: i64,
) -> Result<Option<Registration>, StoreError> {
    let sql = format!(
        "SELECT {REGISTRATION_COLUMNS} FROM registrations \
         WHERE vendor = $1 AND correlation_key = $2 AND expires_at > $3"
    );
    let row: Option<RegistrationRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(vendor)
        .bind(key)
        .bind(now_ms)
        .fetch_optional(pool)
        .await
        .map_err(from_sqlx)?;
    Ok(row.map(Registration::from))
}

pub(super) async fn delete_registration(
    pool: &PgPool,
    vendor: &str,
    key: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM registrations WHERE vendor = $1 AND correlation_key = $2")
        .bind(vendor)
        .bind(key)
        .execute(pool)
        .await
        .map_err(from_sqlx)?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn list_registrations(
    pool: &PgPool,
    vendor: Option<&str>,
    limit: usize,
    after_key: Option<&str>,
) -> Result<Vec<Registration>, StoreError> {
    let sql = format!(
        "SELECT {REGISTRATION_COLUMNS} FROM registrations \
         WHERE ($1::text IS NULL OR vendor = $1) AND ($2::text IS NULL OR correlation_key > $2) \
         ORDER BY correlation_key, vendor LIMIT $3"
    );
    let rows: Vec<RegistrationRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(vendor)
        .bind(after_key)
        .bind(page_limit(limit))
        .fetch_all(pool)
        .await
        .map_err(from_sqlx)?;
    Ok(rows.into_iter().map(Registration::from).collect())
}

pub(super) async fn put_callback(pool: &PgPool, cb: &Callback) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO callbacks (token_sha256, vendor, order_id, account_id, created_at, \
           expires_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (token_sha256) DO UPDATE SET vendor = excluded.vendor, \
           order_id = excluded.order_id, account_id = excluded.account_id, \
           created_at = excluded.created_at, expires_at = excluded.expires_at",
    )
    .bind(&cb.token_sha256)
    .bind(&cb.vendor)
    .bind(&cb.order_id)
    .bind(&cb.account_id)
    .bind(cb.created_at_ms)
    .bind(cb.expires_at_ms)
    .execute(pool)
    .await
    .map_err(from_sqlx)?;
    Ok(())
}

pub(super) async fn get_callback(
    pool: &PgPool,
    token_sha256: &str,
    now_ms: i64,
) -> Result<Option<Callback>, StoreError> {
    let sql = format!(
        "SELECT {CALLBACK_COLUMNS} FROM callbacks WHERE token_sha256 = $1 AND expires_at > $2"
    );
    let row: Option<CallbackRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(token_sha256)
        .bind(now_ms)
        .fetch_optional(pool)
        .await
        .map_err(from_sqlx)?;
    Ok(row.map(Callback::from))
}

pub(super) async fn delete_callback(pool: &PgPool, token_sha256: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM callbacks WHERE token_sha256 = $1")
        .bind(token_sha256)
        .execute(pool)
        .await
        .map_err(from_sqlx)?;
    Ok(done.rows_affected() == 1)
}

pub(super) async fn list_callbacks(
    pool: &PgPool,
    vendor: Option<&str>,
    limit: usize,
) -> Result<Vec<Callback>, StoreError> {
    let sql = format!(
        "SELECT {CALLBACK_COLUMNS} FROM callbacks WHERE ($1::text IS NULL OR vendor = $1) \
         ORDER BY created_at DESC, token_sha256 LIMIT $2"
    );
    let rows: Vec<CallbackRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(vendor)
        .bind(page_limit(limit))
        .fetch_all(pool)
        .await
        .map_err(from_sqlx)?;
    Ok(rows.into_iter().map(Callback::from).collect())
}

pub(super) async fn expire_correlation(
    conn: &mut PgConnection,
    before_ms: i64,
    now_ms: i64,
) -> Result<(u64, u64), StoreError> {
    let dead = sqlx::query(
        "UPDATE jobs SET state = 'dead', last_error = $3, next_attempt_at = NULL, updated_at = $2 \
         WHERE state = 'awaiting_order' AND received_at < $1",
    )
    .bind(before_ms)
    .bind(now_ms)
    .bind(NO_ORDER_REASON)
    .execute(&mut *conn)
    .await
    .map_err(from_sqlx)?
    .rows_affected();
    let regs = sqlx::query("DELETE FROM registrations WHERE expires_at <= $1")
        .bind(now_ms)
        .execute(&mut *conn)
        .await
        .map_err(from_sqlx)?
        .rows_affected();
    let cbs = sqlx::query("DELETE FROM callbacks WHERE expires_at <= $1")
        .bind(now_ms)
        .execute(&mut *conn)
        .await
        .map_err(from_sqlx)?
        .rows_affected();
    Ok((dead, regs + cbs))
}
