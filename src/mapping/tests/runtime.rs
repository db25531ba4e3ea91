//! Payloads that cannot be translated: each fails with the rule, the field and a reason, and
//! without echoing payload values (the reason reaches logs and the vendor's 422 answer).

use super::*;

#[test]
fn division_by_zero_is_an_error_naming_the_field() {
    let m = with_result(json!({"score": {"value": {"div": ["$.score", "$.max"]}}}));
    let err = run(&m, &json!({"score": 5, "max": 0})).unwrap_err();
    assert_eq!(err.rule.as_deref(), Some("r"));
    assert_eq!(err.field, "result.score.value");
    assert!(err.reason.contains("division by zero"), "{err}");
}

#[test]
fn a_required_path_that_is_missing_is_an_error() {
    let e = json!({"path": "$.data.id", "required": true});
    assert!(
        value_error(e.clone(), json!({"data": {}})).contains("required value $.data.id is missing")
    );
    assert!(value_error(e.clone(), json!({"data": {"id": null}})).contains("is missing"));
    assert_eq!(value_of(e, json!({"data": {"id": "x"}})), json!("x"));
}

#[test]
fn arithmetic_on_text_from_the_payload_is_an_error() {
    let err = value_error(json!({"mul": ["$.s", 2]}), json!({"s": "12"}));
    assert!(err.contains("$.s: expected a number, got text"), "{err}");
    assert!(
        value_error(json!({"number": "$.s"}), json!({"s": "twelve"}))
            .contains("text is not a number")
    );
}

#[test]
fn a_structured_value_in_a_text_field_is_an_error_that_does_not_echo_it() {
    let m = with_result(json!({"summary": "$.data"}));
    let err = run(&m, &json!({"data": {"email": "jane@example.com"}})).unwrap_err();
    assert_eq!(err.field, "result.summary");
    assert_eq!(err.reason, "expected text or a number, got an object");
}

#[test]
fn an_unparseable_date_is_an_error_that_names_the_path_and_format_not_the_value() {
    let m = with_result(
        json!({"start_date": {"date": "$.AttemptedOn", "format": "%d-%b-%Y %I:%M %p", "timezone": "Asia/Kolkata"}}),
    );
    let err = run(&m, &json!({"AttemptedOn": "2020-10-09"})).unwrap_err();
    assert_eq!(err.field, "result.start_date");
    assert!(
        err.reason
            .contains("$.AttemptedOn: text does not match the format"),
        "{err}"
    );
    assert!(!err.reason.contains("2020-10-09"));
}

#[test]
fn an_offset_less_date_without_a_zone_is_an_error_at_translation() {
    let m = with_result(json!({"start_date": {"date": "$.d", "format": "rfc3339"}}));
    let err = run(&m, &json!({"d": "2020-10-09T13:21:53"})).unwrap_err();
    assert!(err.reason.contains("no UTC offset"), "{err}");
}

#[test]
fn passthrough_of_a_non_object_is_an_error() {
    let m = with_result(json!({"passthrough": "$.list"}));
    let err = run(&m, &json!({"list": [1]})).unwrap_err();
    assert_eq!(
        (err.field.as_str(), err.reason.as_str()),
        ("result.passthrough", "expected an object, got an array")
    );
}

#[test]
fn an_error_in_a_condition_names_the_when_of_its_rule() {
    let m = compile(json!({"rules": [{"name": "pct", "when": {"value": {"div": [1, "$.n"]}, "equals": 1}, "result": {"summary": "x"}}]})).unwrap();
    let err = run(&m, &json!({"n": 0})).unwrap_err();
    assert_eq!(
        (err.rule.as_deref(), err.field.as_str()),
        (Some("pct"), "when")
    );
}

#[test]
fn an_identity_error_names_the_identity_field() {
    let m = compile(json!({"identity": {"order_id": "$.o"}, "rules": [{"name": "r", "result": {"summary": "x"}}]})).unwrap();
    let err = run(&m, &json!({"o": ["a"]})).unwrap_err();
    assert_eq!(
        err.to_string(),
        "rule \"r\", identity.order_id: expected text or a number, got an array"
    );
}

#[test]
fn translation_is_deterministic() {
    let m = with_result(json!({"summary": {"template": "{$.a}-{$.b}"}, "passthrough": "$"}));
    let p = json!({"a": 1, "b": "two", "c": [1, 2]});
    assert_eq!(run(&m, &p).unwrap(), run(&m, &p).unwrap());
}
