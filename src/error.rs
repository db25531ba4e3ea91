//! The one error type at the HTTP edge. Every failure a client can see has a stable snake_case
//! code, a status, and a message; the body is always `{"error":{"code":…,"message":…}}`.
//! Modules keep their own `thiserror` types and convert into [`ApiError`] at the edge; 5xx
//! messages are fixed strings so internals (SQL, file paths, upstream bodies) never leak.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use std::fmt;
use std::time::Duration;

/// The catalogue. Adding a variant means adding its code and status here and a row in
/// `docs/errors.md`; codes never change once released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    // 400
    InvalidJson,
    InvalidRequest,
    // 401: inbound authentication (one code per cause, see signature::AuthFailure)
    SignatureMissing,
    SignatureMalformed,
    SignatureMismatch,
    TimestampMissing,
    TimestampOutOfTolerance,
    TokenMissing,
    TokenInvalid,
    TokenExpired,
    CredentialsMissing,
    CredentialsInvalid,
    IpNotAllowed,
    CallbackTokenInvalid,
    AdminUnauthorized,
    // 404
    VendorNotFound,
    NotFound,
    // 405
    MethodNotAllowed,
    // 408
    RequestTimeout,
    // 409
    Conflict,
    // 413
    PayloadTooLarge,
    // 422
    MappingFailed,
    InvalidResult,
    OrderUnresolved,
    // 500
    Internal,
    // 503
    VendorDisabled,
    StoreUnavailable,
    QueueFull,
}

impl ErrorCode {
    /// Every code, for the catalogue's documentation check.
    pub const ALL: [ErrorCode; 28] = [
        Self::InvalidJson,
        Self::InvalidRequest,
        Self::SignatureMissing,
        Self::SignatureMalformed,
        Self::SignatureMismatch,
        Self::TimestampMissing,
        Self::TimestampOutOfTolerance,
        Self::TokenMissing,
        Self::TokenInvalid,
        Self::TokenExpired,
        Self::CredentialsMissing,
        Self::CredentialsInvalid,
        Self::IpNotAllowed,
        Self::CallbackTokenInvalid,
        Self::AdminUnauthorized,
        Self::VendorNotFound,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::RequestTimeout,
        Self::Conflict,
        Self::PayloadTooLarge,
        Self::MappingFailed,
        Self::InvalidResult,
        Self::OrderUnresolved,
        Self::Internal,
        Self::VendorDisabled,
        Self::StoreUnavailable,
        Self::QueueFull,
    ];

    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            InvalidJson => "invalid_json",
            InvalidRequest => "invalid_request",
            SignatureMissing => "signature_missing",
            SignatureMalformed => "signature_malformed",
            SignatureMismatch => "signature_mismatch",
            TimestampMissing => "timestamp_missing",
            TimestampOutOfTolerance => "timestamp_out_of_tolerance",
            TokenMissing => "token_missing",
            TokenInvalid => "token_invalid",
            TokenExpired => "token_expired",
            CredentialsMissing => "credentials_missing",
            CredentialsInvalid => "credentials_invalid",
            IpNotAllowed => "ip_not_allowed",
            CallbackTokenInvalid => "callback_token_invalid",
            AdminUnauthorized => "admin_unauthorized",
            VendorNotFound => "vendor_not_found",
            NotFound => "not_found",
            MethodNotAllowed => "method_not_allowed",
            RequestTimeout => "request_timeout",
            Conflict => "conflict",
            PayloadTooLarge => "payload_too_large",
            MappingFailed => "mapping_failed",
            InvalidResult => "invalid_result",
            OrderUnresolved => "order_unresolved",
            Internal => "internal_error",
            VendorDisabled => "vendor_disabled",
            StoreUnavailable => "store_unavailable",
            QueueFull => "queue_full",
        }
    }

    pub fn status(self) -> StatusCode {
        use ErrorCode::*;
        match self {
            InvalidJson | InvalidRequest => StatusCode::BAD_REQUEST,
            SignatureMissing
            | SignatureMalformed
            | SignatureMismatch
            | TimestampMissing
            | TimestampOutOfTolerance
            | TokenMissing
            | TokenInvalid
            | TokenExpired
            | CredentialsMissing
            | CredentialsInvalid
            | IpNotAllowed
            | CallbackTokenInvalid
            | AdminUnauthorized => StatusCode::UNAUTHORIZED,
            VendorNotFound | NotFound => StatusCode::NOT_FOUND,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Conflict => StatusCode::CONFLICT,
            PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            MappingFailed | InvalidResult | OrderUnresolved => StatusCode::UNPROCESSABLE_ENTITY,
            Internal => StatusCode::INTERNAL_SERVER_ERROR,
            VendorDisabled | StoreUnavailable | QueueFull => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error answered to a client.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Sent as `Retry-After` (seconds) on 503s so vendors and load balancers back off.
    pub retry_after: Option<Duration>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn with_retry_after(mut self, d: Duration) -> Self {
        self.retry_after = Some(d);
        self
    }

    /// A 500 whose message says nothing about the cause; log the cause before calling this.
    pub fn internal() -> Self {
        Self::new(
            ErrorCode::Internal,
            "internal error; the request was not processed",
        )
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

#[derive(Serialize)]
struct Envelope<'a> {
    error: Body<'a>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'static str,
    message: &'a str,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status_code());
        if let Some(d) = self.retry_after {
            res.insert_header((header::RETRY_AFTER, d.as_secs().max(1).to_string()));
        }
        res.json(Envelope {
            error: Body {
                code: self.code.as_str(),
                message: &self.message,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    #[test]
    fn the_envelope_has_code_and_message() {
        let e = ApiError::new(ErrorCode::VendorNotFound, "no vendor named \"x\"");
        let res = e.error_response();
        assert_eq!(res.status(), 404);
        let bytes = res.into_body().try_into_bytes().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"error": {"code": "vendor_not_found", "message": "no vendor named \"x\""}})
        );
    }

    #[test]
    fn service_unavailable_carries_retry_after() {
        let e = ApiError::new(ErrorCode::QueueFull, "x").with_retry_after(Duration::from_secs(5));
        let res = e.error_response();
        assert_eq!(res.status(), 503);
        assert_eq!(res.headers().get("retry-after").unwrap(), "5");
    }

    #[test]
    fn every_code_is_documented_with_its_status() {
        let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/errors.md"))
            .unwrap();
        let all = ErrorCode::ALL;
        for c in all {
            let row = format!("| `{}` | {} |", c.as_str(), c.status().as_u16());
            assert!(doc.contains(&row), "docs/errors.md lacks the row {row}");
        }
        let rows = doc.lines().filter(|l| l.starts_with("| `")).count();
        assert_eq!(
            rows,
            all.len(),
            "docs/errors.md documents a code the catalogue does not have"
        );
    }

    #[test]
    fn internal_errors_say_nothing_about_the_cause() {
        assert_eq!(
            ApiError::internal().message,
            "internal error; the request was not processed"
        );
    }
}
