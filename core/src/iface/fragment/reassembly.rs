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

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::iface::fragment::fragments;
    use crate::wire::ipv4::Ipv4Repr;
    use crate::wire::{ChecksumMode, Ipv4Addr, Ipv6Addr};
    use std::vec;
    use std::vec::Vec;

    const SRC: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
    const SRC2: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);
    const DST: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 7);
    const SRC6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
    const DST6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2);

    fn key4(src: Ipv4Addr, ident: u16) -> FragmentKey {
        FragmentKey::V4 {
            src,
            dst: DST,
            ident,
            protocol: IpProtocol::Udp,
        }
    }

    fn key6(ident: u32) -> FragmentKey {
        FragmentKey::V6 {
            src: SRC6,
            dst: DST6,
            ident,
        }
    }

    /// An IPv4 fragment header with `options` (already padded to 4 bytes).
    fn header4(src: Ipv4Addr, ident: u16, offset: usize, more: bool, len: usize) -> Vec<u8> {
        header4_opts(src, ident, offset, more, len, &[])
    }

    fn header4_opts(
        src: Ipv4Addr,
        ident: u16,
        offset: usize,
        more: bool,
        len: usize,
        options: &[u8],
    ) -> Vec<u8> {
        let mut h = vec![0u8; 20 + options.len()];
        let repr = Ipv4Repr {
            src_addr: src,
            dst_addr: DST,
            next_header: IpProtocol::Udp,
            payload_len: len + options.len(),
            hop_limit: 64,
            dscp: 0,
            ecn: 0,
            ident,
            dont_frag: false,
            more_frags: more,
            frag_offset: offset as u16,
        };
        let mut p = Ipv4Packet::new_unchecked(&mut h[..]);
        repr.emit(&mut p, ChecksumMode::Skip);
        p.set_header_len(20 + options.len());
        p.options_mut().copy_from_slice(options);
        p.fill_checksum();
        h
    }

    /// An IPv6 header, then a Fragment header (Next Header UDP).
    fn header6(ident: u32, offset: usize, more: bool) -> Vec<u8> {
        let mut h = vec![0u8; 48];
        h[0] = 0x60;
        h[6] = 44; // Next Header: Fragment
        h[7] = 64;
        h[8..24].copy_from_slice(&SRC6.octets());
        h[24..40].copy_from_slice(&DST6.octets());
        h[40] = 17; // Fragment header's Next Header: UDP
        let off = (offset as u16) | u16::from(more);
        h[42..44].copy_from_slice(&off.to_be_bytes());
        h[44..48].copy_from_slice(&ident.to_be_bytes());
        h
    }

    fn data(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(7).wrapping_add(seed))
            .collect()
    }

    type Out = Result<Option<(Vec<u8>, Vec<u8>)>, ReassemblyError>;

    /// `add` with the result copied out of the slot.
    fn add(
        r: &mut Reassembler<'_>,
        now: Instant,
        key: FragmentKey,
        header: &[u8],
        offset: usize,
        more: bool,
        payload: &[u8],
    ) -> Out {
        r.add(
            now,
            Fragment {
                key,
                offset_bytes: offset,
                more_fragments: more,
                header,
                payload,
            },
        )
        .map(|o| o.map(|d| (d.header.to_vec(), d.payload.to_vec())))
    }

    /// Adds one piece of an IPv4 datagram from SRC, `ident`.
    fn add4(
        r: &mut Reassembler<'_>,
        now: Instant,
        ident: u16,
        whole: &[u8],
        at: (usize, usize, bool),
    ) -> Out {
        let (offset, len, more) = at;
        let h = header4(SRC, ident, offset, more, len);
        add(
            r,
            now,
            key4(SRC, ident),
            &h,
            offset,
            more,
            &whole[offset..offset + len],
        )
    }

    fn add6(
        r: &mut Reassembler<'_>,
        now: Instant,
        ident: u32,
        whole: &[u8],
        at: (usize, usize, bool),
    ) -> Out {
        let (offset, len, more) = at;
        let h = header6(ident, offset, more);
        add(
            r,
            now,
            key6(ident),
            &h,
            offset,
            more,
            &whole[offset..offset + len],
        )
    }

    fn with<R>(
        slots: usize,
        size: usize,
        config: ReassemblyConfig,
        f: impl FnOnce(&mut Reassembler<'_>) -> R,
    ) -> R {
        let mut bufs: Vec<Vec<u8>> = (0..slots).map(|_| vec![0; size]).collect();
        let mut slots: Vec<ReassemblySlot<'_>> = bufs
            .iter_mut()
            .map(|b| ReassemblySlot::new(&mut b[..]))
            .collect();
        let mut r = Reassembler::with_config(&mut slots[..], config);
        f(&mut r)
    }

    fn plan(len: usize, max: usize) -> Vec<(usize, usize, bool)> {
        fragments(len, max)
            .map(|p| (p.offset, p.len, p.more))
            .collect()
    }

    const T0: Instant = Instant::from_secs(100);

    /// RFC 791 §3.2: the reassembled header is the offset-0 fragment's, with
    /// MF clear, offset 0 and the whole Total Length.
    fn check_v4_whole(header: &[u8], payload: &[u8], whole: &[u8]) {
        assert_eq!(payload, whole);
        let mut datagram = header.to_vec();
        datagram.extend_from_slice(payload);
        let p = Ipv4Packet::new_checked(&datagram[..]).unwrap();
        let repr = Ipv4Repr::parse(&p, ChecksumMode::Check).unwrap();
        assert_eq!(repr.payload_len, whole.len());
        assert!(!repr.more_frags);
        assert_eq!(repr.frag_offset, 0);
        assert_eq!(repr.ident, 7);
        assert_eq!(p.payload(), whole);
    }

    #[test]
    fn v4_in_order_completes_on_last_fragment() {
        let whole = data(100, 1);
        with(1, 512, ReassemblyConfig::default(), |r| {
            let pieces = plan(whole.len(), 24);
            assert_eq!(pieces.len(), 5);
            for &p in &pieces[..4] {
                assert_eq!(add4(r, T0, 7, &whole, p), Ok(None));
                assert_eq!(r.in_progress(), 1);
            }
            let (h, d) = add4(r, T0, 7, &whole, pieces[4]).unwrap().unwrap();
            check_v4_whole(&h, &d, &whole);
            // The slot is lent until the next call, then free.
            assert_eq!(r.in_progress(), 0);
            assert_eq!(r.poll_at(), None);
        });
    }

    #[test]
    fn v4_reassembled_datagram_is_contiguous_and_names_protocol() {
        let whole = data(40, 9);
        with(1, 512, ReassemblyConfig::default(), |r| {
            add4(r, T0, 7, &whole, (24, 16, false)).unwrap();
            let h = header4(SRC, 7, 0, true, 24);
            let out = r
                .add(
                    T0,
                    Fragment {
                        key: key4(SRC, 7),
                        offset_bytes: 0,
                        more_fragments: true,
                        header: &h,
                        payload: &whole[..24],
                    },
                )
                .unwrap()
                .unwrap();
            assert_eq!(out.next_header(), Some(IpProtocol::Udp));
            assert_eq!(out.datagram().len(), 60);
            assert_eq!(&out.datagram()[20..], &whole[..]);
            assert_eq!(&out.datagram()[..20], out.header);
        });
    }

    #[test]
    fn v4_reverse_order_completes_on_fragment_zero() {
        let whole = data(1000, 2);
        with(1, 2048, ReassemblyConfig::default(), |r| {
            let pieces = plan(whole.len(), 200);
            let (last, rest) = pieces.split_first().unwrap();
            for &p in rest.iter().rev() {
                assert_eq!(add4(r, T0, 7, &whole, p), Ok(None));
            }
            let (h, d) = add4(r, T0, 7, &whole, *last).unwrap().unwrap();
            check_v4_whole(&h, &d, &whole);
        });
    }

    fn permutations(n: usize) -> Vec<Vec<usize>> {
        if n == 0 {
            return vec![vec![]];
        }
        let mut out = Vec::new();
        for p in permutations(n - 1) {
            for i in 0..=p.len() {
                let mut q = p.clone();
                q.insert(i, n - 1);
                out.push(q);
            }
        }
        out
    }

    #[test]
    fn v4_every_permutation_of_five_fragments_completes_exactly_once() {
        let whole = data(77, 3); // 16+16+16+16+13
        let pieces = plan(whole.len(), 16);
        assert_eq!(pieces.len(), 5);
        let orders = permutations(5);
        assert_eq!(orders.len(), 120);
        with(1, 256, ReassemblyConfig::default(), |r| {
            for order in &orders {
                for (i, &k) in order.iter().enumerate() {
                    let out = add4(r, T0, 7, &whole, pieces[k]).unwrap();
                    if i < 4 {
                        assert_eq!(out, None, "order {order:?} completed early");
                    } else {
                        let (h, d) = out.expect("complete after all five");
                        check_v4_whole(&h, &d, &whole);
                    }
                }
            }
        });
    }

    #[test]
    fn v6_every_permutation_of_five_fragments_completes_exactly_once() {
        let whole = data(77, 4);
        let pieces = plan(whole.len(), 16);
        with(1, 256, ReassemblyConfig::default(), |r| {
            for order in permutations(5) {
                for (i, &k) in order.iter().enumerate() {
                    let out = add6(r, T0, 0xdead_beef, &whole, pieces[k]).unwrap();
                    if i < 4 {
                        assert_eq!(out, None);
                    } else {
                        let (h, d) = out.unwrap();
                        assert_eq!(d, whole);
                        // The offset-0 fragment's header, as received.
                        assert_eq!(h, header6(0xdead_beef, 0, true));
                    }
                }
            }
        });
    }

    #[test]
    fn v6_reassembled_names_protocol_from_first_fragment_header() {
        let whole = data(24, 4);
        with(1, 256, ReassemblyConfig::default(), |r| {
            add6(r, T0, 5, &whole, (16, 8, false)).unwrap();
            let h = header6(5, 0, true);
            let out = r
                .add(
                    T0,
                    Fragment {
                        key: key6(5),
                        offset_bytes: 0,
                        more_fragments: true,
                        header: &h,
                        payload: &whole[..16],
                    },
                )
                .unwrap()
                .unwrap();
            assert_eq!(out.next_header(), Some(IpProtocol::Udp));
            assert_eq!(out.payload, &whole[..]);
        });
    }

    #[test]
    fn exact_duplicates_are_dropped_alone_v4_and_v6() {
        let whole = data(48, 5);
        let pieces = plan(whole.len(), 16);
        with(1, 256, ReassemblyConfig::default(), |r| {
            assert_eq!(add4(r, T0, 7, &whole, pieces[1]), Ok(None));
            assert_eq!(add4(r, T0, 7, &whole, pieces[1]), Ok(None));
            assert_eq!(add4(r, T0, 7, &whole, pieces[0]), Ok(None));
            assert_eq!(add4(r, T0, 7, &whole, pieces[0]), Ok(None));
            assert_eq!(add4(r, T0, 7, &whole, pieces[1]), Ok(None));
            let (h, d) = add4(r, T0, 7, &whole, pieces[2]).unwrap().unwrap();
            check_v4_whole(&h, &d, &whole);

            // RFC 8200 §4.5: exact duplicates need not abandon the packet.
            assert_eq!(add6(r, T0, 9, &whole, pieces[2]), Ok(None));
            assert_eq!(add6(r, T0, 9, &whole, pieces[2]), Ok(None));
            assert_eq!(add6(r, T0, 9, &whole, pieces[0]), Ok(None));
            assert_eq!(add6(r, T0, 9, &whole, pieces[0]), Ok(None));
            let (_, d) = add6(r, T0, 9, &whole, pieces[1]).unwrap().unwrap();
            assert_eq!(d, whole);
        });
    }

    #[test]
    fn v4_overlap_keeps_first_received_bytes_both_ways() {
        // A fragment over the head of an earlier one, then one over its tail:
        // RFC 1858 §4: a later fragment must not rewrite accepted bytes.
        let a = [0xaau8; 16];
        let b = [0xbbu8; 16];
        let c = [0xccu8; 16];
        let tail = [0xddu8; 5];
        with(1, 256, ReassemblyConfig::default(), |r| {
            let k = key4(SRC, 7);
            let h0 = header4(SRC, 7, 0, true, 16);
            let hx = header4(SRC, 7, 8, true, 16);
            assert_eq!(add(r, T0, k, &hx, 8, true, &a), Ok(None)); // [8,24) = A
            assert_eq!(add(r, T0, k, &h0, 0, true, &b), Ok(None)); // [0,16): only [0,8) new
            assert_eq!(add(r, T0, k, &hx, 16, true, &c), Ok(None)); // [16,32): only [24,32) new
            let (_, d) = add(r, T0, k, &hx, 32, false, &tail).unwrap().unwrap();
            let mut want = Vec::new();
            want.extend_from_slice(&[0xbb; 8]);
            want.extend_from_slice(&[0xaa; 16]);
            want.extend_from_slice(&[0xcc; 8]);
            want.extend_from_slice(&tail);
            assert_eq!(d, want);

            // The other way round: the wide fragment first, narrower ones
            // inside it later are covered and change nothing.
            assert_eq!(add(r, T0, k, &h0, 0, true, &[0x11; 32]), Ok(None));
            assert_eq!(add(r, T0, k, &hx, 8, true, &[0x22; 16]), Ok(None));
            assert_eq!(add(r, T0, k, &hx, 24, true, &[0x33; 16]), Ok(None)); // [32,40) new
            let (_, d) = add(r, T0, k, &hx, 40, false, &[0x44; 3]).unwrap().unwrap();
            let mut want = vec![0x11; 32];
            want.extend_from_slice(&[0x33; 8]);
            want.extend_from_slice(&[0x44; 3]);
            assert_eq!(d, want);
        });
    }

    #[test]
    fn v6_overlap_abandons_whole_datagram_rfc5722() {
        let whole = data(64, 6);
        with(1, 256, ReassemblyConfig::default(), |r| {
            // Overlapping the head of what is there.
            assert_eq!(add6(r, T0, 1, &whole, (16, 16, true)), Ok(None));
            assert_eq!(
                add6(r, T0, 1, &whole, (8, 16, true)),
                Err(ReassemblyError::Overlap)
            );
            assert_eq!(r.in_progress(), 0);
            assert_eq!(r.poll_at(), None);
            // What follows starts afresh and cannot complete on its own.
            assert_eq!(add6(r, T0, 1, &whole, (0, 16, true)), Ok(None));
            assert_eq!(add6(r, T0, 1, &whole, (32, 32, false)), Ok(None));
            assert_eq!(r.in_progress(), 1);
            // Overlapping the tail of what is there.
            assert_eq!(
                add6(r, T0, 1, &whole, (8, 16, true)),
                Err(ReassemblyError::Overlap)
            );
            assert_eq!(r.in_progress(), 0);

            // Same range, different bytes: not an exact duplicate.
            assert_eq!(add6(r, T0, 2, &whole, (0, 16, true)), Ok(None));
            let h = header6(2, 0, true);
            assert_eq!(
                add(r, T0, key6(2), &h, 0, true, &[0u8; 16]),
                Err(ReassemblyError::Overlap)
            );
            assert_eq!(r.in_progress(), 0);
        });
    }

    #[test]
    fn gaps_never_complete() {
        let whole = data(64, 7);
        with(2, 256, ReassemblyConfig::default(), |r| {
            assert_eq!(add4(r, T0, 7, &whole, (0, 16, true)), Ok(None));
            assert_eq!(add4(r, T0, 7, &whole, (32, 32, false)), Ok(None));
            assert_eq!(add4(r, T0, 7, &whole, (16, 8, true)), Ok(None));
            // [24, 32) still missing: no amount of repeating completes it.
            for _ in 0..3 {
                assert_eq!(add4(r, T0, 7, &whole, (0, 16, true)), Ok(None));
                assert_eq!(add4(r, T0, 7, &whole, (32, 32, false)), Ok(None));
            }
            assert_eq!(r.in_progress(), 1);
            // Fragment zero missing: never complete either.
            assert_eq!(add4(r, T0, 8, &whole, (16, 16, true)), Ok(None));
            assert_eq!(add4(r, T0, 8, &whole, (32, 32, false)), Ok(None));
            assert_eq!(r.in_progress(), 2);
            assert_eq!(
                add4(r, T0, 7, &whole, (24, 8, true)).unwrap().unwrap().1,
                whole
            );
        });
    }

    fn expired(r: &mut Reassembler<'_>, now: Instant) -> Vec<(FragmentKey, Option<Vec<u8>>)> {
        let mut out = Vec::new();
        r.expire(now, |e| {
            out.push((e.key, e.first_fragment.map(|f| f.to_vec())))
        });
        out
    }

    #[test]
    fn v4_timeout_at_exactly_first_arrival_plus_30s_with_fragment_zero() {
        let whole = data(64, 8);
        with(2, 256, ReassemblyConfig::default(), |r| {
            assert_eq!(add4(r, T0, 7, &whole, (0, 16, true)), Ok(None));
            // A later fragment does not restart the timer (RFC 791 §3.2 runs
            // it from the first-arriving fragment).
            let later = T0 + Duration::from_secs(10);
            assert_eq!(add4(r, later, 7, &whole, (32, 32, false)), Ok(None));
            let deadline = T0 + Duration::from_secs(30);
            assert_eq!(r.poll_at(), Some(deadline));
            assert!(expired(r, deadline - Duration::from_micros(1)).is_empty());
            assert_eq!(r.in_progress(), 1);
            let out = expired(r, deadline);
            assert_eq!(out.len(), 1);
            assert_eq!(out[0].0, key4(SRC, 7));
            // RFC 792: the header plus the first 64 bits of data.
            let mut quote = header4(SRC, 7, 0, true, 16);
            quote.extend_from_slice(&whole[..8]);
            assert_eq!(out[0].1.as_deref(), Some(&quote[..]));
            assert_eq!(r.in_progress(), 0);
            assert_eq!(r.poll_at(), None);
            assert!(expired(r, deadline + Duration::from_micros(1)).is_empty());
        });
    }

    #[test]
    fn timeout_without_fragment_zero_reports_no_quote() {
        let whole = data(64, 8);
        with(2, 256, ReassemblyConfig::default(), |r| {
            assert_eq!(add4(r, T0, 7, &whole, (16, 16, true)), Ok(None));
            let deadline = T0 + Duration::from_secs(30);
            assert!(expired(r, deadline - Duration::from_micros(1)).is_empty());
            // RFC 1122 §3.3.2: no ICMP error unless fragment zero arrived.
            assert_eq!(expired(r, deadline), vec![(key4(SRC, 7), None)]);
        });
    }

    #[test]
    fn v6_timeout_at_exactly_60s_quotes_whole_first_fragment() {
        let whole = data(64, 8);
        with(2, 256, ReassemblyConfig::default(), |r| {
            assert_eq!(add6(r, T0, 3, &whole, (24, 8, true)), Ok(None));
            let t1 = T0 + Duration::from_secs(1);
            assert_eq!(add4(r, t1, 7, &whole, (24, 8, true)), Ok(None));
            assert_eq!(add6(r, t1, 3, &whole, (0, 24, true)), Ok(None));
            // The IPv4 datagram (30 s) is due first.
            assert_eq!(r.poll_at(), Some(t1 + Duration::from_secs(30)));
            assert_eq!(expired(r, t1 + Duration::from_secs(30)).len(), 1);
            let deadline = T0 + Duration::from_secs(60);
            assert_eq!(r.poll_at(), Some(deadline));
            assert!(expired(r, deadline - Duration::from_micros(1)).is_empty());
            let mut quote = header6(3, 0, true);
            quote.extend_from_slice(&whole[..24]);
            assert_eq!(expired(r, deadline), vec![(key6(3), Some(quote))]);
        });
    }

    #[test]
    fn configured_timeout_is_used() {
        let config = ReassemblyConfig {
            ipv4_timeout: Duration::from_secs(15), // RFC 791's suggestion
            ..ReassemblyConfig::default()
        };
        let whole = data(64, 8);
        with(1, 256, config, |r| {
            assert_eq!(add4(r, T0, 7, &whole, (16, 16, true)), Ok(None));
            assert_eq!(r.poll_at(), Some(T0 + Duration::from_secs(15)));
        });
    }

    #[test]
    fn full_slots_evict_the_oldest_and_count_it() {
        let whole = data(32, 9);
        with(2, 256, ReassemblyConfig::default(), |r| {
            let t1 = T0 + Duration::from_millis(1);
            let t2 = T0 + Duration::from_millis(2);
            assert_eq!(add4(r, t1, 1, &whole, (0, 16, true)), Ok(None));
            assert_eq!(add4(r, T0, 2, &whole, (0, 16, true)), Ok(None)); // oldest
            assert_eq!(r.evictions(), 0);
            assert_eq!(add4(r, t2, 3, &whole, (0, 16, true)), Ok(None));
            assert_eq!(r.evictions(), 1);
            assert_eq!(r.in_progress(), 2);
            // Datagram 2 lost its first half: its last fragment evicts the
            // next oldest (1) and never completes.
            assert_eq!(add4(r, t2, 2, &whole, (16, 16, false)), Ok(None));
            assert_eq!(r.evictions(), 2);
            assert_eq!(
                add4(r, t2, 3, &whole, (16, 16, false)).unwrap().unwrap().1,
                whole
            );
        });
    }

    #[test]
    fn full_slots_refuse_when_configured() {
        let config = ReassemblyConfig {
            when_full: WhenFull::Refuse,
            ..ReassemblyConfig::default()
        };
        let whole = data(32, 9);
        with(1, 256, config, |r| {
            assert_eq!(add4(r, T0, 1, &whole, (0, 16, true)), Ok(None));
            assert_eq!(
                add4(r, T0, 2, &whole, (0, 16, true)),
                Err(ReassemblyError::NoFreeSlot)
            );
            assert_eq!(r.evictions(), 0);
            assert_eq!(
                add4(r, T0, 1, &whole, (16, 16, false)).unwrap().unwrap().1,
                whole
            );
            // Once done, the slot serves the next datagram.
            assert_eq!(add4(r, T0, 2, &whole, (0, 16, true)), Ok(None));
        });
    }

    #[test]
    fn more_fragments_with_length_not_multiple_of_8_is_rejected() {
        let whole = data(64, 10);
        with(1, 256, ReassemblyConfig::default(), |r| {
            // RFC 8200 §4.5 / RFC 791 §3.2.
            assert_eq!(
                add4(r, T0, 7, &whole, (0, 12, true)),
                Err(ReassemblyError::Unaligned)
            );
            assert_eq!(
                add6(r, T0, 7, &whole, (8, 20, true)),
                Err(ReassemblyError::Unaligned)
            );
            let h = header4(SRC, 7, 0, true, 8);
            assert_eq!(
                add(r, T0, key4(SRC, 7), &h, 4, true, &whole[..8]),
                Err(ReassemblyError::Unaligned)
            );
            assert_eq!(r.in_progress(), 0);
            // Only the last fragment may have any length.
            assert_eq!(add4(r, T0, 7, &whole, (48, 13, false)), Ok(None));
        });
    }

    #[test]
    fn fragment_past_65535_is_rejected() {
        let big = vec![0x5a; 65600];
        with(1, 256, ReassemblyConfig::default(), |r| {
            // IPv4: 20-byte header + payload end must stay within 65535.
            assert_eq!(
                add4(r, T0, 7, &big, (65512, 8, true)),
                Err(ReassemblyError::TooLong)
            );
            assert_eq!(
                add4(r, T0, 7, &big, (65512, 4, false)),
                Err(ReassemblyError::TooLong)
            );
            assert_eq!(
                add4(r, T0, 7, &big, (65512, 3, false)),
                Err(ReassemblyError::TooBigForSlot),
                "65535 exactly is legal, only too big for this slot"
            );
            // IPv6: Payload Length (without the Fragment header) ≤ 65535.
            assert_eq!(
                add6(r, T0, 7, &big, (65528, 8, false)),
                Err(ReassemblyError::TooLong)
            );
            assert_eq!(
                add6(r, T0, 7, &big, (65528, 7, false)),
                Err(ReassemblyError::TooBigForSlot)
            );
            let h = header4(SRC, 7, 0, true, 8);
            assert_eq!(
                add(r, T0, key4(SRC, 7), &h, usize::MAX & !7, false, &[1]),
                Err(ReassemblyError::TooLong)
            );
            assert_eq!(r.in_progress(), 0);
        });
    }

    #[test]
    fn largest_ipv4_datagram_fits_a_buffer_len_for_65535() {
        let whole = data(65515, 11);
        let size = ReassemblySlot::buffer_len_for(65535);
        with(1, size, ReassemblyConfig::default(), |r| {
            let pieces = plan(whole.len(), 1480);
            let (last, rest) = pieces.split_last().unwrap();
            for &p in rest.iter().rev() {
                assert_eq!(add4(r, T0, 7, &whole, p), Ok(None));
            }
            let (h, d) = add4(r, T0, 7, &whole, *last).unwrap().unwrap();
            check_v4_whole(&h, &d, &whole);
        });
        // One byte less of buffer and it no longer fits.
        with(1, size - 1, ReassemblyConfig::default(), |r| {
            let err = plan(whole.len(), 1480)
                .into_iter()
                .map(|p| add4(r, T0, 7, &whole, p))
                .find(|o| o.is_err());
            assert_eq!(err, Some(Err(ReassemblyError::TooBigForSlot)));
        });
    }

    #[test]
    fn buffer_len_for_leaves_room_for_the_bitmap() {
        for n in (0..70_000).step_by(7) {
            let len = ReassemblySlot::buffer_len_for(n);
            let data_len = ReassemblySlot::data_len_of(len);
            assert!(data_len >= n, "n {n}");
            assert!(data_len.div_ceil(8) <= 8 * (len - data_len), "n {n}");
        }
        let max = ReassemblySlot::data_len_of(ReassemblySlot::MAX_BUFFER_LEN);
        assert!(max >= 65535 + 48);
    }

    #[test]
    fn max_payload_len_is_enforced() {
        let config = ReassemblyConfig {
            max_payload_len: Some(576),
            ..ReassemblyConfig::default()
        };
        let whole = data(600, 12);
        with(1, 2048, config, |r| {
            assert_eq!(add4(r, T0, 7, &whole, (568, 8, true)), Ok(None));
            assert_eq!(
                add4(r, T0, 7, &whole, (576, 8, false)),
                Err(ReassemblyError::TooLong)
            );
            assert_eq!(r.in_progress(), 1);
        });
    }

    #[test]
    fn conflicting_last_fragment_abandons_datagram() {
        let whole = data(64, 13);
        with(1, 256, ReassemblyConfig::default(), |r| {
            assert_eq!(add4(r, T0, 7, &whole, (16, 16, true)), Ok(None));
            assert_eq!(add4(r, T0, 7, &whole, (32, 16, false)), Ok(None));
            assert_eq!(
                add4(r, T0, 7, &whole, (32, 24, false)),
                Err(ReassemblyError::ConflictingEnd)
            );
            assert_eq!(r.in_progress(), 0);
            // A last fragment ending before data already received.
            assert_eq!(add4(r, T0, 7, &whole, (32, 16, true)), Ok(None));
            assert_eq!(
                add4(r, T0, 7, &whole, (16, 8, false)),
                Err(ReassemblyError::ConflictingEnd)
            );
            assert_eq!(r.in_progress(), 0);
        });
    }

    #[test]
    fn fragment_beyond_known_end_abandons_datagram() {
        let whole = data(64, 14);
        with(1, 256, ReassemblyConfig::default(), |r| {
            assert_eq!(add6(r, T0, 7, &whole, (16, 13, false)), Ok(None));
            assert_eq!(
                add6(r, T0, 7, &whole, (24, 8, true)),
                Err(ReassemblyError::BeyondEnd)
            );
            assert_eq!(r.in_progress(), 0);
        });
    }

    #[test]
    fn too_big_for_slot_refuses_new_and_abandons_existing() {
        let whole = data(512, 15);
        // 130 bytes: 2 of bitmap, 128 of data.
        with(1, 130, ReassemblyConfig::default(), |r| {
            assert_eq!(r.slots[0].capacity(), 128);
            assert_eq!(
                add4(r, T0, 7, &whole, (104, 8, true)),
                Err(ReassemblyError::TooBigForSlot)
            );
            assert_eq!(r.in_progress(), 0);
            assert_eq!(add4(r, T0, 7, &whole, (96, 8, true)), Ok(None)); // 20 + 104 ≤ 128
            assert_eq!(
                add4(r, T0, 7, &whole, (104, 8, false)),
                Err(ReassemblyError::TooBigForSlot)
            );
            assert_eq!(r.in_progress(), 0);
            // The header arriving last and longer than guessed can push the
            // data out of the slot too.
            assert_eq!(add4(r, T0, 7, &whole, (96, 8, false)), Ok(None));
            let h = header4_opts(SRC, 7, 0, true, 8, &[1, 1, 1, 0, 1, 1, 1, 0]);
            assert_eq!(
                add(r, T0, key4(SRC, 7), &h, 0, true, &whole[..8]),
                Err(ReassemblyError::TooBigForSlot)
            );
            assert_eq!(r.in_progress(), 0);
        });
    }

    #[test]
    fn interleaved_datagrams_from_two_sources_with_same_ident() {
        let one = data(64, 16);
        let two = data(64, 17);
        with(2, 256, ReassemblyConfig::default(), |r| {
            let pieces = plan(64, 16);
            let mut done = Vec::new();
            for &p in &pieces {
                for (src, whole) in [(SRC, &one), (SRC2, &two)] {
                    let (offset, len, more) = p;
                    let h = header4(src, 7, offset, more, len);
                    let k = key4(src, 7);
                    if let Some((_, d)) =
                        add(r, T0, k, &h, offset, more, &whole[offset..offset + len]).unwrap()
                    {
                        done.push((src, d));
                    }
                }
            }
            assert_eq!(done, vec![(SRC, one.clone()), (SRC2, two.clone())]);
        });
    }

    #[test]
    fn late_fragment_zero_with_other_header_length_moves_data() {
        let whole = data(64, 18);
        let opts = [0x94, 0x04, 0x00, 0x00]; // Router Alert (RFC 2113)
        with(1, 256, ReassemblyConfig::default(), |r| {
            // Longer header than the guess.
            assert_eq!(add4(r, T0, 7, &whole, (16, 32, true)), Ok(None));
            assert_eq!(add4(r, T0, 7, &whole, (48, 16, false)), Ok(None));
            let h = header4_opts(SRC, 7, 0, true, 16, &opts);
            let (hd, d) = add(r, T0, key4(SRC, 7), &h, 0, true, &whole[..16])
                .unwrap()
                .unwrap();
            assert_eq!(hd.len(), 24);
            assert_eq!(d, whole);
            check_v4_whole(&hd, &d, &whole);
        });
        with(1, 256, ReassemblyConfig::default(), |r| {
            // Shorter header than the guess (the first-arriving one had options).
            let h = header4_opts(SRC, 7, 16, true, 32, &opts);
            assert_eq!(
                add(r, T0, key4(SRC, 7), &h, 16, true, &whole[16..48]),
                Ok(None)
            );
            assert_eq!(add4(r, T0, 7, &whole, (48, 16, false)), Ok(None));
            let (hd, d) = add4(r, T0, 7, &whole, (0, 16, true)).unwrap().unwrap();
            assert_eq!(hd.len(), 20);
            check_v4_whole(&hd, &d, &whole);
        });
    }

    #[test]
    fn whole_datagram_is_not_a_fragment() {
        let whole = data(16, 19);
        with(1, 256, ReassemblyConfig::default(), |r| {
            assert_eq!(
                add4(r, T0, 7, &whole, (0, 16, false)),
                Err(ReassemblyError::NotAFragment)
            );
            // RFC 6946 §4: an atomic fragment does not touch a queue in progress.
            assert_eq!(add6(r, T0, 7, &whole, (8, 8, false)), Ok(None));
            assert_eq!(
                add6(r, T0, 7, &whole, (0, 16, false)),
                Err(ReassemblyError::NotAFragment)
            );
            assert_eq!(r.in_progress(), 1);
        });
    }

    #[test]
    fn release_frees_a_completed_slot_at_once() {
        let whole = data(32, 20);
        with(
            1,
            256,
            ReassemblyConfig {
                when_full: WhenFull::Refuse,
                ..Default::default()
            },
            |r| {
                assert_eq!(add4(r, T0, 1, &whole, (0, 16, true)), Ok(None));
                assert!(add4(r, T0, 1, &whole, (16, 16, false)).unwrap().is_some());
                assert!(!r.slots[0].is_free());
                r.release();
                assert!(r.slots[0].is_free());
                // expire also frees it, without reporting it.
                assert_eq!(add4(r, T0, 2, &whole, (0, 16, true)), Ok(None));
                assert!(add4(r, T0, 2, &whole, (16, 16, false)).unwrap().is_some());
                assert!(expired(r, T0 + Duration::from_secs(999)).is_empty());
                assert!(r.slots[0].is_free());
            },
        );
    }

    #[test]
    fn v4_last_fragment_inside_earlier_data_still_fixes_the_end() {
        // Its bytes came with a longer, earlier fragment (keep-first), but it
        // is what says the datagram ends at 16: that completes it.
        let whole = data(16, 21);
        with(1, 256, ReassemblyConfig::default(), |r| {
            assert_eq!(add4(r, T0, 7, &whole, (0, 16, true)), Ok(None));
            let (h, d) = add4(r, T0, 7, &whole, (8, 8, false)).unwrap().unwrap();
            check_v4_whole(&h, &d, &whole);
        });
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn owned_slots_from_vecs() {
        let slots = vec![
            ReassemblySlot::new(vec![0u8; 65535]),
            ReassemblySlot::new(vec![0u8; ReassemblySlot::MAX_BUFFER_LEN]),
        ];
        let mut r = Reassembler::new(slots);
        let whole = data(3000, 22);
        for p in plan(whole.len(), 1480) {
            let out = add4(&mut r, T0, 7, &whole, p).unwrap();
            assert_eq!(out.map(|o| o.1 == whole), (!p.2).then_some(true));
        }
    }

    #[test]
    fn error_reasons_are_distinct() {
        use ReassemblyError::*;
        let all = [
            NotAFragment,
            Unaligned,
            TooLong,
            ConflictingEnd,
            BeyondEnd,
            Overlap,
            TooBigForSlot,
            NoFreeSlot,
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a.reason(), b.reason());
            }
        }
    }
}
