//! Compiled JSONPath (RFC 9535). Almost every path in a mapping is a plain walk such as
//! `$.payload.score` or `$.items[0]['a b']`; those compile to a list of steps and are evaluated
//! without the general engine, which builds a path string for every hit. Paths with wildcards,
//! slices, filters or descendants go through `jsonpath-rust`, parsed once at load.

use jsonpath_rust::parser::model::{JpQuery, Segment, Selector};
use jsonpath_rust::parser::parse_json_path;
use jsonpath_rust::query::js_path_process;
use serde_json::Value;

/// A JSONPath parsed at load. `src` is kept for messages.
#[derive(Debug, Clone)]
pub(crate) struct JsonPath {
    src: String,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    /// Member names and array indices only: selects at most one node.
    Steps(Vec<Step>),
    /// Anything else: may select any number of nodes.
    Query(Box<JpQuery>),
}

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    /// Negative counts from the end, as in RFC 9535.
    Index(i64),
}

impl JsonPath {
    /// Parses `src`, which must start with `$`. The reason on failure is the parser's.
    pub(crate) fn compile(src: &str) -> Result<Self, String> {
        if let Some(steps) = plain_steps(src) {
            return Ok(Self {
                src: src.to_owned(),
                kind: Kind::Steps(steps),
            });
        }
        let q = parse_json_path(src).map_err(|e| format!("invalid JSONPath {src:?}: {e}"))?;
        let kind = match steps_of(&q) {
            Some(steps) => Kind::Steps(steps),
            None => Kind::Query(Box::new(q)),
        };
        Ok(Self {
            src: src.to_owned(),
            kind,
        })
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.src
    }

    /// True when the path can select at most one node (no wildcard, slice, filter, descendant).
    pub(crate) fn is_singular(&self) -> bool {
        matches!(self.kind, Kind::Steps(_))
    }

    /// The node a singular path selects; for other paths, the first node selected.
    pub(crate) fn get<'a>(&self, root: &'a Value) -> Option<&'a Value> {
        match &self.kind {
            Kind::Steps(steps) => walk(steps, root),
            Kind::Query(q) => js_path_process(q, root)
                .ok()
                .and_then(|hits| hits.into_iter().next().map(|h| h.val)),
        }
    }

    /// Every node the path selects, in document order.
    pub(crate) fn select<'a>(&self, root: &'a Value) -> Vec<&'a Value> {
        match &self.kind {
            Kind::Steps(steps) => walk(steps, root).into_iter().collect(),
            Kind::Query(q) => js_path_process(q, root)
                .map(|hits| hits.into_iter().map(|h| h.val).collect())
                .unwrap_or_default(),
        }
    }
}

fn walk<'a>(steps: &[Step], root: &'a Value) -> Option<&'a Value> {
    let mut at = root;
    for step in steps {
        at = match (step, at) {
            (Step::Key(k), Value::Object(m)) => m.get(k)?,
            (Step::Index(i), Value::Array(a)) => {
                let i = if *i < 0 {
                    a.len()
                        .checked_sub(usize::try_from(i.unsigned_abs()).ok()?)?
                } else {
                    usize::try_from(*i).ok()?
                };
                a.get(i)?
            }
            _ => return None,
        };
    }
    Some(at)
}

/// Steps of a parsed query made only of name and index selectors (e.g. bracketed names with
/// escapes, which the quick scanner below leaves to the real parser).
fn steps_of(q: &JpQuery) -> Option<Vec<Step>> {
    q.segments
        .iter()
        .map(|s| {
            let sel = match s {
                Segment::Selector(sel) => sel,
                Segment::Selectors(v) if v.len() == 1 => &v[0],
                _ => return None,
            };
            match sel {
                Selector::Name(n) => Some(Step::Key(n.clone())),
                Selector::Index(i) => Some(Step::Index(*i)),
                _ => None,
            }
        })
        .collect()
}

/// Scans the common forms without the general parser: `$`, `.name` (RFC 9535 shorthand: letters,
/// digits, `_`, not starting with a digit), `[12]`, `[-1]`, `['name']`, `["name"]` (no escapes).
/// Anything else returns `None` and goes to `jsonpath-rust`, which accepts or rejects it.
fn plain_steps(src: &str) -> Option<Vec<Step>> {
    let rest = src.strip_prefix('$')?;
    let b = rest.as_bytes();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'.' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                if j == start || b[start].is_ascii_digit() {
                    return None;
                }
                steps.push(Step::Key(rest[start..j].to_owned()));
                i = j;
            }
            b'[' => {
                let close = i + rest[i..].find(']')?;
                let inner = &rest[i + 1..close];
                steps.push(bracket(inner)?);
                i = close + 1;
            }
            _ => return None,
        }
    }
    Some(steps)
}

fn bracket(inner: &str) -> Option<Step> {
    for q in ['\'', '"'] {
        if let Some(name) = inner.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            let plain = !name.contains(['\\', '\'', '"']) && !name.chars().any(char::is_control);
            return plain.then(|| Step::Key(name.to_owned()));
        }
    }
    let digits = inner.strip_prefix('-').unwrap_or(inner);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|c| c.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && !(inner.starts_with('-') && digits == "0");
    if !canonical || digits.len() > 15 {
        return None;
    }
    inner.parse().ok().map(Step::Index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc() -> Value {
        json!({
            "event": "done",
            "payload": {"score": 9, "tags": ["a", "b", "c"], "odd key": 1, "nil": null},
            "items": [{"url": "u1", "kind": "pdf"}, {"url": "u2", "kind": "video"}]
        })
    }

    #[test]
    fn plain_paths_take_the_fast_route_and_find_their_node() {
        let d = doc();
        for (src, want) in [
            ("$", Some(&d)),
            ("$.event", Some(&json!("done"))),
            ("$.payload.score", Some(&json!(9))),
            ("$.payload.tags[1]", Some(&json!("b"))),
            ("$.payload.tags[-1]", Some(&json!("c"))),
            ("$['payload'][\"odd key\"]", Some(&json!(1))),
            ("$.payload.nil", Some(&Value::Null)),
            ("$.payload.missing", None),
            ("$.payload.tags[3]", None),
            ("$.payload.tags[-4]", None),
            ("$.event.deeper", None),
        ] {
            let p = JsonPath::compile(src).unwrap();
            assert!(p.is_singular(), "{src}");
            assert!(
                plain_steps(src).is_some(),
                "{src} should not need the parser"
            );
            assert_eq!(p.get(&d), want, "{src}");
        }
    }

    #[test]
    fn escaped_bracket_names_still_compile_to_steps_through_the_parser() {
        let p = JsonPath::compile(r#"$['it\'s']"#).unwrap();
        assert!(p.is_singular());
        assert_eq!(p.get(&json!({"it's": 1})), Some(&json!(1)));
    }

    #[test]
    fn wildcards_and_filters_select_every_matching_node() {
        let d = doc();
        let all = JsonPath::compile("$.items[*].url").unwrap();
        assert!(!all.is_singular());
        assert_eq!(all.select(&d), [&json!("u1"), &json!("u2")]);
        assert_eq!(all.get(&d), Some(&json!("u1")));
        let pdfs = JsonPath::compile("$.items[?@.kind == 'pdf'].url").unwrap();
        assert_eq!(pdfs.select(&d), [&json!("u1")]);
        let none = JsonPath::compile("$.items[?@.kind == 'gif']").unwrap();
        assert!(none.select(&d).is_empty());
        assert_eq!(none.get(&d), None);
    }

    #[test]
    fn malformed_paths_are_rejected_with_the_path_in_the_reason() {
        for src in [
            "$.",
            "$.a[",
            "$..",
            "$.a[?@.b ==]",
            "$.web-hook",
            "$[01]",
            "x.y",
        ] {
            let err = JsonPath::compile(src).unwrap_err();
            assert!(err.contains(&format!("{src:?}")), "{src}: {err}");
        }
    }
}
