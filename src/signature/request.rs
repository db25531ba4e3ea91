//! What a verifier reads (an [`InboundRequest`], exactly as received) and what it hands back
//! ([`VerifiedWebhook`], which only this module can build). [`Req`] wraps a request for the
//! duration of one verification so the body is parsed as JSON at most once, and only when a
//! scheme reads a value from it.

use crate::domain::Headers;
use bytes::Bytes;
use serde_json::Value;
use std::cell::OnceCell;
use std::net::IpAddr;

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
    pub(crate) fn new(body: Bytes, scheme: &'static str) -> Self {
        Self { body, scheme }
    }

    /// The exact bytes that were verified.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Name of the scheme that passed, as written in the mapping file (`hmac`, `jwt`, `none`,
    /// or a preset such as `hackerearth`); for an array, the first entry's. For logs and metrics.
    pub fn scheme(&self) -> &'static str {
        self.scheme
    }
}

/// One request during one verification: the request plus a lazily parsed JSON body shared by
/// every scheme and template part that reads it.
pub(crate) struct Req<'a> {
    pub(crate) r: InboundRequest<'a>,
    json: OnceCell<Option<Value>>,
}

impl<'a> Req<'a> {
    pub(crate) fn new(r: InboundRequest<'a>) -> Self {
        Self {
            r,
            json: OnceCell::new(),
        }
    }

    /// The body as JSON, or `None` when it is not JSON (then `{json:…}` parts render as "").
    pub(crate) fn json(&self) -> Option<&Value> {
        self.json
            .get_or_init(|| serde_json::from_slice(self.r.body).ok())
            .as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_parsed_once_and_a_non_json_body_reads_as_none() {
        let headers = Headers::new();
        let body = Bytes::from_static(b"not json");
        let req = Req::new(InboundRequest {
            headers: &headers,
            body: &body,
            url: None,
            query: "",
            peer: None,
            callback: None,
            now_ms: 0,
        });
        assert!(req.json().is_none());
        let body = Bytes::from_static(br#"{"a":1}"#);
        let req = Req::new(InboundRequest {
            body: &body,
            ..req.r
        });
        let first = req.json().map(|v| v as *const Value);
        assert_eq!(first, req.json().map(|v| v as *const Value));
        assert_eq!(req.json().and_then(|v| v["a"].as_i64()), Some(1));
    }
}
