//! The one wiring point: load mappings, open the store, start delivery and the background
//! tasks, bind the listener(s), and shut all of it down in order.

mod from_settings;
mod server;

use crate::config::Settings;
use crate::delivery::Delivery;
use crate::queue::{Acceptor, StoreOptions, Writer};
use crate::routes::{AppState, Limits, QueueWatch};
use crate::signature::{SecretSource, VerifierContext};
use crate::stackone::ResultValidator;
use crate::vendors::Registry;
use actix_web::dev::Server;
use actix_web::web;
use anyhow::Context as _;
use server::Servers;
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
        let handle = crate::metrics::install();

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
        from_settings::log_vendors(&registry);

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
                from_settings::redact_url(&settings.database_url)
            )
        })?;

        let owner = settings.instance_id();
        let jobs = Delivery::channel(settings.delivery_concurrency);
        let (acceptor, finisher, writers) = Writer::spawn(
            store.clone(),
            from_settings::acceptor(&settings, &owner),
            owner.clone(),
            Some(jobs.0.clone()),
        );
        let delivery = Delivery::start(
            store.clone(),
            finisher,
            from_settings::delivery(&settings, &api_key, &owner),
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

        let Servers {
            port,
            metrics_port,
            server,
            metrics_server,
        } = server::bind(&settings, state)?;
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
