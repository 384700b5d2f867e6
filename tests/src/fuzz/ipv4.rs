//! The `ipv4` target: an IPv4 datagram, then its ICMPv4, TCP or UDP payload.

use std::hint::black_box;

use rstcp::wire::ipv4::{Ipv4Options, Ipv4Packet, Ipv4Repr};
use rstcp::wire::{ChecksumMode, IpProtocol};

/// Fuzz body for IPv4: the header round trip, then the upper layer of an
/// unfragmented datagram.
pub fn ipv4(data: &[u8]) {
    dissect(data);
}

/// Every accessor of a view made by `new_checked` or `new_checked_header`
/// (the latter for ICMP quotes: both promise panic-free accessors).
pub(crate) fn touch(packet: &Ipv4Packet<&[u8]>) {
    black_box((
        packet.version(),
        packet.header_len(),
        packet.dscp(),
        packet.ecn(),
        packet.total_len(),
        packet.ident(),
        packet.flags_reserved(),
        packet.dont_frag(),
        packet.more_frags(),
        packet.frag_offset(),
        packet.hop_limit(),
        packet.next_header(),
        packet.checksum(),
        packet.src_addr(),
        packet.dst_addr(),
        packet.verify_checksum(),
        packet.options(),
        packet.payload(),
    ));
    for option in packet.options_iter() {
        if let Ok(option) = black_box(option) {
            black_box((option.copied(), option.class(), option.number()));
        }
    }
    // The standalone iterator over the same bytes must agree with the view's.
    assert!(
        Ipv4Options::new(packet.options()).eq(packet.options_iter()),
        "Ipv4Options::new and options_iter disagree"
    );
}

/// Parses, round-trips and dissects one datagram.
pub(crate) fn dissect(data: &[u8]) {
    let Ok(packet) = Ipv4Packet::new_checked(data) else {
        return;
    };
    touch(&packet);
    let Ok(repr) = Ipv4Repr::parse(&packet, ChecksumMode::Skip) else {
        return;
    };
    if let Ok(checked) = Ipv4Repr::parse(&packet, ChecksumMode::Check) {
        assert_eq!(checked, repr, "IPv4 Check and Skip parses differ");
    }
    let payload = packet.payload();
    assert_eq!(
        payload.len(),
        repr.payload_len,
        "IPv4 payload() vs payload_len"
    );
    round_trip(&repr, payload);

    // Only a whole datagram has a parsable upper layer (and a checksum that
    // can verify); fragments are the reassembler's business.
    if repr.more_frags || repr.frag_offset != 0 {
        return;
    }
    let (src, dst) = (repr.src_addr.into(), repr.dst_addr.into());
    match repr.next_header {
        IpProtocol::Icmp => super::icmpv4::check(payload),
        IpProtocol::Tcp => super::tcp::check(src, dst, payload),
        IpProtocol::Udp => super::udp::check(src, dst, payload),
        _ => {}
    }
}

/// Emits `repr` and `payload` into a zeroed buffer and parses them back.
fn round_trip(repr: &Ipv4Repr, payload: &[u8]) {
    let mut buf = vec![0u8; repr.buffer_len() + payload.len()];
    let mut out = Ipv4Packet::new_unchecked(&mut buf[..]);
    repr.emit(&mut out, ChecksumMode::Check);
    out.payload_mut().copy_from_slice(payload);
    let again = Ipv4Packet::new_checked(&buf[..]).expect("emitted IPv4 passes check_len");
    assert_eq!(
        Ipv4Repr::parse(&again, ChecksumMode::Check),
        Ok(*repr),
        "IPv4 round trip"
    );
    assert_eq!(again.payload(), payload, "IPv4 payload round trip");
}
