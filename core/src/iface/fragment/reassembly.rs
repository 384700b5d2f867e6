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

use core::fmt;

use managed::ManagedSlice;

use super::FragmentKey;
use crate::time::{Duration, Instant};
use crate::wire::ipv4::Ipv4Packet;
use crate::wire::IpProtocol;

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

#[cfg(feature = "std")]
impl std::error::Error for ReassemblyError {}

/// What [`Reassembler::add`] does with the first fragment of a new datagram
/// when every slot is busy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum WhenFull {
    /// Abandon the datagram whose first fragment arrived earliest, and count
    /// it in [`Reassembler::evictions`].
    ///
    /// The default, as lwIP does (`ip_reass_remove_oldest_datagram`): the
    /// oldest incomplete datagram is the one most likely to have lost a
    /// fragment for good, while refusing would keep such a dead datagram for
    /// its whole timeout and turn away every new one meanwhile.
    #[default]
    EvictOldest,
    /// Drop the new fragment ([`ReassemblyError::NoFreeSlot`]), keeping the
    /// work already done (as Linux does above `ipfrag_high_thresh`).
    Refuse,
}

/// How the [`Reassembler`] behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ReassemblyConfig {
    /// How long an IPv4 datagram may take to complete, from its first
    /// fragment. Default 30 s, as Linux (`ipfrag_time`): RFC 791 §3.2
    /// suggests 15 s and RFC 1122 §3.3.2 60 to 120 s; 30 s bounds how long a
    /// slot stays taken by a datagram that lost a fragment.
    pub ipv4_timeout: Duration,
    /// How long an IPv6 packet may take to complete. Default 60 s, the most
    /// RFC 8200 §4.5 allows ("within 60 seconds … must be abandoned"), as Linux.
    pub ipv6_timeout: Duration,
    /// The longest reassembled payload accepted (EMTU_R minus the header, RFC
    /// 1122 §3.3.2), or `None` for the protocol's own limit: 65535 bytes
    /// minus the header for IPv4, a Payload Length of 65535 for IPv6.
    pub max_payload_len: Option<usize>,
    /// What to do when every slot is busy.
    pub when_full: WhenFull,
}

impl Default for ReassemblyConfig {
    fn default() -> Self {
        ReassemblyConfig {
            ipv4_timeout: Duration::from_secs(30),
            ipv6_timeout: Duration::from_secs(60),
            max_payload_len: None,
            when_full: WhenFull::default(),
        }
    }
}

impl ReassemblyConfig {
    fn timeout(&self, key: &FragmentKey) -> Duration {
        match key {
            FragmentKey::V4 { .. } => self.ipv4_timeout,
            FragmentKey::V6 { .. } => self.ipv6_timeout,
        }
    }

    /// The largest payload end a datagram with this header may have.
    fn max_end(&self, key: &FragmentKey, header_len: usize) -> usize {
        let protocol = match key {
            // RFC 791 §3.1: Total Length counts the header.
            FragmentKey::V4 { .. } => IPV4_MAX_DATAGRAM.saturating_sub(header_len),
            // RFC 8200 §4.5: the reassembled Payload Length (which counts the
            // extension headers of the Unfragmentable Part but not the fixed
            // header, and loses the Fragment header) must not exceed 65535.
            FragmentKey::V6 { .. } => (IPV6_MAX_PAYLOAD + IPV6_FIXED_HEADER + IPV6_FRAGMENT_HEADER)
                .saturating_sub(header_len),
        };
        match self.max_payload_len {
            Some(limit) => protocol.min(limit),
            None => protocol,
        }
    }
}

/// The progress of one datagram in a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Assembly {
    key: FragmentKey,
    first_arrival: Instant,
    /// `first_arrival + timeout`: the instant it is abandoned.
    deadline: Instant,
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
    done: bool,
}

/// One datagram's worth of reassembly storage.
#[derive(Debug)]
pub struct ReassemblySlot<'a> {
    buffer: ManagedSlice<'a, u8>,
    /// Length of the data area; the bitmap follows it.
    data_len: usize,
    state: Option<Assembly>,
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
    const fn data_len_of(len: usize) -> usize {
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
    fn start(&mut self, now: Instant, fragment: &Fragment<'_>, timeout: Duration) {
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
    fn insert(
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
            if base != a.base && a.max_end > 0 {
                let from = a.base..a.base + a.max_end;
                data.copy_within(from, base);
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
    fn finish_ipv4_header(&mut self) {
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
    fn reassembled(&self) -> Option<Reassembled<'_>> {
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
    fn first_fragment(&self) -> Option<&[u8]> {
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
struct Abandon(ReassemblyError);

fn bit(bits: &[u8], block: usize) -> bool {
    bits.get(block / 8)
        .is_some_and(|byte| byte & (1 << (block % 8)) != 0)
}

fn set_bit(bits: &mut [u8], block: usize) {
    if let Some(byte) = bits.get_mut(block / 8) {
        *byte |= 1 << (block % 8);
    }
}

/// Puts fragments back together, in caller-provided [`ReassemblySlot`]s.
#[derive(Debug)]
pub struct Reassembler<'a> {
    slots: ManagedSlice<'a, ReassemblySlot<'a>>,
    config: ReassemblyConfig,
    evictions: u32,
}

impl<'a> Reassembler<'a> {
    /// A reassembler over `slots`, with the default [`ReassemblyConfig`].
    pub fn new(slots: impl Into<ManagedSlice<'a, ReassemblySlot<'a>>>) -> Self {
        Self::with_config(slots, ReassemblyConfig::default())
    }

    /// A reassembler over `slots` with the given configuration.
    pub fn with_config(
        slots: impl Into<ManagedSlice<'a, ReassemblySlot<'a>>>,
        config: ReassemblyConfig,
    ) -> Self {
        Reassembler {
            slots: slots.into(),
            config,
            evictions: 0,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &ReassemblyConfig {
        &self.config
    }

    /// Changes the configuration; datagrams in progress keep their deadline.
    pub fn set_config(&mut self, config: ReassemblyConfig) {
        self.config = config;
    }

    /// How many datagrams were abandoned to make room for a new one
    /// ([`WhenFull::EvictOldest`]), since creation (wrapping).
    pub fn evictions(&self) -> u32 {
        self.evictions
    }

    /// How many datagrams are in progress.
    pub fn in_progress(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| s.state.is_some_and(|a| !a.done))
            .count()
    }

    /// Frees the slot of a datagram returned by [`add`](Self::add) (which the
    /// next `add` or `expire` would free anyway).
    pub fn release(&mut self) {
        for slot in self.slots.iter_mut() {
            if slot.state.is_some_and(|a| a.done) {
                slot.state = None;
            }
        }
    }

    /// Files one fragment. Returns the datagram when this fragment completed
    /// it, `Ok(None)` while it is still incomplete (or the fragment was a
    /// duplicate).
    ///
    /// `now` starts the timer of a new datagram; an existing datagram is
    /// matched by key whatever the time, so call [`expire`](Self::expire)
    /// first in each poll.
    pub fn add(
        &mut self,
        now: Instant,
        fragment: Fragment<'_>,
    ) -> Result<Option<Reassembled<'_>>, ReassemblyError> {
        self.release();

        let offset = fragment.offset_bytes;
        if offset == 0 && !fragment.more_fragments {
            return Err(ReassemblyError::NotAFragment);
        }
        // RFC 791 §3.2: fragments but the last carry a multiple of 8 bytes,
        // and offsets count 8-byte units. RFC 8200 §4.5: "If the length of a
        // fragment … is not a multiple of 8 octets and the M flag of that
        // fragment is 1, then that fragment must be discarded".
        if offset % 8 != 0 || (fragment.more_fragments && fragment.payload.len() % 8 != 0) {
            return Err(ReassemblyError::Unaligned);
        }
        // RFC 791 §3.1 (Total Length) / RFC 8200 §4.5 ("would exceed 65,535
        // octets, then that fragment must be discarded").
        let end = offset
            .checked_add(fragment.payload.len())
            .ok_or(ReassemblyError::TooLong)?;
        if end > self.config.max_end(&fragment.key, fragment.header.len()) {
            return Err(ReassemblyError::TooLong);
        }

        let index = match self.find(&fragment.key) {
            Some(index) => index,
            None => {
                let index = self.allocate(fragment.header.len().saturating_add(end))?;
                let timeout = self.config.timeout(&fragment.key);
                if let Some(slot) = self.slots.get_mut(index) {
                    slot.start(now, &fragment, timeout);
                }
                net_trace!("reassembly: new datagram in slot {}", index);
                index
            }
        };

        let config = self.config;
        let Some(slot) = self.slots.get_mut(index) else {
            return Ok(None);
        };
        match slot.insert(&fragment, end, &config) {
            Ok(false) => Ok(None),
            Ok(true) => {
                if !fragment.key.is_ipv6() {
                    slot.finish_ipv4_header();
                }
                Ok(slot.reassembled())
            }
            Err(Abandon(error)) => {
                net_debug!("reassembly: datagram abandoned: {}", error.reason());
                slot.state = None;
                Err(error)
            }
        }
    }

    /// The slot holding the datagram `key`, if any.
    fn find(&self, key: &FragmentKey) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| s.state.is_some_and(|a| !a.done && a.key == *key))
    }

    /// A slot for a new datagram whose first-arriving fragment needs `need`
    /// bytes of data area: a free one, else (by policy) the oldest one.
    fn allocate(&mut self, need: usize) -> Result<usize, ReassemblyError> {
        if let Some(index) = self
            .slots
            .iter()
            .position(|s| s.state.is_none() && s.capacity() >= need)
        {
            return Ok(index);
        }
        if !self.slots.iter().any(|s| s.capacity() >= need) {
            return Err(ReassemblyError::TooBigForSlot);
        }
        if self.config.when_full == WhenFull::Refuse {
            return Err(ReassemblyError::NoFreeSlot);
        }
        let oldest = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.capacity() >= need)
            .filter_map(|(i, s)| s.state.map(|a| (a.first_arrival, i)))
            .min()
            .map(|(_, i)| i)
            .ok_or(ReassemblyError::NoFreeSlot)?;
        net_debug!("reassembly: all slots busy, evicting slot {}", oldest);
        if let Some(slot) = self.slots.get_mut(oldest) {
            slot.state = None;
        }
        self.evictions = self.evictions.wrapping_add(1);
        Ok(oldest)
    }

    /// When [`expire`](Self::expire) next has work: the earliest deadline of
    /// a datagram in progress.
    pub fn poll_at(&self) -> Option<Instant> {
        self.slots
            .iter()
            .filter_map(|s| s.state.filter(|a| !a.done).map(|a| a.deadline))
            .min()
    }

    /// Abandons every datagram whose deadline (`first arrival + timeout`) is
    /// at or before `now`, calling `f` for each so the interface can send
    /// ICMP Time Exceeded, code 1 (RFC 792), when
    /// [`Expired::first_fragment`] is `Some`.
    pub fn expire(&mut self, now: Instant, mut f: impl FnMut(Expired<'_>)) {
        self.release();
        for slot in self.slots.iter_mut() {
            let Some(a) = slot.state else { continue };
            if now < a.deadline {
                continue;
            }
            net_debug!("reassembly: datagram timed out");
            f(Expired {
                key: a.key,
                first_fragment: slot.first_fragment(),
            });
            slot.state = None;
        }
    }
}
