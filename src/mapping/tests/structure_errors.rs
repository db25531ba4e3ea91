//! Load errors in the structure of a file: unknown members, conditions, rules and file-level
//! members, and that every error is reported at once.

use super::load_errors::has;
use super::*;

#[test]
fn an_unknown_member_anywhere_in_the_skeleton_is_refused() {
    for (file, field) in [
        (json!({"rules": [], "extra": 1}), "unknown field `extra`"),
        (
            json!({"rules": [{"name": "r", "result": {"score": {"val": 1}}}]}),
            "unknown field `val`",
        ),
        (
            json!({"rules": [{"name": "r", "wen": {}, "result": {}}]}),
            "unknown field `wen`",
        ),
        (
            json!({"identity": {"order": "$.o"}, "rules": []}),
            "unknown field `order`",
        ),
    ] {
        has(&messages(&compile(file).unwrap_err()), &[field]);
    }
}

#[test]
fn malformed_conditions_are_refused() {
    let when = |w: Value| match compile(
        json!({"rules": [{"name": "r", "when": w, "result": {"summary": "x"}}]}),
    ) {
        Ok(_) => Vec::new(),
        Err(e) => messages(&e),
    };
    has(
        &when(json!({"path": "$.e", "matches": "(unclosed"})),
        &["when.matches", "invalid regular expression"],
    );
    has(
        &when(json!({"path": "$.e"})),
        &["exactly one subject", "one check"],
    );
    has(
        &when(json!({"path": "$.e", "header": "X", "exists": true})),
        &["exactly one subject"],
    );
    has(
        &when(json!({"path": "$.e", "equals": null})),
        &["exists\": false"],
    );
    has(
        &when(json!({"header": "X-N", "equals": 5})),
        &["header values are text"],
    );
    has(
        &when(json!({"path": "$.e", "one_of": []})),
        &["non-empty list"],
    );
    has(
        &when(json!({"path": "$.e", "equal": "x"})),
        &["when.equal", "unknown member of a condition"],
    );
    has(
        &when(json!({"all": [], "not": {}})),
        &["when.not", "stands alone"],
    );
    has(
        &when(json!({"path": "e", "exists": true})),
        &["when.path", "starting with $"],
    );
}

#[test]
fn rule_level_mistakes_are_refused() {
    let errs = |rules: Value| messages(&compile(json!({"rules": rules})).unwrap_err());
    has(&errs(json!([])), &["rules: at least one rule"]);
    has(
        &errs(json!([{"name": "a", "result": {"summary": "x"}}, {"name": "a", "ignore": "y"}])),
        &["rules[1].name", "used by an earlier rule"],
    );
    has(
        &errs(json!([{"name": "a", "result": {"summary": "x"}}, {"name": "b", "ignore": "y"}])),
        &["rule \"b\"", "can never match", "rule \"a\""],
    );
    has(
        &errs(json!([{"name": "a"}])),
        &["exactly one of \"result\"", "\"ignore\""],
    );
    has(
        &errs(json!([{"name": "a", "result": {"summary": "x"}, "ignore": "y"}])),
        &["exactly one of"],
    );
    has(
        &errs(json!([{"name": "a", "result": {}}])),
        &["the result sets no field"],
    );
    has(
        &errs(json!([{"name": "a", "ignore": "y", "identity": {"order_id": "$.o"}}])),
        &["ignore rule sends nothing"],
    );
}

#[test]
fn file_level_mistakes_are_refused() {
    let rules = json!([{"name": "r", "result": {"summary": "x"}}]);
    has(
        &messages(
            &compile(json!({"response": {"accepted_status": 204}, "rules": rules})).unwrap_err(),
        ),
        &["response.accepted_status", "200 or 202"],
    );
    has(
        &messages(&compile(json!({"auth": null, "rules": rules})).unwrap_err()),
        &["auth: required"],
    );
    has(
        &messages(
            &compile(json!({"identity": {"order_id": {"header": "bad header"}}, "rules": rules}))
                .unwrap_err(),
        ),
        &["identity.order_id.header", "header name"],
    );
}

#[test]
fn every_error_in_a_file_is_reported_not_just_the_first() {
    let errs = messages(
        &compile(json!({"rules": [
            {"name": "a", "when": {"path": "$.e", "matches": "("}, "result": {"score": {"value": "$.["}, "result": {"value": "nope"}}},
            {"name": "b", "result": {"start_date": {"date": "$.d", "format": "%d/%m/%Y"}}}
        ]}))
        .unwrap_err(),
    );
    assert_eq!(errs.len(), 4, "{errs:#?}");
    has(&errs, &["rule \"a\", when.matches"]);
    has(&errs, &["rule \"a\", result.score.value"]);
    has(&errs, &["rule \"a\", result.result.value"]);
    has(&errs, &["rule \"b\", result.start_date"]);
}
