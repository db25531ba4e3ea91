//! Building the StackOne body (`domain::UnifiedResult`) from a rule's result plan. Absent values
//! are left out, and so is an object without its main member (a score without a value, a result
//! or content type without a value, an attachment without a URL) or with nothing in it (a
//! candidate, a passthrough): the body never carries `null` or `{}` for "we don't know".

use super::eval::{eval, eval_raw, Cx};
use super::expr::Expr;
use super::result_plan::{AttachPlan, EnumPlan, ResultPlan, SCORE_PARTS};
use super::value::Val;
use crate::domain::{
    Attachment, Candidate, ContentType, ContentTypeValue, ResultStatus, ResultValue, Score,
    UnifiedResult,
};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// A failure while building: the field (`result.score.value`) and the reason.
pub(crate) type FieldError = (String, String);

pub(crate) fn build(plan: &ResultPlan, cx: &Cx<'_>) -> Result<UnifiedResult, FieldError> {
    let mut score = [None, None, None, None];
    for (i, e) in plan.score.iter().enumerate() {
        score[i] = text(e, cx, || format!("result.score.{}", SCORE_PARTS[i]))?;
    }
    let [label, value, min, max] = score;
    let score = Score {
        label,
        value,
        min,
        max,
    };
    let candidate = Candidate {
        id: text(&plan.candidate[0], cx, || "result.candidate.id".into())?,
        profile_url: text(&plan.candidate[1], cx, || {
            "result.candidate.profile_url".into()
        })?,
    };
    let result = match &plan.result {
        Some(p) => enum_field(
            p,
            cx,
            "result.result",
            ResultStatus::from_spec,
            ResultStatus::UnmappedValue,
        )?
        .map(|(value, source_value)| ResultValue {
            value: Some(value),
            source_value,
        }),
        None => None,
    };
    let mut attachments = Vec::new();
    for (i, a) in plan.attachments.iter().enumerate() {
        attachment(a, i, cx, &mut attachments)?;
    }
    Ok(UnifiedResult {
        // A score without a value says nothing, whatever its label or range.
        score: score.value.is_some().then_some(score),
        start_date: date(&plan.start_date, cx, "result.start_date")?,
        submission_date: date(&plan.submission_date, cx, "result.submission_date")?,
        summary: text(&plan.summary, cx, || "result.summary".into())?,
        result,
        result_url: text(&plan.result_url, cx, || "result.result_url".into())?,
        attachments: (!attachments.is_empty()).then_some(attachments),
        candidate: (candidate != Candidate::default()).then_some(candidate),
        passthrough: passthrough(&plan.passthrough, cx)?,
    })
}

/// A text field: text as is, numbers in canonical form. The field name is only built on error.
pub(crate) fn text(
    e: &Expr,
    cx: &Cx<'_>,
    field: impl Fn() -> String,
) -> Result<Option<String>, FieldError> {
    if matches!(e, Expr::Absent) {
        return Ok(None);
    }
    match eval(e, cx) {
        Ok(None) => Ok(None),
        Ok(Some(v)) => v
            .text()
            .map(|s| Some(s.into_owned()))
            .map_err(|r| (field(), r)),
        Err(r) => Err((field(), r)),
    }
}

fn date(e: &Expr, cx: &Cx<'_>, field: &str) -> Result<Option<DateTime<Utc>>, FieldError> {
    if matches!(e, Expr::Absent) {
        return Ok(None);
    }
    match eval(e, cx) {
        Ok(None) => Ok(None),
        Ok(Some(Val::Date(d))) => Ok(Some(d)),
        // The load-time check only lets date expressions in here.
        Ok(Some(v)) => Err((
            field.to_owned(),
            format!("expected a date, got {}", v.kind()),
        )),
        Err(r) => Err((field.to_owned(), r)),
    }
}

fn passthrough(
    e: &Expr,
    cx: &Cx<'_>,
) -> Result<Option<serde_json::Map<String, Value>>, FieldError> {
    let field = || "result.passthrough".to_owned();
    match eval(e, cx).map_err(|r| (field(), r))? {
        None => Ok(None),
        Some(v) => match v.into_json() {
            Value::Object(m) if m.is_empty() => Ok(None),
            Value::Object(m) => Ok(Some(m)),
            other => Err((
                field(),
                format!("expected an object, got {}", Val::Json(&other).kind()),
            )),
        },
    }
}

/// An enum: a member's spelling gives that member; anything else is `unmapped_value`. The
/// `source_value` defaults to the vendor's raw value behind `value`.
fn enum_field<T>(
    p: &EnumPlan,
    cx: &Cx<'_>,
    at: &str,
    parse: fn(&str) -> Option<T>,
    unmapped: T,
) -> Result<Option<(T, Option<Value>)>, FieldError> {
    let Some((value, raw)) = eval_raw(&p.value, cx).map_err(|r| (format!("{at}.value"), r))? else {
        return Ok(None);
    };
    let member = match &value {
        Val::Json(Value::String(s)) | Val::Owned(Value::String(s)) => parse(s),
        Val::Text(s) => parse(s),
        _ => None,
    };
    let source = match &p.source_value {
        Some(e) => eval(e, cx)
            .map_err(|r| (format!("{at}.source_value"), r))?
            .map(Val::into_json),
        None if member.is_none() => Some(raw.unwrap_or(value).into_json()),
        None => raw.map(Val::into_json),
    };
    Ok(Some((member.unwrap_or(unmapped), source)))
}

fn attachment(
    a: &AttachPlan,
    i: usize,
    cx: &Cx<'_>,
    out: &mut Vec<Attachment>,
) -> Result<(), FieldError> {
    let at = format!("result.attachments[{i}]");
    let one = |cx: &Cx<'_>| -> Result<Option<Attachment>, FieldError> {
        let Some(url) = text(&a.url, cx, || format!("{at}.url"))? else {
            return Ok(None);
        };
        let content_type = match &a.content_type {
            Some(p) => enum_field(
                p,
                cx,
                &format!("{at}.content_type"),
                ContentTypeValue::from_spec,
                ContentTypeValue::UnmappedValue,
            )?
            .map(|(value, source_value)| ContentType {
                value: Some(value),
                source_value,
            }),
            None => None,
        };
        Ok(Some(Attachment {
            url: Some(url),
            content_type,
        }))
    };
    let Some(each) = &a.each else {
        out.extend(one(cx)?);
        return Ok(());
    };
    let hits = each.select(cx.root);
    let elements: Vec<&Value> = match hits.as_slice() {
        [Value::Array(items)] if each.is_singular() => items.iter().collect(),
        _ => hits,
    };
    for el in elements.into_iter().filter(|v| !v.is_null()) {
        let cx = Cx {
            element: Some(el),
            ..*cx
        };
        out.extend(one(&cx)?);
    }
    Ok(())
}
