//! Reading signatures out of a header value without allocating: the whole value (`value`),
//! `key=value` pairs (`kv`, Stripe / HackerEarth `t=…,v1=…,v1=…`), or space-separated
//! `version,signature` entries (`versioned`, Standard Webhooks `v1,… v1,…`). Several signatures
//! are normal during key rotation; entries of other keys or versions are skipped, so a vendor
//! that adds a `v2` later keeps working and a `v0` entry is never mistaken for a `v1`. Received
//! digests are decoded into stack buffers.

use super::spec::{DigestEncoding, HeaderFormat};
use base64::engine::{general_purpose::GeneralPurpose, DecodePaddingMode, GeneralPurposeConfig};
use base64::Engine as _;

/// Signatures considered per request; more is refused as malformed (no vendor sends that many,
/// and it bounds the work an attacker can ask for).
pub(crate) const MAX_SIGS: usize = 16;
/// Longest digest we decode (sha512).
pub(crate) const MAX_DIGEST: usize = 64;

/// What a signature header holds.
#[derive(Debug)]
pub(crate) struct Found<'h> {
    sigs: [&'h str; MAX_SIGS],
    n: usize,
    /// The value of the timestamp key (kv format with a kv timestamp).
    pub(crate) timestamp: Option<&'h str>,
    /// More than [`MAX_SIGS`] signatures were present.
    pub(crate) overflow: bool,
}

impl<'h> Found<'h> {
    pub(crate) fn sigs(&self) -> &[&'h str] {
        &self.sigs[..self.n]
    }

    fn push(&mut self, s: &'h str) {
        if self.n == MAX_SIGS {
            self.overflow = true;
        } else {
            self.sigs[self.n] = s;
            self.n += 1;
        }
    }
}

/// Collects the signatures (and kv timestamp `ts_key`) from every occurrence of the header.
pub(crate) fn parse<'h>(
    format: &HeaderFormat,
    ts_key: Option<&str>,
    values: impl Iterator<Item = &'h str>,
) -> Found<'h> {
    let mut found = Found {
        sigs: [""; MAX_SIGS],
        n: 0,
        timestamp: None,
        overflow: false,
    };
    for value in values {
        match format {
            HeaderFormat::Value => {
                let v = value.trim();
                if !v.is_empty() {
                    found.push(v);
                }
            }
            HeaderFormat::Kv {
                pair_sep,
                kv_sep,
                key,
            } => {
                for pair in value.split(pair_sep.as_str()) {
                    let Some((k, v)) = pair.split_once(kv_sep.as_str()) else {
                        continue;
                    };
                    let (k, v) = (k.trim(), v.trim());
                    if k == key && !v.is_empty() {
                        found.push(v);
                    } else if Some(k) == ts_key && found.timestamp.is_none() {
                        found.timestamp = Some(v);
                    }
                }
            }
            HeaderFormat::Versioned { version } => {
                for entry in value.split_ascii_whitespace() {
                    if let Some((ver, sig)) = entry.split_once(',') {
                        if ver == version && !sig.is_empty() {
                            found.push(sig);
                        }
                    }
                }
            }
        }
    }
    found
}

/// Why one received signature could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unusable {
    NoPrefix,
    BadEncoding,
    WrongLength(usize),
}

/// Standard base64 that accepts the value with or without its `=` padding.
const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Strips `prefix` and decodes `sig` into `out`, requiring exactly `want` bytes. Hex is
/// case-insensitive.
pub(crate) fn decode(
    sig: &str,
    prefix: &str,
    encoding: DigestEncoding,
    want: usize,
    out: &mut [u8; MAX_DIGEST],
) -> Result<usize, Unusable> {
    let body = sig.strip_prefix(prefix).ok_or(Unusable::NoPrefix)?;
    let len = match encoding {
        DigestEncoding::Hex => {
            if body.len() % 2 != 0 || body.len() > 2 * MAX_DIGEST {
                return Err(if body.bytes().all(|b| b.is_ascii_hexdigit()) {
                    Unusable::WrongLength(body.len() / 2)
                } else {
                    Unusable::BadEncoding
                });
            }
            let len = body.len() / 2;
            hex::decode_to_slice(body, &mut out[..len]).map_err(|_| Unusable::BadEncoding)?;
            len
        }
        DigestEncoding::Base64 => {
            let mut buf = [0u8; 3 * (2 * MAX_DIGEST) / 4 + 3];
            if body.len() > 2 * MAX_DIGEST {
                return Err(Unusable::WrongLength(body.len() * 3 / 4));
            }
            let len = B64
                .decode_slice(body, &mut buf)
                .map_err(|_| Unusable::BadEncoding)?;
            if len <= MAX_DIGEST {
                out[..len].copy_from_slice(&buf[..len]);
            }
            len
        }
    };
    if len == want {
        Ok(len)
    } else {
        Err(Unusable::WrongLength(len))
    }
}

#[cfg(test)]
#[path = "header_formats_tests.rs"]
mod tests;
