//! Vendors for tests: their secrets, the fixture cases, editable copies of the mappings with
//! the test vendors added, and signing as a vendor outside an app.

use super::{bundled_mappings, repo, Options};
use assessment_relay::demo::fixtures::{self, Case};
use assessment_relay::domain::VendorId;
use assessment_relay::signature::{MapSecrets, Signed, VerifierContext};
use assessment_relay::vendors::{load_file, LoadOptions};
use std::path::Path;

/// The secret tests give vendor `v` (hex: valid as raw text and as base64).
pub fn secret_for(v: &str) -> String {
    hex::encode(format!("test-secret-{v}"))
}

/// Secrets for every bundled vendor and every file in `dir`.
pub fn secrets_for(dir: &Path) -> MapSecrets {
    let mut s = MapSecrets::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if let Some(stem) = name
            .strip_suffix(".json")
            .filter(|n| !n.ends_with(".schema"))
        {
            if let Ok(id) = VendorId::parse(stem) {
                s = s.with(&id.env_suffix(), secret_for(stem));
            }
        }
    }
    s
}

/// Every bundled fixture case.
pub fn cases() -> Vec<Case> {
    fixtures::load(&repo().join("tests/fixtures")).expect("fixtures load")
}

/// The bundled fixture case `name` of `vendor`.
pub fn case(vendor: &str, name: &str) -> Case {
    cases()
        .into_iter()
        .find(|c| c.vendor == vendor && c.name == name)
        .unwrap_or_else(|| panic!("fixture {vendor}/{name}"))
}

/// A copy of the bundled mappings in a temp dir, to edit in a test.
pub fn mappings_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(bundled_mappings()).unwrap().flatten() {
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    dir
}

/// A mappings folder with the bundled vendors plus the test vendors of `tests/api/mappings`
/// (`acme`: generic HMAC over `{timestamp}.{body}`, identity in the payload).
pub fn test_mappings() -> tempfile::TempDir {
    let dir = mappings_copy();
    for e in std::fs::read_dir(repo().join("tests/api/mappings"))
        .unwrap()
        .flatten()
    {
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    dir
}

/// Options for an app that serves the test vendors too (keep the `TempDir` alive).
pub fn with_test_vendors() -> (tempfile::TempDir, Options) {
    let dir = test_mappings();
    let o = Options {
        mappings: Some(dir.path().to_owned()),
        ..Options::default()
    };
    (dir, o)
}

/// An `acme` event (see `tests/api/mappings/acme.json`).
pub fn acme_event(id: &str, order: &str, status: &str) -> Vec<u8> {
    serde_json::json!({"id": id, "type": "completed", "order": order, "account": "acct-1", "score": 80, "divisor": 1, "status": status})
        .to_string()
        .into_bytes()
}

/// Signs `body` as vendor `name` of `dir` would with `secret` at `now_ms`.
pub fn sign_with(dir: &Path, name: &str, secret: &str, body: &[u8], now_ms: i64) -> Signed {
    let ctx = VerifierContext::default();
    let id = VendorId::parse(name).unwrap();
    let secrets = MapSecrets::new().with(&id.env_suffix(), secret);
    let v = load_file(
        &dir.join(format!("{name}.json")),
        LoadOptions {
            secrets: &secrets,
            verifier: &ctx,
            public_url: None,
        },
    )
    .unwrap();
    v.verifier.sign(body, now_ms, None).unwrap()
}
