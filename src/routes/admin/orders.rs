//! The order registry, per-invite callback URLs and mapping reloads.

use crate::correlation::{self, CallbackInput, RegistrationInput};
use crate::error::{ApiError, ErrorCode};
use crate::routes::errors::store_error;
use crate::routes::AppState;
use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::json;

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn known_vendor(state: &AppState, vendor: &str) -> Result<(), ApiError> {
    match state.registry.snapshot().get(vendor) {
        Some(_) => Ok(()),
        None => Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!("vendor: no vendor named {vendor:?} is loaded"),
        )),
    }
}

/// `POST /admin/orders`: a per-invite callback URL bound to an order and account.
pub async fn create_callback(
    body: web::Json<CallbackInput>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    known_vendor(&state, &input.vendor)?;
    let Some(public) = state.public_url.as_deref() else {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "RELAY_PUBLIC_URL must be set to issue callback URLs",
        ));
    };
    let token = correlation::new_token();
    let vendor = input.vendor.clone();
    let cb = input
        .into_callback(&token, now_ms(), state.registration_retention)
        .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, e))?;
    state
        .store
        .put_callback(&cb)
        .await
        .map_err(|e| store_error(&e))?;
    Ok(HttpResponse::Created().json(json!({
        "callback_url": correlation::callback_url(public, &vendor, &token),
        "token_sha256": cb.token_sha256,
        "vendor": cb.vendor,
        "order_id": cb.order_id,
        "account_id": cb.account_id,
        "expires_at_ms": cb.expires_at_ms,
    })))
}

/// `PUT /admin/orders`: register what the vendor will send back; releases results that arrived first.
pub async fn register(
    body: web::Json<RegistrationInput>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    known_vendor(&state, &input.vendor)?;
    let now = now_ms();
    let reg = input
        .into_registration(now, state.registration_retention)
        .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, e))?;
    let released = state
        .store
        .put_registration(&reg, now)
        .await
        .map_err(|e| store_error(&e))?;
    if released > 0 {
        state.kick_delivery();
    }
    Ok(HttpResponse::Ok().json(json!({"registration": reg, "released": released})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    vendor: Option<String>,
    after: Option<String>,
    limit: Option<usize>,
}

pub async fn list(
    q: web::Query<ListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let regs = state
        .store
        .list_registrations(q.vendor.as_deref(), limit, q.after.as_deref())
        .await
        .map_err(|e| store_error(&e))?;
    Ok(HttpResponse::Ok().json(json!({"registrations": regs})))
}

pub async fn delete(
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (vendor, key) = path.into_inner();
    if state
        .store
        .delete_registration(&vendor, &key)
        .await
        .map_err(|e| store_error(&e))?
    {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::new(ErrorCode::NotFound, "no such registration"))
    }
}

/// `POST /admin/orders/import`: a JSON-lines body, one registration per line.
pub async fn import(body: String, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (inputs, mut errors) = correlation::parse_jsonl(&body);
    let now = now_ms();
    let (mut imported, mut released) = (0u64, 0u64);
    for (line, input) in inputs {
        let checked = known_vendor(&state, &input.vendor)
            .map_err(|e| e.message)
            .and_then(|()| input.into_registration(now, state.registration_retention));
        match checked {
            Ok(reg) => {
                released += state
                    .store
                    .put_registration(&reg, now)
                    .await
                    .map_err(|e| store_error(&e))?;
                imported += 1;
            }
            Err(e) => errors.push((line, e)),
        }
    }
    if released > 0 {
        state.kick_delivery();
    }
    errors.sort_by_key(|(line, _)| *line);
    let errors: Vec<_> = errors
        .into_iter()
        .map(|(line, error)| json!({"line": line, "error": error}))
        .collect();
    Ok(HttpResponse::Ok()
        .json(json!({"imported": imported, "released": released, "errors": errors})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackQuery {
    vendor: Option<String>,
    limit: Option<usize>,
}

pub async fn list_callbacks(
    q: web::Query<CallbackQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let cbs = state
        .store
        .list_callbacks(q.vendor.as_deref(), limit)
        .await
        .map_err(|e| store_error(&e))?;
    Ok(HttpResponse::Ok().json(json!({"callbacks": cbs})))
}

pub async fn delete_callback(
    hash: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if state
        .store
        .delete_callback(&hash)
        .await
        .map_err(|e| store_error(&e))?
    {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::new(ErrorCode::NotFound, "no such callback"))
    }
}

/// `POST /admin/mappings/reload`: same as SIGHUP, but answers with the result.
pub async fn reload_mappings(state: web::Data<AppState>) -> HttpResponse {
    match state.registry.reload() {
        Ok(n) => HttpResponse::Ok().json(json!({"ok": true, "vendors": n})),
        Err(errors) => {
            let errors: Vec<String> = errors.iter().map(ToString::to_string).collect();
            HttpResponse::UnprocessableEntity().json(json!({"ok": false, "errors": errors}))
        }
    }
}
