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

use super::FragmentKey;
use crate::wire::IpProtocol;

#[cfg(doc)]
use managed::ManagedSlice;

mod config;
mod error;
mod reassembler;
mod slot;
#[cfg(test)]
mod tests;

pub use self::config::{ReassemblyConfig, WhenFull};
pub use self::error::ReassemblyError;
pub use self::reassembler::Reassembler;
pub use self::slot::ReassemblySlot;

/// Largest IPv4 datagram, header included (RFC 791 §3.1: 16-bit Total Length).
const IPV4_MAX_DATAGRAM: usize = 65535;
/// Largest IPv6 Payload Length (RFC 8200 §3: 16 bits; jumbograms not handled).
const IPV6_MAX_PAYLOAD: usize = 65535;
/// The IPv6 fixed header, not counted by Payload Length (RFC 8200 §3).
const IPV6_FIXED_HEADER: usize = 40;
/// The IPv6 Fragment header (RFC 8200 §4.5).
const IPV6_FRAGMENT_HEADER: usize = 8;
/// How many bytes of the original data an ICMPv4 error quotes (RFC 792: "the
/// internet header plus the first 64 bits of the original datagram's data").
const ICMPV4_QUOTED_DATA: usize = 8;

/// One fragment as received, handed to [`Reassembler::add`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fragment<'p> {
    /// The datagram it belongs to.
    pub key: FragmentKey,
    /// Where its payload goes in the datagram's payload, in bytes (the wire
    /// field × 8).
    pub offset_bytes: usize,
    /// The More Fragments flag (IPv4 MF, IPv6 M).
    pub more_fragments: bool,
    /// Everything before the fragmentable part, as received.
    ///
    /// IPv4: the whole header, options included. IPv6: the Unfragmentable
    /// Part *followed by the Fragment header itself* (that is,
    /// `&packet[..end of the Fragment header]`), so that the reassembled
    /// header still says which protocol the payload is (the Fragment header's
    /// Next Header, RFC 8200 §4.5). Only the offset-0 fragment's header is
    /// kept; the others are used for nothing but size checks.
    pub header: &'p [u8],
    /// The fragment's data (for IPv6, the bytes after the Fragment header).
    pub payload: &'p [u8],
}

/// A datagram just completed by [`Reassembler::add`].
///
/// It borrows its slot; the slot is freed at the next [`Reassembler::add`] or
/// [`Reassembler::expire`], or by [`Reassembler::release`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reassembled<'r> {
    /// The datagram's key.
    pub key: FragmentKey,
    /// The header of the offset-0 fragment (see [`Fragment::header`]).
    ///
    /// IPv4: rewritten as the header of the whole, unfragmented datagram
    /// (Total Length, MF clear, offset zero, checksum recomputed), so that
    /// [`datagram`](Self::datagram) parses as an ordinary IPv4 datagram. IPv6:
    /// as received.
    pub header: &'r [u8],
    /// The reassembled payload.
    pub payload: &'r [u8],
    /// `header ‖ payload`, contiguous in the slot.
    whole: &'r [u8],
}

impl<'r> Reassembled<'r> {
    /// The header and payload together, as one contiguous slice.
    pub fn datagram(&self) -> &'r [u8] {
        self.whole
    }

    /// The protocol of the reassembled payload.
    ///
    /// IPv4: from the key. IPv6: the Next Header of the offset-0 fragment's
    /// Fragment header (the last 8 bytes of [`header`](Self::header)), or
    /// `None` when the header is too short to hold one.
    pub fn next_header(&self) -> Option<IpProtocol> {
        match self.key {
            FragmentKey::V4 { protocol, .. } => Some(protocol),
            FragmentKey::V6 { .. } => {
                let at = self.header.len().checked_sub(IPV6_FRAGMENT_HEADER)?;
                self.header.get(at).map(|&b| IpProtocol::from(b))
            }
        }
    }
}

/// A datagram abandoned by [`Reassembler::expire`] because its time ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expired<'r> {
    /// The datagram's key.
    pub key: FragmentKey,
    /// The offset-0 fragment's header and the start of its data, or `None`
    /// when fragment zero never arrived (then no ICMP error may be sent:
    /// RFC 1122 §3.3.2, RFC 8200 §4.5).
    ///
    /// IPv4: the header plus the first 8 data bytes (RFC 792). IPv6: the
    /// header (with its Fragment header) plus the whole data of the first
    /// fragment; RFC 4443 §3.3 quotes "as much of invoking packet as
    /// possible", so the interface trims it to fit the minimum MTU.
    pub first_fragment: Option<&'r [u8]>,
}
