//! HTTP handlers. Thin: they move data between the request and the modules that do the work
//! (signature, ingest, queue, vendors) and turn results into responses. No HMAC, no awc, no SQL.

pub mod admin;
mod body;
mod correlate;
mod errors;
mod health;
mod request_id;
mod state;
mod webhook;

pub use errors::{json_errors, path_errors, query_errors};
pub use request_id::{RequestId, RequestIdMiddleware};
pub use state::{AppState, Limits, QueueWatch};

use crate::error::{ApiError, ErrorCode};
use actix_web::{web, HttpResponse};

/// Registers every route. `with_metrics`: serve `/metrics` here (false when it has its own listener).
pub fn configure(cfg: &mut web::ServiceConfig, with_metrics: bool) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        // The common route first: actix matches resources in order with a regex each, so the
        // plain `/webhooks/{vendor}` must not pay for the two longer patterns.
        .service(
            web::resource("/webhooks/{vendor}")
                .route(web::post().to(webhook::receive))
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/webhooks/{vendor}/o/{token}")
                .route(web::post().to(webhook::receive_on_callback))
                .default_service(web::to(method_not_allowed)),
        )
        .service(
            web::resource("/webhooks/{vendor}/{account_id}")
                .route(web::post().to(webhook::receive_for_account))
                .default_service(web::to(method_not_allowed)),
        )
        .service(web::scope("/admin").configure(admin::configure));
    if with_metrics {
        cfg.route("/metrics", web::get().to(health::metrics));
    }
}

/// The separate metrics listener (`RELAY_METRICS_ADDR`): `/metrics` and nothing else.
pub fn configure_metrics_only(cfg: &mut web::ServiceConfig) {
    cfg.route("/metrics", web::get().to(health::metrics));
}

/// Anything unrouted: the same JSON envelope as every other error.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(ErrorCode::NotFound, "no such route"))
}

async fn method_not_allowed() -> Result<HttpResponse, ApiError> {
    Err(ApiError::new(
        ErrorCode::MethodNotAllowed,
        "webhooks are delivered with POST",
    ))
}
