//! Shared code for the `rstcp` examples (the example binaries live in
//! `examples/examples/`). The test tooling they share with the integration
//! tests is in `rstcp-testkit`, the dissector behind `rstcp-dump` in the
//! `rstcp-dump` crate.

pub mod cli;
pub mod http;
pub mod memory;
pub mod pingstats;
pub mod services;
