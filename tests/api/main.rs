//! The integration suite: one test binary, the real app on port 0, wiremock playing StackOne.

mod helpers;

mod admin;
mod config_docs;
mod correlation;
mod delivery;
mod errors;
mod fixtures;
mod ops;
