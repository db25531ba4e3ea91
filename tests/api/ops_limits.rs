//! Operations: limits on clients (a body trickled slowly) and on the queue (the pending cap).

use crate::helpers::{acme_event, json, spawn_app_with, with_test_vendors};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_trickles_its_body_is_cut_off_with_408() {
    let (_d, o) = with_test_vendors();
    let app = spawn_app_with(o.env("RELAY_CLIENT_REQUEST_TIMEOUT_MS", "1000")).await;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", app.port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"POST /webhooks/acme HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"id\":").unwrap();
    let started = Instant::now();
    // One byte a second on a clone of the socket: never finishes within the limit. The answer is
    // read meanwhile (after it, the server closes and further writes fail).
    let mut w = s.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        for _ in 0..8 {
            std::thread::sleep(Duration::from_secs(1));
            if w.write_all(b" ").is_err() {
                break;
            }
        }
    });
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).unwrap_or(0);
    buf.truncate(n);
    drop(s);
    let _ = writer.join();
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 408"), "got: {text}");
    assert!(text.contains("request_timeout"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn above_the_pending_limit_webhooks_get_503_with_retry_after() {
    let (_d, o) = with_test_vendors();
    let app = spawn_app_with(
        o.env("RELAY_MAX_PENDING", "2")
            .env("RELAY_RETRY_BASE_MS", "60000")
            .env("RELAY_RETRY_CAP_MS", "60000"),
    )
    .await;
    app.upstream_answers(503, None).await;
    for i in 0..2 {
        let (s, _) = app
            .post_acme(&acme_event(&format!("p{i}"), &format!("o{i}"), "PASS"))
            .await;
        assert_eq!(s, 202);
    }
    // The queue depth is sampled about once a second.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (_, v) = app.readyz().await;
        let q = &v["queue"];
        if q["pending"].as_u64().unwrap_or(0) + q["in_flight"].as_u64().unwrap_or(0) >= 2
            || Instant::now() > deadline
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let r = app
        .post_signed("acme", &acme_event("p9", "o9", "PASS"))
        .await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().get("retry-after").is_some());
    assert_eq!(json(r).await["error"]["code"], "queue_full");
}
