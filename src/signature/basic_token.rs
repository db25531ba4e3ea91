//! Shared-secret credentials that travel as they are: HTTP Basic (`user:password`) and static
//! tokens in a header or a query parameter. Received values are hashed with SHA-256 and the
//! digests compared in constant time (`subtle`), so neither the content nor the length of a
//! configured credential leaks through timing. Rotation: any configured value may match.

use super::errors::{AuthConfigError, AuthFailure};
use super::explain::Trace;
use super::request::Req;
use super::secrets::Keys;
use super::spec::TokenPlace;
use base64::Engine as _;
use percent_encoding::percent_decode_str;
use sha2::{Digest, Sha256};
use std::borrow::Cow;
use subtle::ConstantTimeEq;

fn fingerprint(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&Sha256::digest(bytes));
    out
}

fn any_equal(digests: &[[u8; 32]], received: &[u8]) -> bool {
    let r = fingerprint(received);
    digests
        .iter()
        .fold(0u8, |acc, d| acc | d.ct_eq(&r).unwrap_u8())
        == 1
}

/// HTTP Basic: the secret is `user:password`.
pub(crate) struct BasicVerifier {
    keys: Keys,
    digests: Vec<[u8; 32]>,
}

impl std::fmt::Debug for BasicVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BasicVerifier({:?})", self.keys)
    }
}

impl BasicVerifier {
    pub(crate) fn new(keys: Keys, field: &str) -> Result<Self, AuthConfigError> {
        if keys.keys.iter().any(|k| !k.expose().contains(&b':')) {
            return Err(AuthConfigError::new(
                field,
                format!("{} must be user:password", keys.var),
            ));
        }
        let digests = keys.keys.iter().map(|k| fingerprint(k.expose())).collect();
        Ok(Self { keys, digests })
    }

    pub(crate) fn key_count(&self) -> usize {
        self.digests.len()
    }

    pub(crate) fn verify(&self, req: &Req<'_>, trace: &mut Trace) -> Result<(), AuthFailure> {
        let value = req
            .r
            .headers
            .get("Authorization")
            .ok_or_else(|| AuthFailure::CredentialsMissing("no Authorization header".into()))?
            .trim();
        let b64 = match value.get(..6) {
            Some(p) if p.eq_ignore_ascii_case("basic ") => value[6..].trim(),
            _ => {
                return Err(AuthFailure::CredentialsMissing(
                    "Authorization holds no Basic credentials".into(),
                ))
            }
        };
        let mut buf = [0u8; 384];
        let invalid =
            || AuthFailure::CredentialsInvalid("Basic credentials are not valid base64".into());
        if b64.len() > 512 {
            return Err(invalid());
        }
        let n = base64::engine::general_purpose::STANDARD
            .decode_slice(b64, &mut buf)
            .map_err(|_| invalid())?;
        trace.note(|| {
            format!(
                "Authorization: Basic credentials; secrets tried: {}",
                self.key_count()
            )
        });
        if any_equal(&self.digests, &buf[..n]) {
            Ok(())
        } else {
            Err(AuthFailure::CredentialsInvalid(
                "user or password is wrong".into(),
            ))
        }
    }

    pub(crate) fn sign(&self) -> Result<(String, String), String> {
        let key = self
            .keys
            .keys
            .first()
            .ok_or_else(|| format!("{} is not set", self.keys.var))?;
        let b64 = base64::engine::general_purpose::STANDARD.encode(key.expose());
        Ok(("Authorization".into(), format!("Basic {b64}")))
    }
}

/// A static token in a header (optionally after a prefix such as `Bearer `) or a query parameter.
pub(crate) struct TokenVerifier {
    pub(crate) place: TokenPlace,
    keys: Keys,
    digests: Vec<[u8; 32]>,
}

impl std::fmt::Debug for TokenVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenVerifier({}, {:?})", self.describe(), self.keys)
    }
}

/// The first value of query parameter `name`, percent-decoded (`+` is kept as is).
fn query_param<'q>(query: &'q str, name: &str) -> Option<Cow<'q, [u8]>> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode_str(k).eq(name.bytes())).then(|| percent_decode_str(v).into())
    })
}

impl TokenVerifier {
    pub(crate) fn new(place: TokenPlace, keys: Keys) -> Self {
        let digests = keys.keys.iter().map(|k| fingerprint(k.expose())).collect();
        Self {
            place,
            keys,
            digests,
        }
    }

    pub(crate) fn key_count(&self) -> usize {
        self.digests.len()
    }

    pub(crate) fn describe(&self) -> String {
        match &self.place {
            TokenPlace::Header { name, prefix } if prefix.is_empty() => {
                format!("token in header {name}")
            }
            TokenPlace::Header { name, prefix } => {
                format!("token in header {name} after {prefix:?}")
            }
            TokenPlace::Query(q) => format!("token in query parameter {q}"),
        }
    }

    pub(crate) fn verify(&self, req: &Req<'_>, trace: &mut Trace) -> Result<(), AuthFailure> {
        let received: Cow<'_, [u8]> = match &self.place {
            TokenPlace::Header { name, prefix } => {
                let v = req
                    .r
                    .headers
                    .get(name)
                    .ok_or_else(|| AuthFailure::TokenMissing(format!("no {name} header")))?
                    .trim();
                let token = match v.get(..prefix.len()) {
                    Some(p) if p.eq_ignore_ascii_case(prefix) => &v[prefix.len()..],
                    _ => {
                        return Err(AuthFailure::TokenMissing(format!(
                            "{name} does not start with {prefix:?}"
                        )))
                    }
                };
                Cow::Borrowed(token.trim().as_bytes())
            }
            TokenPlace::Query(q) => query_param(req.r.query, q)
                .ok_or_else(|| AuthFailure::TokenMissing(format!("no {q} query parameter")))?,
        };
        trace.note(|| {
            format!(
                "{}: token of {} bytes; secrets tried: {}",
                self.describe(),
                received.len(),
                self.key_count()
            )
        });
        if received.is_empty() {
            return Err(AuthFailure::TokenMissing(format!(
                "{} is empty",
                self.describe()
            )));
        }
        if any_equal(&self.digests, &received) {
            Ok(())
        } else {
            Err(AuthFailure::TokenInvalid("the token is wrong".into()))
        }
    }

    /// The header or query string the vendor would send.
    pub(crate) fn sign(&self) -> Result<(Option<(String, String)>, String), String> {
        let key = self
            .keys
            .keys
            .first()
            .ok_or_else(|| format!("{} is not set", self.keys.var))?;
        let text = key.expose_str().ok_or("the token is not UTF-8 text")?;
        Ok(match &self.place {
            TokenPlace::Header { name, prefix } => (
                Some((name.clone(), format!("{prefix}{text}"))),
                String::new(),
            ),
            TokenPlace::Query(q) => {
                let enc = |s: &str| {
                    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC)
                        .to_string()
                };
                (None, format!("{}={}", enc(q), enc(text)))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_found_by_decoded_name_and_decoded() {
        let q = "a=1&to%6Ben=s%20e%2Bc+r&token=second";
        assert_eq!(query_param(q, "token").as_deref(), Some(&b"s e+c+r"[..]));
        assert_eq!(query_param("token", "token").as_deref(), Some(&b""[..]));
        assert!(query_param("tokens=1", "token").is_none());
        assert!(query_param("", "token").is_none());
    }

    #[test]
    fn comparison_needs_an_exact_match_of_any_configured_value() {
        let d = [fingerprint(b"old"), fingerprint(b"new")];
        assert!(any_equal(&d, b"new"));
        assert!(any_equal(&d, b"old"));
        assert!(!any_equal(&d, b"ne"));
        assert!(!any_equal(&d, b"new "));
        assert!(!any_equal(&[], b""));
    }
}
