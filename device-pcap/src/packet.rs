//! One captured packet, as handed out by the readers.

use crate::{LinkType, Timestamp};

/// A packet record, borrowed from the reader's internal buffer.
///
/// The borrow ends at the next call to `next_packet`, which reuses the same
/// buffer: reading a file allocates nothing per packet once the buffer has
/// grown to the largest record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// When the packet was captured.
    pub timestamp: Timestamp,
    /// The captured bytes (`cap_len` = `data.len()`), starting with the link
    /// layer header described by `link_type`.
    pub data: &'a [u8],
    /// The length of the packet on the wire; larger than `data.len()` when
    /// the capture was cut at the snapshot length.
    pub orig_len: u32,
    /// The link layer of `data`: the file's for pcap, the interface's for
    /// pcapng.
    pub link_type: LinkType,
    /// The pcapng interface the packet was captured on (0 for classic pcap).
    pub interface_id: u32,
    /// Where the record (pcap) or block (pcapng) starts in the file, for
    /// error messages about its contents.
    pub offset: u64,
}

impl Packet<'_> {
    /// The number of bytes captured (`data.len()` as the file's `u32`).
    pub fn cap_len(&self) -> u32 {
        // Records are capped far below 4 GiB by the readers.
        self.data.len() as u32
    }

    /// Whether the packet was cut short by the snapshot length.
    pub fn is_truncated(&self) -> bool {
        (self.data.len() as u64) < u64::from(self.orig_len)
    }
}
