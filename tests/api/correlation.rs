//! Binding results to orders: echoed in the payload, per-invite callback URLs and forged tokens
//! (the registry is in `correlation_registry.rs`).

use crate::helpers::{case, expect_delivery, json, spawn_app, spawn_app_with, Options};
use assessment_relay::forward::order_path;
use serde_json::json;
use std::time::Duration;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, ResponseTemplate};

#[tokio::test]
async fn an_order_echoed_in_the_payload_as_account_colon_order_is_used_directly() {
    let app = spawn_app_with(Options {
        clock: Some(assessment_relay::demo::fixtures::FIXTURE_CLOCK_MS),
        ..Options::default()
    })
    .await;
    let mut c = case("codesignal", "company-test-session-finished");
    let mut payload: serde_json::Value = serde_json::from_slice(&c.payload).unwrap();
    payload["payload"]["externalId"] = json!("acct-9:ord-9");
    c.payload = serde_json::to_vec(&payload).unwrap();
    Mock::given(method("PATCH"))
        .and(path(order_path("ord-9")))
        .and(header("x-account-id", "acct-9"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&app.upstream)
        .await;
    let r = app.post_signed("codesignal", &c.payload).await;
    assert_eq!(r.status(), 200);
    app.wait_for_upstream(1, Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_per_invite_callback_url_binds_the_result_to_its_order() {
    let app = spawn_app().await;
    let c = case("imocha", "complete");
    expect_delivery(
        &app,
        "ord-cb-1",
        "acct-cb",
        c.expected.body.as_ref().unwrap(),
    )
    .await;
    let r = app
        .admin(reqwest::Method::POST, "/orders")
        .json(&json!({"vendor": "imocha", "order_id": "ord-cb-1", "account_id": "acct-cb"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created = json(r).await;
    let url = created["callback_url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/webhooks/imocha/o/", app.address)),
        "{url}"
    );
    let r = app.post_signed_to("imocha", url, &c.payload, &[]).await;
    assert_eq!(r.status(), 202);
    app.wait_for_upstream(1, Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_forged_or_altered_callback_token_is_a_401() {
    let app = spawn_app().await;
    app.upstream_answers(200, Some(0)).await;
    let c = case("imocha", "complete");
    let created = json(
        app.admin(reqwest::Method::POST, "/orders")
            .json(&json!({"vendor": "imocha", "order_id": "o", "account_id": "a"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let good = created["callback_url"].as_str().unwrap().to_owned();
    let token = good.rsplit('/').next().unwrap();
    let flipped: String = token
        .chars()
        .enumerate()
        .map(|(i, ch)| {
            if i == 0 {
                if ch == 'A' {
                    'B'
                } else {
                    'A'
                }
            } else {
                ch
            }
        })
        .collect();
    let forged = assessment_relay::correlation::new_token();
    for bad in [flipped.as_str(), forged.as_str(), "short", "../../etc"] {
        let url = format!("{}/webhooks/imocha/o/{bad}", app.address);
        let r = app
            .client
            .post(&url)
            .body(c.payload.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            if bad == "../../etc" { 404 } else { 401 },
            "{bad}"
        );
        if bad != "../../etc" {
            assert_eq!(json(r).await["error"]["code"], "callback_token_invalid");
        }
    }
    // A token is bound to its vendor too.
    let other = good.replace("/webhooks/imocha/", "/webhooks/codesignal/");
    let r = app
        .client
        .post(&other)
        .body(b"{\"event\":\"x\"}".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}
