//! `describe` (logs, readiness, `check`) and `explain` (`assessment-relay verify`) say what is
//! configured and what happened, with counts and lengths but no secret, signature or body.

use super::support::{compile, Request};
use crate::signature::MapSecrets;
use serde_json::json;

#[test]
fn describe_names_the_scheme_header_template_and_timestamp() {
    let secrets = MapSecrets::new().with("ACME", "whsec_c2VjcmV0");
    let cases = [
        (json!({"scheme": "hackerearth"}), "hackerearth: hmac-sha256(hex) on HE-Signature (v1=…), signed \"{timestamp}.{body}\", timestamp t= in HE-Signature ±300 s"),
        (json!({"scheme": "github"}), "github: hmac-sha256(hex) on X-Hub-Signature-256 (sha256=…), signed \"{body}\""),
        (json!({"scheme": "svix"}), "svix: hmac-sha256(base64) on svix-signature (v1,…), signed \"{id}.{timestamp}.{body}\", timestamp svix-timestamp ±300 s"),
        (
            json!({"scheme": "codesignal", "timestamp": {"tolerance_s": 345600, "allow_future": false}}),
            "codesignal: hmac-sha256(hex) on X-CodeSignal-Signature, signed \"{url}{json:$.event}{json:$.triggeredOn}\", timestamp $.triggeredOn in the body past 345600 s",
        ),
        (json!({"scheme": "hmac", "algorithm": "sha512", "header": "X-Sig", "encoding": "base64"}), "hmac-sha512(base64) on X-Sig, signed \"{body}\""),
        (json!({"scheme": "jwt", "issuer_json": "$.organization_id"}), "jwt HS256 bearer on Authorization, iss = body $.organization_id"),
        (json!({"scheme": "basic", "secret": {"env": "B"}}), "basic credentials in Authorization"),
        (json!({"scheme": "token", "header": "X-T", "prefix": "Bearer "}), "token in header X-T after \"Bearer \""),
        (json!({"scheme": "callback_token"}), "callback_token (per-invite callback URL)"),
    ];
    for (auth, expected) in cases {
        assert_eq!(compile("acme", auth, &secrets).describe(), expected);
    }
}

#[test]
fn explain_walks_through_a_passing_hmac_request() {
    let v = compile(
        "he",
        json!({"scheme": "hackerearth"}),
        &MapSecrets::new().with("HE", "a,b"),
    );
    let signed = v.sign(b"{}", 1_700_000_000_000, None).unwrap();
    let req = Request::new(b"{}", 1_700_000_012).headers(&signed.headers);
    let e = v.explain(&req.with());
    assert!(e.valid);
    assert_eq!(e.failure, None);
    assert_eq!(
        e.lines[1..],
        [
            "  header HE-Signature: 1 signature(s) found",
            "  usable signatures: 1 of 1",
            "  signed content: \"{timestamp}.{body}\" (13 bytes); computed digest 32 bytes (hmac-sha256), received 32 bytes",
            "  secrets tried: 2",
            "  signature: matches",
            "  timestamp 1700000000 s (t= in HE-Signature); now 1700000012; age 12 s (negative: in the future); tolerance 300 s",
        ]
    );
    assert!(e.lines[0].starts_with("auth: hackerearth: hmac-sha256(hex) on HE-Signature"));
}

#[test]
fn explain_says_why_a_request_fails_and_stops_there() {
    let v = compile(
        "gh",
        json!([{"scheme": "github"}, {"scheme": "token", "header": "X-T"}]),
        &MapSecrets::new(),
    );
    let req =
        Request::new(b"{}", 0).header("X-Hub-Signature-256", &format!("sha256={}", "0".repeat(40)));
    let e = v.explain(&req.with());
    assert!(!e.valid);
    assert_eq!(
        e.failure.as_ref().map(|f| f.code()),
        Some("signature_malformed")
    );
    assert_eq!(
        e.lines[0],
        "RELAY_SECRET_GH is not set: the vendor is loaded disabled"
    );
    assert_eq!(e.lines.last().unwrap(), "[0]   usable signatures: 0 of 1");
    assert!(!e.lines.iter().any(|l| l.starts_with("[1]")));
    assert!(e.to_string().ends_with("result: signature_malformed — the signature in X-Hub-Signature-256 is a 20-byte digest; hmac-sha256 gives 32 (no other algorithm is accepted)"));
}

#[test]
fn explain_reports_the_client_address_for_allow_lists() {
    let v = compile(
        "t",
        json!({"scheme": "ip_allowlist", "allow": ["10.0.0.0/8"]}),
        &MapSecrets::new(),
    );
    let mut req = Request::new(b"", 0).header("X-Forwarded-For", "10.0.0.1");
    req.peer = Some("192.0.2.1".parse().unwrap());
    let e = v.explain(&req.with());
    assert_eq!(
        e.lines[1],
        "  client address: peer 192.0.2.1 (not a trusted proxy: X-Forwarded-For ignored)"
    );
    assert_eq!(e.failure.unwrap().code(), "ip_not_allowed");
}
