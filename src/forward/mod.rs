//! Forwarding one result to StackOne: `PATCH {upstream}/unified/ats/assessments/orders/{id}/result`
//! with the account header and Basic auth, and an explicit [`Outcome`]. This module never decides
//! whether to retry *when* — only *whether* (the queue's retry schedule decides when). A non-2xx
//! answer is never counted as delivered.

mod classify;
mod client;
mod retry_after;
mod target;

pub use classify::{classify, classify_error, Outcome};
pub use client::{build_client, ClientOptions};
pub use retry_after::parse_retry_after;
pub use target::{order_path, Target};

use actix_web::http::header::{self, HeaderName, HeaderValue};
use std::time::{Duration, Instant};

const X_ACCOUNT_ID: HeaderName = HeaderName::from_static("x-account-id");
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const X_RELAY_DELIVERY_ID: HeaderName = HeaderName::from_static("x-relay-delivery-id");
const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// Most bytes of an upstream answer kept (for a dead letter's diagnosis); the rest is drained.
const KEPT_BODY_BYTES: usize = 4096;
/// Bytes read from an upstream answer at most (bodies are small JSON; reading lets the
/// connection be reused).
const MAX_READ_BYTES: usize = 256 * 1024;

/// One PATCH to send.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    pub delivery_id: i64,
    pub order_id: &'a str,
    pub account_id: &'a str,
    /// The StackOne body, JSON text.
    pub body: &'a str,
    /// Carried to the upstream as `x-request-id` so both sides' logs line up.
    pub request_id: &'a str,
}

/// Sends `d` and classifies what happened. Also returns how long the upstream took.
pub async fn send(client: &awc::Client, target: &Target, d: &Delivery<'_>) -> (Outcome, Duration) {
    let started = Instant::now();
    // Typed names and prepared values: nothing here is parsed or checked again per request.
    let req = client
        .patch(target.url_for(d.order_id))
        .insert_header((header::AUTHORIZATION, target.authorization()))
        .insert_header((X_ACCOUNT_ID, d.account_id))
        .insert_header((header::CONTENT_TYPE, JSON))
        .insert_header((X_REQUEST_ID, d.request_id))
        .insert_header((X_RELAY_DELIVERY_ID, d.delivery_id));
    let mut res = match req.send_body(d.body.to_owned()).await {
        Ok(res) => res,
        Err(e) => return (classify_error(&e), started.elapsed()),
    };
    let status = res.status().as_u16();
    let retry_after = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // Read the answer: needed to reuse the connection, and kept (truncated) for dead letters.
    let body = match res.body().limit(MAX_READ_BYTES).await {
        Ok(b) => String::from_utf8_lossy(&b[..b.len().min(KEPT_BODY_BYTES)]).into_owned(),
        Err(_) => String::new(),
    };
    let outcome = classify(
        status,
        retry_after.as_deref(),
        body,
        std::time::SystemTime::now(),
    );
    (outcome, started.elapsed())
}
