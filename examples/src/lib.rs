//! Shared code for the `rstcp` examples (the example binaries live in
//! `examples/examples/`) and for the integration tests.

pub mod cli;
pub mod dump;
pub mod http;
pub mod memory;
pub mod pingstats;
pub mod services;
