//! From a verified webhook to a job ready to commit: parse, translate, validate against the
//! StackOne schema, resolve the order's identity, and choose the dedupe key. Pure (no I/O, the
//! clock is an input), so the HTTP handler, `assessment-relay translate` and replay with
//! re-translation all run the very same steps.

mod prepare;

pub use prepare::{dedupe_key, prepare, Context, Prepared, Rejection, StoredRoute};
