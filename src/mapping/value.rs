//! Values while a translation runs. Most values are borrowed straight from the payload (or from a
//! constant in the mapping), so a typical translation copies only what ends up in the body.
//! JSON `null` never becomes a value: it is "absent", like a missing member.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Number, Value};
use std::borrow::Cow;

/// A present value. `Json` never holds `null`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val<'a> {
    Json(&'a Value),
    Text(Cow<'a, str>),
    Num(f64),
    Date(DateTime<Utc>),
    /// Built by the mapping (objects, arrays, the hits of a multi-node path).
    Owned(Value),
}

impl<'a> Val<'a> {
    /// `None` for `null`, so callers never see a null value.
    pub(crate) fn of(v: &'a Value) -> Option<Self> {
        (!v.is_null()).then_some(Val::Json(v))
    }

    /// What kind of value this is, for messages (never the value itself: it may be personal data).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Val::Json(v) => json_kind(v),
            Val::Owned(v) => json_kind(v),
            Val::Text(_) => "text",
            Val::Num(_) => "a number",
            Val::Date(_) => "a date",
        }
    }

    /// Text for a text field: strings as they are, numbers in canonical form (`900`, `57.5`).
    pub(crate) fn text(&self) -> Result<Cow<'a, str>, String> {
        match self {
            Val::Text(s) => Ok(s.clone()),
            Val::Json(Value::String(s)) => Ok(Cow::Borrowed(s.as_str())),
            Val::Json(Value::Number(n)) => Ok(Cow::Owned(number_text(n))),
            Val::Owned(Value::String(s)) => Ok(Cow::Owned(s.clone())),
            Val::Owned(Value::Number(n)) => Ok(Cow::Owned(number_text(n))),
            Val::Num(f) => Ok(Cow::Owned(float_text(*f))),
            other => Err(format!("expected text or a number, got {}", other.kind())),
        }
    }

    /// Text for a template or a comparison: like [`Val::text`], plus booleans and dates.
    pub(crate) fn render(&self) -> Result<Cow<'a, str>, String> {
        match self {
            Val::Json(Value::Bool(b)) | Val::Owned(Value::Bool(b)) => {
                Ok(Cow::Borrowed(if *b { "true" } else { "false" }))
            }
            Val::Date(d) => Ok(Cow::Owned(date_text(d))),
            other => other.text(),
        }
    }

    /// A number for arithmetic. Text is not converted here: `{"number": …}` does that, explicitly.
    pub(crate) fn number(&self) -> Result<f64, String> {
        match self {
            Val::Num(f) => Ok(*f),
            Val::Json(Value::Number(n)) | Val::Owned(Value::Number(n)) => {
                n.as_f64().ok_or_else(|| "number out of range".to_owned())
            }
            other => Err(format!("expected a number, got {}", other.kind())),
        }
    }

    /// The value as JSON (for `passthrough` and `source_value`); dates become RFC 3339 text.
    pub(crate) fn into_json(self) -> Value {
        match self {
            Val::Json(v) => v.clone(),
            Val::Owned(v) => v,
            Val::Text(s) => Value::String(s.into_owned()),
            Val::Num(f) => float_json(f),
            Val::Date(d) => Value::String(date_text(&d)),
        }
    }

    /// The JSON value if this is one (borrowed), for lookups of structure.
    pub(crate) fn as_json(&self) -> Option<&Value> {
        match self {
            Val::Json(v) => Some(v),
            Val::Owned(v) => Some(v),
            _ => None,
        }
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Canonical text of a JSON number: integers as written, `100.0` as `100`, `57.5` as `57.5`.
pub(crate) fn number_text(n: &Number) -> String {
    if n.is_i64() || n.is_u64() {
        n.to_string()
    } else {
        n.as_f64().map(float_text).unwrap_or_else(|| n.to_string())
    }
}

/// Largest magnitude below which every integer is exact in an `f64`.
const EXACT: f64 = 9_007_199_254_740_992.0;

/// Canonical text of a computed number: no trailing `.0`, no exponent, shortest round-trip form.
pub(crate) fn float_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < EXACT {
        // Exact: |f| < 2^53, so the cast neither truncates nor saturates.
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// A computed number as JSON: integral values as integers, so `passthrough` shows `100`, not `100.0`.
pub(crate) fn float_json(f: f64) -> Value {
    if f.fract() == 0.0 && f.abs() < EXACT {
        Value::from(f as i64)
    } else {
        Number::from_f64(f).map_or(Value::Null, Value::Number)
    }
}

pub(crate) fn date_text(d: &DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_become_canonical_text() {
        for (v, want) in [
            (json!(900), "900"),
            (json!(57.5), "57.5"),
            (json!(100.0), "100"),
            (json!(-3), "-3"),
            (json!(0.1), "0.1"),
            (json!(18446744073709551615u64), "18446744073709551615"),
        ] {
            assert_eq!(Val::Json(&v).text().unwrap(), want, "{v}");
        }
        assert_eq!(Val::Num(100.0).text().unwrap(), "100");
        assert_eq!(Val::Num(2.0 / 3.0).text().unwrap(), "0.6666666666666666");
        assert_eq!(Val::Num(1e21).text().unwrap(), "1000000000000000000000");
    }

    #[test]
    fn text_fields_refuse_booleans_objects_and_arrays_without_echoing_them() {
        for v in [json!(true), json!({"secret": 1}), json!([1])] {
            let err = Val::Json(&v).text().unwrap_err();
            assert!(err.starts_with("expected text or a number, got "), "{err}");
            assert!(!err.contains("secret"));
        }
        assert_eq!(Val::Json(&json!(true)).render().unwrap(), "true");
    }

    #[test]
    fn null_is_never_a_value() {
        assert_eq!(Val::of(&Value::Null), None);
        assert!(Val::of(&json!(0)).is_some());
    }

    #[test]
    fn computed_integers_go_out_as_json_integers() {
        assert_eq!(float_json(100.0), json!(100));
        assert_eq!(float_json(57.5), json!(57.5));
        assert_eq!(Val::Num(3.0).into_json(), json!(3));
    }
}
