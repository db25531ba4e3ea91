//! Parsing and checking the `auth` section into [`SchemeSpec`]s. Everything that can be wrong
//! with a section is found at load time with the member's path: unknown members, a bad algorithm,
//! a JSONPath or IP that does not parse, a preset override that would weaken the preset. HMAC
//! members are in `hmac_spec`, presets in `presets`. Secrets are not read here (see `secrets`).

use super::errors::AuthConfigError;
use super::fields::{Obj, Result};
use super::hmac_spec::parse_hmac;
use super::presets;
use super::spec::{JwtSpec, KeyEncoding, SchemeSpec, SecretSpec, TokenPlace, MAX_TOLERANCE_S};
use super::template::JsonPath;
use crate::domain::VendorId;
use serde_json::Value;

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

pub(crate) fn header_member(o: &mut Obj<'_>, key: &'static str) -> Result<Option<String>> {
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
