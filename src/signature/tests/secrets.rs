//! Secrets: an unset one refuses everything, its variable can be named, and no failure message
//! repeats a received signature, a secret or the body.

use super::support::{compile, failure, hackerearth, he_request, Request};
use crate::signature::{AuthFailure, MapSecrets};
use serde_json::json;

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
