//! Logging: one tracing subscriber, JSON lines in production, pretty on a terminal, filtered by
//! `RUST_LOG` (default `info`). Log lines carry ids (request, vendor, delivery, order), outcomes
//! and timings — never a body, a signature or a secret.

use crate::config::LogFormat;
use std::io::IsTerminal;
use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber. `format: None` picks pretty on a terminal, JSON otherwise.
/// Safe to call more than once (later calls do nothing), which the test helpers rely on.
pub fn init(format: Option<LogFormat>) {
    init_with_default(format, "info");
}

/// Like [`init`], with another filter when `RUST_LOG` is unset (the demo keeps its own output
/// readable with `warn`).
pub fn init_with_default(format: Option<LogFormat>, default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let format = format.unwrap_or(if std::io::stdout().is_terminal() {
        LogFormat::Pretty
    } else {
        LogFormat::Json
    });
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stdout);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder.with_target(false).try_init(),
    };
}
