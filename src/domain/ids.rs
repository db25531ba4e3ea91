//! Identifier newtypes. Each constructor is the only way in, so a `VendorId` can be used in a file
//! name or metric label, and an `AccountId` in a header, without further checks.

use std::fmt;

/// Why a string was refused as an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("must not be empty")]
    Empty,
    #[error("is longer than {0} characters")]
    TooLong(usize),
    #[error("contains a character that is not allowed ({0:?})")]
    BadChar(char),
}

/// A vendor name as it appears in `/webhooks/{vendor}` and in `mappings/{vendor}.json`:
/// lowercase ASCII letters, digits, `-` and `_`, starting with a letter or digit, at most 64 chars.
/// Because nothing else is accepted, a vendor id can never name a path outside the mappings folder.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VendorId(String);

impl VendorId {
    pub const MAX_LEN: usize = 64;

    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        if s.len() > Self::MAX_LEN {
            return Err(IdError::TooLong(Self::MAX_LEN));
        }
        for (i, c) in s.chars().enumerate() {
            let ok =
                c.is_ascii_lowercase() || c.is_ascii_digit() || (i > 0 && (c == '-' || c == '_'));
            if !ok {
                return Err(IdError::BadChar(c));
            }
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The suffix of this vendor's secret variable: upper-cased, `-` → `_`
    /// (`hacker-earth` → `HACKER_EARTH`, read from `RELAY_SECRET_HACKER_EARTH`).
    pub fn env_suffix(&self) -> String {
        self.0.to_ascii_uppercase().replace('-', "_")
    }
}

impl fmt::Display for VendorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A StackOne assessment order id. Any non-empty text without control characters, at most 512
/// bytes; it is percent-encoded as one path segment when forwarded, so `/`, `..` or `?` inside it
/// can never change the upstream path.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct OrderId(String);

impl OrderId {
    pub const MAX_LEN: usize = 512;

    pub fn parse(s: &str) -> Result<Self, IdError> {
        check_text(s, Self::MAX_LEN).map(|()| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A StackOne linked-account id, sent as the `x-account-id` header: visible ASCII only (no spaces,
/// no CR/LF), so it can never split or inject a header. At most 256 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct AccountId(String);

impl AccountId {
    pub const MAX_LEN: usize = 256;

    pub fn parse(s: &str) -> Result<Self, IdError> {
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        if s.len() > Self::MAX_LEN {
            return Err(IdError::TooLong(Self::MAX_LEN));
        }
        if let Some(c) = s.chars().find(|c| !c.is_ascii_graphic()) {
            return Err(IdError::BadChar(c));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn check_text(s: &str, max: usize) -> Result<(), IdError> {
    if s.is_empty() {
        return Err(IdError::Empty);
    }
    if s.len() > max {
        return Err(IdError::TooLong(max));
    }
    match s.chars().find(|c| c.is_control()) {
        Some(c) => Err(IdError::BadChar(c)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_ids_accept_only_lowercase_names() {
        assert!(VendorId::parse("codesignal").is_ok());
        assert!(VendorId::parse("hacker-earth_2").is_ok());
        for bad in [
            "",
            "CodeSignal",
            "../etc",
            "a/b",
            "a%2f",
            "a\0",
            "-x",
            "a.json",
            "é",
        ] {
            assert!(VendorId::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(VendorId::parse(&"a".repeat(65)), Err(IdError::TooLong(64)));
    }

    #[test]
    fn vendor_env_suffix_upper_cases_and_replaces_dashes() {
        assert_eq!(
            VendorId::parse("hacker-earth").unwrap().env_suffix(),
            "HACKER_EARTH"
        );
    }

    #[test]
    fn order_ids_keep_slashes_but_refuse_control_characters() {
        assert!(OrderId::parse("a/../b?c").is_ok());
        assert_eq!(OrderId::parse("a\nb"), Err(IdError::BadChar('\n')));
        assert_eq!(OrderId::parse(""), Err(IdError::Empty));
    }

    #[test]
    fn account_ids_must_be_header_safe() {
        assert!(AccountId::parse("acct_123:x").is_ok());
        assert_eq!(AccountId::parse("a b"), Err(IdError::BadChar(' ')));
        assert_eq!(AccountId::parse("a\r\nx: y"), Err(IdError::BadChar('\r')));
    }
}
