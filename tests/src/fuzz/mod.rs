//! Fuzz target bodies, one per wire format, shared by the cargo-fuzz targets
//! in `fuzz/` (nightly, libFuzzer) and by `tests/tests/fuzz_seeds.rs`
//! (stable, over the seeds [`seeds::collect`] extracts from the capture
//! corpus), so that CI replays the same properties without nightly.
//!
//! Every body takes arbitrary bytes and checks two things:
//!
//! - nothing panics: the checked constructor is called, then every accessor
//!   of the view (the wire module promises that no accessor panics after
//!   `new_checked`), and every option iterator is run to its end;
//! - the round trip holds: when `Repr::parse` succeeds, `emit` into a fresh
//!   zeroed buffer of `buffer_len()` (plus the payload, copied in, where the
//!   `Repr` is header-only) parses back to an equal `Repr`.
//!
//! Checksummed formats are parsed with both [`ChecksumMode`]s: a `Skip`
//! parse is re-emitted with `Check` and must re-parse with `Check`, and a
//! `Check` parse, when it succeeds, must equal the `Skip` one.
//!
//! A failed assertion here is a bug in `rstcp::wire`, not in the fuzzer.
//!
//! [`ChecksumMode`]: rstcp::wire::ChecksumMode

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

mod arp;
mod dhcpv4;
pub mod dns;
mod ethernet;
mod icmpv4;
mod icmpv6;
pub mod iface;
mod ipv4;
mod ipv6;
mod pcap;
pub mod seeds;
mod tcp;
pub mod tcp_socket;
mod udp;

pub use self::arp::arp;
pub use self::dhcpv4::dhcpv4;
pub use self::dns::dns;
pub use self::ethernet::ethernet;
pub use self::icmpv4::icmpv4;
pub use self::icmpv6::icmpv6;
pub use self::iface::iface;
pub use self::ipv4::ipv4;
pub use self::ipv6::ipv6;
pub use self::pcap::pcap;
pub use self::tcp::tcp;
pub use self::tcp_socket::tcp_socket;
pub use self::udp::udp;

/// A fuzz target body: arbitrary bytes in, a panic on a bug.
pub type Target = fn(&[u8]);

/// Every target, by the name of its cargo-fuzz binary and seed directory.
pub const TARGETS: &[(&str, Target)] = &[
    ("ethernet", ethernet),
    ("arp", arp),
    ("ipv4", ipv4),
    ("ipv6", ipv6),
    ("icmpv4", icmpv4),
    ("icmpv6", icmpv6),
    ("tcp", tcp),
    ("udp", udp),
    ("dhcpv4", dhcpv4),
    ("dns", dns),
    ("pcap", pcap),
    ("iface", iface),
    ("tcp_socket", tcp_socket),
];

/// Reads a fixed-size prefix off `data`: the address prefixes of the
/// `icmpv6`, `tcp` and `udp` inputs.
fn split_array<const N: usize>(data: &[u8]) -> Option<([u8; N], &[u8])> {
    let (head, rest) = data.split_at_checked(N)?;
    Some((head.try_into().ok()?, rest))
}

/// Splits a `tcp`/`udp` input into its pseudo-header addresses and segment:
/// an even first byte is followed by two IPv4 addresses (8 bytes), an odd
/// one by two IPv6 addresses (32 bytes). One byte picks the family so that
/// the fuzzer reaches both with equal ease.
pub fn split_l4_input(data: &[u8]) -> Option<(IpAddr, IpAddr, &[u8])> {
    let (&family, rest) = data.split_first()?;
    if family % 2 == 0 {
        let (a, rest) = split_array::<4>(rest)?;
        let (b, rest) = split_array::<4>(rest)?;
        Some((Ipv4Addr::from(a).into(), Ipv4Addr::from(b).into(), rest))
    } else {
        let (a, rest) = split_array::<16>(rest)?;
        let (b, rest) = split_array::<16>(rest)?;
        Some((Ipv6Addr::from(a).into(), Ipv6Addr::from(b).into(), rest))
    }
}

/// The inverse of [`split_l4_input`], for the seeds. Mixed families are not
/// a segment any network carries, so they give `None`.
pub fn l4_input(src: IpAddr, dst: IpAddr, segment: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(33 + segment.len());
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            out.push(0);
            out.extend_from_slice(&s.octets());
            out.extend_from_slice(&d.octets());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            out.push(1);
            out.extend_from_slice(&s.octets());
            out.extend_from_slice(&d.octets());
        }
        _ => return None,
    }
    out.extend_from_slice(segment);
    Some(out)
}

/// Splits an `icmpv6` input: source and destination address (the checksum's
/// pseudo-header), then the message.
pub fn split_icmpv6_input(data: &[u8]) -> Option<(Ipv6Addr, Ipv6Addr, &[u8])> {
    let (a, rest) = split_array::<16>(data)?;
    let (b, rest) = split_array::<16>(rest)?;
    Some((Ipv6Addr::from(a), Ipv6Addr::from(b), rest))
}

/// The inverse of [`split_icmpv6_input`], for the seeds.
pub fn icmpv6_input(src: Ipv6Addr, dst: Ipv6Addr, message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + message.len());
    out.extend_from_slice(&src.octets());
    out.extend_from_slice(&dst.octets());
    out.extend_from_slice(message);
    out
}
