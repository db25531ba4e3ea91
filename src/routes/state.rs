//! What handlers share. Built once by `startup`.

use crate::delivery::Delivery;
use crate::domain::Secret;
use crate::queue::Acceptor;
use crate::queue::{QueueStats, Store};
use crate::stackone::ResultValidator;
use crate::vendors::Registry;
use metrics_exporter_prometheus::PrometheusHandle;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Inbound limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_body_bytes: usize,
    /// Time allowed to receive the whole body (slow-client protection).
    pub body_timeout: Duration,
    /// Undelivered jobs above which webhooks get 503.
    pub max_pending: u64,
}

/// The last queue statistics, refreshed in the background so handlers never query for them.
#[derive(Debug, Default)]
pub struct QueueWatch {
    undelivered: AtomicU64,
    store_ok: AtomicBool,
    stats: Mutex<QueueStats>,
}

impl QueueWatch {
    pub fn update(&self, stats: Result<QueueStats, String>) {
        match stats {
            Ok(s) => {
                self.undelivered.store(
                    s.pending + s.in_flight + s.awaiting_order,
                    Ordering::Relaxed,
                );
                self.store_ok.store(true, Ordering::Relaxed);
                if let Ok(mut g) = self.stats.lock() {
                    *g = s;
                }
            }
            Err(_) => self.store_ok.store(false, Ordering::Relaxed),
        }
    }
    pub fn undelivered(&self) -> u64 {
        self.undelivered.load(Ordering::Relaxed)
    }
    pub fn store_ok(&self) -> bool {
        self.store_ok.load(Ordering::Relaxed)
    }
    pub fn stats(&self) -> QueueStats {
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// Shared by every handler (wrapped in `web::Data`).
pub struct AppState {
    pub registry: Arc<Registry>,
    pub store: Arc<dyn Store>,
    pub acceptor: Acceptor,
    pub delivery: Option<Delivery>,
    pub validator: Arc<ResultValidator>,
    pub limits: Limits,
    pub public_url: Option<String>,
    pub admin_token: Option<Secret>,
    pub metrics: Option<PrometheusHandle>,
    pub queue: Arc<QueueWatch>,
    pub registration_retention: Duration,
    /// Unix ms that signed timestamps are checked against (the system clock but in tests/demo).
    pub verification_clock: crate::startup::Clock,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("registry", &self.registry)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Tells delivery that waiting jobs may have become due.
    pub fn kick_delivery(&self) {
        if let Some(d) = &self.delivery {
            d.kick();
        }
    }
}
