//! Cost of verifying one 2 KB webhook body, per scheme, through the public API (compile once,
//! then `Verifier::verify` per request), as the gateway does it. Run with
//! `cargo bench --bench verify -- --warm-up-time 1 --measurement-time 3`.

use assessment_relay::domain::Headers;
use assessment_relay::signature::{InboundRequest, MapSecrets, Verifier, VerifierContext};
use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Value};
use std::hint::black_box;

const NOW_MS: i64 = 1_700_000_000_000;

/// A JSON body of exactly 2048 bytes, shaped like a vendor's completion event.
fn body_2kb() -> Vec<u8> {
    let mut v = json!({
        "organization_id": "coderbyteengineering",
        "webhook_event_type": "CANDIDATE_REPORT_UPDATED",
        "webhook_payload": {"test_id": 1035542, "email": "alice@bob.com", "score": 87.5, "notes": ""}
    });
    let len = v.to_string().len();
    v["webhook_payload"]["notes"] = Value::String("x".repeat(2048 - len));
    let body = v.to_string().into_bytes();
    assert_eq!(body.len(), 2048);
    body
}

fn bench_scheme(c: &mut Criterion, name: &str, auth: Value, secret: &str) {
    let vendor = assessment_relay::domain::VendorId::parse("acme").expect("vendor id");
    let secrets = MapSecrets::new().with("ACME", secret);
    let verifier =
        Verifier::compile(&vendor, &auth, &secrets, &VerifierContext::default()).expect("compiles");
    let body = Bytes::from(body_2kb());
    let signed = verifier.sign(&body, NOW_MS, None).expect("signs");
    let headers: Headers = signed
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let req = InboundRequest {
        headers: &headers,
        body: &body,
        url: None,
        query: "",
        peer: None,
        callback: None,
        now_ms: NOW_MS + 1_000,
    };
    assert!(
        verifier.verify(&req).is_ok(),
        "{name} does not verify its own signature"
    );
    c.bench_function(name, |b| {
        b.iter(|| verifier.verify(black_box(&req)).is_ok())
    });
}

fn verify(c: &mut Criterion) {
    let hmac = json!({"scheme": "hmac", "algorithm": "sha256", "header": "X-Signature"});
    bench_scheme(c, "verify 2KB hmac-sha256 hex", hmac, "bench-secret");
    bench_scheme(
        c,
        "verify 2KB hackerearth",
        json!({"scheme": "hackerearth"}),
        "bench-secret",
    );
    bench_scheme(
        c,
        "verify 2KB standard-webhooks",
        json!({"scheme": "standard-webhooks"}),
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    );
    let jwt = json!({"scheme": "jwt", "issuer": "coderbyteengineering", "require_exp": true});
    bench_scheme(c, "verify 2KB jwt HS256", jwt, "bench-api-key");
    // issuer_json binds the token to the body, which costs one JSON parse of the body.
    let jwt_body = json!({"scheme": "jwt", "issuer_json": "$.organization_id"});
    bench_scheme(
        c,
        "verify 2KB jwt HS256 + issuer_json",
        jwt_body,
        "bench-api-key",
    );
}

criterion_group!(benches, verify);
criterion_main!(benches);
