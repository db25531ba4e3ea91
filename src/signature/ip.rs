//! IP allow-lists. The address checked is the TCP peer — unless the peer is one of our own
//! trusted proxies (`RELAY_TRUSTED_PROXIES`), in which case `X-Forwarded-For` is walked from the
//! right, skipping trusted proxies, and the first untrusted address is the client. Entries left
//! of that are whatever the client chose to send and are never believed; a request that does not
//! come through a trusted proxy has its `X-Forwarded-For` ignored entirely, so it cannot be
//! spoofed by a direct caller.

use super::errors::AuthFailure;
use super::explain::Trace;
use super::request::Req;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

/// A compiled allow-list.
#[derive(Debug, Clone)]
pub(crate) struct IpVerifier {
    allow: Vec<IpNet>,
    trusted: Vec<IpNet>,
}

fn contains(nets: &[IpNet], ip: IpAddr) -> bool {
    nets.iter().any(|n| n.contains(&ip))
}

fn parse_entry(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    s.parse::<IpAddr>()
        .or_else(|_| s.parse::<SocketAddr>().map(|a| a.ip()))
        .ok()
        .map(|ip| ip.to_canonical())
}

impl IpVerifier {
    pub(crate) fn new(allow: Vec<IpNet>, trusted: Vec<IpNet>) -> Self {
        Self { allow, trusted }
    }

    pub(crate) fn describe(&self) -> String {
        let list: Vec<String> = self.allow.iter().map(ToString::to_string).collect();
        format!("ip_allowlist {}", list.join(", "))
    }

    /// The client address, and how it was found (for `explain`).
    fn client(&self, req: &Req<'_>) -> Result<(IpAddr, String), AuthFailure> {
        let peer = req
            .r
            .peer
            .map(|p| p.to_canonical())
            .ok_or_else(|| AuthFailure::IpNotAllowed("the peer address is unknown".into()))?;
        if !contains(&self.trusted, peer) {
            return Ok((
                peer,
                format!("peer {peer} (not a trusted proxy: X-Forwarded-For ignored)"),
            ));
        }
        let entries: Vec<&str> = req
            .r
            .headers
            .get_all("X-Forwarded-For")
            .flat_map(|v| v.split(','))
            .filter(|e| !e.trim().is_empty())
            .collect();
        let mut client = peer;
        for entry in entries.iter().rev() {
            let ip = parse_entry(entry).ok_or_else(|| {
                AuthFailure::IpNotAllowed(
                    "X-Forwarded-For holds an entry that is not an IP address".into(),
                )
            })?;
            client = ip;
            if !contains(&self.trusted, ip) {
                break;
            }
        }
        Ok((
            client,
            format!("{client} from X-Forwarded-For (peer {peer} is a trusted proxy)"),
        ))
    }

    pub(crate) fn verify(&self, req: &Req<'_>, trace: &mut Trace) -> Result<(), AuthFailure> {
        let (client, how) = self.client(req)?;
        trace.note(|| format!("client address: {how}"));
        if contains(&self.allow, client) {
            Ok(())
        } else {
            Err(AuthFailure::IpNotAllowed(format!(
                "{client} is not in the allow-list"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_may_carry_ports_and_mapped_addresses_are_canonical() {
        assert_eq!(parse_entry(" 1.2.3.4 "), Some("1.2.3.4".parse().unwrap()));
        assert_eq!(
            parse_entry("1.2.3.4:8080"),
            Some("1.2.3.4".parse().unwrap())
        );
        assert_eq!(
            parse_entry("[2001:db8::1]:443"),
            Some("2001:db8::1".parse().unwrap())
        );
        assert_eq!(
            parse_entry("::ffff:10.0.0.1"),
            Some("10.0.0.1".parse().unwrap())
        );
        assert_eq!(parse_entry("unknown"), None);
    }
}
