//! Parsing a value expression from its JSON form into [`Expr`], with every problem recorded (not
//! just the first) under the field path where it was written, e.g.
//! `rule "finished", result.score.value.div[1]: expected a number here, but the constant "100"
//! gives text`.

use super::expr::{ArithOp, Expr, Missing, PathExpr, TextOp, Ty};
use super::path::JsonPath;
use super::MappingError;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// Operators an expression object may use, each with the members allowed beside it.
pub(crate) const OPERATORS: &[(&str, &[&str])] = &[
    ("const", &[]),
    ("path", &["default", "required"]),
    ("header", &[]),
    ("route", &[]),
    ("received_at", &[]),
    ("first", &[]),
    ("if", &["then", "else"]),
    ("lookup", &["table", "default", "ignore_case"]),
    ("template", &[]),
    ("concat", &[]),
    ("add", &[]),
    ("sub", &[]),
    ("mul", &[]),
    ("div", &[]),
    ("round", &["digits"]),
    ("number", &[]),
    ("string", &[]),
    ("trim", &[]),
    ("lower", &[]),
    ("upper", &[]),
    ("split", &["separator", "part", "max_parts"]),
    ("join", &["separator"]),
    ("date", &["format", "timezone", "minus_ms", "plus_ms"]),
    ("object", &[]),
    ("array", &[]),
];

/// Where an expression is written: inside `attachments[].each`, `@…` paths name the element.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Scope {
    pub element: bool,
}

/// Collects errors and the headers expressions read while a file compiles.
#[derive(Debug, Default)]
pub(crate) struct Compiler {
    pub errors: Vec<MappingError>,
    /// Name of the rule being compiled, for messages.
    pub rule: Option<String>,
    /// Lower-cased names of every header read.
    pub headers: BTreeSet<String>,
}

impl Compiler {
    pub(crate) fn err(&mut self, at: &str, reason: impl Into<String>) {
        self.errors.push(MappingError {
            rule: self.rule.clone(),
            field: at.to_owned(),
            reason: reason.into(),
        });
    }

    /// Compiles one expression. On error the problem is recorded and `Absent` stands in.
    pub(crate) fn expr(&mut self, v: &Value, at: &str, scope: Scope) -> Expr {
        match v {
            Value::Null => Expr::Absent,
            Value::Bool(_) | Value::Number(_) => Expr::Const(v.clone()),
            Value::String(s) if s.starts_with(['$', '@']) => {
                self.path(s, Missing::Absent, at, scope)
            }
            Value::String(_) => Expr::Const(v.clone()),
            Value::Array(_) => {
                self.err(at, "a JSON array is not an expression: build one with {\"array\": [...]} or write a constant with {\"const\": [...]}");
                Expr::Absent
            }
            Value::Object(m) => self.operator(m, at, scope),
        }
    }

    pub(crate) fn path(&mut self, src: &str, missing: Missing, at: &str, scope: Scope) -> Expr {
        let element = src.starts_with('@');
        if element && !scope.element {
            self.err(at, format!("{src:?}: an @ path names the current element and is only allowed inside attachments[].each; use $ for the payload"));
            return Expr::Absent;
        }
        let rooted = if element {
            format!("${}", &src[1..])
        } else {
            src.to_owned()
        };
        match JsonPath::compile(&rooted) {
            Ok(path) => Expr::Path(Box::new(PathExpr {
                path,
                element,
                missing,
            })),
            Err(e) => {
                self.err(
                    at,
                    e.replacen(&format!("{rooted:?}"), &format!("{src:?}"), 1),
                );
                Expr::Absent
            }
        }
    }

    fn operator(&mut self, m: &Map<String, Value>, at: &str, scope: Scope) -> Expr {
        let ops: Vec<&(&str, &[&str])> = OPERATORS
            .iter()
            .filter(|(name, _)| m.contains_key(*name))
            .collect();
        let (op, allowed) = match ops.as_slice() {
            [one] => **one,
            [] => {
                let names: Vec<&str> = OPERATORS.iter().map(|(n, _)| *n).collect();
                let found: Vec<&str> = m.keys().map(String::as_str).collect();
                self.err(
                    at,
                    format!(
                        "not an expression: an object needs one of the operators {}; found {}",
                        names.join(", "),
                        if found.is_empty() {
                            "no member".to_owned()
                        } else {
                            found.join(", ")
                        }
                    ),
                );
                return Expr::Absent;
            }
            many => {
                let names: Vec<&str> = many.iter().map(|(n, _)| *n).collect();
                self.err(
                    at,
                    format!(
                        "one expression object takes one operator, found {}",
                        names.join(" and ")
                    ),
                );
                return Expr::Absent;
            }
        };
        for k in m
            .keys()
            .filter(|k| *k != op && !allowed.contains(&k.as_str()))
        {
            let also = if allowed.is_empty() {
                "nothing else".to_owned()
            } else {
                allowed.join(", ")
            };
            self.err(
                &format!("{at}.{k}"),
                format!("unknown member for {op:?} (allowed beside it: {also})"),
            );
        }
        let arg = &m[op];
        let here = format!("{at}.{op}");
        match op {
            "const" => match arg {
                Value::Null => Expr::Absent,
                v => Expr::Const(v.clone()),
            },
            "path" => self.path_object(m, arg, &here, scope),
            "header" => self.header(arg, &here),
            "route" => {
                if arg != "account_id" {
                    self.err(&here, "the route carries only \"account_id\"");
                }
                Expr::RouteAccount
            }
            "received_at" => {
                if arg != &Value::Bool(true) {
                    self.err(&here, "write {\"received_at\": true}");
                }
                Expr::ReceivedAt
            }
            "first" => Expr::First(self.list(arg, &here, scope, 1)),
            "if" => self.if_then_else(m, arg, at, scope),
            "lookup" => self.lookup(m, arg, at, scope),
            "template" => self.template(arg, &here, scope),
            "concat" => {
                let items = self.list(arg, &here, scope, 1);
                for (i, e) in items.iter().enumerate() {
                    self.expect(
                        e,
                        Ty::SCALAR.or(Ty::BOOL).or(Ty::DATE),
                        &format!("{here}[{i}]"),
                    );
                }
                Expr::Concat(items)
            }
            "add" | "sub" | "mul" | "div" => {
                let items = self.list(arg, &here, scope, 2);
                for (i, e) in items.iter().enumerate() {
                    self.expect(e, Ty::NUM, &format!("{here}[{i}]"));
                }
                let op = match op {
                    "add" => ArithOp::Add,
                    "sub" => ArithOp::Sub,
                    "mul" => ArithOp::Mul,
                    _ => ArithOp::Div,
                };
                Expr::Arith(op, items)
            }
            "round" => self.round(m, arg, at, scope),
            "number" => Expr::ToNumber(Box::new(self.operand(arg, &here, scope, Ty::SCALAR))),
            "string" => Expr::ToText(Box::new(self.operand(
                arg,
                &here,
                scope,
                Ty::SCALAR.or(Ty::BOOL).or(Ty::DATE),
            ))),
            "trim" | "lower" | "upper" => {
                let t = match op {
                    "trim" => TextOp::Trim,
                    "lower" => TextOp::Lower,
                    _ => TextOp::Upper,
                };
                Expr::Text(t, Box::new(self.operand(arg, &here, scope, Ty::SCALAR)))
            }
            "split" => self.split(m, arg, at, scope),
            "join" => {
                let e = self.operand(arg, &here, scope, Ty::JSON);
                let sep = self
                    .text_member(m, "separator", at)
                    .unwrap_or_else(|| ", ".to_owned());
                Expr::Join(Box::new(e), sep)
            }
            "date" => self.date(m, arg, at, scope),
            "object" => match arg {
                Value::Object(fields) => Expr::Object(
                    fields
                        .iter()
                        .map(|(k, v)| (k.clone(), self.expr(v, &format!("{here}.{k}"), scope)))
                        .collect(),
                ),
                _ => {
                    self.err(&here, "expected an object whose members are expressions");
                    Expr::Absent
                }
            },
            _ => Expr::Array(self.list(arg, &here, scope, 0)),
        }
    }

    fn list(&mut self, arg: &Value, at: &str, scope: Scope, min: usize) -> Vec<Expr> {
        match arg {
            Value::Array(items) if items.len() >= min => items
                .iter()
                .enumerate()
                .map(|(i, v)| self.expr(v, &format!("{at}[{i}]"), scope))
                .collect(),
            Value::Array(_) => {
                self.err(at, format!("expected a list of at least {min} expressions"));
                Vec::new()
            }
            _ => {
                self.err(at, "expected a list of expressions");
                Vec::new()
            }
        }
    }

    pub(crate) fn operand(&mut self, arg: &Value, at: &str, scope: Scope, accept: Ty) -> Expr {
        let e = self.expr(arg, at, scope);
        self.expect(&e, accept, at);
        e
    }

    /// Records an error for every way `e` can end with a kind of value `accept` excludes.
    pub(crate) fn expect(&mut self, e: &Expr, accept: Ty, at: &str) {
        for o in e.outcomes() {
            let t = o.own_ty();
            if t != Ty::NONE && !t.meets(accept) {
                let hint = if accept == Ty::DATE {
                    ": write {\"date\": …, \"format\": …} to read a date"
                } else {
                    ""
                };
                self.err(
                    at,
                    format!(
                        "expected {} here, but {} gives {}{hint}",
                        accept.describe(),
                        o.label(),
                        t.describe()
                    ),
                );
            }
        }
    }
}
