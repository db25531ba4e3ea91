//! Rule selection: conditions, ordering, ignore rules and the reason for an ignored event.

use super::*;

/// A file whose rules are `(name, when)` pairs, each mapping `summary` to its own name.
fn rules(pairs: &[(&str, Value)]) -> CompiledMapping {
    let rules: Vec<Value> = pairs
        .iter()
        .map(|(name, when)| json!({"name": name, "when": when, "result": {"summary": name}}))
        .collect();
    compile(json!({"rules": rules})).unwrap_or_else(|e| panic!("{:?}", messages(&e)))
}

/// Which rule (by name) takes `payload`, or `None` when it is ignored.
fn pick(m: &CompiledMapping, payload: Value) -> Option<String> {
    pick_with(m, payload, &Req::default())
}

fn pick_with(m: &CompiledMapping, payload: Value, req: &Req) -> Option<String> {
    match run_with(m, &payload, req).unwrap() {
        Translation::Mapped(m) => Some(m.rule),
        Translation::Ignored { .. } => None,
    }
}

fn holds(when: Value, payload: Value) -> bool {
    pick(&rules(&[("r", when)]), payload).is_some()
}

#[test]
fn the_first_matching_rule_wins() {
    let m = rules(&[
        ("done", json!({"path": "$.event", "equals": "done"})),
        ("any-event", json!({"path": "$.event", "exists": true})),
    ]);
    assert_eq!(pick(&m, json!({"event": "done"})).as_deref(), Some("done"));
    assert_eq!(
        pick(&m, json!({"event": "other"})).as_deref(),
        Some("any-event")
    );
    assert_eq!(pick(&m, json!({})), None);
}

#[test]
fn exists_treats_null_as_missing() {
    assert!(holds(
        json!({"path": "$.a", "exists": true}),
        json!({"a": 0})
    ));
    assert!(!holds(
        json!({"path": "$.a", "exists": true}),
        json!({"a": null})
    ));
    assert!(holds(json!({"path": "$.a", "exists": false}), json!({})));
}

#[test]
fn equals_compares_numbers_by_value_and_text_exactly() {
    assert!(holds(
        json!({"path": "$.n", "equals": 1}),
        json!({"n": 1.0})
    ));
    assert!(!holds(
        json!({"path": "$.n", "equals": "1"}),
        json!({"n": 1})
    ));
    assert!(holds(
        json!({"path": "$.b", "equals": false}),
        json!({"b": false})
    ));
    assert!(!holds(
        json!({"path": "$.s", "equals": "Done"}),
        json!({"s": "done"})
    ));
}

#[test]
fn one_of_accepts_any_listed_constant() {
    let when = json!({"path": "$.event", "one_of": ["companyTestSessionFinished", "preScreenResultVerified"]});
    assert!(holds(
        when.clone(),
        json!({"event": "preScreenResultVerified"})
    ));
    assert!(!holds(when, json!({"event": "companyTestSessionStarted"})));
}

#[test]
fn matches_applies_a_regex_to_text_and_to_numbers_as_text() {
    assert!(holds(
        json!({"path": "$.s", "matches": "^Comp"}),
        json!({"s": "Complete"})
    ));
    assert!(holds(
        json!({"path": "$.s", "matches": "(?i)^comp"}),
        json!({"s": "COMPLETE"})
    ));
    assert!(holds(
        json!({"path": "$.n", "matches": "^\\d{3}$"}),
        json!({"n": 900})
    ));
    assert!(!holds(
        json!({"path": "$.o", "matches": "."}),
        json!({"o": {"a": 1}})
    ));
    assert!(!holds(json!({"path": "$.s", "matches": "x"}), json!({})));
}

#[test]
fn a_header_can_be_tested() {
    let m = rules(&[("hdr", json!({"header": "X-Event", "equals": "done"}))]);
    let mut req = Req::default();
    req.headers.push("x-event", "done");
    assert_eq!(pick_with(&m, json!({}), &req).as_deref(), Some("hdr"));
    assert_eq!(pick(&m, json!({})), None);
    assert_eq!(m.header_names(), ["x-event"]);
}

#[test]
fn any_value_can_be_tested() {
    let when = json!({"value": {"lower": "$.status"}, "equals": "complete"});
    assert!(holds(when, json!({"status": "Complete"})));
}

#[test]
fn all_any_and_not_combine_tests() {
    let when = json!({"all": [
        {"path": "$.event", "equals": "done"},
        {"any": [{"path": "$.a", "exists": true}, {"path": "$.b", "exists": true}]},
        {"not": {"path": "$.dry_run", "equals": true}}
    ]});
    assert!(holds(when.clone(), json!({"event": "done", "b": 1})));
    assert!(!holds(when.clone(), json!({"event": "done"})));
    assert!(!holds(
        when,
        json!({"event": "done", "a": 1, "dry_run": true})
    ));
}

#[test]
fn a_path_selecting_several_nodes_passes_when_any_node_does() {
    let failed = json!({"path": "$.solutions[*].passing_score", "equals": false});
    assert!(holds(
        failed.clone(),
        json!({"solutions": [{"passing_score": true}, {"passing_score": false}]})
    ));
    assert!(!holds(
        failed,
        json!({"solutions": [{"passing_score": true}]})
    ));
    let exists = json!({"path": "$.items[?@.kind == 'pdf']", "exists": true});
    assert!(holds(exists.clone(), json!({"items": [{"kind": "pdf"}]})));
    assert!(!holds(exists, json!({"items": [{"kind": "txt"}]})));
}

#[test]
fn a_rule_without_when_takes_every_event() {
    let m = compile(json!({"rules": [{"name": "all", "result": {"summary": "x"}}]})).unwrap();
    assert_eq!(mapped(run(&m, &json!({})).unwrap()).rule, "all");
}

#[test]
fn an_ignore_rule_acknowledges_the_event_with_its_reason() {
    let m = compile(json!({"rules": [
        {"name": "started", "when": {"path": "$.event", "equals": "started"}, "ignore": "no result yet"},
        {"name": "done", "result": {"summary": "x"}}
    ]}))
    .unwrap();
    assert_eq!(
        run(&m, &json!({"event": "started"})).unwrap(),
        Translation::Ignored {
            reason: "rule \"started\": no result yet".into()
        }
    );
    assert_eq!(m.rule_names(), ["started", "done"]);
}

#[test]
fn an_event_no_rule_selects_is_ignored_with_what_was_checked() {
    let m = rules(&[
        ("finished", json!({"path": "$.event", "one_of": ["a", "b"]})),
        ("expired", json!({"path": "$.event", "equals": "c"})),
    ]);
    let Translation::Ignored { reason } = run(&m, &json!({"event": "zzz"})).unwrap() else {
        panic!("expected ignored");
    };
    assert_eq!(
        reason,
        r#"no rule matched (checked "finished" when {"one_of":["a","b"],"path":"$.event"}; "expired" when {"equals":"c","path":"$.event"})"#
    );
    assert!(
        !reason.contains("zzz"),
        "the payload's values stay out of the reason"
    );
}
