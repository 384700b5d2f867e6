//! The `icmpv4` target: an ICMPv4 message (the IPv4 payload).

use std::hint::black_box;

use rstcp::wire::icmpv4::{Icmpv4Packet, Icmpv4Repr};
use rstcp::wire::ChecksumMode;

/// Fuzz body for ICMPv4: every accessor, the quoted header of an error, and
/// the `Icmpv4Repr` round trip.
pub fn icmpv4(data: &[u8]) {
    check(data);
}

/// The ICMPv4 checks.
pub(crate) fn check(data: &[u8]) {
    let Ok(packet) = Icmpv4Packet::new_checked(data) else {
        return;
    };
    black_box((
        packet.msg_type(),
        packet.msg_code(),
        packet.checksum(),
        packet.echo_ident(),
        packet.echo_seq_no(),
        packet.next_hop_mtu(),
        packet.pointer(),
        packet.gateway(),
        packet.rest_of_header(),
        packet.data(),
        packet.verify_checksum(),
    ));
    if let Ok(quoted) = packet.quoted_packet() {
        super::ipv4::touch(&quoted);
    }
    let Ok(repr) = Icmpv4Repr::parse(&packet, ChecksumMode::Skip) else {
        return;
    };
    if let Ok(checked) = Icmpv4Repr::parse(&packet, ChecksumMode::Check) {
        assert_eq!(checked, repr, "ICMPv4 Check and Skip parses differ");
    }
    black_box(repr.data());
    if let Ok(quoted) = repr.quoted_packet() {
        super::ipv4::touch(&quoted);
    }
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(
        &mut Icmpv4Packet::new_unchecked(&mut buf[..]),
        ChecksumMode::Check,
    );
    let again = Icmpv4Packet::new_checked(&buf[..]).expect("emitted ICMPv4 passes check_len");
    assert_eq!(
        Icmpv4Repr::parse(&again, ChecksumMode::Check),
        Ok(repr),
        "ICMPv4 round trip"
    );
}
