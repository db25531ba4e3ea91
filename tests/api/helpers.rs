//! `spawn_app()` and friends: start the real gateway on 127.0.0.1:0 with a temporary SQLite
//! store (or PostgreSQL), bundled mappings, known vendor secrets and a wiremock upstream.

use assessment_relay::config::Settings;
use assessment_relay::demo::fixtures::{self, Case};
use assessment_relay::domain::VendorId;
use assessment_relay::signature::{MapSecrets, Signed, VerifierContext};
use assessment_relay::startup::{Application, BuildOptions};
use assessment_relay::vendors::{load_file, LoadOptions, Vendor};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};
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

/// The secret tests give vendor `v` (hex: valid as raw text and as base64).
pub fn secret_for(v: &str) -> String {
    hex::encode(format!("test-secret-{v}"))
}

/// Secrets for every bundled vendor and every file in `dir`.
pub fn secrets_for(dir: &Path) -> MapSecrets {
    let mut s = MapSecrets::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if let Some(stem) = name
            .strip_suffix(".json")
            .filter(|n| !n.ends_with(".schema"))
        {
            if let Ok(id) = VendorId::parse(stem) {
                s = s.with(&id.env_suffix(), secret_for(stem));
            }
        }
    }
    s
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
    let upstream = MockServer::start().await;
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

impl TestApp {
    pub fn vendor(&self, name: &str) -> Vendor {
        let ctx = VerifierContext::default();
        load_file(
            &self.mappings.join(format!("{name}.json")),
            LoadOptions {
                secrets: &self.secrets,
                verifier: &ctx,
                public_url: Some(&self.address),
            },
        )
        .unwrap_or_else(|e| panic!("{name} loads: {e:?}"))
    }

    /// What vendor `name` would send with `body` now, for the URL `url`.
    pub fn sign(&self, name: &str, body: &[u8], url: &str) -> Signed {
        let now = self
            .clock
            .unwrap_or_else(|| chrono::Utc::now().timestamp_millis());
        self.vendor(name)
            .verifier
            .sign(body, now, Some(url))
            .expect("signs")
    }

    pub fn webhook_url(&self, vendor: &str) -> String {
        format!("{}/webhooks/{vendor}", self.address)
    }

    /// POSTs `body` to `url` signed as `vendor` signs, plus `extra` headers.
    pub async fn post_signed_to(
        &self,
        vendor: &str,
        url: &str,
        body: &[u8],
        extra: &[(&str, &str)],
    ) -> reqwest::Response {
        let signed = self.sign(vendor, body, url);
        let full = if signed.query.is_empty() {
            url.to_owned()
        } else {
            format!("{url}?{}", signed.query)
        };
        let mut req = self
            .client
            .post(full)
            .header("content-type", "application/json")
            .body(body.to_vec());
        for (n, v) in &signed.headers {
            req = req.header(n, v);
        }
        for (n, v) in extra {
            req = req.header(*n, *v);
        }
        req.send().await.expect("request sent")
    }

    pub async fn post_signed(&self, vendor: &str, body: &[u8]) -> reqwest::Response {
        self.post_signed_to(vendor, &self.webhook_url(vendor), body, &[])
            .await
    }

    /// An admin request with the bearer token.
    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}/admin{path}", self.address))
            .bearer_auth(ADMIN_TOKEN)
    }

    /// Waits (bounded) until the upstream has received at least `n` requests; returns them.
    pub async fn wait_for_upstream(&self, n: usize, within: Duration) -> Vec<wiremock::Request> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.upstream.received_requests().await.unwrap_or_default();
            if got.len() >= n || Instant::now() >= deadline {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits (bounded) for delivery `id` to reach `state`; returns its detail JSON.
    pub async fn wait_for_state(&self, id: &str, state: &str, within: Duration) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let v: Value = self
                .admin(reqwest::Method::GET, &format!("/deliveries/{id}"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if v["state"] == state || Instant::now() >= deadline {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// Every bundled fixture case.
pub fn cases() -> Vec<Case> {
    fixtures::load(&repo().join("tests/fixtures")).expect("fixtures load")
}

/// A copy of the bundled mappings in a temp dir, to edit in a test.
pub fn mappings_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(bundled_mappings()).unwrap().flatten() {
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    dir
}

/// Parses a JSON response body.
pub async fn json(r: reqwest::Response) -> Value {
    r.json().await.expect("a JSON body")
}

/// A mappings folder with the bundled vendors plus the test vendors of `tests/api/mappings`
/// (`acme`: generic HMAC over `{timestamp}.{body}`, identity in the payload).
pub fn test_mappings() -> tempfile::TempDir {
    let dir = mappings_copy();
    for e in std::fs::read_dir(repo().join("tests/api/mappings"))
        .unwrap()
        .flatten()
    {
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    dir
}

/// Options for an app that serves the test vendors too (keep the `TempDir` alive).
pub fn with_test_vendors() -> (tempfile::TempDir, Options) {
    let dir = test_mappings();
    let o = Options {
        mappings: Some(dir.path().to_owned()),
        ..Options::default()
    };
    (dir, o)
}

/// An `acme` event (see `tests/api/mappings/acme.json`).
pub fn acme_event(id: &str, order: &str, status: &str) -> Vec<u8> {
    serde_json::json!({"id": id, "type": "completed", "order": order, "account": "acct-1", "score": 80, "divisor": 1, "status": status})
        .to_string()
        .into_bytes()
}

/// Signs `body` as vendor `name` of `dir` would with `secret` at `now_ms`.
pub fn sign_with(dir: &Path, name: &str, secret: &str, body: &[u8], now_ms: i64) -> Signed {
    let ctx = VerifierContext::default();
    let id = VendorId::parse(name).unwrap();
    let secrets = MapSecrets::new().with(&id.env_suffix(), secret);
    let v = load_file(
        &dir.join(format!("{name}.json")),
        LoadOptions {
            secrets: &secrets,
            verifier: &ctx,
            public_url: None,
        },
    )
    .unwrap();
    v.verifier.sign(body, now_ms, None).unwrap()
}

impl TestApp {
    /// POSTs `body` to `/webhooks/{vendor}` with exactly these headers.
    pub async fn post_raw(
        &self,
        vendor: &str,
        body: impl Into<reqwest::Body>,
        headers: &[(String, String)],
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(self.webhook_url(vendor))
            .header("content-type", "application/json")
            .body(body);
        for (n, v) in headers {
            req = req.header(n, v);
        }
        req.send().await.expect("request sent")
    }

    /// Posts an acme event, signed now; returns (status, JSON body).
    pub async fn post_acme(&self, body: &[u8]) -> (u16, Value) {
        let r = self.post_signed("acme", body).await;
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }
}
