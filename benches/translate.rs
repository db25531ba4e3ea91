//! Mapping speed: translating a typical published payload per bundled vendor (target: single-digit
//! microseconds), the whole front half of one load-benchmark webhook after its signature check
//! (parse, translate, validate, serialize: `ingest::prepare`), and loading + compiling 200 mapping
//! files from disk (target: well under a second).
//! Run: `cargo bench --bench translate -- --warm-up-time 1 --measurement-time 3`.

use assessment_relay::domain::Headers;
use assessment_relay::ingest::{prepare, Context, Prepared, StoredRoute};
use assessment_relay::mapping::{translate, CompiledMapping, RouteParams, TranslateInput};
use assessment_relay::signature::{MapSecrets, VerifierContext};
use assessment_relay::stackone::ResultValidator;
use assessment_relay::vendors::{load_file, LoadOptions};
use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::{json, Value};
use std::hint::black_box;
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The payload each vendor is measured with: its richest published sample.
const TYPICAL: [(&str, &str); 6] = [
    ("codesignal", "company-test-session-finished"),
    ("hackerearth", "candidate-test-finished"),
    ("qualified", "assessment-result-submitted"),
    ("imocha", "complete"),
    ("testdome", "completed"),
    ("coderbyte", "assessment-completed"),
];

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).expect("readable fixture")).expect("JSON")
}

fn translate_per_vendor(c: &mut Criterion) {
    let mut group = c.benchmark_group("translate");
    for (vendor, case) in TYPICAL {
        let (_, mapping) = CompiledMapping::load(&repo().join(format!("mappings/{vendor}.json")))
            .expect("bundled mapping loads");
        let dir = repo().join(format!("tests/fixtures/{vendor}"));
        let payload = read_json(&dir.join(format!("{case}.json")));
        let context = dir.join(format!("{case}.context.json"));
        let mut headers = Headers::new();
        if context.exists() {
            if let Some(h) = read_json(&context)["headers"].as_object() {
                for (k, v) in h {
                    headers.push(k, v.as_str().unwrap_or_default());
                }
            }
        }
        let route = RouteParams::default();
        let input = TranslateInput {
            payload: &payload,
            headers: &headers,
            route: &route,
            received_at: Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap(),
        };
        group.bench_function(vendor, |b| {
            b.iter(|| translate(black_box(&mapping), black_box(&input)).expect("translates"))
        });
    }
    group.finish();
}

/// One event of `bench/run.sh` (as `bench/gen_events.py` writes it, ~1.5 KB), through the load
/// benchmark's mapping: what an HTTP worker does per webhook between the signature check and
/// handing the job to the store.
fn prepare_bench_event(c: &mut Criterion) {
    let secrets = MapSecrets::new().with("BENCH", "bench-secret-0123456789");
    let opts = LoadOptions {
        secrets: &secrets,
        verifier: &VerifierContext::default(),
        public_url: None,
    };
    let vendor = load_file(&repo().join("bench/mappings/bench.json"), opts).expect("loads");
    let body = json!({
        "event": "assessment.completed",
        "event_id": "evt-000000007",
        "order_id": "ord-000000007",
        "account_id": "acct-bench",
        "candidate": {"id": "cand-7", "email": "candidate7@example.com"},
        "score": {"points": 77, "max": 100},
        "status": "passed",
        "started_at": "2026-11-29T10:00:00Z",
        "submitted_at": "2026-11-29T10:58:00Z",
        "report_url": "https://vendor.example.com/reports/7",
        "feedback": "x".repeat(900),
    })
    .to_string()
    .into_bytes();
    let headers: Headers = [("content-type", "application/json")].into_iter().collect();
    let route = StoredRoute::default();
    let ctx = Context {
        vendor: &vendor,
        headers: &headers,
        route: &route,
        received_at: Utc.with_ymd_and_hms(2026, 11, 29, 11, 0, 0).unwrap(),
        request_id: "01a22d9a-8bd6-7404-931b-ffcd8790d016",
    };
    let validator = ResultValidator::bundled();
    assert!(matches!(
        prepare(ctx, &body, &validator),
        Ok(Prepared::Job(_))
    ));
    c.bench_function("prepare_bench_event", |b| {
        b.iter(|| prepare(black_box(ctx), black_box(&body), &validator))
    });
}

/// 200 files cycling through the bundled mappings, each renamed (vendor member = file stem).
fn two_hundred_files(dir: &Path) -> Vec<PathBuf> {
    (0..200)
        .map(|i| {
            let (vendor, _) = TYPICAL[i % TYPICAL.len()];
            let mut doc = read_json(&repo().join(format!("mappings/{vendor}.json")));
            let name = format!("{vendor}-{i}");
            doc["vendor"] = Value::String(name.clone());
            let path = dir.join(format!("{name}.json"));
            std::fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
            path
        })
        .collect()
}

fn load_200_files(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = two_hundred_files(dir.path());
    c.bench_function("load_and_compile_200_files", |b| {
        b.iter(|| {
            for f in &files {
                black_box(CompiledMapping::load(f).expect("loads"));
            }
        })
    });
}

criterion_group!(
    benches,
    translate_per_vendor,
    prepare_bench_event,
    load_200_files
);
criterion_main!(benches);
