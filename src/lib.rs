//! assessment-relay: receives assessment vendors' "test completed" webhooks, verifies them,
//! translates them with the vendor's mapping file into StackOne's unified result, and delivers
//! them durably as `PATCH /unified/ats/assessments/orders/{id}/result`.
//!
//! Dependencies point one way: `routes → {signature, mapping, queue, …}`, `queue::worker →
//! forward`, everything → `domain`. Nothing depends on `routes` or `startup`.

pub mod cli;
pub mod config;
pub mod correlation;
pub mod delivery;
pub mod demo;
pub mod domain;
pub mod error;
pub mod forward;
pub mod ingest;
pub mod maintenance;
pub mod mapping;
pub mod metrics;
pub mod queue;
pub mod replay;
pub mod routes;
pub mod signature;
pub mod stackone;
pub mod startup;
pub mod telemetry;
pub mod vendors;
