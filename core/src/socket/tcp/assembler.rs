//! The receiver's map of out-of-order data, and the SACK blocks it reports
//! (RFC 9293 §3.10.7.4, RFC 2018 §4, RFC 2883).
//!
//! The socket writes each segment's bytes straight into its receive ring at
//! their place past `RCV.NXT` (`RingBuffer::write_unallocated`); the
//! [`Assembler`] only remembers *which* byte ranges are there. Offsets are
//! relative to the current front (`RCV.NXT`), stored as `u32` (no window
//! reaches 4 GiB, RFC 7323 §2.3).
//!
//! # How the socket drives it
//! 1. A data segment at `SEG.SEQ` is trimmed to the receive window (RFC 9293
//!    §3.10.7.4), then `offset = SEG.SEQ - RCV.NXT`; the bytes go into the ring
//!    at `offset`, and [`Assembler::add`]`(offset, len)` records them. On
//!    [`TooManyHoles`] the segment is dropped (not written, or written and
//!    forgotten: the ring space past `RCV.NXT` is unallocated anyway).
//! 2. [`Assembler::remove_front`] returns how many bytes are now contiguous
//!    from `RCV.NXT`: the socket commits them (`enqueue_unallocated(n)`) and
//!    advances `RCV.NXT` by `n`. The assembler has already shifted its other
//!    offsets by `n`.
//! 3. The ACK carries [`Assembler::report_blocks`] when SACK was negotiated,
//!    at most 3 with timestamps, 4 without (RFC 2018 §3: 40 option bytes),
//!    a D-SACK block first after a duplicate segment. When the segments
//!    processed since the last ACK touched more blocks than one ACK holds
//!    ([`Assembler::unreported`]), the socket sends more ACKs at once, each
//!    with the next ones, then calls [`Assembler::reported`].
//!
//! # Capacity
//! At most as many out-of-order ranges as there are range slots are held
//! ([`INLINE_RANGES`] in the assembler itself, or as many as the storage
//! lent to [`Assembler::with_storage`]), each preceded by a hole. Data at
//! offset 0 (in order) is always accepted, whatever the number of ranges:
//! refusing it could stall the connection forever. A segment that would
//! need one more out-of-order range than there are slots is refused
//! ([`TooManyHoles`]) rather than evicting a range already held, because the
//! held ranges have already been SACKed: dropping one would be *reneging*
//! (RFC 2018 §8), which the sender cannot see until its retransmission timer
//! fires (RFC 6675 §5.1), whereas a refused segment was never SACKed, so the
//! sender still treats it as missing and resends it through ordinary loss
//! recovery. Refusing also keeps a peer from churning the map with tiny
//! scattered segments.

use heapless::Vec;
use managed::ManagedSlice;

use crate::wire::tcp::{TcpSeqNumber, MAX_SACK_BLOCKS};

/// Out-of-order ranges an [`Assembler`] holds in its own (inline) storage,
/// when the socket's owner lends none ([`Assembler::with_storage`]).
pub const INLINE_RANGES: usize = 8;

/// One slot of an assembler's storage: an out-of-order range `(start, end)`
/// as offsets past `RCV.NXT`, end exclusive. Lend a slice of these (any
/// value) to [`Assembler::with_storage`]; 8 bytes each.
pub type RangeSlot = (u32, u32);

/// A segment was refused: keeping it would need more out-of-order ranges than
/// the assembler holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TooManyHoles;

impl core::fmt::Display for TooManyHoles {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("too many holes in the out-of-order data")
    }
}

impl core::error::Error for TooManyHoles {}

/// A SACK block in sequence space: `(left edge, right edge)`, the right edge
/// being one past the last byte (RFC 2018 §3).
pub type SackBlock = (TcpSeqNumber, TcpSeqNumber);

/// Where the ranges live: a few inline, or as many as the owner lent.
#[derive(Debug)]
enum Storage<'a> {
    Inline([RangeSlot; INLINE_RANGES]),
    Lent(ManagedSlice<'a, RangeSlot>),
}

impl Storage<'_> {
    fn slots(&self) -> &[RangeSlot] {
        match self {
            Storage::Inline(a) => a,
            Storage::Lent(s) => s,
        }
    }

    fn slots_mut(&mut self) -> &mut [RangeSlot] {
        match self {
            Storage::Inline(a) => a,
            Storage::Lent(s) => s,
        }
    }
}

/// The out-of-order map of a receive buffer, with at most as many holes as
/// it has range slots ([`INLINE_RANGES`], or the storage lent to it).
///
/// See the [module documentation](self) for how the socket uses it.
#[derive(Debug)]
pub struct Assembler<'a> {
    /// Bytes present contiguously from offset 0 that [`remove_front`] has not
    /// taken yet (in-order data, never refused).
    ///
    /// [`remove_front`]: Assembler::remove_front
    front: usize,
    /// Out-of-order ranges `(start, end)` in `storage[..len]`, end exclusive,
    /// sorted, disjoint, and separated from each other and from `front` by
    /// at least one missing byte (adjacent ranges are merged).
    storage: Storage<'a>,
    len: usize,
    /// One offset inside each of the most recently received segments, newest
    /// first, at most one per block (RFC 2018 §4: the first SACK block is the
    /// one holding the latest segment, then the most recently reported ones).
    recent: Vec<usize, RECENT>,
    /// How many entries at the head of `recent` no ACK has reported yet.
    fresh: usize,
}

/// Blocks remembered as recently received: enough for the few ACKs that
/// report a burst of segments processed before one transmission.
const RECENT: usize = 3 * MAX_SACK_BLOCKS;

impl Default for Assembler<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> Assembler<'a> {
    /// An empty map holding up to [`INLINE_RANGES`] ranges in itself.
    pub const fn new() -> Self {
        Assembler {
            front: 0,
            storage: Storage::Inline([(0, 0); INLINE_RANGES]),
            len: 0,
            recent: Vec::new(),
            fresh: 0,
        }
    }

    /// An empty map holding up to `storage.len()` ranges in the caller's
    /// memory (its contents do not matter). A receiver under loss holds
    /// about one range per lost segment in flight: a window of `W` bytes
    /// at loss rate `p` wants some `2·p·W/MSS` slots (Linux's out-of-order
    /// queue is bounded only by the receive buffer).
    pub fn with_storage(storage: impl Into<ManagedSlice<'a, RangeSlot>>) -> Self {
        Assembler {
            front: 0,
            storage: Storage::Lent(storage.into()),
            len: 0,
            recent: Vec::new(),
            fresh: 0,
        }
    }

    /// Moves the map into `storage` (see [`with_storage`]). The held ranges
    /// that fit, lowest first, are kept; any beyond are forgotten (the
    /// sender resends them), so lend storage before data arrives.
    ///
    /// [`with_storage`]: Assembler::with_storage
    pub fn set_storage(&mut self, storage: impl Into<ManagedSlice<'a, RangeSlot>>) {
        let mut next = Assembler::with_storage(storage);
        next.front = self.front;
        let keep = self.len.min(next.capacity());
        for (i, r) in self.held().take(keep).enumerate() {
            next.set(i, r);
        }
        next.len = keep;
        let last_kept = next.get(keep.wrapping_sub(1)).map_or(next.front, |r| r.1);
        next.recent = self
            .recent
            .iter()
            .copied()
            .filter(|&o| o < last_kept)
            .collect();
        *self = next;
    }

    /// How many out-of-order ranges (holes) it can hold.
    pub fn capacity(&self) -> usize {
        self.storage.slots().len()
    }

    /// Forgets everything (e.g. when the connection is reset); the storage
    /// stays.
    pub fn clear(&mut self) {
        self.front = 0;
        self.len = 0;
        self.recent.clear();
        self.fresh = 0;
    }

    /// Whether no byte past the front is held.
    pub fn is_empty(&self) -> bool {
        self.front == 0 && self.len == 0
    }

    /// The held out-of-order ranges, as `(start, end)` offsets.
    fn held(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.storage
            .slots()
            .iter()
            .take(self.len)
            .map(|&(s, e)| (s as usize, e as usize))
    }

    fn get(&self, i: usize) -> Option<(usize, usize)> {
        self.held().nth(i)
    }

    fn set(&mut self, i: usize, (s, e): (usize, usize)) {
        // Offsets were checked against u32 by `add`.
        if let Some(slot) = self.storage.slots_mut().get_mut(i) {
            *slot = (
                u32::try_from(s).unwrap_or(u32::MAX),
                u32::try_from(e).unwrap_or(u32::MAX),
            );
        }
    }

    /// Inserts `r` at `i`, shifting the later ranges up; false when full.
    fn insert_at(&mut self, i: usize, r: (usize, usize)) -> bool {
        let len = self.len;
        let slots = self.storage.slots_mut();
        if len >= slots.len() || i > len {
            return false;
        }
        slots.copy_within(i..len, i + 1);
        self.len += 1;
        self.set(i, r);
        true
    }

    /// Removes the ranges `i..j`, shifting the later ones down.
    fn remove_span(&mut self, i: usize, j: usize) {
        let len = self.len;
        if i >= j || j > len {
            return;
        }
        self.storage.slots_mut().copy_within(j..len, i);
        self.len -= j - i;
    }

    /// The held ranges as `(offset, len)`, in increasing order; the first one
    /// starts at offset 0 when in-order data has not been taken yet.
    pub fn ranges(&self) -> impl Iterator<Item = (usize, usize)> + '_ {
        let front = (self.front > 0).then_some((0, self.front));
        front
            .into_iter()
            .chain(self.held().map(|(s, e)| (s, e - s)))
    }

    /// Records that the `len` bytes at `offset` past the front are present.
    ///
    /// Overlapping and adjacent ranges are merged; a duplicate is accepted
    /// (and still counts as the most recent segment for SACK, RFC 2018 §4).
    /// `len == 0` does nothing.
    ///
    /// # Errors
    /// [`TooManyHoles`] when the bytes touch no held range and every range
    /// slot is taken, or when they lie past 4 GiB (no TCP window reaches
    /// that far, RFC 7323 §2.3); nothing is changed and the segment should
    /// be dropped (see the module documentation for why refusing beats
    /// evicting). Data at offset 0 is never refused.
    pub fn add(&mut self, offset: usize, len: usize) -> Result<(), TooManyHoles> {
        if len == 0 {
            return Ok(());
        }
        // The socket trims segments to the window, far below usize::MAX;
        // saturating keeps a nonsense call from wrapping.
        let end = offset.saturating_add(len);
        if offset <= self.front {
            // In order (or overlapping / touching the in-order run).
            self.front = self.front.max(end);
            self.absorb_into_front();
        } else {
            if u32::try_from(end).is_err() {
                return Err(TooManyHoles);
            }
            // First range that overlaps or touches [offset, end) or lies
            // after it; one past the last range that overlaps or touches it.
            // Both by binary search: the ranges are sorted and disjoint, and
            // a lent storage may hold hundreds.
            let held = self.storage.slots().get(..self.len).unwrap_or(&[]);
            let first = held.partition_point(|&(_, e)| (e as usize) < offset);
            let last = held.partition_point(|&(s, _)| (s as usize) <= end);
            if first >= last {
                // Touches nothing: a new range, so a new hole.
                if !self.insert_at(first, (offset, end)) {
                    net_trace!("tcp assembler: refusing {}+{}: too many holes", offset, len);
                    return Err(TooManyHoles);
                }
            } else {
                let start = self.get(first).map_or(offset, |r| r.0.min(offset));
                let stop = self.get(last - 1).map_or(end, |r| r.1.max(end));
                self.set(first, (start, stop));
                // Drop the ranges merged into `first`.
                self.remove_span(first + 1, last);
            }
        }
        self.record_recent(offset);
        Ok(())
    }

    /// Merges into `front` every range it now reaches.
    fn absorb_into_front(&mut self) {
        let front = self.front;
        let reached = self.held().take_while(|&(s, _)| s <= front).count();
        if let Some((_, e)) = reached.checked_sub(1).and_then(|i| self.get(i)) {
            self.front = self.front.max(e);
        }
        self.remove_span(0, reached);
    }

    /// Puts `offset` at the head of the recent list, dropping older entries
    /// in the same block (one entry per block) and the oldest when full.
    fn record_recent(&mut self, offset: usize) {
        // After a successful `add`, `offset` is inside a held block.
        let (start, end) = self
            .block_of(offset)
            .unwrap_or((offset, offset.saturating_add(1)));
        let old = self.recent.iter().position(|&o| start <= o && o < end);
        if let Some(i) = old {
            self.recent.remove(i);
        } else if self.recent.is_full() {
            self.recent.pop();
        }
        // A block already fresh only moves to the head.
        if old.is_none_or(|i| i >= self.fresh) {
            self.fresh += 1;
        }
        // Cannot fail: one slot was just made free.
        let _ = self.recent.insert(0, offset);
        self.fresh = self.fresh.min(self.recent.len());
    }

    /// The held block (in-order run included) holding byte `offset`.
    fn block_of(&self, offset: usize) -> Option<(usize, usize)> {
        if offset < self.front {
            Some((0, self.front))
        } else {
            self.block_of_ranges(offset)
        }
    }

    /// The out-of-order range holding byte `offset`.
    fn block_of_ranges(&self, offset: usize) -> Option<(usize, usize)> {
        self.held().find(|&(s, e)| s <= offset && offset < e)
    }

    /// Takes the in-order bytes: if a range starts at offset 0, removes it and
    /// returns its length (the socket advances `RCV.NXT` by it, RFC 9293
    /// §3.10.7.4); otherwise returns 0. The other offsets are shifted down by
    /// the returned length, so they stay relative to the new front.
    pub fn remove_front(&mut self) -> usize {
        let n = self.front;
        if n == 0 {
            return 0;
        }
        self.front = 0;
        // Every range starts past the in-order run: no underflow (and n
        // fits in u32, being below the first range's start, or there is none).
        let shift = u32::try_from(n).unwrap_or(u32::MAX);
        let len = self.len;
        for r in self.storage.slots_mut().iter_mut().take(len) {
            *r = (r.0.saturating_sub(shift), r.1.saturating_sub(shift));
        }
        // Segments now acknowledged cumulatively are no longer SACK material.
        let gone = self
            .recent
            .iter()
            .take(self.fresh)
            .filter(|&&o| o < n)
            .count();
        self.fresh -= gone;
        self.recent.retain(|&o| o >= n);
        for o in self.recent.iter_mut() {
            *o -= n;
        }
        n
    }

    /// The bytes of `[offset, offset + len)` already held, as the lowest
    /// held sub-range `(offset, len)`, if any: a duplicate (partial or whole)
    /// above `RCV.NXT`, to report with [`dsack_blocks`] (RFC 2883 §4).
    /// Call it before [`add`].
    ///
    /// [`dsack_blocks`]: Assembler::dsack_blocks
    /// [`add`]: Assembler::add
    pub fn overlap(&self, offset: usize, len: usize) -> Option<(usize, usize)> {
        let end = offset.saturating_add(len);
        self.ranges()
            .map(|(s, l)| (s.max(offset), (s + l).min(end)))
            .find(|&(s, e)| s < e)
            .map(|(s, e)| (s, e - s))
    }

    /// The SACK blocks to send with `RCV.NXT = rcv_nxt`, at most `max` (and
    /// at most 4) of them, in option order (RFC 2018 §4):
    ///
    /// - the first block holds the most recently added segment ("MUST
    ///   specify the contiguous block of data containing the segment which
    ///   triggered this ACK, unless that segment advanced the Acknowledgment
    ///   Number"),
    /// - then the blocks of the segments received before it, newest first
    ///   ("repeating the most recently reported SACK blocks … that are not
    ///   subsets of a SACK block already included"),
    /// - then any other held block, lowest first ("include as many distinct
    ///   SACK blocks as possible"): the lowest holes are the sender's next
    ///   retransmissions.
    ///
    /// Call [`remove_front`](Assembler::remove_front) first: in-order bytes
    /// not yet taken are not reported (a block at `RCV.NXT` is not SACK
    /// material).
    pub fn sack_blocks(&self, rcv_nxt: TcpSeqNumber, max: usize) -> [Option<SackBlock>; 4] {
        // Every block counted as reported: newest first.
        self.blocks_after(rcv_nxt, max, None, usize::MAX)
    }

    /// How many distinct blocks got segments since [`reported`]: several
    /// segments processed before the socket transmits (a burst read from
    /// the device at once) may make more new blocks than one ACK carries,
    /// and a block never reported is one the sender will retransmit
    /// (RFC 6675 §5, RFC 8985 §6.2 mark unSACKed data below SACKed data
    /// lost). The socket sends one ACK per `max` of them, each from
    /// [`report_blocks`] with its own `skip`, as Linux sends one ACK per
    /// out-of-order segment.
    ///
    /// [`reported`]: Assembler::reported
    /// [`report_blocks`]: Assembler::report_blocks
    pub fn unreported(&self) -> usize {
        let mut seen: Vec<(usize, usize), RECENT> = Vec::new();
        for block in self
            .recent
            .iter()
            .take(self.fresh)
            .filter_map(|&o| self.block_of_ranges(o))
        {
            if !seen.contains(&block) {
                let _ = seen.push(block);
            }
        }
        seen.len()
    }

    /// Every block so far has been reported (an ACK carrying the last of
    /// them left).
    pub fn reported(&mut self) {
        self.fresh = 0;
    }

    /// The SACK blocks of the next ACK in a burst: like [`dsack_blocks`]
    /// (with `dup`) or [`sack_blocks`], but first the oldest unreported
    /// blocks the ACKs before it (which reported `skip` of them, oldest
    /// first) left.
    ///
    /// [`dsack_blocks`]: Assembler::dsack_blocks
    /// [`sack_blocks`]: Assembler::sack_blocks
    pub fn report_blocks(
        &self,
        rcv_nxt: TcpSeqNumber,
        max: usize,
        dup: Option<SackBlock>,
        skip: usize,
    ) -> [Option<SackBlock>; 4] {
        self.blocks_after(rcv_nxt, max, dup, skip)
    }

    /// The SACK blocks for an ACK answering a duplicate segment (RFC 2883
    /// §4): the D-SACK block `dup` (the duplicated sequence range, below or
    /// above `RCV.NXT`) first; then, if it lies above `RCV.NXT`, the held
    /// block containing it; then the blocks of [`sack_blocks`].
    ///
    /// RFC 2883 §4: each duplicate is reported once, so the socket passes
    /// `dup` only in the ACK that the duplicate segment triggers. A
    /// duplicate below `RCV.NXT` is `[SEG.SEQ, min(SEG.SEQ + SEG.LEN,
    /// RCV.NXT))`; one above comes from [`overlap`].
    ///
    /// [`sack_blocks`]: Assembler::sack_blocks
    /// [`overlap`]: Assembler::overlap
    pub fn dsack_blocks(
        &self,
        rcv_nxt: TcpSeqNumber,
        max: usize,
        dup: SackBlock,
    ) -> [Option<SackBlock>; 4] {
        self.blocks_after(rcv_nxt, max, Some(dup), usize::MAX)
    }

    fn blocks_after(
        &self,
        rcv_nxt: TcpSeqNumber,
        max: usize,
        dsack: Option<SackBlock>,
        skip: usize,
    ) -> [Option<SackBlock>; 4] {
        let max = max.min(MAX_SACK_BLOCKS);
        let mut out = [None; 4];
        if dsack.is_none() && self.len == 0 {
            // Nothing held out of order and no duplicate: no block. Every
            // segment of an in-order stream comes here (the sender's too),
            // so skip the searches below.
            return out;
        }
        // The out-of-order blocks chosen so far, as offsets.
        let mut chosen: Vec<(usize, usize), MAX_SACK_BLOCKS> = Vec::new();
        let mut slots = max;
        if let Some((left, right)) = dsack {
            if slots == 0 {
                return out;
            }
            out[0] = Some((left, right));
            slots -= 1;
            // RFC 2883 §4: "the second SACK block … should specify that
            // (possibly larger) block of data" above the cumulative ACK.
            if left >= rcv_nxt {
                let offset = usize::try_from(left - rcv_nxt).unwrap_or(0);
                if let Some(block) = self.block_of_ranges(offset) {
                    if slots > 0 {
                        let _ = chosen.push(block);
                        slots -= 1;
                    }
                }
            }
        }
        // The recent blocks, each once, newest first.
        let mut distinct: Vec<(usize, usize), RECENT> = Vec::new();
        for block in self.recent.iter().filter_map(|&o| self.block_of_ranges(o)) {
            if !distinct.contains(&block) {
                let _ = distinct.push(block);
            }
        }
        // The unreported ones go out oldest first across the ACKs of a
        // burst, so the sender learns of deliveries in the order they
        // happened (a block SACKed after a newer one reads as reordering
        // and widens its RACK window, RFC 8985 §6.2), and the last ACK
        // starts with the newest segment's block (RFC 2018 §4).
        let left = self.unreported().saturating_sub(skip);
        let chunk = distinct
            .get(left.saturating_sub(slots)..left)
            .unwrap_or(&[]);
        let candidates = chunk
            .iter()
            .chain(distinct.iter())
            .copied()
            .chain(self.held());
        for block in candidates {
            if slots == 0 {
                break;
            }
            if !chosen.contains(&block) && chosen.push(block).is_ok() {
                slots -= 1;
            }
        }
        let skip = usize::from(dsack.is_some() && max > 0);
        for (slot, &(s, e)) in out.iter_mut().skip(skip).zip(chosen.iter()) {
            *slot = Some((rcv_nxt + s, rcv_nxt + e));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    const NEAR_WRAP: u32 = 0xffff_fe00;

    fn seq(n: u32) -> TcpSeqNumber {
        TcpSeqNumber(n)
    }

    /// An assembler with `n` range slots of lent (leaked) storage.
    fn asm(n: usize) -> Assembler<'static> {
        Assembler::with_storage(std::vec![(0, 0); n].leak())
    }

    fn ranges(a: &Assembler<'_>) -> std::vec::Vec<(usize, usize)> {
        a.ranges().collect()
    }

    #[test]
    fn in_order_data_goes_straight_to_the_front() {
        let mut a = asm(4);
        assert!(a.is_empty());
        a.add(0, 100).unwrap();
        assert!(!a.is_empty());
        assert_eq!(ranges(&a), [(0, 100)]);
        assert_eq!(a.remove_front(), 100);
        assert!(a.is_empty());
        assert_eq!(a.remove_front(), 0);
    }

    #[test]
    fn zero_length_add_is_a_no_op() {
        let mut a = asm(1);
        a.add(50, 0).unwrap();
        assert!(a.is_empty());
        assert_eq!(a.sack_blocks(seq(0), 4), [None; 4]);
    }

    #[test]
    fn out_of_order_then_fill_in() {
        // RFC 9293 §3.10.7.4: out-of-order data is held until the gap fills.
        let mut a = asm(4);
        a.add(100, 100).unwrap();
        a.add(300, 100).unwrap();
        assert_eq!(a.remove_front(), 0, "a hole at the front");
        assert_eq!(ranges(&a), [(100, 100), (300, 100)]);
        a.add(0, 100).unwrap(); // fills the first hole, reaches [100, 200)
        assert_eq!(ranges(&a), [(0, 200), (300, 100)]);
        assert_eq!(a.remove_front(), 200);
        // Shifted: the range at 300 is now at 100.
        assert_eq!(ranges(&a), [(100, 100)]);
        a.add(0, 100).unwrap();
        assert_eq!(a.remove_front(), 200);
        assert!(a.is_empty());
    }

    #[test]
    fn overlaps_and_duplicates_merge() {
        let mut a = asm(4);
        a.add(100, 100).unwrap();
        a.add(150, 100).unwrap(); // overlaps the right part
        assert_eq!(ranges(&a), [(100, 150)]);
        a.add(50, 100).unwrap(); // overlaps the left part
        assert_eq!(ranges(&a), [(50, 200)]);
        a.add(60, 10).unwrap(); // a duplicate inside
        assert_eq!(ranges(&a), [(50, 200)]);
        a.add(20, 300).unwrap(); // covers it all
        assert_eq!(ranges(&a), [(20, 300)]);
        // An in-order segment overlapping the out-of-order range.
        a.add(0, 30).unwrap();
        assert_eq!(ranges(&a), [(0, 320)]);
    }

    #[test]
    fn one_segment_bridges_several_ranges() {
        let mut a = asm(4);
        a.add(10, 10).unwrap();
        a.add(30, 10).unwrap();
        a.add(50, 10).unwrap();
        a.add(70, 10).unwrap();
        a.add(15, 40).unwrap(); // overlaps the first three
        assert_eq!(ranges(&a), [(10, 50), (70, 10)]);
    }

    #[test]
    fn adjacent_ranges_merge() {
        let mut a = asm(2);
        a.add(100, 100).unwrap();
        a.add(200, 50).unwrap(); // touches the right edge
        a.add(80, 20).unwrap(); // touches the left edge
        assert_eq!(ranges(&a), [(80, 170)]);
        a.add(300, 10).unwrap();
        a.add(250, 50).unwrap(); // bridges both exactly
        assert_eq!(ranges(&a), [(80, 230)]);
        a.add(0, 80).unwrap(); // in order, touching
        assert_eq!(ranges(&a), [(0, 310)]);
        assert_eq!(a.remove_front(), 310);
    }

    #[test]
    fn hole_limit_refuses_a_new_range_and_changes_nothing() {
        let mut a = asm(2);
        a.add(10, 10).unwrap();
        a.add(30, 10).unwrap();
        let before = ranges(&a);
        let sack_before = a.sack_blocks(seq(1000), 4);
        assert_eq!(a.add(50, 10), Err(TooManyHoles));
        assert_eq!(
            a.add(25, 2),
            Err(TooManyHoles),
            "between the two, touching neither"
        );
        assert_eq!(ranges(&a), before);
        assert_eq!(
            a.sack_blocks(seq(1000), 4),
            sack_before,
            "refused: not recorded"
        );
        // Growing or merging existing ranges is still fine.
        a.add(40, 5).unwrap();
        a.add(20, 10).unwrap();
        assert_eq!(ranges(&a), [(10, 35)]);
    }

    #[test]
    fn in_order_data_is_accepted_when_full() {
        // Refusing it would stall the connection.
        let mut a = asm(1);
        a.add(10, 10).unwrap();
        a.add(0, 5).unwrap();
        assert_eq!(ranges(&a), [(0, 5), (10, 10)]);
        assert_eq!(a.remove_front(), 5);
        assert_eq!(ranges(&a), [(5, 10)]);
        // A zero-capacity assembler takes in-order data only.
        let mut z = asm(0);
        assert_eq!(z.add(1, 1), Err(TooManyHoles));
        z.add(0, 1).unwrap();
        assert_eq!(z.remove_front(), 1);
    }

    #[test]
    fn remove_front_shifts_offsets_and_sack_follows_rcv_nxt() {
        let mut a = asm(4);
        let mut rcv_nxt = seq(NEAR_WRAP);
        a.add(1000, 500).unwrap();
        a.add(0, 400).unwrap();
        assert_eq!(a.remove_front(), 400);
        rcv_nxt += 400;
        assert_eq!(ranges(&a), [(600, 500)]);
        assert_eq!(
            a.sack_blocks(rcv_nxt, 4),
            [
                Some((seq(NEAR_WRAP) + 1000, seq(NEAR_WRAP) + 1500)),
                None,
                None,
                None
            ]
        );
        // The block crosses 2^32: its edges are numerically small.
        assert_eq!(a.sack_blocks(rcv_nxt, 4)[0], Some((seq(488), seq(988))));
        assert!(seq(NEAR_WRAP) + 1500 > rcv_nxt);
    }

    /// RFC 2018 §7, third case: segments of 500 bytes from 5000, the 2nd,
    /// 4th, 6th and 8th lost; then the 4th, then the 2nd arrive.
    fn rfc2018_case3(base: u32) {
        let b = |n: u32| seq(base.wrapping_add(n));
        let mut a = asm(4);
        let mut rcv_nxt = b(5000);
        let arrive = |a: &mut Assembler<'_>, rcv_nxt: &mut TcpSeqNumber, s: u32| {
            let offset = usize::try_from(b(s) - *rcv_nxt).unwrap();
            a.add(offset, 500).unwrap();
            *rcv_nxt += a.remove_front();
        };
        arrive(&mut a, &mut rcv_nxt, 5000);
        assert_eq!(rcv_nxt, b(5500));
        assert_eq!(a.sack_blocks(rcv_nxt, 4), [None; 4]);
        arrive(&mut a, &mut rcv_nxt, 6000);
        assert_eq!(
            a.sack_blocks(rcv_nxt, 4),
            [Some((b(6000), b(6500))), None, None, None]
        );
        arrive(&mut a, &mut rcv_nxt, 7000);
        assert_eq!(
            a.sack_blocks(rcv_nxt, 4),
            [
                Some((b(7000), b(7500))),
                Some((b(6000), b(6500))),
                None,
                None
            ]
        );
        arrive(&mut a, &mut rcv_nxt, 8000);
        assert_eq!(
            a.sack_blocks(rcv_nxt, 4),
            [
                Some((b(8000), b(8500))),
                Some((b(7000), b(7500))),
                Some((b(6000), b(6500))),
                None
            ]
        );
        // The 4th segment: blocks 6000-6500 and 7000-7500 merge.
        arrive(&mut a, &mut rcv_nxt, 6500);
        assert_eq!(rcv_nxt, b(5500));
        assert_eq!(
            a.sack_blocks(rcv_nxt, 4),
            [
                Some((b(6000), b(7500))),
                Some((b(8000), b(8500))),
                None,
                None
            ]
        );
        // The 2nd segment: ACK 7500, one block left.
        arrive(&mut a, &mut rcv_nxt, 5500);
        assert_eq!(rcv_nxt, b(7500));
        assert_eq!(
            a.sack_blocks(rcv_nxt, 4),
            [Some((b(8000), b(8500))), None, None, None]
        );
    }

    #[test]
    fn rfc2018_section7_example_small_numbers() {
        rfc2018_case3(0);
    }

    #[test]
    fn rfc2018_section7_example_across_the_wrap() {
        // 5000 + base crosses 2^32 in the middle of the exchange.
        rfc2018_case3(u32::MAX - 6999);
    }

    #[test]
    fn first_block_is_the_latest_segment_even_a_duplicate() {
        // RFC 2018 §4: the first block holds the segment that triggered the ACK.
        let mut a = asm(4);
        a.add(100, 10).unwrap();
        a.add(200, 10).unwrap();
        a.add(300, 10).unwrap();
        a.add(102, 5).unwrap(); // a duplicate inside the oldest block
        assert_eq!(
            a.sack_blocks(seq(0), 4),
            [
                Some((seq(100), seq(110))),
                Some((seq(300), seq(310))),
                Some((seq(200), seq(210))),
                None
            ]
        );
    }

    #[test]
    fn three_blocks_with_timestamps_four_without() {
        // RFC 2018 §3: 40 option bytes hold 4 blocks, 3 next to timestamps.
        let mut a = asm(8);
        for i in 0..6 {
            a.add(100 * (i + 1), 10).unwrap();
        }
        let four = a.sack_blocks(seq(0), 4);
        assert!(four.iter().all(Option::is_some));
        assert_eq!(four[0], Some((seq(600), seq(610))), "the latest first");
        assert_eq!(four[3], Some((seq(300), seq(310))));
        let three = a.sack_blocks(seq(0), 3);
        assert_eq!(three[..3], four[..3]);
        assert_eq!(three[3], None);
        // More than 4 asked: still 4 (the option's limit).
        assert_eq!(a.sack_blocks(seq(0), 10), four);
        assert_eq!(a.sack_blocks(seq(0), 0), [None; 4]);
    }

    #[test]
    fn blocks_follow_recency_across_a_merge() {
        let mut a = asm(8);
        for i in 0..6 {
            a.add(100 * (i + 1), 10).unwrap();
        }
        // Bridge 500 and 600 with one segment: one block, newest; the others
        // follow in the order they came.
        a.add(510, 90).unwrap();
        assert_eq!(
            a.sack_blocks(seq(0), 4),
            [
                Some((seq(500), seq(610))),
                Some((seq(400), seq(410))),
                Some((seq(300), seq(310))),
                Some((seq(200), seq(210))),
            ]
        );
    }

    #[test]
    fn segment_that_advances_rcv_nxt_is_not_a_block() {
        let mut a = asm(4);
        a.add(500, 100).unwrap();
        a.add(0, 100).unwrap();
        // Not yet taken: the in-order bytes are not reported.
        assert_eq!(
            a.sack_blocks(seq(0), 4),
            [Some((seq(500), seq(600))), None, None, None]
        );
        assert_eq!(a.remove_front(), 100);
        assert_eq!(
            a.sack_blocks(seq(100), 4),
            [Some((seq(500), seq(600))), None, None, None]
        );
    }

    #[test]
    fn dsack_below_rcv_nxt_comes_first() {
        // RFC 2883 §4.1.1: a duplicate below the cumulative ACK.
        let mut a = asm(4);
        a.add(1000, 500).unwrap();
        let rcv_nxt = seq(NEAR_WRAP);
        let dup = (seq(NEAR_WRAP) - 500, rcv_nxt);
        assert_eq!(
            a.dsack_blocks(rcv_nxt, 4, dup),
            [
                Some(dup),
                Some((rcv_nxt + 1000, rcv_nxt + 1500)),
                None,
                None
            ]
        );
        assert_eq!(
            a.dsack_blocks(rcv_nxt, 1, dup),
            [Some(dup), None, None, None]
        );
        assert_eq!(a.dsack_blocks(rcv_nxt, 0, dup), [None; 4]);
    }

    #[test]
    fn dsack_above_rcv_nxt_then_containing_block() {
        // RFC 2883 §4.1.3/§4: the second block is the one holding the duplicate.
        let mut a = asm(4);
        let rcv_nxt = seq(u32::MAX - 100);
        a.add(100, 100).unwrap();
        a.add(300, 100).unwrap();
        a.add(500, 100).unwrap();
        // A duplicate of [320, 340) arrives.
        assert_eq!(a.overlap(320, 20), Some((320, 20)));
        let dup = (rcv_nxt + 320, rcv_nxt + 340);
        // Even without the socket re-adding it, the containing block comes second.
        assert_eq!(
            a.dsack_blocks(rcv_nxt, 4, dup),
            [
                Some(dup),
                Some((rcv_nxt + 300, rcv_nxt + 400)),
                Some((rcv_nxt + 500, rcv_nxt + 600)),
                Some((rcv_nxt + 100, rcv_nxt + 200)),
            ]
        );
        a.add(320, 20).unwrap();
        assert_eq!(
            a.dsack_blocks(rcv_nxt, 3, dup),
            [
                Some(dup),
                Some((rcv_nxt + 300, rcv_nxt + 400)),
                Some((rcv_nxt + 500, rcv_nxt + 600)),
                None
            ]
        );
    }

    #[test]
    fn overlap_finds_the_lowest_present_part() {
        let mut a = asm(4);
        a.add(0, 10).unwrap();
        a.add(100, 50).unwrap();
        a.add(200, 50).unwrap();
        assert_eq!(a.overlap(5, 10), Some((5, 5)));
        assert_eq!(a.overlap(90, 200), Some((100, 50)));
        assert_eq!(a.overlap(150, 50), None, "touching is not overlapping");
        assert_eq!(a.overlap(20, 0), None);
    }

    #[test]
    fn clear_forgets_everything() {
        let mut a = asm(4);
        a.add(10, 10).unwrap();
        a.add(0, 5).unwrap();
        a.clear();
        assert!(a.is_empty());
        assert_eq!(a.sack_blocks(seq(0), 4), [None; 4]);
    }
}
