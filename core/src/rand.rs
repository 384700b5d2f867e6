//! The stack's one pseudo-random generator: xorshift64* (Marsaglia's
//! xorshift with Vigna's multiplier), seeded through splitmix64.
//!
//! The core never asks the OS for randomness: every generator is seeded
//! from the caller's `random_seed` (or a value the caller hands in). The
//! numbers only spread timers and identifiers (RFC 5227 probe spacing, IGMP
//! report delays, DHCP transaction IDs and retransmission jitter, IPv6
//! fragment identifications, the fault injector's draws); they are not
//! cryptographic, and nothing secret is drawn from them (TCP's secrets are
//! SipHash keys, `socket/tcp/isn.rs`).
//!
//! No heap, no `std`, fixed size: one `u64` of state.

use crate::time::Duration;

/// The golden-ratio increment of splitmix64.
const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

/// One splitmix64 step (Steele, Lea, Flood 2014): advances `state` and
/// returns a well-mixed value, so that neighbouring seeds (0, 1, 2...) give
/// unrelated outputs.
pub const fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(GOLDEN);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// xorshift64*: small, fast, and every seed (zero included) gives a stream
/// that never sticks at zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rng {
    /// Never zero: zero is xorshift's fixed point.
    state: u64,
}

impl Rng {
    /// A generator seeded with `seed` through one splitmix64 step.
    pub const fn new(seed: u64) -> Rng {
        let mut s = seed;
        let z = splitmix64(&mut s);
        Rng {
            state: if z == 0 { GOLDEN } else { z },
        }
    }

    /// Stirs a caller's random value into the state (e.g. one drawn from a
    /// hardware source later than the seed).
    pub fn mix(&mut self, random: u64) {
        *self = Rng::new(self.state ^ random);
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// The next 32 random bits (the high half: xorshift64*'s best bits).
    pub fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }

    /// Uniform in `0..=max`: `(x × (max + 1)) >> 64`, with no modulo and no
    /// overflow (in `u128`); the bias is below 2^-64 × (max + 1).
    pub fn up_to(&mut self, max: u64) -> u64 {
        let x = u128::from(self.next_u64());
        let span = u128::from(max) + 1;
        u64::try_from((x * span) >> 64).unwrap_or(max)
    }

    /// A uniform duration in `[lo, hi]` (just `lo` if `hi < lo`), to the µs.
    pub fn uniform(&mut self, lo: Duration, hi: Duration) -> Duration {
        lo + Duration::from_micros(self.up_to(hi.saturating_sub(lo).total_micros()))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    #[test]
    fn never_sticks_at_zero_and_seeds_differ() {
        for seed in [0, 1, u64::MAX, GOLDEN.wrapping_neg()] {
            let mut r = Rng::new(seed);
            assert!((0..100).all(|_| r.next_u64() != 0), "seed {seed}");
        }
        assert_ne!(Rng::new(0).next_u64(), Rng::new(1).next_u64());
        let mut r = Rng::new(7);
        let before = r;
        r.mix(0);
        assert_ne!(r, before, "mixing moves the state even with 0");
    }

    #[test]
    fn up_to_and_uniform_cover_their_range_and_stay_in_it() {
        let mut r = Rng::new(0);
        assert!((0..100).all(|_| r.up_to(0) == 0));
        let draws: Vec<u64> = (0..1000).map(|_| r.up_to(5)).collect();
        assert!(draws.iter().all(|&d| d <= 5));
        assert!((0..=5).all(|v| draws.contains(&v)));
        // The widest span neither overflows nor panics.
        let _ = r.up_to(u64::MAX);
        let (lo, hi) = (Duration::from_secs(1), Duration::from_secs(2));
        let d: Vec<Duration> = (0..10_000).map(|_| r.uniform(lo, hi)).collect();
        assert!(d.iter().all(|&x| x >= lo && x <= hi));
        assert!(d.iter().any(|&x| x < lo + Duration::from_millis(10)));
        assert!(d.iter().any(|&x| x > hi - Duration::from_millis(10)));
        assert_eq!(r.uniform(hi, lo), hi);
    }

    /// The fault injector's streams (and so `tcp_table`) depend on these
    /// exact numbers: the algorithm must not change silently.
    #[test]
    fn known_answer() {
        let mut r = Rng::new(0);
        let first: Vec<u64> = (0..3).map(|_| r.next_u64()).collect();
        let mut s = 0u64;
        let mut x = splitmix64(&mut s);
        let mut expect = Vec::new();
        for _ in 0..3 {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            expect.push(x.wrapping_mul(0x2545_f491_4f6c_dd1d));
        }
        assert_eq!(first, expect);
    }
}
