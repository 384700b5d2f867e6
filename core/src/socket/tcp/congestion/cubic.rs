//! CUBIC congestion control (RFC 9438), in integer arithmetic.
//!
//! In congestion avoidance the window follows, per ACK, the larger of
//!
//! - the cubic curve `W_cubic(t) = C·(t − K)³ + W_max` (RFC 9438 §4.2),
//!   with `C = 0.4` segments/s³ and `K = ∛((W_max − cwnd_epoch) / C)`, where
//!   `t` is the time since the congestion-avoidance stage began (`t_epoch`);
//! - the Reno-friendly estimate `W_est` (§4.3), which grows by
//!   `α_cubic = 3(1 − β)/(1 + β) = 9/17` segments per RTT (1 once it has
//!   reached `cwnd_prior`).
//!
//! On loss `cwnd` drops to `β_cubic = 0.7` of the flight (§4.6), and `W_max`
//! is remembered with fast convergence (§4.7). Slow start and the timeout
//! response are Reno's (§4.10, §4.8), with β_cubic for `ssthresh`.
//!
//! Units: bytes and microseconds. With `C` in segments/s³ and windows in
//! bytes, `C·(t − K)³` becomes `4·SMSS·Δt_µs³ / 10¹⁹` bytes, computed in
//! `u128` with checked arithmetic that saturates: a window of 4 GiB and a
//! `t` of many hours cannot overflow. `K` comes from an integer cube root.
//!
//! The undo of spurious congestion events (§4.9) restores the window and
//! the plateau; the socket detects them (D-SACK, Eifel). Not implemented:
//! HyStart++ (RFC 9406; §4.10 allows plain Reno slow start).

use super::window::Window;
use super::{
    initial_window, is_cwnd_limited, slow_start, CongestionControl, HYSTART_LIMIT, MAX_WINDOW,
};
use crate::time::{Duration, Instant};

/// β_cubic = 7/10 (RFC 9438 §4.6).
const BETA_NUM: u64 = 7;
const BETA_DEN: u64 = 10;

/// The current congestion-avoidance stage (RFC 9438 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Epoch {
    /// `t_epoch`: when this stage began, shifted later by periods the
    /// sender was application-limited or idle (§5.8).
    start: Instant,
    /// `K` in µs.
    k: u64,
    /// `W_est` in bytes (§4.3).
    w_est: usize,
    /// Remainder of the `W_est` growth, in 1/(17·cwnd) bytes.
    est_acc: u64,
    /// Remainder of the `(target − cwnd)/cwnd` growth, in 1/cwnd bytes.
    inc_acc: u64,
}

/// The CUBIC controller's state, in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cubic {
    /// SMSS, cwnd, ssthresh and the RFC 5681 facts.
    w: Window,
    /// `W_max` (§4.1.2): the window just before the last reduction, or the
    /// one at the start of congestion avoidance after a timeout (§4.8).
    w_max: usize,
    /// `cwnd_prior` (§4.6): cwnd when ssthresh was last set; `W_est`
    /// switches to Reno's slope once it gets there (§4.3).
    cwnd_prior: usize,
    /// The congestion-avoidance stage, `None` in slow start and recovery.
    epoch: Option<Epoch>,
    /// The last RTT estimate the socket gave.
    rtt: Duration,
}

/// ⌊∛n⌋, bit by bit (no libm in `no_std`). ∛(2¹²⁸) < 2⁴³.
fn icbrt(n: u128) -> u64 {
    let mut root: u64 = 0;
    for bit in (0..43).rev() {
        let cand = root | (1 << bit);
        let c = u128::from(cand);
        if let Some(cube) = c.checked_mul(c).and_then(|sq| sq.checked_mul(c)) {
            if cube <= n {
                root = cand;
            }
        }
    }
    root
}

/// `K` in µs for a plateau `w_max` above the window `cwnd_epoch` the stage
/// starts from (§4.2): `K³ = (W_max − cwnd_epoch) / (C·SMSS)` s³
/// `= ΔW · 10¹⁹ / (4·SMSS)` µs³.
fn cubic_k(w_max: usize, cwnd_epoch: usize, mss: usize) -> u64 {
    let delta = w_max.saturating_sub(cwnd_epoch) as u128;
    let n = delta.saturating_mul(10_000_000_000_000_000_000) / (4 * mss.max(1) as u128);
    icbrt(n)
}

/// `W_cubic(t)` in bytes for `t` µs into the stage (RFC 9438 §4.2,
/// Figure 1), saturating at [`MAX_WINDOW`] and at 0.
fn w_cubic(t: u64, k: u64, w_max: usize, mss: usize) -> usize {
    let d = u128::from(t.abs_diff(k));
    // C·SMSS·d³ with C = 4/10 and d in µs: 4·SMSS·d³ / 10¹⁹ bytes.
    let offset = d
        .checked_mul(d)
        .and_then(|x| x.checked_mul(d))
        .and_then(|x| x.checked_mul(4 * mss as u128))
        .map_or(u128::MAX, |x| x / 10_000_000_000_000_000_000);
    let offset = usize::try_from(offset).unwrap_or(usize::MAX);
    if t >= k {
        w_max.saturating_add(offset).min(MAX_WINDOW)
    } else {
        w_max.saturating_sub(offset)
    }
}

/// `x · β_cubic`.
fn times_beta(x: usize) -> usize {
    let x = x.min(MAX_WINDOW) as u64;
    // ≤ 2³²·7: no overflow; the result is below x.
    (x * BETA_NUM / BETA_DEN) as usize
}

impl Cubic {
    /// A controller at the initial window for `mss` (RFC 6928 §2), with
    /// `ssthresh` "arbitrarily high" (RFC 5681 §3.1): [`MAX_WINDOW`].
    pub fn new(mss: usize) -> Cubic {
        Cubic {
            w: Window::new(mss),
            w_max: 0,
            cwnd_prior: 0,
            epoch: None,
            rtt: Duration::ZERO,
        }
    }

    /// The SMSS in use.
    pub fn mss(&self) -> usize {
        self.w.mss
    }

    /// `W_max` in bytes (RFC 9438 §4.1.2).
    pub fn w_max(&self) -> usize {
        self.w_max
    }

    /// `K` of the current congestion-avoidance stage (§4.2), `None` in
    /// slow start or recovery.
    pub fn k(&self) -> Option<Duration> {
        self.epoch.map(|e| Duration::from_micros(e.k))
    }

    /// `W_est` of the current stage (§4.3), `None` outside congestion
    /// avoidance.
    pub fn w_est(&self) -> Option<usize> {
        self.epoch.map(|e| e.w_est)
    }

    /// Begins a congestion-avoidance stage at `now` from the current cwnd.
    fn start_epoch(&mut self, now: Instant) -> Epoch {
        let k = if self.w_max <= self.w.cwnd {
            // §4.8: after a timeout W_max is the window at the start of
            // congestion avoidance and K = 0; the same holds whenever the
            // window already is above the old plateau.
            self.w_max = self.w.cwnd;
            0
        } else {
            cubic_k(self.w_max, self.w.cwnd, self.w.mss)
        };
        net_trace!(
            "cubic: epoch, w_max {} cwnd {} K {} us",
            self.w_max,
            self.w.cwnd,
            k
        );
        Epoch {
            start: now,
            k,
            // §4.3: W_est starts at cwnd_epoch.
            w_est: self.w.cwnd,
            est_acc: 0,
            inc_acc: 0,
        }
    }

    /// Congestion avoidance for one ACK (RFC 9438 §4.2–§4.5).
    fn avoid(&mut self, now: Instant, acked: usize) {
        let mut ep = match self.epoch {
            Some(ep) => ep,
            None => self.start_epoch(now),
        };
        let cwnd = self.w.cwnd.max(1) as u64;
        let acked = acked.min(MAX_WINDOW) as u64;
        let t = (now - ep.start).total_micros();

        // §4.3: W_est += α_cubic · segments_acked / cwnd (segments), i.e.
        // α · SMSS · acked / cwnd in bytes, α = 9/17 until W_est reaches
        // cwnd_prior, then 1 (= 17/17).
        let alpha = if ep.w_est >= self.cwnd_prior { 17 } else { 9 };
        // ≤ 17·2³²·2¹⁶ + 17·2³²: fits u64.
        ep.est_acc = ep.est_acc.saturating_add(alpha * self.w.mss as u64 * acked);
        let div = 17 * cwnd;
        let grow = usize::try_from(ep.est_acc / div).unwrap_or(usize::MAX);
        ep.est_acc %= div;
        ep.w_est = ep.w_est.saturating_add(grow).min(MAX_WINDOW);

        if w_cubic(t, ep.k, self.w_max, self.w.mss) < ep.w_est {
            // §4.3 Reno-friendly region: cwnd = W_est (never shrink on an ACK).
            self.w.cwnd = self.w.cwnd.max(ep.w_est);
        } else {
            // §4.2: target = W_cubic(t + RTT), bounded to [cwnd, 1.5·cwnd];
            // §4.4/§4.5 (concave and convex alike): cwnd += (target −
            // cwnd)/cwnd per segment acked, i.e. (target − cwnd)·acked/cwnd
            // bytes, the remainder carried to the next ACK.
            let ahead = t.saturating_add(self.rtt.total_micros());
            let high = self.w.cwnd.saturating_add(self.w.cwnd / 2).min(MAX_WINDOW);
            let target = w_cubic(ahead, ep.k, self.w_max, self.w.mss).clamp(self.w.cwnd, high);
            let gap = (target - self.w.cwnd) as u64;
            // gap ≤ 2³¹, acked ≤ 2³²: the product fits; the sum saturates.
            ep.inc_acc = ep.inc_acc.saturating_add(gap * acked);
            let grow = usize::try_from(ep.inc_acc / cwnd).unwrap_or(usize::MAX);
            ep.inc_acc %= cwnd;
            self.w.cwnd = self.w.cwnd.saturating_add(grow).min(high);
        }
        self.epoch = Some(ep);
    }

    /// §5.8: the curve's clock does not run while the sender is
    /// application-limited or idle; move `t_epoch` later by `by`.
    fn shift_epoch(&mut self, by: Duration) {
        if let Some(ep) = self.epoch.as_mut() {
            ep.start += by;
        }
    }
}

impl CongestionControl for Cubic {
    fn cwnd(&self) -> usize {
        self.w.cwnd
    }

    fn ssthresh(&self) -> usize {
        self.w.ssthresh
    }

    fn set_mss(&mut self, mss: usize) {
        self.w.set_mss(mss);
    }

    fn on_ack(&mut self, now: Instant, acked: usize, in_flight: usize, rtt: Option<Duration>) {
        if let Some(rtt) = rtt {
            self.rtt = rtt;
        }
        let since = self.w.last_ack.map_or(Duration::ZERO, |last| now - last);
        self.w.saw_ack(now);
        if acked == 0 {
            return;
        }
        if !is_cwnd_limited(self.w.cwnd, acked, in_flight) {
            // §5.8: no growth, and the time does not count on the curve.
            self.shift_epoch(since);
            return;
        }
        if self.w.cwnd < self.w.ssthresh {
            // §4.10: Reno's slow start (RFC 5681 §3.1) with RFC 9406
            // §4.2's L = 8·SMSS for an unpaced sender, as HyStart++ has
            // it: a coalescing receiver's stretch ACKs count in full.
            self.w.cwnd = slow_start(
                self.w.cwnd,
                self.w.ssthresh,
                acked,
                self.w.mss,
                HYSTART_LIMIT,
            );
        } else {
            self.avoid(now, acked);
        }
    }

    fn on_congestion(&mut self, _now: Instant, _in_flight: usize) {
        self.w.started = true;
        // §4.7 fast convergence: a plateau lower than the last one means a
        // new flow is competing; release bandwidth by remembering less.
        self.w_max = if self.w.cwnd < self.w_max {
            // W_max = cwnd·(1 + β)/2 = cwnd·17/20.
            (self.w.cwnd.min(MAX_WINDOW) as u64 * 17 / 20) as usize
        } else {
            self.w.cwnd
        };
        // §4.6: cwnd_prior = cwnd; ssthresh = cwnd·β_cubic, at least 2
        // SMSS; cwnd = ssthresh. §4.6 allows cwnd in place of flight_size
        // when cwnd cannot grow beyond the flight (`is_cwnd_limited`), and
        // Linux uses it: the flight is what PRR left when a loss shows up
        // on the ACK that ends a recovery (a few segments with stretched
        // ACKs), and 0.7 of that collapsed the window to 2 segments.
        self.cwnd_prior = self.w.cwnd;
        self.w.ssthresh = times_beta(self.w.cwnd).max(self.w.mss.saturating_mul(2));
        self.w.cwnd = self.w.ssthresh;
        self.epoch = None;
        net_debug!(
            "cubic: loss, w_max {} ssthresh = cwnd = {}",
            self.w_max,
            self.w.cwnd
        );
    }

    fn on_recovery_ack(&mut self, now: Instant, _acked: usize, _in_flight: usize) {
        // RFC 6582 §3.2 step 5 deflation is the socket's pipe; CUBIC does
        // not grow cwnd during recovery.
        self.w.saw_ack(now);
    }

    fn on_recovery_exit(&mut self, now: Instant) {
        // RFC 6582 §3.2 step 6 option 2, and §4.2: the congestion-avoidance
        // stage (t_epoch) begins now.
        self.w.saw_ack(now);
        self.w.cwnd = self.w.ssthresh;
        let ep = self.start_epoch(now);
        self.epoch = Some(ep);
    }

    fn on_timeout(&mut self, _now: Instant, in_flight: usize) {
        self.w.started = true;
        // §4.8: Reno's response with ssthresh from β_cubic (§4.6); RFC 5681
        // §3.1 holds ssthresh on a repeated timeout of the same data.
        if !self.w.in_rto_backoff {
            self.cwnd_prior = self.w.cwnd;
            self.w.ssthresh = times_beta(in_flight).max(self.w.mss.saturating_mul(2));
        }
        self.w.in_rto_backoff = true;
        // §4.8: in the first congestion avoidance after the timeout, W_max
        // is the window at its start and K = 0 (see `start_epoch`).
        self.w_max = 0;
        self.epoch = None;
        // RFC 5681 §3.1: loss window, 1 SMSS.
        self.w.cwnd = self.w.mss;
        net_debug!("cubic: RTO, ssthresh {}", self.w.ssthresh);
    }

    fn undo(&mut self, now: Instant, cwnd: usize, ssthresh: usize) {
        // RFC 9438 §4.9: back to the window before the spurious event;
        // the plateau it remembered is at least that window.
        self.w.saw_ack(now);
        self.w.undo(cwnd, ssthresh);
        self.w_max = self.w_max.max(self.cwnd_prior).max(cwnd);
        self.epoch = None;
    }

    fn on_idle_restart(&mut self, now: Instant, rto: Duration) {
        let Some(last) = self.w.last_ack else {
            return;
        };
        let idle = now - last;
        let rw = initial_window(self.w.mss);
        if idle > rto && self.w.cwnd > rw {
            // RFC 5681 §4.1: RW = min(IW, cwnd); the slow start that follows
            // ends in a new congestion-avoidance stage (§4.2).
            self.w.cwnd = rw;
            self.epoch = None;
        } else {
            // §5.8: idle time is not part of t.
            self.shift_epoch(idle);
        }
        self.w.last_ack = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: usize = 1460;

    fn secs(s: f64) -> Instant {
        Instant::from_micros((s * 1e6) as i64)
    }

    /// A controller in congestion avoidance right after a loss at
    /// `w_max_seg` segments (flight = cwnd), recovery ended at `at`.
    fn after_loss(w_max_seg: usize, at: Instant) -> Cubic {
        let mut cc = Cubic::new(MSS);
        cc.w.cwnd = w_max_seg * MSS;
        cc.on_congestion(at, w_max_seg * MSS);
        cc.on_recovery_exit(at);
        cc
    }

    /// One RTT of a window-limited sender starting at `start`: one ACK per
    /// segment, spread over the RTT, the window refilled after each.
    fn one_rtt(cc: &mut Cubic, start: Instant, rtt: Duration) -> Instant {
        let n = (cc.cwnd() / MSS).max(1) as u64;
        for i in 0..n {
            let now = start + Duration::from_micros(rtt.total_micros() * i / n);
            let flight = cc.cwnd();
            cc.on_ack(now, MSS, flight.saturating_sub(MSS), Some(rtt));
        }
        start + rtt
    }

    #[test]
    fn integer_cube_root() {
        for n in [0u128, 1, 7, 8, 26, 27, 1_000_000, 999_999] {
            let r = u128::from(icbrt(n));
            assert!(r * r * r <= n && (r + 1) * (r + 1) * (r + 1) > n, "{n}");
        }
        assert_eq!(icbrt(u128::MAX), 6_981_463_658_331);
        assert_eq!(icbrt(75_000_000_000_000_000_000), 4_217_163);
    }

    #[test]
    fn rfc9438_k_for_known_w_max() {
        // W_max = 100 segments, cwnd_epoch = 70: K = ∛(30/0.4) = ∛75 s
        // = 4.217163 s.
        let cc = after_loss(100, secs(1.0));
        assert_eq!(cc.w_max(), 100 * MSS);
        assert_eq!(cc.cwnd(), 70 * MSS);
        assert_eq!(cc.k(), Some(Duration::from_micros(4_217_163)));
        // K does not depend on the MSS: same in segments of 536 bytes.
        assert_eq!(cubic_k(100 * 536, 70 * 536, 536), 4_217_163);
        // W_max = 1 segment more than cwnd: K = ∛2.5 s = 1.357209 s.
        assert_eq!(cubic_k(11 * MSS, 10 * MSS, MSS), 1_357_208);
    }

    #[test]
    fn rfc9438_w_cubic_at_k_is_w_max() {
        let k = cubic_k(100 * MSS, 70 * MSS, MSS);
        assert_eq!(w_cubic(k, k, 100 * MSS, MSS), 100 * MSS);
        // At t = 0 the curve starts from cwnd_epoch (within a byte of
        // rounding K down).
        let w0 = w_cubic(0, k, 100 * MSS, MSS);
        assert!(w0.abs_diff(70 * MSS) <= 1, "{w0}");
        // Concave before K, convex after: symmetric around W_max.
        let s = 1_000_000;
        assert_eq!(
            100 * MSS - w_cubic(k - s, k, 100 * MSS, MSS),
            w_cubic(k + s, k, 100 * MSS, MSS) - 100 * MSS
        );
        // C·SMSS·1 s³ = 0.4·1460 = 584 bytes.
        assert_eq!(w_cubic(k + s, k, 100 * MSS, MSS), 100 * MSS + 584);
    }

    #[test]
    fn rfc9438_window_reaches_w_max_at_k() {
        let rtt = Duration::from_millis(100);
        let t0 = secs(10.0);
        let mut cc = after_loss(100, t0);
        let k = cc.k().unwrap_or(Duration::ZERO);
        let mut now = t0;
        while now + rtt <= t0 + k {
            now = one_rtt(&mut cc, now, rtt);
            assert!(cc.cwnd() <= 100 * MSS + MSS, "never overshoots before K");
        }
        // Concave region, RTT 100 ms: the cubic dominates W_est here.
        assert!(cc.w_est().unwrap_or(0) < cc.cwnd());
        let w = cc.cwnd();
        assert!(w.abs_diff(100 * MSS) <= MSS, "cwnd {w} ≈ W_max at t = K");
    }

    #[test]
    fn rfc9438_convex_growth_after_k() {
        let rtt = Duration::from_millis(100);
        let t0 = secs(10.0);
        let mut cc = after_loss(100, t0);
        let k = cc.k().unwrap_or(Duration::ZERO);
        let mut now = t0;
        while now < t0 + k {
            now = one_rtt(&mut cc, now, rtt);
        }
        // Per-RTT increments grow in the convex region (every 10 RTTs).
        let mut last = cc.cwnd();
        let mut last_inc = 0;
        for _ in 0..6 {
            for _ in 0..10 {
                now = one_rtt(&mut cc, now, rtt);
            }
            let inc = cc.cwnd() - last;
            assert!(inc > last_inc, "convex: {inc} > {last_inc}");
            last_inc = inc;
            last = cc.cwnd();
        }
        assert!(cc.cwnd() > 100 * MSS + 20 * MSS);
    }

    #[test]
    fn rfc9438_beta_reduction_uses_cwnd() {
        let mut cc = Cubic::new(MSS);
        cc.w.cwnd = 100 * MSS;
        cc.on_congestion(secs(1.0), 100 * MSS);
        assert_eq!(cc.ssthresh(), 70 * MSS);
        assert_eq!(cc.cwnd(), 70 * MSS);
        // ssthresh = cwnd·β (§4.6), floor 2·SMSS.
        cc.on_congestion(secs(2.0), 50 * MSS);
        assert_eq!(cc.cwnd(), 49 * MSS);
        cc.w.cwnd = 2 * MSS;
        cc.on_congestion(secs(3.0), MSS);
        assert_eq!(cc.cwnd(), 2 * MSS);
        // No growth during recovery.
        cc.on_recovery_ack(secs(3.1), MSS, MSS);
        assert_eq!(cc.cwnd(), 2 * MSS);
    }

    #[test]
    fn a_loss_found_as_a_recovery_ends_reduces_the_window_not_the_flight_prr_left() {
        // The ACK that ends a recovery (cwnd back at ssthresh, 13
        // segments) reveals the next loss; PRR had left only 4 segments in
        // flight (few, stretched ACKs). 0.7 of that flight made ssthresh 2
        // segments, and the window sat near two on a 20 ms RTT, 1 % loss
        // link; Linux reduces cwnd (RFC 9438 §4.6 allows either; cwnd
        // cannot outgrow the flight here, `is_cwnd_limited`).
        let mut cc = Cubic::new(MSS);
        cc.w.cwnd = 19 * MSS;
        cc.on_congestion(secs(1.0), 19 * MSS);
        cc.on_recovery_exit(secs(1.1));
        assert_eq!(cc.cwnd(), 19 * MSS * 7 / 10);
        let cwnd = cc.cwnd();
        cc.on_congestion(secs(1.1), 4 * MSS);
        assert_eq!(cc.ssthresh(), cwnd * 7 / 10);
    }

    #[test]
    fn rfc9438_fast_convergence_lowers_w_max() {
        let mut cc = Cubic::new(MSS);
        cc.w.cwnd = 100 * MSS;
        cc.on_congestion(secs(1.0), 100 * MSS);
        assert_eq!(cc.w_max(), 100 * MSS);
        cc.on_recovery_exit(secs(1.1));
        // The next loss comes at 80 segments, below W_max: W_max = 80·0.85.
        cc.w.cwnd = 80 * MSS;
        cc.on_congestion(secs(2.0), 80 * MSS);
        assert_eq!(cc.w_max(), 68 * MSS);
        assert_eq!(cc.cwnd(), 56 * MSS);
        // A loss at or above W_max records cwnd itself.
        cc.on_recovery_exit(secs(2.1));
        cc.w.cwnd = 68 * MSS;
        cc.on_congestion(secs(3.0), 68 * MSS);
        assert_eq!(cc.w_max(), 68 * MSS);
        // K after fast convergence: ∛((68 − 47.6)/0.4) with the bytes rounded.
        cc.on_recovery_exit(secs(3.1));
        assert_eq!(
            cc.k(),
            Some(Duration::from_micros(cubic_k(68 * MSS, cc.cwnd(), MSS)))
        );
    }

    #[test]
    fn rfc9438_reno_friendly_region_at_small_window_short_rtt() {
        // W_max = 10 segments, RTT 1 ms: K ≈ 1.96 s = 1960 RTTs, during
        // which Reno's line (α = 9/17 segment per RTT) is far above.
        let rtt = Duration::from_millis(1);
        let t0 = secs(5.0);
        let mut cc = after_loss(10, t0);
        let mut now = t0;
        for _ in 0..50 {
            now = one_rtt(&mut cc, now, rtt);
        }
        let ep = cc.epoch.unwrap_or_else(|| unreachable!());
        let t = (now - ep.start).total_micros();
        assert!(w_cubic(t, ep.k, cc.w_max(), MSS) < 10 * MSS);
        assert_eq!(cc.cwnd(), ep.w_est, "cwnd follows W_est");
        // 7 segments + ~0.53 per RTT, then 1 per RTT past cwnd_prior = 10.
        assert!(cc.cwnd() > 40 * MSS, "cwnd {}", cc.cwnd() / MSS);
        assert!(cc.cwnd() < 57 * MSS, "cwnd {}", cc.cwnd() / MSS);
    }

    #[test]
    fn rfc9438_w_est_slope_is_alpha_below_cwnd_prior() {
        // Large W_max so the cubic stays below W_est; huge RTT irrelevant.
        let rtt = Duration::from_micros(1);
        let mut cc = after_loss(1000, secs(0.0));
        let start = cc.cwnd();
        let mut now = secs(0.0);
        for _ in 0..17 {
            now = one_rtt(&mut cc, now, rtt);
        }
        // 17 RTTs · 9/17 segment = 9 segments (± 1 for rounding).
        let grown = cc.w_est().unwrap_or(0) - start;
        assert!(grown.abs_diff(9 * MSS) <= MSS, "{grown}");
    }

    #[test]
    fn rfc9438_timeout_then_k_zero_at_new_plateau() {
        let mut cc = Cubic::new(MSS);
        cc.w.cwnd = 100 * MSS;
        cc.on_timeout(secs(1.0), 100 * MSS);
        assert_eq!(cc.ssthresh(), 70 * MSS);
        assert_eq!(cc.cwnd(), MSS);
        // Repeated timeout: ssthresh held (RFC 5681 §3.1).
        cc.on_timeout(secs(3.0), MSS);
        assert_eq!(cc.ssthresh(), 70 * MSS);
        // Slow start back to ssthresh, then the first CA ACK opens an epoch
        // with W_max = cwnd and K = 0 (§4.8).
        let now = secs(4.0);
        while cc.cwnd() < cc.ssthresh() {
            let w = cc.cwnd();
            cc.on_ack(now, MSS, w - MSS, None);
        }
        assert_eq!(cc.cwnd(), 70 * MSS);
        cc.on_ack(now, MSS, 70 * MSS, None);
        assert_eq!(cc.k(), Some(Duration::ZERO));
        assert_eq!(cc.w_max(), 70 * MSS);
    }

    #[test]
    fn rfc9438_app_limited_and_idle_time_not_on_the_curve() {
        let rtt = Duration::from_millis(100);
        let t0 = secs(10.0);
        let mut cc = after_loss(100, t0);
        let start = cc.epoch.map(|e| e.start);
        // Application-limited ACKs for 10 s: no growth, t_epoch shifts.
        let mut now = t0;
        for _ in 0..100 {
            now += rtt;
            cc.on_ack(now, MSS, MSS, Some(rtt));
        }
        assert_eq!(cc.cwnd(), 70 * MSS);
        assert_eq!(
            cc.epoch.map(|e| e.start),
            start.map(|s| s + Duration::from_secs(10))
        );
        // Idle shorter than the RTO: shifted, window kept.
        let rto = Duration::from_secs(1);
        cc.on_idle_restart(now + rto, rto);
        assert_eq!(cc.cwnd(), 70 * MSS);
        assert_eq!(
            cc.epoch.map(|e| e.start),
            start.map(|s| s + Duration::from_secs(11))
        );
        // Idle longer than the RTO: RW = IW, a new stage later.
        cc.on_idle_restart(now + rto * 2 + Duration::from_micros(1), rto);
        assert_eq!(cc.cwnd(), initial_window(MSS));
        assert_eq!(cc.k(), None);
        assert_eq!(cc.ssthresh(), 70 * MSS);
    }

    #[test]
    fn clock_going_backwards_or_at_its_ends_is_harmless() {
        let rtt = Duration::from_millis(100);
        let t0 = Instant::from_micros(i64::MAX - 1_000);
        let mut cc = after_loss(100, t0);
        // `now` before t_epoch reads as t = 0: the curve's start.
        cc.on_ack(t0 - Duration::from_secs(5), MSS, 70 * MSS, Some(rtt));
        assert!(cc.cwnd() >= 70 * MSS && cc.cwnd() <= 71 * MSS);
        // Shifts past the end of time saturate instead of wrapping.
        cc.on_idle_restart(Instant::from_micros(i64::MAX), Duration::MAX);
        cc.on_ack(Instant::from_micros(i64::MAX), MSS, 70 * MSS, Some(rtt));
        assert!(cc.cwnd() >= 70 * MSS && cc.cwnd() <= 72 * MSS);
        let mut cc = after_loss(100, Instant::from_micros(i64::MIN));
        cc.on_ack(
            Instant::from_micros(i64::MAX),
            70 * MSS,
            70 * MSS,
            Some(rtt),
        );
        assert_eq!(cc.cwnd(), 70 * MSS * 3 / 2, "bounded by 1.5·cwnd per ACK");
    }

    #[test]
    fn rfc6928_iw_and_set_mss() {
        for (mss, iw) in [(536, 5_360), (1460, 14_600), (9000, 18_000)] {
            assert_eq!(Cubic::new(mss).cwnd(), iw);
            let mut cc = Cubic::new(536);
            cc.set_mss(mss);
            assert_eq!((cc.cwnd(), cc.mss()), (iw, mss));
        }
        let mut cc = Cubic::new(1460);
        cc.on_timeout(secs(1.0), 0);
        cc.set_mss(9000);
        assert_eq!(cc.cwnd(), 1460, "after a loss the window is kept");
    }

    #[test]
    fn slow_start_doubles_and_abc_caps() {
        let mut cc = Cubic::new(MSS);
        let mut now = secs(0.0);
        for want in [20, 40, 80] {
            now = one_rtt(&mut cc, now, Duration::from_millis(50));
            assert_eq!(cc.cwnd(), want * MSS);
        }
        cc.on_ack(now, 10 * MSS, 80 * MSS, None);
        assert_eq!(cc.cwnd(), 88 * MSS, "L = 8·SMSS");
    }

    #[test]
    fn rfc9406_stretch_acks_grow_slow_start_by_what_they_acknowledge() {
        // A receiver behind GRO/LRO (Linux on a TAP: one ACK per ~5
        // segments at 20 ms RTT) acknowledges several segments per ACK.
        // Capped at 2·SMSS per ACK (RFC 3465's L) the window grew by 2
        // segments where 5 were delivered: slow start took 2.5× the round
        // trips to open, a loss early in it left a small window, and the
        // sender trailed Linux's (which counts every segment acked).
        let mut cc = Cubic::new(MSS);
        let now = secs(0.0);
        let before = cc.cwnd();
        cc.on_ack(now, 5 * MSS, before, None);
        assert_eq!(cc.cwnd(), before + 5 * MSS);
    }

    #[test]
    fn hours_long_run_and_gigabyte_windows_do_not_overflow() {
        // Near the top of the representable time and at the largest MSS.
        let mss = 65_535;
        let mut cc = Cubic::new(mss);
        let t0 = Instant::from_secs(1_000_000_000);
        cc.w.cwnd = 1 << 30;
        cc.on_congestion(t0, 1 << 30);
        cc.on_recovery_exit(t0);
        assert_eq!(cc.w_max(), 1 << 30);
        let k = cc.k().unwrap_or(Duration::ZERO);
        // K = ∛(0.3·2³⁰/(0.4·65535)) s ≈ 23.0 s.
        assert!((22_000_000..24_000_000).contains(&k.total_micros()), "{k}");
        // 10 hours of one stretch ACK per second, window-limited.
        let mut now = t0;
        let mut last = cc.cwnd();
        for _ in 0..36_000 {
            now += Duration::from_secs(1);
            let w = cc.cwnd();
            cc.on_ack(now, w, w, Some(Duration::from_millis(500)));
            assert!(cc.cwnd() >= last);
            last = cc.cwnd();
        }
        assert_eq!(cc.cwnd(), MAX_WINDOW);
        // The curve itself at 10 h and at the end of time saturates.
        assert_eq!(w_cubic(36_000_000_000, 0, 1 << 30, mss), MAX_WINDOW);
        assert_eq!(w_cubic(u64::MAX, 0, 1 << 30, mss), MAX_WINDOW);
        assert_eq!(w_cubic(0, u64::MAX, 1 << 30, mss), 0);
        // A loss at the cap and huge inputs keep everything bounded.
        cc.on_congestion(now, usize::MAX);
        assert_eq!(cc.cwnd(), times_beta(MAX_WINDOW));
        cc.on_recovery_exit(now);
        cc.on_ack(
            now + Duration::from_secs(1),
            usize::MAX,
            usize::MAX,
            Some(Duration::MAX),
        );
        assert!(cc.cwnd() <= MAX_WINDOW);
    }
}
