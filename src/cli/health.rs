//! `assessment-relay healthcheck`: the container's HEALTHCHECK.

use anyhow::Context as _;
use std::process::ExitCode;

/// `GET /healthz` on the local listener with a short timeout, without an HTTP client stack: the
/// container image has no curl, and this must work even when the async runtime is busy.
pub fn healthcheck() -> anyhow::Result<ExitCode> {
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpStream};
    use std::time::Duration;
    let listen = std::env::var("RELAY_LISTEN_ADDR").unwrap_or_else(|_| "0.0.0.0:8080".into());
    let mut addr: SocketAddr = listen
        .parse()
        .with_context(|| format!("RELAY_LISTEN_ADDR={listen} is not host:port"))?;
    if addr.ip().is_unspecified() {
        addr.set_ip(if addr.is_ipv4() {
            [127, 0, 0, 1].into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    let t = Duration::from_secs(2);
    let mut s = TcpStream::connect_timeout(&addr, t)
        .with_context(|| format!("cannot connect to {addr}"))?;
    s.set_read_timeout(Some(t))?;
    s.set_write_timeout(Some(t))?;
    s.write_all(b"GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head)?;
    let ok = head.starts_with(b"HTTP/1.") && &head[9..12] == b"200";
    println!("{}", if ok { "healthy" } else { "unhealthy" });
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
