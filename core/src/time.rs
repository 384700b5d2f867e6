//! The crate's own clock types: an [`Instant`] and a [`Duration`] in microseconds.
//!
//! The stack never reads a clock. The caller passes `now` into every `poll`, and
//! the stack answers with the next instant it wants to be polled at. Both types
//! are plain integers so that a bare-metal timer, `std::time::Instant`, or a
//! simulated clock in a test can all drive the stack the same way.
//!
//! On a board, build `now` from the timer's tick count
//! ([`Instant::from_micros`]) or from the `core::time::Duration` a HAL gives
//! since boot ([`Instant::from`]). With the `std` feature, a `StdClock`
//! turns `std::time::Instant`s into stack instants and back, and
//! `std::time::SystemTime` converts both ways (µs since the Unix epoch):
//!
//! ```
//! # #[cfg(feature = "std")] {
//! use rstcp::time::{Instant, StdClock};
//!
//! let clock = StdClock::new(); // its epoch: the moment it was made
//! let now: Instant = clock.now(); // what `Interface::poll` wants
//! let later = std::time::Instant::now() + std::time::Duration::from_millis(5);
//! assert!(clock.instant(later) >= now + rstcp::time::Duration::from_millis(5));
//! // And back (to the µs), to sleep until the stack's `poll_at`:
//! let poll_at = now + rstcp::time::Duration::from_millis(2);
//! let wake = clock.std_instant(poll_at);
//! assert_eq!(clock.instant(wake), poll_at);
//! # }
//! ```

use core::fmt;
use core::ops;

/// A point in time, in microseconds since an epoch the caller chooses.
///
/// Only differences between instants mean anything to the stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Instant {
    micros: i64,
}

impl Instant {
    /// The epoch (0 µs).
    pub const ZERO: Instant = Instant { micros: 0 };

    /// An instant from a count of microseconds.
    pub const fn from_micros(micros: i64) -> Instant {
        Instant { micros }
    }

    /// An instant from a count of milliseconds.
    pub const fn from_millis(millis: i64) -> Instant {
        Instant {
            micros: millis.saturating_mul(1000),
        }
    }

    /// An instant from a count of seconds.
    pub const fn from_secs(secs: i64) -> Instant {
        Instant {
            micros: secs.saturating_mul(1_000_000),
        }
    }

    /// Microseconds since the epoch.
    pub const fn total_micros(&self) -> i64 {
        self.micros
    }

    /// Milliseconds since the epoch (rounded down).
    pub const fn total_millis(&self) -> i64 {
        self.micros.div_euclid(1000)
    }

    /// The time from the epoch to `self`, zero for an instant before the
    /// epoch.
    pub fn duration_since_epoch(&self) -> Duration {
        self.saturating_duration_since(Instant::ZERO)
    }

    /// The time from `earlier` to `self`, or zero if `earlier` is later.
    pub fn saturating_duration_since(&self, earlier: Instant) -> Duration {
        Duration::from_micros(self.micros.saturating_sub(earlier.micros).max(0) as u64)
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.micros < 0 { "-" } else { "" };
        let abs = self.micros.unsigned_abs();
        write!(f, "{sign}{}.{:06}s", abs / 1_000_000, abs % 1_000_000)
    }
}

impl ops::Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, rhs: Duration) -> Instant {
        // Saturate: a far-future deadline must not wrap into the past.
        Instant::from_micros(
            self.micros
                .saturating_add(rhs.micros.min(i64::MAX as u64) as i64),
        )
    }
}

impl ops::AddAssign<Duration> for Instant {
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}

impl ops::Sub<Duration> for Instant {
    type Output = Instant;
    fn sub(self, rhs: Duration) -> Instant {
        Instant::from_micros(
            self.micros
                .saturating_sub(rhs.micros.min(i64::MAX as u64) as i64),
        )
    }
}

impl ops::Sub<Instant> for Instant {
    type Output = Duration;
    /// The time between two instants, zero when `rhs` is later.
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_duration_since(rhs)
    }
}

/// A span of time in microseconds. Never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Duration {
    micros: u64,
}

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration { micros: 0 };
    /// The longest representable span.
    pub const MAX: Duration = Duration { micros: u64::MAX };

    /// A duration of `micros` microseconds.
    pub const fn from_micros(micros: u64) -> Duration {
        Duration { micros }
    }

    /// A duration of `millis` milliseconds.
    pub const fn from_millis(millis: u64) -> Duration {
        Duration {
            micros: millis.saturating_mul(1000),
        }
    }

    /// A duration of `secs` seconds.
    pub const fn from_secs(secs: u64) -> Duration {
        Duration {
            micros: secs.saturating_mul(1_000_000),
        }
    }

    /// The whole span in microseconds.
    pub const fn total_micros(&self) -> u64 {
        self.micros
    }

    /// The whole span in milliseconds (rounded down).
    pub const fn total_millis(&self) -> u64 {
        self.micros / 1000
    }

    /// The whole span in seconds (rounded down).
    pub const fn secs(&self) -> u64 {
        self.micros / 1_000_000
    }

    /// `self * rhs`, saturating at [`Duration::MAX`].
    pub const fn saturating_mul(self, rhs: u32) -> Duration {
        Duration {
            micros: self.micros.saturating_mul(rhs as u64),
        }
    }

    /// `self - rhs`, zero when `rhs` is longer.
    pub const fn saturating_sub(self, rhs: Duration) -> Duration {
        Duration {
            micros: self.micros.saturating_sub(rhs.micros),
        }
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:06}s",
            self.micros / 1_000_000,
            self.micros % 1_000_000
        )
    }
}

impl ops::Add for Duration {
    type Output = Duration;
    fn add(self, rhs: Duration) -> Duration {
        Duration::from_micros(self.micros.saturating_add(rhs.micros))
    }
}

impl ops::AddAssign for Duration {
    fn add_assign(&mut self, rhs: Duration) {
        *self = *self + rhs;
    }
}

impl ops::Sub for Duration {
    type Output = Duration;
    fn sub(self, rhs: Duration) -> Duration {
        self.saturating_sub(rhs)
    }
}

impl ops::Mul<u32> for Duration {
    type Output = Duration;
    fn mul(self, rhs: u32) -> Duration {
        self.saturating_mul(rhs)
    }
}

impl ops::Div<u32> for Duration {
    type Output = Duration;
    fn div(self, rhs: u32) -> Duration {
        Duration::from_micros(self.micros.checked_div(rhs as u64).unwrap_or(u64::MAX))
    }
}

impl From<core::time::Duration> for Duration {
    fn from(d: core::time::Duration) -> Duration {
        Duration::from_micros(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
    }
}

impl From<Duration> for core::time::Duration {
    fn from(d: Duration) -> core::time::Duration {
        core::time::Duration::from_micros(d.micros)
    }
}

impl From<core::time::Duration> for Instant {
    /// The instant `d` after the epoch: what a bare-metal HAL's "time since
    /// boot" gives. Saturates at the largest instant.
    fn from(d: core::time::Duration) -> Instant {
        Instant::from_micros(i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
    }
}

/// A clock for std programs: its epoch is a `std::time::Instant` it holds,
/// and it converts between `std::time::Instant` and the stack's [`Instant`]
/// (µs since that epoch) both ways.
///
/// The stack itself still reads no clock: the caller owns this one and
/// passes [`StdClock::now`] to `poll`, and turns the `poll_at` answer back
/// into a `std::time::Instant` with [`StdClock::std_instant`] to sleep until
/// it.
#[cfg(feature = "std")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StdClock {
    epoch: std::time::Instant,
}

#[cfg(feature = "std")]
impl StdClock {
    /// A clock whose epoch is now.
    pub fn new() -> StdClock {
        StdClock::with_epoch(std::time::Instant::now())
    }

    /// A clock whose epoch is `epoch`.
    pub fn with_epoch(epoch: std::time::Instant) -> StdClock {
        StdClock { epoch }
    }

    /// The epoch: the `std::time::Instant` that is [`Instant::ZERO`].
    pub fn epoch(&self) -> std::time::Instant {
        self.epoch
    }

    /// The current time as a stack instant (reads the system's monotonic
    /// clock).
    pub fn now(&self) -> Instant {
        self.instant(std::time::Instant::now())
    }

    /// `t` as a stack instant: the µs from the epoch to `t`, negative when
    /// `t` is earlier (whole µs, rounded toward the epoch; saturating).
    pub fn instant(&self, t: std::time::Instant) -> Instant {
        match t.checked_duration_since(self.epoch) {
            Some(after) => Instant::from_micros(saturating_micros(after)),
            None => Instant::from_micros(-saturating_micros(self.epoch.duration_since(t))),
        }
    }

    /// The `std::time::Instant` of a stack instant, e.g. a `poll_at`
    /// deadline. An instant the platform cannot represent (centuries away)
    /// gives the epoch.
    pub fn std_instant(&self, t: Instant) -> std::time::Instant {
        let micros = t.total_micros();
        let span = core::time::Duration::from_micros(micros.unsigned_abs());
        let moved = if micros >= 0 {
            self.epoch.checked_add(span)
        } else {
            self.epoch.checked_sub(span)
        };
        moved.unwrap_or(self.epoch)
    }
}

#[cfg(feature = "std")]
impl Default for StdClock {
    fn default() -> StdClock {
        StdClock::new()
    }
}

#[cfg(feature = "std")]
impl From<std::time::SystemTime> for Instant {
    /// The µs since the Unix epoch (negative before 1970). Wall-clock time
    /// can jump: prefer a [`StdClock`] to drive the stack.
    fn from(t: std::time::SystemTime) -> Instant {
        match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(after) => Instant::from_micros(saturating_micros(after)),
            Err(before) => Instant::from_micros(-saturating_micros(before.duration())),
        }
    }
}

#[cfg(feature = "std")]
impl From<Instant> for std::time::SystemTime {
    /// The inverse of `Instant::from(SystemTime)` (the Unix epoch for an
    /// instant the platform cannot represent).
    fn from(t: Instant) -> std::time::SystemTime {
        let micros = t.total_micros();
        let span = core::time::Duration::from_micros(micros.unsigned_abs());
        let moved = if micros >= 0 {
            std::time::UNIX_EPOCH.checked_add(span)
        } else {
            std::time::UNIX_EPOCH.checked_sub(span)
        };
        moved.unwrap_or(std::time::UNIX_EPOCH)
    }
}

/// Whole µs of `d`, at most `i64::MAX` (so that negating it cannot
/// overflow).
#[cfg(feature = "std")]
fn saturating_micros(d: core::time::Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates_instead_of_wrapping() {
        let t = Instant::from_millis(1500);
        assert_eq!(t.total_micros(), 1_500_000);
        assert_eq!(t + Duration::from_millis(500), Instant::from_secs(2));
        assert_eq!(
            Instant::from_secs(1) - Instant::from_secs(2),
            Duration::ZERO
        );
        assert_eq!(
            Instant::from_secs(3) - Instant::from_secs(1),
            Duration::from_secs(2)
        );
        assert_eq!(
            Instant::from_micros(i64::MAX) + Duration::MAX,
            Instant::from_micros(i64::MAX)
        );
        assert_eq!(Duration::MAX * 3, Duration::MAX);
        assert_eq!(Duration::from_secs(1) / 0, Duration::MAX);
        assert_eq!(
            Duration::from_secs(1) - Duration::from_secs(2),
            Duration::ZERO
        );
    }

    #[test]
    fn display_reads_as_seconds() {
        use core::fmt::Write;
        let mut s = heapless::String::<32>::new();
        write!(
            s,
            "{} {}",
            Instant::from_micros(-1_500_000),
            Duration::from_millis(2)
        )
        .unwrap();
        assert_eq!(s.as_str(), "-1.500000s 0.002000s");
    }

    #[test]
    fn converts_from_core_duration() {
        let d: Duration = core::time::Duration::from_millis(3).into();
        assert_eq!(d, Duration::from_millis(3));
        let back: core::time::Duration = d.into();
        assert_eq!(back, core::time::Duration::from_millis(3));
    }

    #[test]
    fn converts_from_core_duration_since_boot() {
        let boot = core::time::Duration::from_micros(1_234_567);
        assert_eq!(Instant::from(boot), Instant::from_micros(1_234_567));
        assert_eq!(
            Instant::from(boot).duration_since_epoch(),
            Duration::from_micros(1_234_567)
        );
        assert_eq!(
            Instant::from_secs(-1).duration_since_epoch(),
            Duration::ZERO
        );
        assert_eq!(
            Instant::from(core::time::Duration::MAX),
            Instant::from_micros(i64::MAX)
        );
    }

    #[cfg(feature = "std")]
    #[test]
    fn std_clock_converts_both_ways_around_its_epoch() {
        let epoch = std::time::Instant::now();
        let clock = StdClock::with_epoch(epoch);
        let ms = std::time::Duration::from_millis(1500);
        assert_eq!(clock.instant(epoch), Instant::ZERO);
        assert_eq!(clock.instant(epoch + ms), Instant::from_millis(1500));
        // Before the epoch: negative, not zero and not a panic.
        if let Some(before) = epoch.checked_sub(ms) {
            assert_eq!(clock.instant(before), Instant::from_millis(-1500));
            assert_eq!(clock.std_instant(Instant::from_millis(-1500)), before);
        }
        assert_eq!(clock.std_instant(Instant::from_millis(1500)), epoch + ms);
        // A poll_at deadline round-trips to the µs.
        let deadline = Instant::from_micros(7_000_001);
        assert_eq!(clock.instant(clock.std_instant(deadline)), deadline);
        // now() moves forward from the epoch.
        assert!(clock.now() >= Instant::ZERO);
        assert_eq!(clock.epoch(), epoch);
    }

    #[cfg(feature = "std")]
    #[test]
    fn system_time_is_micros_since_the_unix_epoch() {
        use std::time::{SystemTime, UNIX_EPOCH};
        let t = UNIX_EPOCH + std::time::Duration::from_micros(1_700_000_000_123_456);
        assert_eq!(
            Instant::from(t),
            Instant::from_micros(1_700_000_000_123_456)
        );
        assert_eq!(SystemTime::from(Instant::from(t)), t);
        let before = UNIX_EPOCH - std::time::Duration::from_secs(2);
        assert_eq!(Instant::from(before), Instant::from_secs(-2));
        assert_eq!(SystemTime::from(Instant::from_secs(-2)), before);
    }
}
