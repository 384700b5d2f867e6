//! Why a fragment was refused.

use core::fmt;

#[cfg(doc)]
use super::{Fragment, Reassembler, ReassemblyConfig, WhenFull};

/// Why [`Reassembler::add`] did not take a fragment.
///
/// Each variant says whether the datagram it belonged to was abandoned too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ReassemblyError {
    /// Offset zero and no More Fragments: a whole datagram, not a fragment.
    /// The interface processes it directly (for IPv6 this is an atomic
    /// fragment, processed "in isolation", RFC 6946 §4).
    NotAFragment,
    /// The offset is not a multiple of 8, or More Fragments is set and the
    /// length is not a multiple of 8 (RFC 791 §3.2; RFC 8200 §4.5: discard,
    /// ICMPv6 Parameter Problem code 0 at the Payload Length). Only this
    /// fragment is dropped.
    Unaligned,
    /// The datagram would be longer than 65535 bytes (RFC 791 Total Length;
    /// RFC 8200 §4.5: discard, Parameter Problem code 0 at the Fragment
    /// Offset) or than [`ReassemblyConfig::max_payload_len`]. Only this
    /// fragment is dropped, unless it is the offset-0 fragment whose longer
    /// header pushes data already received past the limit: then the datagram
    /// is abandoned.
    TooLong,
    /// A last fragment disagrees with an earlier one about where the datagram
    /// ends, or ends before data already received. The datagram is abandoned.
    ConflictingEnd,
    /// A fragment reaches past the end announced by the last fragment. The
    /// datagram is abandoned.
    BeyondEnd,
    /// IPv6: the fragment overlaps data already received and is not an exact
    /// duplicate (RFC 5722 §4). The datagram is abandoned.
    Overlap,
    /// No slot's buffer can hold the datagram this far. If it was already in
    /// a slot, it is abandoned (it could never complete there).
    TooBigForSlot,
    /// Every slot is busy and [`WhenFull::Refuse`] is configured. The fragment
    /// is dropped.
    NoFreeSlot,
}

impl ReassemblyError {
    /// A short, stable, lowercase reason, suitable for counters and JSON.
    pub fn reason(&self) -> &'static str {
        match self {
            ReassemblyError::NotAFragment => "not a fragment",
            ReassemblyError::Unaligned => "unaligned fragment",
            ReassemblyError::TooLong => "datagram too long",
            ReassemblyError::ConflictingEnd => "conflicting end",
            ReassemblyError::BeyondEnd => "beyond end",
            ReassemblyError::Overlap => "overlap",
            ReassemblyError::TooBigForSlot => "too big for slot",
            ReassemblyError::NoFreeSlot => "no free slot",
        }
    }
}

impl fmt::Display for ReassemblyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.reason())
    }
}

impl core::error::Error for ReassemblyError {}
