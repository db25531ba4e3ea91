//! HMAC signature rejections, each with its exact code: mismatches, rotation, missing and
//! malformed signatures, downgrades.

use super::support::{compile, failure, hackerearth, he_request, Request};
use crate::signature::{AuthFailure, MapSecrets, Verifier};
use serde_json::json;

const SECRET: &str = "It's a Secret to Everybody";
const GH_SHA256: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
const GH_SHA1_HEX: &str = "01dc10d0c83e72ed246219cdd91669667fe2ca59";

fn github(secret: &str) -> Verifier {
    compile(
        "gh",
        json!({"scheme": "github"}),
        &MapSecrets::new().with("GH", secret),
    )
}

fn gh_request(sig: &str) -> Request {
    Request::new(b"Hello, World!", 1_700_000_000).header("X-Hub-Signature-256", sig)
}

#[test]
fn a_tampered_body_is_a_signature_mismatch() {
    let req = Request {
        body: "Hello, World?".into(),
        ..gh_request(GH_SHA256)
    };
    assert_eq!(req.code(&github(SECRET)), "signature_mismatch");
}

#[test]
fn a_wrong_secret_is_a_signature_mismatch() {
    let e = failure(&github("another secret"), &gh_request(GH_SHA256));
    assert_eq!(
        e,
        AuthFailure::SignatureMismatch(
            "no signature in X-Hub-Signature-256 matches the signed content (1 secret(s) tried)"
                .into()
        )
    );
}

#[test]
fn during_rotation_either_configured_secret_verifies() {
    for secrets in [
        format!("new-secret,{SECRET}"),
        format!("{SECRET},new-secret"),
    ] {
        assert_eq!(
            gh_request(GH_SHA256).check(&github(&secrets)),
            Ok("github"),
            "{secrets}"
        );
    }
    let rotated = "sha256=693585aa43518a80e267fbc0ace9296f035480e1a1b11cd09cf6a9b8a7ef0330";
    assert!(gh_request(rotated)
        .check(&github(&format!("{SECRET},new-secret")))
        .is_ok());
    assert_eq!(
        gh_request(rotated).code(&github(SECRET)),
        "signature_mismatch"
    );
}

#[test]
fn hex_signatures_compare_case_insensitively() {
    let upper = format!("sha256={}", GH_SHA256[7..].to_uppercase());
    assert!(gh_request(&upper).check(&github(SECRET)).is_ok());
}

#[test]
fn a_missing_signature_header_is_signature_missing() {
    let req = Request::new(b"Hello, World!", 0);
    assert_eq!(
        failure(&github(SECRET), &req),
        AuthFailure::SignatureMissing("no X-Hub-Signature-256 header".into())
    );
}

#[test]
fn a_sha1_downgrade_is_never_accepted() {
    let v = github(SECRET);
    // The legacy sha1 header alone: the sha256 header is what is read.
    let req =
        Request::new(b"Hello, World!", 0).header("X-Hub-Signature", &format!("sha1={GH_SHA1_HEX}"));
    assert_eq!(req.code(&v), "signature_missing");
    // A valid sha1 value offered in the sha256 header, with its own prefix…
    let e = failure(&v, &gh_request(&format!("sha1={GH_SHA1_HEX}")));
    assert_eq!(
        e,
        AuthFailure::SignatureMalformed(
            "the signature in X-Hub-Signature-256 does not start with sha256=".into()
        )
    );
    // …or disguised with the sha256 prefix: the digest length gives it away.
    let e = failure(&v, &gh_request(&format!("sha256={GH_SHA1_HEX}")));
    assert_eq!(e.code(), "signature_malformed");
    assert_eq!(e.message(), "the signature in X-Hub-Signature-256 is a 20-byte digest; hmac-sha256 gives 32 (no other algorithm is accepted)");
}

#[test]
fn a_custom_sha1_vendor_refuses_a_sha256_value_too() {
    let v = compile(
        "legacy",
        json!({"scheme": "hmac", "algorithm": "sha1", "header": "X-Sig", "prefix": "sha1="}),
        &MapSecrets::new().with("LEGACY", SECRET),
    );
    let ok = Request::new(b"Hello, World!", 0).header("X-Sig", &format!("sha1={GH_SHA1_HEX}"));
    assert!(ok.check(&v).is_ok());
    let req =
        Request::new(b"Hello, World!", 0).header("X-Sig", &format!("sha1={}", &GH_SHA256[7..]));
    assert_eq!(req.code(&v), "signature_malformed");
}

#[test]
fn malformed_signature_headers_are_signature_malformed() {
    let v = hackerearth();
    for (value, message) in [
        ("garbage", "no v1 signature in HE-Signature"),
        ("t=1700000000", "no v1 signature in HE-Signature"),
        ("t=1700000000,v1=zz", "the signature in HE-Signature is not valid hex"),
        ("t=1700000000,v1=abcd", "the signature in HE-Signature is a 2-byte digest; hmac-sha256 gives 32 (no other algorithm is accepted)"),
    ] {
        let req = Request::new(b"{}", 1_700_000_000).header("HE-Signature", value);
        assert_eq!(failure(&v, &req), AuthFailure::SignatureMalformed(message.into()), "{value}");
    }
    let many = format!("t=1,{}", "v1=00,".repeat(17));
    let req = Request::new(b"{}", 0).header("HE-Signature", &many);
    assert_eq!(
        failure(&v, &req).message(),
        "more than 16 signatures in HE-Signature"
    );
}

#[test]
fn an_unknown_version_prefix_is_not_mistaken_for_v1() {
    let v = hackerearth();
    let good = he_request(&v, 1_700_000_000, 1_700_000_000);
    let value = good
        .headers
        .get("HE-Signature")
        .unwrap()
        .replace("v1=", "v2=");
    let req = Request::new(b"{\"a\":1}", 1_700_000_000).header("HE-Signature", &value);
    assert_eq!(
        failure(&v, &req).message(),
        "no v1 signature in HE-Signature"
    );
    let sw = compile(
        "acme",
        json!({"scheme": "standard-webhooks"}),
        &MapSecrets::new().with("ACME", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
    );
    let req = Request::new(br#"{"test": 2432232314}"#, 1614265330)
        .header("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
        .header("webhook-timestamp", "1614265330")
        .header(
            "webhook-signature",
            "v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        );
    assert_eq!(
        failure(&sw, &req).message(),
        "no v1 signature in webhook-signature"
    );
}

#[test]
fn several_signatures_pass_when_any_one_matches() {
    let v = hackerearth();
    let good = he_request(&v, 1_700_000_000, 1_700_000_000);
    let value = good
        .headers
        .get("HE-Signature")
        .unwrap()
        .replace(",v1=", &format!(",v1={},v1=", "ab".repeat(32)));
    let req =
        Request::new(b"{\"a\":1}", 1_700_000_000).header("HE-Signature", &format!("{value},v1=zz"));
    assert!(req.check(&v).is_ok());
}
