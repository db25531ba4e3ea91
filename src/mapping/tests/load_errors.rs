//! Mistakes a mapping author can make, each caught when the file loads with the rule, the field
//! path and a reason that says how to fix it.

use super::*;

/// Asserts that `errs` holds one message containing every fragment.
pub(super) fn has(errs: &[String], fragments: &[&str]) {
    assert!(
        errs.iter().any(|e| fragments.iter().all(|f| e.contains(f))),
        "no error with {fragments:?} in {errs:#?}"
    );
}

#[test]
fn a_malformed_jsonpath_is_reported_with_rule_and_field() {
    let errs = result_errors(json!({"score": {"value": "$.payload.score["}}));
    has(
        &errs,
        &[
            "rule \"r\"",
            "result.score.value",
            "invalid JSONPath \"$.payload.score[\"",
        ],
    );
}

#[test]
fn an_unknown_operator_or_companion_member_is_refused() {
    let errs = result_errors(json!({"summary": {"concatenate": ["a"]}}));
    has(
        &errs,
        &["result.summary", "not an expression", "found concatenate"],
    );
    let errs = result_errors(json!({"summary": {"path": "$.a", "fallback": "x"}}));
    has(
        &errs,
        &[
            "result.summary.fallback",
            "unknown member for \"path\"",
            "default, required",
        ],
    );
    let errs = result_errors(json!({"summary": {"trim": "$.a", "upper": "$.a"}}));
    has(&errs, &["one expression object takes one operator"]);
}

#[test]
fn a_result_value_outside_the_enum_is_refused_in_constants_and_lookup_tables() {
    let errs = result_errors(json!({"result": {"value": "Passed"}}));
    has(
        &errs,
        &[
            "result.result.value",
            "\"Passed\" is not one of initiated, in_progress",
        ],
    );
    let errs = result_errors(
        json!({"result": {"value": {"lookup": "$.s", "table": {"a": "passed", "b": "done"}, "default": "finished"}}}),
    );
    has(&errs, &["\"done\" is not one of"]);
    has(&errs, &["\"finished\" is not one of"]);
    let errs =
        result_errors(json!({"attachments": [{"url": "$.u", "content_type": {"value": "docx"}}]}));
    has(
        &errs,
        &[
            "result.attachments[0].content_type.value",
            "\"docx\" is not one of text, pdf, video, other, unmapped_value",
        ],
    );
}

#[test]
fn a_custom_date_format_without_a_zone_is_refused() {
    let errs = result_errors(
        json!({"start_date": {"date": "$.AttemptedOn", "format": "%d-%b-%Y %I:%M %p"}}),
    );
    has(&errs, &["result.start_date", "\"timezone\" is required"]);
}

#[test]
fn date_problems_are_caught_at_load() {
    has(
        &result_errors(json!({"start_date": "$.started_at"})),
        &[
            "result.start_date",
            "expected a date here, but $.started_at gives",
            "write {\"date\"",
        ],
    );
    has(
        &result_errors(json!({"start_date": {"date": "$.t"}})),
        &["needs \"format\""],
    );
    has(
        &result_errors(json!({"start_date": {"date": "$.t", "format": "yyyy-mm-dd"}})),
        &["result.start_date.format", "unknown date format"],
    );
    has(
        &result_errors(
            json!({"start_date": {"date": "$.t", "format": "epoch_ms", "timezone": "UTC"}}),
        ),
        &["already UTC"],
    );
    has(
        &result_errors(
            json!({"start_date": {"date": "$.t", "format": "rfc3339", "timezone": "Moon/Base"}}),
        ),
        &["unknown time zone"],
    );
    has(
        &result_errors(
            json!({"start_date": {"date": "$.t", "format": "epoch_ms", "minus_ms": 1, "plus_ms": 2}}),
        ),
        &["either \"minus_ms\" or \"plus_ms\""],
    );
    has(
        &result_errors(json!({"summary": {"date": "$.t", "format": "epoch_ms"}})),
        &[
            "result.summary",
            "expected text or a number here, but date gives a date",
        ],
    );
}

#[test]
fn arithmetic_on_a_text_constant_is_refused() {
    let errs = result_errors(json!({"score": {"value": {"div": ["$.score", "100"]}}}));
    has(
        &errs,
        &[
            "result.score.value.div[1]",
            "expected a number here, but the constant \"100\" gives text",
        ],
    );
    has(
        &result_errors(json!({"score": {"value": {"add": ["$.a"]}}})),
        &["at least 2 expressions"],
    );
    has(
        &result_errors(json!({"score": {"value": {"round": "$.a", "digits": 20}}})),
        &["digits", "0 to 12"],
    );
}

#[test]
fn text_fields_refuse_booleans_objects_and_arrays() {
    has(
        &result_errors(json!({"summary": true})),
        &["result.summary", "the constant true gives a boolean"],
    );
    has(
        &result_errors(json!({"summary": {"object": {}}})),
        &["object gives an object"],
    );
    has(
        &result_errors(json!({"summary": ["a"]})),
        &["a JSON array is not an expression"],
    );
    has(
        &result_errors(json!({"summary": "$.items[*].name"})),
        &["$.items[*].name gives an array"],
    );
    has(
        &result_errors(json!({"passthrough": "text"})),
        &["result.passthrough", "expected an object"],
    );
}

#[test]
fn element_paths_outside_attachments_each_are_refused() {
    has(
        &result_errors(json!({"summary": "@.name"})),
        &["result.summary", "only allowed inside attachments[].each"],
    );
    assert!(result_errors(json!({"attachments": [{"each": "$.f", "url": "@.u"}]})).is_empty());
    has(
        &result_errors(json!({"attachments": [{"content_type": {"value": "pdf"}}]})),
        &["result.attachments[0].url", "required"],
    );
}

#[test]
fn template_mistakes_are_refused() {
    has(
        &result_errors(json!({"summary": {"template": "Score {score}"}})),
        &["unknown placeholder {score}"],
    );
    has(
        &result_errors(json!({"summary": {"template": "Score {$.a"}})),
        &["never closed"],
    );
    has(
        &result_errors(json!({"summary": {"template": "Score {$.a[}"}})),
        &["invalid JSONPath"],
    );
}

#[test]
fn lookup_split_and_route_mistakes_are_refused() {
    has(
        &result_errors(json!({"summary": {"lookup": "$.s"}})),
        &["non-empty \"table\""],
    );
    has(
        &result_errors(json!({"summary": {"lookup": "$.s", "table": {"a": {"x": 1}}}})),
        &["result.summary.table.a", "constants"],
    );
    has(
        &result_errors(json!({"summary": {"split": "$.s", "part": 0}})),
        &["non-empty \"separator\""],
    );
    has(
        &result_errors(json!({"summary": {"split": "$.s", "separator": ":"}})),
        &["needs \"part\""],
    );
    has(
        &result_errors(
            json!({"summary": {"split": "$.s", "separator": ":", "part": 0, "max_parts": 1}}),
        ),
        &["max_parts", "at least 2"],
    );
    has(
        &result_errors(json!({"summary": {"route": "order_id"}})),
        &["only \"account_id\""],
    );
    has(
        &result_errors(json!({"summary": {"received_at": "now"}})),
        &["received_at\": true"],
    );
}
