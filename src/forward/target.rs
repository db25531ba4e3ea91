//! Where results go and how the gateway authenticates there.

use crate::domain::Secret;
use actix_web::http::header::HeaderValue;
use base64::Engine;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but RFC 3986 unreserved letters, digits, `-`, `_` and `~` is encoded — including
/// `.`, so an order id of `..` cannot become a dot-segment, and `/`, `?`, `#`, `%` cannot change the
/// path, start a query or a fragment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'~');

/// `/unified/ats/assessments/orders/{order_id}/result` with the id as one encoded segment.
pub fn order_path(order_id: &str) -> String {
    format!(
        "/unified/ats/assessments/orders/{}/result",
        utf8_percent_encode(order_id, SEGMENT)
    )
}

/// The StackOne endpoint and credentials, prepared once.
#[derive(Clone)]
pub struct Target {
    base: String,
    /// Built once and marked sensitive, so `http`'s `Debug` never prints it.
    authorization: HeaderValue,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("base", &self.base)
            .field("authorization", &"[redacted]")
            .finish()
    }
}

impl Target {
    /// `upstream_url` without a trailing slash is expected but tolerated with one.
    pub fn new(upstream_url: &str, api_key: &Secret) -> Self {
        let mut creds = api_key.expose().to_vec();
        creds.push(b':');
        let encoded = base64::engine::general_purpose::STANDARD.encode(creds);
        let mut authorization = HeaderValue::try_from(format!("Basic {encoded}"))
            .expect("base64 is a valid header value");
        authorization.set_sensitive(true);
        Self {
            base: upstream_url.trim_end_matches('/').to_owned(),
            authorization,
        }
    }

    /// `{base}/unified/ats/assessments/orders/{order_id}/result`, the id as one encoded segment.
    pub fn url_for(&self, order_id: &str) -> String {
        format!("{}{}", self.base, order_path(order_id))
    }

    /// `Basic base64(api_key + ":")`.
    pub fn authorization(&self) -> &HeaderValue {
        &self.authorization
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target::new("https://api.stackone.com/", &Secret::new("key123"))
    }

    #[test]
    fn the_order_id_is_one_encoded_path_segment() {
        let t = target();
        assert_eq!(
            t.url_for("ord_1"),
            "https://api.stackone.com/unified/ats/assessments/orders/ord_1/result"
        );
        assert_eq!(
            t.url_for("a/b"),
            "https://api.stackone.com/unified/ats/assessments/orders/a%2Fb/result"
        );
        assert_eq!(
            t.url_for(".."),
            "https://api.stackone.com/unified/ats/assessments/orders/%2E%2E/result"
        );
        assert_eq!(
            t.url_for("x?y#z"),
            "https://api.stackone.com/unified/ats/assessments/orders/x%3Fy%23z/result"
        );
        assert_eq!(
            t.url_for("100%"),
            "https://api.stackone.com/unified/ats/assessments/orders/100%25/result"
        );
        assert_eq!(
            t.url_for("é"),
            "https://api.stackone.com/unified/ats/assessments/orders/%C3%A9/result"
        );
    }

    #[test]
    fn authorization_is_basic_with_the_key_as_user_and_an_empty_password() {
        // base64("key123:") = "a2V5MTIzOg=="
        let t = target();
        assert_eq!(t.authorization(), "Basic a2V5MTIzOg==");
        assert!(t.authorization().is_sensitive());
    }

    #[test]
    fn debug_hides_the_credentials() {
        assert!(!format!("{:?}", target()).contains("a2V5"));
    }
}
