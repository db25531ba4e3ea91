//! Schema (pending).
