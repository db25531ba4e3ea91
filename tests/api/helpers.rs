//! `spawn_app()` and friends: start the real gateway on 127.0.0.1:0 with a temporary SQLite
//! store (or PostgreSQL), bundled mappings, known vendor secrets and a wiremock upstream.
//! Tests import everything from here; `requests` and `vendors` only keep this file short.

mod requests;
mod vendors;

pub use requests::{expect_delivery, json};
pub use vendors::{
    acme_event, case, cases, mappings_copy, secret_for, secrets_for, sign_with, test_mappings,
    with_test_vendors,
};

use assessment_relay::config::Settings;
use assessment_relay::signature::MapSecrets;
use assessment_relay::startup::{Application, BuildOptions};
use std::path::PathBuf;
use std::sync::{Arc, Once};
use std::time::Duration;
use wiremock::MockServer;

pub const API_KEY: &str = "test-api-key";
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

static TRACING: Once = Once::new();

/// `TEST_LOG=1 cargo test` shows the gateway's logs; silent otherwise.
fn init_tracing() {
    TRACING.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            assessment_relay::telemetry::init(Some(assessment_relay::config::LogFormat::Pretty));
        }
    });
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn bundled_mappings() -> PathBuf {
    repo().join("mappings")
}

/// How to start an app.
#[derive(Debug, Default, Clone)]
pub struct Options {
    /// Extra or overriding `RELAY_*` settings.
    pub env: Vec<(String, String)>,
    /// Mappings folder (default: the bundled one).
    pub mappings: Option<PathBuf>,
    /// Secrets (default: `secrets_for(mappings)`).
    pub secrets: Option<MapSecrets>,
    /// Reuse this database URL (default: a fresh SQLite file).
    pub database_url: Option<String>,
    /// Verify (and sign) signed timestamps at this Unix ms instead of now.
    pub clock: Option<i64>,
}

impl Options {
    pub fn env(mut self, k: &str, v: impl Into<String>) -> Self {
        self.env.push((k.to_owned(), v.into()));
        self
    }
}

#[derive(Debug)]
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub upstream: MockServer,
    pub client: reqwest::Client,
    pub mappings: PathBuf,
    pub secrets: MapSecrets,
    /// Keeps the temporary store alive as long as the app.
    _data_dir: tempfile::TempDir,
    pub clock: Option<i64>,
    _server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(o: Options) -> TestApp {
    // A server of its own, not one from wiremock's pool: an app of a test that has ended can
    // still be delivering (its delivery thread outlives the test's runtime), and a pooled
    // server handed to the next test would receive those PATCHes.
    let upstream = MockServer::builder().start().await;
    spawn_app_against(o, upstream).await
}

/// Starts an app whose upstream is `upstream` (so a test can restart the app against the same mock).
pub async fn spawn_app_against(o: Options, upstream: MockServer) -> TestApp {
    init_tracing();
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mappings = o.mappings.clone().unwrap_or_else(bundled_mappings);
    let secrets = o.secrets.clone().unwrap_or_else(|| secrets_for(&mappings));
    let database_url = o
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}/relay.db", data_dir.path().display()));
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = probe.local_addr().unwrap().port();
    drop(probe);
    let address = format!("http://127.0.0.1:{port}");
    let mut vars: Vec<(String, String)> = [
        ("RELAY_LISTEN_ADDR", format!("127.0.0.1:{port}")),
        ("RELAY_MAPPINGS_DIR", mappings.display().to_string()),
        ("RELAY_UPSTREAM_URL", upstream.uri()),
        ("RELAY_API_KEY", API_KEY.into()),
        ("RELAY_DATABASE_URL", database_url.clone()),
        ("RELAY_ADMIN_TOKEN", ADMIN_TOKEN.into()),
        ("RELAY_PUBLIC_URL", address.clone()),
        ("RELAY_TRUSTED_PROXIES", "127.0.0.1".into()),
        ("RELAY_RETRY_BASE_MS", "20".into()),
        ("RELAY_RETRY_CAP_MS", "200".into()),
        ("RELAY_FORWARD_TIMEOUT_MS", "2000".into()),
        ("RELAY_LEASE_MS", "5000".into()),
        ("RELAY_WORKERS", "2".into()),
        ("RELAY_WATCH_MAPPINGS", "false".into()),
        ("RELAY_SHUTDOWN_TIMEOUT_S", "2".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    vars.extend(o.env.iter().cloned());
    // Later entries override earlier ones, as in a shell.
    let vars: std::collections::BTreeMap<String, String> = vars.into_iter().collect();
    let settings = Settings::from_vars(vars).expect("test settings are valid");
    let clock = o
        .clock
        .map(|ms| Arc::new(move || ms) as assessment_relay::startup::Clock);
    let opts = BuildOptions {
        secrets: Arc::new(secrets.clone()),
        verification_clock: clock,
    };
    let app = Application::build(settings, opts)
        .await
        .expect("the app builds");
    assert_eq!(app.port(), port);
    let server = tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        port,
        upstream,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .unwrap(),
        mappings,
        secrets,
        _data_dir: data_dir,
        clock: o.clock,
        _server: server,
    }
}
