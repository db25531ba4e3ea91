//! The integration suite: one test binary, the real app on port 0, wiremock playing StackOne.

mod helpers;
mod process;
mod replicas;

mod admin;
mod cli;
mod config_docs;
mod correlation;
mod crash;
mod delivery;
mod errors;
mod fixtures;
mod image;
mod ops;
mod pg;
