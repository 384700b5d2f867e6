//! The connection's timers: retransmission (RFC 6298), persist (RFC 9293
//! §3.8.6.1), keepalive (§3.8.4), user timeout (§3.8.3, RFC 5482),
//! FIN-WAIT-2 and TIME-WAIT (§3.4.2), delayed ACK (§3.8.6.3), and
//! `poll_at`, the earliest of them.

use super::{State, TcpError, TcpSocket};
use crate::socket::tcp::congestion::CongestionControl;
use crate::socket::tcp::recovery::Phase;
use crate::time::Instant;

/// Retransmissions of data (and unanswered zero-window probes) before the
/// connection is given up when no user timeout is set (Linux `tcp_retries2`).
const MAX_RETRIES: u32 = 15;
/// Retransmissions of a SYN or SYN-ACK (Linux `tcp_syn_retries`).
const MAX_SYN_RETRIES: u32 = 6;

impl TcpSocket<'_> {
    /// When the socket next wants to send or a timer fires.
    pub(crate) fn poll_at(&self, now: Instant) -> Option<Instant> {
        if self.reset.is_some() || self.challenge_ack || self.ack_now || self.window_update {
            return Some(now);
        }
        if self.state == State::Closed {
            return None;
        }
        // A persist timer that fired has its probe (or override) to send.
        if self.probe_due || self.has_segment_to_send() {
            return Some(now);
        }
        let fin_wait2_unarmed = self.state == State::FinWait2
            && self.orphaned
            && self.fin_wait2_at.is_none()
            && self.config.fin_wait2_timeout.is_some();
        if fin_wait2_unarmed {
            return Some(now); // dispatch arms it
        }
        [
            self.fin_wait2_at,
            self.rto_at,
            self.rack.timer(),
            self.pto_at,
            self.ack_at,
            self.persist_at,
            self.timewait_at,
            self.keepalive_deadline(),
            self.user_timeout_deadline(),
        ]
        .into_iter()
        .flatten()
        .min()
        .map(|t| t.max(now))
    }

    /// Runs the timers due at `now` (before building a segment).
    pub(super) fn run_timers(&mut self, now: Instant) {
        if self.timewait_at.is_some_and(|t| now >= t) {
            self.set_closed();
            return;
        }
        // A close() that came in FIN-WAIT-2 starts its limit now.
        self.arm_fin_wait2(now);
        if self.fin_wait2_at.is_some_and(|t| now >= t) {
            net_debug!("tcp {} -> {}: FIN-WAIT-2 timeout", self.local, self.remote);
            self.set_closed();
            return;
        }
        if self.ack_at.is_some_and(|t| now >= t) {
            self.ack_now = true;
            self.ack_at = None;
        }
        if let Some(limit) = self.config.user_timeout {
            if self.first_unacked_at.is_some_and(|t| now - t >= limit) {
                self.fail(TcpError::TimedOut);
                return;
            }
        }
        if self.rto_at.is_some_and(|t| now >= t) {
            self.on_rto(now);
        }
        if self.rack.timer().is_some_and(|t| now >= t) {
            self.on_rack_timer(now);
        }
        if self.pto_at.is_some_and(|t| now >= t) {
            self.on_pto();
        }
        if self.persist_at.is_some_and(|t| now >= t) && !self.on_persist() {
            return;
        }
        if let (Some((_, _, probes)), Some(due)) =
            (self.config.keepalive, self.keepalive_deadline())
        {
            if now >= due {
                if self.keepalive_probes >= probes {
                    self.fail(TcpError::TimedOut);
                    return;
                }
                self.keepalive_probes += 1;
                self.keepalive_probe_at = now;
                self.challenge_ack = true; // probe: seq = SND.UNA − 1
            }
        }
    }

    /// RFC 6298 §5.4–5.6: retransmit the earliest segment, back off.
    fn on_rto(&mut self, now: Instant) {
        let handshake = matches!(self.state, State::SynSent | State::SynReceived);
        if !handshake && self.snd_wnd == 0 {
            // The peer closed its window on data (or a FIN) in flight: what
            // it lacks it cannot take, and resending nothing while counting
            // the expiry toward MAX_RETRIES ended a connection whose
            // receiver answers every probe. Probe the head instead, paced
            // and given up by the persist timer (RFC 9293 §3.8.6.1, RFC
            // 1122 §4.2.2.17), which an answer resets; Linux's
            // tcp_retransmit_timer likewise spares a zero window the
            // retries2 limit while the peer answers. A zero window is flow
            // control, not congestion: cwnd is left alone.
            self.rto_at = None;
            self.pto_at = None;
            self.tlp_due = false;
            // Karn: the data timed is in flight again.
            self.rtt_timer.on_retransmit();
            self.on_persist();
            return;
        }
        self.retries = self.retries.saturating_add(1);
        let max_retries = if matches!(self.state, State::SynSent | State::SynReceived) {
            MAX_SYN_RETRIES
        } else {
            MAX_RETRIES
        };
        if self.config.user_timeout.is_none() && self.retries > max_retries {
            self.fail(TcpError::TimedOut);
            return;
        }
        self.stats.timeouts = self.stats.timeouts.wrapping_add(1);
        let in_flight = self.in_flight();
        let first = self.phase != Phase::Timeout;
        if !handshake {
            self.rto_tsval = self.ts.map(|ts| ts.clock.ts_val(now));
        }
        if first && !handshake {
            // The reduction may prove spurious (RFC 4015).
            self.save_undo();
            self.eifel_tsval = self.rto_tsval;
        }
        if !handshake {
            self.cc.on_timeout(now, in_flight);
        }
        self.rtt.backoff();
        // RFC 6582 §3.2 step 4, RFC 6675 §5.1: remember the highest sequence
        // sent; duplicate ACKs below it start no fast recovery.
        if !handshake {
            self.phase = Phase::Timeout;
            self.recover = self.snd_max;
        }
        self.rtx_head = false;
        self.dupacks = 0;
        if handshake {
            self.scoreboard.clear();
            self.snd_nxt = self.iss;
        } else if self.sack_ok && self.data_outstanding() > 0 {
            // Resend what is not SACKed, from the head, as cwnd allows.
            self.rack_on_timeout();
            self.rtx_head = true;
            self.rtt_timer.on_retransmit();
        } else {
            self.scoreboard.clear();
            self.retransmit_head();
        }
        self.rto_at = Some(now + self.rtt.rto());
    }

    /// Data (or our FIN) waits for the peer's window with nothing in flight,
    /// so no retransmission timer will bring news of it: the persist timer
    /// must run. RFC 9293 §3.8.6.1 for a zero window; for a window open but
    /// too small for SWS avoidance (under a segment and half the largest
    /// window seen), RFC 9293 §3.8.6.2.1 and RFC 1122 §4.2.3.4 (d) ask for
    /// an override timeout, else one lost window update stalls the
    /// connection forever (issue 10 item 3). Linux arms its probe timer in
    /// both cases (tcp_check_probe_timer) and so do we: on expiry the next
    /// segment probes the zero window or sends what the small one takes.
    pub(super) fn persist_needed(&self) -> bool {
        if self.persist_at.is_some()
            || self.rto_at.is_some()
            || self.probe_due
            || !self.syn_acked
            || self.snd_nxt != self.snd_una
        {
            return false;
        }
        let unsent = !self.tx.is_empty();
        (unsent && self.sendable_now() == 0) || (!unsent && self.fin_held())
    }

    /// Arms the persist timer when [`persist_needed`](Self::persist_needed).
    pub(super) fn arm_persist(&mut self, now: Instant) {
        if self.persist_needed() {
            let backoff = 1u32 << self.persist_backoff.min(6);
            self.persist_at = Some(now + self.rtt.rto() * backoff);
        }
    }

    /// The persist timer fired (or the retransmission timer with a zero
    /// window): the next dispatch probes. `false` when the connection was
    /// given up.
    fn on_persist(&mut self) -> bool {
        // RFC 1122 §4.2.2.17 keeps the connection open as long as the
        // receiver answers the probes; one that stopped answering is
        // given up like unacknowledged data (or by the user timeout).
        if self.config.user_timeout.is_none() && self.persist_unanswered >= MAX_RETRIES {
            self.fail(TcpError::TimedOut);
            return false;
        }
        self.persist_unanswered += 1;
        self.persist_at = None;
        self.persist_backoff = self.persist_backoff.saturating_add(1);
        // The probe (or the override segment) goes out below. Its own
        // flag, not `ack_now`: an ACK owed while the timer runs (a
        // window update, say) must stay a pure ACK, or a peer at a zero
        // window drops it with the probe's byte.
        self.probe_due = true;
        // Each probe carries the first unacknowledged byte again.
        self.snd_nxt = self.snd_una;
        true
    }

    /// RFC 9293 §3.8.4 / RFC 1122 §4.2.3.6: the next keepalive probe (or,
    /// after the last, giving up) is due `idle` after the last segment
    /// received, then every `interval`. Computed from the configuration
    /// rather than cached, so keepalive turned on (or retuned) on an open,
    /// idle connection takes effect without waiting for other traffic.
    fn keepalive_deadline(&self) -> Option<Instant> {
        let (idle, interval, _) = self.config.keepalive?;
        // CLOSE-WAIT too (as Linux): the peer closed its side, ours is
        // open, and a peer that vanished since would hold it forever.
        let open = matches!(self.state, State::Established | State::CloseWait);
        (open && self.snd_una == self.snd_max).then(|| {
            let due = self.last_activity + idle + interval * self.keepalive_probes;
            if self.keepalive_probes > 0 {
                due.max(self.keepalive_probe_at + interval)
            } else {
                due
            }
        })
    }

    /// RFC 9293 §3.8.3 (RFC 5482): the connection is given up when data
    /// stays unacknowledged for the user timeout. A deadline of its own, so
    /// it fires on time instead of at the next backed-off retransmission.
    fn user_timeout_deadline(&self) -> Option<Instant> {
        Some(self.first_unacked_at? + self.config.user_timeout?)
    }

    /// An orphaned FIN-WAIT-2 ends `fin_wait2_timeout` after it began.
    pub(super) fn arm_fin_wait2(&mut self, now: Instant) {
        if self.state == State::FinWait2 && self.orphaned && self.fin_wait2_at.is_none() {
            self.fin_wait2_at = self.config.fin_wait2_timeout.map(|t| now + t);
        }
    }

    pub(super) fn enter_time_wait(&mut self, now: Instant) {
        self.state = State::TimeWait;
        self.fin_wait2_at = None;
        self.timewait_at = Some(now + self.config.msl * 2);
        self.rto_at = None;
        self.persist_at = None;
    }
}
