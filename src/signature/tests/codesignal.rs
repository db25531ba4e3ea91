//! CodeSignal's scheme against its published sample: the algorithm, what it leaves unsigned
//! (the body), and replays judged by `triggeredOn` in milliseconds.

use super::support::{codesignal_sample, compile, Request, CS_URL};
use crate::signature::MapSecrets;
use serde_json::json;

const CS_SIG: &str = "13cb4a617cb38eedaf1de5ee30e354c453f8ec47a5e3c2b931e03158f2c4bce8";

#[test]
fn codesignals_algorithm_verifies_the_published_sample() {
    // CodeSignal publishes the algorithm (HMAC-SHA256 hex of url + event + triggeredOn) and the
    // sample; secret and URL here are ours, the digest cross-checked with Python.
    let v = compile(
        "codesignal",
        json!({"scheme": "codesignal"}),
        &MapSecrets::new().with("CODESIGNAL", "codesignal-secret"),
    );
    assert!(v.uses_url());
    let req = Request::new(codesignal_sample(900).as_bytes(), 1553720789 + 30)
        .url(CS_URL)
        .header("X-CodeSignal-Signature", CS_SIG);
    assert_eq!(req.check(&v), Ok("codesignal"));
}

#[test]
fn codesignal_does_not_sign_the_body_so_a_changed_score_still_verifies() {
    // Documented limitation: only url, event and triggeredOn are signed. Body fields other than
    // those two are not protected and must be treated as untrusted input.
    let v = compile(
        "codesignal",
        json!({"scheme": "codesignal"}),
        &MapSecrets::new().with("CODESIGNAL", "codesignal-secret"),
    );
    let tampered = Request::new(codesignal_sample(1000).as_bytes(), 1553720789 + 30)
        .url(CS_URL)
        .header("X-CodeSignal-Signature", CS_SIG);
    assert!(tampered.check(&v).is_ok());
    let other_event =
        codesignal_sample(900).replace("companyTestSessionFinished", "preScreenExpired");
    let req = Request::new(other_event.as_bytes(), 1553720789 + 30)
        .url(CS_URL)
        .header("X-CodeSignal-Signature", CS_SIG);
    assert_eq!(req.code(&v), "signature_mismatch");
    let other_url = Request {
        url: Some(format!("{CS_URL}?x=1")),
        ..tampered
    };
    assert_eq!(other_url.code(&v), "signature_mismatch");
}

#[test]
fn codesignal_replays_are_judged_by_triggered_on_in_milliseconds() {
    let v = compile(
        "codesignal",
        json!({"scheme": "codesignal"}),
        &MapSecrets::new().with("CODESIGNAL", "codesignal-secret"),
    );
    let late = Request::new(codesignal_sample(900).as_bytes(), 1553720789 + 400)
        .url(CS_URL)
        .header("X-CodeSignal-Signature", CS_SIG);
    let e = v.verify(&late.with()).unwrap_err();
    assert_eq!(
        e.message(),
        "timestamp 1553720789347 is 399 s old; tolerance 300 s"
    );
    let not_json = Request::new(b"event=x", 1553720789)
        .url(CS_URL)
        .header("X-CodeSignal-Signature", CS_SIG);
    assert_eq!(not_json.code(&v), "timestamp_missing");
}
