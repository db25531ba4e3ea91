//! The two ways authentication goes wrong: a request that does not pass ([`AuthFailure`], one
//! stable code per cause, answered 401) and an `auth` section that cannot be used at all
//! ([`AuthConfigError`], reported by `check` and at start-up with the JSON path of the member).
//! Failure messages say what is wrong in terms an operator can act on, and never repeat a
//! received signature, a secret or the body.

/// Why a request was refused. Each variant maps to one stable error code (all answered 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    /// The signature header is absent.
    #[error("{0}")]
    SignatureMissing(String),
    /// The signature header (or a companion such as the id header) is present but unusable:
    /// no entry with the expected version/prefix, bad hex/base64, a digest of the wrong length
    /// (which is how an attempted algorithm downgrade shows).
    #[error("{0}")]
    SignatureMalformed(String),
    /// Well-formed signatures, none of which matches under any configured secret.
    #[error("{0}")]
    SignatureMismatch(String),
    /// The timestamp is absent or not an integer Unix time.
    #[error("{0}")]
    TimestampMissing(String),
    /// The signature matches but the timestamp is too old or too far in the future.
    #[error("{0}")]
    TimestampOutOfTolerance(String),
    /// No token (JWT, static token, per-invite callback token) where the scheme expects one.
    #[error("{0}")]
    TokenMissing(String),
    /// A token is present but wrong (bad JWT signature or claims, wrong static token).
    #[error("{0}")]
    TokenInvalid(String),
    /// A JWT past its `exp` (or older than `max_age_s`).
    #[error("{0}")]
    TokenExpired(String),
    /// No HTTP Basic credentials.
    #[error("{0}")]
    CredentialsMissing(String),
    /// HTTP Basic credentials that do not match.
    #[error("{0}")]
    CredentialsInvalid(String),
    /// The client address is not in the allow-list.
    #[error("{0}")]
    IpNotAllowed(String),
}

impl AuthFailure {
    /// The stable code (`signature_mismatch`, …), also the `cause` label of the rejection metric.
    pub fn code(&self) -> &'static str {
        match self {
            Self::SignatureMissing(_) => "signature_missing",
            Self::SignatureMalformed(_) => "signature_malformed",
            Self::SignatureMismatch(_) => "signature_mismatch",
            Self::TimestampMissing(_) => "timestamp_missing",
            Self::TimestampOutOfTolerance(_) => "timestamp_out_of_tolerance",
            Self::TokenMissing(_) => "token_missing",
            Self::TokenInvalid(_) => "token_invalid",
            Self::TokenExpired(_) => "token_expired",
            Self::CredentialsMissing(_) => "credentials_missing",
            Self::CredentialsInvalid(_) => "credentials_invalid",
            Self::IpNotAllowed(_) => "ip_not_allowed",
        }
    }

    /// The human-readable message (the same text `Display` prints).
    pub fn message(&self) -> &str {
        match self {
            Self::SignatureMissing(m)
            | Self::SignatureMalformed(m)
            | Self::SignatureMismatch(m)
            | Self::TimestampMissing(m)
            | Self::TimestampOutOfTolerance(m)
            | Self::TokenMissing(m)
            | Self::TokenInvalid(m)
            | Self::TokenExpired(m)
            | Self::CredentialsMissing(m)
            | Self::CredentialsInvalid(m)
            | Self::IpNotAllowed(m) => m,
        }
    }
}

/// An `auth` section that cannot be used: `field` is a JSON path inside the section
/// (`auth.algorithm`, `auth[1].header`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct AuthConfigError {
    pub field: String,
    pub reason: String,
}

impl AuthConfigError {
    pub(crate) fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_has_a_distinct_snake_case_code() {
        let all = [
            AuthFailure::SignatureMissing(String::new()),
            AuthFailure::SignatureMalformed(String::new()),
            AuthFailure::SignatureMismatch(String::new()),
            AuthFailure::TimestampMissing(String::new()),
            AuthFailure::TimestampOutOfTolerance(String::new()),
            AuthFailure::TokenMissing(String::new()),
            AuthFailure::TokenInvalid(String::new()),
            AuthFailure::TokenExpired(String::new()),
            AuthFailure::CredentialsMissing(String::new()),
            AuthFailure::CredentialsInvalid(String::new()),
            AuthFailure::IpNotAllowed(String::new()),
        ];
        let mut codes: Vec<_> = all.iter().map(AuthFailure::code).collect();
        assert!(codes
            .iter()
            .all(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_')));
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), all.len());
    }

    #[test]
    fn a_config_error_displays_its_field_then_its_reason() {
        let e = AuthConfigError::new("auth[1].header", "is required");
        assert_eq!(e.to_string(), "auth[1].header: is required");
    }
}
