//! Packet timestamps, kept exact to the nanosecond.
//!
//! Files store time as a count of ticks of a per-file (pcap) or
//! per-interface (pcapng) resolution; converting everything to seconds plus
//! nanoseconds at read time means no caller has to know which resolution a
//! file used, and no floating point rounds anything away.

use std::time::Duration;

/// A point in time as seconds and nanoseconds since the Unix epoch.
///
/// Invariant: `nanos() < 1_000_000_000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp {
    secs: u64,
    nanos: u32,
}

impl Timestamp {
    /// A timestamp of `secs` seconds and `nanos` nanoseconds; nanoseconds of
    /// a second or more carry into the seconds (saturating at `u64::MAX`
    /// seconds), so the invariant holds whatever the input.
    pub fn new(secs: u64, nanos: u32) -> Self {
        Timestamp {
            secs: secs.saturating_add(u64::from(nanos / 1_000_000_000)),
            nanos: nanos % 1_000_000_000,
        }
    }

    /// Whole seconds since the epoch.
    pub fn secs(self) -> u64 {
        self.secs
    }

    /// Nanoseconds past [`secs`](Self::secs), below one billion.
    pub fn nanos(self) -> u32 {
        self.nanos
    }

    /// The time since the epoch as a [`Duration`].
    pub fn as_duration(self) -> Duration {
        Duration::new(self.secs, self.nanos)
    }

    /// A timestamp from a count of `ticks` of `1 / ticks_per_sec` second.
    /// Fractions of a nanosecond are truncated (they cannot be represented).
    pub(crate) fn from_ticks(ticks: u64, ticks_per_sec: u128) -> Self {
        debug_assert!(ticks_per_sec > 0);
        let ticks = u128::from(ticks);
        let secs = ticks / ticks_per_sec;
        let nanos = (ticks % ticks_per_sec) * 1_000_000_000 / ticks_per_sec;
        // secs <= ticks <= u64::MAX and nanos < 1e9, so neither cast truncates.
        Timestamp {
            secs: secs as u64,
            nanos: nanos as u32,
        }
    }
}

impl From<Duration> for Timestamp {
    /// Seconds since the epoch, e.g. from
    /// `SystemTime::now().duration_since(UNIX_EPOCH)`.
    fn from(d: Duration) -> Self {
        Timestamp::new(d.as_secs(), d.subsec_nanos())
    }
}

/// The tick of a classic pcap file's timestamps, chosen by its magic number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimestampResolution {
    /// Microseconds (magic `0xa1b2c3d4`), the historical default.
    Microsecond,
    /// Nanoseconds (magic `0xa1b23c4d`).
    Nanosecond,
}

impl TimestampResolution {
    /// Ticks per second.
    pub fn ticks_per_sec(self) -> u32 {
        match self {
            TimestampResolution::Microsecond => 1_000_000,
            TimestampResolution::Nanosecond => 1_000_000_000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Timestamp;

    #[test]
    fn new_carries() {
        let t = Timestamp::new(1, 2_500_000_000);
        assert_eq!((t.secs(), t.nanos()), (3, 500_000_000));
        let t = Timestamp::new(u64::MAX, 1_000_000_001);
        assert_eq!((t.secs(), t.nanos()), (u64::MAX, 1));
    }

    #[test]
    fn ticks() {
        let t = Timestamp::from_ticks(1_500_000, 1_000_000);
        assert_eq!((t.secs(), t.nanos()), (1, 500_000_000));
        // 2^-10 s resolution: 1024 + 512 ticks = 1.5 s.
        let t = Timestamp::from_ticks(1536, 1024);
        assert_eq!((t.secs(), t.nanos()), (1, 500_000_000));
        let t = Timestamp::from_ticks(u64::MAX, 1);
        assert_eq!((t.secs(), t.nanos()), (u64::MAX, 0));
        // Picoseconds: sub-nanosecond part is dropped.
        let t = Timestamp::from_ticks(1_000_000_001_999, 1_000_000_000_000);
        assert_eq!((t.secs(), t.nanos()), (1, 1));
    }
}
