//! The HTTP servers: the API (webhooks, admin, health, and metrics unless they have their own
//! address) and, with `RELAY_METRICS_ADDR`, a one-worker metrics server.

use crate::config::Settings;
use crate::queue::ReplyHub;
use crate::routes::{self, AppState, RequestIdMiddleware};
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use anyhow::Context as _;
use std::net::TcpListener;

/// Bound servers, not yet running.
pub(super) struct Servers {
    pub(super) port: u16,
    pub(super) metrics_port: Option<u16>,
    pub(super) server: Server,
    pub(super) metrics_server: Option<Server>,
}

/// Binds the listeners (port 0 picks a free port) and builds the servers around `state`.
pub(super) fn bind(settings: &Settings, state: web::Data<AppState>) -> anyhow::Result<Servers> {
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
    Ok(Servers {
        port,
        metrics_port,
        server,
        metrics_server,
    })
}
