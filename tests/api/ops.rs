//! Operations: metrics, readiness and hot reload (limits are in `ops_limits.rs`).

use crate::helpers::{acme_event, spawn_app_with, test_mappings, with_test_vendors, Options};
use std::time::{Duration, Instant};

/// The value of the sample of `name` whose labels include all of `labels`.
fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let (series, value) = l.rsplit_once(' ')?;
        let (n, rest) = series.split_once('{').unwrap_or((series, ""));
        if n != name
            || !labels
                .iter()
                .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")))
        {
            return None;
        }
        value.parse().ok()
    })
}

#[tokio::test]
async fn metrics_count_webhooks_by_vendor_and_outcome_and_rejections_by_cause() {
    // The recorder is process-wide, so this test uses a vendor name no other test uses.
    let dir = test_mappings();
    let acme = std::fs::read_to_string(dir.path().join("acme.json"))
        .unwrap()
        .replace("\"vendor\": \"acme\",", "");
    std::fs::write(dir.path().join("metricsacme.json"), acme).unwrap();
    let app = spawn_app_with(Options {
        mappings: Some(dir.path().to_owned()),
        ..Options::default()
    })
    .await;
    app.upstream_answers(200, None).await;

    let post = |body: Vec<u8>| {
        let app = &app;
        async move {
            app.post_signed("metricsacme", &body)
                .await
                .status()
                .as_u16()
        }
    };
    assert_eq!(post(acme_event("m1", "o1", "PASS")).await, 202);
    assert_eq!(post(acme_event("m1", "o1", "PASS")).await, 200); // duplicate
    assert_eq!(post(acme_event("m2", "o2", "PASS")).await, 202);
    let started = serde_json::json!({"id": "m3", "type": "started", "order": "o3", "account": "a"})
        .to_string();
    assert_eq!(post(started.into_bytes()).await, 200); // ignored
    let unmappable = serde_json::json!({"id": "m4", "type": "completed", "order": "o4", "account": "a", "score": 1, "divisor": 0}).to_string();
    assert_eq!(post(unmappable.into_bytes()).await, 422);
    let r = app
        .post_raw(
            "metricsacme",
            acme_event("m5", "o5", "PASS"),
            &[
                ("x-acme-signature".into(), "0".repeat(64)),
                (
                    "x-acme-timestamp".into(),
                    chrono::Utc::now().timestamp().to_string(),
                ),
            ],
        )
        .await;
    assert_eq!(r.status(), 401);
    app.wait_for_upstream(2, Duration::from_secs(5)).await;

    let text = app
        .client
        .get(format!("{}/metrics", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let v = |outcome| {
        metric(
            &text,
            "relay_webhooks_received_total",
            &[("vendor", "metricsacme"), ("outcome", outcome)],
        )
    };
    assert_eq!(v("accepted"), Some(2.0), "{text}");
    assert_eq!(v("duplicate"), Some(1.0));
    assert_eq!(v("ignored"), Some(1.0));
    assert_eq!(v("unmappable"), Some(1.0));
    assert_eq!(v("rejected"), Some(1.0));
    assert_eq!(
        metric(
            &text,
            "relay_webhooks_rejected_total",
            &[("vendor", "metricsacme"), ("cause", "signature_mismatch")]
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(
            &text,
            "relay_webhooks_rejected_total",
            &[("vendor", "metricsacme"), ("cause", "mapping_failed")]
        ),
        Some(1.0)
    );
    assert!(
        metric(
            &text,
            "relay_verification_duration_seconds_count",
            &[("vendor", "metricsacme")]
        )
        .unwrap_or(0.0)
            >= 5.0
    );
    assert!(
        metric(
            &text,
            "relay_translation_duration_seconds_count",
            &[("vendor", "metricsacme")]
        )
        .unwrap_or(0.0)
            >= 4.0
    );
    assert!(
        metric(
            &text,
            "relay_deliveries_total",
            &[("outcome", "delivered"), ("status_class", "2xx")]
        )
        .unwrap_or(0.0)
            >= 2.0
    );
    assert!(
        text.contains("relay_upstream_request_duration_seconds_bucket"),
        "upstream latency histogram"
    );
    assert!(text.contains("relay_queue_jobs{"), "queue depth gauge");
}

#[tokio::test]
async fn readiness_reports_the_store_the_mappings_the_workers_and_disabled_vendors() {
    let (_d, mut o) = with_test_vendors();
    o.secrets = Some(
        assessment_relay::signature::MapSecrets::new().with("ACME", "only-acme-is-configured"),
    );
    let app = spawn_app_with(o).await;
    let r = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (status, v) = app.readyz().await;
    assert_eq!(status, 200);
    assert_eq!(v["status"], "ready");
    assert_eq!(v["checks"]["store"]["ok"], true);
    assert_eq!(v["checks"]["mappings"]["ok"], true);
    assert_eq!(v["checks"]["delivery_workers"]["ok"], true);
    assert_eq!(v["vendors"]["acme"]["enabled"], true, "{v}");
    assert_eq!(v["vendors"]["qualified"]["enabled"], false, "{v}");
    assert_eq!(
        v["vendors"]["qualified"]["reason"],
        "RELAY_SECRET_QUALIFIED is not set"
    );
}

#[tokio::test]
async fn a_changed_mapping_is_reloaded_and_a_broken_one_is_refused_whole() {
    let (dir, o) = with_test_vendors();
    let app = spawn_app_with(o.env("RELAY_WATCH_MAPPINGS", "true")).await;
    app.upstream_answers(200, None).await;
    let path = dir.path().join("acme.json");
    let original = std::fs::read_to_string(&path).unwrap();

    // A valid change is picked up by the folder watcher.
    std::fs::write(
        &path,
        original.replace("\"label\": \"Points\"", "\"label\": \"Marks\""),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut n = 0;
    loop {
        n += 1;
        let (s, _) = app
            .post_acme(&acme_event(&format!("r{n}"), &format!("o{n}"), "PASS"))
            .await;
        assert_eq!(s, 202);
        let got = app.wait_for_upstream(n, Duration::from_secs(5)).await;
        let last: serde_json::Value = serde_json::from_slice(&got[n - 1].body).unwrap();
        if last["score"]["label"] == "Marks" {
            break;
        }
        assert!(Instant::now() < deadline, "the new mapping was not loaded");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A broken file is refused: the running set stays and readiness says why.
    std::fs::write(&path, "{ not json").unwrap();
    let r = app
        .admin(reqwest::Method::POST, "/mappings/reload")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let (_, ready) = app.readyz().await;
    assert_eq!(
        ready["checks"]["mappings"]["last_reload"]["ok"], false,
        "{ready}"
    );
    assert!(ready["checks"]["mappings"]["last_reload"]["errors"][0]
        .as_str()
        .unwrap()
        .contains("acme.json"));
    // Sign with a good copy of the file (the test's own signing reads the folder).
    let good = tempfile::tempdir().unwrap();
    std::fs::write(good.path().join("acme.json"), &original).unwrap();
    let body = acme_event("r-after", "o-after", "PASS");
    let now = chrono::Utc::now().timestamp_millis();
    let headers = crate::helpers::sign_with(
        good.path(),
        "acme",
        &crate::helpers::secret_for("acme"),
        &body,
        now,
    )
    .headers;
    let r = app.post_raw("acme", body, &headers).await;
    assert_eq!(r.status(), 202, "the previous set still serves");
}
