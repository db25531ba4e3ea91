//! Binding results to orders through the registry: both orders of the race, expiry, results
//! whose order never comes, and importing registrations.

use crate::helpers::{case, expect_delivery, json, spawn_app, spawn_app_with, Options, TestApp};
use serde_json::json;
use std::time::Duration;

async fn register(
    app: &TestApp,
    vendor: &str,
    key: &str,
    order: &str,
    account: &str,
    days: Option<u32>,
) -> serde_json::Value {
    let mut body =
        json!({"vendor": vendor, "correlation_key": key, "order_id": order, "account_id": account});
    if let Some(d) = days {
        body["expires_in_days"] = json!(d);
    }
    let r = app
        .admin(reqwest::Method::PUT, "/orders")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    json(r).await
}

#[tokio::test]
async fn a_registration_made_before_the_result_routes_it() {
    let app = spawn_app().await;
    let c = case("hackerearth", "candidate-test-finished");
    expect_delivery(&app, "ord-r1", "acct-r1", c.expected.body.as_ref().unwrap()).await;
    register(
        &app,
        "hackerearth",
        "1035542:alice@bob.com",
        "ord-r1",
        "acct-r1",
        None,
    )
    .await;
    let r = app.post_signed("hackerearth", &c.payload).await;
    assert_eq!(r.status(), 202);
    assert_eq!(json(r).await["status"], "accepted");
    app.wait_for_upstream(1, Duration::from_secs(5)).await;
}

#[tokio::test]
async fn a_result_that_arrives_before_its_registration_waits_and_is_delivered_when_it_comes() {
    let app = spawn_app().await;
    let c = case("hackerearth", "candidate-test-finished");
    expect_delivery(&app, "ord-r2", "acct-r2", c.expected.body.as_ref().unwrap()).await;
    let r = app.post_signed("hackerearth", &c.payload).await;
    assert_eq!(r.status(), 202);
    let body = json(r).await;
    assert_eq!(body["order"], "awaiting_registration", "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.wait_for_state(&id, "awaiting_order", Duration::from_secs(2))
            .await["state"],
        "awaiting_order"
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        app.upstream.received_requests().await.unwrap().is_empty(),
        "nothing is sent without an order"
    );

    let reg = register(
        &app,
        "hackerearth",
        "1035542:alice@bob.com",
        "ord-r2",
        "acct-r2",
        None,
    )
    .await;
    assert_eq!(reg["released"], 1);
    assert_eq!(
        app.wait_for_state(&id, "delivered", Duration::from_secs(5))
            .await["state"],
        "delivered"
    );
}

#[tokio::test]
async fn an_expired_registration_no_longer_routes_results() {
    let app = spawn_app().await;
    app.upstream_answers(200, Some(0)).await;
    let c = case("hackerearth", "candidate-test-finished");
    register(
        &app,
        "hackerearth",
        "1035542:alice@bob.com",
        "ord-old",
        "acct-old",
        Some(0),
    )
    .await;
    let r = app.post_signed("hackerearth", &c.payload).await;
    assert_eq!(json(r).await["order"], "awaiting_registration");
}

#[tokio::test]
async fn a_result_for_an_unknown_key_is_held_then_dead_lettered_with_a_clear_reason() {
    let app = spawn_app_with(
        Options::default()
            .env("RELAY_CORRELATION_WAIT_S", "1")
            .env("RELAY_MAINTENANCE_INTERVAL_S", "1"),
    )
    .await;
    let c = case("hackerearth", "candidate-test-finished");
    let body = json(app.post_signed("hackerearth", &c.payload).await).await;
    let id = body["id"].as_str().unwrap().to_owned();
    let job = app
        .wait_for_state(&id, "dead", Duration::from_secs(10))
        .await;
    assert_eq!(job["state"], "dead", "{job}");
    let reason = job["last_error"].as_str().unwrap_or_default();
    assert!(
        reason.contains("1035542:alice@bob.com") || reason.contains("no order"),
        "{reason}"
    );
}

#[tokio::test]
async fn registrations_import_from_json_lines_and_report_bad_lines() {
    let app = spawn_app().await;
    let lines = [
        json!({"vendor": "hackerearth", "correlation_key": "k1", "order_id": "o1", "account_id": "a1"}).to_string(),
        "not json".to_owned(),
        json!({"vendor": "nope", "correlation_key": "k2", "order_id": "o2", "account_id": "a2"}).to_string(),
        json!({"vendor": "testdome", "correlation_key": "k3", "order_id": "o3", "account_id": "a b"}).to_string(),
    ]
    .join("\n");
    let r = app
        .admin(reqwest::Method::POST, "/orders/import")
        .body(lines)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let out = json(r).await;
    assert_eq!(out["imported"], 1, "{out}");
    let bad: Vec<u64> = out["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(bad, [2, 3, 4]);
    let list = json(
        app.admin(reqwest::Method::GET, "/orders?vendor=hackerearth")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(list["registrations"].as_array().unwrap().len(), 1);
    let r = app
        .admin(reqwest::Method::DELETE, "/orders/hackerearth/k1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = app
        .admin(reqwest::Method::DELETE, "/orders/hackerearth/k1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}
