//! String templates: `"Score {$.score} of {$.max}"`. A template compiles to a `concat` of its
//! literal text and placeholders, so it costs nothing to parse at translation time. Placeholders:
//! `{$.path}`, `{@.path}` (inside `attachments[].each`), `{header:Name}`, `{route:account_id}`;
//! `{{` and `}}` write literal braces.

use super::compile::{Compiler, Scope};
use super::expr::{Expr, Missing, Ty};
use serde_json::Value;

impl Compiler {
    pub(crate) fn template(&mut self, arg: &Value, at: &str, scope: Scope) -> Expr {
        let Some(src) = arg.as_str() else {
            self.err(
                at,
                "expected template text such as \"Score {$.score} of {$.max}\"",
            );
            return Expr::Absent;
        };
        match split_template(src) {
            Err(e) => {
                self.err(at, e);
                Expr::Absent
            }
            Ok(pieces) => {
                let parts: Vec<Expr> = pieces
                    .into_iter()
                    .map(|p| match p {
                        Piece::Text(t) => Expr::Const(Value::String(t)),
                        Piece::Slot(s) => self.placeholder(&s, at, scope),
                    })
                    .collect();
                for p in &parts {
                    self.expect(p, Ty::SCALAR.or(Ty::BOOL), at);
                }
                Expr::Concat(parts)
            }
        }
    }

    fn placeholder(&mut self, slot: &str, at: &str, scope: Scope) -> Expr {
        if slot.starts_with(['$', '@']) {
            return self.path(slot, Missing::Absent, at, scope);
        }
        if let Some(name) = slot.strip_prefix("header:") {
            return self.header(&Value::String(name.to_owned()), at);
        }
        if slot == "route:account_id" {
            return Expr::RouteAccount;
        }
        self.err(at, format!("unknown placeholder {{{slot}}}: use {{$.path}}, {{@.path}}, {{header:Name}} or {{route:account_id}}"));
        Expr::Absent
    }
}

#[derive(Debug, PartialEq)]
enum Piece {
    Text(String),
    Slot(String),
}

/// Splits a template into literal text and placeholder sources. A `}` inside a quoted string of a
/// JSONPath filter (`{$.a[?@.b == '}']}`) does not close the placeholder.
fn split_template(src: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = src.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|p| p.1) == Some('{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek().map(|p| p.1) == Some('}') => {
                chars.next();
                text.push('}');
            }
            '}' => {
                return Err(format!(
                    "a lone }} at byte {i}: write }}}} for a literal brace"
                ))
            }
            '{' => {
                let mut quote = None;
                let mut end = None;
                for (j, d) in chars.by_ref() {
                    match (quote, d) {
                        (None, '\'' | '"') => quote = Some(d),
                        (Some(q), _) if d == q => quote = None,
                        (None, '}') => {
                            end = Some(j);
                            break;
                        }
                        _ => {}
                    }
                }
                let end = end
                    .ok_or_else(|| format!("the placeholder opened at byte {i} is never closed"))?;
                let slot = src[i + 1..end].trim();
                if slot.is_empty() {
                    return Err(format!("empty placeholder {{}} at byte {i}"));
                }
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Slot(slot.to_owned()));
            }
            c => text.push(c),
        }
    }
    if !text.is_empty() || pieces.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(s: &str) -> Piece {
        Piece::Slot(s.into())
    }
    fn text(s: &str) -> Piece {
        Piece::Text(s.into())
    }

    #[test]
    fn templates_split_into_text_and_placeholders() {
        assert_eq!(
            split_template("Score {$.score} of {$.max}").unwrap(),
            [text("Score "), slot("$.score"), text(" of "), slot("$.max")]
        );
        assert_eq!(
            split_template("{header:X-Id}:{ $.a }").unwrap(),
            [slot("header:X-Id"), text(":"), slot("$.a")]
        );
        assert_eq!(split_template("").unwrap(), [text("")]);
    }

    #[test]
    fn doubled_braces_are_literal_and_quoted_braces_stay_inside_a_path() {
        assert_eq!(split_template("{{x}}").unwrap(), [text("{x}")]);
        assert_eq!(
            split_template("{$.a[?@.b == '}'].c}!").unwrap(),
            [slot("$.a[?@.b == '}'].c"), text("!")]
        );
    }

    #[test]
    fn broken_templates_say_where() {
        assert!(split_template("a } b").unwrap_err().contains("lone }"));
        assert!(split_template("a {$.b")
            .unwrap_err()
            .contains("never closed"));
        assert!(split_template("a {} b")
            .unwrap_err()
            .contains("empty placeholder"));
    }
}
