//! Text operators (template, concat, conversions, trim / case, split, join) and the value
//! examples of the mapping guide.

use super::*;

#[test]
fn a_template_mixes_text_with_paths_headers_and_the_route() {
    let e = json!({"template": "Score {$.score} of {$.max} ({header:X-Src}/{route:account_id}) {{ok}}"});
    let mut req = Req::default();
    req.headers.push("x-src", "cs");
    req.route.account_id = Some("acct-1".into());
    let v = value_with(e, json!({"score": 57.5, "max": 100.0}), &req).unwrap();
    assert_eq!(v, json!("Score 57.5 of 100 (cs/acct-1) {ok}"));
}

#[test]
fn a_template_is_absent_when_any_placeholder_is() {
    let e = json!({"template": "Score {$.score} of {$.max}"});
    assert_eq!(value_of(e, json!({"score": 1})), Value::Null);
}

#[test]
fn concat_joins_the_text_of_any_expressions() {
    let e = json!({"concat": ["$.a", ":", {"upper": "$.b"}, true]});
    assert_eq!(
        value_of(e.clone(), json!({"a": 1, "b": "x"})),
        json!("1:Xtrue")
    );
    assert_eq!(value_of(e, json!({"a": 1})), Value::Null);
}

#[test]
fn number_and_string_convert_between_text_and_numbers() {
    assert_eq!(
        value_of(json!({"number": "$.s"}), json!({"s": " 57.50 "})),
        json!(57.5)
    );
    assert_eq!(
        value_of(json!({"number": "$.s"}), json!({"s": ""})),
        Value::Null
    );
    assert_eq!(
        value_of(json!({"number": "$.n"}), json!({"n": 3})),
        json!(3)
    );
    assert_eq!(
        value_of(json!({"string": "$.n"}), json!({"n": 100.0})),
        json!("100")
    );
    assert_eq!(
        value_of(json!({"string": "$.b"}), json!({"b": false})),
        json!("false")
    );
    let e = json!({"add": [{"number": "$.s"}, 1]});
    assert_eq!(value_of(e, json!({"s": "41"})), json!(42));
}

#[test]
fn trim_lower_and_upper_change_text() {
    assert_eq!(
        value_of(json!({"trim": "$.s"}), json!({"s": "  a b \n"})),
        json!("a b")
    );
    assert_eq!(
        value_of(json!({"lower": "$.s"}), json!({"s": "MiXed"})),
        json!("mixed")
    );
    assert_eq!(
        value_of(json!({"upper": {"trim": "$.s"}}), json!({"s": " ok "})),
        json!("OK")
    );
}

#[test]
fn split_takes_one_part_of_a_compound_value() {
    let p = json!({"ext": "acct-9:order:with:colons"});
    let part = |i: i64, max: Option<u64>| {
        let mut e = json!({"split": "$.ext", "separator": ":", "part": i});
        if let Some(m) = max {
            e["max_parts"] = json!(m);
        }
        value_of(e, p.clone())
    };
    assert_eq!(part(0, Some(2)), json!("acct-9"));
    assert_eq!(part(1, Some(2)), json!("order:with:colons"));
    assert_eq!(part(-1, Some(2)), json!("order:with:colons"));
    assert_eq!(part(-1, None), json!("colons"));
    assert_eq!(
        part(2, Some(2)),
        Value::Null,
        "a part that is not there is absent"
    );
    let plain = json!({"split": "$.ext", "separator": ":", "part": -1, "max_parts": 2});
    assert_eq!(
        value_of(plain, json!({"ext": "order-only"})),
        json!("order-only")
    );
}

#[test]
fn join_turns_a_list_into_text() {
    let p = json!({"r": ["Unauthorized resource", null, "Presence of others"]});
    assert_eq!(
        value_of(json!({"join": "$.r"}), p.clone()),
        json!("Unauthorized resource, Presence of others")
    );
    assert_eq!(
        value_of(json!({"join": "$.r", "separator": " | "}), p),
        json!("Unauthorized resource | Presence of others")
    );
    assert_eq!(
        value_of(json!({"join": "$.r"}), json!({"r": []})),
        Value::Null
    );
    assert_eq!(
        value_of(json!({"join": "$.r"}), json!({"r": "single"})),
        json!("single")
    );
}

/// The examples of docs/mapping.md ("Values"), on the payload the guide uses.
#[test]
fn the_value_examples_of_the_mapping_guide_hold() {
    let p = json!({"score": 575, "max": 1000, "title": " Java Test ", "status": "Complete", "ext": "acct-9:ord:42", "tags": ["a", "b"], "items": [{"url": "u1", "kind": "pdf"}, {"url": "u2", "kind": "mp4"}]});
    let cases = [
        (json!("$.score"), json!(575)),
        (json!("$.items[0].url"), json!("u1")),
        (json!("$.items[-1].url"), json!("u2")),
        (json!("$['title']"), json!(" Java Test ")),
        (json!("$.nope"), Value::Null),
        (json!("$.items[*].url"), json!(["u1", "u2"])),
        (json!("$.items[?@.kind == 'pdf'].url"), json!(["u1"])),
        (json!({"path": "$.nope", "default": 0}), json!(0)),
        (
            json!({"first": ["$.percentage", "$.score", "n/a"]}),
            json!(575),
        ),
        (
            json!({"lookup": "$.status", "table": {"Complete": "completed", "Terminated": "cancelled"}, "default": "unmapped_value"}),
            json!("completed"),
        ),
        (
            json!({"if": {"path": "$.passing_score", "equals": true}, "then": "passed", "else": "completed"}),
            json!("completed"),
        ),
        (
            json!({"template": "Score {$.score} of {$.max}"}),
            json!("Score 575 of 1000"),
        ),
        (
            json!({"concat": ["Tags: ", {"join": "$.tags"}, " (", {"upper": "$.status"}, ")"]}),
            json!("Tags: a, b (COMPLETE)"),
        ),
        (
            json!({"round": {"mul": [{"div": ["$.score", "$.max"]}, 100]}, "digits": 1}),
            json!(57.5),
        ),
        (json!({"string": "$.max"}), json!("1000")),
        (json!({"string": true}), json!("true")),
        (json!({"trim": "$.title"}), json!("Java Test")),
        (json!({"lower": "$.status"}), json!("complete")),
        (json!({"upper": {"trim": "$.title"}}), json!("JAVA TEST")),
        (
            json!({"split": "$.ext", "separator": ":", "part": 0}),
            json!("acct-9"),
        ),
        (
            json!({"split": "$.ext", "separator": ":", "part": -1}),
            json!("42"),
        ),
        (
            json!({"split": "$.ext", "separator": ":", "max_parts": 2, "part": 1}),
            json!("ord:42"),
        ),
        (
            json!({"split": "$.ext", "separator": ":", "part": 5}),
            Value::Null,
        ),
        (json!({"join": "$.tags"}), json!("a, b")),
        (
            json!({"join": "$.tags", "separator": " | "}),
            json!("a | b"),
        ),
        (
            json!({"object": {"test_id": "$.testId", "scores": "$.items[*].url", "kinds": {"array": ["pdf", "$.nope"]}}}),
            json!({"scores": ["u1", "u2"], "kinds": ["pdf"]}),
        ),
    ];
    for (e, want) in cases {
        assert_eq!(value_of(e.clone(), p.clone()), want, "{e}");
    }
    assert!(value_error(json!({"path": "$.nope", "required": true}), p)
        .contains("required value $.nope is missing"));
}
