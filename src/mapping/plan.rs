//! Compiling a parsed file into rules ready to run: every expression compiled and checked against
//! the field it fills (text fields take text or numbers, dates need a `date` expression, enum
//! constants must be members), plus the file-level checks (unique rule names, no unreachable
//! rule, a status the gateway can answer with).

use super::compile::{Compiler, Scope};
use super::cond::Cond;
use super::expr::{Expr, Ty};
use super::model::{AttachmentSpec, EnumSpec, IdentitySpec, MappingFile, ResultSpec};
use super::path::JsonPath;
use crate::domain::{ContentTypeValue, ResultStatus};
use serde_json::Value;
use std::collections::HashSet;

#[derive(Debug)]
pub(crate) struct Rule {
    pub name: String,
    pub when: Option<Cond>,
    /// The condition as written, for the reason of an ignored event.
    pub when_src: String,
    pub action: Action,
}

#[derive(Debug)]
pub(crate) enum Action {
    Ignore(String),
    Map(Box<MapPlan>),
}

#[derive(Debug)]
pub(crate) struct MapPlan {
    pub identity: IdentityPlan,
    pub result: ResultPlan,
}

/// `Expr::Absent` where nothing was given.
#[derive(Debug, Clone)]
pub(crate) struct IdentityPlan {
    pub order_id: Expr,
    pub account_id: Expr,
    pub event_id: Expr,
    pub correlation_key: Expr,
}

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

/// Compiles the rules of `file`; `c` collects the errors and the headers read.
pub(crate) fn rules(c: &mut Compiler, file: &MappingFile) -> Vec<Rule> {
    if !matches!(file.response.accepted_status, 200 | 202) {
        c.err("response.accepted_status", "must be 200 or 202");
    }
    if !matches!(file.auth, Value::Object(_) | Value::Array(_)) {
        c.err("auth", "required: a scheme object or a list of schemes (write {\"scheme\": \"none\"} for none)");
    }
    if file.rules.is_empty() {
        c.err("rules", "at least one rule is needed");
    }
    let defaults = identity(c, &file.identity, None);
    let mut names = HashSet::new();
    let mut catch_all: Option<String> = None;
    let mut out = Vec::with_capacity(file.rules.len());
    for (i, spec) in file.rules.iter().enumerate() {
        c.rule = None;
        if spec.name.trim().is_empty() {
            c.err(&format!("rules[{i}].name"), "a rule needs a name");
        } else if !names.insert(spec.name.as_str()) {
            c.err(
                &format!("rules[{i}].name"),
                format!("{:?} is used by an earlier rule", spec.name),
            );
        }
        c.rule = Some(spec.name.clone());
        if let Some(first) = &catch_all {
            c.err("when", format!("this rule can never match: rule {first:?} before it has no \"when\" and takes every event"));
        }
        let when = spec
            .when
            .as_ref()
            .map(|w| c.cond(w, "when", Scope::default()));
        if spec.when.is_none() && catch_all.is_none() {
            catch_all = Some(spec.name.clone());
        }
        let action = match (&spec.result, &spec.ignore) {
            (Some(r), None) => Action::Map(Box::new(MapPlan {
                identity: identity(c, &spec.identity, Some(&defaults)),
                result: result(c, r),
            })),
            (None, Some(reason)) => {
                if reason.trim().is_empty() {
                    c.err("ignore", "say why the event is ignored");
                }
                if spec.identity.order_id.is_some()
                    || spec.identity.account_id.is_some()
                    || spec.identity.event_id.is_some()
                    || spec.identity.correlation_key.is_some()
                {
                    c.err(
                        "identity",
                        "an ignore rule sends nothing, so it has no identity",
                    );
                }
                Action::Ignore(reason.clone())
            }
            _ => {
                c.err(
                    "result",
                    "a rule has exactly one of \"result\" (what to send) or \"ignore\" (why not)",
                );
                Action::Ignore(String::new())
            }
        };
        out.push(Rule {
            name: spec.name.clone(),
            when,
            when_src: spec
                .when
                .as_ref()
                .map(|w| w.to_string())
                .unwrap_or_default(),
            action,
        });
    }
    c.rule = None;
    out
}

fn identity(
    c: &mut Compiler,
    spec: &IdentitySpec,
    defaults: Option<&IdentityPlan>,
) -> IdentityPlan {
    let mut field = |v: &Option<Value>, name: &str, default: Option<&Expr>| match v {
        Some(v) => {
            let at = format!("identity.{name}");
            let e = c.expr(v, &at, Scope::default());
            c.expect(&e, Ty::SCALAR, &at);
            e
        }
        None => default.cloned().unwrap_or(Expr::Absent),
    };
    IdentityPlan {
        order_id: field(&spec.order_id, "order_id", defaults.map(|d| &d.order_id)),
        account_id: field(
            &spec.account_id,
            "account_id",
            defaults.map(|d| &d.account_id),
        ),
        event_id: field(&spec.event_id, "event_id", defaults.map(|d| &d.event_id)),
        correlation_key: field(
            &spec.correlation_key,
            "correlation_key",
            defaults.map(|d| &d.correlation_key),
        ),
    }
}

fn result(c: &mut Compiler, r: &ResultSpec) -> ResultPlan {
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
