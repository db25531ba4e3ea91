//! Liveness, readiness and metrics.

use super::AppState;
use actix_web::{web, HttpResponse};
use serde_json::json;

/// The process is up and serving HTTP.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Ready to take webhooks: the store answers, mappings are loaded, delivery workers run.
/// 503 with the same detail otherwise, so a load balancer stops routing here.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let store = state.store.ping().await;
    let reload = state.registry.status();
    let vendors = state.registry.snapshot();
    let vendor_detail: serde_json::Map<String, serde_json::Value> = vendors
        .iter()
        .map(|v| {
            let s = match &v.disabled {
                Some(why) => {
                    json!({"enabled": false, "reason": why, "auth": v.verifier.describe()})
                }
                None => json!({"enabled": true, "auth": v.verifier.describe()}),
            };
            (v.id.to_string(), s)
        })
        .collect();
    let workers = state.delivery.as_ref().map(|d| d.workers_alive());
    let store_ok = store.is_ok();
    let mappings_ok = !vendors.is_empty();
    let workers_ok = workers.is_none_or(|n| n > 0);
    let ready = store_ok && mappings_ok && workers_ok;
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "checks": {
            "store": {"ok": store_ok},
            "mappings": {"ok": mappings_ok, "vendors": vendors.len(), "last_reload": reload},
            "delivery_workers": {"ok": workers_ok, "alive": workers},
        },
        "vendors": vendor_detail,
        "queue": state.queue.stats(),
    });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Prometheus text exposition.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    match &state.metrics {
        Some(h) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4")
            .body(h.render()),
        None => HttpResponse::NotFound().finish(),
    }
}
