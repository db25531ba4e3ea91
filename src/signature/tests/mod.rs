//! Behaviour of whole `auth` sections through the public API: the providers' published examples,
//! every rejection with its code, configuration errors, and agreement with the JSON Schema.

mod support;

#[test]
fn a_verifier_can_be_shared_between_worker_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<crate::signature::Verifier>();
}
mod codesignal;
mod config;
mod credentials;
mod explaining;
mod ip_allowlist;
mod jwt;
mod published;
mod rejections;
mod schema;
mod secrets;
mod timestamps;

#[test]
fn debug_output_of_a_verifier_never_shows_a_key() {
    use crate::signature::MapSecrets;
    use serde_json::json;
    let secrets = MapSecrets::new().with("ACME", "hunter2-key,user:hunter2-pass");
    for auth in [
        json!({"scheme": "github"}),
        json!({"scheme": "jwt"}),
        json!({"scheme": "token", "header": "X-T"}),
    ] {
        let v = support::compile("acme", auth, &secrets);
        let debug = format!("{v:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(
            debug.contains("RELAY_SECRET_ACME") || debug.contains("2 keys"),
            "{debug}"
        );
    }
    let basic = support::compile(
        "acme",
        json!({"scheme": "basic"}),
        &MapSecrets::new().with("ACME", "u:hunter2"),
    );
    assert!(!format!("{basic:?}").contains("hunter2"));
}
