//! An impaired link between a stack and the Linux kernel, and the table of
//! issue 10 measured through it.
//!
//! This kernel has no `tc netem`, so the link is our own: a forwarder
//! ([`forward`]) bridging two TAPs (or a TAP's interface through a packet
//! socket), each direction through a seeded [`line::Line`] that loses
//! (at random or in Gilbert bursts), corrupts, duplicates, rate-limits
//! into a bounded drop-tail queue, delays with jitter and reorders
//! frames. The same forwarder sits between rstcp and the kernel and
//! between two kernels, so Linux↔Linux through it is the yardstick
//! ([`rig`]). A [`cell`] is one timed transfer with every byte checked;
//! [`table`] prints the rows. The `impaired` binary and
//! `examples/scripts/impaired.sh` run it; `tests/kernel_impaired.rs` runs
//! a short version in CI.

pub mod cell;
pub mod forward;
pub mod gso;
pub mod line;
pub mod port;
pub mod profile;
pub mod rig;
pub mod rng;
pub mod table;
