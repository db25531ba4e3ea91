//! IP allow-lists, alone and behind trusted proxies, and arrays of schemes that must all pass.

use super::support::{vendor, Request};
use crate::signature::{MapSecrets, Verifier, VerifierContext};
use serde_json::json;

fn allowlist(trusted: &[&str]) -> Verifier {
    let ctx = VerifierContext {
        trusted_proxies: trusted.iter().map(|t| t.parse().unwrap()).collect(),
    };
    Verifier::compile(&vendor("testdome"), &json!({"scheme": "ip_allowlist", "allow": ["13.69.68.17", "10.1.0.0/16", "2001:db8::/32"]}), &MapSecrets::new(), &ctx).unwrap()
}

fn from_peer(peer: &str, xff: &[&str]) -> Request {
    let mut r = Request::new(b"", 0);
    r.peer = Some(peer.parse().unwrap());
    for x in xff {
        r = r.header("X-Forwarded-For", x);
    }
    r
}

#[test]
fn a_peer_in_the_list_passes_and_one_outside_is_not_allowed() {
    let v = allowlist(&[]);
    assert_eq!(from_peer("13.69.68.17", &[]).check(&v), Ok("ip_allowlist"));
    assert!(from_peer("10.1.200.3", &[]).check(&v).is_ok());
    assert!(from_peer("::ffff:13.69.68.17", &[]).check(&v).is_ok());
    assert!(from_peer("2001:db8::7", &[]).check(&v).is_ok());
    let e = v.verify(&from_peer("13.69.68.18", &[]).with()).unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        ("ip_not_allowed", "13.69.68.18 is not in the allow-list")
    );
    assert_eq!(Request::new(b"", 0).code(&v), "ip_not_allowed");
}

#[test]
fn a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored() {
    let v = allowlist(&["10.9.0.0/16"]);
    assert_eq!(
        from_peer("203.0.113.9", &["13.69.68.17"]).code(&v),
        "ip_not_allowed"
    );
}

#[test]
fn behind_trusted_proxies_the_rightmost_untrusted_forwarded_address_is_checked() {
    let v = allowlist(&["10.9.0.0/16"]);
    assert!(from_peer("10.9.0.1", &["13.69.68.17"]).check(&v).is_ok());
    // A client-supplied left-most entry is not believed: the proxy appended the real address.
    assert_eq!(
        from_peer("10.9.0.1", &["13.69.68.17, 203.0.113.9"]).code(&v),
        "ip_not_allowed"
    );
    // Chains of trusted proxies, across several headers, are skipped.
    assert!(
        from_peer("10.9.0.1", &["198.51.100.1, 13.69.68.17", "10.9.0.2"])
            .check(&v)
            .is_ok()
    );
    assert_eq!(
        from_peer("10.9.0.1", &["13.69.68.17, garbage"]).code(&v),
        "ip_not_allowed"
    );
    // No X-Forwarded-For: the proxy itself is the client.
    assert_eq!(from_peer("10.9.0.1", &[]).code(&v), "ip_not_allowed");
    assert!(allowlist(&[])
        .sign(b"", 0, None)
        .unwrap()
        .headers
        .is_empty());
}

#[test]
fn every_scheme_of_an_array_must_pass() {
    let ctx = VerifierContext::default();
    let v = Verifier::compile(
        &vendor("testdome"),
        &json!([{"scheme": "ip_allowlist", "allow": ["13.69.68.17"]}, {"scheme": "token", "query": "token"}]),
        &MapSecrets::new().with("TESTDOME", "s3cret"),
        &ctx,
    )
    .unwrap();
    let signed = v.sign(b"", 0, None).unwrap();
    let mut req = Request {
        query: signed.query,
        ..from_peer("13.69.68.17", &[])
    };
    assert_eq!(req.check(&v), Ok("ip_allowlist"));
    req.peer = Some("1.1.1.1".parse().unwrap());
    assert_eq!(req.code(&v), "ip_not_allowed");
    let no_token = from_peer("13.69.68.17", &[]);
    assert_eq!(no_token.code(&v), "token_missing");
    assert_eq!(
        v.describe(),
        "ip_allowlist 13.69.68.17/32 + token in query parameter token"
    );
}
