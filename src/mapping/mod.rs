//! Mapping files: the model of `mappings/{vendor}.json`, compilation (every JSONPath and
//! expression parsed and type-checked once, at load) and translation — a pure function from a
//! verified payload to the StackOne result body and its identity (order, account, event id).
//! The language is documented in `docs/mapping.md`.
//!
//! CONTRACT STUB: the mapping helper replaces the bodies; the public surface below is what the
//! rest of the crate uses and must keep its shape.

use crate::domain::{Headers, UnifiedResult};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A whole mapping file as written. `auth` is kept as JSON and compiled by `crate::signature`.
#[derive(Debug, Clone, Deserialize)]
pub struct MappingFile {
    /// Editor hint, ignored.
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// When present, must equal the file name without `.json`.
    #[serde(default)]
    pub vendor: Option<String>,
    /// The vendor's authentication (required; `{"scheme": "none"}` must be written out).
    pub auth: Value,
    /// How the gateway answers this vendor.
    #[serde(default)]
    pub response: ResponseOptions,
    /// Everything else (identity, rules, …): the mapping language proper.
    #[serde(flatten)]
    pub rest: serde_json::Map<String, Value>,
}

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
/// as `result.score.value` or `identity.order_id`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{field}: {reason}", rule.as_ref().map(|r| format!("rule {r:?}, ")).unwrap_or_default())]
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

/// A compiled mapping.
#[derive(Debug)]
pub struct CompiledMapping {}

impl CompiledMapping {
    /// Compiles `file.rest`. Returns every problem found, not just the first.
    pub fn compile(_file: &MappingFile) -> Result<CompiledMapping, Vec<MappingError>> {
        todo!("mapping helper")
    }

    /// Lower-cased names of the headers any expression reads: they are stored with the job so a
    /// replay can re-translate, and nothing else is.
    pub fn header_names(&self) -> &[String] {
        todo!("mapping helper")
    }

    /// Rule names, in order.
    pub fn rule_names(&self) -> Vec<&str> {
        todo!("mapping helper")
    }
}

/// Translates one payload.
pub fn translate(
    _m: &CompiledMapping,
    _input: &TranslateInput<'_>,
) -> Result<Translation, TranslateError> {
    todo!("mapping helper")
}
