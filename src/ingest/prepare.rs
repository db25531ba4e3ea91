//! See the module docs in `ingest`.

use crate::domain::{AccountId, Headers, OrderId};
use crate::mapping::{translate, Mapped, RouteParams, TranslateInput, Translation};
use crate::queue::{Initial, NewJob};
use crate::signature::CallbackBinding;
use crate::stackone::ResultValidator;
use crate::vendors::Vendor;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What the route carried, stored with the job so a replay can re-translate with the same inputs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRoute {
    #[serde(flatten)]
    pub params: RouteParams,
    /// Set when the webhook arrived on a per-invite callback URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_order_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_account_id: Option<String>,
}

impl StoredRoute {
    pub fn new(params: RouteParams, callback: Option<&CallbackBinding>) -> Self {
        Self {
            params,
            callback_order_id: callback.map(|c| c.order_id.clone()),
            callback_account_id: callback.map(|c| c.account_id.clone()),
        }
    }
}

/// Inputs besides the body.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub vendor: &'a Vendor,
    pub headers: &'a Headers,
    pub route: &'a StoredRoute,
    pub received_at: DateTime<Utc>,
    pub request_id: &'a str,
}

/// What to do with the webhook.
#[derive(Debug)]
pub enum Prepared {
    /// No rule selected it: answer 200 `ignored`, store nothing.
    Ignored { reason: String },
    /// Commit it. `initial` is `Pending` when the order is known, `AwaitingOrder` when only a
    /// correlation key is (the caller then looks the key up and may fill in the order).
    Job(Box<NewJob>),
    /// Verified but not deliverable: commit it as a dead letter (it can be replayed after the
    /// mapping is fixed) and answer 422 with this rejection.
    DeadLetter(Box<NewJob>, Rejection),
}

/// Why a verified webhook cannot be delivered; becomes a 4xx at the edge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// Not JSON at all (400; nothing is stored: no mapping fix can read it).
    InvalidJson(String),
    /// Translation failed (422 `mapping_failed`).
    MappingFailed(String),
    /// The translated body violates the StackOne schema (422 `invalid_result`).
    InvalidResult(String),
    /// No order id and no way to find one (422 `order_unresolved`).
    OrderUnresolved(String),
}

impl Rejection {
    pub fn message(&self) -> &str {
        match self {
            Self::InvalidJson(m)
            | Self::MappingFailed(m)
            | Self::InvalidResult(m)
            | Self::OrderUnresolved(m) => m,
        }
    }
}

/// The dedupe key: the mapping's event id when it has one, else a hash of the exact body (a
/// vendor retry resends the same bytes). Prefixed so the two kinds never collide.
pub fn dedupe_key(event_id: Option<&str>, body: &[u8]) -> String {
    match event_id {
        Some(id) => format!("id:{id}"),
        None => format!("sha256:{}", hex::encode(Sha256::digest(body))),
    }
}

/// The most a translated result's buffer reserves before it is written (bytes).
const RESULT_CAPACITY_MAX: usize = 8 * 1024;

/// Runs parse → translate → validate → identity for one verified body.
pub fn prepare(
    ctx: Context<'_>,
    body: &[u8],
    validator: &ResultValidator,
) -> Result<Prepared, Rejection> {
    let payload: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| Rejection::InvalidJson(format!("the body is not JSON: {e}")))?;
    let input = TranslateInput {
        payload: &payload,
        headers: ctx.headers,
        route: &ctx.route.params,
        received_at: ctx.received_at,
    };
    let job = |initial, mapped: Option<&Mapped>, body_json: Option<String>| NewJob {
        vendor: ctx.vendor.id.as_str().to_owned(),
        event_key: dedupe_key(mapped.and_then(|m| m.event_id.as_deref()), body),
        order_id: None,
        account_id: None,
        correlation_key: mapped.and_then(|m| m.correlation_key.clone()),
        body: body_json,
        payload: body.to_vec(),
        headers: serde_json::to_string(
            &ctx.headers.retain_names(ctx.vendor.mapping.header_names()),
        )
        .unwrap_or_else(|_| "[]".into()),
        route: serde_json::to_string(ctx.route).unwrap_or_else(|_| "{}".into()),
        rule: mapped.map(|m| m.rule.clone()),
        request_id: ctx.request_id.to_owned(),
        received_at_ms: ctx.received_at.timestamp_millis(),
        initial,
    };
    let dead = |mapped: Option<&Mapped>, r: Rejection| {
        let j = job(
            Initial::Dead {
                reason: r.message().to_owned(),
            },
            mapped,
            None,
        );
        Ok(Prepared::DeadLetter(Box::new(j), r))
    };

    let mapped = match translate(&ctx.vendor.mapping, &input) {
        Ok(Translation::Ignored { reason }) => return Ok(Prepared::Ignored { reason }),
        Ok(Translation::Mapped(m)) => m,
        Err(e) => return dead(None, Rejection::MappingFailed(e.to_string())),
    };
    let body_value = match serde_json::to_value(&mapped.body) {
        Ok(v) => v,
        Err(e) => return dead(Some(&mapped), Rejection::InvalidResult(e.to_string())),
    };
    if let Err(violations) = validator.validate(&body_value) {
        let msg = format!(
            "the translated result violates the StackOne schema: {}",
            violations.join("; ")
        );
        return dead(Some(&mapped), Rejection::InvalidResult(msg));
    }
    // Into a Vec (`Value`'s `Display` goes through `fmt::Write` per token) sized up front: a
    // result is rarely longer than the payload it came from, and `to_string` starts at 128
    // bytes and regrows (~2% of an HTTP worker's time on the load benchmark). Capped, so that a
    // large payload's short result does not hold a large buffer in the queue.
    let mut out = Vec::with_capacity(body.len().min(RESULT_CAPACITY_MAX));
    serde_json::to_writer(&mut out, &body_value).expect("a serde_json::Value always serializes");
    let body_json = String::from_utf8(out).expect("serde_json writes UTF-8");

    // A per-invite callback URL's binding is authenticated by its token and wins over anything
    // the (possibly unsigned) body says.
    let order = ctx
        .route
        .callback_order_id
        .clone()
        .or_else(|| mapped.order_id.clone());
    let account = ctx
        .route
        .callback_account_id
        .clone()
        .or_else(|| mapped.account_id.clone());
    match (order, account) {
        (Some(o), Some(a)) => {
            if let Err(e) = OrderId::parse(&o) {
                return dead(
                    Some(&mapped),
                    Rejection::MappingFailed(format!("order_id: {e}")),
                );
            }
            if let Err(e) = AccountId::parse(&a) {
                return dead(
                    Some(&mapped),
                    Rejection::MappingFailed(format!("account_id: {e}")),
                );
            }
            let mut j = job(Initial::Pending, Some(&mapped), Some(body_json));
            j.order_id = Some(o);
            j.account_id = Some(a);
            Ok(Prepared::Job(Box::new(j)))
        }
        _ if mapped.correlation_key.is_some() => Ok(Prepared::Job(Box::new(job(
            Initial::AwaitingOrder,
            Some(&mapped),
            Some(body_json),
        )))),
        (o, _) => {
            let missing = if o.is_none() {
                "order_id"
            } else {
                "account_id"
            };
            dead(
                Some(&mapped),
                Rejection::OrderUnresolved(format!(
                    "rule {:?} yields no {missing} and no correlation_key to look it up",
                    mapped.rule
                )),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dedupe_key_prefers_the_event_id() {
        assert_eq!(dedupe_key(Some("49f6"), b"{}"), "id:49f6");
        assert_eq!(
            dedupe_key(None, b"{}"),
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
    }

    #[test]
    fn stored_routes_round_trip_and_omit_what_is_absent() {
        let r = StoredRoute::new(
            RouteParams {
                account_id: Some("acct".into()),
            },
            None,
        );
        let s = serde_json::to_string(&r).unwrap();
        assert_eq!(s, r#"{"account_id":"acct"}"#);
        assert_eq!(serde_json::from_str::<StoredRoute>(&s).unwrap(), r);
    }
}
