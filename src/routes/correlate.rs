//! The order a webhook belongs to, when its payload does not carry it: a per-invite callback
//! token, or a correlation key registered beforehand (`orders`, admin API).

use super::errors::store_error;
use super::AppState;
use crate::correlation;
use crate::error::{ApiError, ErrorCode};
use crate::queue::{Initial, NewJob};
use crate::signature::CallbackBinding;
use crate::vendors::Vendor;
use chrono::Utc;
use std::sync::Arc;

/// Looks a per-invite token up. An unknown, malformed, expired or other-vendor token is a 401:
/// for vendors that sign nothing, the token *is* the authentication.
pub(super) async fn resolve_callback(
    state: &AppState,
    vendor: &Arc<Vendor>,
    token: &str,
) -> Result<CallbackBinding, ApiError> {
    let invalid = || {
        ApiError::new(
            ErrorCode::CallbackTokenInvalid,
            "this callback URL is not valid",
        )
    };
    if !correlation::is_well_formed(token) {
        return Err(invalid());
    }
    let now = Utc::now().timestamp_millis();
    match state
        .store
        .get_callback(&correlation::token_hash(token), now)
        .await
    {
        Ok(Some(cb)) if cb.vendor == vendor.id.as_str() => Ok(CallbackBinding {
            order_id: cb.order_id,
            account_id: cb.account_id,
        }),
        Ok(_) => Err(invalid()),
        Err(e) => Err(store_error(&e)),
    }
}

/// Fills in the order of a job that only has a correlation key, when the key is registered.
pub(super) async fn correlate(state: &AppState, mut job: NewJob) -> Result<NewJob, ApiError> {
    if job.initial != Initial::AwaitingOrder {
        return Ok(job);
    }
    let Some(key) = job.correlation_key.as_deref() else {
        return Ok(job);
    };
    let now = Utc::now().timestamp_millis();
    if let Some(reg) = state
        .store
        .get_registration(&job.vendor, key, now)
        .await
        .map_err(|e| store_error(&e))?
    {
        job.order_id = Some(reg.order_id);
        job.account_id = Some(reg.account_id);
        job.initial = Initial::Pending;
    }
    Ok(job)
}
