//! Boot-time validation of [`Settings`]: every problem names its variable; risky but legal
//! values become warnings.

use super::{ConfigError, Settings};
use std::net::SocketAddr;

impl Settings {
    /// Checks that hold regardless of the command. Returns the first problem, naming its variable.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |var, reason: &str| {
            Err(ConfigError::Invalid {
                var,
                reason: reason.into(),
            })
        };
        if self.listen_addr.parse::<SocketAddr>().is_err() {
            return bad(
                "LISTEN_ADDR",
                "expected host:port with an IP address, e.g. 0.0.0.0:8080",
            );
        }
        if let Some(a) = &self.metrics_addr {
            if a.parse::<SocketAddr>().is_err() {
                return bad("METRICS_ADDR", "expected host:port with an IP address");
            }
        }
        if !(self.upstream_url.starts_with("http://") || self.upstream_url.starts_with("https://"))
        {
            return bad("UPSTREAM_URL", "must start with http:// or https://");
        }
        if let Some(u) = &self.public_url {
            if !(u.starts_with("http://") || u.starts_with("https://")) {
                return bad("PUBLIC_URL", "must start with http:// or https://");
            }
        }
        if !(self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
        {
            return bad("DATABASE_URL", "must start with sqlite: or postgres://");
        }
        if let Some(f) = &self.log_format {
            if !matches!(f.as_str(), "json" | "pretty") {
                return Err(ConfigError::Invalid {
                    var: "LOG_FORMAT",
                    reason: format!("unknown format {f:?}, expected json or pretty"),
                });
            }
        }
        if self.max_body_bytes < 1024 {
            return bad("MAX_BODY_BYTES", "must be at least 1024");
        }
        if self.forward_timeout_ms == 0 {
            return bad("FORWARD_TIMEOUT_MS", "must be greater than 0");
        }
        if self.lease_ms <= self.forward_timeout_ms {
            return bad("LEASE_MS", "must be longer than RELAY_FORWARD_TIMEOUT_MS, or a slow delivery would be taken over while still running");
        }
        if self.delivery_concurrency == 0 {
            return bad("DELIVERY_CONCURRENCY", "must be at least 1");
        }
        if self.retry_base_ms == 0 || self.retry_cap_ms < self.retry_base_ms {
            return bad(
                "RETRY_CAP_MS",
                "must be at least RELAY_RETRY_BASE_MS, which must be > 0",
            );
        }
        if self.maintenance_interval_s == 0 {
            return bad("MAINTENANCE_INTERVAL_S", "must be at least 1");
        }
        if self.commit_batch_max == 0 {
            return bad("COMMIT_BATCH_MAX", "must be at least 1");
        }
        if self.db_pool_size == 0 {
            return bad("DB_POOL_SIZE", "must be at least 1");
        }
        if self.workers == Some(0) {
            return bad("WORKERS", "must be at least 1");
        }
        if self.delivery_threads == Some(0) {
            return bad("DELIVERY_THREADS", "must be at least 1");
        }
        if let Some(t) = &self.admin_token {
            if t.expose().len() < 16 {
                return bad("ADMIN_TOKEN", "must be at least 16 characters");
            }
        }
        for p in &self.trusted_proxies {
            if p.parse::<ipnet::IpNet>().is_err() && p.parse::<std::net::IpAddr>().is_err() {
                return Err(ConfigError::Invalid {
                    var: "TRUSTED_PROXIES",
                    reason: format!("{p:?} is not an IP address or CIDR"),
                });
            }
        }
        Ok(())
    }

    /// Risky but legal settings, logged as warnings at boot.
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.upstream_url.starts_with("http://") && !is_loopback_url(&self.upstream_url) {
            w.push(
                "RELAY_UPSTREAM_URL uses plain http: the API key crosses the network unencrypted"
                    .into(),
            );
        }
        if self.admin_token.is_none() {
            w.push("RELAY_ADMIN_TOKEN is not set: the admin API is disabled".into());
        }
        if self.retry_max_age_s < 3_600 {
            w.push("RELAY_RETRY_MAX_AGE_S is under an hour: an upstream outage longer than that dead-letters results".into());
        }
        if self.dedupe_window_s == 0 {
            w.push("RELAY_DEDUPE_WINDOW_S is 0: vendor retries will be delivered again".into());
        }
        w
    }
}

fn is_loopback_url(u: &str) -> bool {
    let rest = u.split("://").nth(1).unwrap_or("");
    rest.starts_with("127.") || rest.starts_with("localhost") || rest.starts_with("[::1]")
}
