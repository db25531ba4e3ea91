//! Configuration: one flat struct read from `RELAY_*` environment variables by envy, validated
//! once at boot. Units are in the names (`_ms`, `_s`, `_bytes`); secrets are [`Secret`]s.
//! Vendor signing secrets (`RELAY_SECRET_<VENDOR>`) are not here: their names depend on the
//! mapping files, so `signature::secrets` reads them when a vendor is loaded.
//!
//! `docs/configuration.md` lists every field; a test checks the two agree.

use crate::domain::Secret;
use serde::{Deserialize, Serialize, Serializer};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Every `RELAY_` setting with its default. Field `foo_bar` is variable `RELAY_FOO_BAR`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Settings {
    /// Address the webhook server listens on.
    #[serde(default = "d::listen_addr")]
    pub listen_addr: String,
    /// Folder holding one `{vendor}.json` mapping file per vendor.
    #[serde(default = "d::mappings_dir")]
    pub mappings_dir: PathBuf,
    /// Base URL of the StackOne API that results are PATCHed to.
    #[serde(default = "d::upstream_url")]
    pub upstream_url: String,
    /// StackOne API key; sent as `Authorization: Basic base64(key + ":")`. Required by `serve`.
    #[serde(default, serialize_with = "redacted")]
    pub api_key: Option<Secret>,
    /// Largest webhook body accepted; larger requests get 413.
    #[serde(default = "d::max_body_bytes")]
    pub max_body_bytes: usize,
    /// Timeout of one upstream PATCH (connect + send + response).
    #[serde(default = "d::forward_timeout_ms")]
    pub forward_timeout_ms: u64,
    /// `json` (one object per line) or `pretty`; default: pretty on a terminal, json otherwise.
    // Kept as text so a bad value is reported with its variable name (envy's enum errors do
    // not name it); read it with `Settings::log_format`.
    #[serde(default)]
    pub log_format: Option<String>,
    /// The public base URL vendors call (e.g. `https://relay.example.com`); used for `{url}` in
    /// signatures and for per-invite callback URLs.
    #[serde(default)]
    pub public_url: Option<String>,
    /// Reload mappings when files in the mappings folder change (SIGHUP always reloads).
    #[serde(default = "d::yes")]
    pub watch_mappings: bool,
    /// Proxies (IPs or CIDRs, comma-separated) whose `X-Forwarded-For` is trusted for IP allow-lists.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,

    /// `sqlite://path` (embedded, default) or `postgres://…` (shared by several replicas).
    #[serde(default = "d::database_url")]
    pub database_url: String,
    /// Database connections per process (PostgreSQL; SQLite uses one writer and a few readers).
    #[serde(default = "d::db_pool_size")]
    pub db_pool_size: u32,
    /// Longest a single database statement may run before it is cancelled.
    #[serde(default = "d::db_statement_timeout_ms")]
    pub db_statement_timeout_ms: u64,
    /// Most webhooks committed in one transaction (group commit).
    #[serde(default = "d::commit_batch_max")]
    pub commit_batch_max: usize,

    /// Upstream PATCHes in flight at once, over all orders.
    #[serde(default = "d::delivery_concurrency")]
    pub delivery_concurrency: usize,
    /// First retry delay before jitter; doubles per attempt.
    #[serde(default = "d::retry_base_ms")]
    pub retry_base_ms: u64,
    /// Longest delay between two attempts (also clamps `Retry-After`).
    #[serde(default = "d::retry_cap_ms")]
    pub retry_cap_ms: u64,
    /// A job still failing this long after it was accepted is dead-lettered.
    #[serde(default = "d::retry_max_age_s")]
    pub retry_max_age_s: u64,
    /// A job that failed this many attempts is dead-lettered (0 = no limit but the age).
    #[serde(default = "d::retry_max_attempts")]
    pub retry_max_attempts: u32,
    /// How long a worker owns a job it is delivering; a crashed worker's jobs are due again after it.
    #[serde(default = "d::lease_ms")]
    pub lease_ms: u64,
    /// A vendor retry of the same event within this window is answered `duplicate`, not delivered.
    #[serde(default = "d::dedupe_window_s")]
    pub dedupe_window_s: u64,
    /// Delivered jobs older than this are purged in the background.
    #[serde(default = "d::retention_days")]
    pub retention_days: u32,
    /// Above this many undelivered jobs, new webhooks get 503 with `Retry-After`.
    #[serde(default = "d::max_pending")]
    pub max_pending: u64,

    /// A result whose order is not yet registered waits this long before it is dead-lettered.
    #[serde(default = "d::correlation_wait_s")]
    pub correlation_wait_s: u64,
    /// How often retention, correlation deadlines and registration expiry are enforced.
    #[serde(default = "d::maintenance_interval_s")]
    pub maintenance_interval_s: u64,
    /// Order registrations and per-invite callback URLs expire after this many days.
    #[serde(default = "d::registration_retention_days")]
    pub registration_retention_days: u32,

    /// Bearer token for `/admin`; the admin API is disabled when unset.
    #[serde(default, serialize_with = "redacted")]
    pub admin_token: Option<Secret>,
    /// Serve `/metrics` on this separate address instead of the main listener.
    #[serde(default)]
    pub metrics_addr: Option<String>,
    /// HTTP worker threads, and as many delivery threads (default: one of each per CPU).
    #[serde(default)]
    pub workers: Option<usize>,
    /// Open connections per worker above which new ones wait in the backlog.
    #[serde(default = "d::max_connections")]
    pub max_connections: usize,
    /// Time a client has to send its request head and body; a slower client is cut off with 408.
    #[serde(default = "d::client_request_timeout_ms")]
    pub client_request_timeout_ms: u64,
    /// On SIGTERM/SIGINT, time given to in-flight requests and deliveries before exit.
    #[serde(default = "d::shutdown_timeout_s")]
    pub shutdown_timeout_s: u64,
    /// Name of this replica in leases and logs (default: hostname-pid).
    #[serde(default)]
    pub instance_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// Defaults, named so `docs/configuration.md` and `--help` can quote them.
mod d {
    use std::path::PathBuf;
    pub fn listen_addr() -> String {
        "0.0.0.0:8080".into()
    }
    pub fn mappings_dir() -> PathBuf {
        "./mappings".into()
    }
    pub fn upstream_url() -> String {
        "https://api.stackone.com".into()
    }
    pub fn max_body_bytes() -> usize {
        1024 * 1024
    }
    pub fn forward_timeout_ms() -> u64 {
        10_000
    }
    pub fn yes() -> bool {
        true
    }
    pub fn database_url() -> String {
        "sqlite://./data/relay.db".into()
    }
    pub fn db_pool_size() -> u32 {
        10
    }
    pub fn db_statement_timeout_ms() -> u64 {
        5_000
    }
    pub fn commit_batch_max() -> usize {
        512
    }
    pub fn delivery_concurrency() -> usize {
        64
    }
    pub fn retry_base_ms() -> u64 {
        1_000
    }
    pub fn retry_cap_ms() -> u64 {
        15 * 60 * 1_000
    }
    pub fn retry_max_age_s() -> u64 {
        3 * 24 * 3_600
    }
    pub fn retry_max_attempts() -> u32 {
        0
    }
    pub fn lease_ms() -> u64 {
        60_000
    }
    pub fn dedupe_window_s() -> u64 {
        7 * 24 * 3_600
    }
    pub fn retention_days() -> u32 {
        30
    }
    pub fn max_pending() -> u64 {
        1_000_000
    }
    pub fn correlation_wait_s() -> u64 {
        24 * 3_600
    }
    pub fn registration_retention_days() -> u32 {
        90
    }
    pub fn maintenance_interval_s() -> u64 {
        60
    }
    pub fn max_connections() -> usize {
        10_000
    }
    pub fn client_request_timeout_ms() -> u64 {
        10_000
    }
    pub fn shutdown_timeout_s() -> u64 {
        30
    }
}

/// Secrets serialize as `[redacted]` (or null when unset): `assessment-relay config` and the
/// configuration reference show that a secret is set, never its value.
fn redacted<S: Serializer>(v: &Option<Secret>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(_) => s.serialize_str("[redacted]"),
        None => s.serialize_none(),
    }
}

/// A setting that cannot be used, naming the variable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0}")]
    Env(String),
    #[error("RELAY_{var}: {reason}")]
    Invalid { var: &'static str, reason: String },
}

impl Settings {
    /// Read `RELAY_*` from the process environment and validate.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(std::env::vars())
    }

    /// Read from explicit pairs (tests, `config` command) and validate.
    pub fn from_vars<I: IntoIterator<Item = (String, String)>>(
        vars: I,
    ) -> Result<Self, ConfigError> {
        // Vendor secrets share the prefix but are not settings; envy would ignore them anyway,
        // we drop them so nothing secret is even parsed here.
        // An empty value means unset (`RELAY_ADMIN_TOKEN=` in a compose file or a shell).
        let vars = vars
            .into_iter()
            .filter(|(k, v)| !k.starts_with("RELAY_SECRET_") && !v.is_empty());
        let s: Settings = envy::prefixed("RELAY_").from_iter(vars).map_err(|e| {
            ConfigError::Env(match e {
                envy::Error::MissingValue(f) => format!("RELAY_{} is required", f.to_uppercase()),
                envy::Error::Custom(m) => name_the_variable(&m),
            })
        })?;
        s.validate()?;
        Ok(s)
    }

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

/// envy says `… while parsing value 'x' provided by MAX_BODY_BYTES`; lead with the full variable
/// name so the operator sees at once which one to fix.
fn name_the_variable(msg: &str) -> String {
    match msg.rsplit_once(" provided by ") {
        Some((what, var)) => format!("RELAY_{var}: {what}"),
        None => format!("invalid RELAY_ setting: {msg}"),
    }
}

fn is_loopback_url(u: &str) -> bool {
    let rest = u.split("://").nth(1).unwrap_or("");
    rest.starts_with("127.") || rest.starts_with("localhost") || rest.starts_with("[::1]")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let s = Settings::from_vars(vars(&[])).unwrap();
        assert_eq!(s.listen_addr, "0.0.0.0:8080");
        assert_eq!(s.max_body_bytes, 1_048_576);
        assert_eq!(s.forward_timeout_ms, 10_000);
        assert_eq!(s.database_url, "sqlite://./data/relay.db");
        assert_eq!(s.dedupe_window_s, 604_800);
        assert!(s.api_key.is_none());
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        let e = Settings::from_vars(vars(&[("RELAY_LISTEN_ADDR", "nope")])).unwrap_err();
        assert!(e.to_string().starts_with("RELAY_LISTEN_ADDR:"), "{e}");
        let e = Settings::from_vars(vars(&[("RELAY_MAX_BODY_BYTES", "lots")])).unwrap_err();
        assert!(e.to_string().starts_with("RELAY_MAX_BODY_BYTES: "), "{e}");
        let e = Settings::from_vars(vars(&[("RELAY_LOG_FORMAT", "xml")])).unwrap_err();
        assert!(
            e.to_string().starts_with("RELAY_LOG_FORMAT: ") && e.to_string().contains("xml"),
            "{e}"
        );
    }

    #[test]
    fn an_empty_value_means_unset() {
        let s = Settings::from_vars(vars(&[
            ("RELAY_ADMIN_TOKEN", ""),
            ("RELAY_PUBLIC_URL", ""),
            ("RELAY_MAX_BODY_BYTES", ""),
        ]))
        .unwrap();
        assert!(s.admin_token.is_none() && s.public_url.is_none());
        assert_eq!(s.max_body_bytes, 1_048_576);
    }

    #[test]
    fn lists_are_comma_separated() {
        let s = Settings::from_vars(vars(&[("RELAY_TRUSTED_PROXIES", "10.0.0.0/8,127.0.0.1")]))
            .unwrap();
        assert_eq!(s.trusted_proxy_nets().len(), 2);
        let e =
            Settings::from_vars(vars(&[("RELAY_TRUSTED_PROXIES", "10.0.0.0/8,nope")])).unwrap_err();
        assert!(e.to_string().starts_with("RELAY_TRUSTED_PROXIES"), "{e}");
    }

    #[test]
    fn secrets_do_not_show_in_debug() {
        let s = Settings::from_vars(vars(&[
            ("RELAY_API_KEY", "sk_live_abc"),
            ("RELAY_ADMIN_TOKEN", "0123456789abcdef"),
        ]))
        .unwrap();
        let dbg = format!("{s:?}");
        assert!(
            !dbg.contains("sk_live_abc") && !dbg.contains("0123456789abcdef"),
            "{dbg}"
        );
    }

    #[test]
    fn describe_lists_every_setting_with_secrets_redacted() {
        let s = Settings::from_vars(vars(&[("RELAY_API_KEY", "sk_live_abc")])).unwrap();
        let d = s.describe();
        assert!(d.contains(&("RELAY_API_KEY".into(), "[redacted]".into())));
        assert!(d.contains(&("RELAY_ADMIN_TOKEN".into(), String::new())));
        assert!(d.contains(&("RELAY_LISTEN_ADDR".into(), "0.0.0.0:8080".into())));
        assert!(!format!("{d:?}").contains("sk_live_abc"));
    }

    #[test]
    fn the_lease_must_outlast_a_delivery() {
        let e = Settings::from_vars(vars(&[("RELAY_LEASE_MS", "5000")])).unwrap_err();
        assert!(e.to_string().starts_with("RELAY_LEASE_MS"), "{e}");
    }
}
