//! Inbound authentication. Turns a raw request (headers, exact body bytes, peer address, public
//! URL) into a [`VerifiedWebhook`] — the only way to obtain one — or an [`AuthFailure`] with a
//! stable code. Schemes are declared in each vendor's mapping file (`auth` section, see
//! `docs/authentication.md`); nothing here knows a vendor by name except the presets.
//!
//! CONTRACT STUB: the signature helper replaces the bodies; the public surface below is what the
//! rest of the crate uses and must keep its shape.

use crate::domain::{Headers, Secret, VendorId};
use bytes::Bytes;
use std::net::IpAddr;

/// The `auth` section of a mapping file, as written (an object, or an array of objects that
/// must all pass). Kept as JSON until [`Verifier::compile`] so mapping files stay one document.
pub type AuthSpec = serde_json::Value;

/// Where secrets come from. Production reads `RELAY_SECRET_<NAME>` / `RELAY_SECRET_<NAME>_FILE`;
/// tests and the CLI pass a map.
pub trait SecretSource: Send + Sync {
    /// The raw value of variable `RELAY_SECRET_<suffix>` (or the content of the `_FILE` variant),
    /// or `None` when unset. `Err` when the `_FILE` variant names an unreadable file.
    fn lookup(&self, suffix: &str) -> Result<Option<Secret>, String>;
}

/// Reads secrets from the process environment.
#[derive(Debug, Default, Clone, Copy)]
pub struct EnvSecrets;

impl SecretSource for EnvSecrets {
    fn lookup(&self, _suffix: &str) -> Result<Option<Secret>, String> {
        todo!("signature helper")
    }
}

/// Settings shared by every vendor's verifier.
#[derive(Debug, Clone, Default)]
pub struct VerifierContext {
    /// Proxies whose `X-Forwarded-For` is believed (for IP allow-lists).
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// A per-invite callback binding already resolved by the caller from `/webhooks/{v}/o/{token}`.
/// Its presence is what the `callback_token` scheme checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackBinding {
    pub order_id: String,
    pub account_id: String,
}

/// One request as received, before anything is parsed.
#[derive(Debug, Clone, Copy)]
pub struct InboundRequest<'a> {
    pub headers: &'a Headers,
    /// The exact bytes received.
    pub body: &'a Bytes,
    /// The public URL the vendor called: `RELAY_PUBLIC_URL` + path + query. `None` when
    /// `RELAY_PUBLIC_URL` is not configured.
    pub url: Option<&'a str>,
    /// Raw query string (without `?`), for tokens passed as a query parameter.
    pub query: &'a str,
    /// TCP peer address.
    pub peer: Option<IpAddr>,
    /// Per-invite callback binding, when the request came through a callback URL whose token
    /// resolved.
    pub callback: Option<&'a CallbackBinding>,
    /// Current time, Unix milliseconds (injected so tests and `verify --now` are deterministic).
    pub now_ms: i64,
}

/// Proof that a request passed its vendor's authentication. Fields are private and there is no
/// public constructor: only this module can create one.
#[derive(Debug, Clone)]
pub struct VerifiedWebhook {
    body: Bytes,
    scheme: &'static str,
}

impl VerifiedWebhook {
    pub fn body(&self) -> &Bytes {
        &self.body
    }
    /// Name of the scheme that passed (`hmac`, `jwt`, `none`, …), for logs and metrics.
    pub fn scheme(&self) -> &'static str {
        self.scheme
    }
}

/// Why a request was refused. Each variant maps to one stable error code (all answered 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthFailure {
    #[error("{0}")]
    SignatureMissing(String),
    #[error("{0}")]
    SignatureMalformed(String),
    #[error("{0}")]
    SignatureMismatch(String),
    #[error("{0}")]
    TimestampMissing(String),
    #[error("{0}")]
    TimestampOutOfTolerance(String),
    #[error("{0}")]
    TokenMissing(String),
    #[error("{0}")]
    TokenInvalid(String),
    #[error("{0}")]
    TokenExpired(String),
    #[error("{0}")]
    CredentialsMissing(String),
    #[error("{0}")]
    CredentialsInvalid(String),
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
}

/// An `auth` section that cannot be used: `field` is a JSON path inside the section
/// (`auth.algorithm`, `auth[1].header`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct AuthConfigError {
    pub field: String,
    pub reason: String,
}

/// A compiled `auth` section.
#[derive(Debug)]
pub struct Verifier {}

impl Verifier {
    /// Parses and checks the section and resolves the vendor's secrets.
    pub fn compile(
        _vendor: &VendorId,
        _spec: &AuthSpec,
        _secrets: &dyn SecretSource,
        _ctx: &VerifierContext,
    ) -> Result<Verifier, AuthConfigError> {
        todo!("signature helper")
    }

    /// `Some("RELAY_SECRET_X")` when a scheme needs a secret that is not configured: the vendor
    /// is then loaded but disabled (requests get 503 `vendor_disabled`).
    pub fn missing_secret(&self) -> Option<&str> {
        todo!("signature helper")
    }

    /// Whether a scheme signs `{url}` (then `RELAY_PUBLIC_URL` must be set).
    pub fn uses_url(&self) -> bool {
        todo!("signature helper")
    }

    /// Short description for logs, `/readyz` and `check` (e.g. `hmac-sha256(hex) on HE-Signature`).
    pub fn describe(&self) -> String {
        todo!("signature helper")
    }

    /// Verifies `req`. Runs on the raw bytes before any JSON parsing (except `{json:…}` template
    /// parts, which read the body only to build the signed string). Constant-time comparisons.
    pub fn verify(&self, _req: &InboundRequest<'_>) -> Result<VerifiedWebhook, AuthFailure> {
        todo!("signature helper")
    }

    /// Like `verify`, but says why in detail for `assessment-relay verify`: which header was read,
    /// how many secrets were tried, computed vs received digest lengths, timestamp skew.
    /// Never prints a secret or a full signature.
    pub fn explain(&self, _req: &InboundRequest<'_>) -> Explanation {
        todo!("signature helper")
    }

    /// The headers (`name`, `value`) a vendor would send with `body` at `now_ms` using the first
    /// configured secret, plus a query string to append when the scheme uses one.
    /// For `assessment-relay sign`, the demo and tests. Errors when the scheme cannot be produced
    /// (IP allow-list: no header proves an address; missing secret).
    pub fn sign(&self, _body: &[u8], _now_ms: i64, _url: Option<&str>) -> Result<Signed, String> {
        todo!("signature helper")
    }
}

/// What `sign` produces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signed {
    pub headers: Vec<(String, String)>,
    /// e.g. `token=abc` for a query-parameter token; empty when unused.
    pub query: String,
}

/// Result of [`Verifier::explain`].
#[derive(Debug, Clone)]
pub struct Explanation {
    pub valid: bool,
    /// Human-readable lines, in order.
    pub lines: Vec<String>,
    /// The failure, when invalid.
    pub failure: Option<AuthFailure>,
}
