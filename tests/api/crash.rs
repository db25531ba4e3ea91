//! Nothing accepted is lost: the real binary is SIGKILLed twice while 1000 webhooks stream in
//! and the upstream fails half the time; after restarts, every accepted webhook reaches the
//! upstream, and a webhook is delivered again only when a kill interrupted its delivery.

use crate::helpers::{acme_event, secret_for, sign_with, test_mappings, API_KEY};
use crate::process::{free_port, Gateway};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Fails every other request; counts the successful deliveries of each event and remembers which
/// delivery (job) carried them.
#[derive(Clone, Default)]
pub struct Flaky {
    n: Arc<AtomicUsize>,
    /// event summary → delivery ids of successful deliveries
    pub ok: Arc<Mutex<HashMap<String, Vec<String>>>>,
}

impl Respond for Flaky {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        if self.n.fetch_add(1, Ordering::Relaxed) % 2 == 0 {
            return ResponseTemplate::new(503);
        }
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let key = format!(
            "{}:{}",
            req.url.path(),
            body["summary"].as_str().unwrap_or("")
        );
        let id = delivery_id(req);
        self.ok.lock().unwrap().entry(key).or_default().push(id);
        ResponseTemplate::new(200)
    }
}

/// The `x-relay-delivery-id` a PATCH carries (the job it comes from), or "" without one.
pub fn delivery_id(req: &Request) -> String {
    req.headers
        .get("x-relay-delivery-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

pub fn env_for(
    dir: &std::path::Path,
    upstream: &str,
    db: &str,
    port: u16,
) -> BTreeMap<String, String> {
    [
        ("RELAY_MAPPINGS_DIR", dir.display().to_string()),
        ("RELAY_UPSTREAM_URL", upstream.to_owned()),
        ("RELAY_API_KEY", API_KEY.to_owned()),
        ("RELAY_DATABASE_URL", db.to_owned()),
        ("RELAY_SECRET_ACME", secret_for("acme")),
        ("RELAY_PUBLIC_URL", format!("http://127.0.0.1:{port}")),
        ("RELAY_RETRY_BASE_MS", "20".into()),
        ("RELAY_RETRY_CAP_MS", "200".into()),
        ("RELAY_FORWARD_TIMEOUT_MS", "2000".into()),
        ("RELAY_LEASE_MS", "3000".into()),
        ("RELAY_DELIVERY_CONCURRENCY", "16".into()),
        ("RELAY_WORKERS", "2".into()),
        ("RELAY_WATCH_MAPPINGS", "false".into()),
        ("RUST_LOG", "warn".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// One event of the stream: `seq` is both its id and its summary (acme's summary is score / 1).
pub fn event(seq: usize, order: &str) -> Vec<u8> {
    let mut v: serde_json::Value =
        serde_json::from_slice(&acme_event(&format!("ev-{seq}"), order, "PASS")).unwrap();
    v["score"] = serde_json::json!(seq);
    serde_json::to_vec(&v).unwrap()
}

/// Posts `body` to the acme webhook on `port`, signed now.
pub async fn post_acme(
    client: &reqwest::Client,
    dir: &std::path::Path,
    port: u16,
    body: &[u8],
) -> reqwest::Result<reqwest::Response> {
    let signed = sign_with(
        dir,
        "acme",
        &secret_for("acme"),
        body,
        chrono::Utc::now().timestamp_millis(),
    );
    let mut req = client
        .post(format!("http://127.0.0.1:{port}/webhooks/acme"))
        .body(body.to_vec());
    for (n, v) in &signed.headers {
        req = req.header(n, v);
    }
    req.send().await
}

/// Posts `body` to one of `ports` until a 2xx comes back (a vendor's retry); `None` if the
/// deadline passes. Returns the port that accepted it.
pub async fn deliver_until_accepted(
    client: &reqwest::Client,
    dir: &std::path::Path,
    ports: &[u16],
    body: &[u8],
    start: usize,
    deadline: Instant,
) -> Option<u16> {
    let mut i = start;
    while Instant::now() < deadline {
        let port = ports[i % ports.len()];
        if post_acme(client, dir, port, body)
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Some(port);
        }
        i += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_accepted_webhook_survives_two_sigkills_of_the_gateway() {
    const N: usize = 1000;
    let dir = test_mappings();
    let data = tempfile::tempdir().unwrap();
    let upstream = MockServer::start().await;
    let flaky = Flaky::default();
    Mock::given(wiremock::matchers::method("PATCH"))
        .respond_with(flaky.clone())
        .mount(&upstream)
        .await;
    let port = free_port();
    let db = format!("sqlite://{}/relay.db", data.path().display());
    let env = env_for(dir.path(), &upstream.uri(), &db, port);
    let log = data.path().join("gateway.log");
    let gateway = Arc::new(Mutex::new(Gateway::start(&env, port, &log)));

    let accepted = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut senders = Vec::new();
    for lane in 0..16 {
        let (client, accepted, dir) = (client.clone(), accepted.clone(), dir.path().to_owned());
        senders.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            for seq in (lane..N).step_by(16) {
                let body = event(seq, &format!("order-{seq}"));
                if deliver_until_accepted(&client, &dir, &[port], &body, 0, deadline)
                    .await
                    .is_some()
                {
                    accepted.fetch_add(1, Ordering::Relaxed);
                    mine.push(seq);
                }
            }
            mine
        }));
    }
    // Kill it twice mid-stream, restarting at once on the same port and database.
    let mut kills = 0;
    for at in [N / 3, 2 * N / 3] {
        while accepted.load(Ordering::Relaxed) < at && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let mut g = gateway.lock().unwrap();
        g.kill();
        kills += 1;
        *g = Gateway::start(&env, port, &log);
    }
    let mut accepted_seqs = HashSet::new();
    for s in senders {
        accepted_seqs.extend(s.await.unwrap());
    }
    assert_eq!(kills, 2);
    assert_eq!(
        accepted_seqs.len(),
        N,
        "every webhook was eventually accepted (vendors retry)"
    );

    // Every accepted webhook reaches the upstream (bounded wait).
    let wait = Instant::now() + Duration::from_secs(60);
    let missing = loop {
        let ok = flaky.ok.lock().unwrap().clone();
        let missing: Vec<usize> = accepted_seqs
            .iter()
            .copied()
            .filter(|s| {
                !ok.contains_key(&format!(
                    "/unified/ats/assessments/orders/order-{s}/result:{s}"
                ))
            })
            .collect();
        if missing.is_empty() || Instant::now() > wait {
            break missing;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        missing.is_empty(),
        "{} accepted webhooks never delivered, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(10)]
    );

    // Delivered twice only when a kill cut a delivery short: at most the deliveries in flight at
    // each kill, and always the same job (the dedupe held across restarts).
    let ok = flaky.ok.lock().unwrap().clone();
    let twice: Vec<(&String, &Vec<String>)> = ok.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert!(
        twice.len() <= 16 * kills,
        "{} webhooks delivered more than once: {:?}",
        twice.len(),
        &twice[..twice.len().min(5)]
    );
    for (k, ids) in &twice {
        assert!(
            ids.iter().all(|i| i == &ids[0]),
            "{k} was delivered by two different jobs: {ids:?}"
        );
    }
    let status = gateway.lock().unwrap().terminate(Duration::from_secs(20));
    assert!(
        status.is_some_and(|s| s.success()),
        "SIGTERM exits 0: {status:?}"
    );
}
