//! Every bundled fixture through the real gateway: the exact PATCH (path, headers, body) at the
//! upstream, or `200 ignored` and nothing forwarded.

use crate::helpers::{cases, json, spawn_app_with, Options, TestApp, API_KEY};
use assessment_relay::demo::fixtures::Case;
use assessment_relay::demo::fixtures::FIXTURE_CLOCK_MS;
use assessment_relay::forward::order_path;
use base64::Engine;
use std::time::Duration;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, ResponseTemplate};

/// Registers what the case's context needs and returns the URL to post to.
async fn prepare(app: &TestApp, c: &Case) -> String {
    let mut url = app.webhook_url(&c.vendor);
    if let Some(acct) = &c.context.route_account_id {
        url = format!("{url}/{acct}");
    }
    if let Some(b) = &c.context.registration {
        let r = app
            .admin(reqwest::Method::PUT, "/orders")
            .json(&serde_json::json!({"vendor": c.vendor, "correlation_key": b.correlation_key, "order_id": b.order_id, "account_id": b.account_id}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}/{}: registration", c.vendor, c.name);
    }
    if let Some(b) = &c.context.callback {
        let r = app
            .admin(reqwest::Method::POST, "/orders")
            .json(&serde_json::json!({"vendor": c.vendor, "order_id": b.order_id, "account_id": b.account_id}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}/{}: callback", c.vendor, c.name);
        url = json(r).await["callback_url"].as_str().unwrap().to_owned();
    }
    url
}

fn extra_headers(c: &Case) -> Vec<(String, String)> {
    let mut h: Vec<(String, String)> = c
        .context
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if let Some(ip) = &c.context.peer_ip {
        h.push(("x-forwarded-for".into(), ip.clone()));
    }
    h
}

/// One fresh gateway per case: some published samples are the same event (iMocha publishes its
/// "In Progress" sample twice), which one gateway would rightly answer as a duplicate.
#[tokio::test]
async fn every_fixture_is_delivered_exactly_as_its_expected_file_says() {
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{API_KEY}:"))
    );
    let all = cases();
    let vendors: std::collections::BTreeSet<&str> = all.iter().map(|c| c.vendor.as_str()).collect();
    assert!(
        vendors.len() >= 6,
        "fixtures for every bundled vendor: {vendors:?}"
    );
    for c in &all {
        let app = spawn_app_with(Options {
            clock: Some(FIXTURE_CLOCK_MS),
            ..Options::default()
        })
        .await;
        let label = format!("{}/{}", c.vendor, c.name);
        if !c.expected.ignored {
            Mock::given(method("PATCH"))
                .and(path(order_path(c.expected.order_id.as_deref().unwrap())))
                .and(header("authorization", basic.as_str()))
                .and(header(
                    "x-account-id",
                    c.expected.account_id.as_deref().unwrap(),
                ))
                .and(header("content-type", "application/json"))
                .and(body_json(c.expected.body.clone().unwrap()))
                .respond_with(ResponseTemplate::new(200))
                .expect(1)
                .named(label.clone())
                .mount(&app.upstream)
                .await;
        }
        // Anything else reaching the upstream is a defect.
        Mock::given(method("PATCH"))
            .respond_with(ResponseTemplate::new(500))
            .expect(0)
            .with_priority(10)
            .named("unexpected PATCH")
            .mount(&app.upstream)
            .await;

        let url = prepare(&app, c).await;
        let extra = extra_headers(c);
        let extra: Vec<(&str, &str)> = extra
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let r = app
            .post_signed_to(&c.vendor, &url, &c.payload, &extra)
            .await;
        let status = r.status().as_u16();
        let body = json(r).await;
        if c.expected.ignored {
            assert_eq!(
                (status, body),
                (200, serde_json::json!({"status": "ignored"})),
                "{label}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        } else {
            assert!(matches!(status, 200 | 202), "{label}: {status} {body}");
            assert_eq!(body["status"], "accepted", "{label}: {body}");
            app.wait_for_upstream(1, Duration::from_secs(10)).await;
        }
        app.upstream.verify().await;
    }
}

#[tokio::test]
async fn codesignal_is_answered_200_not_202_because_it_treats_anything_else_as_a_failure() {
    let app = spawn_app_with(Options {
        clock: Some(FIXTURE_CLOCK_MS),
        ..Options::default()
    })
    .await;
    app.upstream_answers(200, None).await;
    let c = cases()
        .into_iter()
        .find(|c| c.vendor == "codesignal" && !c.expected.ignored)
        .unwrap();
    let url = prepare(&app, &c).await;
    let r = app
        .post_signed_to("codesignal", &url, &c.payload, &[])
        .await;
    assert_eq!(r.status(), 200);
}
