//! Every kind of value expression, one behaviour per test.

use super::*;

#[test]
fn a_string_starting_with_a_dollar_is_a_path_and_other_scalars_are_constants() {
    let p = json!({"a": {"b": [10, 20]}, "s": "x"});
    assert_eq!(value_of(json!("$.a.b[1]"), p.clone()), json!(20));
    assert_eq!(value_of(json!("$.s"), p.clone()), json!("x"));
    assert_eq!(
        value_of(json!("plain text"), p.clone()),
        json!("plain text")
    );
    assert_eq!(value_of(json!(42), p.clone()), json!(42));
    assert_eq!(value_of(json!(true), p.clone()), json!(true));
    assert_eq!(
        value_of(json!({"const": "$not a path"}), p.clone()),
        json!("$not a path")
    );
    assert_eq!(value_of(json!({"const": {"k": [1]}}), p), json!({"k": [1]}));
}

#[test]
fn the_root_path_is_the_whole_payload() {
    let p = json!({"a": 1, "b": {"c": 2}});
    assert_eq!(value_of(json!("$"), p.clone()), p);
}

#[test]
fn a_missing_member_and_a_null_are_both_absent() {
    let p = json!({"nil": null});
    assert_eq!(value_of(json!("$.nil"), p.clone()), Value::Null);
    assert_eq!(value_of(json!("$.nope"), p.clone()), Value::Null);
    assert_eq!(value_of(json!(null), p), Value::Null);
}

#[test]
fn a_path_that_selects_several_nodes_yields_an_array_of_them() {
    let p = json!({"solutions": [{"score": 100.0}, {"score": null}, {"score": 50}]});
    assert_eq!(
        value_of(json!("$.solutions[*].score"), p.clone()),
        json!([100.0, 50])
    );
    assert_eq!(
        value_of(json!("$.solutions[?@.score > 60].score"), p.clone()),
        json!([100.0])
    );
    assert_eq!(
        value_of(json!("$.solutions[?@.score > 600].score"), p),
        Value::Null
    );
}

#[test]
fn a_path_object_can_carry_a_default() {
    let e = json!({"path": "$.score", "default": 0});
    assert_eq!(value_of(e.clone(), json!({})), json!(0));
    assert_eq!(value_of(e.clone(), json!({"score": null})), json!(0));
    assert_eq!(value_of(e, json!({"score": 7})), json!(7));
}

#[test]
fn first_takes_the_first_present_value() {
    let e = json!({"first": ["$.a", "$.b", "fallback"]});
    assert_eq!(
        value_of(e.clone(), json!({"a": null, "b": "B"})),
        json!("B")
    );
    assert_eq!(value_of(e.clone(), json!({"a": "A", "b": "B"})), json!("A"));
    assert_eq!(value_of(e, json!({})), json!("fallback"));
    assert_eq!(
        value_of(json!({"first": ["$.a", "$.b"]}), json!({})),
        Value::Null
    );
}

#[test]
fn a_lookup_maps_listed_values_and_falls_back_to_its_default() {
    let e = json!({"lookup": "$.s", "table": {"Completed": "completed", "1": "one", "true": "yes"}, "default": "other"});
    assert_eq!(
        value_of(e.clone(), json!({"s": "Completed"})),
        json!("completed")
    );
    assert_eq!(value_of(e.clone(), json!({"s": 1})), json!("one"));
    assert_eq!(value_of(e.clone(), json!({"s": true})), json!("yes"));
    assert_eq!(
        value_of(e.clone(), json!({"s": "completed"})),
        json!("other")
    );
    assert_eq!(
        value_of(e, json!({})),
        Value::Null,
        "an absent input stays absent"
    );
}

#[test]
fn a_lookup_without_default_passes_unlisted_values_through_and_null_entries_mean_absent() {
    let e = json!({"lookup": "$.s", "table": {"a": "A", "skip": null}});
    assert_eq!(value_of(e.clone(), json!({"s": "a"})), json!("A"));
    assert_eq!(value_of(e.clone(), json!({"s": "zzz"})), json!("zzz"));
    assert_eq!(value_of(e, json!({"s": "skip"})), Value::Null);
}

#[test]
fn a_lookup_can_ignore_case() {
    let e = json!({"lookup": "$.s", "table": {"Complete": "completed"}, "ignore_case": true});
    assert_eq!(value_of(e, json!({"s": "COMPLETE"})), json!("completed"));
}

#[test]
fn if_chooses_a_branch_on_a_condition_and_else_is_optional() {
    let e =
        json!({"if": {"path": "$.passed", "equals": true}, "then": "passed", "else": "completed"});
    assert_eq!(
        value_of(e.clone(), json!({"passed": true})),
        json!("passed")
    );
    assert_eq!(
        value_of(e.clone(), json!({"passed": false})),
        json!("completed")
    );
    assert_eq!(value_of(e, json!({})), json!("completed"));
    let no_else = json!({"if": {"path": "$.x", "exists": true}, "then": "$.x"});
    assert_eq!(value_of(no_else.clone(), json!({"x": 1})), json!(1));
    assert_eq!(value_of(no_else, json!({})), Value::Null);
}

#[test]
fn arithmetic_computes_a_percentage_and_rounds_it() {
    let pct = json!({"round": {"mul": [{"div": ["$.score", "$.max"]}, 100]}, "digits": 1});
    assert_eq!(
        value_of(pct.clone(), json!({"score": 575, "max": 1000})),
        json!(57.5)
    );
    assert_eq!(
        value_of(pct.clone(), json!({"score": 2, "max": 3})),
        json!(66.7)
    );
    assert_eq!(
        value_of(pct, json!({"score": 2})),
        Value::Null,
        "an absent operand makes the result absent"
    );
    assert_eq!(value_of(json!({"add": [1, 2, 3.5]}), json!({})), json!(6.5));
    assert_eq!(value_of(json!({"sub": [10, 2, 3]}), json!({})), json!(5));
    assert_eq!(value_of(json!({"round": 2.5}), json!({})), json!(3));
    assert_eq!(value_of(json!({"round": -2.5}), json!({})), json!(-3));
}

#[test]
fn header_route_and_received_at_read_the_request_around_the_payload() {
    let mut req = Req::default();
    req.headers.push("X-TestDome-CorrelationId", "dbdc7382");
    req.route.account_id = Some("acct-7".into());
    let v = |e: Value| value_with(e, json!({}), &req).unwrap();
    assert_eq!(
        v(json!({"header": "x-testdome-correlationid"})),
        json!("dbdc7382")
    );
    assert_eq!(v(json!({"header": "X-Missing"})), Value::Null);
    assert_eq!(v(json!({"route": "account_id"})), json!("acct-7"));
    assert_eq!(
        v(json!({"received_at": true})),
        json!("2024-01-02T03:04:05.000Z")
    );
}

#[test]
fn object_and_array_build_json_and_leave_absent_members_out() {
    let e = json!({"object": {"id": "$.id", "gone": "$.nope", "list": {"array": ["$.id", "$.nope", 2]}, "when": {"date": "$.t", "format": "epoch_s"}}});
    assert_eq!(
        value_of(e, json!({"id": "a", "t": 0})),
        json!({"id": "a", "list": ["a", 2], "when": "1970-01-01T00:00:00.000Z"})
    );
}

#[test]
fn a_date_can_be_derived_by_subtracting_a_duration() {
    let start =
        json!({"date": "$.triggeredOn", "format": "epoch_ms", "minus_ms": "$.payload.duration"});
    let p = json!({"triggeredOn": 1553720789347u64, "payload": {"duration": 3480000}});
    assert_eq!(
        value_of(start.clone(), p),
        json!("2019-03-27T20:08:29.347Z")
    );
    let no_duration = json!({"triggeredOn": 1553720789347u64, "payload": {}});
    assert_eq!(
        value_of(start, no_duration),
        Value::Null,
        "no duration, no derived date"
    );
    let later = json!({"date": "$.t", "format": "epoch_s", "plus_ms": 1500});
    assert_eq!(
        value_of(later, json!({"t": 0})),
        json!("1970-01-01T00:00:01.500Z")
    );
}

#[test]
fn dates_in_every_supported_format_come_out_as_utc_with_milliseconds() {
    let cases = [
        (
            json!({"date": "$.d", "format": "rfc3339"}),
            json!("2019-08-05T10:11:46-05:51"),
            "2019-08-05T16:02:46.000Z",
        ),
        (
            json!({"date": "$.d", "format": "epoch_s"}),
            json!(1600000000),
            "2020-09-13T12:26:40.000Z",
        ),
        (
            json!({"date": "$.d", "format": "epoch_ms"}),
            json!(1553720789347u64),
            "2019-03-27T21:06:29.347Z",
        ),
        (
            json!({"date": "$.d", "format": "rfc3339", "timezone": "UTC"}),
            json!("2020-10-09T13:21:53"),
            "2020-10-09T13:21:53.000Z",
        ),
        (
            json!({"date": "$.d", "format": "%d-%b-%Y %I:%M %p", "timezone": "Asia/Kolkata"}),
            json!("09-Oct-2020 06:51 PM"),
            "2020-10-09T13:21:00.000Z",
        ),
    ];
    for (e, d, want) in cases {
        assert_eq!(value_of(e.clone(), json!({"d": d})), json!(want), "{e}");
    }
}
