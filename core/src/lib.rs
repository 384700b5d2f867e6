//! `rstcp`: a TCP/IP stack for bare-metal firmware and std programs alike.
//!
//! The crate is `#![no_std]` and needs no heap. It is built in layers:
//!
//! - [`wire`]: typed, zero-copy views over packet bytes (`XxxPacket<T: AsRef<[u8]>>`)
//!   and high-level representations (`XxxRepr`) that parse from and emit into
//!   those views. Every view has a checked constructor; once it succeeds, no
//!   accessor can panic whatever the bytes are.
//!
//! The interface, sockets and the TCP engine build on `wire` and are driven only
//! by an explicit `poll(now)`: the crate never reads a clock, spawns a thread or
//! allocates on its own.
//!
//! # Features
//! - `alloc`: lets buffers and socket sets live in a `Vec`. (The in-memory
//!   test devices, the loopback, the link between two interfaces and the
//!   fault injector, are test tooling: they live in the `rstcp-testkit`
//!   crate.)
//! - `std`: `alloc`, plus the threaded `runtime` module with blocking
//!   sockets shaped like `std::net`, and the in-memory `phy::pipe` device it
//!   is tested over. (Every error type implements `core::error::Error`
//!   whatever the features.)
//! - `log` / `defmt`: route the crate's diagnostics to one of these back-ends.
#![no_std]
#![deny(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[macro_use]
mod macros;

pub mod dns;
pub mod iface;
pub mod phy;
pub mod rand;
#[cfg(feature = "std")]
pub mod runtime;
pub mod socket;
pub mod storage;
pub mod time;
pub mod wire;

#[cfg(test)]
mod error_tests;
