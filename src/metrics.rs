//! Prometheus metrics. Names follow Prometheus conventions (`_total` counters, `_seconds`
//! histograms, base units); label values are bounded (vendor names of loaded files, error codes,
//! states), never ids. The recorder is process-global (the `metrics` crate's design), installed
//! once; `/metrics` renders it.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

pub const WEBHOOKS_RECEIVED: &str = "relay_webhooks_received_total";
pub const WEBHOOKS_REJECTED: &str = "relay_webhooks_rejected_total";
pub const VERIFY_SECONDS: &str = "relay_verification_duration_seconds";
pub const TRANSLATE_SECONDS: &str = "relay_translation_duration_seconds";
pub const ACCEPT_SECONDS: &str = "relay_acceptance_duration_seconds";
pub const DELIVERIES: &str = "relay_deliveries_total";
pub const RETRIES: &str = "relay_delivery_retries_total";
pub const DEAD_LETTERS: &str = "relay_dead_letters_total";
pub const UPSTREAM_SECONDS: &str = "relay_upstream_request_duration_seconds";
pub const QUEUE_JOBS: &str = "relay_queue_jobs";
pub const QUEUE_OLDEST_SECONDS: &str = "relay_queue_oldest_undelivered_age_seconds";
pub const MAPPING_RELOADS: &str = "relay_mapping_reloads_total";
pub const VENDORS_LOADED: &str = "relay_vendors_loaded";

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the recorder (first call) and returns the handle `/metrics` renders.
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let fast = [
                0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.005,
                0.01,
            ];
            let slow = [
                0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ];
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(VERIFY_SECONDS.into()), &fast)
                .and_then(|b| {
                    b.set_buckets_for_metric(Matcher::Full(TRANSLATE_SECONDS.into()), &fast)
                })
                .and_then(|b| b.set_buckets_for_metric(Matcher::Full(ACCEPT_SECONDS.into()), &slow))
                .and_then(|b| {
                    b.set_buckets_for_metric(Matcher::Full(UPSTREAM_SECONDS.into()), &slow)
                })
                .expect("static bucket lists are non-empty")
                .build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (an embedding program, a test harness);
            // then our handle renders nothing, which is the honest result.
            let _ = metrics::set_global_recorder(recorder);
            describe();
            handle
        })
        .clone()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(WEBHOOKS_RECEIVED, "Webhooks received, by vendor and outcome (accepted, duplicate, ignored, rejected, unmappable, unavailable).");
    describe_counter!(
        WEBHOOKS_REJECTED,
        "Webhooks refused, by vendor and cause (the error code)."
    );
    describe_histogram!(
        VERIFY_SECONDS,
        Unit::Seconds,
        "Time to verify a webhook's authentication."
    );
    describe_histogram!(
        TRANSLATE_SECONDS,
        Unit::Seconds,
        "Time to parse and translate a webhook."
    );
    describe_histogram!(
        ACCEPT_SECONDS,
        Unit::Seconds,
        "Time from receipt to durable commit of a webhook."
    );
    describe_counter!(
        DELIVERIES,
        "Delivery attempts, by outcome (delivered, retry, dead) and upstream status class."
    );
    describe_counter!(
        RETRIES,
        "Delivery attempts scheduled for a retry, by vendor."
    );
    describe_counter!(DEAD_LETTERS, "Jobs dead-lettered, by vendor and reason.");
    describe_histogram!(UPSTREAM_SECONDS, Unit::Seconds, "Upstream PATCH latency.");
    describe_gauge!(QUEUE_JOBS, "Jobs in the store, by state.");
    describe_gauge!(
        QUEUE_OLDEST_SECONDS,
        Unit::Seconds,
        "Age of the oldest job not yet delivered or dead."
    );
    describe_counter!(
        MAPPING_RELOADS,
        "Mapping reload attempts, by result (ok, rejected)."
    );
    describe_gauge!(VENDORS_LOADED, "Vendors in the running mapping set.");
}

/// One vendor's hot-path metric handles, registered once when the vendor loads, so a webhook
/// costs no label allocation or registry lookup. (Rejections by cause are rarer and use the
/// macros with the cause as a label.)
#[derive(Clone)]
pub struct VendorMetrics {
    pub accepted: metrics::Counter,
    pub duplicate: metrics::Counter,
    pub ignored: metrics::Counter,
    pub verify: metrics::Histogram,
    pub translate: metrics::Histogram,
    pub accept: metrics::Histogram,
}

impl std::fmt::Debug for VendorMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VendorMetrics")
    }
}

impl VendorMetrics {
    pub fn new(vendor: &str) -> Self {
        let v = vendor.to_owned();
        let received = |outcome: &'static str| metrics::counter!(WEBHOOKS_RECEIVED, "vendor" => v.clone(), "outcome" => outcome);
        Self {
            accepted: received("accepted"),
            duplicate: received("duplicate"),
            ignored: received("ignored"),
            verify: metrics::histogram!(VERIFY_SECONDS, "vendor" => v.clone()),
            translate: metrics::histogram!(TRANSLATE_SECONDS, "vendor" => v.clone()),
            accept: metrics::histogram!(ACCEPT_SECONDS, "vendor" => v.clone()),
        }
    }
}
