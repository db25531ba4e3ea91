//! Secrets from a map instead of the environment (the demo, tests).

use crate::domain::Secret;
use crate::signature::SecretSource;
use std::collections::HashMap;

/// `suffix → value`, e.g. `CODESIGNAL → "s3cret"` stands for `RELAY_SECRET_CODESIGNAL=s3cret`.
#[derive(Debug, Clone, Default)]
pub struct MapSecrets(pub HashMap<String, String>);

impl MapSecrets {
    pub fn with(mut self, suffix: &str, value: &str) -> Self {
        self.0.insert(suffix.to_owned(), value.to_owned());
        self
    }
}

impl SecretSource for MapSecrets {
    fn lookup(&self, suffix: &str) -> Result<Option<Secret>, String> {
        Ok(self
            .0
            .get(suffix)
            .map(|v| Secret::new(v.as_bytes().to_vec())))
    }
}
