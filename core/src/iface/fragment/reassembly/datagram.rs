//! What goes in and what comes out: a fragment as received, a datagram
//! completed, a datagram abandoned at its deadline.

use super::config::IPV6_FRAGMENT_HEADER;
use crate::iface::fragment::FragmentKey;
use crate::wire::IpProtocol;

#[cfg(doc)]
use super::Reassembler;

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
    pub(super) whole: &'r [u8],
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
