//! Mapping files: the model of `mappings/{vendor}.json`, compilation (every JSONPath and
//! expression parsed and type-checked once, at load) and translation — a pure function from a
//! verified payload to the StackOne result body and its identity (order, account, event id).
//! The language is documented in `docs/mapping.md`; `mappings/mapping.schema.json` describes
//! the same language for editors.
//!
//! Layout: `model` (the file as written) → `plan` (rules compiled with `compile`, `cond`,
//! `template`, `dates`, `path`) → `translate` (rule selection) → `eval` + `output` (the body).

mod compile;
mod cond;
mod dates;
mod eval;
mod expr;
mod model;
mod operators;
mod output;
mod path;
mod plan;
mod result_plan;
mod template;
mod text_ops;
mod translate;
mod value;

#[cfg(test)]
mod tests;

pub use model::{
    AttachmentSpec, CandidateSpec, EnumSpec, IdentitySpec, MappingFile, ResultSpec, RuleSpec,
    ScoreSpec,
};

use crate::domain::{Headers, UnifiedResult};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;

/// Per-vendor answer options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseOptions {
    /// Status for an accepted webhook: 202 (default) or 200 for vendors that demand 200.
    #[serde(default = "default_accepted_status")]
    pub accepted_status: u16,
}

impl Default for ResponseOptions {
    fn default() -> Self {
        Self {
            accepted_status: default_accepted_status(),
        }
    }
}

fn default_accepted_status() -> u16 {
    202
}

/// A problem found at load time. `rule` is the rule name when inside a rule; `field` a path such
/// as `result.score.value` or `identity.order_id` (empty for the file as a whole, e.g. a JSON
/// syntax error). Displayed as `rule "finished", result.score.value: reason`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}{reason}", rule.as_ref().map(|r| format!("rule {r:?}, ")).unwrap_or_default(), if field.is_empty() { String::new() } else { format!("{field}: ") })]
pub struct MappingError {
    pub rule: Option<String>,
    pub field: String,
    pub reason: String,
}

/// Values the route carried, available to expressions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteParams {
    /// From `POST /webhooks/{vendor}/{account_id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
}

/// Everything translation reads. The same inputs give the same output (no clock, no I/O).
#[derive(Debug, Clone, Copy)]
pub struct TranslateInput<'a> {
    pub payload: &'a Value,
    pub headers: &'a Headers,
    pub route: &'a RouteParams,
    /// When the gateway received the webhook (for vendors that send no date).
    pub received_at: DateTime<Utc>,
}

/// Outcome of a translation that did not fail.
#[derive(Debug, Clone, PartialEq)]
pub enum Translation {
    /// No rule selected this event (acknowledged 200 `{"status":"ignored"}`).
    Ignored {
        reason: String,
    },
    Mapped(Box<Mapped>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Mapped {
    /// Name of the rule that matched.
    pub rule: String,
    pub order_id: Option<String>,
    pub account_id: Option<String>,
    /// Dedupe key chosen by the mapping (e.g. HackerEarth `webhook_event_id`).
    pub event_id: Option<String>,
    /// Key to look the order up in the correlation registry.
    pub correlation_key: Option<String>,
    pub body: UnifiedResult,
}

/// Why a verified payload could not be translated (answered 422 `mapping_failed`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{field}: {reason}", rule.as_ref().map(|r| format!("rule {r:?}, ")).unwrap_or_default())]
pub struct TranslateError {
    pub rule: Option<String>,
    pub field: String,
    pub reason: String,
}

/// A compiled mapping: rules ready to run. Cheap to share behind an `Arc`; translation only reads.
#[derive(Debug)]
pub struct CompiledMapping {
    rules: Vec<plan::Rule>,
    headers: Vec<String>,
    no_match: String,
}

impl CompiledMapping {
    /// Compiles the rules of `file` (its `auth` is compiled by `crate::signature`). Returns every
    /// problem found, not just the first.
    pub fn compile(file: &MappingFile) -> Result<CompiledMapping, Vec<MappingError>> {
        let mut c = compile::Compiler::default();
        let rules = plan::rules(&mut c, file);
        if !c.errors.is_empty() {
            return Err(c.errors);
        }
        Ok(CompiledMapping {
            no_match: translate::no_match_reason(&rules),
            headers: c.headers.into_iter().collect(),
            rules,
        })
    }

    /// Parses and compiles a file's text; `stem` is the file name without `.json`.
    pub fn from_text(
        text: &str,
        stem: &str,
    ) -> Result<(MappingFile, CompiledMapping), Vec<MappingError>> {
        let file = MappingFile::parse(text, stem)?;
        let compiled = Self::compile(&file)?;
        Ok((file, compiled))
    }

    /// Reads, parses and compiles `mappings/{vendor}.json`. The vendor is the file stem.
    pub fn load(path: &Path) -> Result<(MappingFile, CompiledMapping), Vec<MappingError>> {
        let io = |reason: String| {
            vec![MappingError {
                rule: None,
                field: String::new(),
                reason,
            }]
        };
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(|| io(format!("{} has no usable file name", path.display())))?;
        let text = std::fs::read_to_string(path)
            .map_err(|e| io(format!("cannot read {}: {e}", path.display())))?;
        Self::from_text(&text, stem)
    }

    /// Lower-cased names of the headers any expression reads, sorted: they are stored with the
    /// job so a replay can re-translate, and nothing else is.
    pub fn header_names(&self) -> &[String] {
        &self.headers
    }

    /// Rule names, in order.
    pub fn rule_names(&self) -> Vec<&str> {
        self.rules.iter().map(|r| r.name.as_str()).collect()
    }
}

/// Translates one payload: the first rule whose `when` holds decides. Pure and deterministic.
pub fn translate(
    m: &CompiledMapping,
    input: &TranslateInput<'_>,
) -> Result<Translation, TranslateError> {
    translate::run(m, input)
}
