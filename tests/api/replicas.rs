//! Several replicas sharing one PostgreSQL queue: 2000 webhooks spread over three gateway
//! processes while the upstream fails part of the time and one replica is SIGKILLed; every
//! accepted webhook is delivered, never by two replicas at once, and each order's results arrive
//! in the order they were accepted. And: PostgreSQL restarting mid-stream loses nothing.

use crate::crash::{deliver_until_accepted, env_for, event, post_acme};
use crate::helpers::test_mappings;
use crate::pg::fresh_schema;
use crate::process::{free_port, Gateway};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// How long the upstream takes to answer: two requests for one delivery whose arrivals are
/// closer than this were in flight at the same time.
const UPSTREAM_DELAY: Duration = Duration::from_millis(15);

/// One request at the upstream: delivery id, order, seq, arrival, status answered.
type Seen = (String, String, usize, Instant, u16);

/// Fails every fifth request; records every request.
#[derive(Clone, Default)]
struct Recorder {
    n: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Recorder {
    /// Waits (bounded) until every seq in `all` got a 200 at the upstream.
    async fn wait_all_delivered(&self, all: &[usize], what: &str) {
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
        let id = req
            .headers
            .get("x-relay-delivery-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
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
async fn recording_upstream() -> (MockServer, Recorder) {
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
fn start_replicas(
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_deliver_everything_once_at_a_time_and_in_order_despite_a_sigkill() {
    const ORDERS: usize = 400;
    const PER_ORDER: usize = 5;
    let Some(db) = fresh_schema().await else {
        return;
    };
    let dir = test_mappings();
    let logs = tempfile::tempdir().unwrap();
    let (upstream, rec) = recording_upstream().await;
    let (ports, mut replicas) =
        start_replicas(3, dir.path(), &upstream.uri(), &db, "replica-", logs.path());

    // Orders in parallel, each order's results one after another (accepted before the next is
    // sent), spread round-robin over the replicas; a refused or failed post moves on to the next.
    let accepted = Arc::new(AtomicUsize::new(0));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(150);
    let mut lanes = Vec::new();
    for lane in 0..32 {
        let (client, accepted, dir, ports) = (
            client.clone(),
            accepted.clone(),
            dir.path().to_owned(),
            ports.clone(),
        );
        lanes.push(tokio::spawn(async move {
            let mut done = Vec::new();
            for o in (lane..ORDERS).step_by(32) {
                for k in 0..PER_ORDER {
                    let seq = o * PER_ORDER + k;
                    let body = event(seq, &format!("order-{o}"));
                    if deliver_until_accepted(&client, &dir, &ports, &body, seq, deadline)
                        .await
                        .is_some()
                    {
                        accepted.fetch_add(1, Ordering::Relaxed);
                        done.push(seq);
                    }
                }
            }
            done
        }));
    }
    while accepted.load(Ordering::Relaxed) < ORDERS * PER_ORDER / 3 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    replicas[1].kill();
    let mut all = Vec::new();
    for l in lanes {
        all.extend(l.await.unwrap());
    }
    assert_eq!(
        all.len(),
        ORDERS * PER_ORDER,
        "every webhook was accepted by some replica"
    );

    // Wait (bounded) until every accepted webhook got a 200 at the upstream.
    rec.wait_all_delivered(&all, "accepted webhooks never delivered")
        .await;

    let seen = rec.seen.lock().unwrap().clone();
    // Never two deliveries of one job in flight at once, on any replicas.
    let mut by_job: HashMap<&str, Vec<Instant>> = HashMap::new();
    for (id, ..) in &seen {
        by_job.entry(id.as_str()).or_default();
    }
    for (id, _, _, at, _) in &seen {
        by_job.get_mut(id.as_str()).unwrap().push(*at);
    }
    for (id, mut times) in by_job {
        times.sort();
        for w in times.windows(2) {
            assert!(
                w[1] - w[0] >= UPSTREAM_DELAY,
                "job {id} was sent twice {:?} apart: two replicas delivered it at once",
                w[1] - w[0]
            );
        }
    }
    // Each order's successful deliveries come in accepted order (a repeat after a kill is allowed).
    let mut by_order: HashMap<&str, Vec<(Instant, usize)>> = HashMap::new();
    for (_, order, seq, at, status) in &seen {
        if *status == 200 {
            by_order
                .entry(order.as_str())
                .or_default()
                .push((*at, *seq));
        }
    }
    for (order, mut d) in by_order {
        d.sort();
        let seqs: Vec<usize> = d.iter().map(|x| x.1).collect();
        assert!(
            seqs.windows(2).all(|w| w[0] <= w[1]),
            "order {order} delivered out of order: {seqs:?}"
        );
    }
    for (i, r) in replicas.iter_mut().enumerate() {
        if i != 1 {
            assert!(
                r.terminate(Duration::from_secs(20))
                    .is_some_and(|s| s.success()),
                "replica {i} stops cleanly"
            );
        }
    }
}

async fn script(name: &str, args: &[&str]) -> String {
    let out = tokio::process::Command::new(crate::helpers::repo().join("scripts").join(name))
        .args(args)
        .output()
        .await
        .expect("script runs");
    assert!(
        out.status.success(),
        "{name} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postgresql_restart_mid_stream_loses_nothing_and_the_replicas_recover() {
    const N: usize = 600;
    if fresh_schema().await.is_none() {
        return;
    }
    // A server of its own, so restarting it disturbs no other test.
    let port = free_port().to_string();
    let data = tempfile::tempdir().unwrap();
    let pgdir = data.path().join("pg").display().to_string();
    let url = script("pg-start.sh", &[&port, &pgdir]).await;
    let dir = test_mappings();
    let (upstream, rec) = recording_upstream().await;
    let (ports, mut replicas) =
        start_replicas(2, dir.path(), &upstream.uri(), &url, "pg-r", data.path());

    let accepted = Arc::new(AtomicUsize::new(0));
    let unavailable = Arc::new(AtomicUsize::new(0));
    // The first third goes in before the restart, the rest once PostgreSQL is down: so some
    // webhooks certainly meet the outage, however fast the first third went.
    let down = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut lanes = Vec::new();
    for lane in 0..8 {
        let (client, accepted, unavailable, down, dir, ports) = (
            client.clone(),
            accepted.clone(),
            unavailable.clone(),
            down.clone(),
            dir.path().to_owned(),
            ports.clone(),
        );
        lanes.push(tokio::spawn(async move {
            let mut done = Vec::new();
            for seq in (lane..N).step_by(8) {
                while seq >= N / 3 && !down.load(Ordering::Relaxed) {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                let body = event(seq, &format!("order-{seq}"));
                // Count 503s (store down) on the way: a webhook is only "accepted" on a 2xx.
                loop {
                    let port = ports[seq % ports.len()];
                    match post_acme(&client, &dir, port, &body).await {
                        Ok(r) if r.status().is_success() => {
                            accepted.fetch_add(1, Ordering::Relaxed);
                            done.push(seq);
                            break;
                        }
                        Ok(r) if r.status() == 503 => {
                            assert!(
                                r.headers().contains_key("retry-after"),
                                "503 carries Retry-After"
                            );
                            unavailable.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => {}
                    }
                    assert!(Instant::now() < deadline, "webhook {seq} never accepted");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
            done
        }));
    }
    while accepted.load(Ordering::Relaxed) < N / 3 - 8 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    script("pg-stop.sh", &[&port, &pgdir]).await;
    down.store(true, Ordering::Relaxed);
    // Longer than the pool's 3 s acquire timeout: a request waits that long for a connection
    // (riding out a blip), then is answered 503.
    tokio::time::sleep(Duration::from_secs(5)).await;
    script("pg-start.sh", &[&port, &pgdir]).await;
    let mut all = Vec::new();
    for l in lanes {
        all.extend(l.await.unwrap());
    }
    assert_eq!(all.len(), N);
    assert!(
        unavailable.load(Ordering::Relaxed) > 0,
        "while PostgreSQL was down the replicas answered 503"
    );
    rec.wait_all_delivered(&all, "accepted webhooks were lost across the restart")
        .await;
    for r in &mut replicas {
        assert!(r
            .terminate(Duration::from_secs(20))
            .is_some_and(|s| s.success()));
    }
    script("pg-stop.sh", &[&port, &pgdir, "--purge"]).await;
}
