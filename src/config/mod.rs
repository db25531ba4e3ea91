//! Configuration: one flat struct read from `RELAY_*` environment variables by envy, validated
//! once at boot. Units are in the names (`_ms`, `_s`, `_bytes`); secrets are [`Secret`]s.
//! Vendor signing secrets (`RELAY_SECRET_<VENDOR>`) are not here: their names depend on the
//! mapping files, so `signature::secrets` reads them when a vendor is loaded.
//!
//! `docs/configuration.md` is generated from this struct (fields, defaults, doc comments); a test
//! checks the two agree.

use crate::domain::Secret;
use serde::{Deserialize, Serialize, Serializer};
use std::path::PathBuf;

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

    /// `sqlite://path` (embedded, default; a file, in-memory is refused) or `postgres://…`
    /// (shared by several replicas).
    #[serde(default = "d::database_url")]
    pub database_url: String,
    /// Database connections per process (PostgreSQL; SQLite uses a write thread, one writer and
    /// a few readers).
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
    /// Delivery threads, each with its own event loop (default: one per two CPUs, at least one).
    #[serde(default)]
    pub delivery_threads: Option<usize>,
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
    /// Delivered jobs older than this are purged in the background (SQLite always keeps the
    /// newest job: new ids follow its id).
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
    /// HTTP worker threads (default: one per CPU).
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
#[rustfmt::skip]
mod d {
    use std::path::PathBuf;
    pub fn listen_addr() -> String { "0.0.0.0:8080".into() }
    pub fn mappings_dir() -> PathBuf { "./mappings".into() }
    pub fn upstream_url() -> String { "https://api.stackone.com".into() }
    pub fn max_body_bytes() -> usize { 1024 * 1024 }
    pub fn forward_timeout_ms() -> u64 { 10_000 }
    pub fn yes() -> bool { true }
    pub fn database_url() -> String { "sqlite://./data/relay.db".into() }
    pub fn db_pool_size() -> u32 { 10 }
    pub fn db_statement_timeout_ms() -> u64 { 5_000 }
    pub fn commit_batch_max() -> usize { 512 }
    pub fn delivery_concurrency() -> usize { 64 }
    pub fn retry_base_ms() -> u64 { 1_000 }
    pub fn retry_cap_ms() -> u64 { 15 * 60 * 1_000 }
    pub fn retry_max_age_s() -> u64 { 3 * 24 * 3_600 }
    pub fn retry_max_attempts() -> u32 { 0 }
    pub fn lease_ms() -> u64 { 60_000 }
    pub fn dedupe_window_s() -> u64 { 7 * 24 * 3_600 }
    pub fn retention_days() -> u32 { 30 }
    pub fn max_pending() -> u64 { 1_000_000 }
    pub fn correlation_wait_s() -> u64 { 24 * 3_600 }
    pub fn registration_retention_days() -> u32 { 90 }
    pub fn maintenance_interval_s() -> u64 { 60 }
    pub fn max_connections() -> usize { 10_000 }
    pub fn client_request_timeout_ms() -> u64 { 10_000 }
    pub fn shutdown_timeout_s() -> u64 { 30 }
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
}

/// envy says `… while parsing value 'x' provided by MAX_BODY_BYTES`; lead with the full variable
/// name so the operator sees at once which one to fix.
fn name_the_variable(msg: &str) -> String {
    match msg.rsplit_once(" provided by ") {
        Some((what, var)) => format!("RELAY_{var}: {what}"),
        None => format!("invalid RELAY_ setting: {msg}"),
    }
}

mod accessors;
mod checks;

#[cfg(test)]
mod tests;
