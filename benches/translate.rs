//! Mapping speed: translating a typical published payload per bundled vendor (target: single-digit
//! microseconds), and loading + compiling 200 mapping files from disk (target: well under a
//! second). Run: `cargo bench --bench translate -- --warm-up-time 1 --measurement-time 3`.

use assessment_relay::domain::Headers;
use assessment_relay::mapping::{translate, CompiledMapping, RouteParams, TranslateInput};
use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use serde_json::Value;
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

criterion_group!(benches, translate_per_vendor, load_200_files);
criterion_main!(benches);
