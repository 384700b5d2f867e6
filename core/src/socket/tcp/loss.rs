//! The socket's side of RACK-TLP (RFC 8985), the rescue retransmission
//! (RFC 6675 §4), and the undo of spurious reductions (RFC 3708, RFC
//! 4015): what happens on an ACK, on the RACK and probe timers, and which
//! segment a recovery sends next. A child module of the socket, so that
//! the connection's fields stay private.

use super::*;
use crate::socket::tcp::rack::{Delivered, Rack};
use crate::socket::tcp::sack::{SackUpdate, SeqRange};

/// What [`TcpSocket::recovery_retransmission`] chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Resend {
    /// A segment deemed lost (or the head, at the start of a recovery).
    Repair,
    /// RFC 6675 §4 NextSeg rule 4: once per recovery, the last segment.
    Rescue,
    /// RFC 8985 §7.3: the tail loss probe resends the last segment.
    Probe,
}

/// RFC 8985 §7.2 WCDelAckT: the longest a receiver may delay an ACK.
const WORST_CASE_ACK_DELAY: Duration = Duration::from_millis(200);
/// Added to 2·SRTT: Linux's `TCP_TIMEOUT_MIN` (2 jiffies), which its
/// tcp_schedule_loss_probe adds rather than takes as a floor: ACKs that
/// run a little late (a busy host, a queue that jitters) then draw no
/// probe, and a sub-millisecond RTT does not probe every few polls.
const MIN_PTO: Duration = Duration::from_millis(2);

impl TcpSocket<'_> {
    /// RACK on an acceptable ACK (SACK connections), after the scoreboard
    /// took its blocks: record what was delivered and when it was sent
    /// (RFC 8985 §6.2), learn from a D-SACK, and mark losses.
    pub(super) fn rack_on_ack(
        &mut self,
        now: Instant,
        old_una: TcpSeqNumber,
        repr: &TcpRepr<'_>,
        sack: &SackUpdate,
    ) {
        // RFC 2018 §4: the first block holds the segment that triggered
        // the ACK, the newest delivery (the second when the first is a
        // D-SACK). It is news when it SACKed something, or when the
        // scoreboard, full, could not keep it (above every range it
        // holds): RACK must hear of that delivery all the same, or the
        // holes below it wait for the RTO (a slow start overshooting a
        // queue loses every other segment: more holes than ranges).
        let skip = usize::from(sack.dsack.is_some());
        let newest = repr
            .sack_ranges
            .iter()
            .flatten()
            .nth(skip)
            .map(|&(l, r)| (TcpSeqNumber(l), TcpSeqNumber(r)))
            .filter(|&(_, r)| self.snd_una < r && r <= self.snd_max);
        let highest = self.scoreboard.highest_sacked();
        let newest = newest.filter(|&(_, r)| {
            sack.newly_sacked > 0 || (sack.dropped > 0 && highest.is_none_or(|h| r > h))
        });
        // The highest sequence this ACK shows delivered.
        let delivered_to = highest
            .into_iter()
            .chain(newest.map(|(_, r)| r))
            .fold(self.snd_una, TcpSeqNumber::max);
        if self.snd_una > old_una {
            self.rack.on_delivered(
                old_una,
                self.snd_una,
                now,
                Delivered::Cumulative,
                (delivered_to, self.snd_max),
            );
        }
        if let Some((l, r)) = newest {
            self.rack.on_delivered(
                l.max(self.snd_una),
                r,
                now,
                Delivered::Sacked,
                (delivered_to, self.snd_max),
            );
        }
        // A D-SACK of data never resent reports a copy the network made
        // (a link that duplicates), not a spurious resend: it neither
        // undoes a reduction nor widens the reordering window (Linux
        // counts D-SACKs of retransmitted segments only).
        let dsack = sack.dsack.filter(|&(l, r)| self.rack.was_resent(l, r));
        if let Some((l, r)) = dsack.filter(|&(_, r)| self.snd_una < r && r <= self.snd_max) {
            // A resend arrived where the original had: still a delivery
            // of data sent then, which tells older resends lost even when
            // the scoreboard never learnt of the original.
            self.rack.on_delivered(
                l.max(self.snd_una),
                r,
                now,
                Delivered::Duplicate,
                (delivered_to, self.snd_max),
            );
        }
        if let Some(dsack) = dsack {
            self.rack.on_dsack(self.snd_una, self.snd_max);
            // A probe's copy is no retransmission of the recovery
            // (`after_resend` does not count it in `undo_retrans`): its
            // D-SACK must not count against the repairs' either.
            let (l, r) = dsack;
            let probe = self.tlp_retrans && self.tlp_end.is_some_and(|e| l < e && e <= r);
            if !probe {
                self.undo_on_dsack(now, dsack);
            }
        }
        self.tlp_on_ack(now, old_una, sack);
        if self.snd_una == self.snd_max {
            // Nothing outstanding: nothing to detect, and the sequence
            // references restart here.
            self.rack_restart();
            return;
        }
        self.rack.trim(self.snd_una, &self.scoreboard);
        self.rack_detect(now);
    }

    /// RFC 8985 §6.2 step 5 with the current reordering window.
    pub(super) fn rack_detect(&mut self, now: Instant) -> bool {
        let reo_wnd = self.reo_wnd();
        let marked = self.rack.detect_loss(now, self.snd_max, reo_wnd);
        if marked {
            self.stats.rack_marked = self.stats.rack_marked.wrapping_add(1);
        }
        marked
    }

    /// RACK's reordering window now (RFC 8985 §6.2 step 4).
    pub(super) fn reo_wnd(&self) -> Duration {
        let srtt = self.rtt.srtt().unwrap_or_else(|| self.rtt.rto());
        let dupthresh = self.dupacks >= 3 || self.scoreboard.is_lost(self.snd_una, self.mss);
        self.rack
            .reo_wnd(self.phase != Phase::Open, dupthresh, srtt)
    }

    /// Whether RACK deems a segment lost that is not being repaired.
    pub(super) fn rack_has_lost(&self) -> bool {
        self.snd_una != self.snd_max && self.rack.has_lost(&self.scoreboard, self.snd_una)
    }

    /// New data leaves from an empty flight: RACK's sequence references
    /// start at SND.UNA (they must stay within 2^31 of it).
    pub(super) fn rack_restart(&mut self) {
        let mut rack = Rack::new(self.snd_una);
        if let Some(m) = self.rack.min_rtt() {
            rack.on_rtt_sample(m);
        }
        rack.keep_reordering_state(&self.rack);
        self.rack = rack;
    }

    /// The RACK reordering timer fired (RFC 8985 §6.3).
    pub(super) fn on_rack_timer(&mut self, now: Instant) {
        if self.rack_detect(now) && self.phase == Phase::Open && self.rack_has_lost() {
            let flight = self.in_flight();
            self.enter_fast_recovery(now, flight);
        }
    }

    /// A timeout with SACK: everything not SACKed is lost and is resent
    /// from the scoreboard, skipping what the peer holds (RFC 6675 §5.1
    /// allows keeping the SACK information; Linux does). A second timeout
    /// in a row forgets it (RFC 2018 §8: the receiver may have reneged).
    pub(super) fn rack_on_timeout(&mut self) {
        if self.rtt.backoffs() > 1 {
            self.scoreboard.clear();
        }
        self.rack.on_timeout(self.snd_max);
        self.tlp_end = None;
        self.tlp_due = false;
        self.pto_at = None;
    }

    /// The bytes of data (not SYN or FIN) sent and not acknowledged.
    pub(super) fn data_outstanding(&self) -> usize {
        self.in_flight()
            .saturating_sub(usize::from(self.fin_sent))
            .min(self.tx.len())
    }

    /// The next retransmission with SACK: RACK's lost segments (the first
    /// regardless of pipe, RFC 6675 §5 step 4.3), RFC 6675 §4 rule 4's
    /// rescue, or RFC 8985 §7.3's probe; as (offset from SND.UNA, length).
    pub(super) fn sack_resend(&self) -> Option<(usize, usize, Resend)> {
        let offset = |seq: TcpSeqNumber| seq.distance_from(self.snd_una).max(0) as usize;
        // RFC 8985 §7.3: the probe is new data if it may go, else the
        // last segment. In the open state only the probe is resent; a
        // fast recovery's probe (see `schedule_tlp`) goes the same way,
        // new data through `sendable_up_to`, which lets one segment past
        // PRR.
        let probe = self.tlp_due && matches!(self.phase, Phase::Open | Phase::Fast);
        if self.phase == Phase::Open || probe {
            if !probe || self.sendable_now() > 0 || self.fin_sent {
                return None;
            }
            let data = self.data_outstanding();
            let len = data.min(self.mss);
            return (len > 0).then_some((data - len, len, Resend::Probe));
        }
        // In fast recovery PRR paces the repairs (RFC 6937), after a
        // timeout cwnd does; the first goes regardless (RFC 6675 §5 4.3).
        let room = if self.phase == Phase::Fast {
            self.prr.allowance(self.pipe(), self.cc.ssthresh()) > 0
        } else {
            self.pipe() < self.cc.cwnd()
        };
        if !self.rtx_head && !room {
            return None;
        }
        if let Some((seq, len)) = self
            .rack
            .next_lost(&self.scoreboard, self.snd_una, self.mss)
        {
            return Some((offset(seq), len, Resend::Repair));
        }
        // RFC 6675 §4 rule 4: nothing lost to repair and no new data to
        // send: once per recovery, resend the last segment not SACKed, so
        // a tail loss is not left to the RTO.
        let sent = self.snd_nxt.distance_from(self.snd_una).max(0) as usize;
        let new_data = self.tx.len() > sent && self.snd_wnd > self.in_flight();
        if self.phase == Phase::Fast && self.rescue_rxt != Some(self.recover) && !new_data {
            let (seq, len) = self
                .scoreboard
                .rescue_seg(self.snd_una, self.snd_max, self.mss)?;
            // Rule 4 wants the highest un-SACKed byte above HighRxt: never
            // a segment whose retransmission is still on its way.
            if self.rack.is_retransmitting(seq + len.saturating_sub(1)) {
                return None;
            }
            let off = offset(seq);
            let len = len.min(self.data_outstanding().saturating_sub(off));
            return (len > 0).then_some((off, len, Resend::Rescue));
        }
        None
    }

    /// Bookkeeping after a retransmission of `[seq, end)` left.
    pub(super) fn after_resend(
        &mut self,
        now: Instant,
        seq: TcpSeqNumber,
        end: TcpSeqNumber,
        kind: Resend,
    ) {
        self.rack.on_retransmit(seq, end, now);
        match kind {
            Resend::Repair => {}
            Resend::Rescue => self.rescue_rxt = Some(self.recover),
            Resend::Probe => self.after_probe(now, false),
        }
        if kind != Resend::Probe && self.phase == Phase::Fast {
            // The probe timeout of a fast recovery runs from its latest
            // transmission (see `schedule_tlp`).
            self.schedule_tlp(now);
        }
        if kind != Resend::Probe && self.undo.is_some() {
            let segments = span_segments(seq, end, self.mss);
            self.undo_retrans = self.undo_retrans.saturating_add(segments);
        }
    }

    /// A tail loss probe left (new data when `new_data`): RFC 8985 §7.3
    /// remembers it and re-arms the RTO.
    pub(super) fn after_probe(&mut self, now: Instant, new_data: bool) {
        self.tlp_due = false;
        self.tlp_end = Some(self.snd_max);
        self.tlp_retrans = !new_data;
        self.stats.loss_probes = self.stats.loss_probes.wrapping_add(1);
        self.rto_at = Some(now + self.rtt.rto());
    }

    /// RFC 8985 §7.2: (re)arms the probe timeout after new data left or an
    /// ACK advanced SND.UNA, with data outstanding, in the open state and
    /// in fast recovery.
    ///
    /// In fast recovery too: RFC 8985 §7.2 arms the probe in the open
    /// state only, leaving a recovery to RACK and the RTO; RFC 9002 §6.2
    /// arms QUIC's probe timeout whatever the recovery state, since it
    /// also recovers lost ACKs. In the impaired rig (1 % loss both ways)
    /// every one of 6–12 RTOs a 5 s cell came in a fast recovery whose
    /// last retransmission had filled the receiver's only hole: the
    /// receiver (compressing the ACKs of out-of-order data, as Linux
    /// does) answered with one ACK of everything, that ACK was lost, PRR
    /// let nothing more out without an ACK, and the connection waited the
    /// 200 ms minimum RTO for an ACK the probe brings back in 2·SRTT. A
    /// probe that finds a real loss is answered by an ACK whose SACK
    /// blocks RACK reads as ever.
    pub(super) fn schedule_tlp(&mut self, now: Instant) {
        self.pto_at = None;
        if !self.sack_ok
            || self.phase == Phase::Timeout
            || self.tlp_end.is_some()
            || self.fin_sent
            || self.data_outstanding() == 0
        {
            return;
        }
        let Some(srtt) = self.rtt.srtt() else {
            return;
        };
        // RFC 8985 §7.2's 2·SRTT, but no earlier than the RTT's own spread
        // allows (SRTT + 4·RTTVAR, RFC 9002 §6.2.1's probe timeout for
        // QUIC, RFC 6298's RTO without its floor): where ACKs come back
        // unevenly (a host whose threads wait for a CPU now and then), an
        // ACK later than 2·SRTT is no sign of loss, and the probe resent
        // data that was not lost (13 to 67 spurious probes a 5 s transfer
        // on a clean link in the impaired rig, each then D-SACKed). On a
        // steady path RTTVAR is small and this is 2·SRTT.
        let mut pto = srtt * 2;
        if let Some(var) = self.rtt.rttvar() {
            pto = pto.max(srtt + var * 4);
        }
        if self.in_flight() <= self.mss {
            // One segment out: its ACK may be delayed.
            pto += WORST_CASE_ACK_DELAY;
        }
        let at = now + pto + MIN_PTO;
        // The RTO comes first: no probe.
        if self.rto_at.is_some_and(|rto| at >= rto) {
            return;
        }
        self.pto_at = Some(at);
    }

    /// The probe timer fired: the next dispatch sends the probe.
    pub(super) fn on_pto(&mut self) {
        self.pto_at = None;
        if self.phase != Phase::Timeout && self.data_outstanding() > 0 {
            self.tlp_due = true;
        }
    }

    /// RFC 8985 §7.4: did the probe repair a loss?
    fn tlp_on_ack(&mut self, now: Instant, old_una: TcpSeqNumber, sack: &SackUpdate) {
        let Some(end) = self.tlp_end else {
            return;
        };
        if self.snd_una < end {
            return;
        }
        let advanced = self.snd_una > old_una;
        let covered = |(l, r): SeqRange| l < end && end <= r;
        if !self.tlp_retrans || sack.dsack.is_some_and(covered) {
            // New data, or both copies arrived: nothing was lost.
            self.tlp_end = None;
        } else if !advanced && sack.newly_sacked == 0 {
            // A pure duplicate ACK at the probe's end: the probe's copy
            // arrived after the original (a receiver that sends no
            // D-SACK): nothing was lost (Linux's tcp_process_tlp_ack).
            self.tlp_end = None;
        } else if self.snd_una > end {
            // The probe alone got through: a loss it repaired, which calls
            // for the reduction fast recovery would have made.
            self.tlp_end = None;
            if self.phase == Phase::Open {
                self.stats.probe_recoveries = self.stats.probe_recoveries.wrapping_add(1);
                let cwnd = self.cc.cwnd();
                self.cc.on_congestion(now, cwnd);
                self.cc.on_recovery_exit(now);
            }
        }
    }

    /// The reduction about to be made may be undone later: remember the
    /// window before it (RFC 3708 §3, RFC 4015 §3.2).
    pub(super) fn save_undo(&mut self) {
        self.undo = Some((self.cc.cwnd(), self.cc.ssthresh(), self.snd_una));
        self.undo_retrans = 0;
        self.rack.forget_resent();
    }

    /// RFC 3708 §3 (Linux's DSACK undo): every retransmission of this
    /// recovery came back as a duplicate: the reduction was for nothing.
    fn undo_on_dsack(&mut self, now: Instant, (l, r): SeqRange) {
        let Some((cwnd, ssthresh, marker)) = self.undo else {
            return;
        };
        if self.undo_retrans == 0 || l < marker {
            return;
        }
        let segments = span_segments(l, r, self.mss);
        self.undo_retrans = self.undo_retrans.saturating_sub(segments);
        if self.undo_retrans == 0 {
            self.undo_reduction(now, cwnd, ssthresh);
            // Linux's tcp_try_undo_dsack then tcp_try_to_open: the
            // recovery was for nothing and ends here. Left in it, its end
            // would set cwnd to the ssthresh just restored (unbounded in
            // slow start). A loss still marked starts a new one.
            if self.phase == Phase::Fast {
                self.phase = Phase::Open;
                self.rtx_head = false;
                self.dupacks = 0;
                self.rack.on_recovery_exit();
            }
        }
    }

    /// Restores the window saved before a reduction found spurious.
    fn undo_reduction(&mut self, now: Instant, cwnd: usize, ssthresh: usize) {
        self.undo = None;
        self.undo_retrans = 0;
        self.cc.undo(now, cwnd, ssthresh);
        self.stats.undos = self.stats.undos.wrapping_add(1);
    }

    /// A fast recovery ends (RFC 6582 §3.2 step 6): when none of its
    /// retransmissions is left unaccounted for — none was sent (the late
    /// original filled the hole before the repair left) or every one came
    /// back as a D-SACK — nothing was lost, and the reduction is undone
    /// (RFC 3708 §3; Linux's tcp_try_undo_recovery). Whether it was.
    pub(super) fn try_undo_recovery(&mut self, now: Instant) -> bool {
        let Some((cwnd, ssthresh, _)) = self.undo else {
            return false;
        };
        if self.undo_retrans > 0 {
            return false;
        }
        self.undo_reduction(now, cwnd, ssthresh);
        true
    }

    /// RFC 3522 / RFC 4015 (Eifel): the first ACK after a timeout echoes a
    /// timestamp from before the retransmission, so the original arrived
    /// and the timeout was spurious: restore the window and go on with new
    /// data instead of resending what the peer has.
    pub(super) fn eifel_on_ack(&mut self, now: Instant, repr: &TcpRepr<'_>) -> bool {
        let Some(first_rtx) = self.eifel_tsval.take() else {
            return false;
        };
        let Some((_, tsecr)) = repr.timestamp else {
            return false;
        };
        if tsecr == 0 || wrapping_ge(tsecr, first_rtx) {
            return false;
        }
        // The same ACK's D-SACK of the resend (`rack_on_ack` runs first)
        // may have undone the reduction already: one undo, counted once.
        if let Some((cwnd, ssthresh, _)) = self.undo {
            self.undo_reduction(now, cwnd, ssthresh);
        }
        self.phase = Phase::Open;
        self.snd_nxt = self.snd_max;
        self.rack.on_timeout(self.snd_una);
        true
    }
}

/// The full-sized segments `[l, r)` spans, at least one.
fn span_segments(l: TcpSeqNumber, r: TcpSeqNumber, mss: usize) -> u32 {
    let bytes = r.distance_from(l).max(0) as usize;
    u32::try_from(bytes.div_ceil(mss.max(1)).max(1)).unwrap_or(u32::MAX)
}
