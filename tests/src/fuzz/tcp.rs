//! The `tcp` target: a TCP segment with its pseudo-header addresses.

use std::hint::black_box;
use std::net::IpAddr;

use rstcp::wire::tcp::{TcpOptions, TcpPacket, TcpRepr};
use rstcp::wire::ChecksumMode;

/// Fuzz body for TCP. Input framing: see [`split_l4_input`](super::split_l4_input).
pub fn tcp(data: &[u8]) {
    if let Some((src, dst, segment)) = super::split_l4_input(data) {
        check(src, dst, segment);
    }
}

/// Every accessor and the whole option walk, then the `TcpRepr` round trip
/// (the repr carries its payload, so `buffer_len` covers the whole segment).
pub(crate) fn check(src: IpAddr, dst: IpAddr, segment: &[u8]) {
    let Ok(packet) = TcpPacket::new_checked(segment) else {
        return;
    };
    let (seq, ack) = (packet.seq_number(), packet.ack_number());
    black_box((
        packet.src_port(),
        packet.dst_port(),
        packet.header_len(),
        packet.flags(),
        packet.control(),
        packet.reserved(),
        packet.fin(),
        packet.syn(),
        packet.rst(),
        packet.ack(),
    ));
    black_box((
        packet.window_len(),
        packet.checksum(),
        packet.urgent_at(),
        packet.options(),
        packet.payload(),
        packet.segment_len(),
        packet.verify_checksum(&src, &dst),
    ));
    // Sequence arithmetic is modular and must not panic on any pair.
    black_box((
        seq.distance_from(ack),
        seq - ack,
        seq.max(ack),
        seq.min(ack),
        seq.partial_cmp(&ack),
        seq + usize::MAX,
        seq - usize::MAX,
    ));
    for option in packet.options_iter() {
        black_box(option.ok());
    }
    assert!(
        TcpOptions::new(packet.options()).eq(packet.options_iter()),
        "TcpOptions::new and options_iter disagree"
    );

    let Ok(repr) = TcpRepr::parse(&packet, &src, &dst, ChecksumMode::Skip) else {
        return;
    };
    if let Ok(checked) = TcpRepr::parse(&packet, &src, &dst, ChecksumMode::Check) {
        assert_eq!(checked, repr, "TCP Check and Skip parses differ");
    }
    assert_eq!(repr.payload, packet.payload(), "TCP repr payload vs view");
    assert_eq!(repr.segment_len(), packet.segment_len(), "TCP segment_len");

    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(
        &mut TcpPacket::new_unchecked(&mut buf[..]),
        &src,
        &dst,
        ChecksumMode::Check,
    );
    let again = TcpPacket::new_checked(&buf[..]).expect("emitted TCP passes check_len");
    assert_eq!(
        again.header_len(),
        repr.header_len(),
        "TCP emitted header_len"
    );
    assert_eq!(
        TcpRepr::parse(&again, &src, &dst, ChecksumMode::Check),
        Ok(repr),
        "TCP round trip"
    );
}
