//! Tests across the module.
