//! The body and identity a rule produces: typing of StackOne fields, enums, lists, omissions.

use super::*;

#[test]
fn score_parts_take_text_or_numbers_and_numbers_are_canonical() {
    let b = body(
        json!({"score": {"label": "Score", "value": "$.s", "min": 0, "max": "$.m"}}),
        json!({"s": 57.5, "m": 100.0}),
    );
    assert_eq!(
        b,
        json!({"score": {"label": "Score", "value": "57.5", "min": "0", "max": "100"}})
    );
}

#[test]
fn an_object_whose_parts_are_all_absent_is_left_out() {
    let b = body(
        json!({"score": {"value": "$.s", "max": "$.m"}, "candidate": {"id": "$.c"}, "summary": "x", "passthrough": {"object": {"a": "$.a"}}}),
        json!({}),
    );
    assert_eq!(b, json!({"summary": "x"}));
}

#[test]
fn a_score_without_a_value_is_left_out_even_with_a_label_and_range() {
    let r = json!({"score": {"label": "Percentage", "value": "$.pct", "min": 0, "max": 100}});
    assert_eq!(body(r.clone(), json!({})), json!({}));
    assert_eq!(
        body(r, json!({"pct": 80})),
        json!({"score": {"label": "Percentage", "value": "80", "min": "0", "max": "100"}})
    );
}

#[test]
fn a_result_constant_from_the_enum_has_no_source_value_unless_given() {
    let b = body(json!({"result": {"value": "completed"}}), json!({}));
    assert_eq!(b, json!({"result": {"value": "completed"}}));
    let b = body(
        json!({"result": {"value": "completed", "source_value": "$.event"}}),
        json!({"event": "done"}),
    );
    assert_eq!(
        b,
        json!({"result": {"value": "completed", "source_value": "done"}})
    );
}

#[test]
fn a_looked_up_result_keeps_the_vendor_value_as_source_value() {
    let r = json!({"result": {"value": {"lookup": "$.status", "table": {"Completed": "completed", "DidNotTake": "expired"}}}});
    assert_eq!(
        body(r.clone(), json!({"status": "DidNotTake"})),
        json!({"result": {"value": "expired", "source_value": "DidNotTake"}})
    );
    assert_eq!(
        body(r.clone(), json!({"status": "Archived"})),
        json!({"result": {"value": "unmapped_value", "source_value": "Archived"}}),
        "an unlisted value passes through, is not a member, and becomes unmapped_value"
    );
    assert_eq!(body(r, json!({})), json!({}), "no status, no result");
}

#[test]
fn a_runtime_value_outside_the_enum_becomes_unmapped_value_with_the_raw_value() {
    let r = json!({"result": {"value": "$.state"}});
    assert_eq!(
        body(r.clone(), json!({"state": "passed"})),
        json!({"result": {"value": "passed", "source_value": "passed"}})
    );
    assert_eq!(
        body(r.clone(), json!({"state": "Passed"})),
        json!({"result": {"value": "unmapped_value", "source_value": "Passed"}})
    );
    assert_eq!(
        body(r, json!({"state": true})),
        json!({"result": {"value": "unmapped_value", "source_value": true}})
    );
}

#[test]
fn an_explicit_source_value_wins_over_the_raw_value() {
    let r = json!({"result": {"value": {"lookup": "$.s", "table": {"x": "passed"}}, "source_value": "$.raw"}});
    assert_eq!(
        body(r, json!({"s": "x", "raw": {"k": 1}})),
        json!({"result": {"value": "passed", "source_value": {"k": 1}}})
    );
}

#[test]
fn dates_are_rfc3339_utc_with_milliseconds() {
    let b = body(
        json!({"start_date": {"date": "$.s", "format": "rfc3339"}, "submission_date": {"date": "$.e", "format": "epoch_ms"}}),
        json!({"s": "2019-08-05T10:11:46-05:51", "e": 1553720789347u64}),
    );
    assert_eq!(
        b,
        json!({"start_date": "2019-08-05T16:02:46.000Z", "submission_date": "2019-03-27T21:06:29.347Z"})
    );
}

#[test]
fn attachments_come_from_each_element_of_an_array() {
    let r = json!({"attachments": [{
        "each": "$.files",
        "url": "@.href",
        "content_type": {"value": {"lookup": "@.kind", "table": {"application/pdf": "pdf", "video/mp4": "video"}}}
    }]});
    let p = json!({"files": [
        {"href": "https://x/a.pdf", "kind": "application/pdf"},
        {"kind": "application/pdf"},
        {"href": "https://x/b.docx", "kind": "application/msword"},
        null
    ]});
    assert_eq!(
        body(r, p),
        json!({"attachments": [
            {"url": "https://x/a.pdf", "content_type": {"value": "pdf", "source_value": "application/pdf"}},
            {"url": "https://x/b.docx", "content_type": {"value": "unmapped_value", "source_value": "application/msword"}}
        ]})
    );
}

#[test]
fn each_also_walks_the_nodes_of_a_wildcard_or_filter_path() {
    let r = json!({"attachments": [{"each": "$.files[?@.kind == 'pdf']", "url": "@.href", "content_type": {"value": "pdf"}}]});
    let p = json!({"files": [{"href": "a", "kind": "pdf"}, {"href": "b", "kind": "txt"}]});
    assert_eq!(
        body(r, p),
        json!({"attachments": [{"url": "a", "content_type": {"value": "pdf"}}]})
    );
}

#[test]
fn a_fixed_attachment_whose_url_is_absent_is_omitted() {
    let r = json!({"attachments": [
        {"url": "$.ReportPDFUrl", "content_type": {"value": "pdf"}},
        {"url": "$.VideoUrl", "content_type": {"value": "video"}}
    ]});
    assert_eq!(
        body(
            r.clone(),
            json!({"ReportPDFUrl": "https://r.pdf", "VideoUrl": null})
        ),
        json!({"attachments": [{"url": "https://r.pdf", "content_type": {"value": "pdf"}}]})
    );
    assert_eq!(body(r, json!({"ReportPDFUrl": null})), json!({}));
}

#[test]
fn passthrough_takes_the_whole_payload_a_part_of_it_or_a_built_object() {
    let p = json!({"a": 1, "data": {"x": [1, 2]}});
    assert_eq!(
        body(json!({"passthrough": "$"}), p.clone()),
        json!({"passthrough": p.clone()})
    );
    assert_eq!(
        body(json!({"passthrough": "$.data"}), p.clone()),
        json!({"passthrough": {"x": [1, 2]}})
    );
    assert_eq!(
        body(
            json!({"passthrough": {"object": {"first_x": "$.data.x[0]", "k": "v"}}}),
            p
        ),
        json!({"passthrough": {"first_x": 1, "k": "v"}})
    );
}

#[test]
fn identity_comes_from_defaults_overridden_per_rule() {
    let m = compile(json!({
        "identity": {"order_id": "$.order", "account_id": {"route": "account_id"}, "event_id": {"header": "X-Id"}, "correlation_key": {"template": "{$.test}:{$.email}"}},
        "rules": [
            {"name": "a", "when": {"path": "$.kind", "equals": "a"}, "identity": {"order_id": "$.other", "account_id": null}, "result": {"summary": "a"}},
            {"name": "b", "result": {"summary": "b"}}
        ]
    }))
    .unwrap();
    let mut req = Req::default();
    req.headers.push("x-id", "evt-1");
    req.route.account_id = Some("acct".into());
    let p = json!({"kind": "a", "order": "o-1", "other": "o-2", "test": 12, "email": "e@x"});
    let a = mapped(run_with(&m, &p, &req).unwrap());
    assert_eq!(
        (
            a.order_id.as_deref(),
            a.account_id.as_deref(),
            a.event_id.as_deref(),
            a.correlation_key.as_deref()
        ),
        (Some("o-2"), None, Some("evt-1"), Some("12:e@x"))
    );
    let b = mapped(run_with(&m, &json!({"kind": "b", "order": "o-1"}), &req).unwrap());
    assert_eq!(
        (b.order_id.as_deref(), b.account_id.as_deref()),
        (Some("o-1"), Some("acct"))
    );
    assert_eq!(m.header_names(), ["x-id"]);
}

#[test]
fn an_empty_identity_value_counts_as_absent() {
    let m = compile(json!({"identity": {"order_id": "$.o"}, "rules": [{"name": "r", "result": {"summary": "s"}}]})).unwrap();
    assert_eq!(mapped(run(&m, &json!({"o": ""})).unwrap()).order_id, None);
    assert_eq!(
        mapped(run(&m, &json!({"o": 12})).unwrap())
            .order_id
            .as_deref(),
        Some("12")
    );
}

#[test]
fn header_names_list_every_header_read_once_and_lower_cased() {
    let m = compile(json!({
        "identity": {"event_id": {"header": "X-B"}},
        "rules": [{"name": "r", "when": {"header": "X-A", "exists": true}, "result": {"summary": {"template": "{header:x-b}{header:X-C}"}}}]
    }))
    .unwrap();
    assert_eq!(m.header_names(), ["x-a", "x-b", "x-c"]);
}
