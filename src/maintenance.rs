//! Background upkeep: the queue-depth sample behind the 503 guard, `/readyz` and the gauges,
//! and the periodic retention and correlation deadlines.

use crate::config::Settings;
use crate::metrics as m;
use crate::queue::Store;
use crate::routes::QueueWatch;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Refreshes queue statistics for the 503 guard, `/readyz` and the gauges: the depth every
/// second, the count of delivered jobs (which walks all of them) once a minute.
pub async fn watch_queue(store: Arc<dyn Store>, queue: Arc<QueueWatch>, stop: CancellationToken) {
    for tick in 0u64.. {
        let now = chrono::Utc::now().timestamp_millis();
        let stats = store.stats(now, tick % 60 == 0).await;
        if let Ok(s) = &stats {
            for (state, n) in [
                ("pending", Some(s.pending)),
                ("in_flight", Some(s.in_flight)),
                ("delivered", s.delivered),
                ("dead", Some(s.dead)),
                ("awaiting_order", Some(s.awaiting_order)),
            ] {
                if let Some(n) = n {
                    metrics::gauge!(m::QUEUE_JOBS, "state" => state).set(n as f64);
                }
            }
            metrics::gauge!(m::QUEUE_OLDEST_SECONDS)
                .set(s.oldest_undelivered_age_ms as f64 / 1000.0);
        }
        queue.update(stats.map_err(|e| e.to_string()));
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// Retention and correlation deadlines, every `RELAY_MAINTENANCE_INTERVAL_S`.
pub async fn maintain(store: Arc<dyn Store>, settings: Settings, stop: CancellationToken) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(Duration::from_secs(settings.maintenance_interval_s)) => {}
        }
        let now = chrono::Utc::now().timestamp_millis();
        match store
            .purge(now - settings.retention().as_millis() as i64, now)
            .await
        {
            Ok(n) if n > 0 => tracing::info!(purged = n, "delivered jobs past retention purged"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "retention purge failed; will try again"),
        }
        match store
            .expire_correlation(now - settings.correlation_wait().as_millis() as i64, now)
            .await
        {
            Ok((dead, purged)) => {
                if dead > 0 {
                    metrics::counter!(m::DEAD_LETTERS, "vendor" => "any", "reason" => "uncorrelated").increment(dead);
                    tracing::warn!(
                        dead_lettered = dead,
                        "results whose order was never registered were dead-lettered"
                    );
                }
                if purged > 0 {
                    tracing::info!(purged, "expired registrations and callbacks removed");
                }
            }
            Err(e) => tracing::warn!(error = %e, "correlation expiry failed; will try again"),
        }
    }
}
