//! Bearer-token check for the admin scope.

use crate::error::{ApiError, ErrorCode};
use crate::routes::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, Error};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub async fn require_admin(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>() else {
        return Err(ApiError::internal().into());
    };
    let Some(expected) = &state.admin_token else {
        return Err(ApiError::new(ErrorCode::NotFound, "no such route").into());
    };
    let given = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // Hash both sides first: equal lengths, so the comparison time says nothing about the token.
    let ok: bool = Sha256::digest(given.as_bytes())
        .ct_eq(&Sha256::digest(expected.expose()))
        .into();
    if given.is_empty() || !ok {
        return Err(ApiError::new(
            ErrorCode::AdminUnauthorized,
            "a valid admin bearer token is required",
        )
        .into());
    }
    next.call(req).await
}
