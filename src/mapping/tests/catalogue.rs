//! Bundled catalogue (pending).
