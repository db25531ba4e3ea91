//! The compiled form of a value expression, and the static types used to check at load that an
//! expression can fit where it is written (a date where a date is required, numbers where
//! arithmetic needs them). Values read from the payload are only known at run time; constants and
//! operators are known now, so most mistakes surface when the file loads, not on a live webhook.

use super::cond::Cond;
use super::dates::DateExpr;
use super::path::JsonPath;
use serde_json::Value;
use std::collections::HashMap;

/// A value expression, parsed and checked at load.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    /// `null`: no value.
    Absent,
    /// A constant (never `null`).
    Const(Value),
    /// A JSONPath from the payload root (`$…`) or, inside `attachments.each`, the element (`@…`).
    Path(Box<PathExpr>),
    /// First value of a request header (name lower-cased).
    Header(String),
    /// `RouteParams.account_id`.
    RouteAccount,
    /// When the gateway received the webhook.
    ReceivedAt,
    First(Vec<Expr>),
    If(Box<(Cond, Expr, Expr)>),
    Lookup(Box<Lookup>),
    /// Every piece rendered as text and joined; absent if any piece is absent.
    Concat(Vec<Expr>),
    Arith(ArithOp, Vec<Expr>),
    Round(Box<Expr>, u32),
    ToNumber(Box<Expr>),
    ToText(Box<Expr>),
    Text(TextOp, Box<Expr>),
    Split(Box<Split>),
    Join(Box<Expr>, String),
    Date(Box<DateExpr>),
    Object(Vec<(String, Expr)>),
    Array(Vec<Expr>),
}

#[derive(Debug, Clone)]
pub(crate) struct PathExpr {
    pub path: JsonPath,
    /// `@…`: relative to the current `attachments.each` element.
    pub element: bool,
    pub missing: Missing,
}

/// What a path yields when it selects nothing (or `null`).
#[derive(Debug, Clone)]
pub(crate) enum Missing {
    Absent,
    /// Translation fails (422) naming the path.
    Required,
    Default(Expr),
}

#[derive(Debug, Clone)]
pub(crate) struct Lookup {
    pub input: Expr,
    /// Keys as written, or lower-cased when `ignore_case`. Values are `Const` or `Absent`.
    pub table: HashMap<String, Expr>,
    /// For a present input that is not in the table; without it the input passes through.
    pub default: Option<Expr>,
    pub ignore_case: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TextOp {
    Trim,
    Lower,
    Upper,
}

#[derive(Debug, Clone)]
pub(crate) struct Split {
    pub input: Expr,
    pub separator: String,
    /// 0-based; negative counts from the end.
    pub part: i64,
    /// Split into at most this many parts (the last keeps any further separators).
    pub max_parts: Option<usize>,
}

/// A set of possible value kinds, known at load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ty(u8);

impl Ty {
    pub const NONE: Ty = Ty(0);
    pub const TEXT: Ty = Ty(1);
    pub const NUM: Ty = Ty(2);
    pub const BOOL: Ty = Ty(4);
    pub const OBJ: Ty = Ty(8);
    pub const ARR: Ty = Ty(16);
    pub const DATE: Ty = Ty(32);
    /// Anything a JSON document can hold (what a path yields).
    pub const JSON: Ty = Ty(1 | 2 | 4 | 8 | 16);
    /// What a text field takes.
    pub const SCALAR: Ty = Ty(1 | 2);

    pub fn or(self, o: Ty) -> Ty {
        Ty(self.0 | o.0)
    }

    pub fn meets(self, o: Ty) -> bool {
        self.0 & o.0 != 0
    }

    pub fn of_json(v: &Value) -> Ty {
        match v {
            Value::Null => Ty::NONE,
            Value::Bool(_) => Ty::BOOL,
            Value::Number(_) => Ty::NUM,
            Value::String(_) => Ty::TEXT,
            Value::Array(_) => Ty::ARR,
            Value::Object(_) => Ty::OBJ,
        }
    }

    /// "text, a number or a date", for messages.
    pub fn describe(self) -> String {
        let names = [
            (Ty::TEXT, "text"),
            (Ty::NUM, "a number"),
            (Ty::BOOL, "a boolean"),
            (Ty::OBJ, "an object"),
            (Ty::ARR, "an array"),
            (Ty::DATE, "a date"),
        ];
        let parts: Vec<&str> = names
            .iter()
            .filter(|(t, _)| self.meets(*t))
            .map(|(_, n)| *n)
            .collect();
        match parts.as_slice() {
            [] => "nothing".to_owned(),
            [one] => (*one).to_owned(),
            [init @ .., last] => format!("{} or {last}", init.join(", ")),
        }
    }
}

impl Expr {
    /// The kinds of value this expression may produce when present.
    pub(crate) fn ty(&self) -> Ty {
        match self {
            Expr::Absent => Ty::NONE,
            Expr::Const(v) => Ty::of_json(v),
            Expr::Path(p) => {
                let hits = if p.path.is_singular() {
                    Ty::JSON
                } else {
                    Ty::ARR
                };
                match &p.missing {
                    Missing::Default(d) => hits.or(d.ty()),
                    _ => hits,
                }
            }
            Expr::Header(_) | Expr::RouteAccount => Ty::TEXT,
            Expr::ReceivedAt | Expr::Date(_) => Ty::DATE,
            Expr::First(items) => items.iter().fold(Ty::NONE, |t, e| t.or(e.ty())),
            Expr::If(b) => b.1.ty().or(b.2.ty()),
            Expr::Lookup(l) => {
                let table = l.table.values().fold(Ty::NONE, |t, v| t.or(v.ty()));
                match &l.default {
                    Some(d) => table.or(d.ty()),
                    None => table.or(l.input.ty()),
                }
            }
            Expr::Concat(_)
            | Expr::ToText(_)
            | Expr::Text(..)
            | Expr::Split(_)
            | Expr::Join(..) => Ty::TEXT,
            Expr::Arith(..) | Expr::Round(..) | Expr::ToNumber(_) => Ty::NUM,
            Expr::Object(_) => Ty::OBJ,
            Expr::Array(_) => Ty::ARR,
        }
    }

    /// The kinds this node itself yields, not counting a path's default (checked on its own).
    pub(crate) fn own_ty(&self) -> Ty {
        match self {
            Expr::Path(p) if p.path.is_singular() => Ty::JSON,
            Expr::Path(_) => Ty::ARR,
            other => other.ty(),
        }
    }

    /// How to name this expression in a message: the constant, the path, or the operator.
    pub(crate) fn label(&self) -> String {
        match self {
            Expr::Absent => "null".to_owned(),
            Expr::Const(v) => {
                let s = v.to_string();
                if s.len() > 40 {
                    format!("the constant {}…", s.chars().take(40).collect::<String>())
                } else {
                    format!("the constant {s}")
                }
            }
            Expr::Path(p) if p.element => format!("@{}", &p.path.as_str()[1..]),
            Expr::Path(p) => p.path.as_str().to_owned(),
            Expr::Header(h) => format!("header {h}"),
            Expr::RouteAccount => "route".to_owned(),
            Expr::ReceivedAt => "received_at".to_owned(),
            Expr::First(_) => "first".to_owned(),
            Expr::If(_) => "if".to_owned(),
            Expr::Lookup(_) => "lookup".to_owned(),
            Expr::Concat(_) => "concat".to_owned(),
            Expr::Arith(op, _) => format!("{op:?}").to_lowercase(),
            Expr::Round(..) => "round".to_owned(),
            Expr::ToNumber(_) => "number".to_owned(),
            Expr::ToText(_) => "string".to_owned(),
            Expr::Text(op, _) => format!("{op:?}").to_lowercase(),
            Expr::Split(_) => "split".to_owned(),
            Expr::Join(..) => "join".to_owned(),
            Expr::Date(_) => "date".to_owned(),
            Expr::Object(_) => "object".to_owned(),
            Expr::Array(_) => "array".to_owned(),
        }
    }

    /// Every way this expression can end, for checks that look through `first`, `if`, `lookup`
    /// and path defaults to the values that actually come out.
    pub(crate) fn outcomes(&self) -> Vec<&Expr> {
        let mut out = Vec::new();
        self.collect_outcomes(&mut out);
        out
    }

    fn collect_outcomes<'a>(&'a self, out: &mut Vec<&'a Expr>) {
        match self {
            Expr::First(items) => items.iter().for_each(|e| e.collect_outcomes(out)),
            Expr::If(b) => {
                b.1.collect_outcomes(out);
                b.2.collect_outcomes(out);
            }
            Expr::Path(p) => {
                out.push(self);
                if let Missing::Default(d) = &p.missing {
                    d.collect_outcomes(out);
                }
            }
            Expr::Lookup(l) => {
                l.table.values().for_each(|e| e.collect_outcomes(out));
                match &l.default {
                    Some(d) => d.collect_outcomes(out),
                    // Unlisted values pass through unchanged.
                    None => l.input.collect_outcomes(out),
                }
            }
            _ => out.push(self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_describe_themselves_in_words() {
        assert_eq!(Ty::SCALAR.describe(), "text or a number");
        assert_eq!(Ty::DATE.describe(), "a date");
        assert_eq!(
            Ty::JSON.describe(),
            "text, a number, a boolean, an object or an array"
        );
    }

    #[test]
    fn outcomes_look_through_first_and_if_branches() {
        let e = Expr::First(vec![
            Expr::Const(json!(1)),
            Expr::First(vec![Expr::Const(json!("a")), Expr::Absent]),
        ]);
        assert_eq!(e.outcomes().len(), 3);
        assert_eq!(e.ty(), Ty::NUM.or(Ty::TEXT));
    }
}
