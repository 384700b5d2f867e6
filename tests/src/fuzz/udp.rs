//! The `udp` target: a UDP datagram with its pseudo-header addresses, and
//! the DHCP message inside one on port 67 or 68.
//!
//! `rstcp::wire::udp` is still a placeholder on `main`; until it lands the
//! ports and payload are read by hand so that the dissection reaches DHCP.

use std::net::IpAddr;

use rstcp::wire::dhcpv4::{CLIENT_PORT, SERVER_PORT};

/// Fuzz body for UDP. Input framing: see [`split_l4_input`](super::split_l4_input).
pub fn udp(data: &[u8]) {
    if let Some((src, dst, segment)) = super::split_l4_input(data) {
        check(src, dst, segment);
    }
}

/// The UDP checks, then DHCP on its ports.
pub(crate) fn check(_src: IpAddr, _dst: IpAddr, segment: &[u8]) {
    if let Some((ports, payload)) = ports_and_payload(segment) {
        if is_dhcp(ports) {
            super::dhcpv4::check(payload);
        }
    }
}

/// Source and destination port and the payload, read by hand (RFC 768:
/// ports at 0 and 2, length at 4 counting the 8-byte header).
pub(crate) fn ports_and_payload(segment: &[u8]) -> Option<((u16, u16), &[u8])> {
    let header = segment.get(..8)?;
    let port = |at: usize| u16::from_be_bytes([header[at], header[at + 1]]);
    let len = usize::from(port(4));
    let payload = segment.get(8..len.max(8))?;
    Some(((port(0), port(2)), payload))
}

/// True for the DHCP port pairs (RFC 2131 §4.1: server 67, client 68).
pub(crate) fn is_dhcp((src, dst): (u16, u16)) -> bool {
    [src, dst]
        .iter()
        .any(|p| *p == SERVER_PORT || *p == CLIENT_PORT)
}
