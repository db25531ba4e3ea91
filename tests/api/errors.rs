//! Bad input gets a clear, stable error with the right status, and nothing is forwarded.

use crate::helpers::{acme_event, json, sign_with, spawn_app_with, with_test_vendors, Options};
use serde_json::json;
use std::time::Duration;
use wiremock::matchers::method;
use wiremock::{Mock, ResponseTemplate};

async fn assert_error(r: reqwest::Response, status: u16, code: &str) -> serde_json::Value {
    assert_eq!(r.status().as_u16(), status);
    let body = json(r).await;
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body
}

fn signed_headers(
    dir: &std::path::Path,
    secret: &str,
    body: &[u8],
    now_ms: i64,
) -> Vec<(String, String)> {
    sign_with(dir, "acme", secret, body, now_ms).headers
}

#[tokio::test]
async fn an_unknown_vendor_is_a_404_and_crafted_names_never_read_a_file() {
    let (_d, o) = with_test_vendors();
    let app = spawn_app_with(o).await;
    // Raw requests: an HTTP client would normalise `%2e%2e` away before sending it.
    let names = [
        "nope",
        "..%2f..%2fetc%2fpasswd",
        "acme%00",
        "ACME",
        "acme.json",
        "mapping.schema",
        "%2e%2e",
        "acme%2f..%2facme",
    ];
    for name in names {
        let port = app.port;
        let raw = tokio::task::spawn_blocking(move || {
            use std::io::{Read, Write};
            let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
            write!(s, "POST /webhooks/{name} HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}").unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).unwrap();
            out
        })
        .await
        .unwrap();
        assert!(raw.starts_with("HTTP/1.1 404"), "{name}: {raw}");
        assert!(
            raw.contains("\"code\":\"vendor_not_found\""),
            "{name}: {raw}"
        );
    }
    let r = app
        .client
        .get(format!("{}/nowhere", app.address))
        .send()
        .await
        .unwrap();
    assert_error(r, 404, "not_found").await;
}

#[tokio::test]
async fn webhooks_must_be_posted() {
    let (_d, o) = with_test_vendors();
    let app = spawn_app_with(o).await;
    let r = app
        .client
        .get(app.webhook_url("acme"))
        .send()
        .await
        .unwrap();
    assert_error(r, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn a_missing_signature_is_a_401_signature_missing() {
    let (_d, o) = with_test_vendors();
    let app = spawn_app_with(o).await;
    app.upstream_answers(200, Some(0)).await;
    let r = app
        .post_raw("acme", acme_event("e1", "o1", "PASS"), &[])
        .await;
    assert_error(r, 401, "signature_missing").await;
}

#[tokio::test]
async fn a_tampered_body_is_rejected_with_401() {
    let (d, o) = with_test_vendors();
    let app = spawn_app_with(o).await;
    app.upstream_answers(200, Some(0)).await;
    let body = acme_event("e1", "o1", "PASS");
    let headers = signed_headers(
        d.path(),
        &crate::helpers::secret_for("acme"),
        &body,
        chrono::Utc::now().timestamp_millis(),
    );
    let tampered = acme_event("e1", "o1", "FAIL");
    let r = app.post_raw("acme", tampered, &headers).await;
    let body = assert_error(r, 401, "signature_mismatch").await;
    assert!(
        !body.to_string().contains(&headers[0].1),
        "the error must not echo the signature"
    );
}

#[tokio::test]
async fn a_wrong_secret_is_rejected_with_401() {
    let (d, o) = with_test_vendors();
    let app = spawn_app_with(o).await;
    let body = acme_event("e1", "o1", "PASS");
    let headers = signed_headers(
        d.path(),
        "not-the-secret",
        &body,
        chrono::Utc::now().timestamp_millis(),
    );
    assert_error(
        app.post_raw("acme", body, &headers).await,
        401,
        "signature_mismatch",
    )
    .await;
}

#[tokio::test]
async fn during_rotation_a_request_signed_with_either_secret_is_accepted() {
    let (d, mut o) = with_test_vendors();
    let secrets = crate::helpers::secrets_for(d.path()).with("ACME", "old-secret,new-secret");
    o.secrets = Some(secrets);
    let app = spawn_app_with(o).await;
    app.upstream_answers(200, Some(2)).await;
    for (i, secret) in ["old-secret", "new-secret"].into_iter().enumerate() {
        let body = acme_event(&format!("e{i}"), &format!("o{i}"), "PASS");
        let headers = signed_headers(
            d.path(),
            secret,
            &body,
            chrono::Utc::now().timestamp_millis(),
        );
        let r = app.post_raw("acme", body, &headers).await;
        assert_eq!(r.status(), 202, "signed with {secret}");
    }
    app.wait_for_upstream(2, Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_stale_timestamp_has_its_own_code() {
    let (d, o) = with_test_vendors();
    let app = spawn_app_with(o).await;
    let body = acme_event("e1", "o1", "PASS");
    let ten_minutes_ago = chrono::Utc::now().timestamp_millis() - 600_000;
    let headers = signed_headers(
        d.path(),
        &crate::helpers::secret_for("acme"),
        &body,
        ten_minutes_ago,
    );
    assert_error(
        app.post_raw("acme", body, &headers).await,
        401,
        "timestamp_out_of_tolerance",
    )
    .await;
}

#[tokio::test]
async fn a_2_mib_body_is_a_413_before_anything_else() {
    let (_d, o) = with_test_vendors();
    let app = spawn_app_with(o).await;
    let big = vec![b' '; 2 * 1024 * 1024];
    assert_error(
        app.post_raw("acme", big, &[]).await,
        413,
        "payload_too_large",
    )
    .await;
    // Also without a Content-Length (chunked): the limit holds while reading.
    let chunks =
        futures_util::stream::iter((0..64).map(|_| Ok::<_, std::io::Error>(vec![b' '; 32 * 1024])));
    let r = app
        .client
        .post(app.webhook_url("acme"))
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_error(r, 413, "payload_too_large").await;
}

#[tokio::test]
async fn a_signed_body_that_is_not_json_is_a_400() {
    let (_d, o) = with_test_vendors();
    let app = spawn_app_with(o).await;
    let r = app.post_signed("acme", b"<xml/>").await;
    assert_error(r, 400, "invalid_json").await;
}

#[tokio::test]
async fn a_verified_but_unmappable_payload_is_a_422_and_kept_as_a_dead_letter() {
    let (_d, o) = with_test_vendors();
    let app = spawn_app_with(o).await;
    app.upstream_answers(200, Some(0)).await;
    let body = json!({"id": "e-div", "type": "completed", "order": "o1", "account": "a1", "score": 5, "divisor": 0, "status": "PASS"}).to_string();
    let r = app.post_signed("acme", body.as_bytes()).await;
    let err = assert_error(r, 422, "mapping_failed").await;
    let msg = err["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("summary") && msg.contains("division by zero"),
        "names the field and why: {msg}"
    );
    let dead = json(
        app.admin(reqwest::Method::GET, "/deliveries?state=dead")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let list = dead["deliveries"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{dead}");
    assert!(list[0]["last_error"]
        .as_str()
        .unwrap()
        .contains("division by zero"));
}

#[tokio::test]
async fn an_order_id_with_a_slash_stays_one_path_segment() {
    let (_d, o) = with_test_vendors();
    let app = spawn_app_with(o).await;
    Mock::given(method("PATCH"))
        .and(wiremock::matchers::path(
            "/unified/ats/assessments/orders/a%2F%2E%2E%2Fb%3Fc/result",
        ))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&app.upstream)
        .await;
    let (status, _) = app.post_acme(&acme_event("e1", "a/../b?c", "PASS")).await;
    assert_eq!(status, 202);
    app.wait_for_upstream(1, Duration::from_secs(5)).await;
}

#[tokio::test]
async fn an_empty_body_is_acknowledged_as_codesignal_expects_when_a_webhook_is_saved() {
    let app = spawn_app_with(Options::default()).await;
    let r = app
        .client
        .post(app.webhook_url("codesignal"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(json(r).await, json!({"status": "ignored"}));
}

#[tokio::test]
async fn a_vendor_without_its_secret_is_disabled_with_a_503_naming_no_internals() {
    let (d, mut o) = with_test_vendors();
    o.secrets = Some(assessment_relay::signature::MapSecrets::new());
    let app = spawn_app_with(o).await;
    let body = acme_event("e1", "o1", "PASS");
    let headers = signed_headers(d.path(), "x", &body, chrono::Utc::now().timestamp_millis());
    let r = app.post_raw("acme", body, &headers).await;
    assert!(r.headers().contains_key("retry-after"));
    let body = assert_error(r, 503, "vendor_disabled").await;
    assert!(!body.to_string().contains("RELAY_SECRET"), "{body}");
}
