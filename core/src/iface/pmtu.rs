//! The path MTU a TCP connection takes from an ICMP "fragmentation needed"
//! (RFC 1191) or "packet too big" (RFC 8201), hardened against forged and
//! broken reports (RFC 5927 §7).
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
//! The connection also checks that the quoted segment is one of its own in
//! flight, SND.UNA ≤ SEG.SEQ < SND.MAX (RFC 5927 §4.1). It does not require
//! SEG.SEQ = SND.UNA: the first oversized segment is seldom the oldest one
//! in flight and routers rate-limit their ICMP errors (RFC 1812 §4.3.2.8),
//! so that check would often cost a retransmission timeout per path MTU
//! drop, while what a forger who guesses a sequence number in the window
//! can do is already bounded by the floor.

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
