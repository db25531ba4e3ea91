//! PostgreSQL restarting under replicas in mid-stream: they answer 503 while it is down, recover
//! by themselves, and lose no accepted webhook.

use crate::crash::{event, post_acme};
use crate::helpers::test_mappings;
use crate::pg::fresh_schema;
use crate::process::free_port;
use crate::replica_harness::{recording_upstream, start_replicas};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
