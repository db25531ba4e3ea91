//! Where vendor keys come from and how their text becomes key bytes. `RELAY_SECRET_<SUFFIX>`
//! (or the file named by `RELAY_SECRET_<SUFFIX>_FILE`, for container secrets) holds one key, or
//! several separated by commas while a key is being rotated — any one of them may match. An unset
//! variable is not an error here: the verifier compiles and reports the missing variable so the
//! gateway can load the vendor disabled. A value that is set but unusable (bad base64, a `whsec_`
//! secret that does not decode) is an error, because it would otherwise fail every request.

use super::errors::AuthConfigError;
use super::spec::{KeyEncoding, SecretSpec};
use crate::domain::Secret;
use base64::Engine as _;
use std::collections::HashMap;

/// Where secrets come from. Production reads `RELAY_SECRET_<NAME>` / `RELAY_SECRET_<NAME>_FILE`;
/// tests and the CLI pass a map.
pub trait SecretSource: Send + Sync {
    /// The raw value of variable `RELAY_SECRET_<suffix>` (or the content of the `_FILE` variant),
    /// or `None` when unset. `Err` when the `_FILE` variant names an unreadable file.
    fn lookup(&self, suffix: &str) -> Result<Option<Secret>, String>;
}

/// Reads secrets from the process environment.
#[derive(Debug, Default, Clone, Copy)]
pub struct EnvSecrets;

impl SecretSource for EnvSecrets {
    fn lookup(&self, suffix: &str) -> Result<Option<Secret>, String> {
        let name = format!("RELAY_SECRET_{suffix}");
        match std::env::var(&name) {
            // Empty means unset (compose files pass `${RELAY_SECRET_X:-}` through as "").
            Ok(v) if !v.trim().is_empty() => return Ok(Some(Secret::new(v))),
            Ok(_) => {}
            Err(std::env::VarError::NotUnicode(_)) => return Err(format!("{name} is not UTF-8")),
            Err(std::env::VarError::NotPresent) => {}
        }
        let file_var = format!("{name}_FILE");
        let Some(path) = std::env::var_os(&file_var) else {
            return Ok(None);
        };
        std::fs::read_to_string(&path)
            .map(|s| Some(Secret::new(s.trim())))
            .map_err(|e| format!("{file_var} names a file that cannot be read: {e}"))
    }
}

/// Secrets given directly, keyed by suffix (`CODESIGNAL` for `RELAY_SECRET_CODESIGNAL`): for tests,
/// benches and CLI commands that take a secret on the command line.
#[derive(Clone, Default)]
pub struct MapSecrets(HashMap<String, Secret>);

impl MapSecrets {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the value of `RELAY_SECRET_<suffix>`.
    pub fn with(mut self, suffix: &str, value: impl Into<Vec<u8>>) -> Self {
        self.0.insert(suffix.to_owned(), Secret::new(value));
        self
    }
}

impl std::fmt::Debug for MapSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut names: Vec<_> = self.0.keys().collect();
        names.sort();
        f.debug_tuple("MapSecrets").field(&names).finish()
    }
}

impl SecretSource for MapSecrets {
    fn lookup(&self, suffix: &str) -> Result<Option<Secret>, String> {
        Ok(self.0.get(suffix).cloned())
    }
}

/// The keys of one scheme: empty when the variable is unset.
#[derive(Clone)]
pub(crate) struct Keys {
    pub(crate) var: String,
    pub(crate) keys: Vec<Secret>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} keys)", self.var, self.keys.len())
    }
}

/// Reads and decodes the keys `spec` names. `field` is reported with errors.
pub(crate) fn resolve(
    spec: &SecretSpec,
    src: &dyn SecretSource,
    field: &str,
) -> Result<Keys, AuthConfigError> {
    let var = spec.var();
    let err = |reason: String| AuthConfigError::new(field, reason);
    let raw = src.lookup(&spec.env).map_err(err)?;
    let mut keys = Vec::new();
    if let Some(raw) = raw {
        let parts: Vec<&[u8]> = raw
            .expose()
            .split(|b| *b == b',')
            .map(<[u8]>::trim_ascii)
            .filter(|p| !p.is_empty())
            .collect();
        let n = parts.len();
        for (i, part) in parts.into_iter().enumerate() {
            let which = if n > 1 {
                format!("{var} (key {} of {n})", i + 1)
            } else {
                var.clone()
            };
            keys.push(decode(part, spec.encoding).map_err(|why| err(format!("{which} {why}")))?);
        }
    }
    Ok(Keys { var, keys })
}

fn decode(text: &[u8], encoding: KeyEncoding) -> Result<Secret, &'static str> {
    let bytes = match encoding {
        KeyEncoding::Raw => return Ok(Secret::new(text)),
        KeyEncoding::Base64 => base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|_| "is not valid base64")?,
        KeyEncoding::Whsec => {
            let b64 = text.strip_prefix(b"whsec_").unwrap_or(text);
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|_| "is not a whsec_ secret (whsec_ followed by base64)")?
        }
    };
    if bytes.is_empty() {
        return Err("decodes to an empty key");
    }
    Ok(Secret::new(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(encoding: KeyEncoding) -> SecretSpec {
        SecretSpec {
            env: "ACME".into(),
            encoding,
        }
    }

    #[test]
    fn an_unset_secret_resolves_to_no_keys_and_names_its_variable() {
        let keys = resolve(&spec(KeyEncoding::Raw), &MapSecrets::new(), "auth.secret").unwrap();
        assert!(keys.keys.is_empty());
        assert_eq!(keys.var, "RELAY_SECRET_ACME");
    }

    #[test]
    fn a_comma_separated_value_is_several_keys_for_rotation() {
        let src = MapSecrets::new().with("ACME", " old , new,,");
        let keys = resolve(&spec(KeyEncoding::Raw), &src, "f").unwrap();
        let got: Vec<_> = keys.keys.iter().map(Secret::expose).collect();
        assert_eq!(got, [&b"old"[..], b"new"]);
    }

    #[test]
    fn whsec_secrets_decode_with_or_without_their_prefix() {
        for text in [
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ] {
            let src = MapSecrets::new().with("ACME", text);
            let keys = resolve(&spec(KeyEncoding::Whsec), &src, "f").unwrap();
            assert_eq!(keys.keys[0].expose().len(), 24);
        }
    }

    #[test]
    fn a_set_but_undecodable_secret_is_a_config_error_that_does_not_show_it() {
        let src = MapSecrets::new().with("ACME", "good,whsec_%%%");
        let e = resolve(&spec(KeyEncoding::Whsec), &src, "auth.secret").unwrap_err();
        assert_eq!(e.field, "auth.secret");
        assert_eq!(
            e.reason,
            "RELAY_SECRET_ACME (key 2 of 2) is not a whsec_ secret (whsec_ followed by base64)"
        );
        let src = MapSecrets::new().with("ACME", "not base64!");
        let e = resolve(&spec(KeyEncoding::Base64), &src, "f").unwrap_err();
        assert_eq!(e.reason, "RELAY_SECRET_ACME is not valid base64");
        assert!(!e.to_string().contains("not base64!"));
    }

    #[test]
    fn env_secrets_read_the_variable_then_the_file_variant_trimmed() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("s");
        std::fs::write(&file, "from-file\n").unwrap();
        std::env::set_var("RELAY_SECRET_SIGTEST_ENV", "from-env");
        std::env::set_var("RELAY_SECRET_SIGTEST_FILE_FILE", &file);
        std::env::set_var("RELAY_SECRET_SIGTEST_BAD_FILE", dir.path().join("missing"));
        let env = EnvSecrets;
        assert_eq!(
            env.lookup("SIGTEST_ENV").unwrap().unwrap().expose(),
            b"from-env"
        );
        assert_eq!(
            env.lookup("SIGTEST_FILE").unwrap().unwrap().expose(),
            b"from-file"
        );
        assert!(env.lookup("SIGTEST_UNSET").unwrap().is_none());
        let e = env.lookup("SIGTEST_BAD").unwrap_err();
        assert!(e.starts_with("RELAY_SECRET_SIGTEST_BAD_FILE names a file that cannot be read"));
    }

    #[test]
    fn map_secrets_debug_shows_names_only() {
        let src = MapSecrets::new().with("ACME", "hunter2");
        assert_eq!(format!("{src:?}"), r#"MapSecrets(["ACME"])"#);
    }
}
