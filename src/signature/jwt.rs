//! JWT bearer tokens (Coderbyte): an HMAC-signed JWT whose algorithm is pinned by the
//! configuration (a token announcing another `alg`, including `none`, is refused by
//! `jsonwebtoken` before any key is tried). Time claims are checked here against the injected
//! clock rather than by `jsonwebtoken` (which reads the system clock), so tests and
//! `assessment-relay verify --now` are deterministic. The token does not cover the body; binding
//! it to the body is what `issuer_json` is for (`iss` must equal a body value).

use super::errors::AuthFailure;
use super::explain::Trace;
use super::request::Req;
use super::secrets::Keys;
use super::spec::JwtSpec;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{DecodingKey, EncodingKey, Validation};
use serde_json::Value;

#[derive(serde::Deserialize)]
struct Claims {
    iss: Option<Value>,
    exp: Option<Value>,
    iat: Option<Value>,
    nbf: Option<Value>,
}

/// A compiled JWT scheme.
pub(crate) struct JwtVerifier {
    pub(crate) spec: JwtSpec,
    keys: Keys,
    decoding: Vec<DecodingKey>,
    validation: Validation,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JwtVerifier({}, {:?})", self.describe(), self.keys)
    }
}

fn number(v: &Option<Value>, name: &str) -> Result<Option<i64>, AuthFailure> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .or_else(|| v.as_f64().map(|f| f as i64))
            .map(Some)
            .ok_or_else(|| AuthFailure::TokenInvalid(format!("JWT {name} claim is not a number"))),
    }
}

impl JwtVerifier {
    pub(crate) fn new(spec: JwtSpec, keys: Keys) -> Self {
        // Keys are never empty (see `secrets::resolve`), the only thing `from_secret` refuses.
        let decoding = keys
            .keys
            .iter()
            .filter_map(|k| DecodingKey::from_secret(k.expose()).ok())
            .collect();
        let mut validation = Validation::new(spec.algorithm);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.leeway = 0;
        Self {
            spec,
            keys,
            decoding,
            validation,
        }
    }

    pub(crate) fn key_count(&self) -> usize {
        self.decoding.len()
    }

    pub(crate) fn describe(&self) -> String {
        let s = &self.spec;
        let mut out = format!("jwt {:?} bearer on {}", s.algorithm, s.header);
        if let Some(i) = &s.issuer {
            out += &format!(", iss = {i:?}");
        }
        if let Some(p) = &s.issuer_json {
            out += &format!(", iss = body {}", p.src());
        }
        out
    }

    fn token<'h>(&self, req: &'h Req<'_>) -> Result<&'h str, AuthFailure> {
        let h = &self.spec.header;
        let value = req
            .r
            .headers
            .get(h)
            .ok_or_else(|| AuthFailure::TokenMissing(format!("no {h} header")))?
            .trim();
        let token = match value.get(..7) {
            Some(p) if p.eq_ignore_ascii_case("bearer ") => value[7..].trim(),
            _ if h.eq_ignore_ascii_case("authorization") => {
                return Err(AuthFailure::TokenMissing(format!(
                    "{h} holds no Bearer token"
                )))
            }
            _ => value,
        };
        if token.is_empty() {
            return Err(AuthFailure::TokenMissing(format!(
                "{h} holds an empty token"
            )));
        }
        Ok(token)
    }

    pub(crate) fn verify(&self, req: &Req<'_>, trace: &mut Trace) -> Result<(), AuthFailure> {
        let token = self.token(req)?;
        trace.note(|| {
            format!(
                "header {}: bearer token of {} chars",
                self.spec.header,
                token.len()
            )
        });
        trace.note(|| format!("secrets tried: {}", self.key_count()));
        let mut claims = None;
        for key in &self.decoding {
            match jsonwebtoken::decode::<Claims>(token, key, &self.validation) {
                Ok(data) => {
                    claims = Some(data.claims);
                    break;
                }
                Err(e) if *e.kind() == ErrorKind::InvalidSignature => continue,
                Err(e) if *e.kind() == ErrorKind::InvalidAlgorithm => {
                    return Err(AuthFailure::TokenInvalid(format!(
                        "JWT is not signed with {:?}",
                        self.spec.algorithm
                    )))
                }
                Err(_) => return Err(AuthFailure::TokenInvalid("JWT is malformed".into())),
            }
        }
        let Some(claims) = claims else {
            return Err(AuthFailure::TokenInvalid(if self.decoding.is_empty() {
                format!("{} is not set", self.spec.secret.var())
            } else {
                format!(
                    "JWT signature does not match ({} secret(s) tried)",
                    self.key_count()
                )
            }));
        };
        trace.note(|| "JWT signature: matches".into());
        self.check_claims(&claims, req, trace)
    }

    fn check_claims(
        &self,
        c: &Claims,
        req: &Req<'_>,
        trace: &mut Trace,
    ) -> Result<(), AuthFailure> {
        let s = &self.spec;
        let now = req.r.now_ms.div_euclid(1000);
        let leeway = s.leeway_s as i64;
        match number(&c.exp, "exp")? {
            Some(exp) => {
                trace.note(|| format!("exp: {} s from now (leeway {leeway} s)", exp - now));
                if now > exp.saturating_add(leeway) {
                    return Err(AuthFailure::TokenExpired(format!(
                        "JWT expired {} s ago; leeway {leeway} s",
                        now - exp
                    )));
                }
            }
            None if s.require_exp => {
                return Err(AuthFailure::TokenInvalid("JWT has no exp claim".into()))
            }
            None => {}
        }
        if let Some(nbf) = number(&c.nbf, "nbf")? {
            if nbf > now.saturating_add(leeway) {
                return Err(AuthFailure::TokenInvalid(format!(
                    "JWT is not valid for another {} s",
                    nbf - now
                )));
            }
        }
        if let Some(max_age) = s.max_age_s {
            let iat = number(&c.iat, "iat")?.ok_or_else(|| {
                AuthFailure::TokenInvalid("JWT has no iat claim (max_age_s needs it)".into())
            })?;
            trace.note(|| format!("iat: {} s ago; max age {max_age} s", now - iat));
            if now - iat > max_age as i64 + leeway {
                return Err(AuthFailure::TokenExpired(format!(
                    "JWT was issued {} s ago; max age {max_age} s",
                    now - iat
                )));
            }
            if iat > now + leeway {
                return Err(AuthFailure::TokenInvalid(format!(
                    "JWT iat is {} s in the future",
                    iat - now
                )));
            }
        }
        let iss = c.iss.as_ref().and_then(Value::as_str);
        if let Some(expected) = &s.issuer {
            if iss != Some(expected.as_str()) {
                return Err(AuthFailure::TokenInvalid(
                    "JWT iss is not the expected issuer".into(),
                ));
            }
        }
        if let Some(path) = &s.issuer_json {
            let expected = path.text(req.json());
            if expected.is_empty() {
                return Err(AuthFailure::TokenInvalid(format!(
                    "{} is missing from the body",
                    path.src()
                )));
            }
            if iss != Some(expected.as_ref()) {
                return Err(AuthFailure::TokenInvalid(format!(
                    "JWT iss does not equal {} in the body",
                    path.src()
                )));
            }
        }
        trace.note(|| "JWT claims: accepted".into());
        Ok(())
    }

    /// `Authorization: Bearer <jwt>` as the vendor would send it: iss when configured (from the
    /// body for `issuer_json`), iat = now, exp = now + 300.
    pub(crate) fn sign(&self, req: &Req<'_>) -> Result<(String, String), String> {
        let key = self
            .keys
            .keys
            .first()
            .ok_or_else(|| format!("{} is not set", self.spec.secret.var()))?;
        let now = req.r.now_ms.div_euclid(1000);
        let mut claims = serde_json::json!({ "iat": now, "exp": now + 300 });
        let iss = match (&self.spec.issuer, &self.spec.issuer_json) {
            (Some(i), _) => Some(i.clone()),
            (None, Some(p)) => Some(p.text(req.json()).into_owned()).filter(|s| !s.is_empty()),
            (None, None) => None,
        };
        if let Some(iss) = iss {
            claims["iss"] = Value::String(iss);
        }
        let header = jsonwebtoken::Header::new(self.spec.algorithm);
        let key = EncodingKey::from_secret(key.expose())
            .map_err(|e| format!("cannot use the key: {e}"))?;
        let jwt = jsonwebtoken::encode(&header, &claims, &key)
            .map_err(|e| format!("cannot sign the JWT: {e}"))?;
        Ok((self.spec.header.clone(), format!("Bearer {jwt}")))
    }
}
