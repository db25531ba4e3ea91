//! Dates: how a vendor's date text or epoch number becomes a UTC instant. Formats and zones are
//! checked at load, including the rule that a value without an offset needs an explicit zone —
//! guessing the server's zone would silently shift every date by hours.

use super::expr::Expr;
use super::value::Val;
use chrono::format::{Fixed, Item, Numeric, StrftimeItems};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::Value;

/// `{"date": <expr>, "format": …, "timezone": …, "minus_ms"/"plus_ms": <expr>}`.
#[derive(Debug, Clone)]
pub(crate) struct DateExpr {
    pub input: Expr,
    pub format: Format,
    pub zone: Option<Zone>,
    /// Milliseconds to add (negative for `minus_ms`); absent offset → absent date.
    pub shift: Option<(Expr, bool)>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Format {
    /// RFC 3339 / ISO 8601 date-time. An offset-less value uses `timezone` (an error without one).
    Rfc3339,
    EpochS,
    EpochMs,
    Custom {
        fmt: String,
        has_offset: bool,
        has_time: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Zone {
    Named(Tz),
    Fixed(FixedOffset),
}

impl Format {
    /// Parses the `format` member. The reason says what is wrong.
    pub(crate) fn parse(s: &str) -> Result<Format, String> {
        match s {
            "rfc3339" => return Ok(Format::Rfc3339),
            "epoch_s" => return Ok(Format::EpochS),
            "epoch_ms" => return Ok(Format::EpochMs),
            _ => {}
        }
        if !s.contains('%') {
            return Err(format!(
                "unknown date format {s:?}: use \"rfc3339\", \"epoch_s\", \"epoch_ms\" or a chrono strftime pattern such as \"%d-%b-%Y %I:%M %p\""
            ));
        }
        let (mut has_offset, mut has_time, mut has_date) = (false, false, false);
        for item in StrftimeItems::new(s) {
            match item {
                Item::Error => return Err(format!("invalid strftime pattern {s:?}")),
                Item::Fixed(Fixed::TimezoneName) => {
                    return Err(format!(
                        "{s:?}: %Z (zone name) cannot be parsed; use %z for an offset or set \"timezone\""
                    ))
                }
                Item::Fixed(
                    Fixed::TimezoneOffset
                    | Fixed::TimezoneOffsetColon
                    | Fixed::TimezoneOffsetDoubleColon
                    | Fixed::TimezoneOffsetTripleColon
                    | Fixed::TimezoneOffsetColonZ
                    | Fixed::TimezoneOffsetZ
                    | Fixed::RFC2822
                    | Fixed::RFC3339,
                )
                | Item::Numeric(Numeric::Timestamp, _) => {
                    (has_offset, has_time, has_date) = (true, true, true)
                }
                Item::Numeric(Numeric::Hour | Numeric::Hour12, _) => has_time = true,
                Item::Numeric(
                    Numeric::Day | Numeric::Ordinal | Numeric::IsoWeek | Numeric::WeekFromSun,
                    _,
                ) => has_date = true,
                _ => {}
            }
        }
        if !has_date {
            return Err(format!(
                "{s:?} has no day of the month (%d) or of the year (%j)"
            ));
        }
        Ok(Format::Custom {
            fmt: s.to_owned(),
            has_offset,
            has_time,
        })
    }

    /// Whether values in this format say which instant they are without a `timezone`.
    pub(crate) fn needs_zone(&self) -> bool {
        matches!(
            self,
            Format::Custom {
                has_offset: false,
                ..
            }
        )
    }

    pub(crate) fn is_epoch(&self) -> bool {
        matches!(self, Format::EpochS | Format::EpochMs)
    }
}

impl Zone {
    /// `"UTC"`, an IANA name (`"Asia/Kolkata"`) or a fixed offset (`"+05:30"`, `"-0800"`).
    pub(crate) fn parse(s: &str) -> Result<Zone, String> {
        if matches!(s, "UTC" | "Z" | "utc") {
            return Ok(Zone::Fixed(FixedOffset::east_opt(0).expect("zero offset")));
        }
        if s.starts_with(['+', '-']) {
            return offset(s)
                .map(Zone::Fixed)
                .ok_or_else(|| format!("invalid UTC offset {s:?}: write it as +05:30 or -0800"));
        }
        s.parse::<Tz>().map(Zone::Named).map_err(|_| {
            format!("unknown time zone {s:?}: use an IANA name such as \"Asia/Kolkata\", \"UTC\" or an offset such as \"+05:30\"")
        })
    }

    fn resolve(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        // In a DST fold the earlier instant is taken; a time in a DST gap does not exist.
        match self {
            Zone::Named(tz) => tz
                .from_local_datetime(&local)
                .earliest()
                .map(|d| d.to_utc()),
            Zone::Fixed(o) => o.from_local_datetime(&local).earliest().map(|d| d.to_utc()),
        }
    }
}

fn offset(s: &str) -> Option<FixedOffset> {
    let sign = if s.starts_with('-') { -1 } else { 1 };
    let digits: String = s[1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i32, i32) = (digits[..2].parse().ok()?, digits[2..].parse().ok()?);
    if h > 23 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// Reads a date value. `what` names the input in messages (never the value: it may be personal).
pub(crate) fn read(v: &Val<'_>, d: &DateExpr, what: &str) -> Result<DateTime<Utc>, String> {
    match &d.format {
        Format::EpochS | Format::EpochMs => {
            let n = epoch_number(v)
                .ok_or_else(|| format!("{what}: expected an epoch number, got {}", v.kind()))?;
            let ms = if d.format == Format::EpochS {
                n * 1000.0
            } else {
                n
            };
            let ms = ms.round();
            if !(-8.2e15..=8.2e15).contains(&ms) {
                return Err(format!("{what}: epoch value out of range"));
            }
            // Exact: the range check keeps |ms| well inside i64.
            DateTime::from_timestamp_millis(ms as i64)
                .ok_or_else(|| format!("{what}: epoch value out of range"))
        }
        Format::Rfc3339 => {
            let s = text(v, what)?;
            if let Ok(t) = DateTime::parse_from_rfc3339(s.trim()) {
                return Ok(t.to_utc());
            }
            let local = naive_iso(s.trim())
                .ok_or_else(|| format!("{what}: text is not an RFC 3339 date-time"))?;
            let zone = d.zone.ok_or_else(|| {
                format!("{what}: the date has no UTC offset; add \"timezone\" to say which zone it is in")
            })?;
            local_to_utc(zone, local, what)
        }
        Format::Custom {
            fmt,
            has_offset,
            has_time,
        } => {
            let s = text(v, what)?;
            let s = s.trim();
            let bad = || format!("{what}: text does not match the format {fmt:?}");
            if *has_offset {
                return DateTime::parse_from_str(s, fmt)
                    .map(|t| t.to_utc())
                    .map_err(|_| bad());
            }
            let local = if *has_time {
                NaiveDateTime::parse_from_str(s, fmt).map_err(|_| bad())?
            } else {
                NaiveDate::parse_from_str(s, fmt)
                    .map_err(|_| bad())?
                    .and_time(chrono::NaiveTime::MIN)
            };
            // `needs_zone` made a zone mandatory at load for this format.
            let zone = d.zone.ok_or_else(bad)?;
            local_to_utc(zone, local, what)
        }
    }
}

fn local_to_utc(zone: Zone, local: NaiveDateTime, what: &str) -> Result<DateTime<Utc>, String> {
    zone.resolve(local)
        .ok_or_else(|| format!("{what}: that local time does not exist in the zone (DST gap)"))
}

fn text<'a>(v: &'a Val<'_>, what: &str) -> Result<std::borrow::Cow<'a, str>, String> {
    match v {
        Val::Json(Value::String(s)) => Ok(std::borrow::Cow::Borrowed(s.as_str())),
        Val::Text(s) => Ok(std::borrow::Cow::Borrowed(s.as_ref())),
        Val::Owned(Value::String(s)) => Ok(std::borrow::Cow::Borrowed(s.as_str())),
        other => Err(format!("{what}: expected date text, got {}", other.kind())),
    }
}

fn epoch_number(v: &Val<'_>) -> Option<f64> {
    match v {
        Val::Json(Value::String(s)) | Val::Owned(Value::String(s)) => s.trim().parse().ok(),
        Val::Text(s) => s.trim().parse().ok(),
        other => other.number().ok(),
    }
    .filter(|f: &f64| f.is_finite())
}

/// An ISO 8601 local date-time without offset (`2020-10-09T13:21:53`, `.sss`, space or `T`), or a
/// bare date (midnight).
fn naive_iso(s: &str) -> Option<NaiveDateTime> {
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t);
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .map(|d| d.and_time(chrono::NaiveTime::MIN))
}

#[cfg(test)]
#[path = "dates_tests.rs"]
mod tests;
