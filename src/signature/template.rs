//! The signed-content template (`"{timestamp}.{body}"`, `"{url}{json:$.event}{json:$.triggeredOn}"`)
//! compiled once into parts, and the JSONPath expressions it and other members use. At request
//! time a template is resolved into borrowed byte slices (no copy of the body, no re-parsing of
//! the template); only `{json:…}` parts make the body be parsed, once, and only numbers are
//! formatted into new strings.

use super::errors::{AuthConfigError, AuthFailure};
use super::request::Req;
use jsonpath_rust::parser::model::JpQuery;
use serde_json::Value;
use std::borrow::Cow;

/// At most this many parts in a template (a `{…}` placeholder or the literal text between two).
pub(crate) const MAX_PARTS: usize = 16;

/// A JSONPath compiled at load time.
#[derive(Debug, Clone)]
pub(crate) struct JsonPath {
    src: String,
    query: JpQuery,
}

impl JsonPath {
    pub(crate) fn compile(src: &str) -> Result<Self, String> {
        if !src.starts_with('$') {
            return Err(format!("{src:?} is not a JSONPath (it must start with $)"));
        }
        jsonpath_rust::parser::parse_json_path(src)
            .map(|query| Self {
                src: src.to_owned(),
                query,
            })
            .map_err(|e| format!("{src:?} is not a valid JSONPath: {e}"))
    }

    pub(crate) fn src(&self) -> &str {
        &self.src
    }

    /// The first value the path selects in `v`.
    pub(crate) fn first<'v>(&self, v: &'v Value) -> Option<&'v Value> {
        jsonpath_rust::query::js_path_process(&self.query, v)
            .ok()?
            .into_iter()
            .next()
            .map(|r| r.val())
    }

    /// The selected value as signed-content text: strings unquoted, numbers as written,
    /// booleans as `true`/`false`, null or nothing as "", objects and arrays as compact JSON.
    pub(crate) fn text<'v>(&self, body: Option<&'v Value>) -> Cow<'v, str> {
        match body.and_then(|b| self.first(b)) {
            None | Some(Value::Null) => Cow::Borrowed(""),
            Some(Value::String(s)) => Cow::Borrowed(s),
            Some(Value::Bool(b)) => Cow::Borrowed(if *b { "true" } else { "false" }),
            Some(Value::Number(n)) => Cow::Owned(n.to_string()),
            Some(other) => Cow::Owned(other.to_string()),
        }
    }
}

/// One part of a template.
#[derive(Debug, Clone)]
pub(crate) enum Part {
    Lit(Box<[u8]>),
    Body,
    Timestamp,
    Id,
    Url,
    Header(String),
    Json(JsonPath),
}

/// A compiled `signed` template.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    src: String,
    parts: Vec<Part>,
}

/// The request-specific values a template needs besides the request itself.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Inputs<'x> {
    pub(crate) timestamp: Option<&'x str>,
    pub(crate) id: Option<&'x str>,
}

/// A template resolved against one request: the bytes to feed the MAC, in order.
pub(crate) struct Resolved<'x> {
    vals: [Cow<'x, [u8]>; MAX_PARTS],
    n: usize,
}

impl Resolved<'_> {
    pub(crate) fn feed(&self, mut f: impl FnMut(&[u8])) {
        for v in &self.vals[..self.n] {
            f(v);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.vals[..self.n].iter().map(|v| v.len()).sum()
    }
}

impl Template {
    /// Compiles `src`; `field` is the member's path for errors.
    pub(crate) fn parse(src: &str, field: &str) -> Result<Self, AuthConfigError> {
        let err = |reason: String| AuthConfigError::new(field, reason);
        let mut parts = Vec::new();
        let mut rest = src;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                parts.push(Part::Lit(rest.as_bytes()[..open].into()));
            }
            let after = &rest[open + 1..];
            let close = after.find('}').ok_or_else(|| {
                err(format!(
                    "unclosed {{ at byte {}",
                    src.len() - rest.len() + open
                ))
            })?;
            parts.push(Self::placeholder(&after[..close]).map_err(err)?);
            rest = &after[close + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Lit(rest.as_bytes().into()));
        }
        if parts.is_empty() {
            return Err(err("must not be empty".into()));
        }
        if parts.len() > MAX_PARTS {
            return Err(err(format!("has more than {MAX_PARTS} parts")));
        }
        Ok(Self {
            src: src.to_owned(),
            parts,
        })
    }

    fn placeholder(name: &str) -> Result<Part, String> {
        Ok(match name {
            "body" => Part::Body,
            "timestamp" => Part::Timestamp,
            "id" => Part::Id,
            "url" => Part::Url,
            _ => {
                if let Some(h) = name.strip_prefix("header:") {
                    if !super::parse::is_header_name(h) {
                        return Err(format!("{{header:{h}}} does not name a valid header"));
                    }
                    Part::Header(h.to_owned())
                } else if let Some(p) = name.strip_prefix("json:") {
                    Part::Json(JsonPath::compile(p)?)
                } else {
                    return Err(format!(
                        "unknown placeholder {{{name}}} (known: {{body}}, {{timestamp}}, {{id}}, \
                         {{url}}, {{header:Name}}, {{json:$.path}})"
                    ));
                }
            }
        })
    }

    /// The template as written (shown by `describe` and `explain`, never its value).
    pub(crate) fn src(&self) -> &str {
        &self.src
    }

    pub(crate) fn has(&self, f: impl Fn(&Part) -> bool) -> bool {
        self.parts.iter().any(f)
    }

    /// Whether `{json:<src>}` appears.
    pub(crate) fn has_json(&self, src: &str) -> bool {
        self.has(|p| matches!(p, Part::Json(j) if j.src == src))
    }

    /// Resolves every part against `req`. `{url}` without a public URL is refused rather than
    /// signed as "", which could never match and would hide the real cause.
    pub(crate) fn resolve<'x>(
        &'x self,
        req: &'x Req<'_>,
        inputs: Inputs<'x>,
    ) -> Result<Resolved<'x>, AuthFailure> {
        let mut vals: [Cow<'x, [u8]>; MAX_PARTS] = Default::default();
        for (slot, part) in vals.iter_mut().zip(&self.parts) {
            *slot = match part {
                Part::Lit(b) => Cow::Borrowed(&b[..]),
                Part::Body => Cow::Borrowed(&req.r.body[..]),
                Part::Timestamp => Cow::Borrowed(inputs.timestamp.unwrap_or("").as_bytes()),
                Part::Id => Cow::Borrowed(inputs.id.unwrap_or("").as_bytes()),
                Part::Url => match req.r.url {
                    Some(u) => Cow::Borrowed(u.as_bytes()),
                    None => {
                        return Err(AuthFailure::SignatureMismatch(
                            "the signed content includes {url} but RELAY_PUBLIC_URL is not set"
                                .into(),
                        ))
                    }
                },
                Part::Header(h) => Cow::Borrowed(req.r.headers.get(h).unwrap_or("").as_bytes()),
                Part::Json(p) => match p.text(req.json()) {
                    Cow::Borrowed(s) => Cow::Borrowed(s.as_bytes()),
                    Cow::Owned(s) => Cow::Owned(s.into_bytes()),
                },
            };
        }
        Ok(Resolved {
            vals,
            n: self.parts.len(),
        })
    }
}

#[cfg(test)]
#[path = "template_tests.rs"]
mod tests;
