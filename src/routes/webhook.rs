//! `POST /webhooks/{vendor}` (and the account-carrying and per-invite callback variants):
//! verify → prepare (parse, translate, validate, identity) → correlate → commit → answer.
//! The vendor gets its 2xx only after the job is committed.

use super::correlate::{correlate, resolve_callback};
use super::errors::{auth_error, rejection_error, store_error, BUSY_RETRY_AFTER};
use super::{body, AppState, RequestId};
use crate::domain::Headers;
use crate::error::{ApiError, ErrorCode};
use crate::ingest::{self, Prepared, StoredRoute};
use crate::mapping::RouteParams;
use crate::metrics as m;
use crate::queue::{Accepted, Initial, ReplyHub};
use crate::signature::InboundRequest;
use actix_web::http::StatusCode;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Serialize;
use std::time::{Duration, Instant};

pub async fn receive(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    handle(
        req,
        path.into_inner(),
        RouteParams::default(),
        None,
        payload,
        state,
    )
    .await
}

pub async fn receive_for_account(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (vendor, account_id) = path.into_inner();
    handle(
        req,
        vendor,
        RouteParams {
            account_id: Some(account_id),
        },
        None,
        payload,
        state,
    )
    .await
}

pub async fn receive_on_callback(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (vendor, token) = path.into_inner();
    handle(
        req,
        vendor,
        RouteParams::default(),
        Some(token),
        payload,
        state,
    )
    .await
}

async fn handle(
    req: HttpRequest,
    vendor_name: String,
    route: RouteParams,
    token: Option<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let started = Instant::now();
    let vendors = state.registry.snapshot();
    let Some(vendor) = vendors.get(&vendor_name).cloned() else {
        return Err(rejected(
            "unknown",
            ApiError::new(
                ErrorCode::VendorNotFound,
                "no vendor is configured under this name",
            ),
        ));
    };
    let name = vendor.id.as_str();
    let reject = |e: ApiError| rejected(name, e);
    if let Some(why) = &vendor.disabled {
        tracing::warn!(vendor = name, reason = %why, "webhook for a disabled vendor");
        let e = ApiError::new(
            ErrorCode::VendorDisabled,
            "this vendor is not configured on the gateway yet",
        );
        return Err(reject(e.with_retry_after(Duration::from_secs(60))));
    }
    if state.queue.undelivered() >= state.limits.max_pending {
        let e = ApiError::new(
            ErrorCode::QueueFull,
            "too many results are waiting for delivery; retry later",
        );
        return Err(reject(e.with_retry_after(BUSY_RETRY_AFTER)));
    }
    let body = body::read(
        &req,
        payload,
        state.limits.max_body_bytes,
        state.limits.body_timeout,
    )
    .await
    .map_err(reject)?;
    if body.iter().all(u8::is_ascii_whitespace) {
        // CodeSignal (and others) POST an empty body when the webhook is registered, expecting 200.
        // An empty body carries no result, so there is nothing to verify, store or deliver.
        vendor.metrics.ignored.increment(1);
        tracing::info!(vendor = name, "empty webhook body acknowledged");
        return Ok(HttpResponse::Ok().json(Answer::new("ignored", None)));
    }

    let callback = match token {
        Some(t) => Some(
            resolve_callback(&state, &vendor, &t)
                .await
                .map_err(reject)?,
        ),
        None => None,
    };
    let headers: Headers = req
        .headers()
        .iter()
        .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?)))
        .collect();
    // The public URL is only built for vendors whose signature covers it.
    let url = state
        .public_url
        .as_deref()
        .filter(|_| vendor.verifier.uses_url())
        .map(|base| {
            let pq = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            format!("{}{pq}", base.trim_end_matches('/'))
        });
    let inbound = InboundRequest {
        headers: &headers,
        body: &body,
        url: url.as_deref(),
        query: req.query_string(),
        peer: req.peer_addr().map(|a| a.ip()),
        callback: callback.as_ref(),
        now_ms: (state.verification_clock)(),
    };
    let t = Instant::now();
    let verified = vendor.verifier.verify(&inbound);
    vendor.metrics.verify.record(t.elapsed().as_secs_f64());
    let verified = verified.map_err(|f| reject(auth_error(&f)))?;

    let request_id = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let stored_route = StoredRoute::new(route, callback.as_ref());
    let ctx = ingest::Context {
        vendor: &vendor,
        headers: &headers,
        route: &stored_route,
        received_at: Utc::now(),
        request_id: &request_id,
    };
    let t = Instant::now();
    let prepared = ingest::prepare(ctx, verified.body(), &state.validator);
    vendor.metrics.translate.record(t.elapsed().as_secs_f64());

    let (job, rejection) = match prepared.map_err(|r| reject(rejection_error(&r)))? {
        Prepared::Ignored { reason } => {
            vendor.metrics.ignored.increment(1);
            tracing::info!(vendor = name, reason = %reason, "webhook ignored: no rule selects it");
            return Ok(HttpResponse::Ok().json(Answer::new("ignored", None)));
        }
        Prepared::Job(job) => (correlate(&state, *job).await.map_err(reject)?, None),
        Prepared::DeadLetter(job, r) => (*job, Some(r)),
    };
    let awaiting = job.initial == Initial::AwaitingOrder;
    let accepted = state
        .acceptor
        .accept_via(job, req.app_data::<ReplyHub>())
        .await
        .map_err(|e| reject(store_error(&e)))?;
    vendor
        .metrics
        .accept
        .record(started.elapsed().as_secs_f64());

    if let Some(r) = rejection {
        // Stored as a dead letter (replayable once the mapping is fixed), but the vendor hears
        // the truth: this result cannot be delivered as sent.
        let (Accepted::New { id, .. } | Accepted::Duplicate { id }) = accepted;
        tracing::warn!(vendor = name, delivery_id = id, reason = %r.message(), "verified webhook is unmappable; stored as a dead letter");
        metrics::counter!(m::DEAD_LETTERS, "vendor" => name.to_owned(), "reason" => "unmappable")
            .increment(1);
        return Err(reject(rejection_error(&r)));
    }
    match accepted {
        Accepted::Duplicate { id } => {
            vendor.metrics.duplicate.increment(1);
            tracing::info!(
                vendor = name,
                delivery_id = id,
                "duplicate webhook acknowledged"
            );
            Ok(HttpResponse::Ok().json(Answer::new("duplicate", Some(id))))
        }
        Accepted::New { id, leased } => {
            vendor.metrics.accepted.increment(1);
            tracing::info!(
                vendor = name,
                delivery_id = id,
                awaiting_order = awaiting,
                "webhook accepted"
            );
            if !leased && !awaiting {
                state.kick_delivery();
            }
            let status = StatusCode::from_u16(vendor.response.accepted_status)
                .unwrap_or(StatusCode::ACCEPTED);
            let mut body = Answer::new("accepted", Some(id));
            if awaiting {
                body.order = Some("awaiting_registration");
            }
            Ok(HttpResponse::build(status).json(body))
        }
    }
}

/// A webhook's 2xx body, `{"status", "id"?, "order"?}`, serialized from this struct: no
/// `serde_json::Value` map to build per answer. The id is a string: 64-bit ids lose digits as
/// JSON numbers past 2^53.
#[derive(Serialize)]
struct Answer {
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    order: Option<&'static str>,
}

impl Answer {
    fn new(status: &'static str, id: Option<i64>) -> Self {
        Self {
            status,
            id: id.map(|i| i.to_string()),
            order: None,
        }
    }
}

/// Counts and logs a refused webhook (never its body), and passes the error on.
fn rejected(vendor: &str, e: ApiError) -> ApiError {
    let outcome = match e.code.status().as_u16() {
        503 => "unavailable",
        422 => "unmappable",
        _ => "rejected",
    };
    metrics::counter!(m::WEBHOOKS_RECEIVED, "vendor" => vendor.to_owned(), "outcome" => outcome)
        .increment(1);
    metrics::counter!(m::WEBHOOKS_REJECTED, "vendor" => vendor.to_owned(), "cause" => e.code.as_str()).increment(1);
    tracing::info!(vendor, cause = e.code.as_str(), reason = %e.message, "webhook rejected");
    e
}

#[cfg(test)]
mod tests {
    use super::Answer;

    #[test]
    fn answers_are_the_documented_json_in_the_documented_order() {
        let text = |a: &Answer| serde_json::to_string(a).unwrap();
        assert_eq!(
            text(&Answer::new("ignored", None)),
            r#"{"status":"ignored"}"#
        );
        assert_eq!(
            text(&Answer::new("accepted", Some(9_007_199_254_740_993))),
            r#"{"status":"accepted","id":"9007199254740993"}"#
        );
        let mut awaiting = Answer::new("accepted", Some(7));
        awaiting.order = Some("awaiting_registration");
        assert_eq!(
            text(&awaiting),
            r#"{"status":"accepted","id":"7","order":"awaiting_registration"}"#
        );
    }
}
