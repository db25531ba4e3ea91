//! The shape of a mapping file as written. Serde checks the skeleton (which members exist where,
//! with unknown members refused and the path of the offending member reported); expressions and
//! conditions stay JSON here and are compiled, with all their errors collected, by `plan`.

use super::{MappingError, ResponseOptions};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A whole mapping file as written. `auth` is kept as JSON and compiled by `crate::signature`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingFile {
    /// Editor hint (`"./mapping.schema.json"`), ignored.
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// When present, must equal the file name without `.json`.
    #[serde(default)]
    pub vendor: Option<String>,
    /// Free text for the people who maintain the file.
    #[serde(default)]
    pub description: Option<String>,
    /// Links to the vendor documentation the file was written from.
    #[serde(default)]
    pub docs: Vec<String>,
    /// The vendor's authentication (required; `{"scheme": "none"}` must be written out).
    pub auth: Value,
    /// How the gateway answers this vendor.
    #[serde(default)]
    pub response: ResponseOptions,
    /// Identity defaults for every rule.
    #[serde(default)]
    pub identity: IdentitySpec,
    /// Ordered; the first rule whose `when` holds decides.
    pub rules: Vec<RuleSpec>,
}

/// Where the order, account, dedupe key and correlation key come from. Each member is an
/// expression; in a rule, a member given as `null` removes the file-level default.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentitySpec {
    #[serde(default, deserialize_with = "present")]
    pub order_id: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub account_id: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub event_id: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub correlation_key: Option<Value>,
}

/// One rule: a condition and either a result to send or a reason to ignore the event.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Condition; a rule without one matches every event.
    #[serde(default)]
    pub when: Option<Value>,
    #[serde(default)]
    pub identity: IdentitySpec,
    #[serde(default)]
    pub result: Option<ResultSpec>,
    /// Acknowledge the event without forwarding anything; the text says why.
    #[serde(default)]
    pub ignore: Option<String>,
}

/// The StackOne result fields; every value is an expression.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultSpec {
    #[serde(default)]
    pub score: Option<ScoreSpec>,
    #[serde(default)]
    pub start_date: Option<Value>,
    #[serde(default)]
    pub submission_date: Option<Value>,
    #[serde(default)]
    pub summary: Option<Value>,
    #[serde(default)]
    pub result: Option<EnumSpec>,
    #[serde(default)]
    pub result_url: Option<Value>,
    #[serde(default)]
    pub attachments: Option<Vec<AttachmentSpec>>,
    #[serde(default)]
    pub candidate: Option<CandidateSpec>,
    #[serde(default)]
    pub passthrough: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreSpec {
    #[serde(default)]
    pub label: Option<Value>,
    #[serde(default)]
    pub value: Option<Value>,
    #[serde(default)]
    pub min: Option<Value>,
    #[serde(default)]
    pub max: Option<Value>,
}

/// `result` and `attachments[].content_type`: an enum value and the vendor's raw value.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumSpec {
    #[serde(default)]
    pub value: Option<Value>,
    #[serde(default)]
    pub source_value: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CandidateSpec {
    #[serde(default)]
    pub id: Option<Value>,
    #[serde(default)]
    pub profile_url: Option<Value>,
}

/// One attachment, or with `each` one per element of an array (`@` paths read the element).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentSpec {
    #[serde(default)]
    pub each: Option<String>,
    #[serde(default)]
    pub url: Option<Value>,
    #[serde(default)]
    pub content_type: Option<EnumSpec>,
}

/// Keeps an explicit `null` as `Some(Value::Null)`, so "not given" and "removed" differ.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

impl MappingFile {
    /// Parses a file's text. `stem` is the file name without `.json`; a `vendor` member must
    /// equal it. The error names the member path (`rules[1].result.scor`) and the position.
    pub fn parse(text: &str, stem: &str) -> Result<MappingFile, Vec<MappingError>> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let file: MappingFile = serde_path_to_error::deserialize(de).map_err(|e| {
            let field = e.path().to_string();
            vec![MappingError {
                rule: None,
                field: if field == "." { String::new() } else { field },
                reason: e.into_inner().to_string(),
            }]
        })?;
        match &file.vendor {
            Some(v) if v != stem => Err(vec![MappingError {
                rule: None,
                field: "vendor".to_owned(),
                reason: format!("{v:?} must equal the file name {stem:?} (without .json)"),
            }]),
            _ => Ok(file),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_member_is_reported_with_its_path_and_position() {
        let text =
            r#"{"auth": {"scheme": "none"}, "rules": [{"name": "a", "result": {"scor": 1}}]}"#;
        let errs = MappingFile::parse(text, "acme").unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field, "rules[0].result.scor");
        assert!(
            errs[0].reason.contains("unknown field `scor`"),
            "{}",
            errs[0].reason
        );
        assert!(errs[0].reason.contains("column"), "{}", errs[0].reason);
    }

    #[test]
    fn auth_and_rules_are_required() {
        let errs = MappingFile::parse(r#"{"rules": []}"#, "acme").unwrap_err();
        assert!(errs[0].reason.contains("missing field `auth`"), "{errs:?}");
        let errs = MappingFile::parse(r#"{"auth": {"scheme": "none"}}"#, "acme").unwrap_err();
        assert!(errs[0].reason.contains("missing field `rules`"), "{errs:?}");
    }

    #[test]
    fn the_vendor_member_must_match_the_file_name() {
        let text = r#"{"vendor": "acme", "auth": {"scheme": "none"}, "rules": []}"#;
        assert!(MappingFile::parse(text, "acme").is_ok());
        let errs = MappingFile::parse(text, "other").unwrap_err();
        assert_eq!(errs[0].field, "vendor");
    }

    #[test]
    fn an_explicit_null_identity_member_differs_from_a_missing_one() {
        let text = r#"{"auth": {"scheme": "none"}, "identity": {"order_id": null}, "rules": []}"#;
        let f = MappingFile::parse(text, "acme").unwrap();
        assert_eq!(f.identity.order_id, Some(Value::Null));
        assert_eq!(f.identity.account_id, None);
    }
}
