//! The sender's SACK scoreboard (RFC 2018 §5, RFC 6675 conservative loss
//! recovery, RFC 2883 D-SACK).
//!
//! The [`Scoreboard`] remembers which bytes of `(SND.UNA, SND.NXT)` the peer
//! has selectively acknowledged. RACK (RFC 8985, `rack.rs`) decides what is
//! lost and what is in the network (RFC 6675 SetPipe and NextSeg with
//! RACK's losses, `Rack::pipe` and `Rack::next_lost`) from its
//! [`gaps`](Scoreboard::gaps) and [`sacked_between`](Scoreboard::sacked_between);
//! RFC 6675 §4's IsLost ([`is_lost`](Scoreboard::is_lost)) still counts
//! DupThresh for RACK's reordering window, and NextSeg rule 4's rescue is
//! [`rescue_seg`](Scoreboard::rescue_seg).
//!
//! # How the socket drives it
//! - On every acceptable ACK carrying a SACK option, *after* advancing
//!   `SND.UNA`: [`update_ack`](Scoreboard::update_ack). On an ACK without
//!   SACK blocks, the same call with `&[]` trims what `SND.UNA` passed.
//! - On a retransmission timeout the socket keeps it (RFC 6675 §5.1 allows
//!   it, Linux does) and resends only what is not SACKed; on a second
//!   timeout in a row it calls [`clear`](Scoreboard::clear) (RFC 2018 §8:
//!   the receiver may have reneged).
//!
//! # Capacity
//! At most `N` SACKed ranges are kept. When a new disjoint range does not
//! fit, the *highest* range is dropped (possibly the new one), because:
//! repairs go from the lowest hole up, so the low ranges are the ones
//! needed soonest; the receiver repeats its most recent blocks (usually the
//! highest) in every ACK (RFC 2018 §4), so a dropped high range is soon
//! learned again; and forgetting SACK information only errs on the safe side
//! — the bytes count as still in flight (a larger pipe, so less is sent)
//! and fewer holes below them count as lost, so nothing is retransmitted
//! early.

use heapless::Vec;

use crate::wire::tcp::TcpSeqNumber;

/// RFC 6675 §2 DupThresh: the number of duplicate ACKs, or of SACKed
/// segments above a hole, that marks it lost (RFC 5681 §3.2 uses 3).
pub const DUP_THRESH: usize = 3;

/// A sequence range `[left, right)` (RFC 2018 §3 edges).
pub type SeqRange = (TcpSeqNumber, TcpSeqNumber);

/// What one [`Scoreboard::update`] learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SackUpdate {
    /// Bytes SACKed by this update that were not SACKed before (net of any
    /// range dropped for capacity): the SACK part of RFC 6937 DeliveredData.
    pub newly_sacked: usize,
    /// The D-SACK block, if the first block was one (RFC 2883 §4; detection
    /// per RFC 3708 §2: below `SND.UNA`, or inside the second block). It
    /// reports a duplicate the receiver got, e.g. a needless retransmission.
    pub dsack: Option<SeqRange>,
    /// Blocks ignored as invalid: empty or reversed, or outside
    /// `(SND.UNA, SND.NXT]` (RFC 6675 §5: SACK information must be for
    /// data that was sent and is not yet cumulatively acknowledged).
    pub invalid: usize,
    /// Ranges forgotten because the scoreboard was full.
    pub dropped: usize,
}

/// The sender's record of SACKed bytes, at most `N` disjoint ranges.
///
/// See the [module documentation](self) for how the socket uses it.
#[derive(Debug, Clone, Default)]
pub struct Scoreboard<const N: usize> {
    /// SACKed ranges `[left, right)`, in increasing sequence order, disjoint
    /// and not touching (adjacent ranges are merged).
    ranges: Vec<SeqRange, N>,
}

/// `b - a` as a byte count, 0 when `b` is not after `a`.
fn span(a: TcpSeqNumber, b: TcpSeqNumber) -> usize {
    usize::try_from(b - a).unwrap_or(0)
}

impl<const N: usize> Scoreboard<N> {
    /// An empty scoreboard.
    pub const fn new() -> Self {
        Scoreboard { ranges: Vec::new() }
    }

    /// Forgets all SACK information (RFC 2018 §8, on a retransmission
    /// timeout).
    pub fn clear(&mut self) {
        self.ranges.clear();
    }

    /// Whether nothing is SACKed.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The SACKed ranges `[left, right)`, lowest first.
    pub fn ranges(&self) -> impl Iterator<Item = SeqRange> + '_ {
        self.ranges.iter().copied()
    }

    /// Whether byte `seq` is SACKed.
    pub fn is_sacked(&self, seq: TcpSeqNumber) -> bool {
        self.ranges.iter().any(|&(l, r)| l <= seq && seq < r)
    }

    /// The total of SACKed bytes.
    pub fn sacked_bytes(&self) -> usize {
        self.ranges.iter().map(|&(l, r)| span(l, r)).sum()
    }

    /// The right edge (one past the last byte) of the highest SACKed range:
    /// RFC 6675's "highest octet covered by any received SACK", plus one.
    pub fn highest_sacked(&self) -> Option<TcpSeqNumber> {
        self.ranges.last().map(|&(_, r)| r)
    }

    /// Merges the SACK blocks of an ACK, in the order they came, after
    /// dropping what `snd_una` has passed (cumulatively acknowledged bytes
    /// need no SACK state, RFC 6675 §5).
    ///
    /// `snd_una` must already include this ACK's cumulative acknowledgment.
    /// A block is used only if `snd_una < left < right <= snd_nxt` (modulo
    /// 2³²); the first block may instead be a D-SACK (RFC 2883), reported in
    /// [`SackUpdate::dsack`] and not merged.
    pub fn update(
        &mut self,
        snd_una: TcpSeqNumber,
        snd_nxt: TcpSeqNumber,
        blocks: &[SeqRange],
    ) -> SackUpdate {
        self.update_ack(snd_una, snd_nxt, snd_una, blocks)
    }

    /// [`update`](Self::update) for an ACK whose own cumulative
    /// acknowledgment is `seg_ack`: below `snd_una` when the ACK is an old
    /// one overtaken by a later ACK on the way. Its first block is a
    /// D-SACK only if it lies below *its* cumulative ACK (RFC 2883 §4,
    /// RFC 3708 §2; Linux's tcp_check_dsack compares with the ACK's own
    /// ack_seq): an old ACK's ordinary SACK block below today's SND.UNA
    /// reports no duplicate, and taking it for one would undo a real
    /// reduction and widen the reordering window for nothing.
    pub fn update_ack(
        &mut self,
        snd_una: TcpSeqNumber,
        snd_nxt: TcpSeqNumber,
        seg_ack: TcpSeqNumber,
        blocks: &[SeqRange],
    ) -> SackUpdate {
        self.trim(snd_una, snd_nxt);
        let before = self.sacked_bytes();
        let mut out = SackUpdate::default();
        for (i, &(left, right)) in blocks.iter().enumerate() {
            if i == 0 && left < right {
                // RFC 3708 §2: the first block is a D-SACK if it lies below
                // the cumulative ACK, or inside the second block.
                let inside_second = blocks
                    .get(1)
                    .is_some_and(|&(l2, r2)| l2 <= left && right <= r2 && l2 < r2);
                if left < seg_ack.min(snd_una) {
                    out.dsack = Some((left, right));
                    continue;
                }
                if inside_second {
                    out.dsack = Some((left, right));
                    // Still valid SACK information; merging it is harmless.
                }
            }
            // RFC 6675 §5 / RFC 2018 §5: only data sent and not yet
            // cumulatively acknowledged can be SACKed.
            if !(snd_una < left && left < right && right <= snd_nxt) {
                net_trace!("tcp sack: ignoring block {}-{}", left, right);
                out.invalid += 1;
                continue;
            }
            if !self.insert(left, right) {
                out.dropped += 1;
            }
        }
        out.newly_sacked = self.sacked_bytes().saturating_sub(before);
        out
    }

    /// Drops SACK state outside `[snd_una, snd_nxt)`.
    fn trim(&mut self, snd_una: TcpSeqNumber, snd_nxt: TcpSeqNumber) {
        self.ranges.retain(|&(l, r)| r > snd_una && l < snd_nxt);
        for r in self.ranges.iter_mut() {
            *r = (r.0.max(snd_una), r.1.min(snd_nxt));
        }
    }

    /// Merges `[left, right)`; false when a range had to be dropped.
    fn insert(&mut self, left: TcpSeqNumber, right: TcpSeqNumber) -> bool {
        let len = self.ranges.len();
        // First range that overlaps or touches the block, or lies after it.
        let first = self
            .ranges
            .iter()
            .position(|&(_, r)| r >= left)
            .unwrap_or(len);
        // One past the last range that overlaps or touches it.
        let last = self
            .ranges
            .iter()
            .position(|&(l, _)| l > right)
            .unwrap_or(len);
        if first < last {
            let l = self.ranges.get(first).map_or(left, |r| r.0.min(left));
            let r = self.ranges.get(last - 1).map_or(right, |r| r.1.max(right));
            if let Some(slot) = self.ranges.get_mut(first) {
                *slot = (l, r);
            }
            for _ in first + 1..last {
                self.ranges.remove(first + 1);
            }
            return true;
        }
        let mut kept = true;
        if self.ranges.is_full() {
            // Full: drop the highest range (see the module documentation).
            kept = false;
            if first >= len {
                return false; // the new block is the highest
            }
            self.ranges.pop();
        }
        // Cannot fail: there is room now, and `first <= len`.
        let _ = self.ranges.insert(first, (left, right));
        kept
    }

    /// RFC 6675 §4 IsLost(SeqNum): whether byte `seq` is deemed lost —
    /// "DupThresh discontiguous SACKed sequences have arrived above 'SeqNum'
    /// or more than (DupThresh - 1) * SMSS bytes with sequence numbers
    /// greater than 'SeqNum' have been SACKed".
    ///
    /// The number of SACKed segments above `seq` is counted as
    /// `ceil(len / SMSS)` per range, a lower bound since no segment is larger
    /// than SMSS: so a range proves as many segments as it must hold.
    pub fn is_lost(&self, seq: TcpSeqNumber, mss: usize) -> bool {
        let mss = mss.max(1);
        let mut bytes = 0usize;
        let mut segments = 0usize;
        let above = seq + 1;
        for &(l, r) in self.ranges.iter().filter(|&&(_, r)| r > above) {
            let len = span(l.max(above), r);
            bytes = bytes.saturating_add(len);
            segments = segments.saturating_add(len.div_ceil(mss));
        }
        segments >= DUP_THRESH || bytes > (DUP_THRESH - 1).saturating_mul(mss)
    }

    /// The un-SACKed ranges of `[from, to)`, lowest first.
    pub fn gaps(
        &self,
        from: TcpSeqNumber,
        to: TcpSeqNumber,
    ) -> impl Iterator<Item = SeqRange> + '_ {
        self.holes(from, to)
    }

    /// The SACKed bytes inside `[from, to)`.
    pub fn sacked_between(&self, from: TcpSeqNumber, to: TcpSeqNumber) -> usize {
        self.ranges
            .iter()
            .map(|&(l, r)| span(l.max(from), r.min(to)))
            .sum()
    }

    /// The holes (un-SACKed ranges) of `[snd_una, snd_nxt)`, lowest first.
    fn holes(
        &self,
        snd_una: TcpSeqNumber,
        snd_nxt: TcpSeqNumber,
    ) -> impl Iterator<Item = SeqRange> + '_ {
        let mut cursor = snd_una;
        let tail = [(snd_nxt, snd_nxt)];
        self.ranges
            .iter()
            .copied()
            .chain(tail)
            .filter_map(move |(l, r)| {
                let l = l.min(snd_nxt);
                let hole = (cursor, l);
                cursor = cursor.max(r.min(snd_nxt));
                (hole.0 < hole.1).then_some(hole)
            })
    }

    /// RFC 6675 §4 NextSeg rule 4, the rescue retransmission: one segment of
    /// up to `mss` bytes ending with the highest outstanding un-SACKed byte.
    ///
    /// The socket uses it only when rules 1–3 give nothing and HighACK >
    /// RescueRxt (or RescueRxt is unset); it then sets RescueRxt to
    /// RecoveryPoint and leaves `high_rxt` alone (RFC 6675 §4).
    pub fn rescue_seg(
        &self,
        snd_una: TcpSeqNumber,
        snd_nxt: TcpSeqNumber,
        mss: usize,
    ) -> Option<(TcpSeqNumber, usize)> {
        let mss = mss.max(1);
        let (start, end) = self.holes(snd_una, snd_nxt).last()?;
        let from = if span(start, end) > mss {
            end - mss
        } else {
            start
        };
        Some((from, span(from, end)))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::vec::Vec as StdVec;

    use super::*;

    const MSS: usize = 1000;

    fn seq(n: u32) -> TcpSeqNumber {
        TcpSeqNumber(n)
    }

    fn ranges<const N: usize>(s: &Scoreboard<N>) -> StdVec<SeqRange> {
        s.ranges().collect()
    }

    /// The bases every scenario runs at: small, and straddling 2^32.
    const BASES: [u32; 2] = [1000, u32::MAX - 2500];

    /// Segment `i` (of MSS bytes) from `base`.
    fn seg(base: u32, i: usize) -> SeqRange {
        let s = seq(base) + i * MSS;
        (s, s + MSS)
    }

    #[test]
    fn blocks_merge_into_ranges() {
        for base in BASES {
            let una = seq(base);
            let nxt = una + 10 * MSS;
            let mut sb = Scoreboard::<4>::new();
            let u = sb.update(una, nxt, &[seg(base, 2), seg(base, 5)]);
            assert_eq!(u.newly_sacked, 2 * MSS);
            assert_eq!((u.invalid, u.dropped, u.dsack), (0, 0, None));
            // Adjacent and overlapping blocks merge.
            let u = sb.update(
                una,
                nxt,
                &[seg(base, 3), (seg(base, 5).0 + 500, seg(base, 6).1)],
            );
            assert_eq!(u.newly_sacked, 2 * MSS);
            assert_eq!(
                ranges(&sb),
                [
                    (seg(base, 2).0, seg(base, 3).1),
                    (seg(base, 5).0, seg(base, 6).1)
                ]
            );
            // A repeated block teaches nothing new.
            let u = sb.update(una, nxt, &[seg(base, 3)]);
            assert_eq!(u.newly_sacked, 0);
            // Bridging the two.
            sb.update(una, nxt, &[seg(base, 4)]);
            assert_eq!(ranges(&sb), [(seg(base, 2).0, seg(base, 6).1)]);
            assert_eq!(sb.sacked_bytes(), 5 * MSS);
            assert_eq!(sb.highest_sacked(), Some(seg(base, 6).1));
            assert!(sb.is_sacked(seg(base, 4).0));
            assert!(!sb.is_sacked(seg(base, 7).0));
            assert!(!sb.is_sacked(seg(base, 6).1), "right edge is exclusive");
        }
    }

    #[test]
    fn invalid_blocks_are_ignored() {
        for base in BASES {
            let una = seq(base);
            let nxt = una + 10 * MSS;
            let mut sb = Scoreboard::<4>::new();
            let u = sb.update(
                una,
                nxt,
                &[
                    seg(base, 1),                            // valid, first
                    (una + 3000, una + 3000),                // empty
                    (una + 4000, una + 3000),                // reversed
                    (una, una + 500),                        // starts at SND.UNA
                    (una - 500, una + 500),                  // straddles SND.UNA, not first
                    (nxt - 500, nxt + 1),                    // past SND.NXT
                    (una + (1 << 31), una + (1 << 31) + 10), // 2^31 away: incomparable
                ],
            );
            assert_eq!(u.invalid, 6);
            assert_eq!(u.dsack, None);
            assert_eq!(ranges(&sb), [seg(base, 1)]);
            // The right edge may be SND.NXT itself.
            let u = sb.update(una, nxt, &[(nxt - 500, nxt)]);
            assert_eq!((u.invalid, u.newly_sacked), (0, 500));
        }
    }

    #[test]
    fn an_old_acks_block_below_snd_una_is_no_dsack() {
        // ACK reordering: an ACK of segment 1 SACKing segment 3 arrives
        // after the ACK of segment 4. Its block lies below SND.UNA, but
        // above its own cumulative ACK: stale SACK information, not a
        // duplicate (RFC 2883 §4).
        for base in BASES {
            let una = seq(base) + 4 * MSS;
            let nxt = una + 5 * MSS;
            let mut sb = Scoreboard::<4>::new();
            let old_ack = seq(base) + MSS;
            let u = sb.update_ack(una, nxt, old_ack, &[seg(base, 3)]);
            assert_eq!(u.dsack, None);
            assert_eq!(u.invalid, 1);
            // Below its own cumulative ACK, a block is a D-SACK.
            let u = sb.update_ack(una, nxt, old_ack, &[seg(base, 0)]);
            assert_eq!(u.dsack, Some(seg(base, 0)));
        }
    }

    #[test]
    fn dsack_below_snd_una_is_reported_not_merged() {
        // RFC 2883 §4.1.1 / RFC 3708 §2.
        for base in BASES {
            let una = seq(base) + 2 * MSS;
            let nxt = una + 5 * MSS;
            let mut sb = Scoreboard::<4>::new();
            let dup = seg(base, 0);
            let u = sb.update(una, nxt, &[dup, seg(base, 4)]);
            assert_eq!(u.dsack, Some(dup));
            assert_eq!(u.invalid, 0);
            assert_eq!(ranges(&sb), [seg(base, 4)]);
            // Only the first block can be a D-SACK: later, it is invalid.
            let u = sb.update(una, nxt, &[seg(base, 4), dup]);
            assert_eq!((u.dsack, u.invalid), (None, 1));
        }
    }

    #[test]
    fn dsack_inside_the_second_block() {
        // RFC 2883 §4.1.3: a duplicate above the cumulative ACK.
        let base = BASES[1];
        let una = seq(base);
        let nxt = una + 10 * MSS;
        let mut sb = Scoreboard::<4>::new();
        let big = (seg(base, 3).0, seg(base, 5).1);
        let u = sb.update(una, nxt, &[seg(base, 4), big]);
        assert_eq!(u.dsack, Some(seg(base, 4)));
        assert_eq!(ranges(&sb), [big]);
        assert_eq!(u.newly_sacked, 3 * MSS);
    }

    #[test]
    fn snd_una_advance_trims() {
        for base in BASES {
            let una = seq(base);
            let nxt = una + 10 * MSS;
            let mut sb = Scoreboard::<4>::new();
            sb.update(una, nxt, &[seg(base, 2), (seg(base, 4).0, seg(base, 6).1)]);
            // SND.UNA passes the first range and half of the second (a
            // receiver that reneged and then re-ACKed is the only way).
            let una2 = seg(base, 5).0;
            let u = sb.update(una2, nxt, &[]);
            assert_eq!(u, SackUpdate::default());
            assert_eq!(ranges(&sb), [(seg(base, 5).0, seg(base, 6).1)]);
            // All passed: empty.
            sb.update(nxt, nxt, &[]);
            assert!(sb.is_empty());
            assert_eq!(sb.highest_sacked(), None);
        }
    }

    #[test]
    fn full_scoreboard_drops_the_highest_range() {
        for base in BASES {
            let una = seq(base);
            let nxt = una + 10 * MSS;
            let mut sb = Scoreboard::<2>::new();
            sb.update(una, nxt, &[seg(base, 3), seg(base, 7)]);
            // A lower block: kept, the highest (7) goes.
            let u = sb.update(una, nxt, &[seg(base, 1)]);
            assert_eq!(u.dropped, 1);
            assert_eq!(ranges(&sb), [seg(base, 1), seg(base, 3)]);
            // A new highest block when full: it is the one dropped.
            let u = sb.update(una, nxt, &[seg(base, 8)]);
            assert_eq!((u.dropped, u.newly_sacked), (1, 0));
            assert_eq!(ranges(&sb), [seg(base, 1), seg(base, 3)]);
            // Merging still works when full.
            let u = sb.update(una, nxt, &[seg(base, 2)]);
            assert_eq!((u.dropped, u.newly_sacked), (0, MSS));
            assert_eq!(ranges(&sb), [(seg(base, 1).0, seg(base, 3).1)]);
        }
    }

    #[test]
    fn is_lost_needs_three_sacked_segments() {
        // RFC 6675 §4 IsLost, DupThresh = 3.
        for base in BASES {
            let una = seq(base);
            let nxt = una + 10 * MSS;
            let hole = seg(base, 0).0;
            let mut sb = Scoreboard::<4>::new();
            // Two contiguous full segments: 2·SMSS bytes is not more than
            // (DupThresh−1)·SMSS.
            sb.update(una, nxt, &[seg(base, 1), seg(base, 2)]);
            assert!(!sb.is_lost(hole, MSS));
            sb.update(una, nxt, &[seg(base, 3)]);
            assert!(sb.is_lost(hole, MSS));
            // Only bytes above count: with 1, 3, 4 SACKed, hole 2 has two
            // segments above it (not lost), hole 0 three (lost).
            let mut sb = Scoreboard::<4>::new();
            sb.update(una, nxt, &[seg(base, 1), seg(base, 3), seg(base, 4)]);
            assert!(sb.is_lost(hole, MSS));
            assert!(!sb.is_lost(seg(base, 2).0, MSS));
            assert!(!sb.is_lost(seg(base, 2).1 - 1, MSS));

            // Discontiguous small segments: 2 are not enough, 3 are.
            let mut sb = Scoreboard::<4>::new();
            let small = |i: usize| (seg(base, i).0, seg(base, i).0 + 100);
            sb.update(una, nxt, &[small(2), small(4)]);
            assert!(!sb.is_lost(hole, MSS));
            sb.update(una, nxt, &[small(6)]);
            assert!(sb.is_lost(hole, MSS));

            // The byte rule: more than 2·SMSS SACKed, one byte decides.
            let mut sb = Scoreboard::<4>::new();
            sb.update(una, nxt, &[(seg(base, 1).0, seg(base, 3).0)]);
            assert!(!sb.is_lost(hole, MSS));
            sb.update(una, nxt, &[(seg(base, 3).0, seg(base, 3).0 + 1)]);
            assert!(sb.is_lost(hole, MSS));
        }
    }

    #[test]
    fn rescue_seg_ends_with_the_highest_unsacked_byte() {
        // RFC 6675 §4 NextSeg rule 4.
        for base in BASES {
            let una = seq(base);
            let nxt = una + 10 * MSS;
            let mut sb = Scoreboard::<4>::new();
            assert_eq!(sb.rescue_seg(una, nxt, MSS), Some((nxt - MSS, MSS)));
            // The tail is SACKed: the last hole is segment 7 plus 300 bytes.
            sb.update(una, nxt, &[(seg(base, 8).0 + 300, nxt), seg(base, 2)]);
            assert_eq!(
                sb.rescue_seg(una, nxt, MSS),
                Some((seg(base, 7).0 + 300, MSS))
            );
            // A short last hole: all of it.
            let mut sb = Scoreboard::<4>::new();
            sb.update(una, nxt, &[(una + 200, nxt)]);
            assert_eq!(sb.rescue_seg(una, nxt, MSS), Some((una, 200)));
            // Nothing outstanding.
            assert_eq!(sb.rescue_seg(una, una, MSS), None);
        }
    }

    #[test]
    fn clear_forgets_everything() {
        let una = seq(BASES[1]);
        let mut sb = Scoreboard::<4>::new();
        sb.update(una, una + 5000, &[(una + 1000, una + 2000)]);
        sb.clear();
        assert!(sb.is_empty());
        assert_eq!(sb.sacked_bytes(), 0);
        assert!(!sb.is_lost(una, MSS));
    }
}
