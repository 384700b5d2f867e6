//! A device wrapper that makes any link lossy: [`FaultInjector`] drops (at
//! random or in bursts), duplicates, corrupts, reorders, delays, rate-limits
//! and queues frames behind a bottleneck, on receive and on transmit, each
//! direction with its own [`FaultConfig`].
//!
//! # Reproducible
//!
//! Every decision comes from the stack's one generator,
//! [`rstcp::rand::Rng`] (xorshift64*), one stream per direction (and a
//! second one for burst loss, so that adding it does not shift the other
//! decisions), and every frame draws the same amount of randomness whatever
//! the configuration. So a run with the same seed, the same configuration
//! and the same sequence of calls (frames, lengths, `now`) makes exactly the
//! same decisions, and a failing test can be replayed from its seed.
//!
//! # Time
//!
//! Frames that are delayed or held back for reordering are kept (bounded by
//! [`FaultConfig::queue_limit`]) and released once `now` reaches their due
//! time, by a later [`Device::receive`](rstcp::phy::Device::receive) or [`Device::transmit`](rstcp::phy::Device::transmit) call.
//! [`FaultInjector::poll_at`] says when the next one is due: a test loop
//! polls at the earlier of that and the interface's own `poll_at`.
//!
//! # A lossy link, seen from the interface
//!
//! A transmitted frame that is dropped is still *consumed*: the transmit
//! token runs the interface's closure into a scratch buffer and discards the
//! result, so the interface believes the frame went out, as it would on a
//! real lossy link. Back-pressure from the wrapped device is passed on:
//! [`Device::transmit`](rstcp::phy::Device::transmit) returns `None` when the inner device refuses, or
//! while frames that are already due could not be handed to it yet (so that
//! frames leave in order).
//!
//! # Order of the faults for one frame
//!
//! oversize ([`FaultConfig::max_frame_len`]) → random drop → burst loss →
//! rate limit → bottleneck queue → corruption → duplication → delay and
//! jitter (counted from when the frame leaves the bottleneck) → reordering
//! (when the frame falls due). A reordered frame is held until the next [`FaultConfig::reorder_gap`]
//! frames handed on in the same direction have gone (or until
//! [`FaultConfig::reorder_timeout`]), then it goes right after them: with a
//! gap of 1, neighbours swap. Jitter is drawn per frame, so it can reorder
//! frames too, as it does on a real network.
//!
//! Received frames are copied once out of the inner device into buffers of
//! this wrapper (taken from a free list, so steady state does not allocate);
//! transmitted frames that pass at once are written straight into the inner
//! device's buffer.
//!
//! The files: `config.rs` what a test asks for ([`FaultConfig`]) and what it
//! counts ([`FaultStats`]); `direction.rs` one direction's decisions, kept
//! frames and random streams; `injector.rs` the device wrappers
//! ([`FaultInjector`], [`Faults`]) and their tokens; `tests.rs`.

mod config;
mod direction;
mod injector;
#[cfg(test)]
mod tests;

pub use config::{Bottleneck, BurstLoss, Chance, FaultConfig, FaultStats, RateLimit};
pub use injector::{Attached, FaultInjector, FaultRxToken, FaultTxToken, Faults};
