//! Saying why a request passes or fails, for `assessment-relay verify`. The verification code
//! itself records what it looks at into a [`Trace`]; in the request path the trace is off and
//! each note is a branch that builds nothing. Notes name headers, counts, lengths and templates —
//! never a secret, a received signature or the body.

use super::errors::AuthFailure;

/// Notes taken during one verification, when switched on.
#[derive(Debug, Default)]
pub(crate) struct Trace {
    lines: Option<Vec<String>>,
}

impl Trace {
    pub(crate) fn off() -> Self {
        Self { lines: None }
    }

    pub(crate) fn on() -> Self {
        Self {
            lines: Some(Vec::new()),
        }
    }

    #[inline]
    pub(crate) fn note(&mut self, line: impl FnOnce() -> String) {
        if let Some(lines) = &mut self.lines {
            lines.push(line());
        }
    }

    pub(crate) fn into_lines(self) -> Vec<String> {
        self.lines.unwrap_or_default()
    }
}

/// Result of [`Verifier::explain`](super::Verifier::explain).
#[derive(Debug, Clone)]
pub struct Explanation {
    pub valid: bool,
    /// Human-readable lines, in order.
    pub lines: Vec<String>,
    /// The failure, when invalid.
    pub failure: Option<AuthFailure>,
}

impl std::fmt::Display for Explanation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for l in &self.lines {
            writeln!(f, "{l}")?;
        }
        match &self.failure {
            None => write!(f, "result: valid"),
            Some(e) => write!(f, "result: {} — {e}", e.code()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trace_that_is_off_never_builds_its_lines() {
        let mut t = Trace::off();
        t.note(|| unreachable!("built a note while off"));
        assert!(t.into_lines().is_empty());
        let mut t = Trace::on();
        t.note(|| "x".into());
        assert_eq!(t.into_lines(), ["x"]);
    }

    #[test]
    fn an_explanation_prints_its_lines_then_the_result() {
        let e = Explanation {
            valid: false,
            lines: vec!["header HE-Signature: absent".into()],
            failure: Some(AuthFailure::SignatureMissing(
                "no HE-Signature header".into(),
            )),
        };
        assert_eq!(
            e.to_string(),
            "header HE-Signature: absent\nresult: signature_missing — no HE-Signature header"
        );
    }
}
