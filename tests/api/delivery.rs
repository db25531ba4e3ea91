//! Durable delivery: retries with backoff, Retry-After, dead letters and replay, duplicates,
//! per-order ordering.

use crate::helpers::{acme_event, spawn_app_with, with_test_vendors};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

/// Answers from a script (then the last entry forever) and records when each request came.
#[derive(Clone)]
struct Script {
    statuses: Arc<Mutex<Vec<ResponseTemplate>>>,
    seen: Arc<Mutex<Vec<(Instant, Value, String)>>>,
}

impl Script {
    fn new(statuses: Vec<ResponseTemplate>) -> Self {
        Self {
            statuses: Arc::new(Mutex::new(statuses)),
            seen: Arc::default(),
        }
    }
    fn seen(&self) -> Vec<(Instant, Value, String)> {
        self.seen.lock().unwrap().clone()
    }
}

impl Respond for Script {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        self.seen
            .lock()
            .unwrap()
            .push((Instant::now(), body, req.url.path().to_owned()));
        let mut s = self.statuses.lock().unwrap();
        if s.len() > 1 {
            s.remove(0)
        } else {
            s[0].clone()
        }
    }
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_503_is_retried_until_the_upstream_answers_200() {
    let (_d, o) = with_test_vendors();
    let app = spawn_app_with(o).await;
    let script = Script::new(vec![
        ResponseTemplate::new(503),
        ResponseTemplate::new(503),
        ResponseTemplate::new(200),
    ]);
    Mock::given(method("PATCH"))
        .respond_with(script.clone())
        .expect(3)
        .mount(&app.upstream)
        .await;

    let (status, body) = app.post_acme(&acme_event("e1", "o1", "PASS")).await;
    assert_eq!(status, 202);
    assert_eq!(body["status"], "accepted");
    let job = app
        .wait_for_state(&id_of(&body), "delivered", Duration::from_secs(10))
        .await;
    assert_eq!(job["state"], "delivered", "{job}");
    assert_eq!(job["attempts"], 3, "{job}");
    assert_eq!(script.seen().len(), 3);
}

#[tokio::test]
async fn retry_after_is_honoured_before_the_next_attempt() {
    let (_d, o) = with_test_vendors();
    let app = spawn_app_with(o.env("RELAY_RETRY_CAP_MS", "5000")).await;
    let script = Script::new(vec![
        ResponseTemplate::new(429).insert_header("retry-after", "2"),
        ResponseTemplate::new(200),
    ]);
    Mock::given(method("PATCH"))
        .respond_with(script.clone())
        .expect(2)
        .mount(&app.upstream)
        .await;

    let (status, body) = app.post_acme(&acme_event("e1", "o1", "PASS")).await;
    assert_eq!(status, 202);
    app.wait_for_state(&id_of(&body), "delivered", Duration::from_secs(10))
        .await;
    let seen = script.seen();
    assert_eq!(seen.len(), 2);
    let gap = seen[1].0 - seen[0].0;
    // The base delay is 20 ms here: only Retry-After explains waiting this long.
    assert!(
        gap >= Duration::from_millis(1900),
        "retried after {gap:?}, Retry-After said 2 s"
    );
}

#[tokio::test]
async fn a_400_dead_letters_with_the_upstream_answer_and_a_replay_delivers_it_once_fixed() {
    let (_d, o) = with_test_vendors();
    let app = spawn_app_with(o).await;
    let bad = Mock::given(method("PATCH"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_string(r#"{"message":"score.value must be a string"}"#),
        )
        .expect(1)
        .mount_as_scoped(&app.upstream)
        .await;
    let (_, body) = app.post_acme(&acme_event("e1", "o1", "PASS")).await;
    let id = id_of(&body);
    let job = app
        .wait_for_state(&id, "dead", Duration::from_secs(10))
        .await;
    assert_eq!(job["state"], "dead");
    assert_eq!(job["last_status"], 400);
    assert_eq!(
        job["last_response"],
        r#"{"message":"score.value must be a string"}"#
    );
    drop(bad);

    app.upstream_answers(200, Some(1)).await;
    let r = app
        .admin(reqwest::Method::POST, &format!("/deliveries/{id}/replay"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    let job = app
        .wait_for_state(&id, "delivered", Duration::from_secs(10))
        .await;
    assert_eq!(job["state"], "delivered", "{job}");
}

#[tokio::test]
async fn a_vendor_retry_of_the_same_event_is_answered_duplicate_and_delivered_once() {
    let (_d, o) = with_test_vendors();
    let app = spawn_app_with(o).await;
    app.upstream_answers(200, Some(1)).await;
    let event = acme_event("evt-same", "o1", "PASS");
    let (s1, b1) = app.post_acme(&event).await;
    let (s2, b2) = app.post_acme(&event).await;
    assert_eq!((s1, b1["status"].as_str()), (202, Some("accepted")));
    assert_eq!((s2, b2["status"].as_str()), (200, Some("duplicate")));
    assert_eq!(b1["id"], b2["id"]);
    app.wait_for_upstream(1, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.upstream.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn results_of_one_order_arrive_in_order_while_another_orders_failures_do_not_block_it() {
    let (_d, o) = with_test_vendors();
    let app = spawn_app_with(o).await;
    // Order X's first result fails three times before it gets through.
    // The first failure is slow, so Y is certainly accepted and due while X is still failing.
    let slow_503 = ResponseTemplate::new(503).set_delay(Duration::from_millis(500));
    let x1 = Script::new(vec![
        slow_503,
        ResponseTemplate::new(503),
        ResponseTemplate::new(503),
        ResponseTemplate::new(200),
    ]);
    Mock::given(method("PATCH"))
        .and(path("/unified/ats/assessments/orders/X/result"))
        .and(body_partial_json(
            serde_json::json!({"result": {"value": "in_progress"}}),
        ))
        .respond_with(x1.clone())
        .mount(&app.upstream)
        .await;
    let rest = Script::new(vec![ResponseTemplate::new(200)]);
    Mock::given(method("PATCH"))
        .respond_with(rest.clone())
        .with_priority(10)
        .mount(&app.upstream)
        .await;

    let (s, _) = app.post_acme(&acme_event("x1", "X", "RUNNING")).await;
    assert_eq!(s, 202);
    let (s, _) = app.post_acme(&acme_event("x2", "X", "PASS")).await;
    assert_eq!(s, 202);
    let (s, y) = app.post_acme(&acme_event("y1", "Y", "PASS")).await;
    assert_eq!(s, 202);

    app.wait_for_state(&id_of(&y), "delivered", Duration::from_secs(10))
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while rest.seen().len() < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let x1_done = x1
        .seen()
        .last()
        .map(|s| s.0)
        .expect("X's first result was sent");
    assert_eq!(x1.seen().len(), 4, "three failures then success");
    let after = rest.seen();
    let x2 = after
        .iter()
        .find(|s| s.2.ends_with("/X/result"))
        .expect("X's second result");
    let y1 = after
        .iter()
        .find(|s| s.2.ends_with("/Y/result"))
        .expect("Y delivered");
    assert!(
        x2.0 >= x1_done,
        "X's completed result must not overtake its in_progress result"
    );
    assert!(y1.0 < x1_done, "Y must not wait for X's retries");
}
