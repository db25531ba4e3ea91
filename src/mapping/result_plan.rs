//! Compiling a rule's `result`: each StackOne field's expression checked against what the field
//! takes — text or numbers for text fields, a date expression for dates, enum members for
//! `result.value` and content types — and the attachments with their `each` scope.

use super::compile::{Compiler, Scope};
use super::expr::{Expr, Ty};
use super::model::{AttachmentSpec, EnumSpec, ResultSpec};
use super::path::JsonPath;
use crate::domain::{ContentTypeValue, ResultStatus};
use serde_json::Value;

#[derive(Debug)]
pub(crate) struct ResultPlan {
    pub score: [Expr; 4],
    pub start_date: Expr,
    pub submission_date: Expr,
    pub summary: Expr,
    pub result: Option<EnumPlan>,
    pub result_url: Expr,
    pub attachments: Vec<AttachPlan>,
    pub candidate: [Expr; 2],
    pub passthrough: Expr,
}

#[derive(Debug)]
pub(crate) struct EnumPlan {
    pub value: Expr,
    /// Defaults to the raw value behind `value`.
    pub source_value: Option<Expr>,
}

#[derive(Debug)]
pub(crate) struct AttachPlan {
    pub each: Option<JsonPath>,
    pub url: Expr,
    pub content_type: Option<EnumPlan>,
}

pub(crate) const SCORE_PARTS: [&str; 4] = ["label", "value", "min", "max"];

pub(crate) fn result(c: &mut Compiler, r: &ResultSpec) -> ResultPlan {
    let top = Scope::default();
    let typed = |c: &mut Compiler, v: &Option<Value>, at: &str, ty: Ty, scope: Scope| match v {
        Some(v) => {
            let e = c.expr(v, at, scope);
            c.expect(&e, ty, at);
            e
        }
        None => Expr::Absent,
    };
    let score = r.score.clone().unwrap_or_default();
    let parts = [&score.label, &score.value, &score.min, &score.max];
    let score: [Expr; 4] = std::array::from_fn(|i| {
        typed(
            c,
            parts[i],
            &format!("result.score.{}", SCORE_PARTS[i]),
            Ty::SCALAR,
            top,
        )
    });
    let candidate = r.candidate.clone().unwrap_or_default();
    let plan = ResultPlan {
        score,
        start_date: typed(c, &r.start_date, "result.start_date", Ty::DATE, top),
        submission_date: typed(
            c,
            &r.submission_date,
            "result.submission_date",
            Ty::DATE,
            top,
        ),
        summary: typed(c, &r.summary, "result.summary", Ty::SCALAR, top),
        result: r.result.as_ref().map(|e| {
            enum_plan(
                c,
                e,
                "result.result",
                &ResultStatus::ALL.map(|s| s.as_str()),
                top,
            )
        }),
        result_url: typed(c, &r.result_url, "result.result_url", Ty::SCALAR, top),
        attachments: r
            .attachments
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, a)| attachment(c, a, i))
            .collect(),
        candidate: [
            typed(c, &candidate.id, "result.candidate.id", Ty::SCALAR, top),
            typed(
                c,
                &candidate.profile_url,
                "result.candidate.profile_url",
                Ty::SCALAR,
                top,
            ),
        ],
        passthrough: typed(c, &r.passthrough, "result.passthrough", Ty::OBJ, top),
    };
    let empty = plan
        .score
        .iter()
        .chain(&plan.candidate)
        .chain([
            &plan.start_date,
            &plan.submission_date,
            &plan.summary,
            &plan.result_url,
            &plan.passthrough,
        ])
        .all(|e| matches!(e, Expr::Absent))
        && plan.result.is_none()
        && plan.attachments.is_empty();
    if empty {
        c.err("result", "the result sets no field; use \"ignore\" to acknowledge an event without sending anything");
    }
    plan
}

fn enum_plan(
    c: &mut Compiler,
    spec: &EnumSpec,
    at: &str,
    members: &[&str],
    scope: Scope,
) -> EnumPlan {
    let value_at = format!("{at}.value");
    let value = match &spec.value {
        Some(v) => c.expr(v, &value_at, scope),
        None => {
            c.err(
                &value_at,
                "required: the enum value (a constant, a path or a lookup)",
            );
            Expr::Absent
        }
    };
    c.expect(&value, Ty::SCALAR.or(Ty::BOOL), &value_at);
    for o in value.outcomes() {
        if let Expr::Const(k) = o {
            if !k.as_str().is_some_and(|s| members.contains(&s)) {
                c.err(
                    &value_at,
                    format!("{k} is not one of {}", members.join(", ")),
                );
            }
        }
    }
    let source_value = spec
        .source_value
        .as_ref()
        .map(|v| c.expr(v, &format!("{at}.source_value"), scope));
    EnumPlan {
        value,
        source_value,
    }
}

fn attachment(c: &mut Compiler, a: &AttachmentSpec, i: usize) -> AttachPlan {
    let at = format!("result.attachments[{i}]");
    let each = a.each.as_ref().and_then(|src| {
        if !src.starts_with('$') {
            c.err(
                &format!("{at}.each"),
                "expected a JSONPath starting with $ that names an array",
            );
            return None;
        }
        JsonPath::compile(src)
            .map_err(|e| c.err(&format!("{at}.each"), e))
            .ok()
    });
    let scope = Scope {
        element: a.each.is_some(),
    };
    let url = match &a.url {
        Some(v) => {
            let e = c.expr(v, &format!("{at}.url"), scope);
            c.expect(&e, Ty::SCALAR, &format!("{at}.url"));
            e
        }
        None => {
            c.err(&format!("{at}.url"), "required: an attachment is its URL");
            Expr::Absent
        }
    };
    let members = ContentTypeValue::ALL.map(|s| s.as_str());
    let content_type = a
        .content_type
        .as_ref()
        .map(|e| enum_plan(c, e, &format!("{at}.content_type"), &members, scope));
    AttachPlan {
        each,
        url,
        content_type,
    }
}
