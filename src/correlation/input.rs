//! Validating registrations and callbacks as they come in (admin API, CLI, JSON-lines import).

use crate::domain::{AccountId, OrderId, VendorId};
use crate::queue::{Callback, Registration};
use serde::Deserialize;
use std::time::Duration;

/// `PUT /admin/orders` body and one line of an import file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegistrationInput {
    pub vendor: String,
    pub correlation_key: String,
    pub order_id: String,
    pub account_id: String,
    /// Overrides `RELAY_REGISTRATION_RETENTION_DAYS` for this entry.
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

/// `POST /admin/orders` body: ask for a per-invite callback URL.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackInput {
    pub vendor: String,
    pub order_id: String,
    pub account_id: String,
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

/// Longest correlation key accepted (keys are ids and emails, not documents).
const MAX_KEY_LEN: usize = 512;

fn expiry(now_ms: i64, days: Option<u32>, default: Duration) -> i64 {
    let ms = days
        .map(|d| i64::from(d) * 86_400_000)
        .unwrap_or(default.as_millis() as i64);
    now_ms.saturating_add(ms)
}

fn check_ids(vendor: &str, order_id: &str, account_id: &str) -> Result<(), String> {
    VendorId::parse(vendor).map_err(|e| format!("vendor: {e}"))?;
    OrderId::parse(order_id).map_err(|e| format!("order_id: {e}"))?;
    AccountId::parse(account_id).map_err(|e| format!("account_id: {e}"))?;
    Ok(())
}

impl RegistrationInput {
    pub fn into_registration(
        self,
        now_ms: i64,
        default_retention: Duration,
    ) -> Result<Registration, String> {
        check_ids(&self.vendor, &self.order_id, &self.account_id)?;
        if self.correlation_key.is_empty() || self.correlation_key.len() > MAX_KEY_LEN {
            return Err(format!("correlation_key: must be 1 to {MAX_KEY_LEN} bytes"));
        }
        Ok(Registration {
            expires_at_ms: expiry(now_ms, self.expires_in_days, default_retention),
            vendor: self.vendor,
            correlation_key: self.correlation_key,
            order_id: self.order_id,
            account_id: self.account_id,
            created_at_ms: now_ms,
        })
    }
}

impl CallbackInput {
    /// The stored binding for `token` (only its hash is kept).
    pub fn into_callback(
        self,
        token: &str,
        now_ms: i64,
        default_retention: Duration,
    ) -> Result<Callback, String> {
        check_ids(&self.vendor, &self.order_id, &self.account_id)?;
        Ok(Callback {
            token_sha256: super::token_hash(token),
            expires_at_ms: expiry(now_ms, self.expires_in_days, default_retention),
            vendor: self.vendor,
            order_id: self.order_id,
            account_id: self.account_id,
            created_at_ms: now_ms,
        })
    }
}

/// `(line number, what it says)` pairs of an import file.
pub type Numbered<T> = Vec<(usize, T)>;

/// Parses a JSON-lines import: one `RegistrationInput` per non-blank line. Returns the good lines
/// and the bad ones, each with its 1-based line number (and, for bad ones, the reason).
pub fn parse_jsonl(text: &str) -> (Numbered<RegistrationInput>, Numbered<String>) {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<RegistrationInput>(line) {
            Ok(r) => ok.push((i + 1, r)),
            Err(e) => bad.push((i + 1, e.to_string())),
        }
    }
    (ok, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);

    fn input() -> RegistrationInput {
        RegistrationInput {
            vendor: "hackerearth".into(),
            correlation_key: "1035542:alice@bob.com".into(),
            order_id: "ord_1".into(),
            account_id: "acct_1".into(),
            expires_in_days: None,
        }
    }

    #[test]
    fn a_registration_expires_after_the_default_retention_unless_told() {
        let r = input().into_registration(1_000, DAY).unwrap();
        assert_eq!(r.expires_at_ms, 1_000 + 86_400_000);
        let r = RegistrationInput {
            expires_in_days: Some(2),
            ..input()
        }
        .into_registration(0, DAY)
        .unwrap();
        assert_eq!(r.expires_at_ms, 2 * 86_400_000);
    }

    #[test]
    fn bad_ids_are_refused_with_the_field_name() {
        let e = RegistrationInput {
            account_id: "a b".into(),
            ..input()
        }
        .into_registration(0, DAY)
        .unwrap_err();
        assert!(e.starts_with("account_id:"), "{e}");
        let e = RegistrationInput {
            vendor: "../x".into(),
            ..input()
        }
        .into_registration(0, DAY)
        .unwrap_err();
        assert!(e.starts_with("vendor:"), "{e}");
        let e = RegistrationInput {
            correlation_key: String::new(),
            ..input()
        }
        .into_registration(0, DAY)
        .unwrap_err();
        assert!(e.starts_with("correlation_key:"), "{e}");
    }

    #[test]
    fn jsonl_import_reports_bad_lines_by_number() {
        let text = "{\"vendor\":\"x\",\"correlation_key\":\"k\",\"order_id\":\"o\",\"account_id\":\"a\"}\n\nnot json\n{\"vendor\":\"x\"}\n";
        let (ok, bad) = parse_jsonl(text);
        assert_eq!(ok.iter().map(|(n, _)| *n).collect::<Vec<_>>(), [1]);
        assert_eq!(bad.iter().map(|(n, _)| *n).collect::<Vec<_>>(), [3, 4]);
    }

    #[test]
    fn callbacks_keep_only_the_token_hash() {
        let cb = CallbackInput {
            vendor: "imocha".into(),
            order_id: "o".into(),
            account_id: "a".into(),
            expires_in_days: None,
        }
        .into_callback("tok", 0, DAY)
        .unwrap();
        assert_eq!(cb.token_sha256, super::super::token_hash("tok"));
    }
}
