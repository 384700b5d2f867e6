//! NewReno congestion control: RFC 5681 (slow start, congestion avoidance,
//! fast retransmit/recovery, restart after idle) with RFC 3465 byte
//! counting and RFC 6582's recovery numbers.
//!
//! The recovery *logic* (recovery point, partial/full ACKs, the dup-ACK
//! count) is the socket's; see the [module docs](super) for the split.

use super::window::Window;
use super::{
    initial_window, is_cwnd_limited, slow_start, CongestionControl, ABC_LIMIT, MAX_WINDOW,
};
use crate::time::{Duration, Instant};

/// The NewReno controller's state, in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReno {
    /// SMSS, cwnd, ssthresh and the RFC 5681 facts.
    w: Window,
    /// RFC 3465 §2.1: bytes acknowledged since `cwnd` last grew in
    /// congestion avoidance.
    bytes_acked: usize,
}

/// RFC 5681 §3.1 eq. 4 and §3.2 step 2: `max(FlightSize / 2, 2·SMSS)`.
fn reno_ssthresh(in_flight: usize, mss: usize) -> usize {
    (in_flight / 2).max(mss.saturating_mul(2)).min(MAX_WINDOW)
}

impl NewReno {
    /// A controller at the initial window for `mss` (RFC 6928 §2), with
    /// `ssthresh` "arbitrarily high" (RFC 5681 §3.1): [`MAX_WINDOW`].
    pub fn new(mss: usize) -> NewReno {
        NewReno {
            w: Window::new(mss),
            bytes_acked: 0,
        }
    }

    /// The SMSS in use.
    pub fn mss(&self) -> usize {
        self.w.mss
    }
}

impl CongestionControl for NewReno {
    fn cwnd(&self) -> usize {
        self.w.cwnd
    }

    fn ssthresh(&self) -> usize {
        self.w.ssthresh
    }

    fn set_mss(&mut self, mss: usize) {
        self.w.set_mss(mss);
    }

    fn on_ack(&mut self, now: Instant, acked: usize, in_flight: usize, _rtt: Option<Duration>) {
        self.w.saw_ack(now);
        if acked == 0 || !is_cwnd_limited(self.w.cwnd, acked, in_flight) {
            return;
        }
        if self.w.cwnd < self.w.ssthresh {
            // RFC 5681 §3.1 slow start, RFC 3465 §2.2 L = 2·SMSS.
            self.w.cwnd = slow_start(self.w.cwnd, self.w.ssthresh, acked, self.w.mss, ABC_LIMIT);
        } else {
            // RFC 5681 §3.1 (the RECOMMENDED byte counting, RFC 3465 §2.1):
            // once a whole cwnd of bytes has been acknowledged, cwnd grows
            // by one SMSS — one SMSS per RTT.
            self.bytes_acked = self.bytes_acked.saturating_add(acked);
            if self.bytes_acked >= self.w.cwnd {
                // Keep less than one window of credit so a huge stretch
                // ACK cannot buy many later increments.
                self.bytes_acked = (self.bytes_acked - self.w.cwnd).min(self.w.cwnd - 1);
                self.w.cwnd = self.w.cwnd.saturating_add(self.w.mss).min(MAX_WINDOW);
            }
        }
    }

    fn on_congestion(&mut self, _now: Instant, in_flight: usize) {
        self.w.started = true;
        // RFC 5681 §3.2 step 2; cwnd = ssthresh as in RFC 6675 §5 (4.2):
        // the socket's pipe replaces the RFC 6582 inflation (module docs).
        self.w.ssthresh = reno_ssthresh(in_flight, self.w.mss);
        self.w.cwnd = self.w.ssthresh;
        self.bytes_acked = 0;
        net_debug!("newreno: loss, ssthresh = cwnd = {}", self.w.cwnd);
    }

    fn on_recovery_ack(&mut self, now: Instant, _acked: usize, _in_flight: usize) {
        // RFC 6582 §3.2 step 5: the deflation is the shrinking FlightSize in
        // the socket's pipe; cwnd stays at ssthresh.
        self.w.saw_ack(now);
    }

    fn on_recovery_exit(&mut self, now: Instant) {
        // RFC 6582 §3.2 step 6, option 2: cwnd = ssthresh.
        self.w.saw_ack(now);
        self.w.cwnd = self.w.ssthresh;
        self.bytes_acked = 0;
    }

    fn on_timeout(&mut self, _now: Instant, in_flight: usize) {
        self.w.started = true;
        // RFC 5681 §3.1: "when a TCP sender detects segment loss using the
        // retransmission timer and the given segment has already been
        // retransmitted by way of the retransmission timer at least once,
        // the value of ssthresh is held constant".
        if !self.w.in_rto_backoff {
            self.w.ssthresh = reno_ssthresh(in_flight, self.w.mss);
        }
        self.w.in_rto_backoff = true;
        // RFC 5681 §3.1: the loss window LW is one SMSS.
        self.w.cwnd = self.w.mss;
        self.bytes_acked = 0;
        net_debug!("newreno: RTO, ssthresh = {}", self.w.ssthresh);
    }

    fn undo(&mut self, now: Instant, cwnd: usize, ssthresh: usize) {
        self.w.saw_ack(now);
        self.w.undo(cwnd, ssthresh);
        self.bytes_acked = 0;
    }

    fn on_idle_restart(&mut self, now: Instant, rto: Duration) {
        let Some(last) = self.w.last_ack else {
            return;
        };
        // RFC 5681 §4.1: after an idle period longer than the RTO, restart
        // from RW = min(IW, cwnd).
        if now - last > rto {
            self.w.cwnd = self.w.cwnd.min(initial_window(self.w.mss));
            self.bytes_acked = 0;
        }
        self.w.last_ack = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: usize = 1000;
    const RTT: Duration = Duration::from_millis(100);

    fn t(ms: i64) -> Instant {
        Instant::from_millis(ms)
    }

    /// One RTT of a window-limited sender: every segment of the current
    /// window is acknowledged by its own ACK, and the sender refills the
    /// window after each one (so the flight before each ACK is `cwnd`).
    fn one_rtt(cc: &mut NewReno, now: Instant) {
        let segments = cc.cwnd() / MSS;
        for _ in 0..segments {
            let flight = cc.cwnd();
            cc.on_ack(now, MSS, flight - MSS, Some(RTT));
        }
    }

    #[test]
    fn rfc5681_slow_start_doubles_per_rtt() {
        let mut cc = NewReno::new(MSS);
        assert_eq!(cc.cwnd(), 10 * MSS);
        for (i, want) in [20, 40, 80, 160].into_iter().enumerate() {
            one_rtt(&mut cc, t(100 * i as i64));
            assert_eq!(cc.cwnd(), want * MSS, "after RTT {}", i + 1);
        }
    }

    #[test]
    fn rfc3465_abc_limits_stretch_ack_to_two_smss() {
        let mut cc = NewReno::new(MSS);
        // One ACK covering 5 segments: +2·SMSS, not +5.
        cc.on_ack(t(0), 5 * MSS, 5 * MSS, None);
        assert_eq!(cc.cwnd(), 12 * MSS);
        // A sub-MSS ACK grows by the bytes it acknowledges.
        cc.on_ack(t(1), 100, 10 * MSS, None);
        assert_eq!(cc.cwnd(), 12 * MSS + 100);
        // An ACK of nothing new does nothing.
        cc.on_ack(t(2), 0, 10 * MSS, None);
        assert_eq!(cc.cwnd(), 12 * MSS + 100);
    }

    #[test]
    fn rfc7661_application_limited_does_not_grow() {
        let mut cc = NewReno::new(MSS);
        // Flight before the ACK 4000 < cwnd/2 = 5000.
        cc.on_ack(t(0), MSS, 3 * MSS, None);
        assert_eq!(cc.cwnd(), 10 * MSS);
        // Exactly half: validated.
        cc.on_ack(t(1), MSS, 4 * MSS, None);
        assert_eq!(cc.cwnd(), 11 * MSS);
    }

    #[test]
    fn rfc5681_congestion_avoidance_one_smss_per_rtt() {
        let mut cc = NewReno::new(MSS);
        cc.on_congestion(t(0), 40 * MSS);
        cc.on_recovery_exit(t(100));
        assert_eq!((cc.cwnd(), cc.ssthresh()), (20 * MSS, 20 * MSS));
        for i in 1..=5 {
            one_rtt(&mut cc, t(100 + 100 * i));
            assert_eq!(cc.cwnd(), (20 + i as usize) * MSS);
        }
        // The increment comes exactly when a full window has been acked.
        let w = cc.cwnd();
        let mut acked = 0;
        while acked + MSS < w {
            cc.on_ack(t(900), MSS, w - MSS, None);
            acked += MSS;
        }
        assert_eq!(cc.cwnd(), w, "one MSS short of a window");
        cc.on_ack(t(900), MSS, w - MSS, None);
        assert_eq!(cc.cwnd(), w + MSS);
    }

    #[test]
    fn rfc5681_ssthresh_on_loss_halves_flight_with_two_smss_floor() {
        let mut cc = NewReno::new(MSS);
        cc.on_congestion(t(0), 30 * MSS + 1);
        assert_eq!(cc.ssthresh(), 15 * MSS);
        assert_eq!(cc.cwnd(), 15 * MSS);
        // Partial ACKs do not move the window (pipe does the deflation).
        cc.on_recovery_ack(t(10), 3 * MSS, 20 * MSS);
        assert_eq!(cc.cwnd(), 15 * MSS);
        cc.on_recovery_exit(t(20));
        assert_eq!(cc.cwnd(), 15 * MSS);
        // Floor: 2·SMSS.
        cc.on_congestion(t(30), 3 * MSS);
        assert_eq!(cc.ssthresh(), 2 * MSS);
        cc.on_congestion(t(40), 0);
        assert_eq!(cc.ssthresh(), 2 * MSS);
    }

    #[test]
    fn rfc5681_timeout_loss_window_and_held_ssthresh_on_repeat() {
        let mut cc = NewReno::new(MSS);
        cc.on_timeout(t(0), 40 * MSS);
        assert_eq!(cc.ssthresh(), 20 * MSS);
        assert_eq!(cc.cwnd(), MSS, "LW = 1 SMSS");
        // Repeated RTO of the retransmission: ssthresh held.
        cc.on_timeout(t(1000), MSS);
        assert_eq!(cc.ssthresh(), 20 * MSS);
        assert_eq!(cc.cwnd(), MSS);
        // After an ACK, a new timeout recomputes it.
        cc.on_ack(t(1100), MSS, 0, None);
        assert_eq!(cc.cwnd(), 2 * MSS);
        cc.on_timeout(t(2000), 8 * MSS);
        assert_eq!(cc.ssthresh(), 4 * MSS);
        assert_eq!(cc.cwnd(), MSS);
        // Slow start stops at ssthresh, then congestion avoidance.
        for _ in 0..10 {
            let w = cc.cwnd();
            cc.on_ack(t(2100), MSS, w - MSS, None);
        }
        assert_eq!(cc.cwnd(), 4 * MSS + MSS, "SS to 4, then +1 after a window");
    }

    #[test]
    fn rfc6928_iw_and_set_mss_before_data() {
        for (mss, iw) in [(536, 5_360), (1460, 14_600), (9000, 18_000)] {
            assert_eq!(NewReno::new(mss).cwnd(), iw);
            let mut cc = NewReno::new(536);
            cc.set_mss(mss);
            assert_eq!(cc.cwnd(), iw);
            assert_eq!(cc.mss(), mss);
        }
        // After data was acknowledged the byte window is kept.
        let mut cc = NewReno::new(1460);
        cc.on_ack(t(0), 1460, 13_140, None);
        cc.set_mss(536);
        assert_eq!(cc.cwnd(), 16_060);
        assert_eq!(cc.mss(), 536);
        // Out-of-range MSS values are clamped, not trusted.
        cc.set_mss(0);
        assert_eq!(cc.mss(), 1);
        cc.set_mss(usize::MAX);
        assert_eq!(cc.mss(), 65_535);
    }

    #[test]
    fn rfc5681_restart_window_after_idle_longer_than_rto() {
        let rto = Duration::from_secs(1);
        let mut cc = NewReno::new(MSS);
        // Never acked: nothing to restart from.
        cc.on_idle_restart(t(10_000), rto);
        assert_eq!(cc.cwnd(), 10 * MSS);
        for i in 0..3 {
            one_rtt(&mut cc, t(100 * i));
        }
        assert_eq!(cc.cwnd(), 80 * MSS);
        // Last ACK at 200 ms; idle for exactly the RTO: no restart.
        cc.on_idle_restart(t(1_200), rto);
        assert_eq!(cc.cwnd(), 80 * MSS);
        // 1 µs more than the RTO after the last activity: RW = IW.
        cc.on_idle_restart(t(2_200) + Duration::from_micros(1), rto);
        assert_eq!(cc.cwnd(), 10 * MSS);
        assert_eq!(cc.ssthresh(), MAX_WINDOW, "RFC 5681 §4.1 keeps ssthresh");
        // RW never raises a window below IW.
        cc.on_timeout(t(3_000), 4 * MSS);
        cc.on_ack(t(3_100), MSS, 0, None);
        cc.on_idle_restart(t(9_000), rto);
        assert_eq!(cc.cwnd(), 2 * MSS);
    }

    #[test]
    fn huge_values_saturate() {
        let mut cc = NewReno::new(65_535);
        for i in 0..2_000 {
            cc.on_ack(t(i), usize::MAX, usize::MAX, None);
        }
        assert!(cc.cwnd() <= MAX_WINDOW);
        cc.on_congestion(t(3_000), usize::MAX);
        assert_eq!(cc.ssthresh(), (usize::MAX / 2).min(MAX_WINDOW));
        cc.on_recovery_exit(t(3_001));
        for i in 0..100_000 {
            cc.on_ack(t(4_000 + i), usize::MAX, usize::MAX, None);
        }
        assert_eq!(cc.cwnd(), MAX_WINDOW);
    }
}
