//! One slot: a datagram assembled in place, with a bitmap of the 8-byte
//! blocks received.

use managed::ManagedSlice;

use super::config::{ReassemblyConfig, IPV6_FIXED_HEADER, IPV6_FRAGMENT_HEADER, IPV6_MAX_PAYLOAD};
use super::datagram::{Fragment, Reassembled};
use super::error::ReassemblyError;
use crate::iface::fragment::FragmentKey;
use crate::time::{Duration, Instant};
use crate::wire::ipv4::Ipv4Packet;

/// How many bytes of the original data an ICMPv4 error quotes (RFC 792: "the
/// internet header plus the first 64 bits of the original datagram's data").
const ICMPV4_QUOTED_DATA: usize = 8;

/// The progress of one datagram in a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Assembly {
    pub(super) key: FragmentKey,
    pub(super) first_arrival: Instant,
    /// `first_arrival + timeout`: the instant it is abandoned.
    pub(super) deadline: Instant,
    /// Where the payload starts in the data area: the offset-0 fragment's
    /// header length once it arrived, a guess (the first-arriving fragment's
    /// header length) until then.
    base: usize,
    /// True once the offset-0 fragment (and so the header) arrived.
    have_first: bool,
    /// The payload length of the offset-0 fragment (for the ICMP quote).
    first_len: usize,
    /// The payload length, known once the last fragment (MF clear) arrived.
    total: Option<usize>,
    /// The highest payload end received so far.
    max_end: usize,
    /// Payload bytes received so far, each counted once.
    received: usize,
    /// Complete and lent out by `add`: freed at the next call.
    pub(super) done: bool,
}

/// One datagram's worth of reassembly storage.
#[derive(Debug)]
pub struct ReassemblySlot<'a> {
    buffer: ManagedSlice<'a, u8>,
    /// Length of the data area; the bitmap follows it.
    data_len: usize,
    pub(super) state: Option<Assembly>,
}

impl<'a> ReassemblySlot<'a> {
    /// A free slot over `buffer`.
    ///
    /// The buffer holds header, payload and a 1-bit-per-8-bytes bitmap; see
    /// [`buffer_len_for`](Self::buffer_len_for) for how big it must be.
    pub fn new(buffer: impl Into<ManagedSlice<'a, u8>>) -> Self {
        let buffer = buffer.into();
        let data_len = Self::data_len_of(buffer.len());
        ReassemblySlot {
            buffer,
            data_len,
            state: None,
        }
    }

    /// The data area of a buffer of `len` bytes: what is left after a bitmap
    /// of `ceil(len / 65)` bytes, which has a bit for each 8 bytes of it
    /// (`64 × ceil(len / 65) ≥ len − ceil(len / 65)`).
    pub(super) const fn data_len_of(len: usize) -> usize {
        len - len.div_ceil(65)
    }

    /// The buffer length needed to reassemble a datagram of `datagram_len`
    /// bytes (header and payload).
    pub const fn buffer_len_for(datagram_len: usize) -> usize {
        datagram_len.saturating_add(datagram_len.div_ceil(64))
    }

    /// A buffer length that fits any IPv4 datagram and any IPv6 packet
    /// without jumbogram (40-byte fixed header, 65535 bytes of payload, and
    /// the kept Fragment header).
    pub const MAX_BUFFER_LEN: usize =
        Self::buffer_len_for(IPV6_FIXED_HEADER + IPV6_MAX_PAYLOAD + IPV6_FRAGMENT_HEADER);

    /// The longest datagram (header and payload) this slot can hold.
    pub fn capacity(&self) -> usize {
        self.data_len
    }

    /// True when no datagram is in progress here.
    pub fn is_free(&self) -> bool {
        self.state.is_none()
    }

    /// The data area and the bitmap.
    fn split(&mut self) -> (&mut [u8], &mut [u8]) {
        let data_len = self.data_len.min(self.buffer.len());
        self.buffer.split_at_mut(data_len)
    }

    fn data(&self) -> &[u8] {
        self.buffer.get(..self.data_len).unwrap_or(&[])
    }

    /// Starts a new datagram.
    pub(super) fn start(&mut self, now: Instant, fragment: &Fragment<'_>, timeout: Duration) {
        let (_, bits) = self.split();
        bits.fill(0);
        self.state = Some(Assembly {
            key: fragment.key,
            first_arrival: now,
            deadline: now + timeout,
            base: fragment.header.len(),
            have_first: false,
            first_len: 0,
            total: None,
            max_end: 0,
            received: 0,
            done: false,
        });
    }

    /// Files a fragment into the datagram in progress. `Ok(true)` when the
    /// datagram is now complete. On an error that abandons the datagram the
    /// caller frees the slot.
    pub(super) fn insert(
        &mut self,
        fragment: &Fragment<'_>,
        end: usize,
        config: &ReassemblyConfig,
    ) -> Result<bool, Abandon> {
        let data_len = self.data_len;
        let Some(mut a) = self.state else {
            return Ok(false);
        };
        let offset = fragment.offset_bytes;
        let is_v6 = fragment.key.is_ipv6();

        // RFC 791 §3.2 / RFC 8200 §4.5: the last fragment fixes the payload
        // length; fragments that contradict it mean the datagram is corrupt
        // (Linux ip_frag_queue: "discard_qp").
        if !fragment.more_fragments {
            match a.total {
                Some(total) if total != end => {
                    return Err(Abandon(ReassemblyError::ConflictingEnd))
                }
                None if end < a.max_end => return Err(Abandon(ReassemblyError::ConflictingEnd)),
                _ => {}
            }
        } else if a.total.is_some_and(|total| end > total) {
            return Err(Abandon(ReassemblyError::BeyondEnd));
        }

        // The header of the offset-0 fragment fixes where the payload starts.
        let new_first = offset == 0 && !a.have_first;
        let base = if new_first {
            fragment.header.len()
        } else {
            a.base
        };
        let reach = end.max(a.max_end);
        if new_first && reach > config.max_end(&fragment.key, base) {
            return Err(Abandon(ReassemblyError::TooLong));
        }
        if base.saturating_add(reach) > data_len {
            return Err(Abandon(ReassemblyError::TooBigForSlot));
        }

        let (data, bits) = self.split();

        // Which of the fragment's 8-byte blocks are already here.
        let first_block = offset / 8;
        let end_block = end.div_ceil(8);
        let present = (first_block..end_block).filter(|&b| bit(bits, b)).count();
        let blocks = end_block - first_block;
        if present > 0 && present == blocks {
            // Everything is already here: a duplicate (for IPv4, whatever its
            // bytes: the first-received ones are kept).
            if is_v6 {
                // RFC 8200 §4.5: only an *exact* duplicate may be dropped
                // alone; different bytes over the same range are an overlap.
                let held = data.get(a.base + offset..a.base + end);
                if held != Some(fragment.payload) {
                    return Err(Abandon(ReassemblyError::Overlap));
                }
            }
            if !fragment.more_fragments {
                // Even so it may be what says where the datagram ends (its
                // bytes came with a longer fragment), and so complete it.
                a.total = Some(end);
            }
            return Ok(self.settle(a));
        }
        if present > 0 && is_v6 {
            // RFC 5722 §4: overlapping fragments abandon the whole packet.
            return Err(Abandon(ReassemblyError::Overlap));
        }

        if new_first {
            // Move what arrived before fragment zero behind its real header,
            // then put the header in front.
            // Both ranges lie in the data area: `a.base + a.max_end` was
            // checked when that data came, `base + reach` just above.
            let fits = a.base + a.max_end <= data.len() && base + a.max_end <= data.len();
            if base != a.base && a.max_end > 0 && fits {
                data.copy_within(a.base..a.base + a.max_end, base);
            }
            if let Some(dst) = data.get_mut(..base) {
                dst.copy_from_slice(fragment.header);
            }
            a.base = base;
            a.have_first = true;
            a.first_len = fragment.payload.len();
        }

        // Fill the missing blocks only: IPv4 keeps the bytes received first.
        let mut block = first_block;
        while block < end_block {
            if bit(bits, block) {
                block += 1;
                continue;
            }
            let run_start = block;
            while block < end_block && !bit(bits, block) {
                set_bit(bits, block);
                block += 1;
            }
            let from = (run_start * 8).max(offset);
            let to = (block * 8).min(end);
            let src = fragment.payload.get(from - offset..to - offset);
            let dst = data.get_mut(a.base + from..a.base + to);
            if let (Some(src), Some(dst)) = (src, dst) {
                dst.copy_from_slice(src);
            }
            a.received += to - from;
        }

        a.max_end = reach;
        if !fragment.more_fragments {
            a.total = Some(end);
        }
        Ok(self.settle(a))
    }

    /// Stores the progress; true (and marked done) when the datagram is
    /// complete: the header, the end, and every byte up to it are here.
    fn settle(&mut self, mut a: Assembly) -> bool {
        a.done = a.have_first && a.total == Some(a.received);
        self.state = Some(a);
        a.done
    }

    /// Rewrites an IPv4 header as that of the whole datagram (RFC 791 §3.2:
    /// the reassembled datagram has MF clear, offset zero, and a Total Length
    /// of header plus all data).
    pub(super) fn finish_ipv4_header(&mut self) {
        let Some(a) = self.state else { return };
        let Some(total) = a.total else { return };
        let (data, _) = self.split();
        let Some(header) = data.get_mut(..a.base) else {
            return;
        };
        if header.len() < crate::wire::ipv4::HEADER_LEN {
            return;
        }
        let Ok(total_len) = u16::try_from(a.base + total) else {
            return;
        };
        let mut packet = Ipv4Packet::new_unchecked(header);
        packet.set_total_len(total_len);
        packet.set_more_frags(false);
        packet.set_frag_offset(0);
        packet.fill_checksum();
    }

    /// The completed datagram.
    pub(super) fn reassembled(&self) -> Option<Reassembled<'_>> {
        let a = self.state?;
        let whole = self.data().get(..a.base + a.total?)?;
        let (header, payload) = whole.split_at_checked(a.base)?;
        Some(Reassembled {
            key: a.key,
            header,
            payload,
            whole,
        })
    }

    /// The quote for ICMP Time Exceeded, when fragment zero arrived.
    pub(super) fn first_fragment(&self) -> Option<&[u8]> {
        let a = self.state?;
        if !a.have_first {
            return None;
        }
        let data_len = match a.key {
            FragmentKey::V4 { .. } => a.first_len.min(ICMPV4_QUOTED_DATA),
            FragmentKey::V6 { .. } => a.first_len,
        };
        self.data().get(..a.base + data_len)
    }
}

/// A datagram to abandon, and why.
pub(super) struct Abandon(pub(super) ReassemblyError);

fn bit(bits: &[u8], block: usize) -> bool {
    bits.get(block / 8)
        .is_some_and(|byte| byte & (1 << (block % 8)) != 0)
}

fn set_bit(bits: &mut [u8], block: usize) {
    if let Some(byte) = bits.get_mut(block / 8) {
        *byte |= 1 << (block % 8);
    }
}
