//! Producing what a vendor would send, from the same compiled configuration that verifies it:
//! the signed content is resolved by the same template code, so `sign` and `verify` cannot drift
//! apart. Used by `assessment-relay sign`, the demo and the tests; ids are generated
//! (`msg_<uuid>`), timestamps come from `now_ms`.

use super::errors::AuthFailure;
use super::hmac::HmacVerifier;
use super::request::{InboundRequest, Req};
use super::spec::{DigestEncoding, HeaderFormat, TsSource};
use super::template::Inputs;
use super::verifier::{Kind, Verifier};
use crate::domain::Headers;
use base64::Engine as _;
use bytes::Bytes;

/// What `sign` produces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signed {
    pub headers: Vec<(String, String)>,
    /// e.g. `token=abc` for a query-parameter token; empty when unused.
    pub query: String,
}

pub(crate) fn sign(
    v: &Verifier,
    body: &[u8],
    now_ms: i64,
    url: Option<&str>,
) -> Result<Signed, String> {
    let body = Bytes::copy_from_slice(body);
    let empty = Headers::new();
    let base = InboundRequest {
        headers: &empty,
        body: &body,
        url,
        query: "",
        peer: None,
        callback: None,
        now_ms,
    };
    let mut out = Signed::default();
    for s in &v.schemes {
        match &s.kind {
            Kind::Hmac(h) => sign_hmac(h, base, &mut out)?,
            Kind::Jwt(j) => out.headers.push(j.sign(&Req::new(base))?),
            Kind::Basic(b) => out.headers.push(b.sign()?),
            Kind::Token(t) => {
                let (header, query) = t.sign()?;
                out.headers.extend(header);
                if !query.is_empty() {
                    if !out.query.is_empty() {
                        out.query.push('&');
                    }
                    out.query += &query;
                }
            }
            Kind::None | Kind::Ip(_) | Kind::Callback => {}
        }
    }
    Ok(out)
}

fn sign_hmac(h: &HmacVerifier, base: InboundRequest<'_>, out: &mut Signed) -> Result<(), String> {
    let s = &h.spec;
    if h.key_count() == 0 {
        return Err(format!("{} is not set", s.secret.var()));
    }
    let probe = Req::new(base);
    let ts: Option<String> = match &s.timestamp {
        None => None,
        Some(t) => Some(match &t.source {
            TsSource::Json(p) => {
                let v = p.text(probe.json()).into_owned();
                if v.is_empty() {
                    return Err(format!("the body has no {} timestamp to sign", p.src()));
                }
                v
            }
            _ if t.unit_ms => base.now_ms.to_string(),
            _ => base.now_ms.div_euclid(1000).to_string(),
        }),
    };
    let id = s
        .id_header
        .as_ref()
        .map(|_| format!("msg_{}", uuid::Uuid::new_v4().simple()));
    let mut headers = Headers::new();
    if let (Some(name), Some(id)) = (&s.id_header, &id) {
        headers.push(name, id);
        out.headers.push((name.clone(), id.clone()));
    }
    if let (Some(TsSource::Header(name)), Some(ts)) = (s.timestamp.as_ref().map(|t| &t.source), &ts)
    {
        headers.push(name, ts);
        out.headers.push((name.clone(), ts.clone()));
    }
    let req = Req::new(InboundRequest {
        headers: &headers,
        ..base
    });
    let content = s
        .signed
        .resolve(
            &req,
            Inputs {
                timestamp: ts.as_deref(),
                id: id.as_deref(),
            },
        )
        .map_err(|e| match e {
            AuthFailure::SignatureMismatch(_) if base.url.is_none() => {
                "this scheme signs {url}: give the URL".into()
            }
            e => e.to_string(),
        })?;
    let digest = h
        .sign_digest(&content)
        .ok_or_else(|| format!("{} is not set", s.secret.var()))?;
    let sig = match s.encoding {
        DigestEncoding::Hex => hex::encode(digest),
        DigestEncoding::Base64 => base64::engine::general_purpose::STANDARD.encode(digest),
    };
    let sig = format!("{}{sig}", s.prefix);
    let value = match &s.format {
        HeaderFormat::Value => sig,
        HeaderFormat::Versioned { version } => format!("{version},{sig}"),
        HeaderFormat::Kv {
            pair_sep,
            kv_sep,
            key,
        } => match (s.timestamp.as_ref().map(|t| &t.source), &ts) {
            (Some(TsSource::Kv(k)), Some(ts)) => {
                format!("{k}{kv_sep}{ts}{pair_sep}{key}{kv_sep}{sig}")
            }
            _ => format!("{key}{kv_sep}{sig}"),
        },
    };
    out.headers.push((s.header.clone(), value));
    Ok(())
}
