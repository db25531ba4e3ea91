//! Named presets for vendors whose scheme is published and fixed: each expands to a complete
//! `hmac` configuration. A preset accepts only the members that cannot weaken it — `secret`
//! (where the key comes from) and, when the preset has a timestamp, `timestamp.tolerance_s` /
//! `timestamp.allow_future`. Anything else (another algorithm, header or template) is refused:
//! that is a different scheme and should be written as `hmac`.

use super::errors::AuthConfigError;
use super::fields::{Obj, Result};
use super::hmac_spec::{check_hmac, parse_tolerance};
use super::parse::parse_secret;
use super::spec::{
    Algorithm, DigestEncoding, HeaderFormat, HmacSpec, KeyEncoding, TimestampSpec, TsSource,
};
use super::template::{JsonPath, Template};
use crate::domain::VendorId;

struct Preset {
    name: &'static str,
    header: &'static str,
    encoding: DigestEncoding,
    prefix: &'static str,
    format: Format,
    signed: &'static str,
    id_header: Option<&'static str>,
    timestamp: Option<(Ts, bool)>,
    key_encoding: KeyEncoding,
}

enum Format {
    Value,
    Kv,
    Versioned,
}

enum Ts {
    Header(&'static str),
    Kv(&'static str),
    Json(&'static str),
}

const fn standard(
    name: &'static str,
    id: &'static str,
    ts: &'static str,
    sig: &'static str,
) -> Preset {
    Preset {
        name,
        header: sig,
        encoding: DigestEncoding::Base64,
        prefix: "",
        format: Format::Versioned,
        signed: "{id}.{timestamp}.{body}",
        id_header: Some(id),
        timestamp: Some((Ts::Header(ts), false)),
        key_encoding: KeyEncoding::Whsec,
    }
}

const fn plain(
    name: &'static str,
    header: &'static str,
    encoding: DigestEncoding,
    prefix: &'static str,
) -> Preset {
    Preset {
        name,
        header,
        encoding,
        prefix,
        format: Format::Value,
        signed: "{body}",
        id_header: None,
        timestamp: None,
        key_encoding: KeyEncoding::Raw,
    }
}

const fn t_dot_body(name: &'static str, header: &'static str) -> Preset {
    Preset {
        name,
        header,
        encoding: DigestEncoding::Hex,
        prefix: "",
        format: Format::Kv,
        signed: "{timestamp}.{body}",
        id_header: None,
        timestamp: Some((Ts::Kv("t"), false)),
        key_encoding: KeyEncoding::Raw,
    }
}

const PRESETS: &[Preset] = &[
    standard(
        "standard-webhooks",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
    ),
    standard("svix", "svix-id", "svix-timestamp", "svix-signature"),
    t_dot_body("stripe", "Stripe-Signature"),
    t_dot_body("hackerearth", "HE-Signature"),
    plain(
        "github",
        "X-Hub-Signature-256",
        DigestEncoding::Hex,
        "sha256=",
    ),
    plain(
        "shopify",
        "X-Shopify-Hmac-Sha256",
        DigestEncoding::Base64,
        "",
    ),
    Preset {
        prefix: "v0=",
        signed: "v0:{timestamp}:{body}",
        timestamp: Some((Ts::Header("X-Slack-Request-Timestamp"), false)),
        ..plain("slack", "X-Slack-Signature", DigestEncoding::Hex, "")
    },
    Preset {
        signed: "{url}{json:$.event}{json:$.triggeredOn}",
        timestamp: Some((Ts::Json("$.triggeredOn"), true)),
        ..plain(
            "codesignal",
            "X-CodeSignal-Signature",
            DigestEncoding::Hex,
            "",
        )
    },
];

/// Whether `name` is a preset.
#[cfg(test)]
pub(crate) fn is_preset(name: &str) -> bool {
    PRESETS.iter().any(|p| p.name == name)
}

/// Expands preset `name` with the overrides in `o` (whose `scheme` member was already read).
pub(crate) fn expand(vendor: &VendorId, name: &str, mut o: Obj<'_>) -> Result<HmacSpec> {
    let Some(p) = PRESETS.iter().find(|p| p.name == name) else {
        return Err(o.err("scheme", format!("unknown preset {name}")));
    };
    if let Some(k) = o
        .keys()
        .find(|k| !["scheme", "secret", "timestamp"].contains(k))
    {
        return Err(o.err(
            k,
            format!(
                "cannot be set on preset {name}, which fixes it; write scheme hmac for a variant"
            ),
        ));
    }
    let mut timestamp = match &p.timestamp {
        None => None,
        Some((ts, unit_ms)) => Some(TimestampSpec {
            source: match ts {
                Ts::Header(h) => TsSource::Header((*h).to_owned()),
                Ts::Kv(k) => TsSource::Kv((*k).to_owned()),
                Ts::Json(j) => {
                    TsSource::Json(JsonPath::compile(j).map_err(|e| AuthConfigError::new(name, e))?)
                }
            },
            unit_ms: *unit_ms,
            tolerance_s: 300,
            allow_future: true,
        }),
    };
    if let Some(mut t) = o.obj("timestamp")? {
        let Some(base) = timestamp.as_mut() else {
            return Err(AuthConfigError::new(
                t.path(),
                format!("preset {name} has no signed timestamp, so none can be checked"),
            ));
        };
        if let Some(k) = t
            .keys()
            .find(|k| !["tolerance_s", "allow_future"].contains(k))
        {
            return Err(t.err(
                k,
                format!("is fixed by preset {name}; only tolerance_s and allow_future can be set"),
            ));
        }
        parse_tolerance(&mut t, base)?;
        t.finish()?;
    }
    let secret = parse_secret(vendor, &mut o, p.key_encoding)?;
    let spec = HmacSpec {
        scheme: p.name,
        algorithm: Algorithm::Sha256,
        header: p.header.to_owned(),
        encoding: p.encoding,
        prefix: p.prefix.to_owned(),
        format: match p.format {
            Format::Value => HeaderFormat::Value,
            Format::Kv => HeaderFormat::Kv {
                pair_sep: ",".into(),
                kv_sep: "=".into(),
                key: "v1".into(),
            },
            Format::Versioned => HeaderFormat::Versioned {
                version: "v1".into(),
            },
        },
        signed: Template::parse(p.signed, &o.at("signed"))?,
        id_header: p.id_header.map(str::to_owned),
        timestamp,
        secret,
    };
    o.finish()?;
    // Presets are constants; a failure here would be a bug in this file, reported by name.
    check_hmac(&spec, name)?;
    Ok(spec)
}
