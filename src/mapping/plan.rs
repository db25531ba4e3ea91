//! Compiling a parsed file into rules ready to run: conditions, identities and results (see
//! `result_plan`), plus the file-level checks (unique rule names, no unreachable rule, exactly one
//! of result / ignore, a status the gateway can answer with).

use super::compile::{Compiler, Scope};
use super::cond::Cond;
use super::expr::{Expr, Ty};
use super::model::{IdentitySpec, MappingFile};
use super::result_plan::{result, ResultPlan};
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
