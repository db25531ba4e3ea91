//! What an upstream answer means for the job: delivered, worth retrying, or permanently refused.
//! Pure functions, so every status is covered by a unit test.

use super::retry_after::parse_retry_after;
use std::time::{Duration, SystemTime};

/// The result of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx.
    Delivered { status: u16 },
    /// 408, 425, 429, 5xx, connection errors and timeouts: try again later.
    /// `retry_after` is the upstream's `Retry-After`, when it sent a usable one.
    Retry {
        status: Option<u16>,
        retry_after: Option<Duration>,
        reason: String,
    },
    /// Any other status (4xx incl. 410, and 3xx since redirects are not followed): retrying the
    /// same request cannot succeed. The upstream's answer is kept for the dead letter.
    Permanent { status: u16, body: String },
}

impl Outcome {
    /// `2xx`, `4xx`, `5xx` or `error`, for metrics.
    pub fn status_class(&self) -> &'static str {
        let s = match self {
            Self::Delivered { status } | Self::Permanent { status, .. } => Some(*status),
            Self::Retry { status, .. } => *status,
        };
        match s {
            Some(200..=299) => "2xx",
            Some(300..=399) => "3xx",
            Some(400..=499) => "4xx",
            Some(500..=599) => "5xx",
            Some(_) => "other",
            None => "error",
        }
    }
}

/// Classifies an HTTP answer.
pub fn classify(status: u16, retry_after: Option<&str>, body: String, now: SystemTime) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered { status },
        408 | 425 | 429 | 500..=599 => Outcome::Retry {
            status: Some(status),
            retry_after: retry_after.and_then(|v| parse_retry_after(v, now)),
            reason: format!("upstream answered {status}"),
        },
        _ => Outcome::Permanent { status, body },
    }
}

/// Classifies a failure to get an answer at all (connect error, timeout, reset): always retried.
pub fn classify_error(e: &awc::error::SendRequestError) -> Outcome {
    use awc::error::SendRequestError as E;
    let reason = match e {
        E::Timeout => "upstream timed out".to_owned(),
        E::Connect(c) => format!("cannot connect to upstream: {c}"),
        other => format!("upstream request failed: {other}"),
    };
    Outcome::Retry {
        status: None,
        retry_after: None,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    fn class(status: u16) -> &'static str {
        match classify(status, None, String::new(), now()) {
            Outcome::Delivered { .. } => "delivered",
            Outcome::Retry { .. } => "retry",
            Outcome::Permanent { .. } => "permanent",
        }
    }

    #[test]
    fn only_2xx_is_delivered() {
        for s in [200, 201, 202, 204, 299] {
            assert_eq!(class(s), "delivered", "{s}");
        }
        for s in [
            100, 301, 302, 304, 307, 400, 401, 403, 404, 409, 410, 412, 422,
        ] {
            assert_ne!(class(s), "delivered", "{s}");
        }
    }

    #[test]
    fn timeouts_throttling_and_server_errors_are_retried() {
        for s in [408, 425, 429, 500, 501, 502, 503, 504, 599] {
            assert_eq!(class(s), "retry", "{s}");
        }
    }

    #[test]
    fn other_client_errors_and_redirects_are_permanent_and_keep_the_body() {
        for s in [301, 400, 401, 403, 404, 409, 410, 412, 422] {
            assert_eq!(class(s), "permanent", "{s}");
        }
        assert_eq!(
            classify(400, None, "{\"message\":\"bad\"}".into(), now()),
            Outcome::Permanent {
                status: 400,
                body: "{\"message\":\"bad\"}".into()
            }
        );
    }

    #[test]
    fn a_429_carries_its_retry_after() {
        assert_eq!(
            classify(429, Some("7"), String::new(), now()),
            Outcome::Retry {
                status: Some(429),
                retry_after: Some(Duration::from_secs(7)),
                reason: "upstream answered 429".into()
            }
        );
    }

    #[test]
    fn status_classes_for_metrics() {
        assert_eq!(
            classify(204, None, String::new(), now()).status_class(),
            "2xx"
        );
        assert_eq!(
            classify(503, None, String::new(), now()).status_class(),
            "5xx"
        );
        assert_eq!(
            Outcome::Retry {
                status: None,
                retry_after: None,
                reason: String::new()
            }
            .status_class(),
            "error"
        );
    }
}
