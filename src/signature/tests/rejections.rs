//! HMAC rejections, each with its exact code, and the promise that no message repeats a
//! received signature, a secret or the body.

use super::support::{compile, Request};
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

fn hackerearth() -> Verifier {
    compile(
        "he",
        json!({"scheme": "hackerearth"}),
        &MapSecrets::new().with("HE", "he-secret"),
    )
}

/// A correctly signed HackerEarth request at `ts`, received at `now`.
fn he_request(v: &Verifier, ts: i64, now: i64) -> Request {
    let signed = v.sign(b"{\"a\":1}", ts * 1000, None).unwrap();
    let mut req = Request::new(b"{\"a\":1}", now).headers(&signed.headers);
    req.now_ms = now * 1000;
    req
}

fn failure(v: &Verifier, req: &Request) -> AuthFailure {
    v.verify(&req.with())
        .expect_err("request should be refused")
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

#[test]
fn a_stale_timestamp_is_out_of_tolerance_with_its_age() {
    let v = hackerearth();
    let e = failure(&v, &he_request(&v, 1492774577, 1492774577 + 3612));
    assert_eq!(
        e,
        AuthFailure::TimestampOutOfTolerance(
            "timestamp 1492774577 is 3612 s old; tolerance 300 s".into()
        )
    );
    assert!(he_request(&v, 1492774577, 1492774577 + 300)
        .check(&v)
        .is_ok());
}

#[test]
fn a_future_timestamp_is_out_of_tolerance() {
    let v = hackerearth();
    let e = failure(&v, &he_request(&v, 1_700_000_400, 1_700_000_000));
    assert_eq!(
        e.message(),
        "timestamp 1700000400 is 400 s in the future; tolerance 300 s"
    );
}

#[test]
fn a_preset_tolerance_can_be_widened_and_made_past_only() {
    let v = compile(
        "he",
        json!({"scheme": "hackerearth", "timestamp": {"tolerance_s": 9000, "allow_future": false}}),
        &MapSecrets::new().with("HE", "he-secret"),
    );
    assert!(he_request(&v, 1_700_000_000, 1_700_000_000 + 7200)
        .check(&v)
        .is_ok());
    assert!(he_request(&v, 1_700_000_060, 1_700_000_000)
        .check(&v)
        .is_ok());
    assert_eq!(
        he_request(&v, 1_700_000_061, 1_700_000_000).code(&v),
        "timestamp_out_of_tolerance"
    );
}

#[test]
fn a_replaced_timestamp_breaks_the_signature() {
    let v = hackerearth();
    let old = he_request(&v, 1_600_000_000, 1_700_000_000);
    let value = old
        .headers
        .get("HE-Signature")
        .unwrap()
        .replace("t=1600000000", "t=1700000000");
    let req = Request::new(b"{\"a\":1}", 1_700_000_000).header("HE-Signature", &value);
    assert_eq!(req.code(&v), "signature_mismatch");
}

#[test]
fn a_missing_or_non_numeric_timestamp_is_timestamp_missing() {
    let v = compile(
        "slack",
        json!({"scheme": "slack"}),
        &MapSecrets::new().with("SLACK", "s"),
    );
    let sig = "v0=".to_string() + &"ab".repeat(32);
    let req = Request::new(b"x", 0).header("X-Slack-Signature", &sig);
    assert_eq!(
        failure(&v, &req),
        AuthFailure::TimestampMissing("no timestamp (X-Slack-Request-Timestamp)".into())
    );
    let req = req.header("X-Slack-Request-Timestamp", "hello");
    assert_eq!(
        failure(&v, &req).message(),
        "the timestamp (X-Slack-Request-Timestamp) is not a Unix time in s"
    );
    let he = hackerearth();
    let req = Request::new(b"x", 0).header("HE-Signature", &format!("v1={}", "ab".repeat(32)));
    assert_eq!(
        failure(&he, &req).message(),
        "no timestamp (t= in HE-Signature)"
    );
}

#[test]
fn a_missing_id_header_is_signature_malformed() {
    let v = compile(
        "acme",
        json!({"scheme": "svix"}),
        &MapSecrets::new().with("ACME", "whsec_c2VjcmV0"),
    );
    let signed = v.sign(b"{}", 1_700_000_000_000, None).unwrap();
    let without_id: Vec<_> = signed
        .headers
        .iter()
        .filter(|(n, _)| n != "svix-id")
        .cloned()
        .collect();
    let req = Request::new(b"{}", 1_700_000_000).headers(&without_id);
    assert_eq!(
        failure(&v, &req).message(),
        "no svix-id header (it is part of the signed content)"
    );
    let other_id: Vec<_> = signed
        .headers
        .iter()
        .map(|(n, val)| {
            (
                n.clone(),
                if n == "svix-id" {
                    "msg_other".into()
                } else {
                    val.clone()
                },
            )
        })
        .collect();
    assert_eq!(
        Request::new(b"{}", 1_700_000_000)
            .headers(&other_id)
            .code(&v),
        "signature_mismatch"
    );
}

#[test]
fn an_unset_secret_compiles_disabled_and_refuses_everything() {
    let v = compile(
        "codesignal",
        json!({"scheme": "codesignal"}),
        &MapSecrets::new(),
    );
    assert_eq!(v.missing_secret(), Some("RELAY_SECRET_CODESIGNAL"));
    assert_eq!(
        v.sign(b"{}", 0, Some("https://x")).unwrap_err(),
        "RELAY_SECRET_CODESIGNAL is not set"
    );
    let req = Request::new(br#"{"event":"e","triggeredOn":1000}"#, 1)
        .url("https://x")
        .header("X-CodeSignal-Signature", &"ab".repeat(32));
    assert_eq!(
        failure(&v, &req),
        AuthFailure::SignatureMismatch("RELAY_SECRET_CODESIGNAL is not set".into())
    );
}

#[test]
fn the_secret_variable_can_be_named_explicitly() {
    let v = compile(
        "hacker-earth",
        json!({"scheme": "hackerearth"}),
        &MapSecrets::new(),
    );
    assert_eq!(v.missing_secret(), Some("RELAY_SECRET_HACKER_EARTH"));
    let v = compile(
        "he",
        json!({"scheme": "hackerearth", "secret": {"env": "HE_PROD"}}),
        &MapSecrets::new().with("HE_PROD", "k"),
    );
    assert_eq!(v.missing_secret(), None);
}

#[test]
fn no_failure_message_repeats_a_signature_a_secret_or_the_body() {
    let v = hackerearth();
    let good = he_request(&v, 1_700_000_000, 1_700_000_000);
    let sig = good
        .headers
        .get("HE-Signature")
        .unwrap()
        .split("v1=")
        .nth(1)
        .unwrap()
        .to_string();
    let cases = [
        Request {
            body: "{\"a\":2}".into(),
            ..he_request(&v, 1_700_000_000, 1_700_000_000)
        },
        he_request(&v, 1_700_000_000, 1_800_000_000),
        Request::new(b"{\"a\":1}", 0).header("HE-Signature", &format!("t=1,v1={}", &sig[..40])),
        Request::new(b"{\"a\":1}", 0).header("HE-Signature", &format!("t=1,v1={sig}x")),
    ];
    for req in &cases {
        let e = failure(&v, req);
        let explained = v.explain(&req.with()).to_string();
        for text in [e.message().to_string(), explained] {
            assert!(!text.contains(&sig[..16]), "{text}");
            assert!(!text.contains("he-secret"), "{text}");
            assert!(!text.contains("\"a\""), "{text}");
        }
    }
}
