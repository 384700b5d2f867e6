//! Segment arrival (RFC 9293 §3.10.7): acceptance (RFC 5961, PAWS), the
//! ACK (RTT samples, fast retransmit), data into the receive ring and its
//! out-of-order map, the peer's FIN.

use super::{wrapping_ge, State, TcpError, TcpSocket};
use crate::socket::tcp::assembler::SackBlock;
use crate::socket::tcp::congestion::CongestionControl;
use crate::socket::tcp::recovery::{dupacks_after_partial_ack, Phase};
use crate::socket::tcp::sack::SackUpdate;
use crate::time::{Duration, Instant};
use crate::wire::tcp::{TcpFlags, TcpRepr, TcpSeqNumber, MAX_SACK_BLOCKS};

/// A received segment's acceptance, decided before the state machine acts.
enum Verdict {
    /// Drop it silently.
    Drop,
    /// Drop it and answer with an ACK (out of window, RFC 9293 §3.10.7.4).
    Ack,
    /// Drop it and answer with an RFC 5961 challenge ACK, throttled (§7).
    Challenge,
    /// Process it.
    Accept,
}

impl TcpSocket<'_> {
    /// Processes a segment addressed to this connection.
    pub(crate) fn process(&mut self, now: Instant, repr: &TcpRepr<'_>) {
        self.stats.segments_in = self.stats.segments_in.wrapping_add(1);
        self.ack_at_once = false;
        match self.state {
            State::Closed | State::Listen => {}
            State::SynSent => self.process_syn_sent(now, repr),
            _ => self.process_synchronized(now, repr),
        }
        self.wake_ready();
    }

    fn process_syn_sent(&mut self, now: Instant, repr: &TcpRepr<'_>) {
        // RFC 9293 §3.10.7.3, first: the ACK must cover our SYN exactly.
        if let Some(ack) = repr.ack_number {
            // Against the highest number sent: a timeout pulls SND.NXT back
            // to the ISS before the SYN is resent, and the SYN-ACK to the
            // first copy may arrive in between (issue 10 item 17). Stated
            // as what is acceptable, ISS < SEG.ACK =< SND.MAX: half the
            // space away, sequence numbers compare neither way, and the
            // negation "SEG.ACK =< ISS or SEG.ACK > SND.MAX" let an ACK at
            // ISS + 2^31 through before our SYN had even left (SND.MAX =
            // ISS), which sent data from the SYN's number (found by the
            // `tcp_socket` fuzz target).
            let acceptable = ack > self.iss && ack <= self.snd_max;
            if !acceptable {
                if !repr.control.contains(TcpFlags::RST) {
                    self.reset = Some((ack, None));
                }
                return;
            }
        }
        if repr.control.contains(TcpFlags::RST) {
            // Second: a reset with an acceptable ACK refuses the connection;
            // without an ACK it is dropped (RFC 5961 §3.2 spirit).
            if repr.ack_number.is_some() {
                self.fail(TcpError::ConnectionRefused);
            }
            return;
        }
        if !repr.control.contains(TcpFlags::SYN) {
            return;
        }
        // The peer's SYN is the first segment it sent: keepalive's idle
        // time counts from here, not from our connect (RFC 1122
        // §4.2.3.6), else a handshake longer than idle + count × interval
        // ends the connection it opens.
        self.last_activity = now;
        self.keepalive_probes = 0;
        self.irs = repr.seq_number;
        self.rcv_nxt = repr.seq_number + 1;
        self.take_syn_options(repr, now);
        self.mss = self.send_mss_for(self.mss_budget());
        self.cc.set_mss(self.mss);
        match repr.ack_number {
            Some(ack) => {
                // The handshake is the first RTT sample (RFC 6298 §2.2),
                // unless the SYN was retransmitted and nothing tells which
                // copy this answers (Karn).
                self.sample_rtt(now, repr, ack);
                if self.rtt.backoffs() > 0 {
                    // RFC 6298 §5.7: the SYN timed out and (Karn) the
                    // handshake gave no sample: "the RTO MUST be
                    // re-initialized to 3 seconds when data transmission
                    // begins".
                    self.rtt.reset_after_syn_timeout();
                }
                self.retries = 0;
                self.ack_advance(now, ack);
                // RFC 7323 §2.2: the SYN-ACK's window is not scaled.
                self.snd_wnd = usize::from(repr.window_len);
                self.max_snd_wnd = self.snd_wnd;
                self.snd_wl1 = repr.seq_number;
                self.snd_wl2 = ack;
                self.state = State::Established;
                self.ack_now = true;
                self.rcv_adv = self.rcv_nxt;
                self.last_ack_sent = self.rcv_nxt;
                // RFC 9293 §3.10.7.3: "If there are other controls or text
                // in the segment, continue processing at the sixth step":
                // data and a FIN riding on the SYN-ACK are taken.
                self.process_text(now, repr);
                self.process_fin(now);
            }
            None => {
                // Simultaneous open (RFC 9293 §3.5, figure 8): SYN-ACK back.
                self.state = State::SynReceived;
                self.snd_nxt = self.iss;
                self.snd_wnd = usize::from(repr.window_len);
                // The SYN-ACK goes at once (SND.NXT = ISS asks for it) and
                // arms its own timer: an expired timer here made it a
                // timeout, backing the RTO off and spending a SYN retry.
                self.rto_at = None;
            }
        }
    }

    /// The MSS budget from the MTU the interface last told us.
    fn mss_budget(&self) -> usize {
        self.mss
    }

    fn process_synchronized(&mut self, now: Instant, repr: &TcpRepr<'_>) {
        if self.state == State::TimeWait
            && repr.control.contains(TcpFlags::FIN)
            && !repr.control.contains(TcpFlags::RST)
            && repr.seq_number + repr.payload.len() + 1 == self.rcv_nxt
        {
            // RFC 9293 §3.10.7.4: a retransmitted FIN in TIME-WAIT is
            // acknowledged again and the 2·MSL wait restarts.
            self.ack_now = true;
            self.enter_time_wait(now);
            return;
        }
        match self.acceptance(now, repr) {
            Verdict::Drop => return,
            Verdict::Ack => {
                // Linux's tcp_oow_rate_limited: a segment with data (or a
                // SYN or FIN) always earns its ACK, its sender needs it;
                // pure ACKs are answered at most once per interval, or
                // two ends that disagree (or a forger) loop on them.
                // A probe (one below RCV.NXT) while our reopened window is
                // unconfirmed: the window update may have been lost, and
                // the peer must learn of it at once (RFC 9293 §3.8.6.1),
                // not after another persist interval or several. Once per
                // reopening, so no ACK loop can build on it.
                let gap = self.config.invalid_ack_interval;
                let pure = repr.segment_len() == 0;
                let news = pure && core::mem::take(&mut self.window_reopened);
                if !pure || news || self.last_invalid_ack.is_none_or(|t| now - t >= gap) {
                    if pure {
                        self.last_invalid_ack = Some(now);
                    }
                    self.challenge_ack = true;
                } else {
                    self.stats.invalid_acks_throttled =
                        self.stats.invalid_acks_throttled.wrapping_add(1);
                }
                return;
            }
            Verdict::Challenge => {
                let gap = self.config.challenge_ack_interval;
                let allowed = self.last_challenge.is_none_or(|t| now - t >= gap);
                if allowed {
                    self.last_challenge = Some(now);
                    self.challenge_ack = true;
                } else {
                    self.stats.challenge_acks_throttled =
                        self.stats.challenge_acks_throttled.wrapping_add(1);
                }
                return;
            }
            Verdict::Accept => {}
        }
        self.last_activity = now;
        self.keepalive_probes = 0;
        self.persist_unanswered = 0;
        if let (Some(ts), Some((tsval, _))) = (self.ts.as_mut(), repr.timestamp) {
            // RFC 7323 §4.3 (2): TS.Recent takes the TSval of a segment
            // with SEG.SEQ =< Last.ACK.sent, the ACK we last sent, not
            // RCV.NXT: while our ACK is delayed, the echo stays that of the
            // earliest segment it will acknowledge, so the peer's RTT
            // measure includes the delay (§4.3, figure 3).
            if repr.seq_number <= self.last_ack_sent && wrapping_ge(tsval, ts.recent) {
                ts.recent = tsval;
                ts.recent_at = now;
            }
        }
        let Some(ack) = repr.ack_number else {
            // RFC 9293 §3.10.7.4 fifth: no ACK, drop.
            return;
        };
        if self.state == State::SynReceived {
            // SND.UNA < SEG.ACK =< SND.MAX, stated positively: see
            // process_syn_sent.
            if !(ack > self.snd_una && ack <= self.snd_max) {
                self.reset = Some((ack, None));
                return;
            }
            if self.rtt.backoffs() > 0 {
                // RFC 6298 §5.7: the SYN-ACK timed out; 3 s from now on
                // unless a sample says otherwise.
                self.rtt.reset_after_syn_timeout();
            }
            // A close queued in SYN-RECEIVED takes effect now (RFC 9293 §3.10.4).
            self.state = if self.fin_queued {
                State::FinWait1
            } else {
                State::Established
            };
            self.snd_wnd = usize::from(repr.window_len) << self.snd_shift;
            self.max_snd_wnd = self.snd_wnd;
            self.snd_wl1 = repr.seq_number;
            self.snd_wl2 = ack;
        }
        self.process_ack(now, repr, ack);
        if self.state == State::Closed {
            return;
        }
        self.process_text(now, repr);
        self.process_fin(now);
    }

    /// RFC 9293 §3.10.7.4 first to fourth checks, with PAWS (RFC 7323 §5)
    /// and the RFC 5961 blind-attack mitigations.
    fn acceptance(&mut self, now: Instant, repr: &TcpRepr<'_>) -> Verdict {
        let rst = repr.control.contains(TcpFlags::RST);
        // RFC 7323 §5.3 PAWS: an older timestamp than TS.Recent is a
        // duplicate from an earlier incarnation of the sequence space.
        if let (Some(ts), Some((tsval, _))) = (self.ts, repr.timestamp) {
            let stale = now - ts.recent_at > Duration::from_secs(24 * 24 * 3600);
            if !rst && !stale && !wrapping_ge(tsval, ts.recent) {
                return Verdict::Ack;
            }
        }
        let len = repr.segment_len();
        let wnd = self.rx_window();
        let seq = repr.seq_number;
        let in_window = |s: TcpSeqNumber| s >= self.rcv_nxt && s < self.rcv_nxt + wnd;
        // RFC 9293 §3.10.7.4 first: the four acceptability cases.
        let acceptable = match (len, wnd) {
            (0, 0) => seq == self.rcv_nxt,
            (0, _) => in_window(seq),
            // "If the RCV.WND is zero, no segments will be acceptable, but
            // special allowance should be made to accept valid ACKs, URGs,
            // and RSTs": a segment that reaches the left edge (a zero-window
            // probe, a retransmission) goes on for its ACK, window and RST;
            // process_text keeps none of its data and answers with an ACK.
            // Without this, two peers both at a zero window drop each
            // other's ACKs (each probe advances SND.NXT) until they give up
            // (issue 10 item 2). A bare FIN there is taken whole, as Linux
            // does (tcp_data_queue): it needs no room in the buffer.
            (_, 0) => seq <= self.rcv_nxt && seq + (len - 1) >= self.rcv_nxt,
            (_, _) => in_window(seq) || in_window(seq + (len - 1)),
        };
        if rst {
            // RFC 5961 §3.2: reset only on an exact match; in-window
            // resets get a challenge ACK; others are dropped.
            return if seq == self.rcv_nxt {
                match self.state {
                    // Our SYN-RECEIVED sockets come from an active open
                    // (simultaneous open, RFC 9293 §3.5 figure 8; a
                    // listener's half-open connections live in the
                    // listener): "the connection was refused" (§3.10.7.4).
                    State::SynReceived => self.fail(TcpError::ConnectionRefused),
                    State::TimeWait | State::Closing | State::LastAck => self.set_closed(),
                    _ => self.fail(TcpError::ConnectionReset),
                }
                Verdict::Drop
            } else if acceptable || in_window(seq) {
                Verdict::Challenge
            } else {
                Verdict::Drop
            };
        }
        if repr.control.contains(TcpFlags::SYN) {
            // RFC 5961 §4.2: any SYN in a synchronized state gets a challenge
            // ACK (a retransmitted SYN in SYN-RECEIVED too: the ACK helps).
            if self.state == State::TimeWait && self.syn_reopens(repr) {
                // RFC 9293 §3.10.7.4 / RFC 6191: a new SYN may reuse a
                // TIME-WAIT 4-tuple; the interface hands this same SYN to
                // the listener once we are gone.
                self.set_closed();
                return Verdict::Drop;
            }
            return Verdict::Challenge;
        }
        if !acceptable {
            // Zero-window probes and old duplicates: re-ACK what we have,
            // naming the duplicate data (RFC 2883 §4: "the first SACK
            // block … MUST specify the contiguous sequence space of the
            // duplicate segment" that triggered the ACK).
            let data = repr.payload.len();
            if data > 0 && seq + data <= self.rcv_nxt {
                self.owe_dsack((seq, seq + data));
            }
            return Verdict::Ack;
        }
        if let Some(ack) = repr.ack_number {
            // RFC 5961 §5.2: the ACK must be within the window we could have
            // sent; above SND.NXT it is answered with an ACK and dropped.
            let max_back = self.max_snd_wnd.max(1);
            if ack > self.snd_max {
                return Verdict::Challenge;
            }
            if ack < self.snd_una - max_back && self.state != State::SynReceived {
                return Verdict::Challenge;
            }
        }
        Verdict::Accept
    }

    /// RFC 6191 §2: a SYN (no ACK) in TIME-WAIT opens a new incarnation
    /// when its timestamp is newer than the last one seen (both sides used
    /// timestamps), else when its ISN is above RCV.NXT (RFC 9293
    /// §3.10.7.4); nothing older can be confused with the new connection.
    fn syn_reopens(&self, repr: &TcpRepr<'_>) -> bool {
        if repr.ack_number.is_some() {
            return false;
        }
        match (self.ts, repr.timestamp) {
            (Some(ts), Some((tsval, _))) => tsval != ts.recent && wrapping_ge(tsval, ts.recent),
            _ => repr.seq_number > self.rcv_nxt,
        }
    }

    fn process_ack(&mut self, now: Instant, repr: &TcpRepr<'_>, ack: TcpSeqNumber) {
        let window = usize::from(repr.window_len) << self.snd_shift;
        // Header prediction (Van Jacobson's, Linux's tcp_rcv_established
        // fast path), for every data segment a receiver that sends nothing
        // gets: an ACK of exactly SND.UNA with nothing in flight and no SACK
        // block moves nothing the code below looks after. Nothing advanced,
        // no scoreboard or RACK input (the flight is empty), RACK deems
        // nothing lost (it needs SND.UNA < SND.MAX), it is no duplicate ACK
        // (no data outstanding), and outside a fast recovery there is no
        // PRR to feed: only the window update and what follows it remain.
        if ack == self.snd_una
            && self.snd_una == self.snd_max
            && self.phase != Phase::Fast
            && repr.sack_ranges.iter().all(Option::is_none)
        {
            return self.after_ack(now, repr, ack, window);
        }
        let old_una = self.snd_una;
        // FlightSize when this ACK arrived: the flight a loss it reveals
        // happened in (see enter_fast_recovery).
        let flight_before = self.in_flight();
        let advanced = ack > self.snd_una;
        let acked = ack.distance_from(self.snd_una).max(0) as usize;
        let mut sample = None;
        if advanced {
            sample = self.sample_rtt(now, repr, ack);
            // RFC 6298 §5 (Karn): the backoff stays until a valid RTT
            // sample (which `sample_rtt` gives the estimator) collapses it;
            // an ACK of retransmitted data is none, and resetting here would
            // loop in spurious timeouts at cwnd 1 when the RTT outgrew the
            // unbacked RTO.
            self.retries = 0;
            self.ack_advance(now, ack);
        }
        // The SACK scoreboard after SND.UNA moved (its `update` wants the new
        // cumulative ACK, RFC 6675 §5): a D-SACK block just below it is then
        // recognised as one (RFC 3708 §2), and nothing below it is merged.
        let mut sack = SackUpdate::default();
        let has_blocks = repr.sack_ranges.iter().any(Option::is_some);
        // An ACK with no block while nothing was in flight (every data
        // segment a receiver gets that sends nothing) has nothing for the
        // scoreboard or RACK: the ACK that emptied the flight already ran
        // them, and `dispatch` restarts RACK before sending from an empty
        // flight. Skipping them spares rebuilding RACK's state per segment.
        let flight_was_empty = old_una == self.snd_max;
        if self.sack_ok && (has_blocks || !flight_was_empty) {
            let mut blocks = [(TcpSeqNumber(0), TcpSeqNumber(0)); MAX_SACK_BLOCKS];
            let mut n = 0;
            for (l, r) in repr.sack_ranges.iter().flatten() {
                if let Some(b) = blocks.get_mut(n) {
                    *b = (TcpSeqNumber(*l), TcpSeqNumber(*r));
                    n += 1;
                }
            }
            sack = self
                .scoreboard
                .update_ack(self.snd_una, self.snd_max, ack, &blocks[..n]);
            if sack.dsack.is_some() {
                self.stats.dsacks_received = self.stats.dsacks_received.wrapping_add(1);
            }
            self.rack_on_ack(now, old_una, repr, &sack);
        }
        // RACK deems a segment lost on this ACK: it starts a recovery
        // (below), and, as in Linux (tcp_cong_control runs after
        // tcp_fastretrans_alert), does not grow the window first: the
        // reduction is from the window the loss happened in.
        let loss_found = self.sack_ok && self.phase == Phase::Open && self.rack_has_lost();
        if advanced {
            // FlightSize after this ACK, as the controller expects: the
            // flight before it would count the acknowledged bytes twice
            // and let an application-limited sender grow cwnd (RFC 7661).
            let in_flight = self.in_flight();
            match self.phase {
                // RFC 6582 §3.2 step 6: a full ACK ends recovery.
                Phase::Fast if ack >= self.recover => {
                    self.phase = Phase::Open;
                    self.rtx_head = false;
                    self.dupacks = 0;
                    self.rack.on_recovery_exit();
                    if !self.try_undo_recovery(now) {
                        self.cc.on_recovery_exit(now);
                    }
                }
                Phase::Fast => {
                    self.cc.on_recovery_ack(now, acked, in_flight);
                    if self.sack_ok {
                        // RACK decides what is lost (RFC 8985 §6): a head
                        // already retransmitted (in a RACK record) is a
                        // repair in flight, not to be sent again.
                        self.rtx_head = false;
                    } else {
                        // RFC 6582 §3.2 step 5: retransmit the first
                        // unacknowledged segment, and only it.
                        self.dupacks = dupacks_after_partial_ack(self.dupacks, acked, self.mss);
                        self.rtx_head = true;
                    }
                }
                // After a timeout the window grows in slow start again
                // (RFC 5681 §3.1) while the resent data is acknowledged.
                Phase::Timeout | Phase::Open => {
                    if self.phase == Phase::Timeout {
                        self.eifel_on_ack(now, repr);
                    }
                    if self.phase == Phase::Timeout && ack >= self.recover {
                        self.phase = Phase::Open;
                        self.rack.on_recovery_exit();
                        // What is acknowledged from now on was sent after
                        // the timeout (and the TS clock must not wrap on it).
                        self.rto_tsval = None;
                    }
                    self.dupacks = 0;
                    let grow = if loss_found { 0 } else { acked };
                    self.cc.on_ack(now, grow, in_flight, sample);
                }
            }
        } else if ack == self.snd_una && self.snd_max > self.snd_una {
            // A duplicate ACK: with SACK, RFC 6675 §2's definition — an ACK
            // that SACKs data not SACKed before, whatever its window field
            // did (a receiver buffering out-of-order data may well change
            // it); one with no block at all is a copy the network made of
            // a plain ACK (a receiver holding out-of-order data names it),
            // and no sign of loss. Without SACK, RFC 5681 §2's.
            let duplicate = if self.sack_ok {
                sack.newly_sacked > 0
            } else {
                self.is_duplicate_ack(repr, window)
            };
            if duplicate {
                self.dupacks = self.dupacks.saturating_add(1);
            }
            let sack_lost = self.sack_ok && self.scoreboard.is_lost(self.snd_una, self.mss);
            // RFC 6582 §3.2 step 1 / RFC 6675 §5.1: not again while a
            // recovery (fast or after a timeout) is repairing this flight.
            // With SACK, RACK marks the losses (below).
            if !self.sack_ok && self.phase == Phase::Open && (self.dupacks >= 3 || sack_lost) {
                self.enter_fast_recovery(now, flight_before);
            }
        }
        // RFC 8985 §6: with SACK, a recovery starts once RACK deems a
        // segment lost (with reo_wnd = 0 before any reordering is seen and
        // DupThresh segments SACKed, as RFC 6675 §5 would).
        if self.sack_ok && self.phase == Phase::Open && self.rack_has_lost() {
            self.enter_fast_recovery(now, flight_before);
        }
        if self.phase == Phase::Fast {
            // RFC 6937 §3.1: DeliveredData = change in SND.UNA + newly
            // SACKed bytes (without SACK, a duplicate ACK stands for one
            // segment delivered).
            let delivered = if self.sack_ok {
                acked.saturating_add(sack.newly_sacked)
            } else if advanced {
                acked
            } else {
                self.mss
            };
            let pipe = self.pipe();
            self.prr
                .on_ack(delivered, pipe, self.cc.ssthresh(), self.mss);
        }
        // In fast recovery an ACK with news also restarts the probe
        // timeout (see `schedule_tlp`): it runs from the last sign of life.
        if advanced || (self.phase == Phase::Fast && sack.newly_sacked > 0) {
            self.schedule_tlp(now);
        }
        self.after_ack(now, repr, ack, window);
    }

    /// The rest of an acceptable ACK's processing: the send window, the
    /// persist timer, and the states our FIN's acknowledgment ends.
    fn after_ack(&mut self, now: Instant, repr: &TcpRepr<'_>, ack: TcpSeqNumber, window: usize) {
        // RFC 9293 §3.10.7.4: update the send window when the segment is newer.
        // It orders updates by (SEG.SEQ, SEG.ACK): SND.WL1 < SEG.SEQ, or
        // equal and SND.WL2 =< SEG.ACK. With both equal (pure ACKs, possibly
        // reordered on the way) a larger window is taken, and a zero one
        // (issue 10 item 4; Linux's tcp_may_update_window), but not a
        // smaller open one: a stale update reordered behind a newer one
        // would shrink the window for nothing. A zero one is safe to obey
        // even when stale: the persist timer's probe learns the true window
        // within an RTO, while ignoring a true zero sends into a closed
        // window and burns retransmission timeouts that end the connection.
        let same = self.snd_wl1 == repr.seq_number && self.snd_wl2 == ack;
        let newer = self.snd_wl1 < repr.seq_number
            || (self.snd_wl1 == repr.seq_number && self.snd_wl2 < ack)
            || (same && (window > self.snd_wnd || window == 0));
        if newer {
            self.snd_wnd = window;
            self.max_snd_wnd = self.max_snd_wnd.max(window);
            self.snd_wl1 = repr.seq_number;
            self.snd_wl2 = ack;
            if window > 0 {
                self.persist_at = None;
                self.persist_backoff = 0;
                // A probe byte still unacknowledged (probes run no
                // retransmission timer) was most likely dropped by the full
                // receiver: it goes again at the head of the data, which
                // Nagle would otherwise hold behind it for a whole RTO.
                if self.snd_nxt > self.snd_una && self.rto_at.is_none() {
                    self.snd_nxt = self.snd_una;
                }
            }
        }
        // RFC 9293 §3.8.6.1: a zero window with data waiting and nothing in
        // flight (so no retransmission timer) starts the persist timer; its
        // probes get the window reopened even when the update was lost. So
        // does a window too small for SWS avoidance (the override timeout).
        self.arm_persist(now);
        // Our FIN acknowledged? It holds the last sequence number, so it is
        // once SND.UNA reaches SND.MAX, however often it was sent.
        let fin_acked = self.fin_acked();
        match self.state {
            State::FinWait1 if fin_acked => {
                self.state = State::FinWait2;
                self.arm_fin_wait2(now);
            }
            State::Closing if fin_acked => self.enter_time_wait(now),
            State::LastAck if fin_acked => self.set_closed(),
            // A retransmitted FIN: re-ACK and restart 2·MSL (§3.10.7.4).
            State::TimeWait if repr.control.contains(TcpFlags::FIN) => {
                self.ack_now = true;
                self.enter_time_wait(now);
            }
            _ => {}
        }
    }

    /// Fast retransmit (RFC 5681 §3.2, RFC 6675 §5): the first
    /// unacknowledged segment goes at once, and only it; the rest follows
    /// as the pipe allows (NextSeg with SACK, new data without).
    ///
    /// `in_flight` is FlightSize before the ACK that revealed the loss
    /// moved SND.UNA: ssthresh (RFC 5681 §3.2 step 2, RFC 9438 §4.6) and
    /// PRR's RecoverFS (RFC 6937 §3) come from the flight the loss
    /// happened in. After that ACK, a stretch ACK (a coalescing receiver
    /// acknowledges five segments at once) would have shrunk it by half
    /// at small windows, and the window with it (Linux bases both on the
    /// window before the ACK: tcp_init_cwnd_reduction's prior_cwnd).
    pub(super) fn enter_fast_recovery(&mut self, now: Instant, in_flight: usize) {
        // RFC 6582 §3.2 step 2: recovery ends once `recover` is acked.
        self.save_undo();
        self.phase = Phase::Fast;
        self.recover = self.snd_max;
        self.rescue_rxt = None;
        self.pto_at = None;
        self.tlp_due = false;
        self.cc.on_congestion(now, in_flight);
        self.prr.start(in_flight);
        self.stats.fast_retransmits = self.stats.fast_retransmits.wrapping_add(1);
        self.rtx_head = true;
        self.rtt_timer.on_retransmit();
    }

    /// RFC 5681 §2: an ACK is a duplicate when it carries no data, no
    /// SYN/FIN, the same ack and window, and data is outstanding.
    fn is_duplicate_ack(&self, repr: &TcpRepr<'_>, window: usize) -> bool {
        // A zero window says the reader is slow, not that a segment was lost:
        // the answers to zero-window probes must not trigger fast retransmit.
        repr.payload.is_empty()
            && !repr.control.intersects(TcpFlags::SYN | TcpFlags::FIN)
            && window > 0
            && window == self.snd_wnd
            && self.snd_max > self.snd_una
    }

    /// Moves SND.UNA to `ack`, dropping acknowledged bytes from the send ring.
    fn ack_advance(&mut self, now: Instant, ack: TcpSeqNumber) {
        let mut acked = ack.distance_from(self.snd_una).max(0) as usize;
        // The SYN and FIN occupy sequence space but no ring bytes.
        if !self.syn_acked && acked > 0 {
            acked -= 1;
            self.syn_acked = true;
        }
        let data = acked.min(self.tx.len());
        self.tx.dequeue_allocated(data);
        self.stats.bytes_acked = self.stats.bytes_acked.wrapping_add(data as u64);
        self.snd_una = ack;
        if self.snd_nxt < ack {
            self.snd_nxt = ack;
        }
        self.first_unacked_at = if self.snd_una == self.snd_max {
            None
        } else {
            Some(now)
        };
        self.rto_at = if self.snd_una == self.snd_max {
            None
        } else {
            // RFC 6298 §5.3: restart the timer on new data acknowledged.
            Some(now + self.rtt.rto())
        };
    }

    /// Processes the segment's data (RFC 9293 §3.10.7.4 seventh).
    fn process_text(&mut self, now: Instant, repr: &TcpRepr<'_>) {
        if !matches!(
            self.state,
            State::Established | State::FinWait1 | State::FinWait2
        ) {
            return;
        }
        let mut seq = repr.seq_number;
        let mut data = repr.payload;
        if repr.control.contains(TcpFlags::SYN) {
            seq += 1;
        }
        // Trim what we already have.
        let behind = self.rcv_nxt.distance_from(seq);
        if behind > 0 {
            let skip = (behind as usize).min(data.len());
            if self.sack_ok && skip > 0 {
                // Partly a duplicate: report the old part (RFC 2883 §4.1.1).
                self.owe_dsack((seq, seq + skip));
                self.ack_now = true;
                self.ack_at_once = true;
            }
            data = data.get(skip..).unwrap_or(&[]);
            seq += skip;
        }
        if repr.control.contains(TcpFlags::FIN) {
            self.fin_at = Some(seq + data.len());
        }
        if data.is_empty() {
            // A bare FIN at RCV.NXT is new, not a duplicate: process_fin
            // decides when its ACK leaves (delayed in ESTABLISHED).
            let fin_in_order = behind == 0 && repr.control.contains(TcpFlags::FIN);
            if repr.segment_len() > 0 && !fin_in_order {
                // A duplicate: ACK at once (RFC 5681 §4.2 out-of-order rule).
                self.ack_now = true;
                self.ack_at_once = true;
            }
            return;
        }
        // Data in the window: the peer saw it open.
        self.window_reopened = false;
        let offset = seq.distance_from(self.rcv_nxt).max(0) as usize;
        // Trim to the window we offered.
        let room = self.rx.window().saturating_sub(offset);
        let data = data.get(..data.len().min(room)).unwrap_or(&[]);
        if data.is_empty() {
            self.ack_now = true;
            return;
        }
        if offset == 0 && self.assembler.is_empty() {
            // The next bytes with nothing held out of order: the common
            // case, and the assembler would only take them into its front
            // and hand them straight back (leaving itself as it was).
            self.rx.write_unallocated(0, data);
            let advanced = self.rx.enqueue_unallocated(data.len());
            self.in_order(now, advanced, false);
            return;
        }
        // RFC 2883 §4.1.3: data held out of order arriving again (the
        // sender resent what it did not see SACKed) is a duplicate too.
        if let Some((o, l)) = self.assembler.overlap(offset, data.len()) {
            self.owe_dsack((self.rcv_nxt + o, self.rcv_nxt + o + l));
        }
        // Write the bytes at their place in the ring (in order or not) and
        // let the assembler say how far the contiguous front now reaches.
        if self.assembler.add(offset, data.len()).is_err() {
            // Too many holes: drop it; the sender retransmits (RFC 9293 §3.10.7.4
            // allows a receiver to keep only in-order data).
            self.stats.out_of_order_dropped = self.stats.out_of_order_dropped.wrapping_add(1);
            self.ack_now = true;
            return;
        }
        self.rx.write_unallocated(offset, data);
        let advanced = self.rx.enqueue_unallocated(self.assembler.remove_front());
        if advanced == 0 {
            // Out of order: ACK at once so the sender sees a duplicate ACK
            // and our SACK blocks (RFC 5681 §4.2), one per segment even in
            // a burst (`ack_at_once`), as Linux's __tcp_ack_snd_check
            // answers every segment while its out-of-order queue is not
            // empty: the sender counts duplicate ACKs and reads each block.
            self.ack_now = true;
            self.ack_at_once = true;
            return;
        }
        let filled_hole = !self.assembler.is_empty() || advanced > data.len();
        // RFC 5681 §4.2: the segment that fills (part of) a gap is ACKed
        // at once, before the rest of a burst: the sender learns the hole
        // closed (and RACK that it was reordering) one burst earlier.
        self.ack_at_once |= filled_hole;
        self.in_order(now, advanced, filled_hole);
    }

    /// RCV.NXT moved `advanced` bytes on (`filled_hole`: data held out of
    /// order joined them): count them, and owe an ACK or arm the delayed one.
    fn in_order(&mut self, now: Instant, advanced: usize, filled_hole: bool) {
        self.rcv_nxt += advanced;
        self.stats.bytes_received = self.stats.bytes_received.wrapping_add(advanced as u64);
        // A super-frame (a device's GRO, or a host's TSO before it cut the
        // segments) stands for the segments it carries: more than one MSS
        // counts as two, so it is answered at once, as Linux answers when
        // more than one receive MSS arrived since the last ACK
        // (__tcp_ack_snd_check). Counting frames, a 64 KB super-frame would
        // wait for the delayed-ACK timer while the sender waits for its ACK.
        self.unacked_segments += if advanced > self.mss { 2 } else { 1 };
        // RFC 9293 §3.8.6.3: ACK at least every second full segment;
        // RFC 5681 §4.2: at once when a hole was (partly) filled. Not while
        // what came, unread, fills more than half the buffer: that ACK
        // would offer a sliver of the last window (a 65535-byte buffer
        // that took a 65160-byte super-frame offers 375), and the window
        // update follows as soon as the application reads (`after_read`),
        // so it waits for that read or the delayed-ACK timer. Linux's
        // __tcp_ack_snd_check likewise ACKs at once only when the window
        // does not shrink (issue 13: one ACK per window instead of two).
        let free = self.rx_window();
        let offered = self.rcv_adv.distance_from(self.last_ack_sent).max(0) as usize;
        let sliver = free < self.rx.capacity() / 2 && free < offered;
        if sliver {
            // A window update a read owed before this data came would now
            // offer the same sliver: it waits for the next read as well
            // (else the peer, window-limited, sends the sliver alone and
            // each window takes two round trips).
            self.window_update = false;
        }
        if (self.unacked_segments >= 2 && !sliver) || filled_hole || self.config.ack_delay.is_none()
        {
            self.ack_now = true;
        } else if self.ack_at.is_none() {
            self.ack_at = self.config.ack_delay.map(|d| now + d);
        }
    }

    /// Consumes the peer's FIN once every byte before it arrived (eighth).
    fn process_fin(&mut self, now: Instant) {
        let Some(fin) = self.fin_at else { return };
        if fin != self.rcv_nxt {
            return;
        }
        self.fin_at = None;
        self.rcv_nxt += 1;
        match self.state {
            State::SynReceived | State::Established => {
                self.state = State::CloseWait;
                // The FIN's ACK may wait like a data segment's (RFC 1122
                // §4.2.3.2): a request/response server that closes on EOF
                // then sends one FIN|ACK instead of an ACK and a FIN, as
                // Linux's tcp_fin does (a delayed ACK in CLOSE-WAIT). An
                // ACK owed for other reasons still leaves at once.
                match self.config.ack_delay {
                    Some(delay) if !self.ack_now => {
                        let due = now + delay;
                        self.ack_at = Some(self.ack_at.map_or(due, |t| t.min(due)));
                    }
                    _ => self.ack_now = true,
                }
            }
            State::FinWait1 => {
                self.ack_now = true;
                if self.fin_sent && self.snd_una == self.snd_max {
                    self.enter_time_wait(now);
                } else {
                    self.state = State::Closing;
                }
            }
            State::FinWait2 => {
                self.ack_now = true;
                self.enter_time_wait(now);
            }
            _ => self.ack_now = true,
        }
    }

    /// One RTT sample for an ACK that advances SND.UNA.
    ///
    /// With timestamps, RFC 7323 §4.1 (RTTM): every such ACK echoes the
    /// TSval of the segment that caused it, so each gives a sample, even
    /// for retransmitted data (the echo names the transmission that got
    /// through, which settles Karn's ambiguity: fast retransmissions are
    /// timed), and the gains shrink with the number of samples per window
    /// (Appendix G). Not after a timeout (see below). Only ACKs that advance
    /// SND.UNA are used: a duplicate ACK during loss echoes the TSval of the
    /// last in-order segment (§4.3), which would inflate the estimate.
    /// Without timestamps, Karn's timer times one segment per RTT and never
    /// a retransmitted one (RFC 6298 §3).
    fn sample_rtt(
        &mut self,
        now: Instant,
        repr: &TcpRepr<'_>,
        ack: TcpSeqNumber,
    ) -> Option<Duration> {
        let timed = self.rtt_timer.on_ack(ack, now);
        // After a retransmission timeout the echo is unreliable: when the
        // ACK of the copy that got through was lost, the receiver answers
        // the next copy (a duplicate, outside its window) with the TS.Recent
        // of the earlier one (RFC 7323 §5.3 R2 comes before R3), and the
        // "RTT" spans the whole backoff. One such sample inflates the RTO
        // for many round trips; Karn's rule governs until the timer is reset.
        // Only an echo of a transmission sent since the last timeout is
        // sound: an older one spans the backoff (the case above), whether
        // or not a sample has collapsed the backoff since.
        let fresh = |tsecr: u32| self.rto_tsval.is_none_or(|v| wrapping_ge(tsecr, v));
        let ts = self
            .ts
            .filter(|_| repr.timestamp.is_none_or(|(_, e)| e == 0 || fresh(e)));
        let echo = match (ts, repr.timestamp) {
            (Some(ts), Some((_, tsecr))) => Some(ts.clock.rtt(now, tsecr)),
            _ => None,
        };
        match echo {
            Some(Some(rtt)) => {
                let flight = self.in_flight().div_ceil(self.mss.max(1));
                self.rtt.sample_with_timestamps(rtt, flight);
                Some(rtt)
            }
            // Timestamps in use but this echo is unusable (zero, from the
            // future, absurd): no sample rather than a Karn one that the
            // next echo would contradict.
            Some(None) => None,
            None => {
                if let Some(rtt) = timed {
                    self.rtt.sample(rtt);
                    self.rack.on_rtt_sample(rtt);
                }
                timed
            }
        }
    }

    /// Owes the peer a D-SACK block for `dup` (RFC 2883 §4), merged with
    /// the last one owed when they touch (one retransmitted run).
    fn owe_dsack(&mut self, dup: SackBlock) {
        if !self.sack_ok {
            return;
        }
        if let Some(last) = self.dsack.last_mut() {
            if dup.0 <= last.1 && dup.1 >= last.0 {
                *last = (
                    if dup.0 < last.0 { dup.0 } else { last.0 },
                    if dup.1 > last.1 { dup.1 } else { last.1 },
                );
                return;
            }
        }
        // Full: the rest go unreported (D-SACK is advisory).
        let _ = self.dsack.push(dup);
    }
}
