//! Replay protection: reading the vendor's timestamp (a header, a `kv` entry of the signature
//! header, or a JSONPath into the body) and checking it against the injected clock. The check runs
//! after the signature matched, so a stale but authentic request is reported as
//! `timestamp_out_of_tolerance` and a forged one as a signature failure.

use super::errors::AuthFailure;
use super::request::Req;
use super::spec::{TimestampSpec, TsSource, CLOCK_SKEW_S};
use std::borrow::Cow;

/// A timestamp as received (signed as is) and as a number in the configured unit.
#[derive(Debug)]
pub(crate) struct Stamp<'x> {
    pub(crate) raw: Cow<'x, str>,
    pub(crate) value: i64,
}

/// Where the timestamp is read from, for messages.
pub(crate) fn origin(spec: &TimestampSpec, header: &str) -> String {
    match &spec.source {
        TsSource::Header(h) => h.clone(),
        TsSource::Kv(k) => format!("{k}= in {header}"),
        TsSource::Json(p) => format!("{} in the body", p.src()),
    }
}

/// Reads the timestamp; `kv` is the value found in the signature header, `header` its name.
pub(crate) fn read<'x>(
    spec: &TimestampSpec,
    kv: Option<&'x str>,
    header: &str,
    req: &'x Req<'_>,
) -> Result<Stamp<'x>, AuthFailure> {
    let raw: Option<Cow<'x, str>> = match &spec.source {
        TsSource::Header(h) => req.r.headers.get(h).map(|v| Cow::Borrowed(v.trim())),
        TsSource::Kv(_) => kv.map(Cow::Borrowed),
        TsSource::Json(p) => match req.json().and_then(|b| p.first(b)) {
            Some(serde_json::Value::Number(n)) => Some(Cow::Owned(n.to_string())),
            Some(serde_json::Value::String(s)) => Some(Cow::Borrowed(s.as_str())),
            _ => None,
        },
    };
    let unit = if spec.unit_ms { "ms" } else { "s" };
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        return Err(AuthFailure::TimestampMissing(format!(
            "no timestamp ({})",
            origin(spec, header)
        )));
    };
    match parse_int(&raw) {
        Some(value) => Ok(Stamp { raw, value }),
        None => Err(AuthFailure::TimestampMissing(format!(
            "the timestamp ({}) is not a Unix time in {unit}",
            origin(spec, header)
        ))),
    }
}

fn parse_int(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Checks `value` against `now_ms`; returns the age in ms (negative = in the future).
pub(crate) fn check(
    spec: &TimestampSpec,
    raw: &str,
    value: i64,
    now_ms: i64,
) -> Result<i64, AuthFailure> {
    let ts_ms = if spec.unit_ms {
        value
    } else {
        value.saturating_mul(1000)
    };
    let age_ms = now_ms.saturating_sub(ts_ms);
    let tol = spec.tolerance_s;
    if age_ms > (tol as i64).saturating_mul(1000) {
        return Err(AuthFailure::TimestampOutOfTolerance(format!(
            "timestamp {raw} is {} s old; tolerance {tol} s",
            age_ms / 1000
        )));
    }
    let future_s = if spec.allow_future { tol } else { CLOCK_SKEW_S };
    if -age_ms > (future_s as i64).saturating_mul(1000) {
        let what = if spec.allow_future {
            "tolerance"
        } else {
            "allowed clock skew"
        };
        return Err(AuthFailure::TimestampOutOfTolerance(format!(
            "timestamp {raw} is {} s in the future; {what} {future_s} s",
            -age_ms / 1000
        )));
    }
    Ok(age_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::template::JsonPath;

    fn spec(unit_ms: bool, tolerance_s: u64, allow_future: bool) -> TimestampSpec {
        TimestampSpec {
            source: TsSource::Header("T".into()),
            unit_ms,
            tolerance_s,
            allow_future,
        }
    }

    #[test]
    fn a_timestamp_inside_the_tolerance_passes_in_both_directions() {
        let s = spec(false, 300, true);
        assert_eq!(check(&s, "1000", 1000, 1_000_000 + 300_000), Ok(300_000));
        assert_eq!(check(&s, "1000", 1000, 1_000_000 - 300_000), Ok(-300_000));
    }

    #[test]
    fn a_stale_timestamp_says_how_old_it_is() {
        let e = check(
            &spec(false, 300, true),
            "1492774577",
            1492774577,
            (1492774577 + 3612) * 1000,
        )
        .unwrap_err();
        assert_eq!(
            e,
            AuthFailure::TimestampOutOfTolerance(
                "timestamp 1492774577 is 3612 s old; tolerance 300 s".into()
            )
        );
    }

    #[test]
    fn a_future_timestamp_is_refused_beyond_the_tolerance() {
        let e = check(&spec(false, 300, true), "2000", 2000, 1_000_000).unwrap_err();
        assert_eq!(
            e.message(),
            "timestamp 2000 is 1000 s in the future; tolerance 300 s"
        );
    }

    #[test]
    fn past_only_timestamps_allow_sixty_seconds_of_clock_skew() {
        let s = spec(true, 86_400, false);
        assert!(check(&s, "x", 1_060_000, 1_000_000).is_ok());
        let e = check(&s, "1061000", 1_061_000, 1_000_000).unwrap_err();
        assert_eq!(
            e.message(),
            "timestamp 1061000 is 61 s in the future; allowed clock skew 60 s"
        );
        assert!(check(&s, "x", 1_000_000, 1_000_000 + 86_400_000).is_ok());
    }

    #[test]
    fn millisecond_timestamps_are_compared_in_milliseconds() {
        let s = spec(true, 300, true);
        assert!(check(&s, "x", 1553720789347, 1553720789347 + 299_999).is_ok());
        assert!(check(&s, "x", 1553720789347, 1553720789347 + 301_000).is_err());
    }

    #[test]
    fn only_plain_non_negative_integers_are_timestamps() {
        assert_eq!(parse_int("1531420618"), Some(1531420618));
        for bad in ["", "hello", "-5", "1.5", "+1", "1e9", "9999999999999999999"] {
            assert_eq!(parse_int(bad), None, "{bad}");
        }
    }

    #[test]
    fn origin_names_where_the_timestamp_was_expected() {
        let mut s = spec(false, 1, true);
        assert_eq!(origin(&s, "Sig"), "T");
        s.source = TsSource::Kv("t".into());
        assert_eq!(origin(&s, "HE-Signature"), "t= in HE-Signature");
        s.source = TsSource::Json(JsonPath::compile("$.triggeredOn").unwrap());
        assert_eq!(origin(&s, "Sig"), "$.triggeredOn in the body");
    }
}
