//! The arithmetic of ping(8)'s closing summary: packets transmitted and
//! received, the loss in percent, and round-trip min/avg/max/mdev.
//!
//! Running sums rather than a list of every round trip, so that a ping
//! left running for days uses no more memory than one that sends three.

use std::fmt;
use std::time::Duration;

/// What a ping run has seen so far.
#[derive(Debug, Clone, Default)]
pub struct PingStats {
    transmitted: u64,
    received: u64,
    min_ms: f64,
    max_ms: f64,
    sum_ms: f64,
    sum_sq_ms: f64,
}

impl PingStats {
    /// No requests yet.
    pub fn new() -> PingStats {
        PingStats::default()
    }

    /// Counts a request sent.
    pub fn sent(&mut self) {
        self.transmitted += 1;
    }

    /// Counts a reply that took `rtt`.
    pub fn replied(&mut self, rtt: Duration) {
        let ms = rtt.as_secs_f64() * 1000.0;
        if self.received == 0 || ms < self.min_ms {
            self.min_ms = ms;
        }
        if self.received == 0 || ms > self.max_ms {
            self.max_ms = ms;
        }
        self.received += 1;
        self.sum_ms += ms;
        self.sum_sq_ms += ms * ms;
    }

    /// Requests sent.
    pub fn transmitted(&self) -> u64 {
        self.transmitted
    }

    /// Replies received.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The share of requests without a reply, in percent (0 before any
    /// request).
    pub fn loss_percent(&self) -> f64 {
        if self.transmitted == 0 {
            return 0.0;
        }
        let lost = self.transmitted.saturating_sub(self.received);
        lost as f64 * 100.0 / self.transmitted as f64
    }

    /// Round-trip times in milliseconds, once a reply came.
    pub fn rtt(&self) -> Option<RttSummary> {
        if self.received == 0 {
            return None;
        }
        let n = self.received as f64;
        let avg = self.sum_ms / n;
        // ping(8)'s mdev is the population standard deviation,
        // sqrt(E[x²] - E[x]²); rounding can make the difference a hair
        // below zero when every sample is equal.
        let var = (self.sum_sq_ms / n - avg * avg).max(0.0);
        Some(RttSummary {
            min: self.min_ms,
            avg,
            max: self.max_ms,
            mdev: var.sqrt(),
        })
    }

    /// The line ping(8) prints after `--- ADDR ping statistics ---`:
    /// `3 packets transmitted, 3 received, 0% packet loss, time 2003ms`.
    pub fn packets_line(&self, elapsed: Duration) -> String {
        format!(
            "{} packets transmitted, {} received, {}% packet loss, time {}ms",
            self.transmitted,
            self.received,
            Percent(self.loss_percent()),
            elapsed.as_millis()
        )
    }
}

/// Round-trip statistics in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RttSummary {
    /// The shortest round trip.
    pub min: f64,
    /// The mean.
    pub avg: f64,
    /// The longest.
    pub max: f64,
    /// The standard deviation.
    pub mdev: f64,
}

impl fmt::Display for RttSummary {
    /// `rtt min/avg/max/mdev = 0.101/0.204/0.332/0.095 ms`, as ping(8).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "rtt min/avg/max/mdev = {:.3}/{:.3}/{:.3}/{:.3} ms",
            self.min, self.avg, self.max, self.mdev
        )
    }
}

/// A percentage as ping(8) prints it with `%g`: `0`, `25`, `33.3333`.
struct Percent(f64);

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = format!("{:.4}", self.0);
        let s = s.trim_end_matches('0').trim_end_matches('.');
        f.write_str(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(x: f64) -> Duration {
        Duration::from_secs_f64(x / 1000.0)
    }

    #[test]
    fn all_answered() {
        let mut s = PingStats::new();
        for rtt in [1.0, 2.0, 3.0, 4.0] {
            s.sent();
            s.replied(ms(rtt));
        }
        let r = s.rtt().unwrap();
        assert!((r.min - 1.0).abs() < 1e-6);
        assert!((r.max - 4.0).abs() < 1e-6);
        assert!((r.avg - 2.5).abs() < 1e-6);
        // Population deviation of 1,2,3,4: sqrt(1.25).
        assert!((r.mdev - 1.25f64.sqrt()).abs() < 1e-6, "{r:?}");
        assert_eq!(
            s.packets_line(Duration::from_millis(3004)),
            "4 packets transmitted, 4 received, 0% packet loss, time 3004ms"
        );
        assert_eq!(
            r.to_string(),
            "rtt min/avg/max/mdev = 1.000/2.500/4.000/1.118 ms"
        );
    }

    #[test]
    fn losses_in_percent() {
        let mut s = PingStats::new();
        for i in 0..3 {
            s.sent();
            if i == 0 {
                s.replied(ms(0.5));
            }
        }
        assert_eq!(s.received(), 1);
        assert!(s
            .packets_line(Duration::ZERO)
            .contains("3 packets transmitted, 1 received, 66.6667% packet loss"));
        let r = s.rtt().unwrap();
        assert_eq!((r.min, r.max), (r.avg, r.avg));
        assert_eq!(r.mdev, 0.0);

        let mut s = PingStats::new();
        for _ in 0..4 {
            s.sent();
        }
        s.replied(ms(1.0));
        assert!(s.packets_line(Duration::ZERO).contains("75% packet loss"));
    }

    #[test]
    fn nothing_answered_has_no_rtt_line() {
        let mut s = PingStats::new();
        assert_eq!(s.loss_percent(), 0.0);
        s.sent();
        s.sent();
        assert_eq!(s.loss_percent(), 100.0);
        assert!(s.rtt().is_none());
        assert!(s.packets_line(Duration::ZERO).contains("100% packet loss"));
    }
}
