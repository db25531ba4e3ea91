//! The members of a custom `hmac` scheme, and the rules across them that every HMAC
//! configuration (presets included) must satisfy: what the template reads must be configured,
//! and what is configured must be signed — an unsigned timestamp or id would prove nothing.

use super::errors::AuthConfigError;
use super::fields::{Obj, Result};
use super::parse::{header_member, is_header_name, parse_secret};
use super::spec::{
    Algorithm, DigestEncoding, HeaderFormat, HmacSpec, KeyEncoding, TimestampSpec, TsSource,
    MAX_TOLERANCE_S,
};
use super::template::{JsonPath, Part, Template};
use crate::domain::VendorId;

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

pub(crate) fn parse_hmac(vendor: &VendorId, o: &mut Obj<'_>) -> Result<HmacSpec> {
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
