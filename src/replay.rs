//! Replaying stored jobs, optionally re-translated with the current mappings (after a mapping fix,
//! a dead letter's stored payload is translated again and its new body replaces the old).
//! Shared by the admin API and the `deliveries replay` command.

use crate::domain::Headers;
use crate::ingest::{self, Prepared, StoredRoute};
use crate::queue::{Initial, JobId, JobState, Rewrite, Store};
use crate::stackone::ResultValidator;
use crate::vendors::VendorSet;
use chrono::{TimeZone, Utc};
use serde::Serialize;

/// What happened to one replay request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum ReplayResult {
    Replayed {
        id: JobId,
        retranslated: bool,
    },
    NotFound {
        id: JobId,
    },
    /// Pending, in flight or awaiting an order: already on its way.
    NotReplayable {
        id: JobId,
        state: &'static str,
    },
    /// Re-translation with the current mapping did not give a deliverable result.
    Failed {
        id: JobId,
        reason: String,
    },
}

/// Replays job `id`. With `retranslate`, the stored payload goes through the current mapping of
/// its vendor first (and the registry, when the mapping yields only a correlation key).
pub async fn replay(
    store: &dyn Store,
    vendors: &VendorSet,
    validator: &ResultValidator,
    id: JobId,
    retranslate: bool,
    now_ms: i64,
) -> Result<ReplayResult, crate::queue::StoreError> {
    let Some(job) = store.get(id).await? else {
        return Ok(ReplayResult::NotFound { id });
    };
    let state = job.summary.state;
    if !matches!(state, JobState::Dead | JobState::Delivered) {
        return Ok(ReplayResult::NotReplayable {
            id,
            state: state.as_str(),
        });
    }
    let rewrite = if retranslate {
        match rewrite_for(store, vendors, validator, &job, now_ms).await? {
            Ok(r) => Some(r),
            Err(reason) => return Ok(ReplayResult::Failed { id, reason }),
        }
    } else {
        if job.body.is_none() || job.summary.order_id.is_none() {
            let reason = "this job was never translated; replay it with re-translation".to_owned();
            return Ok(ReplayResult::Failed { id, reason });
        }
        None
    };
    let done = store.replay(id, rewrite.as_ref(), now_ms).await?;
    Ok(if done {
        ReplayResult::Replayed {
            id,
            retranslated: rewrite.is_some(),
        }
    } else {
        ReplayResult::NotReplayable {
            id,
            state: "changed meanwhile",
        }
    })
}

async fn rewrite_for(
    store: &dyn Store,
    vendors: &VendorSet,
    validator: &ResultValidator,
    job: &crate::queue::JobDetail,
    now_ms: i64,
) -> Result<Result<Rewrite, String>, crate::queue::StoreError> {
    let Some(vendor) = vendors.get(&job.summary.vendor) else {
        return Ok(Err(format!(
            "vendor {:?} is no longer configured",
            job.summary.vendor
        )));
    };
    let headers: Headers = serde_json::from_str(&job.headers).unwrap_or_default();
    let route: StoredRoute = serde_json::from_str(&job.route).unwrap_or_default();
    let received_at = Utc
        .timestamp_millis_opt(job.summary.received_at_ms)
        .single()
        .unwrap_or_else(Utc::now);
    let ctx = ingest::Context {
        vendor,
        headers: &headers,
        route: &route,
        received_at,
        request_id: &job.request_id,
    };
    let new = match ingest::prepare(ctx, &job.payload, validator) {
        Ok(Prepared::Job(j)) => *j,
        Ok(Prepared::Ignored { reason }) => {
            return Ok(Err(format!("the current mapping ignores it: {reason}")))
        }
        Ok(Prepared::DeadLetter(_, r)) | Err(r) => return Ok(Err(r.message().to_owned())),
    };
    let (order_id, account_id) = match (new.order_id, new.account_id, new.initial) {
        (Some(o), Some(a), _) => (o, a),
        (_, _, Initial::AwaitingOrder) => {
            let key = new.correlation_key.unwrap_or_default();
            match store.get_registration(&new.vendor, &key, now_ms).await? {
                Some(reg) => (reg.order_id, reg.account_id),
                None => {
                    return Ok(Err(format!(
                        "no order is registered for correlation key {key:?}"
                    )))
                }
            }
        }
        _ => return Ok(Err("the current mapping yields no order".into())),
    };
    Ok(Ok(Rewrite {
        order_id,
        account_id,
        body: new.body.unwrap_or_default(),
        rule: new.rule,
    }))
}
