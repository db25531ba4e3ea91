//! Typed views of [`Settings`]: durations with their units applied, parsed lists, and the
//! redacted listing behind `assessment-relay config`.

use super::{LogFormat, Settings};
use std::time::Duration;

impl Settings {
    /// The configured log format, or `None` to choose by whether stdout is a terminal.
    pub fn log_format(&self) -> Option<LogFormat> {
        match self.log_format.as_deref() {
            Some("json") => Some(LogFormat::Json),
            Some("pretty") => Some(LogFormat::Pretty),
            _ => None,
        }
    }

    /// Every setting as `(RELAY_NAME, value)` sorted by name, secrets redacted, unset
    /// optional settings as an empty string. For `assessment-relay config` and the docs check.
    pub fn describe(&self) -> Vec<(String, String)> {
        let v = serde_json::to_value(self).unwrap_or_default();
        let serde_json::Value::Object(map) = v else {
            return Vec::new();
        };
        map.into_iter()
            .map(|(k, v)| {
                let shown = match v {
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Array(a) => a
                        .iter()
                        .map(|x| {
                            x.as_str()
                                .map(str::to_owned)
                                .unwrap_or_else(|| x.to_string())
                        })
                        .collect::<Vec<_>>()
                        .join(","),
                    other => other.to_string(),
                };
                (format!("RELAY_{}", k.to_uppercase()), shown)
            })
            .collect()
    }

    pub fn forward_timeout(&self) -> Duration {
        Duration::from_millis(self.forward_timeout_ms)
    }
    pub fn lease(&self) -> Duration {
        Duration::from_millis(self.lease_ms)
    }
    pub fn dedupe_window(&self) -> Duration {
        Duration::from_secs(self.dedupe_window_s)
    }
    pub fn client_request_timeout(&self) -> Duration {
        Duration::from_millis(self.client_request_timeout_ms)
    }
    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs(self.shutdown_timeout_s)
    }
    pub fn correlation_wait(&self) -> Duration {
        Duration::from_secs(self.correlation_wait_s)
    }
    pub fn retention(&self) -> Duration {
        Duration::from_secs(u64::from(self.retention_days) * 86_400)
    }
    pub fn registration_retention(&self) -> Duration {
        Duration::from_secs(u64::from(self.registration_retention_days) * 86_400)
    }
    pub fn statement_timeout(&self) -> Duration {
        Duration::from_millis(self.db_statement_timeout_ms)
    }
    pub fn trusted_proxy_nets(&self) -> Vec<ipnet::IpNet> {
        self.trusted_proxies
            .iter()
            .filter_map(|p| {
                p.parse::<ipnet::IpNet>()
                    .ok()
                    .or_else(|| p.parse::<std::net::IpAddr>().ok().map(Into::into))
            })
            .collect()
    }
    pub fn instance_id(&self) -> String {
        self.instance_id.clone().unwrap_or_else(|| {
            let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
            let host = host.trim();
            format!(
                "{}-{}",
                if host.is_empty() { "relay" } else { host },
                std::process::id()
            )
        })
    }
}
