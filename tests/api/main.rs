//! The integration suite: one test binary, the real app on port 0, wiremock playing StackOne.

mod helpers;
mod process;
mod replica_harness;
mod replicas;

mod admin;
mod cli;
mod config_docs;
mod correlation;
mod correlation_registry;
mod crash;
mod delivery;
mod errors;
mod fixtures;
mod image;
mod ops;
mod ops_limits;
mod pg;
mod pg_restart;
