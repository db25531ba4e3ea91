//! A small reader over one JSON object of the `auth` section that knows its own path, so every
//! error names the exact member (`auth[1].timestamp.unit`), and that refuses members it was not
//! asked about — a misspelt `tolerence_s` must fail `check`, not silently fall back to a default.

use super::errors::AuthConfigError;
use serde_json::{Map, Value};

pub(crate) type Result<T> = std::result::Result<T, AuthConfigError>;

#[derive(Debug)]
pub(crate) struct Obj<'a> {
    path: String,
    map: &'a Map<String, Value>,
    seen: Vec<&'static str>,
}

impl<'a> Obj<'a> {
    pub(crate) fn new(v: &'a Value, path: String) -> Result<Self> {
        match v {
            Value::Object(map) => Ok(Self {
                path,
                map,
                seen: Vec::new(),
            }),
            _ => Err(AuthConfigError::new(path, "must be an object")),
        }
    }

    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    /// The path of member `key`.
    pub(crate) fn at(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }

    pub(crate) fn err(&self, key: &str, reason: impl Into<String>) -> AuthConfigError {
        AuthConfigError::new(self.at(key), reason)
    }

    pub(crate) fn has(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }

    pub(crate) fn keys(&self) -> impl Iterator<Item = &'a str> {
        self.map.keys().map(String::as_str)
    }

    pub(crate) fn get(&mut self, key: &'static str) -> Option<&'a Value> {
        self.seen.push(key);
        self.map.get(key)
    }

    /// A non-empty string member.
    pub(crate) fn str(&mut self, key: &'static str) -> Result<Option<&'a str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s)),
            Some(Value::String(_)) => Err(self.err(key, "must not be empty")),
            Some(_) => Err(self.err(key, "must be a string")),
        }
    }

    /// A string member that may be empty (separators, prefixes).
    pub(crate) fn text(&mut self, key: &'static str) -> Result<Option<&'a str>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.err(key, "must be a string")),
        }
    }

    pub(crate) fn req_str(&mut self, key: &'static str) -> Result<&'a str> {
        self.str(key)?.ok_or_else(|| self.err(key, "is required"))
    }

    /// A string member that must be one of `allowed`.
    pub(crate) fn choice(
        &mut self,
        key: &'static str,
        allowed: &[&'static str],
    ) -> Result<Option<&'static str>> {
        let Some(s) = self.text(key)? else {
            return Ok(None);
        };
        allowed
            .iter()
            .find(|a| **a == s)
            .copied()
            .map(Some)
            .ok_or_else(|| self.err(key, format!("must be one of {}", allowed.join(", "))))
    }

    pub(crate) fn u64_in(&mut self, key: &'static str, min: u64, max: u64) -> Result<Option<u64>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => match v.as_u64() {
                Some(n) if (min..=max).contains(&n) => Ok(Some(n)),
                _ => Err(self.err(key, format!("must be an integer from {min} to {max}"))),
            },
        }
    }

    pub(crate) fn bool(&mut self, key: &'static str) -> Result<Option<bool>> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.err(key, "must be true or false")),
        }
    }

    pub(crate) fn obj(&mut self, key: &'static str) -> Result<Option<Obj<'a>>> {
        let path = self.at(key);
        self.get(key).map(|v| Obj::new(v, path)).transpose()
    }

    /// Refuses any member that was not read.
    pub(crate) fn finish(self) -> Result<()> {
        let mut unknown: Vec<&String> = self
            .map
            .keys()
            .filter(|k| !self.seen.contains(&k.as_str()))
            .collect();
        unknown.sort();
        match unknown.first() {
            None => Ok(()),
            Some(k) => {
                let mut known = self.seen.clone();
                known.sort_unstable();
                known.dedup();
                Err(self.err(
                    k,
                    format!("unknown member (allowed here: {})", known.join(", ")),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unread_members_are_reported_with_their_path_and_the_allowed_ones() {
        let v = json!({"header": "X", "tolerence_s": 3});
        let mut o = Obj::new(&v, "auth[0]".into()).unwrap();
        assert_eq!(o.str("header").unwrap(), Some("X"));
        o.u64_in("tolerance_s", 1, 10).unwrap();
        let e = o.finish().unwrap_err();
        assert_eq!(e.field, "auth[0].tolerence_s");
        assert_eq!(
            e.reason,
            "unknown member (allowed here: header, tolerance_s)"
        );
    }

    #[test]
    fn wrong_types_and_values_name_the_member() {
        let v = json!({"a": 1, "b": "", "c": "md5", "d": 0, "e": "yes", "f": []});
        let mut o = Obj::new(&v, "auth".into()).unwrap();
        assert_eq!(
            o.str("a").unwrap_err().to_string(),
            "auth.a: must be a string"
        );
        assert_eq!(o.str("b").unwrap_err().reason, "must not be empty");
        assert_eq!(
            o.choice("c", &["sha256", "sha1"]).unwrap_err().reason,
            "must be one of sha256, sha1"
        );
        assert_eq!(
            o.u64_in("d", 1, 5).unwrap_err().reason,
            "must be an integer from 1 to 5"
        );
        assert_eq!(o.bool("e").unwrap_err().reason, "must be true or false");
        assert_eq!(
            o.obj("f").unwrap_err().to_string(),
            "auth.f: must be an object"
        );
        assert_eq!(
            o.req_str("g").unwrap_err().to_string(),
            "auth.g: is required"
        );
    }
}
