//! Rule conditions (`when`) and the `if` of an expression: a test on a path, a header or any
//! value — exists / equals / one of / matches — combined with `all`, `any` and `not`. Regexes
//! are compiled once, at load. A path that selects several nodes (wildcard, filter) passes a
//! test when any selected node does.

use super::compile::{Compiler, Scope};
use super::eval::{eval, Cx};
use super::expr::{Expr, Missing};
use super::value::Val;
use regex::Regex;
use serde_json::{Map, Value};

#[derive(Debug, Clone)]
pub(crate) enum Cond {
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
    Test(Box<Test>),
}

#[derive(Debug, Clone)]
pub(crate) struct Test {
    /// A `Path`, `Header` or any other expression.
    subject: Expr,
    check: Check,
}

#[derive(Debug, Clone)]
enum Check {
    Exists(bool),
    Equals(Value),
    OneOf(Vec<Value>),
    Matches(Regex),
}

const SUBJECTS: [&str; 3] = ["path", "header", "value"];
const CHECKS: [&str; 4] = ["exists", "equals", "one_of", "matches"];

impl Compiler {
    pub(crate) fn cond(&mut self, v: &Value, at: &str, scope: Scope) -> Cond {
        let Value::Object(m) = v else {
            self.err(
                at,
                "a condition is an object such as {\"path\": \"$.event\", \"equals\": \"done\"}",
            );
            return Cond::All(Vec::new());
        };
        for (op, build) in [
            ("all", Cond::All as fn(Vec<Cond>) -> Cond),
            ("any", Cond::Any),
        ] {
            if let Some(arg) = m.get(op) {
                self.only(m, op, at);
                let here = format!("{at}.{op}");
                return match arg {
                    Value::Array(items) if !items.is_empty() => build(
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, c)| self.cond(c, &format!("{here}[{i}]"), scope))
                            .collect(),
                    ),
                    _ => {
                        self.err(&here, "expected a non-empty list of conditions");
                        Cond::All(Vec::new())
                    }
                };
            }
        }
        if let Some(arg) = m.get("not") {
            self.only(m, "not", at);
            return Cond::Not(Box::new(self.cond(arg, &format!("{at}.not"), scope)));
        }
        self.test(m, at, scope)
    }

    fn only(&mut self, m: &Map<String, Value>, op: &str, at: &str) {
        for k in m.keys().filter(|k| *k != op) {
            self.err(
                &format!("{at}.{k}"),
                format!("\"{op}\" stands alone in its object; wrap other tests in a list"),
            );
        }
    }

    fn test(&mut self, m: &Map<String, Value>, at: &str, scope: Scope) -> Cond {
        let subjects: Vec<&str> = SUBJECTS
            .into_iter()
            .filter(|k| m.contains_key(*k))
            .collect();
        let checks: Vec<&str> = CHECKS.into_iter().filter(|k| m.contains_key(*k)).collect();
        for k in m
            .keys()
            .filter(|k| !SUBJECTS.contains(&k.as_str()) && !CHECKS.contains(&k.as_str()))
        {
            self.err(&format!("{at}.{k}"), "unknown member of a condition (expected path | header | value, then exists | equals | one_of | matches, or all | any | not)");
        }
        let (&[subject], &[check]) = (subjects.as_slice(), checks.as_slice()) else {
            self.err(at, "a test names exactly one subject (path, header or value) and one check (exists, equals, one_of or matches)");
            return Cond::All(Vec::new());
        };
        let here = format!("{at}.{subject}");
        let subject_expr = match (subject, &m[subject]) {
            ("path", Value::String(s)) if s.starts_with(['$', '@']) => {
                self.path(s, Missing::Absent, &here, scope)
            }
            ("path", _) => {
                self.err(&here, "expected a JSONPath starting with $");
                Expr::Absent
            }
            ("header", v) => self.header(v, &here),
            (_, v) => self.expr(v, &here, scope),
        };
        let is_header = subject == "header";
        let arg = &m[check];
        let here = format!("{at}.{check}");
        let check = match check {
            "exists" => match arg {
                Value::Bool(b) => Check::Exists(*b),
                _ => {
                    self.err(&here, "expected true or false");
                    Check::Exists(true)
                }
            },
            "equals" => Check::Equals(self.constant(arg, &here, is_header)),
            "one_of" => match arg {
                Value::Array(items) if !items.is_empty() => Check::OneOf(
                    items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| self.constant(v, &format!("{here}[{i}]"), is_header))
                        .collect(),
                ),
                _ => {
                    self.err(&here, "expected a non-empty list of constants");
                    Check::OneOf(Vec::new())
                }
            },
            _ => match arg.as_str().map(Regex::new) {
                Some(Ok(re)) => Check::Matches(re),
                Some(Err(e)) => {
                    self.err(&here, format!("invalid regular expression: {e}"));
                    Check::Exists(true)
                }
                None => {
                    self.err(&here, "expected a regular expression as text");
                    Check::Exists(true)
                }
            },
        };
        Cond::Test(Box::new(Test {
            subject: subject_expr,
            check,
        }))
    }

    fn constant(&mut self, v: &Value, at: &str, header: bool) -> Value {
        match v {
            Value::Null => self.err(
                at,
                "null never equals anything: test {\"exists\": false} instead",
            ),
            Value::Object(_) | Value::Array(_) => {
                self.err(at, "compare with text, a number or a boolean")
            }
            Value::String(_) => {}
            _ if header => self.err(at, "header values are text: write the constant in quotes"),
            _ => {}
        }
        v.clone()
    }
}

impl Cond {
    pub(crate) fn holds(&self, cx: &Cx<'_>) -> Result<bool, String> {
        match self {
            Cond::All(cs) => {
                for c in cs {
                    if !c.holds(cx)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Cond::Any(cs) => {
                for c in cs {
                    if c.holds(cx)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Cond::Not(c) => Ok(!c.holds(cx)?),
            Cond::Test(t) => t.holds(cx),
        }
    }
}

impl Test {
    fn holds(&self, cx: &Cx<'_>) -> Result<bool, String> {
        if let Expr::Path(p) = &self.subject {
            let root = if p.element {
                cx.element.unwrap_or(cx.root)
            } else {
                cx.root
            };
            if !p.path.is_singular() {
                let hits = p.path.select(root);
                let mut vals = hits.into_iter().filter_map(Val::of);
                return Ok(match &self.check {
                    Check::Exists(want) => vals.next().is_some() == *want,
                    check => vals.any(|v| check.accepts(&v)),
                });
            }
        }
        let v = eval(&self.subject, cx)?;
        Ok(match (&self.check, v) {
            (Check::Exists(want), v) => v.is_some() == *want,
            (_, None) => false,
            (check, Some(v)) => check.accepts(&v),
        })
    }
}

impl Check {
    fn accepts(&self, v: &Val<'_>) -> bool {
        match self {
            Check::Exists(want) => *want,
            Check::Equals(c) => same(v, c),
            Check::OneOf(cs) => cs.iter().any(|c| same(v, c)),
            Check::Matches(re) => v.render().is_ok_and(|s| re.is_match(&s)),
        }
    }
}

/// Equality with a constant: numbers compare by value (`1` equals `1.0`), text exactly.
fn same(v: &Val<'_>, c: &Value) -> bool {
    match (v, c) {
        (_, Value::Number(n)) => v.number().ok() == n.as_f64(),
        (Val::Json(Value::Bool(a)) | Val::Owned(Value::Bool(a)), Value::Bool(b)) => a == b,
        (Val::Json(Value::String(a)) | Val::Owned(Value::String(a)), Value::String(b)) => a == b,
        (Val::Text(a), Value::String(b)) => a == b,
        _ => false,
    }
}
