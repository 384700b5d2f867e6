//! Path MTU discovery (RFC 1191, RFC 8201): the interface's per-destination
//! path MTU cache, and the bounds every report must pass before it goes in.
//!
//! The cache is the one place a path MTU is kept: UDP, ICMP and raw
//! packets are fragmented to it (`Inner::ip_mtu`), a new TCP connection
//! takes its MSS from it, and an open one is clamped when it drops. It is
//! fed by ICMPv6 Packet Too Big and ICMPv4 Fragmentation Needed messages
//! that quote a packet we sent (`icmp.rs` checks that, RFC 5927).
//!
//! Anyone on the path can forge such an error, and a router from before
//! RFC 1191 reports MTU 0. Taken at face value, either shrank a connection
//! to 64-byte segments. Three rules bound what a report can do:
//!
//! - A report of an MTU not smaller than the packet it quotes is ignored:
//!   that packet cannot have been too big for it (RFC 5927 §7.2).
//! - MTU 0 (or, over IPv4, anything below the 68 bytes every IPv4 hop
//!   carries, RFC 791) says nothing; RFC 1191 §5 then takes the largest
//!   plateau of its table below the quoted packet's length.
//! - Nothing goes below a floor: 552 bytes over IPv4 (Linux's `min_pmtu`,
//!   576 less some room for options and tunnels) and 1280 over IPv6 (RFC
//!   8200 §5, RFC 8201 §4: "MUST NOT reduce … below the IPv6 minimum link
//!   MTU").
//!
//! A TCP connection also checks that the quoted segment is one of its own
//! in flight, SND.UNA ≤ SEG.SEQ < SND.MAX (RFC 5927 §4.1). It does not
//! require SEG.SEQ = SND.UNA: the first oversized segment is seldom the
//! oldest one in flight and routers rate-limit their ICMP errors (RFC 1812
//! §4.3.2.8), so that check would often cost a retransmission timeout per
//! path MTU drop, while what a forger who guesses a sequence number in the
//! window can do is already bounded by the floor.
//!
//! An entry ages out [`PMTU_AGE`] (10 minutes) after it was last lowered
//! (RFC 8201 §5.3, RFC 1191 §6.3): the link MTU is tried again, and a
//! router still too small says so with another report. The interface
//! wakes for it ([`PathMtuCache::poll_at`]) and the open TCP connections
//! to that destination get their MSS back (`Inner::pmtu_timers`).

use super::table::push_evicting;
use crate::time::{Duration, Instant};
use crate::wire::IpAddr;

/// Destinations whose path MTU the interface remembers; past it the entry
/// lowered longest ago makes way.
pub const PMTU_CACHE_SIZE: usize = 16;

/// How long a learnt path MTU holds before the link MTU is tried again:
/// RFC 8201 §5.3 and RFC 1191 §6.3 recommend 10 minutes.
pub const PMTU_AGE: Duration = Duration::from_secs(600);

/// One destination's path MTU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PathMtu {
    /// The destination (the quoted packet's destination address).
    pub dst: IpAddr,
    /// Its path MTU, bounded by [`path_mtu_from_report`].
    pub mtu: usize,
    /// When it was last lowered; it ages out [`PMTU_AGE`] later.
    pub since: Instant,
}

impl PathMtu {
    fn live(&self, now: Instant) -> bool {
        now < self.since + PMTU_AGE
    }
}

/// The per-destination path MTU cache: `N` entries, no heap.
#[derive(Debug, Clone, Default)]
pub struct PathMtuCache<const N: usize> {
    entries: heapless::Vec<PathMtu, N>,
}

impl<const N: usize> PathMtuCache<N> {
    /// Empty.
    pub const fn new() -> Self {
        PathMtuCache {
            entries: heapless::Vec::new(),
        }
    }

    /// The path MTU to `dst` at `now`, if one was learnt and has not aged
    /// out.
    pub fn get(&self, dst: &IpAddr, now: Instant) -> Option<usize> {
        self.entries
            .iter()
            .find(|e| e.dst == *dst && e.live(now))
            .map(|e| e.mtu)
    }

    /// Records a bounded path MTU for `dst` (see [`path_mtu_from_report`]);
    /// true when it lowered what was known (a new entry included). A
    /// report never raises a live entry (RFC 8201 §4: "MUST NOT increase
    /// its estimate of the Path MTU in response to the contents of a
    /// Packet Too Big message"); an aged-out one is replaced.
    pub fn learn(&mut self, dst: IpAddr, mtu: usize, now: Instant) -> bool {
        let entry = PathMtu {
            dst,
            mtu,
            since: now,
        };
        if let Some(e) = self.entries.iter_mut().find(|e| e.dst == dst) {
            if e.live(now) && e.mtu <= mtu {
                return false;
            }
            *e = entry;
            return true;
        }
        // Full: the one lowered longest ago (an aged-out one first) goes.
        push_evicting(&mut self.entries, entry, |e| e.since);
        true
    }

    /// When the next entry ages out (`None`: no entry).
    pub fn poll_at(&self) -> Option<Instant> {
        self.entries.iter().map(|e| e.since + PMTU_AGE).min()
    }

    /// Forgets one entry aged out at `now` and returns its destination, for
    /// the caller to raise what the entry had clamped (RFC 8201 §5.3).
    pub fn expire(&mut self, now: Instant) -> Option<IpAddr> {
        let i = self.entries.iter().position(|e| !e.live(now))?;
        Some(self.entries.swap_remove(i).dst)
    }

    /// The live entries at `now`, in no set order.
    pub fn entries(&self, now: Instant) -> impl Iterator<Item = &PathMtu> + '_ {
        self.entries.iter().filter(move |e| e.live(now))
    }
}

/// RFC 1191 §7, table 7-1: the MTU plateaus, descending.
pub const PLATEAUS: [usize; 11] = [
    65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68,
];

/// The least path MTU taken over IPv4 (Linux `min_pmtu`).
pub const MIN_PMTU_V4: usize = 552;

/// The least path MTU over IPv6: the minimum link MTU (RFC 8200 §5).
pub const MIN_PMTU_V6: usize = 1280;

/// The smallest MTU every IPv4 hop carries (RFC 791).
const MIN_LINK_MTU_V4: usize = 68;

/// The path MTU to use after an error reporting `reported` as the next
/// hop's MTU for a packet of `quoted_len` bytes (the total length in the
/// quoted IP header), or `None` when the report must be ignored.
pub fn path_mtu_from_report(reported: usize, quoted_len: usize, ipv6: bool) -> Option<usize> {
    let floor = if ipv6 { MIN_PMTU_V6 } else { MIN_PMTU_V4 };
    let mtu = if !ipv6 && reported < MIN_LINK_MTU_V4 {
        // RFC 1191 §5: no usable value; the next plateau below the
        // packet that did not fit.
        PLATEAUS.iter().copied().find(|&p| p < quoted_len)?
    } else if reported >= quoted_len {
        return None;
    } else {
        reported
    };
    Some(mtu.max(floor))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v6(last: u16) -> IpAddr {
        IpAddr::V6(crate::wire::Ipv6Addr::new(
            0x2001, 0xdb8, 0, 0, 0, 0, 0, last,
        ))
    }

    #[test]
    fn rfc8201_5_3_an_entry_ages_out_after_ten_minutes() {
        let mut c: PathMtuCache<4> = PathMtuCache::new();
        let t0 = Instant::from_secs(100);
        assert!(c.learn(v6(1), 1280, t0));
        assert_eq!(c.get(&v6(1), t0), Some(1280));
        assert_eq!(c.get(&v6(2), t0), None, "per destination");
        assert_eq!(
            c.get(&v6(1), t0 + PMTU_AGE - Duration::from_micros(1)),
            Some(1280)
        );
        assert_eq!(c.get(&v6(1), t0 + PMTU_AGE), None, "aged out");
        assert_eq!(c.entries(t0 + PMTU_AGE).count(), 0);
    }

    #[test]
    fn rfc8201_5_3_the_cache_asks_to_be_polled_when_an_entry_ages_and_forgets_it_then() {
        let mut c: PathMtuCache<4> = PathMtuCache::new();
        assert_eq!(c.poll_at(), None);
        let t0 = Instant::from_secs(100);
        c.learn(v6(1), 1280, t0);
        c.learn(v6(2), 1300, t0 + Duration::from_secs(5));
        assert_eq!(c.poll_at(), Some(t0 + PMTU_AGE));
        assert_eq!(c.expire(t0 + PMTU_AGE - Duration::from_micros(1)), None);
        assert_eq!(c.expire(t0 + PMTU_AGE), Some(v6(1)));
        assert_eq!(c.expire(t0 + PMTU_AGE), None);
        assert_eq!(c.poll_at(), Some(t0 + Duration::from_secs(5) + PMTU_AGE));
    }

    #[test]
    fn rfc8201_4_a_report_never_raises_a_live_estimate() {
        let mut c: PathMtuCache<4> = PathMtuCache::new();
        let t0 = Instant::from_secs(0);
        assert!(c.learn(v6(1), 1400, t0));
        assert!(!c.learn(v6(1), 1450, t0 + Duration::from_secs(1)));
        assert!(!c.learn(v6(1), 1400, t0 + Duration::from_secs(1)));
        assert_eq!(c.get(&v6(1), t0), Some(1400));
        // Lower: taken, and the age starts again.
        let t1 = t0 + Duration::from_secs(300);
        assert!(c.learn(v6(1), 1300, t1));
        assert_eq!(c.get(&v6(1), t0 + PMTU_AGE), Some(1300));
        // Once aged out, a larger report is a new estimate.
        assert!(c.learn(v6(1), 1492, t1 + PMTU_AGE));
        assert_eq!(c.get(&v6(1), t1 + PMTU_AGE), Some(1492));
    }

    #[test]
    fn a_full_cache_gives_up_the_entry_lowered_longest_ago() {
        let mut c: PathMtuCache<2> = PathMtuCache::new();
        c.learn(v6(1), 1300, Instant::from_secs(1));
        c.learn(v6(2), 1300, Instant::from_secs(2));
        c.learn(v6(3), 1300, Instant::from_secs(3));
        let t = Instant::from_secs(3);
        assert_eq!(c.get(&v6(1), t), None);
        assert_eq!(c.get(&v6(2), t), Some(1300));
        assert_eq!(c.get(&v6(3), t), Some(1300));
    }

    #[test]
    fn a_plain_report_is_taken() {
        assert_eq!(path_mtu_from_report(1000, 1500, false), Some(1000));
        assert_eq!(path_mtu_from_report(1400, 1500, true), Some(1400));
    }

    #[test]
    fn mtu_zero_walks_the_rfc_1191_plateaus() {
        assert_eq!(path_mtu_from_report(0, 1500, false), Some(1492));
        assert_eq!(path_mtu_from_report(0, 1492, false), Some(1006));
        // 1006 → 508, held at the floor.
        assert_eq!(path_mtu_from_report(0, 1006, false), Some(MIN_PMTU_V4));
        assert_eq!(path_mtu_from_report(0, 9000, false), Some(8166));
        // Below every plateau: nothing to learn.
        assert_eq!(path_mtu_from_report(0, 60, false), None);
        // An invalid IPv4 MTU is no better than 0.
        assert_eq!(path_mtu_from_report(40, 1500, false), Some(1492));
    }

    #[test]
    fn tiny_reports_stop_at_the_floor() {
        assert_eq!(path_mtu_from_report(100, 1500, false), Some(552));
        assert_eq!(path_mtu_from_report(68, 1500, false), Some(552));
        assert_eq!(path_mtu_from_report(0, 1500, true), Some(1280));
        assert_eq!(path_mtu_from_report(576, 1500, true), Some(1280));
    }

    #[test]
    fn a_report_not_below_the_quoted_packet_is_ignored() {
        // RFC 5927 §7.2.
        assert_eq!(path_mtu_from_report(1000, 152, false), None);
        assert_eq!(path_mtu_from_report(1500, 1500, false), None);
        assert_eq!(path_mtu_from_report(1280, 1280, true), None);
    }
}
