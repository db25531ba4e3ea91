//! Turning module errors into the one HTTP error type, and making actix's own extractor errors
//! (bad JSON body, bad query, bad path) use the same envelope.

use crate::error::{ApiError, ErrorCode};
use crate::ingest::Rejection;
use crate::queue::StoreError;
use crate::signature::AuthFailure;
use actix_web::web;
use std::time::Duration;

/// How long a vendor is asked to wait when the gateway cannot take its webhook right now.
pub(crate) const BUSY_RETRY_AFTER: Duration = Duration::from_secs(5);

pub fn json_errors() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(1024 * 1024)
        .error_handler(|e, _| ApiError::new(ErrorCode::InvalidRequest, e.to_string()).into())
}

pub fn query_errors() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|e, _| ApiError::new(ErrorCode::InvalidRequest, e.to_string()).into())
}

pub fn path_errors() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|e, _| ApiError::new(ErrorCode::NotFound, e.to_string()).into())
}

pub(crate) fn auth_error(f: &AuthFailure) -> ApiError {
    let code = match f {
        AuthFailure::SignatureMissing(_) => ErrorCode::SignatureMissing,
        AuthFailure::SignatureMalformed(_) => ErrorCode::SignatureMalformed,
        AuthFailure::SignatureMismatch(_) => ErrorCode::SignatureMismatch,
        AuthFailure::TimestampMissing(_) => ErrorCode::TimestampMissing,
        AuthFailure::TimestampOutOfTolerance(_) => ErrorCode::TimestampOutOfTolerance,
        AuthFailure::TokenMissing(_) => ErrorCode::TokenMissing,
        AuthFailure::TokenInvalid(_) => ErrorCode::TokenInvalid,
        AuthFailure::TokenExpired(_) => ErrorCode::TokenExpired,
        AuthFailure::CredentialsMissing(_) => ErrorCode::CredentialsMissing,
        AuthFailure::CredentialsInvalid(_) => ErrorCode::CredentialsInvalid,
        AuthFailure::IpNotAllowed(_) => ErrorCode::IpNotAllowed,
    };
    ApiError::new(code, f.to_string())
}

pub(crate) fn rejection_error(r: &Rejection) -> ApiError {
    let code = match r {
        Rejection::InvalidJson(_) => ErrorCode::InvalidJson,
        Rejection::MappingFailed(_) => ErrorCode::MappingFailed,
        Rejection::InvalidResult(_) => ErrorCode::InvalidResult,
        Rejection::OrderUnresolved(_) => ErrorCode::OrderUnresolved,
    };
    ApiError::new(code, r.message())
}

pub(crate) fn store_error(e: &StoreError) -> ApiError {
    tracing::error!(error = %e, "store failure while accepting a webhook");
    ApiError::new(
        ErrorCode::StoreUnavailable,
        "the gateway cannot store results right now; retry later",
    )
    .with_retry_after(BUSY_RETRY_AFTER)
}
