//! Compiling the operators that take companion members (`path` with `default`/`required`, `if`
//! with `then`/`else`, `round` with `digits`, `header`, `lookup`, `split`, `date`): each member is
//! checked here, with the reasons an author needs to fix it.

use super::compile::{Compiler, Scope};
use super::dates::{DateExpr, Format, Zone};
use super::expr::{Expr, Lookup, Missing, Split, Ty};
use serde_json::{Map, Value};
use std::collections::HashMap;

impl Compiler {
    pub(crate) fn path_object(
        &mut self,
        m: &Map<String, Value>,
        arg: &Value,
        at: &str,
        scope: Scope,
    ) -> Expr {
        let Some(src) = arg.as_str().filter(|s| s.starts_with(['$', '@'])) else {
            self.err(
                at,
                "expected a JSONPath starting with $ (or @ inside attachments[].each)",
            );
            return Expr::Absent;
        };
        let required = match m.get("required") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.err(at, "\"required\" must be true or false");
                false
            }
        };
        let missing = match (m.get("default"), required) {
            (Some(_), true) => {
                self.err(at, "a path with a \"default\" cannot also be \"required\"");
                Missing::Absent
            }
            (Some(d), false) => Missing::Default(self.expr(d, &format!("{at}.default"), scope)),
            (None, true) => Missing::Required,
            (None, false) => Missing::Absent,
        };
        self.path(src, missing, at, scope)
    }

    pub(crate) fn if_then_else(
        &mut self,
        m: &Map<String, Value>,
        arg: &Value,
        at: &str,
        scope: Scope,
    ) -> Expr {
        let cond = self.cond(arg, &format!("{at}.if"), scope);
        let then = match m.get("then") {
            Some(t) => self.expr(t, &format!("{at}.then"), scope),
            None => {
                self.err(at, "\"if\" needs \"then\" (\"else\" is optional)");
                Expr::Absent
            }
        };
        let otherwise = m
            .get("else")
            .map_or(Expr::Absent, |e| self.expr(e, &format!("{at}.else"), scope));
        Expr::If(Box::new((cond, then, otherwise)))
    }

    pub(crate) fn round(
        &mut self,
        m: &Map<String, Value>,
        arg: &Value,
        at: &str,
        scope: Scope,
    ) -> Expr {
        let e = self.operand(arg, &format!("{at}.round"), scope, Ty::NUM);
        let digits = match m.get("digits") {
            None => 0,
            Some(d) => match d.as_u64().filter(|d| *d <= 12) {
                Some(d) => d as u32,
                None => {
                    self.err(
                        &format!("{at}.digits"),
                        "must be a whole number from 0 to 12",
                    );
                    0
                }
            },
        };
        Expr::Round(Box::new(e), digits)
    }

    pub(crate) fn header(&mut self, arg: &Value, at: &str) -> Expr {
        match arg.as_str().filter(|s| is_header_name(s)) {
            Some(name) => {
                let name = name.to_ascii_lowercase();
                self.headers.insert(name.clone());
                Expr::Header(name)
            }
            None => {
                self.err(
                    at,
                    "expected a header name such as \"X-TestDome-CorrelationId\"",
                );
                Expr::Absent
            }
        }
    }

    pub(crate) fn lookup(
        &mut self,
        m: &Map<String, Value>,
        arg: &Value,
        at: &str,
        scope: Scope,
    ) -> Expr {
        let input = self.operand(arg, &format!("{at}.lookup"), scope, Ty::SCALAR.or(Ty::BOOL));
        let ignore_case = match m.get("ignore_case") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.err(&format!("{at}.ignore_case"), "must be true or false");
                false
            }
        };
        let mut table = HashMap::new();
        match m.get("table") {
            Some(Value::Object(t)) if !t.is_empty() => {
                for (k, v) in t {
                    let key = if ignore_case {
                        k.to_lowercase()
                    } else {
                        k.clone()
                    };
                    let e = match v {
                        Value::Null => Expr::Absent,
                        Value::Object(_) | Value::Array(_) => {
                            self.err(
                                &format!("{at}.table.{k}"),
                                "table values are constants: text, a number, a boolean or null",
                            );
                            Expr::Absent
                        }
                        v => Expr::Const(v.clone()),
                    };
                    if table.insert(key, e).is_some() {
                        self.err(
                            &format!("{at}.table.{k}"),
                            "two keys differ only in case while ignore_case is true",
                        );
                    }
                }
            }
            _ => self.err(
                at,
                "\"lookup\" needs a non-empty \"table\" object mapping vendor values to results",
            ),
        }
        let default = m
            .get("default")
            .map(|d| self.expr(d, &format!("{at}.default"), scope));
        Expr::Lookup(Box::new(Lookup {
            input,
            table,
            default,
            ignore_case,
        }))
    }

    pub(crate) fn split(
        &mut self,
        m: &Map<String, Value>,
        arg: &Value,
        at: &str,
        scope: Scope,
    ) -> Expr {
        let input = self.operand(arg, &format!("{at}.split"), scope, Ty::SCALAR);
        let separator = self.text_member(m, "separator", at).unwrap_or_default();
        if separator.is_empty() {
            self.err(at, "\"split\" needs a non-empty \"separator\"");
        }
        let part = match m.get("part").map(|p| p.as_i64()) {
            Some(Some(p)) => p,
            _ => {
                self.err(at, "\"split\" needs \"part\": a whole number, 0 for the first part, -1 for the last");
                0
            }
        };
        let max_parts = match m.get("max_parts") {
            None => None,
            Some(v) => match v.as_u64().filter(|n| *n >= 2) {
                Some(n) => Some(usize::try_from(n).unwrap_or(usize::MAX)),
                None => {
                    self.err(
                        &format!("{at}.max_parts"),
                        "must be a whole number of at least 2",
                    );
                    None
                }
            },
        };
        Expr::Split(Box::new(Split {
            input,
            separator,
            part,
            max_parts,
        }))
    }

    pub(crate) fn date(
        &mut self,
        m: &Map<String, Value>,
        arg: &Value,
        at: &str,
        scope: Scope,
    ) -> Expr {
        let input = self.operand(arg, &format!("{at}.date"), scope, Ty::SCALAR);
        let format = match m.get("format").map(|f| f.as_str().map(Format::parse)) {
            Some(Some(Ok(f))) => Some(f),
            Some(Some(Err(e))) => {
                self.err(&format!("{at}.format"), e);
                None
            }
            _ => {
                self.err(at, "\"date\" needs \"format\": \"rfc3339\", \"epoch_s\", \"epoch_ms\" or a strftime pattern");
                None
            }
        };
        let zone = match m.get("timezone").map(|z| z.as_str().map(Zone::parse)) {
            None => None,
            Some(Some(Ok(z))) => Some(z),
            Some(Some(Err(e))) => {
                self.err(&format!("{at}.timezone"), e);
                None
            }
            Some(None) => {
                self.err(
                    &format!("{at}.timezone"),
                    "expected a zone name or offset as text",
                );
                None
            }
        };
        if let Some(f) = &format {
            if f.is_epoch() && m.contains_key("timezone") {
                self.err(
                    &format!("{at}.timezone"),
                    "epoch timestamps are already UTC; remove \"timezone\"",
                );
            }
            if f.needs_zone() && !m.contains_key("timezone") {
                self.err(at, "this format carries no UTC offset (%z), so \"timezone\" is required (e.g. \"Asia/Kolkata\", \"UTC\" or \"+05:30\")");
            }
        }
        let shift = match (m.get("minus_ms"), m.get("plus_ms")) {
            (Some(_), Some(_)) => {
                self.err(at, "use either \"minus_ms\" or \"plus_ms\", not both");
                None
            }
            (Some(v), None) => Some((
                self.operand(v, &format!("{at}.minus_ms"), scope, Ty::NUM),
                true,
            )),
            (None, Some(v)) => Some((
                self.operand(v, &format!("{at}.plus_ms"), scope, Ty::NUM),
                false,
            )),
            (None, None) => None,
        };
        Expr::Date(Box::new(DateExpr {
            input,
            format: format.unwrap_or(Format::Rfc3339),
            zone,
            shift,
        }))
    }

    pub(crate) fn text_member(
        &mut self,
        m: &Map<String, Value>,
        key: &str,
        at: &str,
    ) -> Option<String> {
        match m.get(key) {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.err(&format!("{at}.{key}"), "expected text");
                None
            }
        }
    }
}

/// An HTTP token (RFC 9110 `tchar`s).
fn is_header_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}
