//! Signed-content templates: placeholders and JSON parts rendered over a request, and the
//! templates refused when a mapping file loads.

use super::*;
use crate::domain::Headers;
use crate::signature::InboundRequest;
use bytes::Bytes;

fn render(
    t: &str,
    body: &str,
    url: Option<&str>,
    inputs: Inputs<'_>,
) -> Result<String, AuthFailure> {
    let template = Template::parse(t, "auth.signed").unwrap();
    let headers: Headers = [("X-Event", "done")].into_iter().collect();
    let body = Bytes::copy_from_slice(body.as_bytes());
    let req = Req::new(InboundRequest {
        headers: &headers,
        body: &body,
        url,
        query: "",
        peer: None,
        callback: None,
        now_ms: 0,
    });
    let resolved = template.resolve(&req, inputs)?;
    let mut out = Vec::new();
    resolved.feed(|b| out.extend_from_slice(b));
    assert_eq!(resolved.len(), out.len());
    Ok(String::from_utf8(out).unwrap())
}

#[test]
fn placeholders_are_replaced_and_literals_kept() {
    let inputs = Inputs {
        timestamp: Some("17"),
        id: Some("msg_1"),
    };
    assert_eq!(
        render("{id}.{timestamp}.{body}", "B", None, inputs).unwrap(),
        "msg_1.17.B"
    );
    assert_eq!(
        render("v0:{timestamp}:{body}", "B", None, inputs).unwrap(),
        "v0:17:B"
    );
    assert_eq!(
        render("{header:x-event}|{header:Missing}|", "", None, inputs).unwrap(),
        "done||"
    );
}

#[test]
fn json_parts_render_strings_unquoted_and_numbers_as_written() {
    let body = r#"{"event":"companyTestSessionFinished","triggeredOn":1553720789347,"ok":true,"n":null,"o":{"a":1}}"#;
    let t = "{url}{json:$.event}{json:$.triggeredOn}|{json:$.ok}|{json:$.n}|{json:$.missing}|{json:$.o}";
    assert_eq!(
        render(
            t,
            body,
            Some("https://relay.example/webhooks/codesignal"),
            Inputs::default()
        )
        .unwrap(),
        r#"https://relay.example/webhooks/codesignalcompanyTestSessionFinished1553720789347|true|||{"a":1}"#
    );
}

#[test]
fn json_parts_of_a_body_that_is_not_json_are_empty() {
    assert_eq!(
        render("[{json:$.event}]", "<xml/>", None, Inputs::default()).unwrap(),
        "[]"
    );
}

#[test]
fn url_without_a_public_url_is_refused() {
    let err = render("{url}", "", None, Inputs::default()).unwrap_err();
    assert_eq!(err.code(), "signature_mismatch");
    assert!(err.message().contains("RELAY_PUBLIC_URL"));
}

#[test]
fn bad_templates_are_refused_with_the_field_and_reason() {
    for (t, needle) in [
        ("{timestamp", "unclosed {"),
        ("{nope}", "unknown placeholder {nope}"),
        ("{json:event}", "must start with $"),
        ("{json:$.a[}", "not a valid JSONPath"),
        ("{header:}", "valid header"),
        ("{header:a b}", "valid header"),
        ("", "must not be empty"),
    ] {
        let e = Template::parse(t, "auth.signed").unwrap_err();
        assert_eq!(e.field, "auth.signed");
        assert!(e.reason.contains(needle), "{t:?}: {}", e.reason);
    }
    let many = "{body}.".repeat(9);
    assert!(Template::parse(&many, "f")
        .unwrap_err()
        .reason
        .contains("more than 16"));
}

#[test]
fn a_template_remembers_which_inputs_it_reads() {
    let t = Template::parse("{url}{json:$.event}{json:$.triggeredOn}", "f").unwrap();
    assert!(t.has_json("$.triggeredOn"));
    assert!(!t.has_json("$.other"));
    assert!(t.has(|p| matches!(p, Part::Url)));
    assert!(!t.has(|p| matches!(p, Part::Body)));
    assert_eq!(t.src(), "{url}{json:$.event}{json:$.triggeredOn}");
}
