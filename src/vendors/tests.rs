//! Loading a mappings folder: all or nothing, errors with file and field, disabled vendors.

use super::*;
use crate::signature::{MapSecrets, VerifierContext};
use std::path::Path;

fn bundled() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/mappings"))
}

fn opts<'a>(
    secrets: &'a MapSecrets,
    ctx: &'a VerifierContext,
    public_url: Option<&'a str>,
) -> LoadOptions<'a> {
    LoadOptions {
        secrets,
        verifier: ctx,
        public_url,
    }
}

fn copy_of_bundled() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(bundled()).unwrap().flatten() {
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    dir
}

#[test]
fn the_bundled_folder_loads_every_vendor_and_skips_the_schemas() {
    let (s, c) = (MapSecrets::new(), VerifierContext::default());
    let set = load_dir(bundled(), opts(&s, &c, Some("https://r.example"))).unwrap();
    let names: Vec<&str> = set.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(
        names,
        [
            "coderbyte",
            "codesignal",
            "hackerearth",
            "imocha",
            "qualified",
            "testdome"
        ]
    );
    assert!(set.get("mapping.schema").is_none() && set.get("auth.schema").is_none());
}

#[test]
fn a_vendor_without_its_secret_loads_disabled_and_says_which_variable() {
    let (s, c) = (MapSecrets::new(), VerifierContext::default());
    let set = load_dir(bundled(), opts(&s, &c, Some("https://r.example"))).unwrap();
    assert_eq!(
        set.get("hackerearth").unwrap().disabled.as_deref(),
        Some("RELAY_SECRET_HACKEREARTH is not set")
    );
    assert_eq!(
        set.get("imocha").unwrap().disabled,
        None,
        "callback URLs need no secret"
    );
    let s = MapSecrets::new().with("HACKEREARTH", "k");
    let set = load_dir(bundled(), opts(&s, &c, None)).unwrap();
    assert_eq!(set.get("hackerearth").unwrap().disabled, None);
}

#[test]
fn a_vendor_that_signs_its_url_is_disabled_without_a_public_url() {
    let (s, c) = (
        MapSecrets::new().with("CODESIGNAL", "k"),
        VerifierContext::default(),
    );
    let set = load_dir(bundled(), opts(&s, &c, None)).unwrap();
    assert!(set
        .get("codesignal")
        .unwrap()
        .disabled
        .as_deref()
        .unwrap()
        .contains("RELAY_PUBLIC_URL"));
}

#[test]
fn one_bad_file_fails_the_whole_folder_with_file_field_and_reason() {
    let dir = copy_of_bundled();
    std::fs::write(
        dir.path().join("acme.json"),
        r#"{"auth": {"scheme": "none"}, "rules": [{"name": "r", "result": {"summary": "$.a[" }}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("other.json"),
        r#"{"auth": {"scheme": "hmac"}, "rules": []}"#,
    )
    .unwrap();
    let (s, c) = (MapSecrets::new(), VerifierContext::default());
    let errors = load_dir(dir.path(), opts(&s, &c, None)).unwrap_err();
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        text.iter()
            .any(|e| e.contains("acme.json: rule \"r\", result.summary")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|e| e.contains("other.json")),
        "every bad file is reported: {text:?}"
    );
}

#[test]
fn a_file_name_that_is_not_a_vendor_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Bad Name.json"),
        r#"{"auth": {"scheme": "none"}, "rules": []}"#,
    )
    .unwrap();
    let (s, c) = (MapSecrets::new(), VerifierContext::default());
    let e = load_dir(dir.path(), opts(&s, &c, None)).unwrap_err();
    assert!(
        e[0].reason.contains("not a valid vendor name"),
        "{:?}",
        e[0]
    );
}

#[test]
fn vendor_lookup_never_matches_a_crafted_name() {
    let (s, c) = (MapSecrets::new(), VerifierContext::default());
    let set = load_dir(bundled(), opts(&s, &c, None)).unwrap();
    for name in [
        "../codesignal",
        "codesignal.json",
        "CODESIGNAL",
        "codesignal\0",
        "",
        "codesignal/",
    ] {
        assert!(set.get(name).is_none(), "{name:?}");
    }
}

#[test]
fn a_rejected_reload_keeps_the_running_set_and_reports_why() {
    let dir = copy_of_bundled();
    let r = Registry::load(
        dir.path(),
        std::sync::Arc::new(MapSecrets::new()),
        VerifierContext::default(),
        None,
    )
    .unwrap();
    let before = r.snapshot();
    std::fs::write(dir.path().join("qualified.json"), "{").unwrap();
    assert!(r.reload().is_err());
    assert!(
        std::sync::Arc::ptr_eq(&before, &r.snapshot()),
        "the running set stays"
    );
    let st = r.status();
    assert!(!st.ok && st.errors[0].contains("qualified.json"), "{st:?}");
    std::fs::remove_file(dir.path().join("qualified.json")).unwrap();
    assert_eq!(r.reload().unwrap(), 5);
    assert!(r.snapshot().get("qualified").is_none() && r.status().ok);
}
