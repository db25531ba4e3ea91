//! Behaviour of whole `auth` sections through the public API: the providers' published examples,
//! every rejection with its code, configuration errors, and agreement with the JSON Schema.

mod support;

#[test]
fn a_verifier_can_be_shared_between_worker_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<crate::signature::Verifier>();
}
mod config;
mod credentials;
mod explaining;
mod published;
mod rejections;
mod schema;
