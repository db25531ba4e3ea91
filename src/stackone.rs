//! The StackOne contract: the bundled OpenAPI spec and a validator for the result body
//! (`AtsUpdateCandidatesAssessmentsResultsRequestDto`). Every body the gateway sends is checked
//! here first, so a mapping bug is a clear 422 at the gateway rather than a 400 from StackOne.

/// The spec as published by StackOne, bundled so validation needs no network or file.
pub const OPENAPI_SPEC: &str = include_str!("../spec/stackone-ats-openapi.json");

/// The schema name of the PATCH body inside the spec.
pub const RESULT_SCHEMA: &str = "AtsUpdateCandidatesAssessmentsResultsRequestDto";

use serde_json::{json, Value};

/// Validates result bodies against the spec's schema. Built once at start-up (the spec is parsed
/// and the schema compiled here), then shared: validation itself allocates only on failure.
#[derive(Debug)]
pub struct ResultValidator {
    validator: jsonschema::Validator,
}

impl ResultValidator {
    /// Compiles the bundled spec's result schema. Panics only if the bundled spec itself is
    /// broken, which a unit test rules out.
    pub fn bundled() -> Self {
        Self::from_spec(OPENAPI_SPEC).expect("the bundled StackOne spec compiles")
    }

    /// Compiles `RESULT_SCHEMA` from an OpenAPI document (JSON text).
    pub fn from_spec(spec: &str) -> Result<Self, String> {
        let spec: Value =
            serde_json::from_str(spec).map_err(|e| format!("spec is not JSON: {e}"))?;
        let schemas = spec
            .pointer("/components/schemas")
            .cloned()
            .ok_or("spec has no components.schemas")?;
        if schemas.get(RESULT_SCHEMA).is_none() {
            return Err(format!("spec has no schema {RESULT_SCHEMA}"));
        }
        // A standalone document whose internal references still resolve: the spec's refs are
        // `#/components/schemas/…`, so keep that shape under a root that points at the DTO.
        // OpenAPI's `nullable` is not a JSON Schema keyword and is ignored, so `null` fails
        // `type: string` — which is what we want, since the gateway never sends nulls.
        let root = json!({
            "$ref": format!("#/components/schemas/{RESULT_SCHEMA}"),
            "components": { "schemas": schemas },
        });
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&root)
            .map_err(|e| format!("schema does not compile: {e}"))?;
        Ok(Self { validator })
    }

    /// `Ok` when `body` is a valid result, else every violation as `path: message`.
    pub fn validate(&self, body: &Value) -> Result<(), Vec<String>> {
        if self.validator.is_valid(body) {
            return Ok(());
        }
        Err(self
            .validator
            .iter_errors(body)
            .map(|e| {
                let at = e.instance_path().to_string();
                format!("{}: {e}", if at.is_empty() { "/" } else { &at })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_body_is_valid_except_for_the_id_the_current_spec_dropped() {
        let v = ResultValidator::bundled();
        let body = json!({
            "score": {"label": "Percentage", "value": "80", "min": "0", "max": "100"},
            "start_date": "2021-01-01T01:01:01.000Z",
            "submission_date": "2021-01-01T01:01:01.000Z",
            "summary": "Test is passed",
            "result": {"value": "passed", "source_value": "Passed"},
            "result_url": "https://exmaple.com/result?id=xyz",
            "attachments": [{"url": "http://example.com/resume.pdf", "content_type": {"value": "text", "source_value": "Text"}}],
            "candidate": {"id": "8187e5da", "profile_url": "https://exmaple.com/candidate?id=xyz"},
            "passthrough": {"other_known_names": "John Doe"}
        });
        assert_eq!(v.validate(&body), Ok(()));
    }

    #[test]
    fn numbers_for_scores_unknown_enums_bad_dates_and_nulls_are_rejected() {
        let v = ResultValidator::bundled();
        for (bad, at) in [
            (json!({"score": {"value": 80}}), "/score/value"),
            (json!({"result": {"value": "Passed"}}), "/result/value"),
            (
                json!({"attachments": [{"content_type": {"value": "docx"}}]}),
                "/attachments/0/content_type/value",
            ),
            (json!({"start_date": "yesterday"}), "/start_date"),
            (json!({"summary": null}), "/summary"),
        ] {
            let errs = v.validate(&bad).unwrap_err();
            assert!(errs.iter().any(|e| e.starts_with(at)), "{bad}: {errs:?}");
        }
    }
}
