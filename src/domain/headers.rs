//! The request headers a webhook arrived with, in a form that can be stored with the job and fed
//! back to the mapping on replay (re-translation needs the same inputs as the first translation).

use serde::{Deserialize, Serialize};

/// Header name/value pairs, names lower-cased, in arrival order; a name may repeat.
/// Lookups are case-insensitive. Values are text: the HTTP edge leaves out values that are not
/// UTF-8 (no vendor we map signs or sends such headers).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, name: &str, value: &str) {
        self.0.push((name.to_ascii_lowercase(), value.to_owned()));
    }

    /// The first value of `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name` in arrival order (case-insensitive).
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Only the named headers (used to store what a mapping reads, and nothing else: signatures
    /// and authorization headers are never persisted).
    pub fn retain_names(&self, names: &[String]) -> Headers {
        Headers(
            self.0
                .iter()
                .filter(|(n, _)| names.iter().any(|k| k.eq_ignore_ascii_case(n)))
                .cloned()
                .collect(),
        )
    }
}

impl<N: AsRef<str>, V: AsRef<str>> FromIterator<(N, V)> for Headers {
    fn from_iter<T: IntoIterator<Item = (N, V)>>(iter: T) -> Self {
        let mut h = Headers::new();
        for (n, v) in iter {
            h.push(n.as_ref(), v.as_ref());
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_ignore_case_and_keep_order() {
        let h: Headers = [("X-A", "1"), ("x-a", "2"), ("B", "3")]
            .into_iter()
            .collect();
        assert_eq!(h.get("x-A"), Some("1"));
        assert_eq!(h.get_all("X-A").collect::<Vec<_>>(), ["1", "2"]);
        assert_eq!(
            h.retain_names(&["b".into()]).iter().collect::<Vec<_>>(),
            [("b", "3")]
        );
    }
}
