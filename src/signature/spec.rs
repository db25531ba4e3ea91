//! The `auth` section as typed values (see `docs/authentication.md` and
//! `mappings/auth.schema.json`), produced once at load by `parse` / `hmac_spec` / `presets` and
//! consumed by the scheme verifiers. Nothing here reads a request or a secret.

use super::template::{JsonPath, Template};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Algorithm {
    Sha1,
    Sha256,
    Sha512,
}

impl Algorithm {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "sha1",
            Self::Sha256 => "sha256",
            Self::Sha512 => "sha512",
        }
    }

    /// Digest length in bytes: a received digest of any other length is refused, which is what
    /// stops a sha1 value being offered to a sha256 vendor.
    pub(crate) fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DigestEncoding {
    Hex,
    Base64,
}

impl DigestEncoding {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Hex => "hex",
            Self::Base64 => "base64",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyEncoding {
    Raw,
    Base64,
    Whsec,
}

/// Which variable holds the secret(s) and how their text becomes key bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SecretSpec {
    /// Suffix of `RELAY_SECRET_<env>`.
    pub(crate) env: String,
    pub(crate) encoding: KeyEncoding,
}

impl SecretSpec {
    pub(crate) fn var(&self) -> String {
        format!("RELAY_SECRET_{}", self.env)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeaderFormat {
    Value,
    Kv {
        pair_sep: String,
        kv_sep: String,
        key: String,
    },
    Versioned {
        version: String,
    },
}

#[derive(Debug, Clone)]
pub(crate) enum TsSource {
    Header(String),
    Kv(String),
    Json(JsonPath),
}

#[derive(Debug, Clone)]
pub(crate) struct TimestampSpec {
    pub(crate) source: TsSource,
    pub(crate) unit_ms: bool,
    pub(crate) tolerance_s: u64,
    pub(crate) allow_future: bool,
}

/// Future timestamps accepted when `allow_future` is false (clock skew between vendor and us).
pub(crate) const CLOCK_SKEW_S: u64 = 60;
pub(crate) const MAX_TOLERANCE_S: u64 = 30 * 24 * 3600;

#[derive(Debug, Clone)]
pub(crate) struct HmacSpec {
    /// As written: `hmac` or the preset name.
    pub(crate) scheme: &'static str,
    pub(crate) algorithm: Algorithm,
    pub(crate) header: String,
    pub(crate) encoding: DigestEncoding,
    pub(crate) prefix: String,
    pub(crate) format: HeaderFormat,
    pub(crate) signed: Template,
    pub(crate) id_header: Option<String>,
    pub(crate) timestamp: Option<TimestampSpec>,
    pub(crate) secret: SecretSpec,
}

#[derive(Debug, Clone)]
pub(crate) struct JwtSpec {
    pub(crate) header: String,
    pub(crate) algorithm: jsonwebtoken::Algorithm,
    pub(crate) issuer: Option<String>,
    pub(crate) issuer_json: Option<JsonPath>,
    pub(crate) require_exp: bool,
    pub(crate) max_age_s: Option<u64>,
    pub(crate) leeway_s: u64,
    pub(crate) secret: SecretSpec,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TokenPlace {
    Header { name: String, prefix: String },
    Query(String),
}

#[derive(Debug, Clone)]
pub(crate) enum SchemeSpec {
    None,
    Hmac(HmacSpec),
    Jwt(JwtSpec),
    Basic(SecretSpec),
    Token(TokenPlace, SecretSpec),
    IpAllowlist(Vec<ipnet::IpNet>),
    CallbackToken,
}
