//! HTTP Basic, static tokens, callback tokens and `none`: what passes and the exact code of what
//! does not.

use super::support::{compile, Request};
use crate::signature::{CallbackBinding, MapSecrets, Verifier};
use base64::Engine as _;
use serde_json::json;

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
