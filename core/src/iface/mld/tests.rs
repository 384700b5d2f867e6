//! Unit tests of the MLD listener engine (`mld.rs`).
