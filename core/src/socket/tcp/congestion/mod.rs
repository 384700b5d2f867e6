//! Congestion control behind a trait: NewReno (RFC 5681, RFC 6582) and CUBIC
//! (RFC 9438), chosen per socket through the [`Congestion`] enum.
//!
//! # Who does what
//!
//! The **socket** owns loss *detection* and the send decision: it counts
//! duplicate ACKs, keeps the SACK scoreboard (RFC 6675), runs the
//! retransmission timer (RFC 6298), remembers the recovery point
//! (`recover`, RFC 6582 §3.2 step 2) and decides whether an ACK is *full* or
//! *partial*. It then tells the controller what happened, through exactly one
//! call per event:
//!
//! | event (socket side)                                   | call                               |
//! |-------------------------------------------------------|------------------------------------|
//! | ACK of new data, not in recovery                      | [`CongestionControl::on_ack`]      |
//! | 3rd dup ACK / SACK loss, not already in recovery      | [`CongestionControl::on_congestion`] |
//! | partial ACK (below `recover`) during recovery         | [`CongestionControl::on_recovery_ack`] |
//! | full ACK (covers `recover`): recovery ends            | [`CongestionControl::on_recovery_exit`] |
//! | retransmission timer expired                          | [`CongestionControl::on_timeout`]  |
//! | about to send with nothing in flight                  | [`CongestionControl::on_idle_restart`] |
//! | MSS known (SYN exchange) or changed (PMTUD)           | [`CongestionControl::set_mss`]     |
//!
//! The **controller** owns `cwnd` and `ssthresh` and nothing else.
//!
//! ## Recovery without artificial inflation
//!
//! The trait has no per-duplicate-ACK call, so the controller never inflates
//! `cwnd` by one SMSS per duplicate ACK (RFC 6582 §3.2 steps 3–4) nor
//! deflates it on a partial ACK (step 5). During recovery `cwnd` simply *is*
//! `ssthresh` (as in RFC 6675 §5 step (4.2), "cwnd = ssthresh"), and the
//! socket accounts for the segments that have left the network on its side of
//! the comparison: it may send while `pipe < cwnd`, where `pipe` is
//!
//! - with SACK: the RFC 6675 §4 `pipe` of the scoreboard;
//! - without SACK: `FlightSize − (dupacks + partial_acks_of_at_least_SMSS) ·
//!   SMSS` (saturating at 0) — which is exactly RFC 6582's inflation
//!   (`+SMSS` per dup ACK, step 4) and its "add back SMSS" on a partial ACK
//!   (step 5) moved to the other side of `FlightSize < cwnd`; the deflation by
//!   the newly acknowledged bytes of step 5 happens by itself because the
//!   partial ACK shrinks `FlightSize`.
//!
//! Retransmitting the first unacknowledged segment on a partial ACK (step 5)
//! and the dup-ACK count are the socket's. [`CongestionControl::on_recovery_ack`]
//! therefore leaves `cwnd` at `ssthresh`. How much the socket sends per ACK
//! during fast recovery is [`Prr`]'s (RFC 6937): it spreads the reduction to
//! `ssthresh` over the recovery instead of waiting for `pipe < cwnd`. A
//! reduction found spurious later (D-SACK, Eifel) is reverted with
//! [`CongestionControl::undo`].
//!
//! On the full ACK, [`CongestionControl::on_recovery_exit`] sets
//! `cwnd = ssthresh`: RFC 6582 §3.2 step 6 **option 2**. Option 1
//! (`min(ssthresh, max(FlightSize, SMSS) + SMSS)`) needs the flight size,
//! which the call does not carry; option 2 is safe here because the
//! pipe-limited sending above keeps about `ssthresh` bytes in flight through
//! recovery, so the full ACK does not open a burst (the concern RFC 6582
//! raises for option 2).
//!
//! ## Units and arithmetic
//!
//! Every window is in bytes with an explicit SMSS ([`CongestionControl::set_mss`]).
//! All arithmetic is integer (CUBIC's cube root included) and saturates, so
//! windows up to 1 GiB and elapsed times of hours cannot overflow. `cwnd` is
//! capped at [`MAX_WINDOW`].

mod cubic;
mod newreno;
pub mod prr;
mod window;

pub use self::cubic::Cubic;
pub use self::newreno::NewReno;
pub use self::prr::Prr;

use crate::time::{Duration, Instant};

/// The default sender MSS before the peer's MSS option is known.
///
/// RFC 9293 §3.7.1: without an MSS option a sender MUST assume 536 bytes
/// (IPv4). The socket calls [`CongestionControl::set_mss`] with the real
/// value once the handshake has told it.
pub const DEFAULT_MSS: usize = 536;

/// The largest congestion window this module will hold: 4 GiB − 1 on
/// 32- and 64-bit targets, far above the largest TCP window (RFC 7323 §2.3:
/// 2^30 bytes), so the cap only keeps the arithmetic bounded.
pub const MAX_WINDOW: usize = if usize::BITS >= 32 {
    u32::MAX as usize
} else {
    usize::MAX
};

/// A congestion controller: owns `cwnd` and `ssthresh`, reacts to the events
/// the socket detects (see the [module docs](self) for who does what).
///
/// `in_flight` is always the socket's FlightSize, `SND.NXT − SND.UNA` in
/// bytes (RFC 5681 §2), taken *after* the ACK being reported has advanced
/// `SND.UNA`. `acked` is the number of bytes newly acknowledged by the
/// cumulative ACK field.
pub trait CongestionControl {
    /// The congestion window in bytes: the socket keeps
    /// `FlightSize` (or `pipe` in recovery) below it.
    fn cwnd(&self) -> usize;

    /// The slow-start threshold in bytes (RFC 5681 §3.1).
    fn ssthresh(&self) -> usize;

    /// Sets the sender MSS (SMSS) in bytes (0 is treated as 1).
    ///
    /// Before any data has been acknowledged or lost this also resets `cwnd`
    /// to the initial window for the new MSS (RFC 6928 §2); afterwards the
    /// byte window is kept as it is.
    fn set_mss(&mut self, mss: usize);

    /// New data was cumulatively acknowledged outside recovery.
    ///
    /// Grows `cwnd` in slow start (RFC 5681 §3.1 with RFC 3465 byte counting,
    /// L = 2·SMSS) or congestion avoidance, but only while the window was
    /// actually used (see [`is_cwnd_limited`]). `rtt` is the current RTT
    /// estimate (SRTT, RFC 6298) when the socket has one; CUBIC uses it to
    /// look one RTT ahead (RFC 9438 §4.2).
    fn on_ack(&mut self, now: Instant, acked: usize, in_flight: usize, rtt: Option<Duration>);

    /// Loss was detected by duplicate ACKs or SACK: enter fast recovery.
    ///
    /// Call once per recovery episode (RFC 6582 §3.2 step 2: not again
    /// before `recover` is acknowledged). Sets `ssthresh` (RFC 5681 §3.2
    /// step 2 for NewReno, RFC 9438 §4.6 for CUBIC) and `cwnd = ssthresh`.
    fn on_congestion(&mut self, now: Instant, in_flight: usize);

    /// A partial ACK during recovery (RFC 6582 §3.2 step 5).
    ///
    /// Leaves `cwnd` at `ssthresh`: the socket's `pipe` does the
    /// deflation (see the module docs).
    fn on_recovery_ack(&mut self, now: Instant, acked: usize, in_flight: usize);

    /// The full ACK arrived: recovery is over, `cwnd = ssthresh`
    /// (RFC 6582 §3.2 step 6, option 2). Congestion avoidance starts now.
    fn on_recovery_exit(&mut self, now: Instant);

    /// The retransmission timer expired (RFC 5681 §3.1, RFC 6298 §5.5).
    ///
    /// `ssthresh` is reduced (eq. 4 for NewReno; β_cubic for CUBIC,
    /// RFC 9438 §4.8) unless this is a repeated timeout of the same data
    /// with no ACK in between, in which case RFC 5681 §3.1 holds it; `cwnd`
    /// becomes the loss window, 1 SMSS.
    fn on_timeout(&mut self, now: Instant, in_flight: usize);

    /// The socket is about to send with nothing in flight.
    ///
    /// If no ACK has been seen for longer than `rto`, `cwnd` is cut to the
    /// restart window `min(IW, cwnd)` (RFC 5681 §4.1). CUBIC also keeps the
    /// idle time out of its curve (RFC 9438 §5.8). Calling it when not idle
    /// does nothing, so the socket may call it on every send that starts
    /// from an empty flight.
    fn on_idle_restart(&mut self, now: Instant, rto: Duration);

    /// The last reduction was for nothing: every retransmission it caused
    /// was reported as a duplicate (D-SACK, RFC 3708 §3), or the ACK after
    /// a timeout echoed a transmission from before it (Eifel, RFC 3522,
    /// RFC 4015 §2). `cwnd` and `ssthresh` go back to at least the values
    /// they had before it (RFC 4015 §3.2's restoration; Linux's
    /// `tcp_undo_cwnd_reduction`).
    fn undo(&mut self, now: Instant, cwnd: usize, ssthresh: usize);
}

/// The initial window for a sender MSS (RFC 6928 §2):
/// `min(10·MSS, max(2·MSS, 14600))` bytes.
pub fn initial_window(mss: usize) -> usize {
    let mss = mss.max(1);
    mss.saturating_mul(10)
        .min(mss.saturating_mul(2).max(14_600))
        .min(MAX_WINDOW)
}

/// Whether the sender was using its window when an ACK arrived.
///
/// `in_flight + acked` is the flight just before the ACK. RFC 9438 §5.8 (and
/// RFC 7661 §4.3 for any controller) lets `cwnd` grow only while it is
/// validated — the flight is at least half of `cwnd`; an application-limited
/// sender must not build up a window it never tested.
pub fn is_cwnd_limited(cwnd: usize, acked: usize, in_flight: usize) -> bool {
    in_flight.saturating_add(acked).saturating_mul(2) >= cwnd
}

/// RFC 3465 §2.2's L for RFC 5681's slow start: 2·SMSS per ACK.
pub(crate) const ABC_LIMIT: usize = 2;
/// RFC 9406 §4.2's L for an unpaced sender: 8·SMSS per ACK. A receiver
/// that coalesces (GRO/LRO, Linux's on most links) acknowledges 4–8
/// segments per ACK; at 2·SMSS slow start then grows ~1.5× per round trip
/// instead of 2× (Linux counts every segment acked, tcp_slow_start).
pub(crate) const HYSTART_LIMIT: usize = 8;

/// One slow-start step (RFC 5681 §3.1 with RFC 3465 §2.2 byte counting):
/// `cwnd += min(acked, L)` with L = `limit`·SMSS, not past `ssthresh` (so
/// the next ACK is handled by congestion avoidance; RFC 5681 §3.1 allows
/// either algorithm when `cwnd == ssthresh`).
pub(crate) fn slow_start(
    cwnd: usize,
    ssthresh: usize,
    acked: usize,
    mss: usize,
    limit: usize,
) -> usize {
    let limit = mss.saturating_mul(limit);
    cwnd.saturating_add(acked.min(limit))
        .min(ssthresh.max(cwnd))
        .min(MAX_WINDOW)
}

/// Which congestion controller a socket uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum CongestionKind {
    /// RFC 5681 + RFC 6582.
    NewReno,
    /// RFC 9438, the default (as in Linux, Windows and macOS).
    #[default]
    Cubic,
}

/// A congestion controller of any kind, dispatched by `match` (no heap, no
/// trait object): this is what the socket stores.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Congestion {
    /// NewReno (RFC 5681, RFC 6582).
    NewReno(NewReno),
    /// CUBIC (RFC 9438).
    Cubic(Cubic),
}

impl Congestion {
    /// A fresh controller of `kind` for sender MSS `mss`, at the initial
    /// window (RFC 6928).
    pub fn new(kind: CongestionKind, mss: usize) -> Congestion {
        match kind {
            CongestionKind::NewReno => Congestion::NewReno(NewReno::new(mss)),
            CongestionKind::Cubic => Congestion::Cubic(Cubic::new(mss)),
        }
    }

    /// Which controller this is.
    pub fn kind(&self) -> CongestionKind {
        match self {
            Congestion::NewReno(_) => CongestionKind::NewReno,
            Congestion::Cubic(_) => CongestionKind::Cubic,
        }
    }
}

impl Default for Congestion {
    /// CUBIC at the default MSS ([`DEFAULT_MSS`]).
    fn default() -> Congestion {
        Congestion::new(CongestionKind::Cubic, DEFAULT_MSS)
    }
}

/// Forwards one trait method to the variant inside.
macro_rules! dispatch {
    ($self:ident, $cc:ident => $call:expr) => {
        match $self {
            Congestion::NewReno($cc) => $call,
            Congestion::Cubic($cc) => $call,
        }
    };
}

impl CongestionControl for Congestion {
    fn cwnd(&self) -> usize {
        dispatch!(self, cc => cc.cwnd())
    }

    fn ssthresh(&self) -> usize {
        dispatch!(self, cc => cc.ssthresh())
    }

    fn set_mss(&mut self, mss: usize) {
        dispatch!(self, cc => cc.set_mss(mss))
    }

    fn on_ack(&mut self, now: Instant, acked: usize, in_flight: usize, rtt: Option<Duration>) {
        dispatch!(self, cc => cc.on_ack(now, acked, in_flight, rtt))
    }

    fn on_congestion(&mut self, now: Instant, in_flight: usize) {
        dispatch!(self, cc => cc.on_congestion(now, in_flight))
    }

    fn on_recovery_ack(&mut self, now: Instant, acked: usize, in_flight: usize) {
        dispatch!(self, cc => cc.on_recovery_ack(now, acked, in_flight))
    }

    fn on_recovery_exit(&mut self, now: Instant) {
        dispatch!(self, cc => cc.on_recovery_exit(now))
    }

    fn on_timeout(&mut self, now: Instant, in_flight: usize) {
        dispatch!(self, cc => cc.on_timeout(now, in_flight))
    }

    fn on_idle_restart(&mut self, now: Instant, rto: Duration) {
        dispatch!(self, cc => cc.on_idle_restart(now, rto))
    }

    fn undo(&mut self, now: Instant, cwnd: usize, ssthresh: usize) {
        dispatch!(self, cc => cc.undo(now, cwnd, ssthresh))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6928_initial_window_for_common_mss() {
        // min(10·536, max(1072, 14600)) = 5360
        assert_eq!(initial_window(536), 5_360);
        // min(14600, max(2920, 14600)) = 14600
        assert_eq!(initial_window(1460), 14_600);
        // min(90000, max(18000, 14600)) = 18000
        assert_eq!(initial_window(9000), 18_000);
        // The 2·MSS floor takes over only for MSS > 7300.
        assert_eq!(initial_window(7300), 14_600);
        assert_eq!(initial_window(7301), 14_602);
        // Degenerate MSS values never panic.
        assert_eq!(initial_window(0), 10);
        assert_eq!(initial_window(usize::MAX), MAX_WINDOW);
    }

    #[test]
    fn rfc7661_half_window_rule() {
        // Flight before the ACK = 5000 + 1000 = 6000 ≥ 12000/2: validated.
        assert!(is_cwnd_limited(12_000, 1_000, 5_000));
        // 5999 < 6000: application-limited.
        assert!(!is_cwnd_limited(12_000, 1_000, 4_999));
        assert!(is_cwnd_limited(MAX_WINDOW, usize::MAX, usize::MAX));
    }

    #[test]
    fn rfc3465_slow_start_step_is_capped_by_l_and_ssthresh() {
        assert_eq!(slow_start(10_000, 100_000, 500, 1000, ABC_LIMIT), 10_500);
        // L = 2·SMSS caps a stretch ACK.
        assert_eq!(slow_start(10_000, 100_000, 5_000, 1000, ABC_LIMIT), 12_000);
        // L = 8·SMSS (RFC 9406) lets it count five segments, not ten.
        assert_eq!(
            slow_start(10_000, 100_000, 5_000, 1000, HYSTART_LIMIT),
            15_000
        );
        assert_eq!(
            slow_start(10_000, 100_000, 10_000, 1000, HYSTART_LIMIT),
            18_000
        );
        // Never past ssthresh.
        assert_eq!(slow_start(10_000, 11_000, 5_000, 1000, ABC_LIMIT), 11_000);
        assert_eq!(
            slow_start(
                MAX_WINDOW,
                usize::MAX,
                usize::MAX,
                usize::MAX,
                HYSTART_LIMIT
            ),
            MAX_WINDOW
        );
    }

    #[test]
    fn default_is_cubic_at_default_mss() {
        let cc = Congestion::default();
        assert_eq!(cc.kind(), CongestionKind::Cubic);
        assert!(matches!(cc, Congestion::Cubic(_)));
        assert_eq!(cc.cwnd(), initial_window(DEFAULT_MSS));
        assert_eq!(CongestionKind::default(), CongestionKind::Cubic);
    }

    /// Drives both variants through the enum with the same events; each
    /// must give the numbers of its own RFC, which proves the dispatch
    /// reaches the right one.
    #[test]
    fn enum_dispatch_reaches_each_controller() {
        let mss = 1000;
        let t0 = Instant::from_secs(1);
        for kind in [CongestionKind::NewReno, CongestionKind::Cubic] {
            let mut cc = Congestion::new(kind, mss);
            assert_eq!(cc.kind(), kind);
            assert_eq!(cc.cwnd(), 10_000);
            assert_eq!(cc.ssthresh(), MAX_WINDOW);

            cc.set_mss(1460);
            assert_eq!(cc.cwnd(), 14_600, "set_mss before data resets IW");
            cc.set_mss(mss);

            // Slow start: +acked (≤ 2·SMSS).
            cc.on_ack(t0, 1000, 9_000, Some(Duration::from_millis(100)));
            assert_eq!(cc.cwnd(), 11_000);

            // Loss with 10 000 bytes in flight: NewReno halves the flight,
            // CUBIC takes 0.7 of cwnd (11 000, RFC 9438 §4.6).
            cc.on_congestion(t0, 10_000);
            let expect = match kind {
                CongestionKind::NewReno => 5_000,
                CongestionKind::Cubic => 7_700,
            };
            assert_eq!(cc.ssthresh(), expect);
            assert_eq!(cc.cwnd(), expect);
            cc.on_recovery_ack(t0, 1000, 8_000);
            assert_eq!(cc.cwnd(), expect);
            cc.on_recovery_exit(t0);
            assert_eq!(cc.cwnd(), expect);

            // RTO with 40 000 in flight.
            cc.on_timeout(t0, 40_000);
            assert_eq!(cc.cwnd(), mss);
            let expect = match kind {
                CongestionKind::NewReno => 20_000,
                CongestionKind::Cubic => 28_000,
            };
            assert_eq!(cc.ssthresh(), expect);

            // Grow back in slow start, then idle for longer than the RTO.
            let t1 = t0 + Duration::from_secs(1);
            while cc.cwnd() < expect {
                let w = cc.cwnd();
                cc.on_ack(t1, mss, w - mss, None);
            }
            assert_eq!(cc.cwnd(), expect);
            let rto = Duration::from_secs(1);
            let mut not_idle = cc.clone();
            not_idle.on_idle_restart(t1 + rto, rto);
            assert_eq!(not_idle.cwnd(), expect, "idle == RTO is not > RTO");
            cc.on_idle_restart(t1 + rto + Duration::from_micros(1), rto);
            assert_eq!(cc.cwnd(), 10_000, "restart window = min(IW, cwnd)");
        }
    }
}
