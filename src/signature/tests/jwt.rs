//! JWT bearer tokens: expiry and leeway, issuer, key and algorithm, required claims, and signing
//! with the issuer taken from the body.

use super::published::CODERBYTE_JWT;
use super::support::{compile, Request};
use crate::signature::{MapSecrets, Verifier};
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
