//! [`Verifier`]: one vendor's compiled `auth` section. Compiling parses and checks the section
//! and prepares every key once; verifying runs each scheme in order on the exact bytes received
//! and stops at the first failure (all must pass). A required secret that is unset does not stop
//! compilation: it is reported by [`Verifier::missing_secret`] so the vendor is loaded disabled
//! rather than breaking start-up.

use super::basic_token::{BasicVerifier, TokenVerifier};
use super::errors::{AuthConfigError, AuthFailure};
use super::explain::{Explanation, Trace};
use super::hmac::HmacVerifier;
use super::ip::IpVerifier;
use super::jwt::JwtVerifier;
use super::parse;
use super::request::{InboundRequest, Req, VerifiedWebhook};
use super::secrets::{self, SecretSource};
use super::sign::{self, Signed};
use super::spec::{SchemeSpec, SecretSpec};
use super::template::Part;
use crate::domain::VendorId;

/// The `auth` section of a mapping file, as written (an object, or an array of objects that
/// must all pass). Kept as JSON until [`Verifier::compile`] so mapping files stay one document.
pub type AuthSpec = serde_json::Value;

/// Settings shared by every vendor's verifier.
#[derive(Debug, Clone, Default)]
pub struct VerifierContext {
    /// Proxies whose `X-Forwarded-For` is believed (for IP allow-lists).
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

#[derive(Debug)]
pub(crate) enum Kind {
    None,
    Hmac(HmacVerifier),
    Jwt(JwtVerifier),
    Basic(BasicVerifier),
    Token(TokenVerifier),
    Ip(IpVerifier),
    Callback,
}

/// One compiled scheme of the section.
#[derive(Debug)]
pub(crate) struct Compiled {
    pub(crate) name: &'static str,
    pub(crate) kind: Kind,
}

impl Compiled {
    fn verify(&self, req: &Req<'_>, trace: &mut Trace) -> Result<(), AuthFailure> {
        match &self.kind {
            Kind::None => Ok(()),
            Kind::Hmac(v) => v.verify(req, trace),
            Kind::Jwt(v) => v.verify(req, trace),
            Kind::Basic(v) => v.verify(req, trace),
            Kind::Token(v) => v.verify(req, trace),
            Kind::Ip(v) => v.verify(req, trace),
            Kind::Callback => match req.r.callback {
                Some(_) => Ok(()),
                None => Err(AuthFailure::TokenMissing(
                    "the request did not come through a per-invite callback URL".into(),
                )),
            },
        }
    }

    fn describe(&self) -> String {
        match &self.kind {
            Kind::None => "none (no authentication)".into(),
            Kind::Hmac(v) => v.describe(),
            Kind::Jwt(v) => v.describe(),
            Kind::Basic(_) => "basic credentials in Authorization".into(),
            Kind::Token(v) => v.describe(),
            Kind::Ip(v) => v.describe(),
            Kind::Callback => "callback_token (per-invite callback URL)".into(),
        }
    }
}

/// A compiled `auth` section.
#[derive(Debug)]
pub struct Verifier {
    pub(crate) schemes: Vec<Compiled>,
    missing: Option<String>,
    uses_url: bool,
}

impl Verifier {
    /// Parses and checks the section and resolves the vendor's secrets.
    pub fn compile(
        vendor: &VendorId,
        spec: &AuthSpec,
        secrets: &dyn SecretSource,
        ctx: &VerifierContext,
    ) -> Result<Verifier, AuthConfigError> {
        let specs = parse::parse(vendor, spec)?;
        let many = specs.len() > 1;
        let mut out = Verifier {
            schemes: Vec::with_capacity(specs.len()),
            missing: None,
            uses_url: false,
        };
        for (i, s) in specs.into_iter().enumerate() {
            let field = if many {
                format!("auth[{i}].secret")
            } else {
                "auth.secret".into()
            };
            let mut keys = |secret: &SecretSpec| -> Result<secrets::Keys, AuthConfigError> {
                let keys = secrets::resolve(secret, secrets, &field)?;
                if keys.keys.is_empty() && out.missing.is_none() {
                    out.missing = Some(keys.var.clone());
                }
                Ok(keys)
            };
            let (name, kind) = match s {
                SchemeSpec::None => ("none", Kind::None),
                SchemeSpec::CallbackToken => ("callback_token", Kind::Callback),
                SchemeSpec::IpAllowlist(allow) => (
                    "ip_allowlist",
                    Kind::Ip(IpVerifier::new(allow, ctx.trusted_proxies.clone())),
                ),
                SchemeSpec::Hmac(h) => {
                    let k = keys(&h.secret)?;
                    out.uses_url |= h.signed.has(|p| matches!(p, Part::Url));
                    (h.scheme, Kind::Hmac(HmacVerifier::new(h, &k)))
                }
                SchemeSpec::Jwt(j) => {
                    let k = keys(&j.secret)?;
                    ("jwt", Kind::Jwt(JwtVerifier::new(j, k)))
                }
                SchemeSpec::Basic(secret) => {
                    let k = keys(&secret)?;
                    ("basic", Kind::Basic(BasicVerifier::new(k, &field)?))
                }
                SchemeSpec::Token(place, secret) => {
                    let k = keys(&secret)?;
                    ("token", Kind::Token(TokenVerifier::new(place, k)))
                }
            };
            out.schemes.push(Compiled { name, kind });
        }
        Ok(out)
    }

    /// `Some("RELAY_SECRET_X")` when a scheme needs a secret that is not configured: the vendor
    /// is then loaded but disabled (requests get 503 `vendor_disabled`).
    pub fn missing_secret(&self) -> Option<&str> {
        self.missing.as_deref()
    }

    /// Whether a scheme signs `{url}` (then `RELAY_PUBLIC_URL` must be set).
    pub fn uses_url(&self) -> bool {
        self.uses_url
    }

    /// Short description for logs, `/readyz` and `check` (e.g. `hmac-sha256(hex) on HE-Signature`).
    /// Names headers, templates and secret variables; never a secret.
    pub fn describe(&self) -> String {
        self.schemes
            .iter()
            .map(Compiled::describe)
            .collect::<Vec<_>>()
            .join(" + ")
    }

    /// Verifies `req`. Runs on the raw bytes before any JSON parsing (except `{json:…}` template
    /// parts, which read the body only to build the signed string). Constant-time comparisons.
    pub fn verify(&self, req: &InboundRequest<'_>) -> Result<VerifiedWebhook, AuthFailure> {
        let r = Req::new(*req);
        let mut trace = Trace::off();
        for s in &self.schemes {
            s.verify(&r, &mut trace)?;
        }
        let name = self.schemes.first().map_or("none", |s| s.name);
        Ok(VerifiedWebhook::new(req.body.clone(), name))
    }

    /// Like `verify`, but says why in detail for `assessment-relay verify`: which header was read,
    /// how many secrets were tried, computed vs received digest lengths, timestamp skew.
    /// Never prints a secret or a full signature.
    pub fn explain(&self, req: &InboundRequest<'_>) -> Explanation {
        let r = Req::new(*req);
        let many = self.schemes.len() > 1;
        let mut lines = Vec::new();
        if let Some(var) = &self.missing {
            lines.push(format!("{var} is not set: the vendor is loaded disabled"));
        }
        for (i, s) in self.schemes.iter().enumerate() {
            let indent = if many {
                format!("[{i}] ")
            } else {
                String::new()
            };
            lines.push(format!("{indent}auth: {}", s.describe()));
            let mut trace = Trace::on();
            let result = s.verify(&r, &mut trace);
            lines.extend(
                trace
                    .into_lines()
                    .into_iter()
                    .map(|l| format!("{indent}  {l}")),
            );
            if let Err(e) = result {
                return Explanation {
                    valid: false,
                    lines,
                    failure: Some(e),
                };
            }
        }
        Explanation {
            valid: true,
            lines,
            failure: None,
        }
    }

    /// The headers (`name`, `value`) a vendor would send with `body` at `now_ms` using the first
    /// configured secret, plus a query string to append when the scheme uses one. For
    /// `assessment-relay sign`, the demo and tests. Schemes that no header can satisfy
    /// (`ip_allowlist`, `callback_token`, `none`) add nothing. Errors when a secret is missing,
    /// when the scheme signs `{url}` and `url` is `None`, or when a timestamp read from the body
    /// is absent from it.
    pub fn sign(&self, body: &[u8], now_ms: i64, url: Option<&str>) -> Result<Signed, String> {
        sign::sign(self, body, now_ms, url)
    }
}
