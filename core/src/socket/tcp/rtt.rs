//! RTT estimation and the retransmission timeout (RFC 6298, RFC 7323 §4).
//!
//! Three independent pieces, all sans-IO and heap-free:
//!
//! - [`RttEstimator`] keeps SRTT and RTTVAR and computes the retransmission
//!   timeout (RTO) of RFC 6298 §2, with the exponential backoff of §5.5 and
//!   the 3-second fallback of §5.7. It only consumes samples; where they come
//!   from is the job of the two others.
//! - [`RttTimer`] takes samples on a connection **without** timestamps: it
//!   times one segment at a time and follows Karn's algorithm (RFC 6298 §3,
//!   Karn & Partridge 1987): a segment that was retransmitted gives no sample,
//!   because the ACK cannot tell which transmission it answers.
//! - [`rtt_from_echo`] and [`TsClock`] take samples on a connection **with**
//!   timestamps (RFC 7323 §4, RTTM): the echoed TSecr says which transmission
//!   is acknowledged, so every ACK that carries a fresh echo gives a sample,
//!   retransmitted or not.
//!
//! All arithmetic is on integer microseconds (the unit of
//! [`crate::time::Duration`]): no floats, and no operation can overflow or
//! panic whatever the samples are — intermediate products are taken in
//! `u128` and results saturate.
//!
//! # How the socket uses it
//!
//! ```text
//! on connect/accept:      est = RttEstimator::new(cfg); timer = RttTimer::new()
//! on sending new data:    if !ts { timer.start(seg_end, now) }  // no-op while timing
//!                         arm the retransmission timer with est.rto() if not armed (§5.1)
//! on retransmitting:      timer.on_retransmit()                 // Karn
//! on RTO expiry:          est.backoff(); retransmit; re-arm with est.rto() (§5.4-5.6)
//! on an ACK of new data:  sample = if ts { clock.rtt(now, tsecr) } else { timer.on_ack(ack, now) }
//!                         if let Some(r) = sample { est.sample(r) }   // also undoes the backoff
//!                         re-arm with est.rto() or stop the timer (§5.2, §5.3)
//! on ESTABLISHED after a SYN (or SYN-ACK) was retransmitted: est.reset_after_syn_timeout()
//! ```

use crate::time::{Duration, Instant};
use crate::wire::tcp::TcpSeqNumber;

/// The constants of the retransmission timeout.
///
/// The defaults follow RFC 6298 where it is a MUST, and Linux where RFC 6298
/// leaves room (see each field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RtoConfig {
    /// The RTO before the first sample. RFC 6298 §2.1: "the sender SHOULD
    /// set RTO <- 1 second" (RFC 1122 used 3 s; the 1 s value comes from
    /// RFC 6298 Appendix A). Linux: `TCP_TIMEOUT_INIT` = 1 s.
    pub initial: Duration,
    /// The floor of the RTO. Default 200 ms.
    ///
    /// RFC 6298 §2.4 says the RTO "SHOULD be rounded up to 1 second"; Linux
    /// uses `TCP_RTO_MIN` = 200 ms (HZ/5), as do most deployed stacks. Why
    /// 200 ms: §2.4 itself presents the 1 s floor as a conservative choice
    /// made for coarse-grained timers, "acknowledging that at some future
    /// point, research may show that a smaller minimum RTO is acceptable";
    /// with a µs clock, a 1 s floor makes every loss on a LAN cost a second.
    /// The floor must still stay above the peer's delayed-ACK timer, or a
    /// lone segment whose ACK is delayed is retransmitted spuriously: Linux
    /// delays ACKs by at most 200 ms (`TCP_DELACK_MAX`), RFC 9293 §3.8.6.3
    /// by under 500 ms, so 200 ms matches the stacks a peer most likely
    /// runs. Set 1 s for strict RFC 6298 behaviour.
    pub min: Duration,
    /// The ceiling of the RTO, backoff included. Default 60 s.
    ///
    /// RFC 6298 §2.5: "A maximum value MAY be placed on RTO provided it is
    /// at least 60 seconds." Linux uses `TCP_RTO_MAX` = 120 s. We take 60 s,
    /// the smallest the RFC allows: after an outage a connection probes
    /// again within a minute instead of two, which matters more for a small
    /// device than the extra timeouts it costs (each backed-off probe is one
    /// segment).
    pub max: Duration,
    /// The clock granularity G of RFC 6298 §2.3 (`RTO = SRTT + max(G,
    /// 4·RTTVAR)`). Default 1 ms, the resolution of the timestamp clock
    /// (RFC 7323 §5.4) and a safe bound for a `poll` loop; Linux uses one
    /// jiffy.
    pub clock_granularity: Duration,
}

impl Default for RtoConfig {
    fn default() -> RtoConfig {
        RtoConfig {
            initial: Duration::from_secs(1),
            min: Duration::from_millis(200),
            max: Duration::from_secs(60),
            clock_granularity: Duration::from_millis(1),
        }
    }
}

impl RtoConfig {
    /// `rto` in µs, brought into `[min, max]`. When a misconfiguration has
    /// `min > max`, `max` wins (no panic, unlike `Ord::clamp`).
    fn bound(&self, rto_us: u64) -> u64 {
        rto_us
            .max(self.min.total_micros())
            .min(self.max.total_micros())
    }
}

/// RFC 6298 §5.7: the RTO to use once data transfer starts after the SYN's
/// timer expired.
const SYN_TIMEOUT_FALLBACK: Duration = Duration::from_secs(3);

/// The smoothed RTT estimate and the retransmission timeout of one
/// connection (RFC 6298 §2, §5).
///
/// SRTT and RTTVAR are kept in whole microseconds; each update rounds down
/// once (it computes `(7·SRTT + R) / 8`, not `7/8·SRTT` and `R/8`
/// separately), so the estimate is never more than a few µs below the exact
/// real-number value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RttEstimator {
    config: RtoConfig,
    /// `(SRTT, RTTVAR)` in µs; `None` until the first sample (RFC 6298 §2.1).
    estimate: Option<(u64, u64)>,
    /// The RTO before backoff, in µs, already within `[min, max]`.
    base_rto_us: u64,
    /// Consecutive timer expiries since the last sample (RFC 6298 §5.5).
    backoffs: u32,
}

impl Default for RttEstimator {
    fn default() -> RttEstimator {
        RttEstimator::new(RtoConfig::default())
    }
}

impl RttEstimator {
    /// An estimator with no sample yet: the RTO is `config.initial`
    /// (RFC 6298 §2.1), brought into `[min, max]`.
    pub fn new(config: RtoConfig) -> RttEstimator {
        RttEstimator {
            config,
            estimate: None,
            base_rto_us: config.bound(config.initial.total_micros()),
            backoffs: 0,
        }
    }

    /// The configuration this estimator was built with.
    pub fn config(&self) -> &RtoConfig {
        &self.config
    }

    /// Feed one RTT measurement R (RFC 6298 §2.2, §2.3).
    ///
    /// The first sample sets SRTT = R and RTTVAR = R/2; later ones update
    /// RTTVAR = 3/4·RTTVAR + 1/4·|SRTT − R| and then SRTT = 7/8·SRTT +
    /// 1/8·R. Then RTO = SRTT + max(G, 4·RTTVAR), within `[min, max]`.
    ///
    /// A new sample also undoes any backoff (see
    /// [`reset_backoff`](Self::reset_backoff)): RFC 6298 §5, after rule 5.7,
    /// "once a new RTT measurement is obtained ... the computation of RTO
    /// ... may result in 'collapsing' RTO back down". The caller must only
    /// pass samples that are valid under Karn's algorithm ([`RttTimer`]) or
    /// come from a timestamp echo ([`rtt_from_echo`]).
    pub fn sample(&mut self, rtt: Duration) {
        self.update(rtt, 1);
    }

    /// Feed one RTT measurement taken with the timestamps option, when a
    /// sample may come with every ACK (RFC 7323 Appendix G).
    ///
    /// RFC 6298's gains (α = 1/8, β = 1/4) assume about one sample per RTT.
    /// With timestamps, a window of `flight_segments` full-sized segments
    /// yields `ExpectedSamples = ceil(flight_segments / 2)` samples (one ACK
    /// per two segments, delayed ACKs), which would shorten the history the
    /// estimator remembers by that factor and make the RTO chase every
    /// queueing spike. RFC 7323 Appendix G divides both gains by
    /// ExpectedSamples: α' = α / ExpectedSamples, β' = β / ExpectedSamples,
    /// so one window's worth of samples moves SRTT about as much as one
    /// sample did. `flight_segments` is FlightSize / SMSS at the time of the
    /// ACK (the caller rounds up); 0, 1 and 2 behave as [`sample`](Self::sample).
    ///
    /// The first sample still follows RFC 6298 §2.2, and the backoff is
    /// undone as in [`sample`](Self::sample).
    pub fn sample_with_timestamps(&mut self, rtt: Duration, flight_segments: usize) {
        // ExpectedSamples = ceiling(FlightSize / (SMSS * 2)), at least 1.
        // Capped at u32::MAX so that the gain denominators (8·E, 4·E) and
        // their products with a u64 stay far inside u128.
        let expected = flight_segments.div_ceil(2).max(1);
        let expected = u32::try_from(expected).unwrap_or(u32::MAX);
        self.update(rtt, u64::from(expected));
    }

    /// RFC 6298 §2.2/§2.3 with the gains divided by `expected` (≥ 1).
    fn update(&mut self, rtt: Duration, expected: u64) {
        let r = rtt.total_micros();
        let (srtt, rttvar) = match self.estimate {
            // RFC 6298 §2.2: the first measurement R sets SRTT <- R,
            // RTTVAR <- R/2.
            None => (r, r / 2),
            // RFC 6298 §2.3: RTTVAR is updated first, with the SRTT from
            // before this sample ("the value of SRTT used in the update to
            // RTTVAR is its value before updating SRTT itself").
            Some((srtt, rttvar)) => {
                let rttvar = ewma(rttvar, srtt.abs_diff(r), 4 * expected);
                let srtt = ewma(srtt, r, 8 * expected);
                (srtt, rttvar)
            }
        };
        self.estimate = Some((srtt, rttvar));
        // RFC 6298 §2.3: RTO <- SRTT + max(G, K*RTTVAR), K = 4.
        let variance_term = rttvar
            .saturating_mul(4)
            .max(self.config.clock_granularity.total_micros());
        // RFC 6298 §2.4 (floor) and §2.5 (ceiling).
        self.base_rto_us = self.config.bound(srtt.saturating_add(variance_term));
        // RFC 6298 §5 (note after 5.7): a new measurement collapses the
        // backed-off RTO; Karn's algorithm keeps the backoff only until then.
        self.backoffs = 0;
        net_trace!(
            "tcp rtt: sample {} srtt {} rttvar {} rto {}",
            rtt,
            Duration::from_micros(srtt),
            Duration::from_micros(rttvar),
            Duration::from_micros(self.base_rto_us)
        );
    }

    /// The current retransmission timeout: the computed RTO doubled once per
    /// [`backoff`](Self::backoff) (RFC 6298 §5.5), never above `max` (§2.5).
    pub fn rto(&self) -> Duration {
        // 2^backoffs, saturating: a shift of 64 or more is "infinite".
        let factor = 1u64.checked_shl(self.backoffs).unwrap_or(u64::MAX);
        let rto = self
            .base_rto_us
            .saturating_mul(factor)
            .min(self.config.max.total_micros());
        Duration::from_micros(rto)
    }

    /// The retransmission timer expired: double the RTO (RFC 6298 §5.5,
    /// "RTO <- RTO * 2 ('back off the timer')"), up to `max`.
    ///
    /// The RTO value saturates at `max`; the count returned by
    /// [`backoffs`](Self::backoffs) keeps growing (saturating at `u32::MAX`)
    /// so that the socket can count consecutive timeouts to give up
    /// (RFC 9293 §3.8.3, R1/R2).
    pub fn backoff(&mut self) {
        self.backoffs = self.backoffs.saturating_add(1);
    }

    /// Undo the backoff: the RTO goes back to the value computed from the
    /// estimate. [`sample`](Self::sample) does this itself; call it directly
    /// only when the RTO must collapse without a sample (e.g. a connection
    /// that reuses a cached estimate).
    ///
    /// Karn's algorithm (RFC 6298 §3, Karn & Partridge 1987): the backed-off
    /// RTO is kept "until an acknowledgment is received for a segment that
    /// was not retransmitted", i.e. until a valid sample.
    pub fn reset_backoff(&mut self) {
        self.backoffs = 0;
    }

    /// The number of consecutive backoffs since the last sample or reset.
    pub fn backoffs(&self) -> u32 {
        self.backoffs
    }

    /// The smoothed RTT, or `None` before the first sample.
    pub fn srtt(&self) -> Option<Duration> {
        self.estimate.map(|(srtt, _)| Duration::from_micros(srtt))
    }

    /// The RTT variation, or `None` before the first sample.
    pub fn rttvar(&self) -> Option<Duration> {
        self.estimate
            .map(|(_, rttvar)| Duration::from_micros(rttvar))
    }

    /// The handshake is complete but the SYN (or SYN-ACK) had to be
    /// retransmitted: RFC 6298 §5.7, "If the timer expires awaiting the ACK
    /// of a SYN segment and the TCP implementation is using an RTO less than
    /// 3 seconds, the RTO MUST be re-initialized to 3 seconds when data
    /// transmission begins".
    ///
    /// The backoff is cleared and, while no sample has been taken, the RTO
    /// becomes at least 3 s (within `max`). As in Linux
    /// (`tcp_init_metrics`), an RTO computed from a real sample (possible
    /// when the SYN-ACK echoed a timestamp) is kept: it already reflects the
    /// path, which is what the 3 s fallback stands in for. The first sample
    /// then replaces the fallback by RFC 6298 §2.2.
    pub fn reset_after_syn_timeout(&mut self) {
        self.backoffs = 0;
        if self.estimate.is_none() {
            let fallback = SYN_TIMEOUT_FALLBACK.total_micros();
            self.base_rto_us = self
                .base_rto_us
                .max(fallback)
                .min(self.config.max.total_micros());
        }
    }
}

/// One step of an exponentially weighted moving average with gain `1/denom`:
/// `old + (sample − old)/denom = ((denom − 1)·old + sample) / denom`,
/// rounded down. `denom` ≥ 1 and ≤ 2^35, so the product stays below 2^99.
fn ewma(old: u64, sample: u64, denom: u64) -> u64 {
    let denom = u128::from(denom.max(1));
    let sum = (denom - 1) * u128::from(old) + u128::from(sample);
    // The result lies between `old` and `sample`, so it fits; saturate anyway.
    u64::try_from(sum / denom).unwrap_or(u64::MAX)
}

/// Karn's algorithm for connections without timestamps (RFC 6298 §3).
///
/// One segment at a time is timed, as BSD and RFC 6298 §3 describe ("a TCP
/// implementation MUST take at least one RTT measurement per RTT (unless
/// that is not possible per Karn's algorithm)"). Any retransmission cancels
/// the measurement: "RTT samples MUST NOT be made using segments that were
/// retransmitted". The backed-off RTO meanwhile stays in [`RttEstimator`]
/// until the next valid sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RttTimer {
    /// The end (seq + len) of the timed segment and when it was sent.
    timing: Option<(TcpSeqNumber, Instant)>,
}

impl RttTimer {
    /// A timer that times nothing.
    pub const fn new() -> RttTimer {
        RttTimer { timing: None }
    }

    /// A segment ending at `seq_end` (its sequence number plus its length,
    /// SYN and FIN counted) was sent for the first time at `now`: time it,
    /// unless a segment is being timed already.
    ///
    /// Never call this for a retransmission (Karn).
    pub fn start(&mut self, seq_end: TcpSeqNumber, now: Instant) {
        if self.timing.is_none() {
            self.timing = Some((seq_end, now));
        }
    }

    /// A segment was retransmitted: drop the measurement, since the ACK
    /// could answer either transmission (RFC 6298 §3, Karn).
    ///
    /// This cancels whatever segment was timed, even one other than the
    /// retransmitted one: after a timeout everything after the hole is
    /// resent too, and after a fast retransmit the timed segment's ACK is
    /// held back by the hole, which would inflate the sample.
    pub fn on_retransmit(&mut self) {
        self.timing = None;
    }

    /// An ACK with acknowledgment number `ack` arrived at `now`. When it
    /// covers the timed segment (`ack` ≥ `seq_end`, compared modulo 2^32 per
    /// RFC 9293 §3.4), return the RTT sample and stop timing; otherwise keep
    /// timing and return `None`.
    pub fn on_ack(&mut self, ack: TcpSeqNumber, now: Instant) -> Option<Duration> {
        let (seq_end, sent_at) = self.timing?;
        // `>=` on TcpSeqNumber is modular; two numbers exactly 2^31 apart are
        // incomparable and count as "not covered".
        if ack >= seq_end {
            self.timing = None;
            Some(now - sent_at)
        } else {
            None
        }
    }

    /// Whether a segment is being timed.
    pub fn is_timing(&self) -> bool {
        self.timing.is_some()
    }
}

/// The longest RTT a timestamp echo may give: anything longer is taken as a
/// bogus or stale echo, not a measurement.
pub const MAX_ECHO_RTT: Duration = Duration::from_secs(3600);

/// The RTT measured by a timestamp echo (RFC 7323 §4, RTTM), for a
/// timestamp clock that ticks once per millisecond.
///
/// `now_ts` is our current TSval (see [`TsClock::ts_val`]) and `tsecr` the
/// TSecr of the acknowledging segment, which echoes a TSval we sent; the
/// difference is computed modulo 2^32, so it is right across the wrap of the
/// clock (RFC 7323 §5.2 relies on the same modular comparison).
///
/// No sample (`None`) when:
/// - `tsecr` is 0: RFC 7323 §3.2 has a segment without ACK send TSecr = 0,
///   and Linux ignores a zero echo likewise. The cost is that one TSval in
///   2^32 gives no sample.
/// - the echo is "in the future" (negative modular difference): it is not a
///   TSval we sent.
/// - the RTT is over [`MAX_ECHO_RTT`] (1 hour): no real path is that slow,
///   so the echo is corrupt or from a middlebox, and one absurd sample would
///   inflate SRTT/RTTVAR for a long time.
pub fn rtt_from_echo(now_ts: u32, tsecr: u32) -> Option<Duration> {
    if tsecr == 0 {
        return None;
    }
    let elapsed_ms = now_ts.wrapping_sub(tsecr);
    // A modular difference of 2^31 or more is behind, not ahead.
    if elapsed_ms > i32::MAX as u32 {
        return None;
    }
    let rtt = Duration::from_millis(u64::from(elapsed_ms));
    if rtt > MAX_ECHO_RTT {
        return None;
    }
    Some(rtt)
}

/// The timestamp clock of one connection (RFC 7323 §5.4): milliseconds of
/// the caller's clock plus a per-connection random offset, modulo 2^32.
///
/// RFC 7323 §5.4 wants a clock of 1 ms to 1 s per tick, roughly
/// proportional to real time; 1 ms, the fastest allowed, gives RTTM its best
/// resolution, and its sign bit takes 24.8 days to wrap, the span PAWS is
/// built on (§5.5). The random offset (RFC 7323 §5.4 and §7; Linux
/// `tsoffset`) hides the host's uptime and keeps TSvals unrelated across
/// connections; the caller supplies it from its random source, e.g. a keyed
/// hash of the 4-tuple as for the ISN (RFC 6528).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TsClock {
    offset: u32,
}

impl TsClock {
    /// A clock offset by `offset` (a random value from the caller).
    pub const fn new(offset: u32) -> TsClock {
        TsClock { offset }
    }

    /// The TSval to send at `now`.
    #[inline]
    pub fn ts_val(&self, now: Instant) -> u32 {
        // Truncating to u32 keeps the milliseconds modulo 2^32, which is
        // what a wrapping 32-bit timestamp clock is (also for an epoch
        // before 0: two's complement truncation is modular).
        (now.total_millis() as u32).wrapping_add(self.offset)
    }

    /// The RTT measured by an echoed `tsecr` received at `now`: see
    /// [`rtt_from_echo`].
    #[inline]
    pub fn rtt(&self, now: Instant, tsecr: u32) -> Option<Duration> {
        rtt_from_echo(self.ts_val(now), tsecr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(micros: u64) -> Duration {
        Duration::from_micros(micros)
    }

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    /// A config with no floor, so the RFC 6298 formula shows unclamped.
    fn unclamped() -> RtoConfig {
        RtoConfig {
            min: Duration::ZERO,
            ..RtoConfig::default()
        }
    }

    #[test]
    fn default_config_values() {
        let c = RtoConfig::default();
        assert_eq!(c.initial, Duration::from_secs(1)); // RFC 6298 §2.1
        assert_eq!(c.min, ms(200)); // Linux TCP_RTO_MIN
        assert_eq!(c.max, Duration::from_secs(60)); // RFC 6298 §2.5
        assert_eq!(c.clock_granularity, ms(1));
    }

    #[test]
    fn rfc6298_2_1_initial_rto_before_any_sample() {
        let e = RttEstimator::new(RtoConfig::default());
        assert_eq!(e.rto(), Duration::from_secs(1));
        assert_eq!(e.srtt(), None);
        assert_eq!(e.rttvar(), None);
        assert_eq!(e.backoffs(), 0);
    }

    #[test]
    fn rfc6298_2_2_and_2_3_hand_worked_sequence() {
        let mut e = RttEstimator::new(unclamped());
        // §2.2: R = 100 ms → SRTT = 100 000, RTTVAR = 50 000,
        // RTO = 100 000 + max(1 000, 200 000) = 300 000.
        e.sample(ms(100));
        assert_eq!(e.srtt(), Some(us(100_000)));
        assert_eq!(e.rttvar(), Some(us(50_000)));
        assert_eq!(e.rto(), us(300_000));
        // §2.3: R = 200 ms. RTTVAR first, with the old SRTT:
        // (3·50 000 + |100 000 − 200 000|) / 4 = 62 500;
        // SRTT = (7·100 000 + 200 000) / 8 = 112 500; RTO = 112 500 + 250 000.
        e.sample(ms(200));
        assert_eq!(e.rttvar(), Some(us(62_500)));
        assert_eq!(e.srtt(), Some(us(112_500)));
        assert_eq!(e.rto(), us(362_500));
        // R = 50 ms: RTTVAR = (187 500 + 62 500) / 4 = 62 500;
        // SRTT = (787 500 + 50 000) / 8 = 104 687.5 → 104 687 (rounded down).
        e.sample(ms(50));
        assert_eq!(e.rttvar(), Some(us(62_500)));
        assert_eq!(e.srtt(), Some(us(104_687)));
        assert_eq!(e.rto(), us(104_687 + 250_000));
        // R = 104 687 µs (= SRTT): RTTVAR = 187 500 / 4 = 46 875, SRTT stays.
        e.sample(us(104_687));
        assert_eq!(e.rttvar(), Some(us(46_875)));
        assert_eq!(e.srtt(), Some(us(104_687)));
        assert_eq!(e.rto(), us(104_687 + 187_500));
    }

    #[test]
    fn rfc6298_2_2_first_sample_halves_odd_rtt_down() {
        let mut e = RttEstimator::new(unclamped());
        e.sample(us(333));
        assert_eq!(e.rttvar(), Some(us(166)));
        // 4·166 = 664 < G = 1 000: G wins.
        assert_eq!(e.rto(), us(333 + 1_000));
    }

    #[test]
    fn rfc6298_2_3_granularity_bounds_the_variance_term() {
        let mut e = RttEstimator::new(unclamped());
        // A steady 10 ms path: RTTVAR decays towards 0, RTO → SRTT + G.
        for _ in 0..100 {
            e.sample(ms(10));
        }
        assert_eq!(e.srtt(), Some(ms(10)));
        assert_eq!(e.rttvar(), Some(Duration::ZERO));
        assert_eq!(e.rto(), ms(11));
    }

    #[test]
    fn rfc6298_2_4_rto_rounded_up_to_min() {
        let mut e = RttEstimator::new(RtoConfig::default());
        e.sample(ms(10)); // 10 + 4·5 = 30 ms < 200 ms.
        assert_eq!(e.rto(), ms(200));
        // One µs under the floor is raised; just over it is kept.
        let mut e = RttEstimator::new(RtoConfig::default());
        e.sample(us(66_667)); // 66 667 + 4·33 333 = 199 999
        assert_eq!(e.rto(), ms(200));
        let mut e = RttEstimator::new(RtoConfig::default());
        e.sample(us(66_668)); // 66 668 + 4·33 334 = 200 004
        assert_eq!(e.rto(), us(200_004));
    }

    #[test]
    fn rfc6298_2_5_rto_capped_at_max() {
        let mut e = RttEstimator::new(RtoConfig::default());
        e.sample(Duration::from_secs(20)); // 20 + 4·10 = 60 s: exactly max.
        assert_eq!(e.rto(), Duration::from_secs(60));
        let mut e = RttEstimator::new(RtoConfig::default());
        e.sample(us(20_000_001)); // one µs over.
        assert_eq!(e.rto(), Duration::from_secs(60));
        assert_eq!(e.srtt(), Some(us(20_000_001)));
    }

    #[test]
    fn min_above_max_misconfiguration_does_not_panic() {
        let mut e = RttEstimator::new(RtoConfig {
            min: Duration::from_secs(10),
            max: Duration::from_secs(5),
            ..RtoConfig::default()
        });
        assert_eq!(e.rto(), Duration::from_secs(5));
        e.sample(ms(1));
        assert_eq!(e.rto(), Duration::from_secs(5));
    }

    #[test]
    fn initial_rto_is_bounded_like_any_rto() {
        let e = RttEstimator::new(RtoConfig {
            initial: ms(50),
            ..RtoConfig::default()
        });
        assert_eq!(e.rto(), ms(200));
    }

    #[test]
    fn rfc6298_5_5_backoff_doubles_until_max_then_sample_resets() {
        let mut e = RttEstimator::new(RtoConfig::default());
        let mut expected = Duration::from_secs(1);
        for n in 1..=5 {
            e.backoff();
            expected = expected * 2;
            assert_eq!(e.backoffs(), n);
            assert_eq!(e.rto(), expected); // 2, 4, 8, 16, 32 s
        }
        e.backoff(); // 64 s → capped at 60 s
        assert_eq!(e.rto(), Duration::from_secs(60));
        for _ in 0..100 {
            e.backoff(); // shifts of 64 and more must not wrap to 0
        }
        assert_eq!(e.backoffs(), 106);
        assert_eq!(e.rto(), Duration::from_secs(60));
        // Karn / RFC 6298 §5 note: a new valid sample collapses the RTO.
        e.sample(ms(100));
        assert_eq!(e.backoffs(), 0);
        assert_eq!(e.rto(), ms(300));
    }

    #[test]
    fn reset_backoff_restores_computed_rto() {
        let mut e = RttEstimator::new(RtoConfig::default());
        e.sample(ms(100));
        e.backoff();
        e.backoff();
        assert_eq!(e.rto(), ms(1200));
        e.reset_backoff();
        assert_eq!(e.backoffs(), 0);
        assert_eq!(e.rto(), ms(300));
    }

    #[test]
    fn backoff_count_saturates() {
        let mut e = RttEstimator::new(RtoConfig::default());
        e.backoffs = u32::MAX;
        e.backoff();
        assert_eq!(e.backoffs(), u32::MAX);
        assert_eq!(e.rto(), Duration::from_secs(60));
    }

    #[test]
    fn rfc6298_5_7_syn_timeout_falls_back_to_3s() {
        let mut e = RttEstimator::new(RtoConfig::default());
        e.backoff(); // the SYN timed out
        assert_eq!(e.rto(), Duration::from_secs(2));
        e.reset_after_syn_timeout();
        assert_eq!(e.backoffs(), 0);
        assert_eq!(e.rto(), Duration::from_secs(3));
        // The first sample then follows §2.2.
        e.sample(ms(100));
        assert_eq!(e.rto(), ms(300));
    }

    #[test]
    fn rfc6298_5_7_keeps_a_measured_rto_and_respects_max() {
        // With a sample (timestamps on the SYN-ACK), the measured RTO stays.
        let mut e = RttEstimator::new(RtoConfig::default());
        e.sample(ms(100));
        e.backoff();
        e.reset_after_syn_timeout();
        assert_eq!(e.rto(), ms(300));
        // An initial RTO already above 3 s is not lowered.
        let mut e = RttEstimator::new(RtoConfig {
            initial: Duration::from_secs(5),
            ..RtoConfig::default()
        });
        e.reset_after_syn_timeout();
        assert_eq!(e.rto(), Duration::from_secs(5));
        // A max below 3 s still wins.
        let mut e = RttEstimator::new(RtoConfig {
            max: Duration::from_secs(2),
            ..RtoConfig::default()
        });
        e.reset_after_syn_timeout();
        assert_eq!(e.rto(), Duration::from_secs(2));
    }

    #[test]
    fn rfc7323_appendix_g_gains_scaled_by_expected_samples() {
        // Same first sample, then R = 200 ms with 8 segments in flight:
        // ExpectedSamples = 4 → α' = 1/32, β' = 1/16.
        let mut e = RttEstimator::new(unclamped());
        e.sample_with_timestamps(ms(100), 8);
        assert_eq!(e.srtt(), Some(ms(100)));
        assert_eq!(e.rttvar(), Some(ms(50)));
        e.sample_with_timestamps(ms(200), 8);
        // RTTVAR = (15·50 000 + 100 000) / 16 = 53 125
        // SRTT = (31·100 000 + 200 000) / 32 = 103 125
        assert_eq!(e.rttvar(), Some(us(53_125)));
        assert_eq!(e.srtt(), Some(us(103_125)));
        assert_eq!(e.rto(), us(103_125 + 4 * 53_125));
        // 7 segments: ceil(7/2) = 4 as well.
        let mut f = RttEstimator::new(unclamped());
        f.sample_with_timestamps(ms(100), 7);
        f.sample_with_timestamps(ms(200), 7);
        assert_eq!(f, e);
    }

    #[test]
    fn rfc7323_appendix_g_small_flight_is_plain_rfc6298() {
        for flight in [0, 1, 2] {
            let mut a = RttEstimator::new(unclamped());
            let mut b = RttEstimator::new(unclamped());
            for r in [100, 200, 50] {
                a.sample(ms(r));
                b.sample_with_timestamps(ms(r), flight);
            }
            assert_eq!(a, b, "flight {flight}");
        }
    }

    #[test]
    fn huge_samples_do_not_overflow() {
        let mut e = RttEstimator::new(RtoConfig::default());
        e.sample(Duration::MAX);
        assert_eq!(e.srtt(), Some(Duration::MAX));
        assert_eq!(e.rttvar(), Some(us(u64::MAX / 2)));
        assert_eq!(e.rto(), Duration::from_secs(60));
        e.sample(Duration::ZERO);
        e.sample(Duration::MAX);
        e.sample_with_timestamps(Duration::MAX, usize::MAX);
        e.sample_with_timestamps(Duration::ZERO, usize::MAX);
        assert_eq!(e.rto(), Duration::from_secs(60));
        e.backoff();
        assert_eq!(e.rto(), Duration::from_secs(60));
        // With no ceiling at all the RTO saturates instead of wrapping.
        let mut e = RttEstimator::new(RtoConfig {
            max: Duration::MAX,
            ..RtoConfig::default()
        });
        e.sample(Duration::MAX);
        assert_eq!(e.rto(), Duration::MAX);
        e.backoff();
        assert_eq!(e.rto(), Duration::MAX);
        e.sample(Duration::ZERO);
        // RTTVAR = (3·(MAX/2) + MAX)/4, SRTT = 7·MAX/8: still no overflow.
        assert_eq!(e.srtt(), Some(us(((u64::MAX as u128 * 7) / 8) as u64)));
        assert_eq!(e.rto(), Duration::MAX);
    }

    #[test]
    fn ewma_rounds_once_and_stays_between_inputs() {
        assert_eq!(ewma(100_000, 50_000, 8), 93_750);
        assert_eq!(ewma(7, 0, 8), 6); // 49/8 = 6.125
        assert_eq!(ewma(u64::MAX, u64::MAX, 1 << 35), u64::MAX);
        assert_eq!(ewma(5, 9, 1), 9);
        assert_eq!(ewma(5, 9, 0), 9); // defensive: treated as gain 1
    }

    #[test]
    fn karn_times_first_transmission() {
        let mut t = RttTimer::new();
        let t0 = Instant::from_millis(1000);
        t.start(TcpSeqNumber(1000), t0);
        assert!(t.is_timing());
        // A second segment while timing does not restart the measurement.
        t.start(TcpSeqNumber(2000), t0 + ms(10));
        // ACK one byte short: no sample.
        assert_eq!(t.on_ack(TcpSeqNumber(999), t0 + ms(40)), None);
        assert!(t.is_timing());
        // ACK exactly the end: sample from the first start.
        assert_eq!(t.on_ack(TcpSeqNumber(1000), t0 + ms(50)), Some(ms(50)));
        assert!(!t.is_timing());
        // Only one sample per timed segment.
        assert_eq!(t.on_ack(TcpSeqNumber(2000), t0 + ms(60)), None);
    }

    #[test]
    fn karn_retransmitted_segment_gives_no_sample_later_one_does() {
        let mut e = RttEstimator::new(RtoConfig::default());
        let mut t = RttTimer::new();
        let t0 = Instant::from_secs(10);
        t.start(TcpSeqNumber(500), t0);
        // RTO expires: back off and retransmit.
        e.backoff();
        t.on_retransmit();
        assert!(!t.is_timing());
        // Its ACK arrives: ambiguous, no sample, backoff kept (Karn).
        assert_eq!(
            t.on_ack(TcpSeqNumber(500), t0 + Duration::from_secs(1)),
            None
        );
        assert_eq!(e.rto(), Duration::from_secs(2));
        // A new segment sent afterwards is timed and gives a sample.
        let t1 = t0 + Duration::from_secs(2);
        t.start(TcpSeqNumber(1500), t1);
        let s = t.on_ack(TcpSeqNumber(1500), t1 + ms(80));
        assert_eq!(s, Some(ms(80)));
        e.sample(ms(80));
        assert_eq!(e.backoffs(), 0);
        assert_eq!(e.rto(), ms(240));
    }

    #[test]
    fn karn_ack_across_the_2_32_wrap() {
        let mut t = RttTimer::new();
        let t0 = Instant::from_millis(5);
        // The timed segment ends just after the wrap: 0xffff_fff0 + 0x20.
        let end = TcpSeqNumber(0xffff_fff0) + 0x20usize;
        assert_eq!(end, TcpSeqNumber(0x10));
        t.start(end, t0);
        // Before the wrap (numerically larger) does not cover it.
        assert_eq!(t.on_ack(TcpSeqNumber(0xffff_ffff), t0 + ms(1)), None);
        assert_eq!(t.on_ack(TcpSeqNumber(0x0f), t0 + ms(2)), None);
        // Exactly the end covers it though numerically smaller.
        assert_eq!(t.on_ack(TcpSeqNumber(0x10), t0 + ms(3)), Some(ms(3)));

        // The other way: end before the wrap, ACK after it.
        let mut t = RttTimer::new();
        t.start(TcpSeqNumber(0xffff_fffe), t0);
        assert_eq!(t.on_ack(TcpSeqNumber(0xffff_fffd), t0 + ms(1)), None);
        assert_eq!(t.on_ack(TcpSeqNumber(3), t0 + ms(4)), Some(ms(4)));
    }

    #[test]
    fn karn_ack_half_the_space_away_is_not_coverage() {
        let mut t = RttTimer::new();
        t.start(TcpSeqNumber(0), Instant::ZERO);
        assert_eq!(t.on_ack(TcpSeqNumber(0x8000_0000), Instant::ZERO), None);
        assert!(t.is_timing());
        assert_eq!(
            t.on_ack(TcpSeqNumber(0x7fff_ffff), Instant::ZERO),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn karn_ack_before_start_instant_gives_zero() {
        let mut t = RttTimer::new();
        t.start(TcpSeqNumber(1), Instant::from_secs(2));
        assert_eq!(
            t.on_ack(TcpSeqNumber(1), Instant::from_secs(1)),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn rfc7323_4_echo_rtt() {
        assert_eq!(rtt_from_echo(1_050, 1_000), Some(ms(50)));
        assert_eq!(rtt_from_echo(1_000, 1_000), Some(Duration::ZERO));
        // An echo "from the future" is not ours.
        assert_eq!(rtt_from_echo(1_000, 1_001), None);
    }

    #[test]
    fn rfc7323_4_echo_rtt_across_u32_wrap() {
        assert_eq!(rtt_from_echo(5, 0xffff_fffb), Some(ms(10)));
        assert_eq!(rtt_from_echo(0, 0xffff_ffff), Some(ms(1)));
        assert_eq!(rtt_from_echo(0xffff_ffff, 0xffff_fff0), Some(ms(15)));
    }

    #[test]
    fn rfc7323_3_2_zero_tsecr_ignored() {
        assert_eq!(rtt_from_echo(100, 0), None);
        assert_eq!(rtt_from_echo(0, 0), None);
    }

    #[test]
    fn echo_rtt_over_one_hour_rejected() {
        let hour_ms = 3_600_000u32;
        assert_eq!(
            rtt_from_echo(10 + hour_ms, 10),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(rtt_from_echo(11 + hour_ms, 10), None);
        // Across the wrap too.
        assert_eq!(
            rtt_from_echo(hour_ms.wrapping_sub(6), u32::MAX - 5),
            Some(ms(u64::from(hour_ms)))
        );
        assert_eq!(rtt_from_echo(hour_ms.wrapping_sub(5), u32::MAX - 5), None);
        // Half the space away: behind, not ahead.
        assert_eq!(rtt_from_echo(0x8000_0001, 1), None);
    }

    #[test]
    fn ts_clock_ms_with_offset_and_wrap() {
        let c = TsClock::new(0);
        assert_eq!(c.ts_val(Instant::from_micros(1_999)), 1);
        assert_eq!(c.ts_val(Instant::from_micros(2_000)), 2);
        let c = TsClock::new(0xffff_fff0);
        assert_eq!(c.ts_val(Instant::ZERO), 0xffff_fff0);
        assert_eq!(c.ts_val(Instant::from_millis(0x10)), 0);
        assert_eq!(c.ts_val(Instant::from_millis(0x15)), 5);
        // An epoch before 0 still ticks modularly.
        let c = TsClock::new(10);
        assert_eq!(c.ts_val(Instant::from_millis(-1)), 9);
        // 2^32 ms later the clock has wrapped exactly once.
        assert_eq!(c.ts_val(Instant::from_millis(1 << 32)), 10);
    }

    #[test]
    fn ts_clock_rtt_round_trip_across_wrap() {
        let c = TsClock::new(0xffff_ff00);
        let sent = Instant::from_millis(200); // TSval 0xffff_ffc8
        let tsval = c.ts_val(sent);
        let now = sent + ms(120); // TSval wraps to 0x40
        assert!(c.ts_val(now) < tsval);
        assert_eq!(c.rtt(now, tsval), Some(ms(120)));
    }
}
