//! Binding a result to its StackOne order when the vendor does not echo the order id.
//! Two mechanisms besides the payload itself (see `docs/correlation.md`):
//! - per-invite callback URLs `{RELAY_PUBLIC_URL}/webhooks/{vendor}/o/{token}`: the token is 256
//!   random bits, shown once; only its SHA-256 is stored, so a database leak does not reveal
//!   usable URLs, and looking a token up by its hash leaks nothing useful through timing;
//! - a registry of correlation keys (what the vendor sends back → order, account), stored by
//!   `crate::queue::Store`, with results that arrive first held as `awaiting_order`.

mod input;

pub use input::{parse_jsonl, CallbackInput, RegistrationInput};

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh callback token: 32 random bytes, URL-safe base64 without padding (43 characters).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The stored form of a token: lowercase hex SHA-256.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether `token` has the shape `new_token` produces (rejects junk before any lookup).
pub fn is_well_formed(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `{public_url}/webhooks/{vendor}/o/{token}`.
pub fn callback_url(public_url: &str, vendor: &str, token: &str) -> String {
    format!(
        "{}/webhooks/{vendor}/o/{token}",
        public_url.trim_end_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_well_formed_and_hashed_to_hex() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert!(is_well_formed(&a), "{a}");
        assert_eq!(token_hash(&a).len(), 64);
        assert_ne!(token_hash(&a), token_hash(&b));
    }

    #[test]
    fn junk_tokens_are_not_well_formed() {
        for t in [
            "",
            "short",
            &"a".repeat(44),
            &format!("{}/", "a".repeat(42)),
            &format!("{}%", "a".repeat(42)),
        ] {
            assert!(!is_well_formed(t), "{t}");
        }
    }

    #[test]
    fn callback_urls_join_cleanly() {
        assert_eq!(
            callback_url("https://r.example.com/", "imocha", "T"),
            "https://r.example.com/webhooks/imocha/o/T"
        );
    }
}
