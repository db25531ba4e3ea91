//! What the replica tests share: an upstream that fails every fifth request and records every
//! one, and replicas started as processes on one PostgreSQL queue.

use crate::crash::{delivery_id, env_for};
use crate::process::{free_port, Gateway};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// How long the upstream takes to answer: two requests for one delivery whose arrivals are
/// closer than this were in flight at the same time.
pub const UPSTREAM_DELAY: Duration = Duration::from_millis(15);

/// One request at the upstream: delivery id, order, seq, arrival, status answered.
pub type Seen = (String, String, usize, Instant, u16);

/// Fails every fifth request; records every request.
#[derive(Clone, Default)]
pub struct Recorder {
    n: Arc<AtomicUsize>,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Recorder {
    /// Waits (bounded) until every seq in `all` got a 200 at the upstream.
    pub async fn wait_all_delivered(&self, all: &[usize], what: &str) {
        let wait = Instant::now() + Duration::from_secs(60);
        loop {
            let delivered: std::collections::HashSet<usize> = self
                .seen
                .lock()
                .unwrap()
                .iter()
                .filter(|r| r.4 == 200)
                .map(|r| r.2)
                .collect();
            let missing = all.iter().filter(|s| !delivered.contains(s)).count();
            if missing == 0 {
                return;
            }
            assert!(Instant::now() < wait, "{missing} {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Respond for Recorder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let status = if self.n.fetch_add(1, Ordering::Relaxed) % 5 == 4 {
            503
        } else {
            200
        };
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap_or_default();
        let seq = body["summary"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or(usize::MAX);
        let id = delivery_id(req);
        let order = req.url.path().split('/').nth(5).unwrap_or("").to_owned();
        self.seen
            .lock()
            .unwrap()
            .push((id, order, seq, Instant::now(), status));
        ResponseTemplate::new(status).set_delay(UPSTREAM_DELAY)
    }
}

fn replica_env(
    dir: &std::path::Path,
    upstream: &str,
    db: &str,
    port: u16,
    name: &str,
) -> BTreeMap<String, String> {
    let mut env = env_for(dir, upstream, db, port);
    env.insert("RELAY_INSTANCE_ID".into(), name.into());
    env.insert("RELAY_DB_POOL_SIZE".into(), "8".into());
    env
}

/// A mock upstream recording every PATCH it is sent.
pub async fn recording_upstream() -> (MockServer, Recorder) {
    let upstream = MockServer::start().await;
    let rec = Recorder::default();
    Mock::given(wiremock::matchers::method("PATCH"))
        .respond_with(rec.clone())
        .mount(&upstream)
        .await;
    (upstream, rec)
}

/// Starts `n` replicas (`{name}{i}`) on one database, each logging to `{logs}/r{i}.log`;
/// returns them with their ports.
pub fn start_replicas(
    n: usize,
    dir: &std::path::Path,
    upstream: &str,
    db: &str,
    name: &str,
    logs: &std::path::Path,
) -> (Vec<u16>, Vec<Gateway>) {
    let ports: Vec<u16> = (0..n).map(|_| free_port()).collect();
    let replicas = ports
        .iter()
        .enumerate()
        .map(|(i, &p)| {
            Gateway::start(
                &replica_env(dir, upstream, db, p, &format!("{name}{i}")),
                p,
                &logs.join(format!("r{i}.log")),
            )
        })
        .collect();
    (ports, replicas)
}
