//! Rejections of the signed timestamp and message id: age against the tolerance, a replaced
//! timestamp, and a missing or unreadable timestamp or id header.

use super::support::{compile, failure, hackerearth, he_request, Request};
use crate::signature::{AuthFailure, MapSecrets};
use serde_json::json;

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
