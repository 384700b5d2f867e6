//! The `arp` target: an ARP packet (the Ethernet payload).

use std::hint::black_box;

use rstcp::wire::arp::{ArpPacket, ArpRepr};

/// Fuzz body for ARP: every accessor, then the `ArpRepr` round trip.
pub fn arp(data: &[u8]) {
    check(data);
}

/// The ARP checks, returning the parsed repr for the dissection.
pub(crate) fn check(data: &[u8]) -> Option<ArpRepr> {
    let packet = ArpPacket::new_checked(data).ok()?;
    black_box((
        packet.hardware_type(),
        packet.protocol_type(),
        packet.hardware_len(),
        packet.protocol_len(),
        packet.operation(),
        packet.packet_len(),
        packet.source_hardware_addr(),
        packet.source_protocol_addr(),
        packet.target_hardware_addr(),
        packet.target_protocol_addr(),
    ));
    let repr = ArpRepr::parse(&packet).ok()?;
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(&mut ArpPacket::new_unchecked(&mut buf[..]))
        .expect("emit into buffer_len() bytes");
    let again = ArpPacket::new_checked(&buf[..]).expect("emitted ARP passes check_len");
    assert_eq!(ArpRepr::parse(&again), Ok(repr), "ARP round trip");
    Some(repr)
}
