//! `auth` sections that must not load, each reported with the member's path and a reason.

use super::support::{try_compile, vendor};
use crate::domain::Secret;
use crate::signature::{MapSecrets, SecretSource, Verifier, VerifierContext};
use serde_json::{json, Value};

fn error(auth: Value) -> String {
    match try_compile("acme", auth, &MapSecrets::new().with("ACME", "k")) {
        Ok(_) => panic!("section compiled"),
        Err(e) => e.to_string(),
    }
}

fn hmac(extra: Value) -> Value {
    let mut v = json!({"scheme": "hmac", "algorithm": "sha256", "header": "X-Sig"});
    v.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    v
}

#[test]
fn the_section_must_be_a_scheme_or_a_non_empty_list_of_schemes() {
    assert_eq!(
        error(json!("github")),
        "auth: must be an object or an array of objects"
    );
    assert_eq!(error(json!([])), "auth: must list at least one scheme");
    assert_eq!(error(json!({})), "auth.scheme: is required");
    assert_eq!(
        error(json!([{"scheme": "none"}, 3])),
        "auth[1]: must be an object"
    );
    assert_eq!(
        error(json!([{"scheme": "callback_token"}, {"scheme": "none"}])),
        "auth[1].scheme: none cannot be combined with other schemes"
    );
    assert!(error(json!({"scheme": "md5-hmac"}))
        .starts_with("auth.scheme: must be one of none, hmac, jwt,"));
}

#[test]
fn unknown_members_are_refused_at_every_level() {
    assert_eq!(
        error(hmac(json!({"foo": 1}))).split(" (").next().unwrap(),
        "auth.foo: unknown member"
    );
    assert!(
        error(json!({"scheme": "none", "secret": {}})).starts_with("auth.secret: unknown member")
    );
    assert!(error(hmac(json!({"signed": "{timestamp}.{body}", "timestamp": {"source": "header", "name": "T", "tolerence_s": 5}})))
        .starts_with("auth.timestamp.tolerence_s: unknown member (allowed here: allow_future, name, source, tolerance_s, unit)"));
    assert!(
        error(hmac(json!({"secret": {"env": "X", "encodng": "raw"}})))
            .starts_with("auth.secret.encodng: unknown member")
    );
    assert!(
        error(json!([{"scheme": "callback_token"}, {"scheme": "jwt", "audience": "x"}]))
            .starts_with("auth[1].audience: unknown member")
    );
}

#[test]
fn hmac_members_are_checked() {
    assert_eq!(
        error(json!({"scheme": "hmac", "header": "X"})),
        "auth.algorithm: is required (sha256, sha512 or sha1)"
    );
    assert_eq!(
        error(hmac(json!({"algorithm": "md5"}))),
        "auth.algorithm: must be one of sha256, sha512, sha1"
    );
    assert_eq!(
        error(json!({"scheme": "hmac", "algorithm": "sha256"})),
        "auth.header: is required"
    );
    assert_eq!(
        error(hmac(json!({"header": "X Sig"}))),
        "auth.header: is not a valid header name"
    );
    assert_eq!(
        error(hmac(json!({"encoding": "base32"}))),
        "auth.encoding: must be one of hex, base64"
    );
    assert_eq!(
        error(hmac(json!({"format": "kv", "kv_separator": ","}))),
        "auth.kv_separator: must differ from pair_separator"
    );
    assert_eq!(
        error(hmac(json!({"signature_key": "v1"}))),
        "auth.signature_key: only applies to format kv"
    );
    assert_eq!(
        error(hmac(json!({"format": "kv", "version": "v1"}))),
        "auth.version: only applies to format versioned"
    );
    assert_eq!(
        error(hmac(json!({"id": {"header": "Id"}}))),
        "auth.id: is configured but `signed` has no {id}"
    );
}

#[test]
fn jsonpaths_that_do_not_parse_are_refused_where_they_are_written() {
    assert!(error(hmac(json!({"signed": "{json:$.a[}"})))
        .starts_with("auth.signed: \"$.a[\" is not a valid JSONPath"));
    assert!(error(hmac(
        json!({"signed": "{body}", "timestamp": {"source": "json", "name": "$..[", "unit": "ms"}})
    ))
    .starts_with("auth.timestamp.name: \"$..[\" is not a valid JSONPath"));
    assert_eq!(
        error(json!({"scheme": "jwt", "issuer_json": "organization_id"})),
        "auth.issuer_json: \"organization_id\" is not a JSONPath (it must start with $)"
    );
}

#[test]
fn a_timestamp_must_be_configured_to_be_signed_and_signed_to_count() {
    assert_eq!(
        error(hmac(json!({"signed": "{timestamp}.{body}"}))),
        "auth.signed: uses {timestamp} but no timestamp is configured"
    );
    assert_eq!(
        error(hmac(json!({"signed": "{id}.{body}"}))),
        "auth.signed: uses {id} but no id is configured"
    );
    assert_eq!(
        error(hmac(
            json!({"timestamp": {"source": "header", "name": "X-Ts"}, "signed": "{body}"})
        )),
        "auth.timestamp: is not part of `signed`, so it proves nothing; add {timestamp} to signed"
    );
    assert!(try_compile("acme", hmac(json!({"timestamp": {"source": "header", "name": "X-Ts"}, "signed": "{header:x-ts}.{body}"})), &MapSecrets::new()).is_ok());
    assert_eq!(
        error(hmac(
            json!({"signed": "{timestamp}", "timestamp": {"source": "kv", "name": "t"}})
        )),
        "auth.timestamp.source: kv needs format kv"
    );
    assert_eq!(
        error(hmac(
            json!({"format": "kv", "signed": "{timestamp}", "timestamp": {"source": "kv", "name": "v1"}})
        )),
        "auth.timestamp.name: is the signature key"
    );
    assert_eq!(
        error(hmac(
            json!({"signed": "{timestamp}", "timestamp": {"source": "clock", "name": "t"}})
        )),
        "auth.timestamp.source: must be one of header, kv, json"
    );
    assert_eq!(
        error(hmac(
            json!({"signed": "{timestamp}", "timestamp": {"source": "header", "name": "t", "tolerance_s": 0}})
        )),
        "auth.timestamp.tolerance_s: must be an integer from 1 to 2592000"
    );
    assert_eq!(
        error(hmac(
            json!({"signed": "{timestamp}", "timestamp": {"source": "header", "name": "t", "unit": "us"}})
        )),
        "auth.timestamp.unit: must be one of s, ms"
    );
}

#[test]
fn preset_overrides_that_would_change_the_preset_are_refused() {
    assert_eq!(
        error(json!({"scheme": "github", "algorithm": "sha1"})),
        "auth.algorithm: cannot be set on preset github, which fixes it; write scheme hmac for a variant"
    );
    assert_eq!(
        error(json!({"scheme": "stripe", "header": "X-Sig"}))
            .split(':')
            .next()
            .unwrap(),
        "auth.header"
    );
    assert_eq!(
        error(json!({"scheme": "github", "timestamp": {"tolerance_s": 60}})),
        "auth.timestamp: preset github has no signed timestamp, so none can be checked"
    );
    assert_eq!(
        error(json!({"scheme": "stripe", "timestamp": {"source": "header"}})),
        "auth.timestamp.source: is fixed by preset stripe; only tolerance_s and allow_future can be set"
    );
    assert_eq!(
        error(json!({"scheme": "slack", "timestamp": {"tolerance_s": "600"}})),
        "auth.timestamp.tolerance_s: must be an integer from 1 to 2592000"
    );
    assert!(try_compile("acme", json!({"scheme": "codesignal", "timestamp": {"tolerance_s": 345600, "allow_future": false}, "secret": {"env": "CS"}}), &MapSecrets::new()).is_ok());
}

#[test]
fn token_jwt_and_allowlist_members_are_checked() {
    assert_eq!(
        error(json!({"scheme": "token"})),
        "auth.header: is required (or query)"
    );
    assert_eq!(
        error(json!({"scheme": "token", "header": "X-T", "query": "t"})),
        "auth.query: give either header or query, not both"
    );
    assert_eq!(
        error(json!({"scheme": "token", "query": "t", "prefix": "Bearer "})),
        "auth.prefix: only applies to a header token"
    );
    assert_eq!(
        error(json!({"scheme": "jwt", "algorithm": "RS256"})),
        "auth.algorithm: must be one of HS256, HS384, HS512"
    );
    assert_eq!(
        error(json!({"scheme": "jwt", "leeway_s": -1})),
        "auth.leeway_s: must be an integer from 0 to 3600"
    );
    assert_eq!(
        error(json!({"scheme": "ip_allowlist"})),
        "auth.allow: is required: an array of IP addresses or CIDR ranges"
    );
    assert_eq!(
        error(json!({"scheme": "ip_allowlist", "allow": []})),
        "auth.allow: must list at least one address"
    );
    assert_eq!(
        error(json!({"scheme": "ip_allowlist", "allow": ["10.0.0.0/8", "10.0.0.300"]})),
        "auth.allow[1]: is not an IP address or CIDR range"
    );
    assert_eq!(
        error(json!([{"scheme": "callback_token"}, {"scheme": "ip_allowlist", "allow": [7]}])),
        "auth[1].allow[0]: is not an IP address or CIDR range"
    );
}

#[test]
fn secret_members_and_values_are_checked() {
    assert_eq!(
        error(hmac(json!({"secret": {"env": "acme"}}))),
        "auth.secret.env: must be upper-case letters, digits and _ (it completes RELAY_SECRET_)"
    );
    assert_eq!(
        error(hmac(json!({"secret": {"encoding": "hex"}}))),
        "auth.secret.encoding: must be one of raw, base64, whsec"
    );
    let bad = try_compile(
        "acme",
        json!([{"scheme": "callback_token"}, {"scheme": "svix"}]),
        &MapSecrets::new().with("ACME", "whsec_!!"),
    );
    assert_eq!(
        bad.unwrap_err().to_string(),
        "auth[1].secret: RELAY_SECRET_ACME is not a whsec_ secret (whsec_ followed by base64)"
    );

    struct Unreadable;
    impl SecretSource for Unreadable {
        fn lookup(&self, suffix: &str) -> Result<Option<Secret>, String> {
            Err(format!(
                "RELAY_SECRET_{suffix}_FILE names a file that cannot be read: denied"
            ))
        }
    }
    let e = Verifier::compile(
        &vendor("acme"),
        &json!({"scheme": "github"}),
        &Unreadable,
        &VerifierContext::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "auth.secret: RELAY_SECRET_ACME_FILE names a file that cannot be read: denied"
    );
}
