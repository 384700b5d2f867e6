//! RACK: time-based loss detection (RFC 8985 §6), for connections with SACK.
//!
//! A segment is deemed lost when a segment sent *after* it has been
//! delivered (cumulatively ACKed or SACKed) and more than `RACK.rtt +
//! reo_wnd` has passed since it was sent (§6.2 step 5). Unlike the
//! DupThresh rule of RFC 6675 this repairs a lost retransmission in about
//! an RTT (the retransmission was sent at a known time; a later segment
//! delivered says it is gone), needs no three segments above a hole (small
//! windows, tails), and tolerates reordering up to a window adapted from
//! D-SACK feedback (§6.2 step 4): 1/4 of the minimum RTT once reordering
//! was seen, times a multiplier that each D-SACK round raises.
//!
//! # Without per-segment state
//!
//! The core keeps no per-segment records (no heap): send times live in two
//! small logs.
//!
//! - First transmissions go out in sequence order, so their send time is a
//!   step function of the sequence number: [`SENT_MARKS`] marks `(seq,
//!   time)`, one per distinct send instant; when the log is full the two
//!   closest marks in time merge (the later ones then read as sent a little
//!   earlier, by less than the merged gap).
//! - Retransmissions break that order: [`RTX_RECORDS`] ranges `(start, end,
//!   time)`, contiguous ones merged. When the log is full, the two ranges
//!   closest in sequence merge, so a few never-retransmitted bytes may read
//!   as retransmitted: they are then repaired one RACK round later, never
//!   sent twice.
//!
//! A byte is *lost* when it is below [`Rack::lost_to`], not SACKed, and not
//! in a live retransmission record (one not itself deemed lost).

use heapless::Vec;

use super::sack::{Scoreboard, SeqRange};
use crate::time::{Duration, Instant};
use crate::wire::tcp::TcpSeqNumber;

/// First-transmission send-time marks kept.
pub const SENT_MARKS: usize = 32;
/// Retransmitted ranges kept.
pub const RTX_RECORDS: usize = 12;
/// Ranges resent since the last window reduction, kept to tell a D-SACK
/// of a resend from one of a copy the network made.
pub const RESENT_LOG: usize = 8;
/// RFC 8985 §6.2: the multiplier of the reordering window is reset after
/// this many recoveries without a D-SACK.
const REO_WND_PERSIST: u32 = 16;

/// First transmissions from `seq` on (to the next mark) left between
/// `first` and `first + span_us`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mark {
    seq: TcpSeqNumber,
    first: Instant,
    span_us: u32,
}

impl Mark {
    /// The latest its data can have left.
    fn last(&self) -> Instant {
        self.first + Duration::from_micros(u64::from(self.span_us))
    }
}

/// One retransmitted range and when it (last) left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rtx {
    start: TcpSeqNumber,
    end: TcpSeqNumber,
    at: Instant,
    /// Built only by resends that each continued the one before, so its
    /// bytes left in sequence order.
    ordered: bool,
    /// In an ordered record, `[start, passed)` left before a byte of the
    /// record that was delivered: RACK's "sent before" by sequence, as for
    /// segments sent at the same instant (RFC 8985 §6.2 RACK_sent_after).
    passed: TcpSeqNumber,
}

/// How data came to be delivered (RFC 8985 §6.2 step 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    /// Cumulatively acknowledged.
    Cumulative,
    /// SACKed for the first time.
    Sacked,
    /// Reported by a D-SACK above SND.UNA (RFC 2883): a second copy, the
    /// resend, has just arrived (Linux's tcp_sacktag_one advances RACK
    /// for it too).
    Duplicate,
}

/// `(t1, e1)` was sent after `(t2, e2)` (RFC 8985 §6.2 RACK_sent_after).
fn sent_after(t1: Instant, e1: TcpSeqNumber, t2: Instant, e2: TcpSeqNumber) -> bool {
    t1 > t2 || (t1 == t2 && e1 > e2)
}

fn span(a: TcpSeqNumber, b: TcpSeqNumber) -> usize {
    usize::try_from(b - a).unwrap_or(0)
}

/// The RACK state of one connection (RFC 8985 §5.2 "per-connection").
#[derive(Debug, Clone, Default)]
pub struct Rack {
    sent: Vec<Mark, SENT_MARKS>,
    rtx: Vec<Rtx, RTX_RECORDS>,
    /// What was resent since [`forget_resent`](Self::forget_resent), in
    /// sequence order; when full, the two closest ranges merge.
    resent: Vec<SeqRange, RESENT_LOG>,
    /// RACK.xmit_ts / RACK.end_seq: the most recently sent delivered data.
    xmit_ts: Option<Instant>,
    end_seq: TcpSeqNumber,
    /// RACK.rtt: the RTT of that delivery.
    rtt: Duration,
    /// RACK.min_RTT.
    min_rtt: Option<Duration>,
    /// RACK.fack: the highest sequence delivered.
    fack: TcpSeqNumber,
    /// RACK.reord: reordering was observed.
    reord: bool,
    reo_wnd_mult: u32,
    reo_wnd_persist: u32,
    /// The longest a reordered original was seen to trail our decision to
    /// resend it: the window is never shorter.
    reo_floor: Duration,
    /// RACK.dsack_round: SND.NXT when the last D-SACK raised the multiplier.
    dsack_round: Option<TcpSeqNumber>,
    /// Bytes below this (not SACKed, not in a live retransmission) are lost.
    lost_to: TcpSeqNumber,
    /// RFC 8985 §6.3 reordering timer.
    timer: Option<Instant>,
}

impl Rack {
    /// Fresh state for a connection whose next byte to send is `snd_nxt`.
    pub fn new(snd_nxt: TcpSeqNumber) -> Rack {
        Rack {
            end_seq: snd_nxt,
            fack: snd_nxt,
            lost_to: snd_nxt,
            reo_wnd_mult: 1,
            ..Rack::default()
        }
    }

    /// Carries over what was learnt about reordering (RFC 8985 §6.2) from
    /// `old` when the sequence references restart.
    pub fn keep_reordering_state(&mut self, old: &Rack) {
        self.reord = old.reord;
        self.reo_wnd_mult = old.reo_wnd_mult.max(1);
        self.reo_wnd_persist = old.reo_wnd_persist;
        self.reo_floor = old.reo_floor;
        self.resent = old.resent.clone();
        self.dsack_round = None;
    }

    /// Bytes below this sequence number, not SACKed and not being
    /// retransmitted, are deemed lost.
    pub fn lost_to(&self) -> TcpSeqNumber {
        self.lost_to
    }

    /// The reordering timer (RFC 8985 §6.3), if armed.
    pub fn timer(&self) -> Option<Instant> {
        self.timer
    }

    /// Whether reordering has been observed.
    pub fn reordering_seen(&self) -> bool {
        self.reord
    }

    /// RACK.min_RTT.
    pub fn min_rtt(&self) -> Option<Duration> {
        self.min_rtt
    }

    /// An RTT sample (RACK's own, or Karn's from the socket): RACK.min_RTT.
    pub fn on_rtt_sample(&mut self, rtt: Duration) {
        self.min_rtt = Some(self.min_rtt.map_or(rtt, |m| m.min(rtt)));
    }

    /// New data `[seq, …)` left at `now` (first transmission).
    pub fn on_send_new(&mut self, seq: TcpSeqNumber, now: Instant) {
        if self.sent.last().is_some_and(|m| m.last() == now) {
            return;
        }
        if self.sent.is_full() {
            // Merge the two neighbours whose union spans the least time:
            // the merged data then reads as sent somewhere in that span
            // (the earliest time when it is the delivered data, the latest
            // when it is a candidate for loss).
            let mut best = 1;
            let mut gap = None;
            for i in 1..self.sent.len() {
                let (Some(a), Some(b)) = (self.sent.get(i - 1), self.sent.get(i)) else {
                    continue;
                };
                let g = b.last() - a.first;
                if gap.is_none_or(|x| g < x) {
                    gap = Some(g);
                    best = i;
                }
            }
            if let (Some(b), Some(a)) = (self.sent.get(best).copied(), self.sent.get_mut(best - 1))
            {
                let span = (b.last() - a.first).total_micros();
                a.span_us = u32::try_from(span).unwrap_or(u32::MAX);
            }
            self.sent.remove(best);
        }
        let _ = self.sent.push(Mark {
            seq,
            first: now,
            span_us: 0,
        });
    }

    /// Whether any of `[l, r)` was resent since the last
    /// [`forget_resent`](Self::forget_resent): a D-SACK for it reports a
    /// spurious resend (Linux counts only D-SACKs of segments it marked
    /// retransmitted, tcp_sacktag_one), not a copy the network made.
    pub fn was_resent(&self, l: TcpSeqNumber, r: TcpSeqNumber) -> bool {
        self.resent.iter().any(|&(a, b)| a < r && l < b)
    }

    /// A window reduction starts a new count of resends.
    pub fn forget_resent(&mut self) {
        self.resent.clear();
    }

    fn log_resent(&mut self, start: TcpSeqNumber, end: TcpSeqNumber) {
        let at = self
            .resent
            .iter()
            .position(|&(a, _)| a > start)
            .unwrap_or(self.resent.len());
        if self.resent.is_full() {
            // Merge the two neighbours with the smallest gap (the new
            // range included): a few bytes never resent may then count.
            let mut all: Vec<SeqRange, { RESENT_LOG + 1 }> = self.resent.iter().copied().collect();
            let _ = all.insert(at, (start, end));
            let mut best = 1;
            let mut gap = usize::MAX;
            for i in 1..all.len() {
                let (Some(a), Some(b)) = (all.get(i - 1), all.get(i)) else {
                    continue;
                };
                let g = span(a.1, b.0);
                if g < gap {
                    gap = g;
                    best = i;
                }
            }
            if let Some(b) = all.get(best).copied() {
                if let Some(a) = all.get_mut(best - 1) {
                    *a = (a.0.min(b.0), a.1.max(b.1));
                }
            }
            all.remove(best);
            self.resent = all.iter().copied().collect();
            return;
        }
        let _ = self.resent.insert(at, (start, end));
    }

    /// `[start, end)` was retransmitted at `now`.
    pub fn on_retransmit(&mut self, start: TcpSeqNumber, end: TcpSeqNumber, now: Instant) {
        if start >= end {
            return;
        }
        self.log_resent(start, end);
        // The range replaces what it covers of older records.
        self.rtx.retain(|x| !(start <= x.start && x.end <= end));
        if let Some(last) = self.rtx.last_mut() {
            if last.end == start {
                last.end = end;
                last.at = now;
                return;
            }
        }
        if self.rtx.is_full() {
            // Merge the two records closest in sequence (see the module
            // documentation).
            let mut order: Vec<usize, RTX_RECORDS> = (0..self.rtx.len()).collect();
            order.sort_unstable_by(|&a, &b| {
                let (x, y) = (self.rtx.get(a), self.rtx.get(b));
                match (x, y) {
                    (Some(x), Some(y)) => x
                        .start
                        .0
                        .wrapping_sub(start.0)
                        .cmp(&y.start.0.wrapping_sub(start.0)),
                    _ => core::cmp::Ordering::Equal,
                }
            });
            let mut best: Option<(usize, usize, usize)> = None;
            for w in order.windows(2) {
                let (Some(&i), Some(&j)) = (w.first(), w.get(1)) else {
                    continue;
                };
                let (Some(a), Some(b)) = (self.rtx.get(i), self.rtx.get(j)) else {
                    continue;
                };
                let gap = span(a.end, b.start);
                if best.is_none_or(|(g, _, _)| gap < g) {
                    best = Some((gap, i, j));
                }
            }
            if let Some((_, i, j)) = best {
                if let (Some(a), Some(b)) = (self.rtx.get(i).copied(), self.rtx.get(j).copied()) {
                    if let Some(slot) = self.rtx.get_mut(i) {
                        let start = a.start.min(b.start);
                        *slot = Rtx {
                            start,
                            end: a.end.max(b.end),
                            at: a.at.max(b.at),
                            ordered: false,
                            passed: start,
                        };
                    }
                    self.rtx.remove(j);
                }
            } else {
                self.rtx.remove(0);
            }
        }
        let _ = self.rtx.push(Rtx {
            start,
            end,
            at: now,
            ordered: true,
            passed: start,
        });
    }

    /// A retransmission timeout: everything outstanding is lost, and every
    /// retransmission too (RFC 8985 §6.4 / Linux's `tcp_timeout_mark_lost`;
    /// the SACKed bytes are kept).
    pub fn on_timeout(&mut self, snd_max: TcpSeqNumber) {
        self.lost_to = snd_max;
        self.rtx.clear();
        self.timer = None;
    }

    /// One past the last byte known to have left (first transmission)
    /// before `t`, with `snd_max` the end of all data sent.
    fn sent_before(&self, t: Instant, snd_max: TcpSeqNumber) -> Option<TcpSeqNumber> {
        let i = self.sent.iter().rposition(|m| m.first < t)?;
        let m = self.sent.get(i)?;
        Some(if m.last() < t {
            self.sent.get(i + 1).map_or(snd_max, |n| n.seq)
        } else {
            // A merged mark: only its first byte is known to be that old.
            m.seq + 1
        })
    }

    /// The earliest the first transmission of byte `seq` can have left.
    fn first_sent(&self, seq: TcpSeqNumber) -> Option<Instant> {
        self.sent
            .iter()
            .rev()
            .find(|m| m.seq <= seq)
            .map(|m| m.first)
    }

    /// RFC 8985 §6.2 steps 1–3 for data `[l, r)` delivered at `now`
    /// (`how`). `delivered_to`: the highest sequence
    /// the ACK shows delivered (SND.UNA or the highest SACKed byte, + 1);
    /// `snd_max`: the end of the data sent.
    pub fn on_delivered(
        &mut self,
        l: TcpSeqNumber,
        r: TcpSeqNumber,
        now: Instant,
        how: Delivered,
        (delivered_to, snd_max): (TcpSeqNumber, TcpSeqNumber),
    ) {
        if l >= r {
            return;
        }
        let cumulative = how == Delivered::Cumulative;
        let first = self.first_sent(r - 1);
        let rtx = self
            .rtx
            .iter()
            .filter(|x| x.start < r && l < x.end)
            .map(|x| x.at)
            .max();
        let (t, retransmitted) = match (first, rtx) {
            (_, Some(tr)) => (tr, true),
            // A duplicate of a segment never resent: the network's.
            (_, None) if how == Delivered::Duplicate => return,
            (Some(t), None) => (t, false),
            (None, None) => return,
        };
        // Step 2: an ACK of retransmitted data sooner than min_RTT after
        // the retransmission answers the original: no RTT information. The
        // original filled the hole, so it was reordered, not lost: learn
        // how late it was (the window to wait next time), as a D-SACK would
        // teach a round trip later.
        //
        // min_RTT alone misses it behind a queue: with the RTT at 200× the
        // minimum (a bottleneck's queue), the original overtaken by a few
        // segments arrives a few µs past min_RTT after the resend, and
        // taking that ACK for the resend's makes every segment sent before
        // the resend look lost (the whole window resent for nothing). The
        // resend queues behind the data sent before it: while some of that
        // data, not deemed lost, is not delivered yet, the resend cannot
        // have been, and the ACK answers the original (the ms timestamp
        // echo of step 2 cannot tell them apart within a millisecond).
        // A D-SACK says the resend itself arrived.
        let overtook = || {
            how != Delivered::Duplicate
                && self
                    .sent_before(t, snd_max)
                    .is_some_and(|end| end > delivered_to && end > self.lost_to)
        };
        let early = now - t;
        if retransmitted && (self.min_rtt.is_some_and(|m| early < m) || overtook()) {
            // Only an ACK well ahead of min_RTT says the original filled
            // the hole: the resend, sent alone, may cross the path a few µs
            // faster than the segment that set min_RTT, and its own ACK,
            // read as a late original, would set the window to SRTT (twice
            // an RTT's lateness) for good, every later loss then waiting an
            // extra round trip (Linux infers no reordering from step 2).
            let clearly_early = self.min_rtt.is_some_and(|m| early < m - m / 4);
            if cumulative && (clearly_early || overtook()) {
                self.reord = true;
                // Twice the lateness seen: reordering varies (a queue
                // ahead of the late segment), and waiting a little longer
                // for a real loss costs less than a spurious resend.
                self.reo_floor = self.reo_floor.max(early * 2);
                // It lapses as a D-SACK's widening does (step 4).
                self.reo_wnd_persist = REO_WND_PERSIST;
            }
            return;
        }
        if retransmitted {
            // A resend delivered: what an ordered run resent before it,
            // left before it (step 5 tells them lost by sequence).
            for x in self.rtx.iter_mut() {
                if x.ordered && x.start < l && l < x.end && x.passed < l {
                    x.passed = l;
                }
            }
        } else {
            // A µs sample of our own: the 1 ms timestamp clock reads a LAN
            // RTT as 0, which would close the reordering window.
            self.on_rtt_sample(now - t);
        }
        // Step 3 (RACK_detect_reordering): delivered below the highest
        // delivered sequence without having been retransmitted.
        // A cumulative ACK from below FACK filled a hole (its first bytes
        // were never SACKed); a SACK block whose right edge is not above
        // FACK delivered its new bytes below it.
        let below = if cumulative {
            l < self.fack
        } else {
            r <= self.fack
        };
        if below && !retransmitted {
            self.reord = true;
        }
        if r > self.fack {
            self.fack = r;
        }
        // Step 4 (RACK_update): the most recently sent delivered data.
        if self
            .xmit_ts
            .is_none_or(|x| sent_after(t, r, x, self.end_seq))
        {
            self.xmit_ts = Some(t);
            self.end_seq = r;
            self.rtt = now - t;
        }
    }

    /// A D-SACK arrived (RFC 8985 §6.2 step 4, RACK_update_reo_wnd): at most
    /// once per round trip the reordering window grows by one step.
    pub fn on_dsack(&mut self, snd_una: TcpSeqNumber, snd_max: TcpSeqNumber) {
        self.reord = true;
        if self.dsack_round.is_none_or(|r| snd_una >= r) {
            self.dsack_round = Some(snd_max);
            self.reo_wnd_mult = self.reo_wnd_mult.saturating_add(1).min(64);
            self.reo_wnd_persist = REO_WND_PERSIST;
        }
    }

    /// A recovery ended: after 16 without D-SACK (or late original) the
    /// window shrinks back to min_RTT/4 (RFC 8985 §6.2 step 4).
    pub fn on_recovery_exit(&mut self) {
        if self.reo_wnd_persist > 0 {
            self.reo_wnd_persist -= 1;
            if self.reo_wnd_persist == 0 {
                self.reo_wnd_mult = 1;
                self.reo_floor = Duration::ZERO;
            }
        }
    }

    /// RFC 8985 §6.2 step 4: the reordering window. Zero while no
    /// reordering was seen and either a recovery is under way or DupThresh
    /// segments are SACKed above the hole (then RACK acts as RFC 6675
    /// would); else min_RTT/4 times the D-SACK multiplier, at most SRTT.
    pub fn reo_wnd(&self, in_recovery: bool, dupthresh: bool, srtt: Duration) -> Duration {
        if !self.reord && (in_recovery || dupthresh) {
            return Duration::ZERO;
        }
        let base = self.min_rtt.unwrap_or(srtt) / 4;
        (base * self.reo_wnd_mult.max(1))
            .max(self.reo_floor)
            .min(srtt)
    }

    /// Drops state for data acknowledged (below `snd_una`) or SACKed.
    pub fn trim<const N: usize>(&mut self, snd_una: TcpSeqNumber, sb: &Scoreboard<N>) {
        while self.sent.len() >= 2 && self.sent.get(1).is_some_and(|m| m.seq <= snd_una) {
            self.sent.remove(0);
        }
        self.rtx.retain(|x| {
            x.end > snd_una
                && sb.sacked_between(x.start.max(snd_una), x.end)
                    < span(x.start.max(snd_una), x.end)
        });
        if self.lost_to < snd_una {
            self.lost_to = snd_una;
        }
        if self.fack < snd_una {
            self.fack = snd_una;
        }
        // The D-SACK round ends once SND.UNA passes its marker: forget it
        // then. Kept, a bulk flow (whose flight never empties to restart
        // RACK) would see it 2^31 bytes later as ahead of SND.UNA, and no
        // D-SACK would widen the window for the next 2 GiB.
        if self.dsack_round.is_some_and(|r| snd_una >= r) {
            self.dsack_round = None;
        }
        // A resend more than the largest window (2^30, RFC 7323 §2.3)
        // below SND.UNA is forgotten before it can look ahead of it: an
        // ACK moves SND.UNA by at most a window, so what is kept stays
        // within 2^31 and in order. Kept longer, 4 GiB later a D-SACK of a
        // network copy would match it and undo a reduction long past.
        while self
            .resent
            .first()
            .is_some_and(|&(_, b)| snd_una.distance_from(b) > 1 << 30)
        {
            self.resent.remove(0);
        }
    }

    /// RFC 8985 §6.2 step 5 (RACK_detect_loss) at `now`: moves
    /// [`lost_to`](Self::lost_to), drops retransmission records deemed lost
    /// (their bytes are to be sent again), and arms the reordering timer
    /// for the earliest segment not yet due (§6.3). Returns whether
    /// anything new was marked lost.
    pub fn detect_loss(&mut self, now: Instant, snd_max: TcpSeqNumber, reo_wnd: Duration) -> bool {
        self.timer = None;
        let Some(rx) = self.xmit_ts else {
            return false;
        };
        let wait = self.rtt + reo_wnd;
        let mut timer: Option<Instant> = None;
        let mut arm = |t: Instant| timer = Some(timer.map_or(t, |x: Instant| x.min(t)));
        let before = self.lost_to;
        // First transmissions: their send time grows with the sequence.
        for (i, m) in self.sent.iter().enumerate() {
            // A candidate for loss: the latest it can have left.
            let (seq, t) = (m.seq, m.last());
            let end = self.sent.get(i + 1).map_or(snd_max, |n| n.seq);
            if end <= self.lost_to {
                continue;
            }
            let sent_before_end = if t < rx {
                end
            } else if t == rx {
                end.min(self.end_seq)
            } else {
                break;
            };
            if sent_before_end <= seq.max(self.lost_to) {
                break;
            }
            if t + wait <= now {
                self.lost_to = sent_before_end;
                if sent_before_end < end {
                    break;
                }
            } else {
                arm(t + wait);
                break;
            }
        }
        if self.lost_to > snd_max {
            self.lost_to = snd_max;
        }
        let mut lost_rtx = false;
        let end_seq = self.end_seq;
        self.rtx.retain_mut(|x| {
            if !sent_after(rx, end_seq, x.at, x.end) {
                // Only its first bytes may have left before the delivered
                // data (a later resend of the same run was delivered): they
                // are lost once the window has passed, the rest stays.
                if x.passed > x.start {
                    if x.at + wait <= now {
                        lost_rtx = true;
                        x.start = x.passed;
                    } else {
                        arm(x.at + wait);
                    }
                }
                return x.start < x.end;
            }
            if x.at + wait <= now {
                lost_rtx = true;
                false
            } else {
                arm(x.at + wait);
                true
            }
        });
        self.timer = timer;
        lost_rtx || self.lost_to > before
    }

    /// Whether byte `seq` is in a retransmission not deemed lost.
    pub fn is_retransmitting(&self, seq: TcpSeqNumber) -> bool {
        self.live_rtx_at(seq).is_some()
    }

    fn live_rtx_at(&self, seq: TcpSeqNumber) -> Option<TcpSeqNumber> {
        self.rtx
            .iter()
            .find(|x| x.start <= seq && seq < x.end)
            .map(|x| x.end)
    }

    /// The first lost segment to resend, as `(seq, len)` with `len <= mss`
    /// (what RFC 6675 NextSeg rule 1 gives, with RACK's notion of lost).
    pub fn next_lost<const N: usize>(
        &self,
        sb: &Scoreboard<N>,
        snd_una: TcpSeqNumber,
        mss: usize,
    ) -> Option<(TcpSeqNumber, usize)> {
        for (hs, he) in sb.gaps(snd_una, self.lost_to) {
            let mut s = hs;
            // Bounded: each step moves past one record.
            for _ in 0..=RTX_RECORDS {
                match self.live_rtx_at(s) {
                    Some(end) if end > s => s = end,
                    _ => break,
                }
            }
            if s >= he {
                continue;
            }
            let mut e = he.min(s + mss.max(1));
            for x in self.rtx.iter() {
                if x.start > s && x.start < e {
                    e = x.start;
                }
            }
            return Some((s, span(s, e)));
        }
        None
    }

    /// Whether any byte is deemed lost and not being retransmitted.
    pub fn has_lost<const N: usize>(&self, sb: &Scoreboard<N>, snd_una: TcpSeqNumber) -> bool {
        self.next_lost(sb, snd_una, 1).is_some()
    }

    /// The bytes in the network (RFC 6675 SetPipe with RACK's losses, as
    /// Linux's `packets_out − sacked_out − lost_out + retrans_out`).
    pub fn pipe<const N: usize>(
        &self,
        sb: &Scoreboard<N>,
        snd_una: TcpSeqNumber,
        snd_max: TcpSeqNumber,
    ) -> usize {
        let outstanding = span(snd_una, snd_max);
        let sacked = sb.sacked_between(snd_una, snd_max);
        let lost: usize = sb
            .gaps(snd_una, self.lost_to.min(snd_max))
            .map(|(l, r)| span(l, r))
            .sum();
        let retrans: usize = self
            .rtx
            .iter()
            .map(|x| {
                let (l, r) = (x.start.max(snd_una), x.end.min(snd_max));
                span(l, r).saturating_sub(sb.sacked_between(l, r))
            })
            .sum();
        outstanding
            .saturating_sub(sacked)
            .saturating_sub(lost)
            .saturating_add(retrans)
    }

    /// The ranges being retransmitted, for tests.
    #[cfg(test)]
    fn retransmitting(&self) -> impl Iterator<Item = super::sack::SeqRange> + '_ {
        self.rtx.iter().map(|x| (x.start, x.end))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    const MSS: usize = 1000;

    fn us(n: i64) -> Instant {
        Instant::from_micros(n)
    }

    fn seq(i: usize) -> TcpSeqNumber {
        TcpSeqNumber(u32::MAX - 2500) + i * MSS
    }

    /// Segments 0..n sent one per 10 µs from t = 0; RTT 1000 µs.
    fn sent(n: usize) -> Rack {
        let mut r = Rack::new(seq(0));
        r.on_rtt_sample(Duration::from_micros(1000));
        for i in 0..n {
            r.on_send_new(seq(i), us(10 * i as i64));
        }
        r
    }

    #[test]
    fn a_segment_sent_before_a_delivered_one_is_lost_after_the_window() {
        // RFC 8985 §6.2: segment 0 lost, 1 SACKed at t = 1010.
        let mut r = sent(4);
        let mut sb = Scoreboard::<8>::new();
        sb.update(seq(0), seq(4), &[(seq(1), seq(2))]);
        r.on_delivered(
            seq(1),
            seq(2),
            us(1010),
            Delivered::Sacked,
            (seq(2), seq(4)),
        );
        let srtt = Duration::from_micros(1000);
        // One segment SACKed, no reordering seen: reo_wnd = min_RTT/4.
        let reo = r.reo_wnd(false, false, srtt);
        assert_eq!(reo, Duration::from_micros(250));
        assert!(!r.detect_loss(us(1010), seq(4), reo));
        // RACK.rtt = 1000: due at 0 + 1000 + 250.
        assert_eq!(r.timer(), Some(us(1250)));
        assert!(r.detect_loss(us(1250), seq(4), reo));
        assert_eq!(r.lost_to(), seq(1));
        assert_eq!(r.next_lost(&sb, seq(0), MSS), Some((seq(0), MSS)));
        // Segments 2, 3 were sent after segment 1: not lost.
        assert_eq!(r.pipe(&sb, seq(0), seq(4)), 2 * MSS);
    }

    #[test]
    fn a_lost_retransmission_is_detected_by_later_deliveries() {
        let mut r = sent(4);
        let mut sb = Scoreboard::<8>::new();
        sb.update(seq(0), seq(4), &[(seq(1), seq(3))]);
        r.on_delivered(
            seq(1),
            seq(3),
            us(1030),
            Delivered::Sacked,
            (seq(3), seq(4)),
        );
        assert!(r.detect_loss(us(1030), seq(4), Duration::ZERO));
        assert_eq!(r.next_lost(&sb, seq(0), MSS), Some((seq(0), MSS)));
        r.on_retransmit(seq(0), seq(1), us(1030));
        assert_eq!(r.next_lost(&sb, seq(0), MSS), None, "being repaired");
        // New data sent after the retransmission, SACKed: the
        // retransmission, sent before it, is lost in turn.
        r.on_send_new(seq(4), us(1040));
        sb.update(seq(0), seq(5), &[(seq(1), seq(3)), (seq(4), seq(5))]);
        r.on_delivered(
            seq(4),
            seq(5),
            us(2040),
            Delivered::Sacked,
            (seq(5), seq(5)),
        );
        assert!(r.detect_loss(us(2040), seq(5), Duration::ZERO));
        assert_eq!(r.next_lost(&sb, seq(0), MSS), Some((seq(0), MSS)));
    }

    #[test]
    fn reordering_and_dsack_widen_the_window() {
        let mut r = sent(4);
        r.on_delivered(
            seq(2),
            seq(3),
            us(1020),
            Delivered::Sacked,
            (seq(3), seq(4)),
        );
        assert!(!r.reordering_seen());
        r.on_delivered(
            seq(1),
            seq(2),
            us(1030),
            Delivered::Sacked,
            (seq(3), seq(4)),
        );
        assert!(r.reordering_seen(), "delivered below fack, never resent");
        let srtt = Duration::from_micros(1000);
        assert_eq!(r.reo_wnd(true, true, srtt), Duration::from_micros(250));
        r.on_dsack(seq(0), seq(4));
        assert_eq!(r.reo_wnd(true, true, srtt), Duration::from_micros(500));
        // Once per round trip.
        r.on_dsack(seq(0), seq(4));
        assert_eq!(r.reo_wnd(true, true, srtt), Duration::from_micros(500));
        for _ in 0..REO_WND_PERSIST {
            r.on_recovery_exit();
        }
        assert_eq!(r.reo_wnd(true, true, srtt), Duration::from_micros(250));
    }

    #[test]
    fn an_early_ack_of_a_retransmission_is_ambiguous() {
        // §6.2 step 2: delivered sooner than min_RTT after the resend.
        let mut r = sent(2);
        r.on_retransmit(seq(0), seq(1), us(500));
        r.on_delivered(
            seq(0),
            seq(1),
            us(600),
            Delivered::Cumulative,
            (seq(1), seq(2)),
        );
        assert!(!r.detect_loss(us(5000), seq(2), Duration::ZERO));
        assert_eq!(r.timer(), None);
    }

    #[test]
    fn a_resend_acknowledged_about_min_rtt_later_is_no_sign_of_reordering() {
        // A lost segment resent at 5000 µs; its ACK comes 1 µs short of
        // min_RTT later (the resend, alone on the path, crossed it a
        // little faster than the segment that set min_RTT). That is the
        // resend's ACK, not a late original: RFC 8985 §6.2 step 2 skips
        // the sample, and no reordering may be inferred from it. Taken
        // for reordering, the window grew to SRTT for the rest of the
        // connection and every later loss waited an extra RTT.
        let mut r = sent(2);
        r.on_retransmit(seq(0), seq(1), us(5000));
        r.on_delivered(
            seq(0),
            seq(2),
            us(5999),
            Delivered::Cumulative,
            (seq(2), seq(2)),
        );
        assert!(!r.reordering_seen());
        let srtt = Duration::from_micros(1000);
        assert_eq!(r.reo_wnd(true, false, srtt), Duration::ZERO);
        // Far sooner than min_RTT: the original filled the hole.
        let mut r = sent(2);
        r.on_retransmit(seq(0), seq(1), us(5000));
        r.on_delivered(
            seq(0),
            seq(2),
            us(5100),
            Delivered::Cumulative,
            (seq(2), seq(2)),
        );
        assert!(r.reordering_seen());
    }

    #[test]
    fn a_late_original_widens_the_window_for_sixteen_recoveries_only() {
        // RFC 8985 §6.2 step 4: without a D-SACK for 16 recoveries the
        // window goes back to min_RTT/4. The floor learnt from a late
        // original (step 2) must lapse the same way: it stayed for the
        // whole connection, and one misread ACK on a 20 ms path (RTT
        // 20 ms, window then SRTT) made every later loss wait a whole
        // extra round trip.
        let mut r = sent(2);
        r.on_retransmit(seq(0), seq(1), us(5000));
        r.on_delivered(
            seq(0),
            seq(2),
            us(5400),
            Delivered::Cumulative,
            (seq(2), seq(2)),
        );
        assert!(r.reordering_seen());
        let srtt = Duration::from_micros(1000);
        assert_eq!(r.reo_wnd(true, false, srtt), Duration::from_micros(800));
        for _ in 0..REO_WND_PERSIST {
            r.on_recovery_exit();
        }
        assert_eq!(r.reo_wnd(true, false, srtt), Duration::from_micros(250));
    }

    #[test]
    fn an_ack_of_a_retransmission_that_overtook_data_sent_before_it_answers_the_original() {
        // A deep queue: RTT 1000 µs, min_RTT 24 µs. Segments 0..8 leave at
        // 0..70 µs; 1..3 are SACKed at 1000 µs (segment 0 held back by
        // reordering), so segment 0 is resent at 1000 µs. At 1034 µs — past
        // min_RTT after the resend, long before the resend could cross the
        // queue behind segments 4..7 — the original arrives: SND.UNA
        // moves to 4. Segments 4..7, sent before the resend, are still
        // queued ahead of it: the ACK answers the original, and nothing is
        // lost (RFC 8985 §6.2 step 2; a FIFO path delivers what was sent
        // before the resend first).
        let mut r = sent(8);
        r.on_rtt_sample(Duration::from_micros(24));
        let mut sb = Scoreboard::<8>::new();
        sb.update(seq(0), seq(8), &[(seq(1), seq(4))]);
        r.on_delivered(
            seq(1),
            seq(4),
            us(1000),
            Delivered::Sacked,
            (seq(4), seq(8)),
        );
        assert!(r.detect_loss(us(1000), seq(8), Duration::ZERO));
        r.on_retransmit(seq(0), seq(1), us(1000));
        sb.update(seq(4), seq(8), &[]);
        r.on_delivered(
            seq(0),
            seq(4),
            us(1034),
            Delivered::Cumulative,
            (seq(4), seq(8)),
        );
        r.trim(seq(4), &sb);
        assert!(!r.detect_loss(us(1034), seq(8), Duration::ZERO));
        assert_eq!(r.next_lost(&sb, seq(4), MSS), None, "nothing lost");
        assert!(r.reordering_seen(), "the original came late");
        // Once segments 4..7 are delivered, a later ACK of a resend is
        // taken as one: data sent before it is all in.
        let mut r = sent(8);
        r.on_rtt_sample(Duration::from_micros(24));
        r.on_delivered(
            seq(1),
            seq(8),
            us(1000),
            Delivered::Sacked,
            (seq(8), seq(8)),
        );
        r.on_retransmit(seq(0), seq(1), us(1000));
        r.on_send_new(seq(8), us(1001));
        r.on_delivered(
            seq(0),
            seq(8),
            us(2000),
            Delivered::Cumulative,
            (seq(8), seq(9)),
        );
        assert_eq!(r.rtt, Duration::from_micros(1000), "a sample of the resend");
    }

    #[test]
    fn a_lost_resend_early_in_a_run_of_resends_is_found_by_a_later_one() {
        // Segments 0..5 lost; resent one after another at 1000..1040 µs
        // (one ordered record). The resend of 0 is lost again; those of
        // 1..4 are SACKed at 2010..2040 µs. Segment 0 left before them:
        // lost once the reordering window has passed, without waiting for
        // new data (or the RTO) to tell.
        let mut r = sent(6);
        let mut sb = Scoreboard::<8>::new();
        sb.update(seq(0), seq(6), &[(seq(5), seq(6))]);
        r.on_delivered(
            seq(5),
            seq(6),
            us(1000),
            Delivered::Sacked,
            (seq(6), seq(6)),
        );
        assert!(r.detect_loss(us(1000), seq(6), Duration::ZERO));
        for i in 0..5 {
            r.on_retransmit(seq(i), seq(i + 1), us(1000 + 10 * i as i64));
        }
        for i in 1..5 {
            sb.update(seq(0), seq(6), &[(seq(1), seq(i + 1)), (seq(5), seq(6))]);
            r.on_delivered(
                seq(i),
                seq(i + 1),
                us(2000 + 10 * i as i64),
                Delivered::Sacked,
                (seq(6), seq(6)),
            );
        }
        r.trim(seq(0), &sb);
        let reo = Duration::from_micros(100);
        assert!(!r.detect_loss(us(2040), seq(6), reo), "within the window");
        assert_eq!(r.next_lost(&sb, seq(0), MSS), None);
        assert_eq!(r.timer(), Some(us(2140)));
        assert!(r.detect_loss(us(2140), seq(6), reo));
        assert_eq!(r.next_lost(&sb, seq(0), MSS), Some((seq(0), MSS)));
    }

    #[test]
    fn a_dsack_of_a_later_resend_tells_an_older_resend_lost() {
        // Segments 0..8 left at 0..70 µs; 0 is lost and resent at 1000 µs,
        // lost again. Segment 7, delivered but never SACKed to us (a full
        // scoreboard), is resent at 1010 µs; its D-SACK at 2010 µs says
        // that resend arrived: the resend of 0, sent before it, is lost,
        // though data sent before the resends is still unaccounted for.
        let mut r = sent(8);
        r.on_rtt_sample(Duration::from_micros(24));
        let sb = Scoreboard::<8>::new();
        r.on_delivered(
            seq(1),
            seq(2),
            us(1000),
            Delivered::Sacked,
            (seq(2), seq(8)),
        );
        assert!(r.detect_loss(us(1000), seq(8), Duration::ZERO));
        r.on_retransmit(seq(0), seq(1), us(1000));
        r.on_retransmit(seq(7), seq(8), us(1010));
        r.on_delivered(
            seq(7),
            seq(8),
            us(2010),
            Delivered::Duplicate,
            (seq(2), seq(8)),
        );
        assert!(r.detect_loss(us(2010), seq(8), Duration::ZERO));
        assert_eq!(r.next_lost(&sb, seq(0), MSS), Some((seq(0), MSS)));
    }

    #[test]
    fn merged_marks_never_make_later_data_look_sent_before_a_retransmission() {
        // Segment 32 leaves 1 µs after the retransmission of segment 0;
        // when the log fills, its mark merges with segment 31's (sent 6 µs
        // before it), the closest pair. When the retransmission is
        // delivered (segment 31 SACKed already: everything sent before the
        // resend is accounted for), data sent before it is lost; segment
        // 32 is not.
        let mut r = Rack::new(seq(0));
        r.on_rtt_sample(Duration::from_micros(100));
        for i in 0..32 {
            r.on_send_new(seq(i), us(100 * i as i64));
        }
        r.on_retransmit(seq(0), seq(1), us(3105));
        r.on_send_new(seq(32), us(3106));
        r.on_send_new(seq(33), us(3300));
        assert_eq!(r.sent.len(), SENT_MARKS);
        r.on_delivered(
            seq(0),
            seq(1),
            us(3305),
            Delivered::Cumulative,
            (seq(32), seq(34)),
        );
        assert!(r.detect_loss(us(3305), seq(34), Duration::ZERO));
        assert!(r.lost_to() >= seq(30), "sent before the retransmission");
        assert!(
            r.lost_to() <= seq(32),
            "segment 32 is not lost: {:?}",
            r.lost_to()
        );
    }

    #[test]
    fn logs_stay_bounded() {
        let mut r = Rack::new(seq(0));
        let sb = Scoreboard::<8>::new();
        for i in 0..200 {
            r.on_send_new(seq(i), us(i as i64 * (1 + i as i64 % 7)));
        }
        assert_eq!(r.sent.len(), SENT_MARKS);
        for i in 0..100 {
            r.on_retransmit(seq(2 * i), seq(2 * i + 1), us(100_000 + i as i64));
        }
        assert_eq!(r.rtx.len(), RTX_RECORDS);
        // Merging never loses a retransmitted byte.
        let covered = |s| r.retransmitting().any(|(l, e)| l <= s && s < e);
        assert!((0..100).all(|i| covered(seq(2 * i))));
        r.on_timeout(seq(200));
        assert_eq!(r.next_lost(&sb, seq(0), MSS), Some((seq(0), MSS)));
        r.trim(seq(150), &sb);
        // The mark holding SND.UNA stays, none wholly below it.
        assert!(r.first_sent(seq(150)).is_some());
        assert!(r.sent.get(1).is_none_or(|m| m.seq > seq(150)));
    }

    #[test]
    fn a_dsack_widens_the_window_again_after_more_than_2_gib() {
        // RFC 8985 §6.2 step 4: at most one widening per round trip, the
        // round ending when SND.UNA passes the SND.NXT recorded. Kept as a
        // sequence number past its round, 2^31 bytes later the marker looks
        // ahead of SND.UNA (RFC 9293 §3.4 comparisons) and no D-SACK would
        // widen the window for the next 2 GiB.
        let srtt = Duration::from_micros(1000);
        let mut r = Rack::new(seq(0));
        r.on_rtt_sample(srtt);
        let sb = Scoreboard::<8>::new();
        r.on_dsack(seq(0), seq(4));
        let once = r.reo_wnd(false, false, srtt);
        // 3 GiB acknowledged in 256 MiB steps (each ACK inside a window).
        let mut una = seq(0);
        for _ in 0..12 {
            una += 256 << 20;
            r.trim(una, &sb);
        }
        r.on_dsack(una, una + 4 * MSS);
        assert!(
            r.reo_wnd(false, false, srtt) > once,
            "a new round: the window widens"
        );
    }

    #[test]
    fn a_resend_is_forgotten_before_the_sequence_space_wraps_onto_it() {
        // A resend logged, then 4 GiB acknowledged: the same sequence
        // numbers are new data, and a D-SACK for them reports a network
        // copy, not the old spurious resend (which would undo a reduction).
        let mut r = sent(2);
        let sb = Scoreboard::<8>::new();
        r.on_retransmit(seq(0), seq(1), us(2000));
        assert!(r.was_resent(seq(0), seq(1)));
        let mut una = seq(0);
        for _ in 0..16 {
            una += 256 << 20;
            r.trim(una, &sb);
        }
        assert_eq!(una, seq(0));
        assert!(!r.was_resent(seq(0), seq(1)), "4 GiB ago");
    }
}
