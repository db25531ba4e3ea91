//! Evaluating a compiled expression against one request. Pure: the same payload, headers, route
//! and receipt time give the same value. `Ok(None)` is "absent" (missing or `null`); `Err` is a
//! reason the payload cannot be translated (a required path missing, division by zero, a value of
//! the wrong kind), reported as 422 with the field it happened in.

use super::dates;
use super::expr::{ArithOp, Expr, Lookup, Missing, TextOp};
use super::text_ops::{join, split, to_number};
use super::value::Val;
use crate::domain::Headers;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// What an expression can read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cx<'a> {
    pub root: &'a Value,
    /// The current `attachments[].each` element.
    pub element: Option<&'a Value>,
    pub headers: &'a Headers,
    pub route_account: Option<&'a str>,
    pub received_at: DateTime<Utc>,
}

pub(crate) type Out<'a> = Result<Option<Val<'a>>, String>;

pub(crate) fn eval<'a>(e: &'a Expr, cx: &Cx<'a>) -> Out<'a> {
    match e {
        Expr::Const(v) => Ok(Val::of(v)),
        Expr::First(items) => {
            for item in items {
                if let Some(v) = eval(item, cx)? {
                    return Ok(Some(v));
                }
            }
            Ok(None)
        }
        Expr::If(b) => {
            let (cond, then, otherwise) = &**b;
            eval(if cond.holds(cx)? { then } else { otherwise }, cx)
        }
        Expr::Lookup(l) => Ok(lookup(l, cx)?.map(|(v, _)| v)),
        other => eval_plain(other, cx),
    }
}

/// A value and the vendor's raw value behind it.
pub(crate) type WithRaw<'a> = Result<Option<(Val<'a>, Option<Val<'a>>)>, String>;

/// Like [`eval`], also returning the vendor's raw value behind the result: the input of a
/// `lookup`, the value itself for anything read from the request, nothing for a constant.
/// This is the default `source_value` of an enum field.
pub(crate) fn eval_raw<'a>(e: &'a Expr, cx: &Cx<'a>) -> WithRaw<'a> {
    match e {
        Expr::Const(v) => Ok(Val::of(v).map(|v| (v, None))),
        Expr::First(items) => {
            for item in items {
                if let Some(hit) = eval_raw(item, cx)? {
                    return Ok(Some(hit));
                }
            }
            Ok(None)
        }
        Expr::If(b) => {
            let (cond, then, otherwise) = &**b;
            eval_raw(if cond.holds(cx)? { then } else { otherwise }, cx)
        }
        Expr::Lookup(l) => lookup(l, cx),
        other => Ok(eval_plain(other, cx)?.map(|v| (v.clone(), Some(v)))),
    }
}

fn lookup<'a>(l: &'a Lookup, cx: &Cx<'a>) -> WithRaw<'a> {
    let Some(input) = eval(&l.input, cx)? else {
        return Ok(None);
    };
    let key = match &input {
        Val::Json(Value::Bool(b)) => Cow::Borrowed(if *b { "true" } else { "false" }),
        other => other.text().map_err(|e| format!("lookup key: {e}"))?,
    };
    let hit = if l.ignore_case {
        l.table.get(&key.to_lowercase())
    } else {
        l.table.get(key.as_ref())
    };
    let out = match (hit, &l.default) {
        (Some(e), _) | (None, Some(e)) => eval(e, cx)?,
        (None, None) => Some(input.clone()),
    };
    Ok(out.map(|v| (v, Some(input))))
}

fn eval_plain<'a>(e: &'a Expr, cx: &Cx<'a>) -> Out<'a> {
    Ok(match e {
        Expr::Absent => None,
        Expr::Path(p) => {
            let root = if p.element {
                cx.element.unwrap_or(cx.root)
            } else {
                cx.root
            };
            let found = if p.path.is_singular() {
                p.path.get(root).and_then(Val::of)
            } else {
                let hits: Vec<Value> = p
                    .path
                    .select(root)
                    .into_iter()
                    .filter(|v| !v.is_null())
                    .cloned()
                    .collect();
                (!hits.is_empty()).then_some(Val::Owned(Value::Array(hits)))
            };
            match (found, &p.missing) {
                (Some(v), _) => Some(v),
                (None, Missing::Absent) => None,
                (None, Missing::Required) => {
                    return Err(format!("required value {} is missing", e.label()))
                }
                (None, Missing::Default(d)) => eval(d, cx)?,
            }
        }
        Expr::Header(name) => cx.headers.get(name).map(|v| Val::Text(Cow::Borrowed(v))),
        Expr::RouteAccount => cx.route_account.map(|v| Val::Text(Cow::Borrowed(v))),
        Expr::ReceivedAt => Some(Val::Date(cx.received_at)),
        Expr::Concat(parts) => {
            let mut out = String::new();
            for p in parts {
                match eval(p, cx)? {
                    Some(v) => {
                        out.push_str(&v.render().map_err(|e| format!("{}: {e}", p.label()))?)
                    }
                    None => return Ok(None),
                }
            }
            Some(Val::Text(Cow::Owned(out)))
        }
        Expr::Arith(op, items) => arith(*op, items, cx)?.map(Val::Num),
        Expr::Round(inner, digits) => match eval(inner, cx)? {
            None => None,
            Some(v) => {
                let x = v.number()?;
                let scale = 10f64.powi(*digits as i32);
                Some(Val::Num((x * scale).round() / scale))
            }
        },
        Expr::ToNumber(inner) => match eval(inner, cx)? {
            None => None,
            Some(v) => to_number(&v)?.map(Val::Num),
        },
        Expr::ToText(inner) => match eval(inner, cx)? {
            None => None,
            Some(v) => Some(Val::Text(v.render()?)),
        },
        Expr::Text(op, inner) => match eval(inner, cx)? {
            None => None,
            Some(v) => {
                let s = v.text()?;
                Some(Val::Text(match op {
                    TextOp::Trim => match s {
                        Cow::Borrowed(b) => Cow::Borrowed(b.trim()),
                        Cow::Owned(o) => Cow::Owned(o.trim().to_owned()),
                    },
                    TextOp::Lower => Cow::Owned(s.to_lowercase()),
                    TextOp::Upper => Cow::Owned(s.to_uppercase()),
                }))
            }
        },
        Expr::Split(sp) => match eval(&sp.input, cx)? {
            None => None,
            Some(v) => split(&v.text()?, &sp.separator, sp.part, sp.max_parts)
                .map(|s| Val::Text(Cow::Owned(s))),
        },
        Expr::Join(inner, sep) => match eval(inner, cx)? {
            None => None,
            Some(v) => join(&v, sep)?.map(|s| Val::Text(Cow::Owned(s))),
        },
        Expr::Date(d) => {
            let Some(v) = eval(&d.input, cx)? else {
                return Ok(None);
            };
            let mut t = dates::read(&v, d, &d.input.label())?;
            if let Some((ms, minus)) = &d.shift {
                let Some(ms) = eval(ms, cx)? else {
                    return Ok(None);
                };
                let ms = ms.number()?;
                let delta = if ms.is_finite() && ms.abs() < 1e15 {
                    TimeDelta::try_milliseconds(ms.round() as i64)
                } else {
                    None
                }
                .ok_or("date offset out of range")?;
                t = if *minus {
                    t.checked_sub_signed(delta)
                } else {
                    t.checked_add_signed(delta)
                }
                .ok_or("date out of range")?;
            }
            Some(Val::Date(t))
        }
        Expr::Object(fields) => {
            let mut m = Map::new();
            for (k, e) in fields {
                if let Some(v) = eval(e, cx)? {
                    m.insert(k.clone(), v.into_json());
                }
            }
            Some(Val::Owned(Value::Object(m)))
        }
        Expr::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for e in items {
                if let Some(v) = eval(e, cx)? {
                    out.push(v.into_json());
                }
            }
            Some(Val::Owned(Value::Array(out)))
        }
        Expr::Const(_) | Expr::First(_) | Expr::If(_) | Expr::Lookup(_) => eval(e, cx)?,
    })
}

fn arith(op: ArithOp, items: &[Expr], cx: &Cx<'_>) -> Result<Option<f64>, String> {
    let mut acc: Option<f64> = None;
    for (i, e) in items.iter().enumerate() {
        let Some(v) = eval(e, cx)? else {
            return Ok(None);
        };
        let x = v.number().map_err(|err| format!("{}: {err}", e.label()))?;
        acc = Some(match (acc, op) {
            (None, _) => x,
            (Some(a), ArithOp::Add) => a + x,
            (Some(a), ArithOp::Sub) => a - x,
            (Some(a), ArithOp::Mul) => a * x,
            (Some(_), ArithOp::Div) if x == 0.0 => {
                return Err(format!(
                    "division by zero (operand {i}, {}, is 0)",
                    e.label()
                ))
            }
            (Some(a), ArithOp::Div) => a / x,
        });
    }
    match acc {
        Some(x) if !x.is_finite() => Err("the result is too large to be a number".to_owned()),
        other => Ok(other),
    }
}
