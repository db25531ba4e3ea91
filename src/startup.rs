//! The one wiring point: load mappings, open the store, start delivery and the background
//! tasks, bind the listener(s), and shut all of it down in order.

use crate::config::Settings;
use crate::delivery::{Delivery, DeliveryConfig};
use crate::forward::{ClientOptions, Target};
use crate::metrics as m;
use crate::queue::retry::RetryPolicy;
use crate::queue::StoreOptions;
use crate::queue::{Acceptor, AcceptorConfig, ReplyHub, Writer};
use crate::routes::{self, AppState, Limits, QueueWatch, RequestIdMiddleware};
use crate::signature::{SecretSource, VerifierContext};
use crate::stackone::ResultValidator;
use crate::vendors::Registry;
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use anyhow::Context as _;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A built, bound, not yet running gateway.
pub struct Application {
    port: u16,
    metrics_port: Option<u16>,
    server: Server,
    metrics_server: Option<Server>,
    parts: Parts,
}

/// Everything that must be stopped after the HTTP server, in order.
struct Parts {
    stop: CancellationToken,
    background: Vec<JoinHandle<()>>,
    /// Kept to flush the last acceptances at shutdown.
    acceptor: Acceptor,
    writers: Vec<JoinHandle<()>>,
    delivery: Delivery,
    shutdown_timeout: Duration,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

/// The time signed timestamps are checked against, Unix ms.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// What `build` needs besides the settings.
#[derive(Clone)]
pub struct BuildOptions {
    /// Vendor secrets (`EnvSecrets` in production).
    pub secrets: Arc<dyn SecretSource>,
    /// Replaces the system clock for signature timestamp checks only (replay windows), so the
    /// test suite and the demo can verify vendors' published samples at their own time. Every
    /// other time (receipt, leases, retries) stays the system clock.
    pub verification_clock: Option<Clock>,
}

impl std::fmt::Debug for BuildOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuildOptions")
            .field("verification_clock", &self.verification_clock.is_some())
            .finish_non_exhaustive()
    }
}

impl Application {
    /// Builds the gateway from `settings`, reading vendor secrets from `opts.secrets`.
    pub async fn build(settings: Settings, opts: BuildOptions) -> anyhow::Result<Self> {
        let BuildOptions {
            secrets,
            verification_clock,
        } = opts;
        let api_key = settings
            .api_key
            .clone()
            .filter(|k| !k.is_empty())
            .context("RELAY_API_KEY is required: it authenticates the gateway to StackOne")?;
        for w in settings.warnings() {
            tracing::warn!("{w}");
        }
        let handle = m::install();

        let verifier_ctx = VerifierContext {
            trusted_proxies: settings.trusted_proxy_nets(),
        };
        let registry = Registry::load(
            &settings.mappings_dir,
            secrets,
            verifier_ctx,
            settings.public_url.clone(),
        )
        .map_err(|errors| {
            anyhow::anyhow!(
                "the mappings in {} do not load:\n{}",
                settings.mappings_dir.display(),
                crate::vendors::report(&errors)
            )
        })?;
        let registry = Arc::new(registry);
        log_vendors(&registry);

        let store = crate::queue::open(
            &settings.database_url,
            &StoreOptions {
                pool_size: settings.db_pool_size,
                statement_timeout_ms: settings.db_statement_timeout_ms,
            },
        )
        .await
        .with_context(|| {
            format!(
                "cannot open the store at {}",
                redact_url(&settings.database_url)
            )
        })?;

        let owner = settings.instance_id();
        let jobs = Delivery::channel(settings.delivery_concurrency);
        let (acceptor, finisher, writers) = Writer::spawn(
            store.clone(),
            AcceptorConfig {
                batch_max: settings.commit_batch_max,
                dedupe_window_ms: settings.dedupe_window().as_millis() as i64,
                lease: Some((owner.clone(), settings.lease_ms as i64)),
            },
            owner.clone(),
            Some(jobs.0.clone()),
        );
        let delivery = Delivery::start(
            store.clone(),
            finisher,
            DeliveryConfig {
                target: Target::new(&settings.upstream_url, &api_key),
                client: ClientOptions {
                    timeout: settings.forward_timeout(),
                    max_connections: settings.delivery_concurrency,
                },
                concurrency: settings.delivery_concurrency,
                threads: settings.workers.unwrap_or_else(num_cpus),
                policy: RetryPolicy {
                    base: Duration::from_millis(settings.retry_base_ms),
                    cap: Duration::from_millis(settings.retry_cap_ms),
                    max_age: Duration::from_secs(settings.retry_max_age_s),
                    max_attempts: settings.retry_max_attempts,
                },
                owner: owner.clone(),
                lease_ms: settings.lease_ms as i64,
                poll_interval: Duration::from_millis(250),
            },
            jobs,
        );

        let stop = CancellationToken::new();
        let queue = Arc::new(QueueWatch::default());
        let background = vec![
            tokio::spawn(crate::maintenance::watch_queue(
                store.clone(),
                queue.clone(),
                stop.clone(),
            )),
            tokio::spawn(crate::maintenance::maintain(
                store.clone(),
                settings.clone(),
                stop.clone(),
            )),
            tokio::spawn(
                registry
                    .clone()
                    .watch(settings.watch_mappings, stop.clone()),
            ),
        ];

        let acceptor_for_shutdown = acceptor.clone();
        let state = web::Data::new(AppState {
            registry,
            store,
            acceptor,
            delivery: Some(delivery.clone()),
            validator: Arc::new(ResultValidator::bundled()),
            limits: Limits {
                max_body_bytes: settings.max_body_bytes,
                body_timeout: settings.client_request_timeout(),
                max_pending: settings.max_pending,
            },
            public_url: settings.public_url.clone(),
            admin_token: settings.admin_token.clone(),
            metrics: Some(handle),
            queue,
            registration_retention: settings.registration_retention(),
            verification_clock: verification_clock
                .unwrap_or_else(|| Arc::new(|| chrono::Utc::now().timestamp_millis())),
        });
        if settings.admin_token.is_none() {
            tracing::info!("admin API disabled: set RELAY_ADMIN_TOKEN to enable /admin");
        }

        let listener = TcpListener::bind(&settings.listen_addr).with_context(|| {
            format!(
                "cannot listen on RELAY_LISTEN_ADDR={}",
                settings.listen_addr
            )
        })?;
        let port = listener.local_addr()?.port();
        let separate_metrics = settings.metrics_addr.is_some();
        let app_state = state.clone();
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(app_state.clone())
                // One per worker thread: answers this thread's webhooks in one wake-up a commit.
                .app_data(ReplyHub::default())
                .app_data(routes::json_errors())
                .app_data(routes::query_errors())
                .app_data(routes::path_errors())
                .wrap(from_fn(RequestIdMiddleware))
                .configure(|c| routes::configure(c, !separate_metrics))
                .default_service(web::to(routes::not_found))
        })
        .listen(listener)?
        .max_connections(settings.max_connections)
        .client_request_timeout(settings.client_request_timeout())
        .shutdown_timeout(settings.shutdown_timeout_s);
        if let Some(w) = settings.workers {
            server = server.workers(w);
        }
        let server = server.run();

        let (metrics_server, metrics_port) = match &settings.metrics_addr {
            Some(addr) => {
                let l = TcpListener::bind(addr)
                    .with_context(|| format!("cannot listen on RELAY_METRICS_ADDR={addr}"))?;
                let p = l.local_addr()?.port();
                let st = state.clone();
                let s = HttpServer::new(move || {
                    App::new()
                        .app_data(st.clone())
                        .configure(routes::configure_metrics_only)
                })
                .listen(l)?
                .workers(1)
                .run();
                (Some(s), Some(p))
            }
            None => (None, None),
        };
        drop(state);
        tracing::info!(port, metrics_port, owner = %owner, "assessment-relay listening");
        Ok(Self {
            port,
            metrics_port,
            server,
            metrics_server,
            parts: Parts {
                stop,
                background,
                acceptor: acceptor_for_shutdown,
                writers,
                delivery,
                shutdown_timeout: settings.shutdown_timeout(),
            },
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    /// Serves until SIGTERM/SIGINT (handled by the HTTP server: it stops accepting and lets
    /// requests in progress finish), then drains acceptance, lets deliveries in flight finish
    /// within the deadline, releases what is left, and returns.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Self {
            server,
            metrics_server,
            parts,
            ..
        } = self;
        if let Some(ms) = metrics_server {
            let handle = ms.handle();
            tokio::spawn(ms);
            let result = server.await;
            handle.stop(true).await;
            result?;
        } else {
            server.await?;
        }
        tracing::info!("HTTP server stopped; draining");
        parts.stop.cancel();
        // Every webhook the server answered is committed already; flush what is still queued
        // (answered or not) before delivery gives back its leases.
        let _ = tokio::time::timeout(parts.shutdown_timeout, parts.acceptor.flush()).await;
        drop(parts.acceptor);
        parts.delivery.shutdown(parts.shutdown_timeout).await;
        drop(parts.delivery);
        // The writing tasks end once every handle is dropped and the queue is committed.
        for t in parts.writers {
            let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
        }
        for t in parts.background {
            let _ = tokio::time::timeout(Duration::from_secs(1), t).await;
        }
        tracing::info!("stopped");
        Ok(())
    }
}

fn num_cpus() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

fn log_vendors(registry: &Registry) {
    let set = registry.snapshot();
    metrics::gauge!(m::VENDORS_LOADED).set(set.len() as f64);
    for v in set.iter() {
        match &v.disabled {
            Some(why) => {
                tracing::warn!(vendor = %v.id, reason = %why, "vendor loaded but disabled")
            }
            None => tracing::info!(vendor = %v.id, auth = %v.verifier.describe(), "vendor loaded"),
        }
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db` for error messages.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn database_passwords_are_redacted_in_messages() {
        assert_eq!(
            redact_url("postgres://relay:s3cret@db:5432/relay"),
            "postgres://relay:***@db:5432/relay"
        );
        assert_eq!(
            redact_url("sqlite://./data/relay.db"),
            "sqlite://./data/relay.db"
        );
    }
}
