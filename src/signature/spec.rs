//! The `auth` section parsed and checked into typed values (see `docs/authentication.md` and
//! `mappings/auth.schema.json`). Everything that can be wrong with a section is found here, at
//! load time, with the member's path: unknown members, a bad algorithm, a JSONPath or IP that does
//! not parse, a timestamp that is not part of the signed content (it would prove nothing), a
//! preset override that would weaken the preset. Secrets are not read here (see `secrets`).

use super::errors::AuthConfigError;
use super::fields::{Obj, Result};
use super::presets;
use super::template::{JsonPath, Part, Template};
use crate::domain::VendorId;
use serde_json::Value;

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
const MAX_TOLERANCE_S: u64 = 30 * 24 * 3600;

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

/// Parses the whole section: one scheme object, or a non-empty array of them (all must pass).
pub(crate) fn parse(vendor: &VendorId, auth: &Value) -> Result<Vec<SchemeSpec>> {
    match auth {
        Value::Array(items) if items.is_empty() => Err(AuthConfigError::new(
            "auth",
            "must list at least one scheme",
        )),
        Value::Array(items) => {
            let schemes = items
                .iter()
                .enumerate()
                .map(|(i, v)| parse_scheme(vendor, v, format!("auth[{i}]")))
                .collect::<Result<Vec<_>>>()?;
            if schemes.len() > 1 {
                if let Some(i) = schemes.iter().position(|s| matches!(s, SchemeSpec::None)) {
                    return Err(AuthConfigError::new(
                        format!("auth[{i}].scheme"),
                        "none cannot be combined with other schemes",
                    ));
                }
            }
            Ok(schemes)
        }
        Value::Object(_) => Ok(vec![parse_scheme(vendor, auth, "auth".into())?]),
        _ => Err(AuthConfigError::new(
            "auth",
            "must be an object or an array of objects",
        )),
    }
}

pub(crate) const SCHEMES: &[&str] = &[
    "none",
    "hmac",
    "jwt",
    "basic",
    "token",
    "ip_allowlist",
    "callback_token",
    "standard-webhooks",
    "svix",
    "stripe",
    "github",
    "slack",
    "shopify",
    "hackerearth",
    "codesignal",
];

fn parse_scheme(vendor: &VendorId, v: &Value, path: String) -> Result<SchemeSpec> {
    let mut o = Obj::new(v, path)?;
    let scheme = o
        .choice("scheme", SCHEMES)?
        .ok_or_else(|| o.err("scheme", "is required"))?;
    let spec = match scheme {
        "none" => SchemeSpec::None,
        "callback_token" => SchemeSpec::CallbackToken,
        "hmac" => SchemeSpec::Hmac(parse_hmac(vendor, &mut o)?),
        "jwt" => SchemeSpec::Jwt(parse_jwt(vendor, &mut o)?),
        "basic" => SchemeSpec::Basic(parse_secret(vendor, &mut o, KeyEncoding::Raw)?),
        "token" => parse_token(vendor, &mut o)?,
        "ip_allowlist" => SchemeSpec::IpAllowlist(parse_allow(&mut o)?),
        preset => return presets::expand(vendor, preset, o).map(SchemeSpec::Hmac),
    };
    o.finish()?;
    Ok(spec)
}

/// RFC 9110 token characters: what a header name may contain.
pub(crate) fn is_header_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn header_member(o: &mut Obj<'_>, key: &'static str) -> Result<Option<String>> {
    match o.str(key)? {
        Some(h) if !is_header_name(h) => Err(o.err(key, "is not a valid header name")),
        h => Ok(h.map(str::to_owned)),
    }
}

/// The `secret` member (optional): env suffix (default: the vendor id) and key encoding.
pub(crate) fn parse_secret(
    vendor: &VendorId,
    o: &mut Obj<'_>,
    default: KeyEncoding,
) -> Result<SecretSpec> {
    let mut spec = SecretSpec {
        env: vendor.env_suffix(),
        encoding: default,
    };
    if let Some(mut s) = o.obj("secret")? {
        if let Some(env) = s.str("env")? {
            if !env
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            {
                return Err(s.err(
                    "env",
                    "must be upper-case letters, digits and _ (it completes RELAY_SECRET_)",
                ));
            }
            spec.env = env.to_owned();
        }
        spec.encoding = match s.choice("encoding", &["raw", "base64", "whsec"])? {
            None => default,
            Some("raw") => KeyEncoding::Raw,
            Some("base64") => KeyEncoding::Base64,
            Some(_) => KeyEncoding::Whsec,
        };
        s.finish()?;
    }
    Ok(spec)
}

/// `timestamp.tolerance_s` / `allow_future` over `base` (shared by `hmac` and preset overrides).
pub(crate) fn parse_tolerance(t: &mut Obj<'_>, base: &mut TimestampSpec) -> Result<()> {
    if let Some(n) = t.u64_in("tolerance_s", 1, MAX_TOLERANCE_S)? {
        base.tolerance_s = n;
    }
    if let Some(b) = t.bool("allow_future")? {
        base.allow_future = b;
    }
    Ok(())
}

fn parse_timestamp(mut t: Obj<'_>) -> Result<TimestampSpec> {
    let source = t
        .choice("source", &["header", "kv", "json"])?
        .ok_or_else(|| t.err("source", "is required (header, kv or json)"))?;
    let name = t.req_str("name")?;
    let source = match source {
        "header" if !is_header_name(name) => {
            return Err(t.err("name", "is not a valid header name"))
        }
        "header" => TsSource::Header(name.to_owned()),
        "kv" => TsSource::Kv(name.to_owned()),
        _ => TsSource::Json(JsonPath::compile(name).map_err(|e| t.err("name", e))?),
    };
    let mut spec = TimestampSpec {
        source,
        unit_ms: t.choice("unit", &["s", "ms"])? == Some("ms"),
        tolerance_s: 300,
        allow_future: true,
    };
    parse_tolerance(&mut t, &mut spec)?;
    t.finish()?;
    Ok(spec)
}

fn parse_hmac(vendor: &VendorId, o: &mut Obj<'_>) -> Result<HmacSpec> {
    let algorithm = match o.choice("algorithm", &["sha256", "sha512", "sha1"])? {
        None => return Err(o.err("algorithm", "is required (sha256, sha512 or sha1)")),
        Some("sha256") => Algorithm::Sha256,
        Some("sha512") => Algorithm::Sha512,
        Some(_) => Algorithm::Sha1,
    };
    let header = header_member(o, "header")?.ok_or_else(|| o.err("header", "is required"))?;
    let encoding = match o.choice("encoding", &["hex", "base64"])? {
        Some("base64") => DigestEncoding::Base64,
        _ => DigestEncoding::Hex,
    };
    let prefix = o.text("prefix")?.unwrap_or("").to_owned();
    let format_name = o
        .choice("format", &["value", "kv", "versioned"])?
        .unwrap_or("value");
    let format = parse_format(o, format_name)?;
    let signed_field = o.at("signed");
    let signed = Template::parse(o.str("signed")?.unwrap_or("{body}"), &signed_field)?;
    let id_header = match o.obj("id")? {
        None => None,
        Some(mut id) => {
            let h =
                header_member(&mut id, "header")?.ok_or_else(|| id.err("header", "is required"))?;
            id.finish()?;
            Some(h)
        }
    };
    let timestamp = o.obj("timestamp")?.map(parse_timestamp).transpose()?;
    let secret = parse_secret(vendor, o, KeyEncoding::Raw)?;
    let spec = HmacSpec {
        scheme: "hmac",
        algorithm,
        header,
        encoding,
        prefix,
        format,
        signed,
        id_header,
        timestamp,
        secret,
    };
    check_hmac(&spec, o.path())?;
    Ok(spec)
}

fn parse_format(o: &mut Obj<'_>, name: &str) -> Result<HeaderFormat> {
    for (key, wanted) in [
        ("pair_separator", "kv"),
        ("kv_separator", "kv"),
        ("signature_key", "kv"),
        ("version", "versioned"),
    ] {
        if o.has(key) && name != wanted {
            return Err(o.err(key, format!("only applies to format {wanted}")));
        }
    }
    Ok(match name {
        "kv" => {
            let pair_sep = o.str("pair_separator")?.unwrap_or(",").to_owned();
            let kv_sep = o.str("kv_separator")?.unwrap_or("=").to_owned();
            if pair_sep == kv_sep {
                return Err(o.err("kv_separator", "must differ from pair_separator"));
            }
            let key = o.str("signature_key")?.unwrap_or("v1").to_owned();
            HeaderFormat::Kv {
                pair_sep,
                kv_sep,
                key,
            }
        }
        "versioned" => HeaderFormat::Versioned {
            version: o.str("version")?.unwrap_or("v1").to_owned(),
        },
        _ => HeaderFormat::Value,
    })
}

/// Cross-member rules: what the template reads must be configured, and what is configured
/// must be signed (an unsigned timestamp or id proves nothing).
pub(crate) fn check_hmac(s: &HmacSpec, path: &str) -> Result<()> {
    let at = |k: &str| format!("{path}.{k}");
    let uses_header = |name: &str| {
        s.signed
            .has(|p| matches!(p, Part::Header(h) if h.eq_ignore_ascii_case(name)))
    };
    if s.signed.has(|p| matches!(p, Part::Timestamp)) && s.timestamp.is_none() {
        return Err(AuthConfigError::new(
            at("signed"),
            "uses {timestamp} but no timestamp is configured",
        ));
    }
    if s.signed.has(|p| matches!(p, Part::Id)) && s.id_header.is_none() {
        return Err(AuthConfigError::new(
            at("signed"),
            "uses {id} but no id is configured",
        ));
    }
    if let Some(h) = &s.id_header {
        if !s.signed.has(|p| matches!(p, Part::Id)) && !uses_header(h) {
            return Err(AuthConfigError::new(
                at("id"),
                "is configured but `signed` has no {id}",
            ));
        }
    }
    if let Some(t) = &s.timestamp {
        let signed = s.signed.has(|p| matches!(p, Part::Timestamp));
        let covered = match &t.source {
            TsSource::Header(h) => signed || uses_header(h),
            TsSource::Kv(k) => {
                match &s.format {
                    HeaderFormat::Kv { key, .. } if key == k => {
                        return Err(AuthConfigError::new(
                            at("timestamp.name"),
                            "is the signature key",
                        ))
                    }
                    HeaderFormat::Kv { .. } => {}
                    _ => {
                        return Err(AuthConfigError::new(
                            at("timestamp.source"),
                            "kv needs format kv",
                        ))
                    }
                }
                signed
            }
            TsSource::Json(p) => {
                signed || s.signed.has_json(p.src()) || s.signed.has(|p| matches!(p, Part::Body))
            }
        };
        if !covered {
            return Err(AuthConfigError::new(
                at("timestamp"),
                "is not part of `signed`, so it proves nothing; add {timestamp} to signed",
            ));
        }
    }
    Ok(())
}

fn parse_jwt(vendor: &VendorId, o: &mut Obj<'_>) -> Result<JwtSpec> {
    let header = header_member(o, "header")?.unwrap_or_else(|| "Authorization".into());
    let algorithm = match o.choice("algorithm", &["HS256", "HS384", "HS512"])? {
        Some("HS384") => jsonwebtoken::Algorithm::HS384,
        Some("HS512") => jsonwebtoken::Algorithm::HS512,
        _ => jsonwebtoken::Algorithm::HS256,
    };
    let issuer = o.str("issuer")?.map(str::to_owned);
    let issuer_json = match o.str("issuer_json")? {
        Some(p) => Some(JsonPath::compile(p).map_err(|e| o.err("issuer_json", e))?),
        None => None,
    };
    Ok(JwtSpec {
        header,
        algorithm,
        issuer,
        issuer_json,
        require_exp: o.bool("require_exp")?.unwrap_or(false),
        max_age_s: o.u64_in("max_age_s", 1, MAX_TOLERANCE_S)?,
        leeway_s: o.u64_in("leeway_s", 0, 3600)?.unwrap_or(60),
        secret: parse_secret(vendor, o, KeyEncoding::Raw)?,
    })
}

fn parse_token(vendor: &VendorId, o: &mut Obj<'_>) -> Result<SchemeSpec> {
    let header = header_member(o, "header")?;
    let query = o.str("query")?;
    let prefix = o.text("prefix")?;
    let place = match (header, query) {
        (Some(name), None) => TokenPlace::Header {
            name,
            prefix: prefix.unwrap_or("").to_owned(),
        },
        (None, Some(_)) if prefix.is_some() => {
            return Err(o.err("prefix", "only applies to a header token"))
        }
        (None, Some(q)) => TokenPlace::Query(q.to_owned()),
        (Some(_), Some(_)) => return Err(o.err("query", "give either header or query, not both")),
        (None, None) => return Err(o.err("header", "is required (or query)")),
    };
    Ok(SchemeSpec::Token(
        place,
        parse_secret(vendor, o, KeyEncoding::Raw)?,
    ))
}

fn parse_allow(o: &mut Obj<'_>) -> Result<Vec<ipnet::IpNet>> {
    let Some(Value::Array(items)) = o.get("allow") else {
        return Err(o.err(
            "allow",
            "is required: an array of IP addresses or CIDR ranges",
        ));
    };
    if items.is_empty() {
        return Err(o.err("allow", "must list at least one address"));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let s = v.as_str().unwrap_or("").trim();
            s.parse::<ipnet::IpNet>()
                .map(|n| n.trunc())
                .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    AuthConfigError::new(
                        format!("{}[{i}]", o.at("allow")),
                        "is not an IP address or CIDR range",
                    )
                })
        })
        .collect()
}
