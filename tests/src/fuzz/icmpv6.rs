//! The `icmpv6` target: an ICMPv6 message with its pseudo-header addresses,
//! NDP and MLD included (they parse through [`Icmpv6Repr`]).

use std::hint::black_box;
use std::net::Ipv6Addr;

use rstcp::wire::icmpv6::{Icmpv6Packet, Icmpv6Repr};
use rstcp::wire::ipv6::{Ipv6Packet, Ipv6Repr};
use rstcp::wire::mld::{MldAddressRecord, MldRepr};
use rstcp::wire::ndp::{NdiscOption, NdiscRepr};
use rstcp::wire::ChecksumMode;

/// Fuzz body for ICMPv6. Input: source address, destination address (16
/// bytes each, so that the checksum of a real message verifies), then the
/// message.
pub fn icmpv6(data: &[u8]) {
    if let Some((src, dst, message)) = super::split_icmpv6_input(data) {
        check(&src, &dst, message);
    }
}

/// Every accessor of the view (the NDP and MLD ones too, whatever the type:
/// they must not panic on a short message), then the repr round trip.
pub(crate) fn check(src: &Ipv6Addr, dst: &Ipv6Addr, data: &[u8]) {
    let Ok(packet) = Icmpv6Packet::new_checked(data) else {
        return;
    };
    let msg_type = packet.msg_type();
    black_box((
        msg_type.is_error(),
        msg_type.is_ndisc(),
        msg_type.is_mld(),
        packet.msg_code(),
        packet.checksum(),
        packet.echo_ident(),
        packet.echo_seq_no(),
        packet.mtu(),
        packet.pointer(),
        packet.payload(),
        packet.quoted(),
        packet.verify_checksum(src, dst),
    ));
    black_box((
        packet.current_hop_limit(),
        packet.router_flags(),
        packet.router_lifetime(),
        packet.reachable_time(),
        packet.retrans_time(),
        packet.neighbor_flags(),
        packet.target_addr(),
        packet.dest_addr(),
        packet.ndisc_options(),
    ));
    black_box((
        packet.max_resp_code(),
        packet.mcast_addr(),
        packet.query_s_flag(),
        packet.query_qrv(),
        packet.query_qqic(),
        packet.query_num_sources(),
        packet.query_sources(),
        packet.report_num_records(),
        packet.report_records(),
    ));

    let Ok(repr) = Icmpv6Repr::parse(src, dst, &packet, ChecksumMode::Skip) else {
        return;
    };
    if let Ok(checked) = Icmpv6Repr::parse(src, dst, &packet, ChecksumMode::Check) {
        assert_eq!(checked, repr, "ICMPv6 Check and Skip parses differ");
    }
    match repr {
        Icmpv6Repr::DstUnreachable { data, .. }
        | Icmpv6Repr::PktTooBig { data, .. }
        | Icmpv6Repr::TimeExceeded { data, .. }
        | Icmpv6Repr::ParamProblem { data, .. } => quoted(data),
        Icmpv6Repr::Ndisc(ndisc) => ndisc_parts(&ndisc),
        Icmpv6Repr::Mld(mld) => mld_parts(&mld),
        _ => {}
    }

    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(
        src,
        dst,
        &mut Icmpv6Packet::new_unchecked(&mut buf[..]),
        ChecksumMode::Check,
    );
    let again = Icmpv6Packet::new_checked(&buf[..]).expect("emitted ICMPv6 passes check_len");
    assert_eq!(
        Icmpv6Repr::parse(src, dst, &again, ChecksumMode::Check),
        Ok(repr),
        "ICMPv6 round trip"
    );
}

/// The invoking packet an error quotes: a cut IPv6 header view and repr.
fn quoted(data: &[u8]) {
    let Ok(packet) = Ipv6Packet::new_checked_header(data) else {
        return;
    };
    super::ipv6::touch(&packet);
    black_box(Ipv6Repr::parse_quoted(&packet).ok());
}

/// The decoded options of an NDP message, each round-tripped on its own.
fn ndisc_parts(ndisc: &NdiscRepr<'_>) {
    black_box(ndisc.msg_type());
    for option in ndisc.option_iter() {
        let Ok(option) = option else { continue };
        black_box(option.kind());
        if let NdiscOption::Rdnss(r) = option {
            black_box(r.servers().count());
        }
        let mut buf = vec![0u8; option.buffer_len()];
        option.emit(&mut buf);
        assert_eq!(
            NdiscOption::parse(&buf),
            Ok((option, &[][..])),
            "NDP option round trip"
        );
    }
    black_box(ndisc.prefix_info().count());
    for rdnss in ndisc.rdnss() {
        black_box(rdnss.servers().count());
    }
}

/// The sources and records of an MLD message, each record round-tripped.
fn mld_parts(mld: &MldRepr<'_>) {
    black_box((mld.msg_type(), mld.sources().count()));
    for record in mld.records() {
        black_box(record.source_addrs().count());
        let mut buf = vec![0u8; record.buffer_len()];
        record.emit(&mut buf);
        assert_eq!(
            MldAddressRecord::parse(&buf),
            Ok((record, &[][..])),
            "MLD record round trip"
        );
    }
}
