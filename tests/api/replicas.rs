//! Several replicas sharing one PostgreSQL queue: 2000 webhooks spread over three gateway
//! processes while the upstream fails part of the time and one replica is SIGKILLed; every
//! accepted webhook is delivered, never by two replicas at once, and each order's results arrive
//! in the order they were accepted.

use crate::crash::{deliver_until_accepted, event};
use crate::helpers::test_mappings;
use crate::pg::fresh_schema;
use crate::replica_harness::{recording_upstream, start_replicas, UPSTREAM_DELAY};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
