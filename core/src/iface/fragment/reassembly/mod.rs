//! Reassembly of IPv4 (RFC 791 §3.2) and IPv6 (RFC 8200 §4.5) fragments.
//!
//! # Storage
//! The caller gives a [`ManagedSlice`] of [`ReassemblySlot`]s, each over a
//! byte buffer of its choosing (a `vec![0; n]` with `alloc`, a `static mut`
//! array on bare metal). One slot holds one datagram in progress; nothing is
//! allocated and nothing grows.
//!
//! A slot's buffer is split once, at construction: the first part is the data
//! area, where the datagram is assembled contiguously as `header ‖ payload`;
//! the last `len / 65` bytes (rounded up, ~1.5 %) are a bitmap with one bit per
//! 8-byte block of payload. RFC 791 §3.2 itself describes reassembly with a
//! "fragment block bit table"; a bitmap never runs out of descriptors (unlike
//! a bounded list of RFC 815 holes), and since every fragment but the last
//! starts and ends on an 8-byte boundary it sees overlaps exactly.
//! [`ReassemblySlot::buffer_len_for`] says how big a buffer must be to hold a
//! datagram of a given size.
//!
//! # Rules
//! - Fragments may come in any order. The header kept is the one of the
//!   fragment at offset 0 (RFC 791 §3.2, RFC 8200 §4.5 "Unfragmentable Part
//!   … of the first fragment").
//! - Exact duplicates (the network may duplicate packets) are dropped
//!   silently, keeping the datagram.
//! - IPv4 overlaps keep the bytes received first: a later fragment only fills
//!   the blocks still missing. RFC 791 does not define overlaps; keeping the
//!   first bytes means a later fragment can never rewrite what has been
//!   accepted (the overlapping-fragment attack of RFC 1858 §4 rewrites a TCP
//!   header already let through a filter), which is the spirit of RFC 5722.
//!   (Linux, since 4.19, goes further and drops the whole datagram on an IPv4
//!   overlap, as for IPv6.)
//! - IPv6 overlaps abandon the whole datagram (RFC 5722 §4, RFC 8200 §4.5);
//!   a fragment whose bytes are all already present *and equal* is an exact
//!   duplicate and is dropped alone (RFC 8200 §4.5 allows this).
//! - A datagram is abandoned when its fragments contradict each other about
//!   where it ends (two different last fragments, data past the announced
//!   end), as Linux does (`ip_frag_queue`: "corruption"), since it can never
//!   complete.
//! - Timeout: the datagram is abandoned at exactly `first arrival + timeout`
//!   (RFC 791 §3.2 starts the timer with the first-arriving fragment, RFC 8200
//!   §4.5 likewise); [`Reassembler::expire`] reports it with the offset-0
//!   fragment, if it arrived, so the interface can send ICMP Time Exceeded code 1
//!   (RFC 792; RFC 1122 §3.3.2 and RFC 8200 §4.5: only when fragment zero arrived).
//! - When every slot is busy, the oldest datagram is evicted by default (see
//!   [`WhenFull`]).
//!
//! # Files
//! From the bottom up: `config.rs` (settings and the protocol limits),
//! `error.rs`, `datagram.rs` (what goes in and comes out), `slot.rs` (one
//! datagram assembled in place, with its bitmap) and `reassembler.rs` (the
//! table of slots: lookup, eviction, timeouts).

#[cfg(doc)]
use managed::ManagedSlice;

mod config;
mod datagram;
mod error;
mod reassembler;
mod slot;
#[cfg(test)]
mod tests;

pub use self::config::{ReassemblyConfig, WhenFull};
pub use self::datagram::{Expired, Fragment, Reassembled};
pub use self::error::ReassemblyError;
pub use self::reassembler::Reassembler;
pub use self::slot::ReassemblySlot;
