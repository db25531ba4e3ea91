//! `mappings/auth.schema.json` (what editors complete and `check` may pre-validate) must agree
//! with `Verifier::compile` (what the relay enforces) on every structural question. Cross-member
//! rules the schema cannot express (a timestamp must be signed, an id must be used) are only
//! enforced by `compile`; those are listed apart.

use super::support::try_compile;
use crate::signature::MapSecrets;
use serde_json::{json, Value};

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(include_str!("../../../mappings/auth.schema.json"))
        .expect("schema is JSON");
    jsonschema::draft202012::new(&schema).expect("schema compiles")
}

fn valid() -> Vec<Value> {
    let mut v = vec![
        json!({"scheme": "none"}),
        json!({"scheme": "callback_token"}),
        json!({"scheme": "github"}),
        json!({"scheme": "shopify", "secret": {"env": "SHOP_2"}}),
        json!({"scheme": "codesignal", "timestamp": {"tolerance_s": 345600, "allow_future": false}}),
        json!({"scheme": "svix", "secret": {"encoding": "raw"}}),
        json!({"scheme": "hmac", "algorithm": "sha256", "header": "HE-Signature", "format": "kv", "pair_separator": ";", "signature_key": "h1",
               "signed": "{timestamp}.{body}", "timestamp": {"source": "kv", "name": "ts", "unit": "s", "tolerance_s": 600}}),
        json!({"scheme": "hmac", "algorithm": "sha512", "header": "X-Sig", "encoding": "base64", "format": "versioned", "version": "v2",
               "signed": "{id}.{timestamp}.{body}", "id": {"header": "X-Id"}, "timestamp": {"source": "header", "name": "X-Ts"}}),
        json!({"scheme": "hmac", "algorithm": "sha1", "header": "X-Hub-Signature", "prefix": "sha1="}),
        json!({"scheme": "jwt"}),
        json!({"scheme": "jwt", "header": "X-Token", "algorithm": "HS512", "issuer": "acme", "issuer_json": "$.org", "require_exp": true, "max_age_s": 300, "leeway_s": 0}),
        json!({"scheme": "basic"}),
        json!({"scheme": "token", "header": "X-Relay-Token", "prefix": "Bearer "}),
        json!({"scheme": "token", "query": "token"}),
        json!({"scheme": "ip_allowlist", "allow": ["13.69.68.17", "10.0.0.0/8", "2001:db8::/32"]}),
        json!([{"scheme": "ip_allowlist", "allow": ["13.69.68.17"]}, {"scheme": "token", "query": "token"}]),
    ];
    for p in [
        "standard-webhooks",
        "svix",
        "stripe",
        "slack",
        "hackerearth",
        "codesignal",
    ] {
        v.push(json!({"scheme": p, "timestamp": {"tolerance_s": 60}}));
    }
    v
}

fn invalid() -> Vec<Value> {
    vec![
        json!("github"),
        json!([]),
        json!({}),
        json!({"scheme": "md5"}),
        json!({"scheme": "none", "secret": {}}),
        json!({"scheme": "github", "algorithm": "sha1"}),
        json!({"scheme": "github", "timestamp": {"tolerance_s": 60}}),
        json!({"scheme": "stripe", "timestamp": {"source": "header"}}),
        json!({"scheme": "stripe", "timestamp": {"tolerance_s": 0}}),
        json!({"scheme": "hmac", "header": "X"}),
        json!({"scheme": "hmac", "algorithm": "md5", "header": "X"}),
        json!({"scheme": "hmac", "algorithm": "sha256"}),
        json!({"scheme": "hmac", "algorithm": "sha256", "header": "X Y"}),
        json!({"scheme": "hmac", "algorithm": "sha256", "header": "X", "encoding": "base32"}),
        json!({"scheme": "hmac", "algorithm": "sha256", "header": "X", "signature_key": "v1"}),
        json!({"scheme": "hmac", "algorithm": "sha256", "header": "X", "format": "kv", "version": "v1"}),
        json!({"scheme": "hmac", "algorithm": "sha256", "header": "X", "tolerance_s": 5}),
        json!({"scheme": "hmac", "algorithm": "sha256", "header": "X", "signed": "{timestamp}", "timestamp": {"source": "clock", "name": "t"}}),
        json!({"scheme": "hmac", "algorithm": "sha256", "header": "X", "signed": "{timestamp}", "timestamp": {"name": "t"}}),
        json!({"scheme": "hmac", "algorithm": "sha256", "header": "X", "signed": "{timestamp}", "timestamp": {"source": "header", "name": "t", "unit": "us"}}),
        json!({"scheme": "hmac", "algorithm": "sha256", "header": "X", "secret": {"env": "lower"}}),
        json!({"scheme": "hmac", "algorithm": "sha256", "header": "X", "secret": {"encoding": "hex"}}),
        json!({"scheme": "jwt", "algorithm": "RS256"}),
        json!({"scheme": "jwt", "issuer_json": "organization_id"}),
        json!({"scheme": "jwt", "leeway_s": -1}),
        json!({"scheme": "jwt", "audience": "x"}),
        json!({"scheme": "token"}),
        json!({"scheme": "token", "header": "X", "query": "t"}),
        json!({"scheme": "token", "query": "t", "prefix": "Bearer "}),
        json!({"scheme": "ip_allowlist"}),
        json!({"scheme": "ip_allowlist", "allow": []}),
        json!({"scheme": "basic", "header": "X"}),
        json!([{"scheme": "callback_token"}, 3]),
    ]
}

#[test]
fn the_schema_accepts_what_compile_accepts() {
    let schema = validator();
    for auth in valid() {
        assert!(schema.is_valid(&auth), "schema refuses {auth}");
        assert!(
            try_compile("acme", auth.clone(), &MapSecrets::new()).is_ok(),
            "compile refuses {auth}"
        );
    }
}

#[test]
fn the_schema_refuses_what_compile_refuses() {
    let schema = validator();
    for auth in invalid() {
        assert!(!schema.is_valid(&auth), "schema accepts {auth}");
        assert!(
            try_compile("acme", auth.clone(), &MapSecrets::new()).is_err(),
            "compile accepts {auth}"
        );
    }
}

#[test]
fn rules_across_members_are_enforced_by_compile_only() {
    let schema = validator();
    for auth in [
        json!({"scheme": "hmac", "algorithm": "sha256", "header": "X", "timestamp": {"source": "header", "name": "T"}}),
        json!({"scheme": "hmac", "algorithm": "sha256", "header": "X", "signed": "{id}"}),
        json!({"scheme": "hmac", "algorithm": "sha256", "header": "X", "signed": "{nope}"}),
        json!({"scheme": "ip_allowlist", "allow": ["10.0.0.300"]}),
        json!([{"scheme": "none"}, {"scheme": "callback_token"}]),
    ] {
        assert!(schema.is_valid(&auth), "schema refuses {auth}");
        assert!(
            try_compile("acme", auth.clone(), &MapSecrets::new()).is_err(),
            "compile accepts {auth}"
        );
    }
}

#[test]
fn the_schema_lists_every_scheme_and_preset_compile_knows() {
    let text = include_str!("../../../mappings/auth.schema.json");
    for name in crate::signature::parse::SCHEMES {
        assert!(
            text.contains(&format!("\"{name}\"")),
            "{name} missing from the schema"
        );
        if ![
            "none",
            "hmac",
            "jwt",
            "basic",
            "token",
            "ip_allowlist",
            "callback_token",
        ]
        .contains(name)
        {
            assert!(crate::signature::presets::is_preset(name), "{name}");
        }
    }
}
