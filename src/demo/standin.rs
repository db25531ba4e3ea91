//! A stand-in for StackOne's `PATCH /unified/ats/assessments/orders/{id}/result`: checks the
//! Basic credentials and `x-account-id`, validates the body against the bundled spec, records
//! what it received, and answers like StackOne (200, or 400/401 with a message).

use crate::stackone::ResultValidator;
use actix_web::dev::ServerHandle;
use actix_web::http::header::{HeaderValue, AUTHORIZATION};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// One PATCH as received.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// The raw (still percent-encoded) path.
    pub path: String,
    pub account_id: String,
    pub body: Value,
    pub valid: bool,
}

/// A running stand-in.
#[derive(Debug)]
pub struct StandIn {
    pub url: String,
    pub received: Arc<Mutex<Vec<Received>>>,
    handle: ServerHandle,
}

struct Shared {
    authorization: HeaderValue,
    validator: ResultValidator,
    received: Arc<Mutex<Vec<Received>>>,
}

impl StandIn {
    /// Starts on 127.0.0.1 (free port) expecting `authorization` (e.g. `Basic …`).
    pub fn start(authorization: HeaderValue) -> std::io::Result<(Self, actix_web::dev::Server)> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
        let received = Arc::new(Mutex::new(Vec::new()));
        let shared = web::Data::new(Shared {
            authorization,
            validator: ResultValidator::bundled(),
            received: received.clone(),
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(shared.clone())
                .app_data(web::PayloadConfig::new(4 * 1024 * 1024))
                .route(
                    "/unified/ats/assessments/orders/{id}/result",
                    web::patch().to(patch),
                )
        })
        .workers(1)
        .listen(listener)?
        .run();
        Ok((
            Self {
                url,
                received,
                handle: server.handle(),
            },
            server,
        ))
    }

    pub async fn stop(&self) {
        self.handle.stop(true).await;
    }
}

async fn patch(req: HttpRequest, body: web::Bytes, shared: web::Data<Shared>) -> HttpResponse {
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    if req.headers().get(AUTHORIZATION) != Some(&shared.authorization) {
        return HttpResponse::Unauthorized()
            .json(json!({"statusCode": 401, "message": "Unauthorized"}));
    }
    let account_id = header("x-account-id");
    if account_id.is_empty() {
        return HttpResponse::BadRequest()
            .json(json!({"statusCode": 400, "message": "x-account-id header is required"}));
    }
    let Ok(value) = serde_json::from_slice::<Value>(&body) else {
        return HttpResponse::BadRequest()
            .json(json!({"statusCode": 400, "message": "body is not JSON"}));
    };
    let verdict = shared.validator.validate(&value);
    let path = req.uri().path().to_owned();
    if let Ok(mut r) = shared.received.lock() {
        r.push(Received {
            path,
            account_id,
            body: value,
            valid: verdict.is_ok(),
        });
    }
    match verdict {
        Ok(()) => HttpResponse::Ok().json(json!({
            "statusCode": 200,
            "message": "Record updated successfully.",
            "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        })),
        Err(errors) => HttpResponse::BadRequest()
            .json(json!({"statusCode": 400, "message": errors.join("; ")})),
    }
}
