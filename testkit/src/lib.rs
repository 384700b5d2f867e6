//! Test tooling shared by the integration tests (`rstcp-tests`) and the
//! examples (`rstcp-examples`): nothing here is part of the stack a
//! firmware links, so it may use `std` freely.
//!
//! - [`loopback`]: in-memory devices: a [`Loopback`](loopback::Loopback)
//!   that hears its own frames, and a [`Link`](loopback::Link) joining two
//!   interfaces in one thread.
//! - [`fault`]: a seeded fault injector wrapped around any device (loss,
//!   burst loss, duplication, corruption, reordering, delay, rate limits,
//!   a bottleneck queue).
//! - [`sim`]: two interfaces joined by an in-memory link, driven in
//!   simulated time.
//! - [`transfer`]: a TCP bulk transfer between the two through the fault
//!   injector, checked by [`stream_hash`].
//! - [`echo`]: one step of a TCP echo server over a socket.

pub mod echo;
pub mod fault;
pub mod loopback;
pub mod offload;
pub mod sim;
pub mod stream_hash;
pub mod transfer;
