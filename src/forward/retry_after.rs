//! `Retry-After` (RFC 9110 §10.2.3), as StackOne sends it with 408/429/503.

use std::time::{Duration, SystemTime};

/// Parses a `Retry-After` header: delay-seconds (`120`) or an HTTP date (`Wed, 21 Oct 2015
/// 07:28:00 GMT`, also the obsolete RFC 850 and asctime forms). A date in the past means
/// "now" (zero); anything else unparseable is `None`. A number too large for `u64` saturates
/// (the caller clamps to its cap anyway).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if v.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(v.parse::<u64>().unwrap_or(u64::MAX)));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_are_parsed() {
        let now = SystemTime::UNIX_EPOCH;
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
    }

    #[test]
    fn an_enormous_retry_after_saturates() {
        let v = parse_retry_after("99999999999999999999999", SystemTime::UNIX_EPOCH);
        assert_eq!(v, Some(Duration::from_secs(u64::MAX)));
    }

    #[test]
    fn malformed_retry_after_values_are_ignored() {
        let now = SystemTime::UNIX_EPOCH;
        for v in [
            "",
            "  ",
            "-5",
            "1.5",
            "soon",
            "12s",
            "Wed, 99 Oct 2015 07:28:00 GMT",
        ] {
            assert_eq!(parse_retry_after(v, now), None, "{v:?}");
        }
    }

    #[test]
    fn an_http_date_is_a_delay_from_now() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        let v = parse_retry_after("Wed, 21 Oct 2015 07:30:00 GMT", now);
        assert_eq!(v, Some(Duration::from_secs(120)));
    }

    #[test]
    fn obsolete_http_date_forms_are_accepted() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:00 GMT").unwrap();
        let want = Some(Duration::from_secs(37));
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now),
            want
        );
        assert_eq!(parse_retry_after("Sun Nov  6 08:49:37 1994", now), want);
    }

    #[test]
    fn an_http_date_in_the_past_means_now() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        let v = parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now);
        assert_eq!(v, Some(Duration::ZERO));
    }
}
