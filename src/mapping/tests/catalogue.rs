//! The bundled catalogue: every mapping in `mappings/` loads, every fixture in
//! `tests/fixtures/{vendor}/` translates to its `.expected.json`, and every expected body is a
//! valid StackOne body. Events vendors document without a published sample are covered by the
//! vendor tests at the end, on the published samples with the one member changed.

use super::*;
use crate::stackone::ResultValidator;
use std::path::{Path, PathBuf};

pub(super) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `(vendor, path)` of every bundled mapping file.
pub(super) fn bundled_mappings() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(repo().join("mappings"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| !p.to_string_lossy().ends_with(".schema.json"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    out.sort();
    out
}

pub(super) fn read(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub(super) fn load(vendor: &str) -> CompiledMapping {
    let path = repo().join("mappings").join(format!("{vendor}.json"));
    CompiledMapping::load(&path)
        .unwrap_or_else(|e| panic!("{vendor}: {:#?}", messages(&e)))
        .1
}

struct Case {
    vendor: String,
    name: String,
    payload: Value,
    context: Value,
    expected: Option<Value>,
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for (vendor, _) in bundled_mappings() {
        let dir = repo().join("tests/fixtures").join(&vendor);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            let file = f.file_name().unwrap().to_string_lossy().into_owned();
            let Some(name) = file.strip_suffix(".json") else {
                continue;
            };
            if name.ends_with(".expected") || name.ends_with(".context") {
                continue;
            }
            let sibling = |kind: &str| dir.join(format!("{name}.{kind}.json"));
            out.push(Case {
                vendor: vendor.clone(),
                name: name.to_owned(),
                payload: read(&f),
                context: sibling("context")
                    .exists()
                    .then(|| read(&sibling("context")))
                    .unwrap_or(json!({})),
                expected: sibling("expected")
                    .exists()
                    .then(|| read(&sibling("expected"))),
            });
        }
    }
    out
}

fn request(context: &Value) -> Req {
    let mut req = Req::default();
    if let Some(h) = context["headers"].as_object() {
        for (k, v) in h {
            req.headers.push(k, v.as_str().unwrap());
        }
    }
    req.route.account_id = context["route_account_id"].as_str().map(str::to_owned);
    req
}

/// What the gateway would end up with: the translation's own id, else the registry entry or
/// callback binding the test creates first.
fn resolved(t: &Option<String>, context: &Value, key: &str) -> Value {
    match t {
        Some(v) => json!(v),
        None => ["registration", "callback"]
            .iter()
            .map(|s| context[s][key].clone())
            .find(|v| !v.is_null())
            .unwrap_or(Value::Null),
    }
}

/// The expected.json shape of a translation.
fn as_expected(t: Translation, context: &Value) -> Value {
    let m = match t {
        Translation::Ignored { .. } => return json!({"ignored": true}),
        Translation::Mapped(m) => m,
    };
    let mut out = json!({
        "rule": m.rule,
        "order_id": resolved(&m.order_id, context, "order_id"),
        "account_id": resolved(&m.account_id, context, "account_id"),
        "body": serde_json::to_value(&m.body).unwrap(),
    });
    for (k, v) in [
        ("event_id", &m.event_id),
        ("correlation_key", &m.correlation_key),
    ] {
        if let Some(v) = v {
            out[k] = json!(v);
        }
    }
    out
}

#[test]
fn every_bundled_mapping_loads_and_names_its_schema() {
    let all = bundled_mappings();
    assert!(all.len() >= 6, "{all:?}");
    for (vendor, path) in all {
        let (file, _) = CompiledMapping::load(&path)
            .unwrap_or_else(|e| panic!("{vendor}: {:#?}", messages(&e)));
        assert_eq!(file.vendor.as_deref(), Some(vendor.as_str()));
        assert_eq!(
            file.schema.as_deref(),
            Some("./mapping.schema.json"),
            "{vendor}"
        );
        assert!(
            !file.docs.is_empty() && file.description.is_some(),
            "{vendor} documents its sources"
        );
    }
}

#[test]
fn every_vendor_has_fixtures_and_every_fixture_has_an_expectation() {
    let cases = cases();
    for (vendor, _) in bundled_mappings() {
        assert!(
            cases.iter().any(|c| c.vendor == vendor
                && c.expected.as_ref().is_some_and(|e| e.get("body").is_some())),
            "{vendor} has no mapped fixture"
        );
    }
    let missing: Vec<String> = cases
        .iter()
        .filter(|c| c.expected.is_none())
        .map(|c| format!("{}/{}", c.vendor, c.name))
        .collect();
    assert!(
        missing.is_empty(),
        "fixtures without .expected.json: {missing:?}"
    );
}

#[test]
fn every_bundled_fixture_translates_to_its_expected_file() {
    let mut failures = Vec::new();
    for c in cases() {
        let Some(expected) = &c.expected else {
            continue;
        };
        let m = load(&c.vendor);
        let got = match run_with(&m, &c.payload, &request(&c.context)) {
            Ok(t) => as_expected(t, &c.context),
            Err(e) => json!({"error": e.to_string()}),
        };
        if &got != expected {
            failures.push(format!(
                "{}/{}:\n  got      {got}\n  expected {expected}",
                c.vendor, c.name
            ));
        }
        if let (Some(reg), Some(key)) = (
            c.context["registration"].as_object(),
            expected.get("correlation_key"),
        ) {
            assert_eq!(
                Some(key),
                reg.get("correlation_key"),
                "{}/{}: the registration is keyed by what the mapping yields",
                c.vendor,
                c.name
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_expected_body_is_a_valid_stackone_result() {
    let v = ResultValidator::bundled();
    for c in cases() {
        if let Some(body) = c.expected.as_ref().and_then(|e| e.get("body")) {
            assert_eq!(v.validate(body), Ok(()), "{}/{}", c.vendor, c.name);
            assert!(
                !body.as_object().unwrap().is_empty(),
                "{}/{}: empty body",
                c.vendor,
                c.name
            );
        }
    }
}

/// Translates a published fixture after `edit`, returning the outcome as expected.json.
pub(super) fn variant(vendor: &str, case: &str, edit: impl FnOnce(&mut Value)) -> Value {
    let mut payload = read(&repo().join(format!("tests/fixtures/{vendor}/{case}.json")));
    edit(&mut payload);
    as_expected(run(&load(vendor), &payload).unwrap(), &json!({}))
}
