//! `assessment-relay demo`: the whole gateway on this machine with no external service. A
//! stand-in for StackOne's endpoint (checking auth headers and validating every body against the
//! spec) runs on loopback, the gateway runs against it with a temporary SQLite store, and every
//! bundled fixture is signed as its vendor would sign it and posted through the gateway; each
//! delivered PATCH is compared with the fixture's `.expected.json`.

pub mod fixtures;
mod runner;
pub mod standin;

pub use runner::{run, DemoOptions};
