//! The awc client. `awc::Client` is not `Send`: each delivery thread builds its own with
//! [`build_client`], so connection pools are per thread and never shared across threads.

use std::time::Duration;

/// Client settings taken from `Settings`.
#[derive(Debug, Clone, Copy)]
pub struct ClientOptions {
    /// Whole-request timeout (connect + send + response head).
    pub timeout: Duration,
    /// Open connections per thread to the upstream.
    pub max_connections: usize,
}

/// Builds the upstream client: explicit timeout, bounded pool, our User-Agent, and no redirects
/// (a redirect would re-send the API key to wherever the `Location` points).
pub fn build_client(o: ClientOptions) -> awc::Client {
    let connector = awc::Connector::new()
        .timeout(o.timeout.min(Duration::from_secs(5)))
        .limit(o.max_connections)
        .conn_keep_alive(Duration::from_secs(30))
        .conn_lifetime(Duration::from_secs(300));
    awc::Client::builder()
        .connector(connector)
        .timeout(o.timeout)
        .disable_redirects()
        .add_default_header((
            "user-agent",
            concat!("assessment-relay/", env!("CARGO_PKG_VERSION")),
        ))
        .finish()
}
