//! The body of `PATCH /unified/ats/assessments/orders/{id}/result`
//! (`AtsUpdateCandidatesAssessmentsResultsRequestDto` in StackOne's ATS OpenAPI spec).
//!
//! Every field is optional and an absent field is omitted, never sent as `null`. Scores are
//! strings, dates are RFC 3339 UTC with milliseconds, enums carry the vendor's raw value in
//! `source_value`. The types make most of the spec true by construction; the gateway still
//! validates every outgoing body against the spec itself (see `crate::stackone`).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UnifiedResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<Score>,
    #[serde(skip_serializing_if = "Option::is_none", with = "rfc3339_ms", default)]
    pub start_date: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none", with = "rfc3339_ms", default)]
    pub submission_date: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<ResultValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<Attachment>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidate: Option<Candidate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passthrough: Option<Map<String, Value>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Score {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResultValue {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<ResultStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_value: Option<Value>,
}

/// `ResultEnum.value` in the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultStatus {
    Initiated,
    InProgress,
    Cancelled,
    Completed,
    Expired,
    Failed,
    Passed,
    UnmappedValue,
}

impl ResultStatus {
    pub const ALL: [ResultStatus; 8] = [
        Self::Initiated,
        Self::InProgress,
        Self::Cancelled,
        Self::Completed,
        Self::Expired,
        Self::Failed,
        Self::Passed,
        Self::UnmappedValue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Initiated => "initiated",
            Self::InProgress => "in_progress",
            Self::Cancelled => "cancelled",
            Self::Completed => "completed",
            Self::Expired => "expired",
            Self::Failed => "failed",
            Self::Passed => "passed",
            Self::UnmappedValue => "unmapped_value",
        }
    }

    /// The enum member spelled `s`, if any (exact, case-sensitive: the spec's spelling).
    pub fn from_spec(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<ContentType>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ContentType {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<ContentTypeValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_value: Option<Value>,
}

/// `AttachmentContentType.value` in the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentTypeValue {
    Text,
    Pdf,
    Video,
    Other,
    UnmappedValue,
}

impl ContentTypeValue {
    pub const ALL: [ContentTypeValue; 5] = [
        Self::Text,
        Self::Pdf,
        Self::Video,
        Self::Other,
        Self::UnmappedValue,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Pdf => "pdf",
            Self::Video => "video",
            Self::Other => "other",
            Self::UnmappedValue => "unmapped_value",
        }
    }

    pub fn from_spec(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_url: Option<String>,
}

/// Dates go out as `2021-01-01T01:01:01.000Z`: UTC, always three fraction digits, `Z`.
mod rfc3339_ms {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(d) => s.serialize_str(&d.to_rfc3339_opts(SecondsFormat::Millis, true)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        s.map(|s| {
            DateTime::parse_from_rfc3339(&s)
                .map(|d| d.with_timezone(&Utc))
                .map_err(serde::de::Error::custom)
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    #[test]
    fn absent_fields_are_omitted_and_dates_carry_milliseconds() {
        let r = UnifiedResult {
            score: Some(Score {
                value: Some("80".into()),
                ..Default::default()
            }),
            submission_date: Some(Utc.timestamp_millis_opt(1553720789347).unwrap()),
            result: Some(ResultValue {
                value: Some(ResultStatus::InProgress),
                source_value: Some(json!("In Progress")),
            }),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({
                "score": {"value": "80"},
                "submission_date": "2019-03-27T21:06:29.347Z",
                "result": {"value": "in_progress", "source_value": "In Progress"}
            })
        );
    }

    #[test]
    fn whole_seconds_still_print_three_fraction_digits() {
        let r = UnifiedResult {
            start_date: Some(Utc.timestamp_opt(1_600_000_000, 0).unwrap()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            json!({"start_date": "2020-09-13T12:26:40.000Z"})
        );
    }

    #[test]
    fn enum_spellings_match_the_spec() {
        for v in ResultStatus::ALL {
            assert_eq!(serde_json::to_value(v).unwrap(), json!(v.as_str()));
            assert_eq!(ResultStatus::from_spec(v.as_str()), Some(v));
        }
        for v in ContentTypeValue::ALL {
            assert_eq!(serde_json::to_value(v).unwrap(), json!(v.as_str()));
        }
        assert_eq!(ResultStatus::from_spec("Passed"), None);
    }
}
