//! The admin API: authentication, listing and inspecting deliveries, replays with
//! re-translation after a mapping fix, callbacks.

use crate::helpers::{acme_event, json, spawn_app_with, with_test_vendors, ADMIN_TOKEN};
use serde_json::json;
use std::time::Duration;
use wiremock::matchers::method;
use wiremock::{Mock, ResponseTemplate};

#[tokio::test]
async fn the_admin_api_needs_the_bearer_token_and_is_absent_without_one_configured() {
    let (_d, o) = with_test_vendors();
    let app = spawn_app_with(o).await;
    let url = format!("{}/admin/deliveries", app.address);
    let r = app.client.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(json(r).await["error"]["code"], "admin_unauthorized");
    let r = app
        .client
        .get(&url)
        .bearer_auth(format!("{ADMIN_TOKEN}x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .get(&url)
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // An empty RELAY_ADMIN_TOKEN means unset: the whole scope does not exist.
    let (_d2, o2) = with_test_vendors();
    let closed = spawn_app_with(o2.env("RELAY_ADMIN_TOKEN", "")).await;
    let r = closed
        .client
        .get(format!("{}/admin/deliveries", closed.address))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(json(r).await["error"]["code"], "not_found");
}

#[tokio::test]
async fn deliveries_can_be_listed_by_state_and_inspected_with_attempts_and_last_error() {
    let (_d, o) = with_test_vendors();
    let app = spawn_app_with(o).await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(410).set_body_string("gone"))
        .mount(&app.upstream)
        .await;
    let (_, body) = app.post_acme(&acme_event("l1", "o1", "PASS")).await;
    let id = body["id"].as_str().unwrap().to_owned();
    app.wait_for_state(&id, "dead", Duration::from_secs(5))
        .await;

    let list = json(
        app.admin(reqwest::Method::GET, "/deliveries?state=dead&vendor=acme")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let items = list["deliveries"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"].to_string(), id);
    assert_eq!(items[0]["attempts"], 1);
    assert_eq!(items[0]["last_status"], 410);
    let none = json(
        app.admin(reqwest::Method::GET, "/deliveries?state=delivered")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(none["deliveries"].as_array().unwrap().is_empty());

    let detail = json(
        app.admin(reqwest::Method::GET, &format!("/deliveries/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(detail["order_id"], "o1");
    assert_eq!(detail["last_response"], "gone");
    assert!(
        detail["payload"].as_str().unwrap().contains("\"l1\""),
        "the stored payload is shown as text"
    );

    let r = app
        .admin(reqwest::Method::GET, "/deliveries?state=lost")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(json(r).await["error"]["code"], "invalid_request");
    let r = app
        .admin(reqwest::Method::GET, "/deliveries/999999")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn dead_letters_from_a_mapping_bug_are_replayed_with_the_fixed_mapping() {
    let (dir, o) = with_test_vendors();
    let app = spawn_app_with(o).await;
    app.upstream_answers(200, Some(2)).await;
    // The mapping divides by `divisor`; these events carry 0, so translation fails.
    let mut ids = Vec::new();
    for i in 0..2 {
        let ev = json!({"id": format!("d{i}"), "type": "completed", "order": format!("o{i}"), "account": "a", "score": 5, "divisor": 0, "status": "PASS"});
        let r = app.post_signed("acme", ev.to_string().as_bytes()).await;
        assert_eq!(r.status(), 422);
    }
    let dead = json(
        app.admin(reqwest::Method::GET, "/deliveries?state=dead")
            .send()
            .await
            .unwrap(),
    )
    .await;
    for d in dead["deliveries"].as_array().unwrap() {
        ids.push(d["id"].to_string());
    }
    assert_eq!(ids.len(), 2);

    // A plain replay cannot help: the job was never translated.
    let r = app
        .admin(
            reqwest::Method::POST,
            &format!("/deliveries/{}/replay", ids[0]),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);

    // Fix the mapping, reload, replay every dead letter with re-translation.
    let path = dir.path().join("acme.json");
    let fixed = std::fs::read_to_string(&path).unwrap().replace(
        r#""summary": {"div": ["$.score", "$.divisor"]}"#,
        r#""summary": "fixed""#,
    );
    std::fs::write(&path, fixed).unwrap();
    let r = app
        .admin(reqwest::Method::POST, "/mappings/reload")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .admin(reqwest::Method::POST, "/deliveries/replay")
        .json(&json!({"state": "dead", "vendor": "acme", "retranslate": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let out = json(r).await;
    assert_eq!(out["replayed"], 2, "{out}");
    for id in &ids {
        assert_eq!(
            app.wait_for_state(id, "delivered", Duration::from_secs(5))
                .await["state"],
            "delivered"
        );
    }
    let got = app.upstream.received_requests().await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(body["summary"], "fixed");
}

#[tokio::test]
async fn a_job_on_its_way_cannot_be_replayed() {
    let (_d, o) = with_test_vendors();
    let app = spawn_app_with(
        o.env("RELAY_RETRY_BASE_MS", "60000")
            .env("RELAY_RETRY_CAP_MS", "60000"),
    )
    .await;
    app.upstream_answers(503, None).await;
    let (_, body) = app.post_acme(&acme_event("w1", "o1", "PASS")).await;
    let id = body["id"].as_str().unwrap().to_owned();
    app.wait_for_upstream(1, Duration::from_secs(5)).await;
    let r = app
        .admin(reqwest::Method::POST, &format!("/deliveries/{id}/replay"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert_eq!(json(r).await["error"]["code"], "conflict");
}

#[tokio::test]
async fn callbacks_are_listed_by_hash_and_deleted() {
    let (_d, o) = with_test_vendors();
    let app = spawn_app_with(o).await;
    let created = json(
        app.admin(reqwest::Method::POST, "/orders")
            .json(&json!({"vendor": "imocha", "order_id": "o", "account_id": "a"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let hash = created["token_sha256"].as_str().unwrap().to_owned();
    let token = created["callback_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(assessment_relay::correlation::token_hash(&token), hash);
    let list = json(
        app.admin(reqwest::Method::GET, "/callbacks?vendor=imocha")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(list["callbacks"][0]["token_sha256"], hash);
    assert!(
        !list.to_string().contains(&token),
        "the token itself is never stored or shown again"
    );
    let r = app
        .admin(reqwest::Method::DELETE, &format!("/callbacks/{hash}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = app
        .admin(reqwest::Method::POST, "/orders")
        .json(&json!({"vendor": "nope", "order_id": "o", "account_id": "a"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}
