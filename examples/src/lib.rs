//! Shared code for the `rstcp` examples (the example binaries live in
//! `examples/examples/`).

pub mod dump;
