//! The `dhcpv4` target: a DHCP message (the UDP payload on ports 67/68).

use std::hint::black_box;

use rstcp::wire::dhcpv4::{DhcpOptions, DhcpPacket, DhcpRepr};

/// Fuzz body for DHCPv4: every accessor, the option walk, then the
/// `DhcpRepr` round trip.
pub fn dhcpv4(data: &[u8]) {
    check(data);
}

/// The DHCP checks.
pub(crate) fn check(data: &[u8]) {
    let Ok(packet) = DhcpPacket::new_checked(data) else {
        return;
    };
    black_box((
        packet.op(),
        packet.hardware_type(),
        packet.hardware_len(),
        packet.hops(),
        packet.xid(),
        packet.secs(),
        packet.flags(),
        packet.broadcast(),
        packet.client_ip(),
        packet.your_ip(),
        packet.server_ip(),
        packet.relay_agent_ip(),
    ));
    black_box((
        packet.chaddr(),
        packet.client_hardware_address(),
        packet.sname(),
        packet.file(),
        packet.magic_cookie(),
        packet.payload(),
        packet.message_type(),
    ));
    for option in packet.options() {
        black_box(option.ok());
    }
    assert!(
        DhcpOptions::new(packet.payload()).eq(packet.options()),
        "DhcpOptions::new(payload) and options() disagree"
    );
    let Ok(repr) = DhcpRepr::parse(&packet) else {
        return;
    };
    black_box(repr.message_type.opcode());
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(&mut DhcpPacket::new_unchecked(&mut buf[..]))
        .expect("emit into buffer_len() bytes");
    let again = DhcpPacket::new_checked(&buf[..]).expect("emitted DHCP passes check_len");
    assert_eq!(DhcpRepr::parse(&again), Ok(repr), "DHCP round trip");
}
