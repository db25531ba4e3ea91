//! Listing, inspecting and replaying deliveries.

use crate::error::{ApiError, ErrorCode};
use crate::queue::{JobFilter, JobId, JobState};
use crate::replay::{replay, ReplayResult};
use crate::routes::errors::store_error;
use crate::routes::AppState;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

const MAX_PAGE: usize = 500;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    state: Option<String>,
    vendor: Option<String>,
    order_id: Option<String>,
    before: Option<JobId>,
    limit: Option<usize>,
}

fn parse_state(s: Option<&str>) -> Result<Option<JobState>, ApiError> {
    s.map(|s| {
        JobState::parse(s).ok_or_else(|| {
            ApiError::new(ErrorCode::InvalidRequest, format!("unknown state {s:?}; use pending, in_flight, delivered, dead or awaiting_order"))
        })
    })
    .transpose()
}

pub async fn list(
    q: web::Query<ListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let limit = q.limit.unwrap_or(50).clamp(1, MAX_PAGE);
    let filter = JobFilter {
        state: parse_state(q.state.as_deref())?,
        vendor: q.vendor,
        order_id: q.order_id,
        before_id: q.before,
        limit,
    };
    let jobs = state
        .store
        .list(&filter)
        .await
        .map_err(|e| store_error(&e))?;
    let next = (jobs.len() == limit)
        .then(|| jobs.last().map(|j| j.id))
        .flatten();
    Ok(HttpResponse::Ok().json(json!({"deliveries": jobs, "next_before": next})))
}

pub async fn show(
    id: web::Path<JobId>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    match state.store.get(*id).await.map_err(|e| store_error(&e))? {
        Some(job) => Ok(HttpResponse::Ok().json(job)),
        None => Err(ApiError::new(
            ErrorCode::NotFound,
            format!("no delivery {id}"),
        )),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayQuery {
    #[serde(default)]
    retranslate: bool,
}

pub async fn replay_one(
    id: web::Path<JobId>,
    q: web::Query<ReplayQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let now = chrono::Utc::now().timestamp_millis();
    let vendors = state.registry.snapshot();
    let r = replay(
        state.store.as_ref(),
        &vendors,
        &state.validator,
        *id,
        q.retranslate,
        now,
    )
    .await
    .map_err(|e| store_error(&e))?;
    state.kick_delivery();
    match &r {
        ReplayResult::Replayed { .. } => Ok(HttpResponse::Ok().json(r)),
        ReplayResult::NotFound { id } => Err(ApiError::new(
            ErrorCode::NotFound,
            format!("no delivery {id}"),
        )),
        ReplayResult::NotReplayable { state, .. } => Err(ApiError::new(
            ErrorCode::Conflict,
            format!("only dead or delivered jobs can be replayed; this one is {state}"),
        )),
        ReplayResult::Failed { reason, .. } => {
            Err(ApiError::new(ErrorCode::MappingFailed, reason.clone()))
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplayMany {
    /// Explicit ids; otherwise the filter below selects (default: every dead letter).
    #[serde(default)]
    ids: Vec<JobId>,
    state: Option<String>,
    vendor: Option<String>,
    order_id: Option<String>,
    #[serde(default)]
    retranslate: bool,
    limit: Option<usize>,
}

pub async fn replay_many(
    body: web::Json<ReplayMany>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let b = body.into_inner();
    let ids = if b.ids.is_empty() {
        let filter = JobFilter {
            state: Some(parse_state(b.state.as_deref())?.unwrap_or(JobState::Dead)),
            vendor: b.vendor,
            order_id: b.order_id,
            before_id: None,
            limit: b.limit.unwrap_or(10_000).max(1),
        };
        state
            .store
            .ids(&filter)
            .await
            .map_err(|e| store_error(&e))?
    } else {
        b.ids
    };
    let now = chrono::Utc::now().timestamp_millis();
    let vendors = state.registry.snapshot();
    let mut results = Vec::with_capacity(ids.len());
    for id in ids {
        results.push(
            replay(
                state.store.as_ref(),
                &vendors,
                &state.validator,
                id,
                b.retranslate,
                now,
            )
            .await
            .map_err(|e| store_error(&e))?,
        );
    }
    state.kick_delivery();
    let replayed = results
        .iter()
        .filter(|r| matches!(r, ReplayResult::Replayed { .. }))
        .count();
    Ok(HttpResponse::Ok().json(json!({"replayed": replayed, "results": results})))
}
