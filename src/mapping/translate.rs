//! Translation: pick the first rule whose condition holds, then either acknowledge the event as
//! ignored or build the identity and the body. Pure: no clock, no I/O, no parsing.

use super::eval::Cx;
use super::output::{build, text};
use super::plan::{Action, IdentityPlan, Rule};
use super::{CompiledMapping, Mapped, TranslateError, TranslateInput, Translation};

pub(crate) fn run(
    m: &CompiledMapping,
    input: &TranslateInput<'_>,
) -> Result<Translation, TranslateError> {
    let cx = Cx {
        root: input.payload,
        element: None,
        headers: input.headers,
        route_account: input.route.account_id.as_deref(),
        received_at: input.received_at,
    };
    for rule in &m.rules {
        let hit = match &rule.when {
            None => true,
            Some(c) => c.holds(&cx).map_err(|r| fail(rule, "when", r))?,
        };
        if !hit {
            continue;
        }
        let plan = match &rule.action {
            Action::Ignore(reason) => {
                return Ok(Translation::Ignored {
                    reason: format!("rule {:?}: {reason}", rule.name),
                })
            }
            Action::Map(plan) => plan,
        };
        let ids = identity(&plan.identity, &cx).map_err(|(f, r)| fail(rule, &f, r))?;
        let body = build(&plan.result, &cx).map_err(|(f, r)| fail(rule, &f, r))?;
        let [order_id, account_id, event_id, correlation_key] = ids;
        return Ok(Translation::Mapped(Box::new(Mapped {
            rule: rule.name.clone(),
            order_id,
            account_id,
            event_id,
            correlation_key,
            body,
        })));
    }
    Ok(Translation::Ignored {
        reason: m.no_match.clone(),
    })
}

/// The four identity values; an empty text counts as absent (an empty id identifies nothing).
fn identity(p: &IdentityPlan, cx: &Cx<'_>) -> Result<[Option<String>; 4], (String, String)> {
    let one = |e, name: &str| -> Result<Option<String>, (String, String)> {
        Ok(text(e, cx, || format!("identity.{name}"))?.filter(|s| !s.is_empty()))
    };
    Ok([
        one(&p.order_id, "order_id")?,
        one(&p.account_id, "account_id")?,
        one(&p.event_id, "event_id")?,
        one(&p.correlation_key, "correlation_key")?,
    ])
}

fn fail(rule: &Rule, field: &str, reason: String) -> TranslateError {
    TranslateError {
        rule: Some(rule.name.clone()),
        field: field.to_owned(),
        reason,
    }
}

/// The reason given when no rule selects an event: each rule's name and condition.
pub(crate) fn no_match_reason(rules: &[Rule]) -> String {
    let checked: Vec<String> = rules
        .iter()
        .map(|r| format!("{:?} when {}", r.name, r.when_src))
        .collect();
    format!("no rule matched (checked {})", checked.join("; "))
}
