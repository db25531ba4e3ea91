//! Vendor events documented without a published sample (or with other values than the sample
//! shows), translated from the published samples with the one member changed.

use super::catalogue::{load, read, repo, variant};
use super::*;

#[test]
fn codesignal_reads_an_account_order_compound_from_external_id() {
    let t = variant("codesignal", "company-test-session-finished", |p| {
        p["payload"]["externalId"] = json!("acct-9:order:42")
    });
    assert_eq!(
        (&t["account_id"], &t["order_id"]),
        (&json!("acct-9"), &json!("order:42"))
    );
    assert_eq!(t["correlation_key"], json!("lehu382hdleh29"));
}

#[test]
fn codesignal_takes_a_plain_external_id_as_the_order_and_the_account_from_the_route() {
    let mut payload =
        read(&repo().join("tests/fixtures/codesignal/company-test-session-finished.json"));
    payload["payload"]["externalId"] = json!("order-77");
    let req = Req {
        route: RouteParams {
            account_id: Some("acct-route".into()),
        },
        ..Req::default()
    };
    let m = mapped(run_with(&load("codesignal"), &payload, &req).unwrap());
    assert_eq!(
        (m.order_id.as_deref(), m.account_id.as_deref()),
        (Some("order-77"), Some("acct-route"))
    );
}

#[test]
fn codesignal_proctoring_outcomes_map_to_in_progress_and_failed() {
    for (event, want) in [
        ("preScreenResultVerificationPending", "in_progress"),
        ("preScreenResultNotVerified", "failed"),
    ] {
        let t = variant("codesignal", "company-test-session-finished", |p| {
            p["event"] = json!(event)
        });
        assert_eq!(
            t["body"]["result"],
            json!({"value": want, "source_value": event})
        );
    }
}

#[test]
fn hackerearth_report_updated_maps_the_percentage_when_present_and_the_score_otherwise() {
    let report = |payload: Value| {
        variant("hackerearth", "candidate-test-finished", |p| {
            p["webhook_event_type"] = json!("CANDIDATE_REPORT_UPDATED");
            p["webhook_payload"] = payload;
        })
    };
    let t = report(
        json!({"test_id": 1035542, "email": "alice@bob.com", "start_datetime": "2019-08-05T09:11:46-05:51", "finish_datetime": "2019-08-05T10:11:46-05:51", "score": 45, "percentage": 75.0, "full_report_url": "https://he/r", "candidate_id": "c-1"}),
    );
    assert_eq!(t["rule"], json!("report-updated"));
    assert_eq!(
        t["body"]["score"],
        json!({"label": "Percentage", "value": "75", "min": "0", "max": "100"})
    );
    assert_eq!(t["body"]["start_date"], json!("2019-08-05T15:02:46.000Z"));
    assert_eq!(t["body"]["result_url"], json!("https://he/r"));
    assert_eq!(t["body"]["candidate"], json!({"id": "c-1"}));
    let t = report(json!({"test_id": 1, "email": "e", "score": 45}));
    assert_eq!(t["body"]["score"], json!({"label": "Score", "value": "45"}));
    let t = report(json!({"test_id": 1, "email": "e"}));
    assert_eq!(
        t["body"],
        json!({"result": {"value": "completed", "source_value": "CANDIDATE_REPORT_UPDATED"}, "passthrough": {"test_id": 1}})
    );
}

#[test]
fn imocha_terminated_is_cancelled_and_an_unlisted_status_is_unmapped() {
    for (status, want) in [("Terminated", "cancelled"), ("Test Left", "unmapped_value")] {
        let t = variant("imocha", "complete", |p| p["Status"] = json!(status));
        assert_eq!(
            t["body"]["result"],
            json!({"value": want, "source_value": status})
        );
    }
}

#[test]
fn imocha_falls_back_to_the_local_attempt_time_in_india_standard_time() {
    let t = variant("imocha", "complete", |p| {
        p.as_object_mut().unwrap().remove("AttemptedOnUtc");
    });
    assert_eq!(t["body"]["start_date"], json!("2020-10-09T13:21:00.000Z"));
}

#[test]
fn testdome_did_not_take_is_expired_and_canceled_is_cancelled() {
    for (status, want) in [
        ("DidNotTake", "expired"),
        ("Canceled", "cancelled"),
        ("Archived", "unmapped_value"),
    ] {
        let t = variant("testdome", "completed", |p| p["status"] = json!(status));
        assert_eq!(
            t["body"]["result"],
            json!({"value": want, "source_value": status})
        );
    }
}

#[test]
fn coderbyte_expired_time_and_unfinished_reports_are_told_apart() {
    let t = variant("coderbyte", "assessment-completed", |p| {
        p["time_expired"] = json!(true);
        p["report_ready"] = json!(false);
    });
    assert_eq!(
        t["body"]["result"],
        json!({"value": "expired", "source_value": "assessment_completed"})
    );
    assert_eq!(
        t["body"]["summary"],
        json!("Report still being processed: results are not final yet")
    );
    let t = variant("coderbyte", "scorecard-updated", |p| {
        p["recommendation"] = json!("thumb_down")
    });
    assert_eq!(
        t["body"]["result"],
        json!({"value": "failed", "source_value": "thumb_down"})
    );
}
