//! A token bucket, to bound how fast the interface generates packets nobody
//! asked for: ICMP errors and ARP requests.
//!
//! Why: an error is generated in answer to a packet, so without a limit a
//! flood of bad packets becomes a flood of errors (amplification, and a waste
//! of a slow link). RFC 1812 §4.3.2.8 requires a router to rate-limit ICMP
//! errors and RFC 4443 §2.4(f) says an IPv6 node MUST limit the rate of ICMPv6
//! errors, both recommending a token bucket that allows bursts but caps the
//! average. RFC 1122 §2.3.2.1 likewise requires a mechanism against ARP
//! flooding (at most one request per second per destination is recommended;
//! that per-destination rule belongs to the neighbor cache, a bucket here is
//! the link-wide backstop).
//!
//! Defaults ([`TokenBucket::icmp_errors`]): Linux's global ICMP limit,
//! `net.ipv4.icmp_msgs_per_sec` = 1000 and `net.ipv4.icmp_msgs_burst` = 50
//! (Linux commit 4cdf507d5452 "icmp: add a global rate limitation", 2014; the
//! same bucket limits ICMPv6 errors). A small device can afford that: 1000
//! errors of at most 576 (IPv4) or 1280 (IPv6) bytes per second.
//!
//! Integer arithmetic only, in "micro-tokens": one token is
//! [`TokenBucket::UNIT`] = 1 000 000 units and every microsecond adds `rate`
//! units, so a rate of `r` per second refills exactly `r` tokens per second
//! with no rounding drift (the remainder of a partial token is kept).

use crate::time::Instant;

/// A token bucket: up to `burst` packets at once, `rate` per second on average.
///
/// Starts full. [`allow`](TokenBucket::allow) takes one token if there is one.
/// No input makes it overflow or panic, whatever `now` does (see `allow`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenBucket {
    /// Tokens added per second.
    rate: u32,
    /// Most tokens the bucket holds.
    burst: u32,
    /// Current level in units (1 token = `UNIT`), at most `burst * UNIT`.
    level: u64,
    /// When `level` was last brought up to date; `None` until the first call.
    last: Option<Instant>,
}

impl TokenBucket {
    /// Units per token: one token per second at rate 1 is one unit per µs.
    pub const UNIT: u64 = 1_000_000;

    /// Linux's default global ICMP error rate, `icmp_msgs_per_sec` (per second).
    pub const ICMP_ERROR_RATE: u32 = 1000;
    /// Linux's default global ICMP error burst, `icmp_msgs_burst`.
    pub const ICMP_ERROR_BURST: u32 = 50;

    /// A full bucket refilled at `rate` tokens per second, holding at most `burst`.
    ///
    /// `burst == 0` never allows anything; `rate == 0` allows `burst` packets
    /// once and then nothing. `rate` and `burst` of `u32::MAX` are, for any
    /// real device, unlimited.
    pub const fn new(rate: u32, burst: u32) -> TokenBucket {
        TokenBucket {
            rate,
            burst,
            level: burst as u64 * Self::UNIT,
            last: None,
        }
    }

    /// The bucket for generated ICMPv4/ICMPv6 errors: 1000 per second, bursts
    /// of 50 (Linux defaults; RFC 1812 §4.3.2.8, RFC 4443 §2.4(f)).
    pub const fn icmp_errors() -> TokenBucket {
        TokenBucket::new(Self::ICMP_ERROR_RATE, Self::ICMP_ERROR_BURST)
    }

    /// Tokens added per second.
    pub const fn rate(&self) -> u32 {
        self.rate
    }

    /// Most tokens the bucket holds.
    pub const fn burst(&self) -> u32 {
        self.burst
    }

    /// Whole tokens left as of the last call (no refill is computed here).
    pub const fn tokens(&self) -> u64 {
        self.level / Self::UNIT
    }

    /// Refills for the time since the last call, then takes one token if
    /// there is a whole one: `true` means "send", `false` means "drop".
    ///
    /// Time going backwards (a clock reset, an `Instant` from another epoch)
    /// adds nothing and restarts the count from the new `now`. The other
    /// choice, waiting for the clock to catch up with the old instant, could
    /// stop every ICMP error and ARP request for as long as the jump back;
    /// this one at worst counts a stretch of time twice, and the level is
    /// capped at `burst` anyway.
    pub fn allow(&mut self, now: Instant) -> bool {
        self.refill(now);
        if self.level >= Self::UNIT {
            self.level -= Self::UNIT;
            true
        } else {
            false
        }
    }

    /// Brings `level` up to `now`: `rate` units per elapsed µs, capped at the burst.
    fn refill(&mut self, now: Instant) {
        let max = self.burst as u64 * Self::UNIT;
        if let Some(last) = self.last {
            // Saturating: the span between two i64 instants fits in u64, and
            // any span × rate past u64::MAX fills the bucket anyway.
            let elapsed = now.saturating_duration_since(last).total_micros();
            let added = elapsed.saturating_mul(self.rate as u64);
            self.level = self.level.saturating_add(added).min(max);
        }
        self.last = Some(now);
    }
}

impl Default for TokenBucket {
    /// The ICMP error bucket, [`TokenBucket::icmp_errors`].
    fn default() -> TokenBucket {
        TokenBucket::icmp_errors()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(us: i64) -> Instant {
        Instant::from_micros(us)
    }

    /// Takes as many tokens as are allowed at `now` (bounded, so a bug cannot hang the test).
    fn drain(b: &mut TokenBucket, now: Instant) -> u32 {
        let mut n = 0;
        while n < 100_000 && b.allow(now) {
            n += 1;
        }
        n
    }

    #[test]
    fn linux_icmp_defaults_burst_of_50_then_one_per_ms() {
        // RFC 4443 §2.4(f) / Linux icmp_msgs_per_sec=1000, icmp_msgs_burst=50.
        let mut b = TokenBucket::default();
        assert_eq!((b.rate(), b.burst()), (1000, 50));
        assert_eq!(drain(&mut b, at(0)), 50);
        // 1000/s is one token per 1000 µs, exactly.
        assert!(!b.allow(at(999)));
        assert!(b.allow(at(1000)));
        assert!(!b.allow(at(1000)));
        assert!(!b.allow(at(1999)));
        assert!(b.allow(at(2000)));
        // One second refills 1000 tokens, but the bucket holds only 50.
        assert_eq!(drain(&mut b, at(1_002_000)), 50);
    }

    #[test]
    fn refill_keeps_the_partial_token() {
        // 3 per second: a token every 333 333.3 µs; the remainders must add
        // up so that exactly 3 tokens come per second, not 2. (Burst 2, so
        // that the cap never clips the level in this test.)
        let mut b = TokenBucket::new(3, 2);
        assert_eq!(drain(&mut b, at(0)), 2);
        assert!(!b.allow(at(333_333)));
        assert!(b.allow(at(333_334))); // 1 000 002 units
        assert!(!b.allow(at(666_666))); // 2 + 999 996 units
        assert!(b.allow(at(666_667))); // 1 000 001 units
        assert!(!b.allow(at(999_999))); // 1 + 999 996 units
        assert!(b.allow(at(1_000_000))); // exactly one token: 3 in the first second
        assert!(!b.allow(at(1_000_000)));
    }

    #[test]
    fn a_full_bucket_does_not_bank_time() {
        // The level is capped at `burst` before a token is taken: idle time
        // while full is lost, as in any token bucket (burst 1 = no burst).
        let mut b = TokenBucket::new(3, 1);
        assert!(b.allow(at(0)));
        assert!(b.allow(at(333_334))); // 1 000 002 units, capped to 1 000 000
        assert!(!b.allow(at(666_667))); // 999 999: the 2 extra units were lost
        assert!(b.allow(at(666_668)));
    }

    #[test]
    fn long_run_rate_is_exact_with_uneven_polling() {
        // Polled every 997 µs (not a divisor of anything), 3/s must still give
        // exactly 30 tokens in 10 s: no remainder is lost between calls.
        let mut b = TokenBucket::new(3, 10);
        assert_eq!(drain(&mut b, at(0)), 10);
        let mut n = 0;
        let mut t = 0;
        while t < 10_000_000 {
            t += 997;
            n += drain(&mut b, at(t.min(10_000_000)));
        }
        assert_eq!(n, 30);
    }

    #[test]
    fn burst_is_the_cap_after_a_long_idle() {
        let mut b = TokenBucket::new(10, 5);
        assert_eq!(drain(&mut b, at(0)), 5);
        assert_eq!(drain(&mut b, at(3_600_000_000)), 5);
        assert_eq!(b.tokens(), 0);
    }

    #[test]
    fn huge_gaps_and_extreme_instants_do_not_overflow() {
        let mut b = TokenBucket::new(u32::MAX, u32::MAX);
        assert!(b.allow(at(i64::MIN)));
        // The widest possible span × the largest rate saturates, capped at burst.
        assert!(b.allow(at(i64::MAX)));
        assert_eq!(b.tokens(), u32::MAX as u64 - 1);
        let mut b = TokenBucket::new(1000, 50);
        assert_eq!(drain(&mut b, at(i64::MIN)), 50);
        assert_eq!(drain(&mut b, at(i64::MAX)), 50);
        assert_eq!(drain(&mut b, at(i64::MIN)), 0);
    }

    #[test]
    fn time_going_backwards_adds_nothing_and_restarts_from_there() {
        let mut b = TokenBucket::new(1, 2);
        assert_eq!(drain(&mut b, at(10_000_000)), 2);
        // A jump back adds no token...
        assert!(!b.allow(at(5_000_000)));
        // ...and the count restarts at the new instant, rather than waiting
        // for the clock to pass 10 s again.
        assert!(!b.allow(at(5_999_999)));
        assert!(b.allow(at(6_000_000)));
    }

    #[test]
    fn zero_burst_never_allows_and_zero_rate_never_refills() {
        let mut b = TokenBucket::new(1000, 0);
        assert!(!b.allow(at(0)));
        assert!(!b.allow(at(1_000_000_000)));
        let mut b = TokenBucket::new(0, 2);
        assert_eq!(drain(&mut b, at(0)), 2);
        assert!(!b.allow(at(i64::MAX)));
    }

    #[test]
    fn first_call_finds_the_bucket_full_whatever_the_epoch() {
        let mut b = TokenBucket::new(1, 3);
        assert_eq!(b.tokens(), 3);
        assert_eq!(drain(&mut b, at(-42)), 3);
        assert!(!b.allow(at(999_957)));
        assert!(b.allow(at(999_958)));
    }
}
