//! Tests of the language as a mapping author sees it (whole files in, bodies out), and of the
//! bundled catalogue and JSON Schema. Unit tests of single pieces sit beside their code.

mod catalogue;
mod conditions;
mod expressions;
mod load_errors;
mod output;
mod runtime;
mod schema;
mod structure_errors;
mod text_ops;
mod vendors;

use super::*;
use chrono::TimeZone;
use serde_json::{json, Value};

/// A fixed receipt time, so tests are deterministic.
pub(super) fn received_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap()
}

/// Compiles a whole file given as JSON (`auth` is added when missing).
pub(super) fn compile(mut file: Value) -> Result<CompiledMapping, Vec<MappingError>> {
    if file.get("auth").is_none() {
        file["auth"] = json!({"scheme": "none"});
    }
    CompiledMapping::from_text(&file.to_string(), "acme").map(|(_, m)| m)
}

/// A file with one catch-all rule named `r` whose result is `result`.
pub(super) fn with_result(result: Value) -> CompiledMapping {
    compile(json!({"rules": [{"name": "r", "result": result}]}))
        .unwrap_or_else(|e| panic!("{}", messages(&e).join("\n")))
}

#[test]
fn a_compiled_mapping_can_be_shared_between_threads() {
    fn shared<T: Send + Sync + 'static>() {}
    shared::<CompiledMapping>();
}

#[test]
fn load_errors_read_as_rule_field_and_reason() {
    let e = |rule: Option<&str>, field: &str| MappingError {
        rule: rule.map(str::to_owned),
        field: field.to_owned(),
        reason: "why".to_owned(),
    };
    assert_eq!(
        e(Some("done"), "result.summary").to_string(),
        "rule \"done\", result.summary: why"
    );
    assert_eq!(
        e(None, "identity.order_id").to_string(),
        "identity.order_id: why"
    );
    assert_eq!(e(None, "").to_string(), "why");
}

pub(super) fn messages(errs: &[MappingError]) -> Vec<String> {
    errs.iter().map(ToString::to_string).collect()
}

/// The load errors of a file with one rule `r` whose result is `result`.
pub(super) fn result_errors(result: Value) -> Vec<String> {
    match compile(json!({"rules": [{"name": "r", "result": result}]})) {
        Ok(_) => Vec::new(),
        Err(e) => messages(&e),
    }
}

pub(super) struct Req {
    pub headers: Headers,
    pub route: RouteParams,
}

impl Default for Req {
    fn default() -> Self {
        Req {
            headers: Headers::new(),
            route: RouteParams::default(),
        }
    }
}

pub(super) fn run_with(
    m: &CompiledMapping,
    payload: &Value,
    req: &Req,
) -> Result<Translation, TranslateError> {
    translate(
        m,
        &TranslateInput {
            payload,
            headers: &req.headers,
            route: &req.route,
            received_at: received_at(),
        },
    )
}

pub(super) fn run(m: &CompiledMapping, payload: &Value) -> Result<Translation, TranslateError> {
    run_with(m, payload, &Req::default())
}

pub(super) fn mapped(t: Translation) -> Mapped {
    match t {
        Translation::Mapped(m) => *m,
        Translation::Ignored { reason } => panic!("ignored: {reason}"),
    }
}

/// The body a file with one catch-all rule produces for `payload`, as JSON.
pub(super) fn body(result: Value, payload: Value) -> Value {
    let m = with_result(result);
    serde_json::to_value(mapped(run(&m, &payload).unwrap()).body).unwrap()
}

/// What expression `expr` yields on `payload` (read back through `passthrough`; `Null` = absent).
pub(super) fn value_of(expr: Value, payload: Value) -> Value {
    value_with(expr, payload, &Req::default()).unwrap()
}

pub(super) fn value_with(expr: Value, payload: Value, req: &Req) -> Result<Value, TranslateError> {
    let m = with_result(json!({"passthrough": {"object": {"v": expr}}}));
    let t = mapped(run_with(&m, &payload, req)?);
    Ok(t.body
        .passthrough
        .and_then(|mut p| p.remove("v"))
        .unwrap_or(Value::Null))
}

/// The translation error of expression `expr` on `payload`.
pub(super) fn value_error(expr: Value, payload: Value) -> String {
    match value_with(expr, payload, &Req::default()) {
        Ok(v) => panic!("expected an error, got {v}"),
        Err(e) => e.to_string(),
    }
}
