//! IP fragmentation: reassembly on receive and fragment planning on transmit.
//!
//! - [`reassembly`]: the [`Reassembler`] puts IPv4 (RFC 791 §3.2) and IPv6
//!   (RFC 8200 §4.5) fragments back together in caller-provided slots, with a
//!   timeout that reports when ICMP Time Exceeded (code 1) is due.
//! - [`fragmenter`]: [`fragments`] plans the pieces of an outgoing payload;
//!   the interface's one emit path (`iface/out.rs`) writes each piece.
//!
//! [`FragmentKey`] names a datagram in both halves.

use crate::wire::{IpProtocol, Ipv4Addr, Ipv6Addr};

pub mod fragmenter;
pub mod reassembly;

pub use self::fragmenter::{fragment_count, fragments, FragmentPlan, Fragments};
pub use self::reassembly::{
    Expired, Fragment, Reassembled, Reassembler, ReassemblyConfig, ReassemblyError, ReassemblySlot,
    WhenFull,
};

/// The fields that tell which datagram a fragment belongs to.
///
/// RFC 791 §3.2: "the combination of source, destination, protocol, and
/// identifier" names an IPv4 datagram. RFC 8200 §4.5: an IPv6 packet is named by
/// source address, destination address and the 32-bit Identification (the
/// protocol is not part of it: it sits in the first fragment only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FragmentKey {
    /// An IPv4 datagram.
    V4 {
        /// Source address.
        src: Ipv4Addr,
        /// Destination address.
        dst: Ipv4Addr,
        /// The Identification field.
        ident: u16,
        /// The Protocol field.
        protocol: IpProtocol,
    },
    /// An IPv6 packet.
    V6 {
        /// Source address.
        src: Ipv6Addr,
        /// Destination address.
        dst: Ipv6Addr,
        /// The Identification field of the Fragment header.
        ident: u32,
    },
}

impl FragmentKey {
    /// True for an IPv6 key.
    pub const fn is_ipv6(&self) -> bool {
        matches!(self, FragmentKey::V6 { .. })
    }
}
