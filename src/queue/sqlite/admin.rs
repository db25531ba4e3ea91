//! Admin reads and writes on SQLite: stats, listing, detail, replay (retention: `purge`).
//! Reads go to the reader pool; writes to the writer connection.

use crate::queue::db_error::from_sqlx;
use crate::queue::filter::{where_clause, Bind, Dialect};
use crate::queue::rows::{page_limit, DetailRow, SummaryRow, DETAIL_COLUMNS, SUMMARY_COLUMNS};
use crate::queue::{JobDetail, JobFilter, JobId, JobSummary, QueueStats, Rewrite, StoreError};
use sqlx::SqlitePool;

pub(super) async fn stats(
    with_delivered: bool,
    pool: &SqlitePool,
    now_ms: i64,
) -> Result<QueueStats, StoreError> {
    // One count per state, each over that state's partial index, except delivered jobs, which
    // have none (migration 0005). The oldest undelivered receipt time comes from the same
    // indexes: `MIN(id) … WHERE state IN (…)` would walk the table from its oldest rows, every
    // delivered one of them.
    type Row = (i64, i64, i64, i64, i64, Option<i64>);
    // Counting delivered jobs walks the table (the retention period's worth), so the
    // once-a-second depth sample leaves it out.
    let delivered_count = if with_delivered {
        "(SELECT COUNT(*) FROM jobs WHERE state = 'delivered')"
    } else {
        "-1"
    };
    let sql = format!(
        "SELECT (SELECT COUNT(*) FROM jobs WHERE state = 'pending'), \
                (SELECT COUNT(*) FROM jobs WHERE state = 'in_flight'), \
                {delivered_count}, \
                (SELECT COUNT(*) FROM jobs WHERE state = 'dead'), \
                (SELECT COUNT(*) FROM jobs WHERE state = 'awaiting_order'), \
                (SELECT MIN(received_at) FROM ( \
                   SELECT received_at FROM jobs INDEXED BY jobs_due WHERE state = 'pending' \
                   UNION ALL \
                   SELECT received_at FROM jobs INDEXED BY jobs_leased WHERE state = 'in_flight' \
                   UNION ALL \
                   SELECT received_at FROM jobs INDEXED BY jobs_awaiting WHERE state = 'awaiting_order'))"
    );
    let (pending, in_flight, delivered, dead, awaiting, oldest): Row =
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_one(pool)
            .await
            .map_err(from_sqlx)?;
    let n = |v: i64| u64::try_from(v).unwrap_or(0);
    Ok(QueueStats {
        pending: n(pending),
        in_flight: n(in_flight),
        delivered: (delivered >= 0).then(|| n(delivered)),
        dead: n(dead),
        awaiting_order: n(awaiting),
        oldest_undelivered_age_ms: oldest.map_or(0, |t| now_ms.saturating_sub(t).max(0)),
    })
}

fn bind_all<'q, O>(
    mut q: sqlx::query::QueryAs<'q, sqlx::Sqlite, O, sqlx::sqlite::SqliteArguments>,
    binds: Vec<Bind>,
) -> sqlx::query::QueryAs<'q, sqlx::Sqlite, O, sqlx::sqlite::SqliteArguments> {
    for b in binds {
        q = match b {
            Bind::Text(s) => q.bind(s),
            Bind::Int(i) => q.bind(i),
        };
    }
    q
}

pub(super) async fn list(
    pool: &SqlitePool,
    filter: &JobFilter,
) -> Result<Vec<JobSummary>, StoreError> {
    let (cond, binds) = where_clause(filter, Dialect::Sqlite);
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM jobs {cond} ORDER BY id DESC LIMIT {}",
        page_limit(filter.limit)
    );
    let rows: Vec<SummaryRow> = bind_all(sqlx::query_as(sqlx::AssertSqlSafe(sql)), binds)
        .fetch_all(pool)
        .await
        .map_err(from_sqlx)?;
    rows.into_iter().map(JobSummary::try_from).collect()
}

pub(super) async fn ids(pool: &SqlitePool, filter: &JobFilter) -> Result<Vec<JobId>, StoreError> {
    let (cond, binds) = where_clause(filter, Dialect::Sqlite);
    // 0 = every match (bulk replay); otherwise at most `limit`.
    let limit = if filter.limit == 0 {
        -1
    } else {
        filter.limit as i64
    };
    let sql = format!("SELECT id FROM jobs {cond} ORDER BY id DESC LIMIT {limit}");
    let rows: Vec<(i64,)> = bind_all(sqlx::query_as(sqlx::AssertSqlSafe(sql)), binds)
        .fetch_all(pool)
        .await
        .map_err(from_sqlx)?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

pub(super) async fn get(pool: &SqlitePool, id: JobId) -> Result<Option<JobDetail>, StoreError> {
    let sql = format!("SELECT {DETAIL_COLUMNS} FROM jobs JOIN job_data USING (id) WHERE id = ?1");
    let row: Option<DetailRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(pool)
        .await
        .map_err(from_sqlx)?;
    row.map(JobDetail::try_from).transpose()
}

pub(super) async fn replay(
    pool: &SqlitePool,
    id: JobId,
    rewrite: Option<&Rewrite>,
    now_ms: i64,
) -> Result<bool, StoreError> {
    let mut tx = pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(from_sqlx)?;
    // Without a rewrite only a job that was translated can go back to pending; an unmappable
    // dead letter needs re-translation first.
    let done = sqlx::query(
        "UPDATE jobs SET state = 'pending', next_attempt_at = ?2, attempts = 0, \
           lease_owner = NULL, lease_until = NULL, delivered_at = NULL, updated_at = ?2, \
           order_id = COALESCE(?3, order_id), account_id = COALESCE(?4, account_id), \
           rule = CASE WHEN ?6 THEN ?7 ELSE rule END \
         WHERE id = ?1 AND state IN ('dead', 'delivered') \
           AND COALESCE(?3, order_id) IS NOT NULL AND COALESCE(?4, account_id) IS NOT NULL \
           AND COALESCE(?5, (SELECT body FROM job_data AS d WHERE d.id = jobs.id)) IS NOT NULL",
    )
    .bind(id)
    .bind(now_ms)
    .bind(rewrite.map(|r| r.order_id.as_str()))
    .bind(rewrite.map(|r| r.account_id.as_str()))
    .bind(rewrite.map(|r| r.body.as_str()))
    .bind(rewrite.is_some())
    .bind(rewrite.and_then(|r| r.rule.as_deref()))
    .execute(&mut *tx)
    .await
    .map_err(from_sqlx)?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    if let Some(r) = rewrite {
        sqlx::query("UPDATE job_data SET body = ?2 WHERE id = ?1")
            .bind(id)
            .bind(r.body.as_str())
            .execute(&mut *tx)
            .await
            .map_err(from_sqlx)?;
    }
    tx.commit().await.map_err(from_sqlx)?;
    Ok(true)
}
