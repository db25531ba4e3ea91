//! Store throughput: how many webhooks per second the durable queue accepts and finishes.
//! A measurement rather than a criterion statistic (one pass over tens of thousands of jobs
//! is the unit of interest, and a pass takes seconds).
//!
//!   cargo bench --bench store                     # SQLite; PostgreSQL too when
//!   RELAY_TEST_POSTGRES_URL=$(scripts/pg-start.sh) cargo bench --bench store
//!   RELAY_BENCH_JOBS=20000 …                      # fewer jobs (default 50 000)
//!   RELAY_BENCH_SCENARIOS=store,group …           # a subset (default all three)
//!
//! Scenarios, each on a fresh database:
//! - `store`: `accept_batch` of 256 (one job per order, all leased on insert as the gateway
//!   does), then `finish_batch` of 256 as delivered: the raw write path, one caller.
//! - `poll`: accept without the fast path (4 jobs per order), then `lease_due` 256 +
//!   `finish_batch` 256 until everything is delivered, order by order.
//! - `group`: 50 000 concurrent `Acceptor::accept` calls (batch_max 256) with the leased jobs
//!   finished through a `Finisher`, as the gateway's tasks use it.

use assessment_relay::queue::{
    open, Accepted, Acceptor, AcceptorConfig, Finish, Finisher, Initial, Lease, NewJob, Store,
    StoreOptions,
};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

const BATCH: usize = 256;
const DAY: i64 = 86_400_000;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A realistic job: a ~700-byte StackOne body, a ~1 KB vendor payload; `per_order` jobs
/// share an order.
fn job(i: usize, at: i64, per_order: usize) -> NewJob {
    let body = format!(
        r#"{{"result":"completed","score":{},"start_date":"2024-05-01T10:00:00Z","submission_date":"2024-05-01T11:00:00Z","summary":"{}","result_url":"https://app.codesignal.com/test-result/{i}","attachments":[{{"url":"https://app.codesignal.com/report/{i}.pdf","content_type":{{"value":"pdf"}}}}],"candidate":{{"id":"cand-{i}","profile_url":"https://app.codesignal.com/profile/{i}"}}}}"#,
        i % 100,
        "x".repeat(300)
    );
    NewJob {
        vendor: "codesignal".into(),
        event_key: format!("evt-{i:08}"),
        order_id: Some(format!("order-{}", i / per_order)),
        account_id: Some("acct-1".into()),
        correlation_key: None,
        body: Some(body),
        payload: vec![b'p'; 1024],
        headers: r#"{"x-codesignal-signature":"…"}"#.into(),
        route: "{}".into(),
        rule: Some("completed".into()),
        request_id: format!("req-{i}"),
        received_at_ms: at,
        initial: Initial::Pending,
    }
}

fn rate(n: usize, secs: f64) -> String {
    format!("{:>9.0} jobs/s", n as f64 / secs)
}

async fn scenario_store(s: &Arc<dyn Store>, n: usize) {
    let t0 = now_ms();
    let jobs: Vec<NewJob> = (0..n).map(|i| job(i, t0, 1)).collect();
    let lease = Lease {
        owner: "bench".into(),
        until_ms: t0 + DAY,
    };
    let start = Instant::now();
    let mut leased = Vec::new();
    for chunk in jobs.chunks(BATCH) {
        for a in s
            .accept_batch(chunk, DAY, Some(&lease))
            .await
            .expect("accept")
        {
            if let Accepted::New { id, leased: true } = a {
                leased.push(id);
            }
        }
    }
    let accept = start.elapsed().as_secs_f64();
    let start = Instant::now();
    for chunk in leased.chunks(BATCH) {
        let done: Vec<Finish> = chunk
            .iter()
            .map(|&id| Finish::Delivered {
                id,
                status: 200,
                at_ms: t0,
            })
            .collect();
        s.finish_batch("bench", &done).await.expect("finish");
    }
    let finish = start.elapsed().as_secs_f64();
    println!(
        "  store : accept {} | finish {} ({} leased) | accept+finish {}",
        rate(n, accept),
        rate(leased.len(), finish),
        leased.len(),
        rate(n, accept + finish)
    );
}

async fn scenario_poll(s: &Arc<dyn Store>, n: usize) {
    let t0 = now_ms();
    let jobs: Vec<NewJob> = (0..n).map(|i| job(i, t0, 4)).collect();
    let start = Instant::now();
    for chunk in jobs.chunks(BATCH) {
        s.accept_batch(chunk, DAY, None).await.expect("accept");
    }
    let accept = start.elapsed().as_secs_f64();
    let lease = Lease {
        owner: "bench".into(),
        until_ms: t0 + DAY,
    };
    let start = Instant::now();
    let mut done_total = 0;
    loop {
        let got = s.lease_due(&lease, t0 + 1, BATCH).await.expect("lease");
        if got.is_empty() {
            break;
        }
        let done: Vec<Finish> = got
            .iter()
            .map(|j| Finish::Delivered {
                id: j.id,
                status: 200,
                at_ms: t0,
            })
            .collect();
        done_total += s.finish_batch("bench", &done).await.expect("finish") as usize;
    }
    let deliver = start.elapsed().as_secs_f64();
    println!(
        "  poll  : accept {} | lease+finish {} ({} jobs)",
        rate(n, accept),
        rate(done_total, deliver),
        done_total
    );
}

async fn scenario_group(s: &Arc<dyn Store>, n: usize) {
    let t0 = now_ms();
    let (tx, rx) = async_channel::bounded(4 * BATCH);
    let cfg = AcceptorConfig {
        batch_max: BATCH,
        dedupe_window_ms: DAY,
        lease: Some(("bench".into(), DAY)),
    };
    let (acceptor, acc_task) = Acceptor::spawn(s.clone(), cfg, Some(tx));
    let (finisher, fin_task) = Finisher::spawn(s.clone(), "bench".into(), BATCH);
    let start = Instant::now();
    // The "worker": finishes every handed job at once, 64 at a time in flight.
    let worker = tokio::spawn(async move {
        let mut inflight = tokio::task::JoinSet::new();
        while let Ok(j) = rx.recv().await {
            let f = finisher.clone();
            inflight.spawn(async move {
                f.finish(Finish::Delivered {
                    id: j.id,
                    status: 200,
                    at_ms: t0,
                })
                .await
            });
            while inflight.len() >= 512 {
                inflight.join_next().await;
            }
        }
        while inflight.join_next().await.is_some() {}
    });
    // 512 concurrent "HTTP handlers".
    let per = n.div_ceil(512);
    let mut handlers = tokio::task::JoinSet::new();
    for h in 0..512 {
        let a = acceptor.clone();
        handlers.spawn(async move {
            for i in (h * per)..((h + 1) * per).min(n) {
                a.accept(job(i, t0, 1)).await.expect("accept");
            }
        });
    }
    while handlers.join_next().await.is_some() {}
    let accepted = start.elapsed().as_secs_f64();
    drop(acceptor);
    acc_task.await.ok();
    worker.await.ok();
    fin_task.await.ok();
    let all = start.elapsed().as_secs_f64();
    let st = s.stats(t0, true).await.expect("stats");
    println!(
        "  group : accepted {} | accepted+finished {} ({} delivered by the fast path, {} pending)",
        rate(n, accepted),
        rate(n, all),
        st.delivered.unwrap_or(0),
        st.pending
    );
}

async fn run(name: &str, open_fresh: impl Fn(&str) -> String, n: usize) {
    println!("{name}: {n} jobs, batches of {BATCH}");
    let opts = StoreOptions {
        pool_size: 8,
        statement_timeout_ms: 30_000,
    };
    let wanted = std::env::var("RELAY_BENCH_SCENARIOS").unwrap_or_default();
    for scenario in ["store", "poll", "group"] {
        if !wanted.is_empty() && !wanted.split(',').any(|w| w == scenario) {
            continue;
        }
        let s = open(&open_fresh(scenario), &opts).await.expect("open");
        match scenario {
            "store" => scenario_store(&s, n).await,
            "poll" => scenario_poll(&s, n).await,
            _ => scenario_group(&s, n).await,
        }
    }
}

fn main() {
    let n: usize = std::env::var("RELAY_BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().to_owned();
        run(
            "sqlite",
            |s| format!("sqlite://{}/{s}.db", path.display()),
            n,
        )
        .await;
        match std::env::var("RELAY_TEST_POSTGRES_URL") {
            Ok(base) if !base.is_empty() => {
                let schemas = create_schemas(&base).await;
                let url = |s: &str| {
                    let sep = if base.contains('?') { '&' } else { '?' };
                    format!("{base}{sep}options=-c%20search_path%3D{}", schemas[s])
                };
                run("postgres", url, n).await;
                drop_schemas(&base, &schemas).await;
            }
            _ => println!("postgres: skipped (set RELAY_TEST_POSTGRES_URL)"),
        }
    });
}

async fn create_schemas(base: &str) -> std::collections::HashMap<&'static str, String> {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(base).await.expect("connect");
    let mut out = std::collections::HashMap::new();
    for s in ["store", "poll", "group"] {
        let name = format!("bench_{s}_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}")))
            .execute(&mut c)
            .await
            .expect("schema");
        out.insert(s, name);
    }
    out
}

async fn drop_schemas(base: &str, schemas: &std::collections::HashMap<&'static str, String>) {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(base).await.expect("connect");
    for name in schemas.values() {
        sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA {name} CASCADE")))
            .execute(&mut c)
            .await
            .ok();
    }
}
