//! Dates: each input format, offsets and zones, DST gaps and folds, and the checks made when a
//! mapping file loads.

use super::*;
use serde_json::json;

fn date(format: &str, zone: Option<&str>) -> DateExpr {
    DateExpr {
        input: Expr::Absent,
        format: Format::parse(format).unwrap(),
        zone: zone.map(|z| Zone::parse(z).unwrap()),
        shift: None,
    }
}

fn utc(v: Value, format: &str, zone: Option<&str>) -> Result<String, String> {
    read(&Val::Json(&v), &date(format, zone), "$.d").map(|d| super::super::value::date_text(&d))
}

#[test]
fn rfc3339_values_keep_their_own_offset() {
    for (v, want) in [
        ("2019-08-05T10:11:46-05:51", "2019-08-05T16:02:46.000Z"),
        ("2023-05-10T20:52:52.078Z", "2023-05-10T20:52:52.078Z"),
        ("2020-01-01T05:30:00+05:30", "2020-01-01T00:00:00.000Z"),
    ] {
        assert_eq!(utc(json!(v), "rfc3339", None).unwrap(), want, "{v}");
    }
}

#[test]
fn an_offset_less_iso_value_needs_and_uses_the_zone() {
    let err = utc(json!("2020-10-09T13:21:53"), "rfc3339", None).unwrap_err();
    assert!(err.contains("no UTC offset"), "{err}");
    assert_eq!(
        utc(json!("2020-10-09T13:21:53"), "rfc3339", Some("UTC")).unwrap(),
        "2020-10-09T13:21:53.000Z"
    );
    assert_eq!(
        utc(
            json!("2020-10-09 18:51:53"),
            "rfc3339",
            Some("Asia/Kolkata")
        )
        .unwrap(),
        "2020-10-09T13:21:53.000Z"
    );
}

#[test]
fn epochs_accept_numbers_and_numeric_text() {
    assert_eq!(
        utc(json!(1553720789347u64), "epoch_ms", None).unwrap(),
        "2019-03-27T21:06:29.347Z"
    );
    assert_eq!(
        utc(json!("1600000000"), "epoch_s", None).unwrap(),
        "2020-09-13T12:26:40.000Z"
    );
    assert_eq!(
        utc(json!(1600000000.5), "epoch_s", None).unwrap(),
        "2020-09-13T12:26:40.500Z"
    );
    assert!(utc(json!("soon"), "epoch_s", None)
        .unwrap_err()
        .contains("epoch number"));
    assert!(utc(json!(1e300), "epoch_ms", None)
        .unwrap_err()
        .contains("out of range"));
}

#[test]
fn custom_formats_parse_in_the_given_zone() {
    let f = "%d-%b-%Y %I:%M %p";
    assert_eq!(
        utc(json!("09-Oct-2020 06:51 PM"), f, Some("Asia/Kolkata")).unwrap(),
        "2020-10-09T13:21:00.000Z"
    );
    assert_eq!(
        utc(json!("09-Oct-2020 06:51 PM"), f, Some("+05:30")).unwrap(),
        "2020-10-09T13:21:00.000Z"
    );
    assert_eq!(
        utc(json!("31/12/2020"), "%d/%m/%Y", Some("UTC")).unwrap(),
        "2020-12-31T00:00:00.000Z"
    );
    assert_eq!(
        utc(json!("2020-12-31 10:00 +0100"), "%Y-%m-%d %H:%M %z", None).unwrap(),
        "2020-12-31T09:00:00.000Z"
    );
    let err = utc(json!("Oct 9"), f, Some("UTC")).unwrap_err();
    assert!(
        err.contains("does not match") && !err.contains("Oct 9"),
        "{err}"
    );
}

#[test]
fn formats_and_zones_are_checked_when_the_file_loads() {
    assert!(Format::parse("%d-%b-%Y").unwrap().needs_zone());
    assert!(!Format::parse("%d-%b-%Y %H:%M %z").unwrap().needs_zone());
    assert!(!Format::parse("rfc3339").unwrap().needs_zone());
    assert!(Format::parse("dd/mm/yyyy")
        .unwrap_err()
        .contains("unknown date format"));
    assert!(Format::parse("%Y-%m-%d %Q")
        .unwrap_err()
        .contains("invalid strftime"));
    assert!(Format::parse("%H:%M %Z").unwrap_err().contains("%Z"));
    assert!(Format::parse("%H:%M").unwrap_err().contains("no day"));
    assert!(Zone::parse("Asia/Kolkata").is_ok());
    assert!(Zone::parse("-08:00").is_ok());
    assert!(Zone::parse("Mars/Olympus")
        .unwrap_err()
        .contains("unknown time zone"));
    assert!(Zone::parse("+25:00")
        .unwrap_err()
        .contains("invalid UTC offset"));
}

#[test]
fn a_local_time_in_a_dst_gap_is_an_error_and_a_fold_takes_the_earlier_instant() {
    let gap = utc(
        json!("2021-03-28T02:30:00"),
        "rfc3339",
        Some("Europe/Berlin"),
    );
    assert!(gap.unwrap_err().contains("does not exist"));
    assert_eq!(
        utc(
            json!("2021-10-31T02:30:00"),
            "rfc3339",
            Some("Europe/Berlin")
        )
        .unwrap(),
        "2021-10-31T00:30:00.000Z"
    );
}
