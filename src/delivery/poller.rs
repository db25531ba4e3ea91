//! Finds due work in the store: retries whose time has come, the next job of an order whose
//! previous job finished, jobs released by a registration, and jobs whose lease expired (a
//! crashed replica). It leases no more than the free delivery capacity, so leased jobs never
//! wait long enough in memory for their lease to run out.

use super::{Delivery, DeliveryConfig};
use crate::queue::{Lease, Store};
use std::sync::Arc;
use std::time::Duration;

/// Shortest pause between two polls, however often the poller is kicked.
const MIN_GAP: Duration = Duration::from_millis(5);

pub(super) async fn run(store: Arc<dyn Store>, cfg: Arc<DeliveryConfig>, d: Delivery) {
    let mut failures = 0u32;
    loop {
        tokio::select! {
            _ = d.stop.cancelled() => return,
            _ = d.kick.notified() => {}
            _ = tokio::time::sleep(cfg.poll_interval) => {}
        }
        tokio::time::sleep(MIN_GAP).await;
        // Capacity: free permits minus jobs already waiting in the channel.
        let free = d.semaphore.available_permits().saturating_sub(d.jobs.len());
        if free == 0 {
            continue;
        }
        let now = chrono::Utc::now().timestamp_millis();
        let lease = Lease {
            owner: cfg.owner.clone(),
            until_ms: now + cfg.lease_ms,
        };
        match store.lease_due(&lease, now, free).await {
            Ok(jobs) => {
                failures = 0;
                let full = jobs.len() == free;
                if !full {
                    // Everything due is leased now; until something is committed unleased
                    // again, deliveries need not kick.
                    d.waiting.store(false, std::sync::atomic::Ordering::Relaxed);
                }
                for j in jobs {
                    if d.jobs.send(j).await.is_err() {
                        return; // shutting down; the lease is released by `shutdown`
                    }
                }
                if full {
                    // There may be more due work: look again without waiting for a kick.
                    d.kick.notify_one();
                }
            }
            Err(e) => {
                failures += 1;
                // Back off while the store is down; log once per streak, not per poll.
                if failures == 1 {
                    tracing::warn!(error = %e, "cannot lease due jobs; will keep trying");
                }
                tokio::time::sleep(Duration::from_millis(200 * u64::from(failures.min(25)))).await;
            }
        }
    }
}
