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
mod tests {
    use super::*;

    fn kv(key: &str) -> HeaderFormat {
        HeaderFormat::Kv {
            pair_sep: ",".into(),
            kv_sep: "=".into(),
            key: key.into(),
        }
    }

    #[test]
    fn kv_headers_give_every_signature_and_the_timestamp() {
        // HackerEarth's documented header (the docs break it over lines; sent as one line).
        let v = "t=1492774577,\n v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd, v1=abc,v0=6ffbb5";
        let f = parse(&kv("v1"), Some("t"), [v].into_iter());
        assert_eq!(f.timestamp, Some("1492774577"));
        assert_eq!(
            f.sigs(),
            [
                "5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd",
                "abc"
            ]
        );
    }

    #[test]
    fn kv_headers_honour_custom_separators_and_keys() {
        let f = parse(
            &HeaderFormat::Kv {
                pair_sep: ";".into(),
                kv_sep: "=".into(),
                key: "h1".into(),
            },
            Some("ts"),
            ["ts=1700000000;h1=deadbeef"].into_iter(),
        );
        assert_eq!(
            (f.timestamp, f.sigs()),
            (Some("1700000000"), &["deadbeef"][..])
        );
    }

    #[test]
    fn versioned_headers_keep_only_the_configured_version() {
        let v =
            "v1,Ceo5qEr0= v2,Ceo5qEr0= v1a,zzz v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1,";
        let f = parse(
            &HeaderFormat::Versioned {
                version: "v1".into(),
            },
            None,
            [v].into_iter(),
        );
        assert_eq!(
            f.sigs(),
            ["Ceo5qEr0=", "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="]
        );
    }

    #[test]
    fn value_headers_take_each_occurrence_and_skip_blank_ones() {
        let f = parse(&HeaderFormat::Value, None, [" abc ", "", "def"].into_iter());
        assert_eq!(f.sigs(), ["abc", "def"]);
    }

    #[test]
    fn too_many_signatures_overflow() {
        let v = "v1=a,".repeat(MAX_SIGS + 1);
        let f = parse(&kv("v1"), None, [v.as_str()].into_iter());
        assert!(f.overflow);
        assert_eq!(f.sigs().len(), MAX_SIGS);
    }

    #[test]
    fn hex_decodes_in_either_case_and_checks_prefix_and_length() {
        let mut out = [0u8; MAX_DIGEST];
        let lower = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert_eq!(
            decode(lower, "sha256=", DigestEncoding::Hex, 32, &mut out),
            Ok(32)
        );
        assert_eq!(out[0], 0x75);
        let upper = lower.to_uppercase().replace("SHA256=", "sha256=");
        assert_eq!(
            decode(&upper, "sha256=", DigestEncoding::Hex, 32, &mut out),
            Ok(32)
        );
        let sha1 = "sha1=01234567890123456789012345678901234567ab";
        assert_eq!(
            decode(sha1, "sha256=", DigestEncoding::Hex, 32, &mut out),
            Err(Unusable::NoPrefix)
        );
        assert_eq!(
            decode(&sha1[5..], "", DigestEncoding::Hex, 32, &mut out),
            Err(Unusable::WrongLength(20))
        );
        assert_eq!(
            decode("zz", "", DigestEncoding::Hex, 1, &mut out),
            Err(Unusable::BadEncoding)
        );
        assert_eq!(
            decode("abc", "", DigestEncoding::Hex, 1, &mut out),
            Err(Unusable::WrongLength(1))
        );
        let long = "ab".repeat(200);
        assert_eq!(
            decode(&long, "", DigestEncoding::Hex, 32, &mut out),
            Err(Unusable::WrongLength(200))
        );
    }

    #[test]
    fn base64_decodes_with_or_without_padding() {
        let mut out = [0u8; MAX_DIGEST];
        let sig = "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
        assert_eq!(
            decode(sig, "", DigestEncoding::Base64, 32, &mut out),
            Ok(32)
        );
        assert_eq!(
            decode(&sig[..43], "", DigestEncoding::Base64, 32, &mut out),
            Ok(32)
        );
        // The Standard Webhooks libraries' "invalid signature" sample: not canonical base64.
        assert_eq!(
            decode(
                "dawfeoifkpqwoekfpqoekf",
                "",
                DigestEncoding::Base64,
                32,
                &mut out
            ),
            Err(Unusable::BadEncoding)
        );
        assert_eq!(
            decode(
                "AAAAAAAAAAAAAAAAAAAAAA==",
                "",
                DigestEncoding::Base64,
                32,
                &mut out
            ),
            Err(Unusable::WrongLength(16))
        );
        assert_eq!(
            decode("not base64!", "", DigestEncoding::Base64, 32, &mut out),
            Err(Unusable::BadEncoding)
        );
        let sha512 = format!("{}==", "A".repeat(86));
        assert_eq!(
            decode(&sha512, "", DigestEncoding::Base64, 64, &mut out),
            Ok(64)
        );
    }
}
