//! JWT, HTTP Basic, static tokens, IP allow-lists, callback tokens and combinations: what passes
//! and the exact code of what does not.

use super::published::CODERBYTE_JWT;
use super::support::{compile, vendor, Request};
use crate::signature::{CallbackBinding, MapSecrets, Verifier, VerifierContext};
use base64::Engine as _;
use serde_json::{json, Value};

const BODY: &[u8] = br#"{"organization_id":"coderbyteengineering"}"#;

fn coderbyte(extra: Value) -> Verifier {
    let mut auth = json!({"scheme": "jwt", "issuer": "coderbyteengineering"});
    auth.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    compile(
        "coderbyte",
        auth,
        &MapSecrets::new().with("CODERBYTE", "coderbyte-api-key"),
    )
}

fn bearer(token: &str, now: i64) -> Request {
    Request::new(BODY, now).header("Authorization", &format!("Bearer {token}"))
}

#[test]
fn a_jwt_passes_until_exp_plus_leeway_then_is_expired() {
    let v = coderbyte(json!({}));
    // CODERBYTE_JWT: iat 1700000000, exp 1700000300; default leeway 60 s.
    assert!(bearer(CODERBYTE_JWT, 1700000360).check(&v).is_ok());
    let e = v
        .verify(&bearer(CODERBYTE_JWT, 1700000361).with())
        .unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        ("token_expired", "JWT expired 61 s ago; leeway 60 s")
    );
}

#[test]
fn a_jwt_older_than_max_age_is_expired() {
    let v = coderbyte(json!({"max_age_s": 100, "leeway_s": 0}));
    assert!(bearer(CODERBYTE_JWT, 1700000100).check(&v).is_ok());
    assert_eq!(bearer(CODERBYTE_JWT, 1700000101).code(&v), "token_expired");
}

#[test]
fn a_jwt_from_another_issuer_is_invalid() {
    let v = compile(
        "coderbyte",
        json!({"scheme": "jwt", "issuer": "acme"}),
        &MapSecrets::new().with("CODERBYTE", "coderbyte-api-key"),
    );
    let e = v
        .verify(&bearer(CODERBYTE_JWT, 1700000000).with())
        .unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        ("token_invalid", "JWT iss is not the expected issuer")
    );
}

#[test]
fn a_jwt_under_another_key_or_with_a_changed_payload_is_invalid() {
    let v = compile(
        "coderbyte",
        json!({"scheme": "jwt"}),
        &MapSecrets::new().with("CODERBYTE", "other-key"),
    );
    assert_eq!(bearer(CODERBYTE_JWT, 1700000000).code(&v), "token_invalid");
    let v = coderbyte(json!({}));
    let mut parts: Vec<String> = CODERBYTE_JWT.split('.').map(str::to_owned).collect();
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(r#"{"iss":"coderbyteengineering","exp":9999999999}"#);
    assert_eq!(
        bearer(&parts.join("."), 1700000000).code(&v),
        "token_invalid"
    );
}

#[test]
fn a_jwt_with_alg_none_or_another_algorithm_is_invalid() {
    let v = coderbyte(json!({}));
    let none_header =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = CODERBYTE_JWT.split('.').nth(1).unwrap();
    assert_eq!(
        bearer(&format!("{none_header}.{payload}."), 1700000000).code(&v),
        "token_invalid"
    );
    let hs512 = compile(
        "coderbyte",
        json!({"scheme": "jwt", "algorithm": "HS512"}),
        &MapSecrets::new().with("CODERBYTE", "coderbyte-api-key"),
    );
    let e = hs512
        .verify(&bearer(CODERBYTE_JWT, 1700000000).with())
        .unwrap_err();
    assert_eq!(e.message(), "JWT is not signed with HS512");
}

#[test]
fn a_jwt_without_a_bearer_header_is_missing() {
    let v = coderbyte(json!({}));
    assert_eq!(Request::new(BODY, 0).code(&v), "token_missing");
    let basic = Request::new(BODY, 0).header("Authorization", "Basic dXNlcjpwYXNz");
    assert_eq!(basic.code(&v), "token_missing");
    assert_eq!(bearer("not.a.jwt", 0).code(&v), "token_invalid");
}

fn jwt_with(claims: Value) -> String {
    let key = jsonwebtoken::EncodingKey::from_secret(b"coderbyte-api-key").unwrap();
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap()
}

#[test]
fn required_claims_are_enforced() {
    let no_exp = jwt_with(json!({"iss": "coderbyteengineering", "iat": 1700000000}));
    assert!(bearer(&no_exp, 1700000000)
        .check(&coderbyte(json!({})))
        .is_ok());
    let e = coderbyte(json!({"require_exp": true}))
        .verify(&bearer(&no_exp, 1700000000).with())
        .unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        ("token_invalid", "JWT has no exp claim")
    );
    let no_iat = jwt_with(json!({"iss": "coderbyteengineering"}));
    let e = coderbyte(json!({"max_age_s": 10}))
        .verify(&bearer(&no_iat, 1700000000).with())
        .unwrap_err();
    assert_eq!(e.message(), "JWT has no iat claim (max_age_s needs it)");
    let not_yet = jwt_with(json!({"iss": "coderbyteengineering", "nbf": 1700000100}));
    assert_eq!(
        bearer(&not_yet, 1700000000).code(&coderbyte(json!({}))),
        "token_invalid"
    );
    assert!(bearer(&not_yet, 1700000040)
        .check(&coderbyte(json!({})))
        .is_ok());
    let no_iss = jwt_with(json!({"exp": 1700000300}));
    assert_eq!(
        bearer(&no_iss, 1700000000).code(&coderbyte(json!({}))),
        "token_invalid"
    );
}

#[test]
fn signed_jwts_round_trip_with_the_issuer_taken_from_the_body() {
    let v = compile(
        "coderbyte",
        json!({"scheme": "jwt", "issuer_json": "$.organization_id", "require_exp": true, "max_age_s": 300}),
        &MapSecrets::new().with("CODERBYTE", "k"),
    );
    let signed = v.sign(BODY, 1_700_000_000_000, None).unwrap();
    assert_eq!(signed.headers[0].0, "Authorization");
    assert!(signed.headers[0].1.starts_with("Bearer ey"));
    assert!(Request::new(BODY, 1_700_000_299)
        .headers(&signed.headers)
        .check(&v)
        .is_ok());
    assert_eq!(
        Request::new(BODY, 1_700_000_361)
            .headers(&signed.headers)
            .code(&v),
        "token_expired"
    );
    let e = v
        .verify(
            &Request::new(b"{}", 1_700_000_000)
                .headers(&signed.headers)
                .with(),
        )
        .unwrap_err();
    assert_eq!(e.message(), "$.organization_id is missing from the body");
}

fn basic() -> Verifier {
    compile(
        "acme",
        json!({"scheme": "basic"}),
        &MapSecrets::new().with("ACME", "relay:old-pass,relay:new-pass"),
    )
}

fn basic_request(userpass: &str) -> Request {
    let b64 = base64::engine::general_purpose::STANDARD.encode(userpass);
    Request::new(b"{}", 0).header("Authorization", &format!("Basic {b64}"))
}

#[test]
fn basic_credentials_pass_with_any_configured_password() {
    assert_eq!(basic_request("relay:new-pass").check(&basic()), Ok("basic"));
    assert_eq!(basic_request("relay:old-pass").check(&basic()), Ok("basic"));
    let signed = basic().sign(b"{}", 0, None).unwrap();
    assert_eq!(
        signed.headers,
        [("Authorization".into(), "Basic cmVsYXk6b2xkLXBhc3M=".into())]
    );
}

#[test]
fn a_bad_basic_password_is_credentials_invalid() {
    let e = basic()
        .verify(&basic_request("relay:guess").with())
        .unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        ("credentials_invalid", "user or password is wrong")
    );
    let garbage = Request::new(b"{}", 0).header("Authorization", "Basic %%%");
    assert_eq!(garbage.code(&basic()), "credentials_invalid");
}

#[test]
fn absent_basic_credentials_are_credentials_missing() {
    assert_eq!(Request::new(b"{}", 0).code(&basic()), "credentials_missing");
    let bearer = Request::new(b"{}", 0).header("Authorization", "Bearer relay:new-pass");
    assert_eq!(bearer.code(&basic()), "credentials_missing");
}

#[test]
fn a_basic_secret_without_a_colon_is_a_config_error() {
    let e = super::support::try_compile(
        "acme",
        json!({"scheme": "basic"}),
        &MapSecrets::new().with("ACME", "nopass"),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "auth.secret: RELAY_SECRET_ACME must be user:password"
    );
}

#[test]
fn header_tokens_need_the_right_value_after_the_prefix() {
    let v = compile(
        "acme",
        json!({"scheme": "token", "header": "X-Relay-Token", "prefix": "Bearer "}),
        &MapSecrets::new().with("ACME", "t0k3n"),
    );
    assert_eq!(
        Request::new(b"", 0)
            .header("X-Relay-Token", "Bearer t0k3n")
            .check(&v),
        Ok("token")
    );
    assert_eq!(
        Request::new(b"", 0)
            .header("x-relay-token", "bearer t0k3n")
            .check(&v),
        Ok("token")
    );
    assert_eq!(
        Request::new(b"", 0)
            .header("X-Relay-Token", "Bearer t0k3")
            .code(&v),
        "token_invalid"
    );
    assert_eq!(
        Request::new(b"", 0)
            .header("X-Relay-Token", "t0k3n")
            .code(&v),
        "token_missing"
    );
    assert_eq!(Request::new(b"", 0).code(&v), "token_missing");
    assert_eq!(
        v.sign(b"", 0, None).unwrap().headers,
        [("X-Relay-Token".into(), "Bearer t0k3n".into())]
    );
}

#[test]
fn a_token_in_the_wrong_place_is_token_missing() {
    let v = compile(
        "acme",
        json!({"scheme": "token", "query": "token"}),
        &MapSecrets::new().with("ACME", "a b+c"),
    );
    let signed = v.sign(b"", 0, None).unwrap();
    assert_eq!(signed.query, "token=a%20b%2Bc");
    let ok = Request {
        query: signed.query.clone(),
        ..Request::new(b"", 0)
    };
    assert_eq!(ok.check(&v), Ok("token"));
    let in_header = Request::new(b"", 0)
        .header("token", "a b+c")
        .header("X-Relay-Token", "a b+c");
    assert_eq!(in_header.code(&v), "token_missing");
    let wrong = Request {
        query: "token=nope".into(),
        ..Request::new(b"", 0)
    };
    assert_eq!(wrong.code(&v), "token_invalid");
}

fn allowlist(trusted: &[&str]) -> Verifier {
    let ctx = VerifierContext {
        trusted_proxies: trusted.iter().map(|t| t.parse().unwrap()).collect(),
    };
    Verifier::compile(&vendor("testdome"), &json!({"scheme": "ip_allowlist", "allow": ["13.69.68.17", "10.1.0.0/16", "2001:db8::/32"]}), &MapSecrets::new(), &ctx).unwrap()
}

fn from_peer(peer: &str, xff: &[&str]) -> Request {
    let mut r = Request::new(b"", 0);
    r.peer = Some(peer.parse().unwrap());
    for x in xff {
        r = r.header("X-Forwarded-For", x);
    }
    r
}

#[test]
fn a_peer_in_the_list_passes_and_one_outside_is_not_allowed() {
    let v = allowlist(&[]);
    assert_eq!(from_peer("13.69.68.17", &[]).check(&v), Ok("ip_allowlist"));
    assert!(from_peer("10.1.200.3", &[]).check(&v).is_ok());
    assert!(from_peer("::ffff:13.69.68.17", &[]).check(&v).is_ok());
    assert!(from_peer("2001:db8::7", &[]).check(&v).is_ok());
    let e = v.verify(&from_peer("13.69.68.18", &[]).with()).unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        ("ip_not_allowed", "13.69.68.18 is not in the allow-list")
    );
    assert_eq!(Request::new(b"", 0).code(&v), "ip_not_allowed");
}

#[test]
fn a_spoofed_forwarded_for_from_an_untrusted_peer_is_ignored() {
    let v = allowlist(&["10.9.0.0/16"]);
    assert_eq!(
        from_peer("203.0.113.9", &["13.69.68.17"]).code(&v),
        "ip_not_allowed"
    );
}

#[test]
fn behind_trusted_proxies_the_rightmost_untrusted_forwarded_address_is_checked() {
    let v = allowlist(&["10.9.0.0/16"]);
    assert!(from_peer("10.9.0.1", &["13.69.68.17"]).check(&v).is_ok());
    // A client-supplied left-most entry is not believed: the proxy appended the real address.
    assert_eq!(
        from_peer("10.9.0.1", &["13.69.68.17, 203.0.113.9"]).code(&v),
        "ip_not_allowed"
    );
    // Chains of trusted proxies, across several headers, are skipped.
    assert!(
        from_peer("10.9.0.1", &["198.51.100.1, 13.69.68.17", "10.9.0.2"])
            .check(&v)
            .is_ok()
    );
    assert_eq!(
        from_peer("10.9.0.1", &["13.69.68.17, garbage"]).code(&v),
        "ip_not_allowed"
    );
    // No X-Forwarded-For: the proxy itself is the client.
    assert_eq!(from_peer("10.9.0.1", &[]).code(&v), "ip_not_allowed");
    assert!(allowlist(&[])
        .sign(b"", 0, None)
        .unwrap()
        .headers
        .is_empty());
}

#[test]
fn callback_token_needs_a_resolved_callback_binding() {
    let v = compile(
        "imocha",
        json!({"scheme": "callback_token"}),
        &MapSecrets::new(),
    );
    assert_eq!(v.missing_secret(), None);
    let e = v.verify(&Request::new(b"{}", 0).with()).unwrap_err();
    assert_eq!(e.code(), "token_missing");
    let mut req = Request::new(b"{}", 0);
    req.callback = Some(CallbackBinding {
        order_id: "o1".into(),
        account_id: "a1".into(),
    });
    assert_eq!(req.check(&v), Ok("callback_token"));
    assert_eq!(v.sign(b"{}", 0, None).unwrap(), Default::default());
}

#[test]
fn none_passes_everything() {
    let v = compile("qualified", json!({"scheme": "none"}), &MapSecrets::new());
    assert_eq!(Request::new(b"anything", 0).check(&v), Ok("none"));
    assert_eq!(v.describe(), "none (no authentication)");
}

#[test]
fn every_scheme_of_an_array_must_pass() {
    let ctx = VerifierContext::default();
    let v = Verifier::compile(
        &vendor("testdome"),
        &json!([{"scheme": "ip_allowlist", "allow": ["13.69.68.17"]}, {"scheme": "token", "query": "token"}]),
        &MapSecrets::new().with("TESTDOME", "s3cret"),
        &ctx,
    )
    .unwrap();
    let signed = v.sign(b"", 0, None).unwrap();
    let mut req = Request {
        query: signed.query,
        ..from_peer("13.69.68.17", &[])
    };
    assert_eq!(req.check(&v), Ok("ip_allowlist"));
    req.peer = Some("1.1.1.1".parse().unwrap());
    assert_eq!(req.code(&v), "ip_not_allowed");
    let no_token = from_peer("13.69.68.17", &[]);
    assert_eq!(no_token.code(&v), "token_missing");
    assert_eq!(
        v.describe(),
        "ip_allowlist 13.69.68.17/32 + token in query parameter token"
    );
}
