//! Settings parsing and validation.
use super::*;

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_apply_when_nothing_is_set() {
    let s = Settings::from_vars(vars(&[])).unwrap();
    assert_eq!(s.listen_addr, "0.0.0.0:8080");
    assert_eq!(s.max_body_bytes, 1_048_576);
    assert_eq!(s.forward_timeout_ms, 10_000);
    assert_eq!(s.database_url, "sqlite://./data/relay.db");
    assert_eq!(s.dedupe_window_s, 604_800);
    assert!(s.api_key.is_none());
}

#[test]
fn a_bad_value_names_its_variable() {
    let e = Settings::from_vars(vars(&[("RELAY_LISTEN_ADDR", "nope")])).unwrap_err();
    assert!(e.to_string().starts_with("RELAY_LISTEN_ADDR:"), "{e}");
    let e = Settings::from_vars(vars(&[("RELAY_MAX_BODY_BYTES", "lots")])).unwrap_err();
    assert!(e.to_string().starts_with("RELAY_MAX_BODY_BYTES: "), "{e}");
    let e = Settings::from_vars(vars(&[("RELAY_LOG_FORMAT", "xml")])).unwrap_err();
    assert!(
        e.to_string().starts_with("RELAY_LOG_FORMAT: ") && e.to_string().contains("xml"),
        "{e}"
    );
}

#[test]
fn thread_counts_must_be_at_least_one() {
    for name in ["RELAY_WORKERS", "RELAY_DELIVERY_THREADS"] {
        let e = Settings::from_vars(vars(&[(name, "0")])).unwrap_err();
        assert_eq!(e.to_string(), format!("{name}: must be at least 1"));
    }
    let s = Settings::from_vars(vars(&[("RELAY_DELIVERY_THREADS", "3")])).unwrap();
    assert_eq!(s.delivery_threads, Some(3));
}

#[test]
fn an_empty_value_means_unset() {
    let s = Settings::from_vars(vars(&[
        ("RELAY_ADMIN_TOKEN", ""),
        ("RELAY_PUBLIC_URL", ""),
        ("RELAY_MAX_BODY_BYTES", ""),
    ]))
    .unwrap();
    assert!(s.admin_token.is_none() && s.public_url.is_none());
    assert_eq!(s.max_body_bytes, 1_048_576);
}

#[test]
fn lists_are_comma_separated() {
    let s =
        Settings::from_vars(vars(&[("RELAY_TRUSTED_PROXIES", "10.0.0.0/8,127.0.0.1")])).unwrap();
    assert_eq!(s.trusted_proxy_nets().len(), 2);
    let e = Settings::from_vars(vars(&[("RELAY_TRUSTED_PROXIES", "10.0.0.0/8,nope")])).unwrap_err();
    assert!(e.to_string().starts_with("RELAY_TRUSTED_PROXIES"), "{e}");
}

#[test]
fn secrets_do_not_show_in_debug() {
    let s = Settings::from_vars(vars(&[
        ("RELAY_API_KEY", "sk_live_abc"),
        ("RELAY_ADMIN_TOKEN", "0123456789abcdef"),
    ]))
    .unwrap();
    let dbg = format!("{s:?}");
    assert!(
        !dbg.contains("sk_live_abc") && !dbg.contains("0123456789abcdef"),
        "{dbg}"
    );
}

#[test]
fn describe_lists_every_setting_with_secrets_redacted() {
    let s = Settings::from_vars(vars(&[("RELAY_API_KEY", "sk_live_abc")])).unwrap();
    let d = s.describe();
    assert!(d.contains(&("RELAY_API_KEY".into(), "[redacted]".into())));
    assert!(d.contains(&("RELAY_ADMIN_TOKEN".into(), String::new())));
    assert!(d.contains(&("RELAY_LISTEN_ADDR".into(), "0.0.0.0:8080".into())));
    assert!(!format!("{d:?}").contains("sk_live_abc"));
}

#[test]
fn the_lease_must_outlast_a_delivery() {
    let e = Settings::from_vars(vars(&[("RELAY_LEASE_MS", "5000")])).unwrap_err();
    assert!(e.to_string().starts_with("RELAY_LEASE_MS"), "{e}");
}
