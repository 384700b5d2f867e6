//! The `udp` target: a UDP datagram with its pseudo-header addresses, and
//! the DHCP message inside one on port 67 or 68.

use std::hint::black_box;
use std::net::IpAddr;

use rstcp::wire::dhcpv4::{CLIENT_PORT, SERVER_PORT};
use rstcp::wire::udp::{UdpPacket, UdpRepr};
use rstcp::wire::ChecksumMode;

/// Fuzz body for UDP. Input framing: see [`split_l4_input`](super::split_l4_input).
pub fn udp(data: &[u8]) {
    if let Some((src, dst, segment)) = super::split_l4_input(data) {
        check(src, dst, segment);
    }
}

/// Every accessor, the `UdpRepr` round trip (payload copied in through
/// `emit`'s callback), then DHCP on its ports.
pub(crate) fn check(src: IpAddr, dst: IpAddr, segment: &[u8]) {
    let Ok(packet) = UdpPacket::new_checked(segment) else {
        return;
    };
    black_box((
        packet.src_port(),
        packet.dst_port(),
        packet.len(),
        packet.is_empty(),
        packet.checksum(),
        packet.payload(),
        packet.verify_checksum(&src, &dst),
    ));
    let Ok(repr) = UdpRepr::parse(&packet, &src, &dst, ChecksumMode::Skip) else {
        return;
    };
    if let Ok(checked) = UdpRepr::parse(&packet, &src, &dst, ChecksumMode::Check) {
        assert_eq!(checked, repr, "UDP Check and Skip parses differ");
    }
    let payload = packet.payload();
    assert_eq!(
        repr.header_len() + payload.len(),
        usize::from(packet.len()),
        "UDP header_len + payload vs length field"
    );

    let mut buf = vec![0u8; repr.buffer_len() + payload.len()];
    repr.emit(
        &mut UdpPacket::new_unchecked(&mut buf[..]),
        &src,
        &dst,
        payload.len(),
        |out| out.copy_from_slice(payload),
        ChecksumMode::Check,
    );
    let again = UdpPacket::new_checked(&buf[..]).expect("emitted UDP passes check_len");
    assert_eq!(
        UdpRepr::parse(&again, &src, &dst, ChecksumMode::Check),
        Ok(repr),
        "UDP round trip"
    );
    assert_eq!(again.payload(), payload, "UDP payload round trip");

    if is_dhcp(repr.src_port, repr.dst_port) {
        super::dhcpv4::check(payload);
    }
}

/// True for a datagram from or to a DHCP port (RFC 2131 §4.1: server 67,
/// client 68).
pub(crate) fn is_dhcp(src_port: u16, dst_port: u16) -> bool {
    [src_port, dst_port]
        .iter()
        .any(|p| *p == SERVER_PORT || *p == CLIENT_PORT)
}
