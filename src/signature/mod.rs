//! Inbound authentication. Turns a raw request (headers, exact body bytes, peer address, public
//! URL) into a [`VerifiedWebhook`] — the only way to obtain one — or an [`AuthFailure`] with a
//! stable code. Schemes are declared in each vendor's mapping file (`auth` section, see
//! `docs/authentication.md` and `mappings/auth.schema.json`); nothing here knows a vendor by name
//! except the presets.
//!
//! Layout: `parse` (+ `fields`, `hmac_spec`, `presets`) turns the section into the typed values
//! of `spec`, and `secrets` resolves keys, once, at load; `verifier` dispatches to one file per scheme (`hmac` with
//! `template`, `header_formats` and `timestamp`; `jwt`; `basic_token`; `ip`); `explain` and
//! `sign` serve the CLI and the tests from the same compiled configuration.

mod basic_token;
mod errors;
mod explain;
mod fields;
mod header_formats;
mod hmac;
mod hmac_spec;
mod ip;
mod jwt;
mod parse;
mod presets;
mod request;
mod secrets;
mod sign;
mod spec;
mod template;
mod timestamp;
mod verifier;

#[cfg(test)]
mod tests;

pub use errors::{AuthConfigError, AuthFailure};
pub use explain::Explanation;
pub use request::{CallbackBinding, InboundRequest, VerifiedWebhook};
pub use secrets::{EnvSecrets, MapSecrets, SecretSource};
pub use sign::Signed;
pub use verifier::{AuthSpec, Verifier, VerifierContext};
