//! The value helpers of `eval` for text: text to a number (empty text is absent), `split` into
//! parts and `join` of a list into text.

use super::value::Val;
use serde_json::Value;

/// Text to number; empty text is absent (vendors send `""` for "no score").
pub(crate) fn to_number(v: &Val<'_>) -> Result<Option<f64>, String> {
    if let Ok(n) = v.number() {
        return Ok(Some(n));
    }
    let s = v
        .text()
        .map_err(|_| format!("cannot turn {} into a number", v.kind()))?;
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<f64>() {
        Ok(n) if n.is_finite() => Ok(Some(n)),
        _ => Err("text is not a number".to_owned()),
    }
}

pub(crate) fn split(s: &str, sep: &str, part: i64, max: Option<usize>) -> Option<String> {
    let parts: Vec<&str> = match max {
        Some(n) => s.splitn(n, sep).collect(),
        None => s.split(sep).collect(),
    };
    let i = if part < 0 {
        parts
            .len()
            .checked_sub(usize::try_from(part.unsigned_abs()).ok()?)?
    } else {
        usize::try_from(part).ok()?
    };
    parts.get(i).map(|p| (*p).to_owned())
}

pub(crate) fn join(v: &Val<'_>, sep: &str) -> Result<Option<String>, String> {
    let items: Vec<&Value> = match v.as_json() {
        Some(Value::Array(a)) => a.iter().filter(|x| !x.is_null()).collect(),
        _ => return Ok(Some(v.render()?.into_owned())),
    };
    if items.is_empty() {
        return Ok(None);
    }
    let mut out = String::new();
    for (i, x) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(&Val::Json(x).render().map_err(|e| format!("join: {e}"))?);
    }
    Ok(Some(out))
}
