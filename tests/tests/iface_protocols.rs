//! Protocol rules checked on the wire: IPv4 option errors answered with
//! Parameter Problem, IPv6 unknown-option actions (RFC 8200 §4.2), raw
//! sockets and protocol unreachable, DHCP renewal through the interface.

use rstcp::iface::DropReason;
use rstcp::phy::{Device, RxToken};
use rstcp::socket::raw::{IpVersion, RawSocket};
use rstcp::storage::{PacketBuffer, PacketMetadata};
use rstcp::time::Duration;
use rstcp::wire::checksum;
use rstcp::wire::ethernet::EtherType;
use rstcp::wire::icmpv6::{Icmpv6Packet, Icmpv6Repr};
use rstcp::wire::ipv4::{Ipv4Packet, Ipv4Repr};
use rstcp::wire::ipv6::{Ipv6Packet, Ipv6Repr};
use rstcp::wire::{ChecksumMode, IpAddr, IpProtocol};
use rstcp_tests::sim::*;

/// A and B know each other's MACs (one ping each way), then only B is
/// polled: what B sends stays on the link for the test to read.
fn resolved_sim() -> Sim {
    let mut sim = Sim::new(1500, false);
    let h = sim.a.icmp(1, 4096);
    sim.a
        .icmp_socket(h)
        .send_slice(&echo_request_v4(1, 1, b"hi"), IpAddr::V4(IP4_B))
        .unwrap();
    sim.a
        .icmp_socket(h)
        .send_slice(&echo_request_v6(1, 2, b"hi"), IpAddr::V6(IP6_B))
        .unwrap();
    let mut replies = 0;
    assert!(sim.run_until(Duration::from_secs(2), |s| {
        while s.a.icmp_socket(h).recv().is_ok() {
            replies += 1;
        }
        replies == 2
    }));
    sim
}

/// Puts an Ethernet frame carrying `packet` on the wire as A.
fn send_as_a(sim: &mut Sim, ethertype: EtherType, packet: &[u8]) {
    assert!(sim.put_frame(Side::A, MAC_B, ethertype, packet));
}

/// Polls B alone and returns the IP packets it put on the wire for A.
fn b_answers(sim: &mut Sim) -> Vec<Vec<u8>> {
    for _ in 0..3 {
        sim.b
            .iface
            .poll(sim.now, &mut sim.link.b(), &mut sim.b.sockets);
        sim.now += Duration::from_micros(100);
    }
    let mut out = Vec::new();
    let mut end = sim.link.a();
    while let Some((rx, _tx)) = end.receive(sim.now) {
        out.push(rx.consume(|f| f[14..].to_vec()));
    }
    out
}

#[test]
fn bad_ipv4_option_gets_a_parameter_problem_pointing_at_it() {
    let mut sim = resolved_sim();
    let echo = echo_request_v4(7, 1, b"opt");
    // IHL 6: one option word holding a Timestamp option whose length (1) is
    // shorter than its own header: malformed at header offset 20.
    let mut p = vec![0u8; 24 + echo.len()];
    let repr = Ipv4Repr {
        src_addr: IP4_A,
        dst_addr: IP4_B,
        next_header: IpProtocol::Icmp,
        payload_len: echo.len(),
        hop_limit: 64,
        dscp: 0,
        ecn: 0,
        ident: 9,
        dont_frag: false,
        more_frags: false,
        frag_offset: 0,
    };
    repr.emit(
        &mut Ipv4Packet::new_unchecked(&mut p[..]),
        ChecksumMode::Skip,
    );
    let mut ip = Ipv4Packet::new_unchecked(&mut p[..]);
    ip.set_header_len(24);
    ip.set_total_len((24 + echo.len()) as u16);
    ip.options_mut().copy_from_slice(&[0x44, 0x01, 0x00, 0x00]);
    ip.fill_checksum();
    p[24..].copy_from_slice(&echo);
    send_as_a(&mut sim, EtherType::Ipv4, &p);
    let answers = b_answers(&mut sim);
    assert_eq!(answers.len(), 1, "one ICMP error");
    let ip = Ipv4Packet::new_checked(&answers[0][..]).unwrap();
    let icmp = ip.payload();
    assert_eq!(
        (icmp[0], icmp[1], icmp[4]),
        (12, 0, 20),
        "parameter problem, pointer 20"
    );
    assert_eq!(&icmp[8..8 + 24], &p[..24], "quotes the offending header");
    assert_eq!(sim.b.iface.stats().dropped(DropReason::Malformed), 1);
}

/// An IPv6 echo request from A with a Destination Options header holding
/// one option of type `option_type`.
fn v6_echo_with_option(option_type: u8) -> Vec<u8> {
    let repr = Icmpv6Repr::EchoRequest {
        ident: 7,
        seq_no: 3,
        data: b"opts",
    };
    let mut icmp = vec![0u8; repr.buffer_len()];
    repr.emit(
        &IP6_A,
        &IP6_B,
        &mut Icmpv6Packet::new_unchecked(&mut icmp[..]),
        ChecksumMode::Check,
    );
    // Next header ICMPv6, length 0 (8 bytes): the option (2+2), PadN (2+0).
    let dest_opts = [58u8, 0, option_type, 2, 0xab, 0xcd, 1, 0];
    let payload_len = dest_opts.len() + icmp.len();
    let mut p = vec![0u8; 40 + payload_len];
    Ipv6Repr {
        src_addr: IP6_A,
        dst_addr: IP6_B,
        next_header: IpProtocol::Ipv6Opts,
        payload_len: payload_len as u16,
        hop_limit: 64,
        traffic_class: 0,
        flow_label: 0,
    }
    .emit(&mut Ipv6Packet::new_unchecked(&mut p[..]));
    p[40..48].copy_from_slice(&dest_opts);
    p[48..].copy_from_slice(&icmp);
    p
}

#[test]
fn unknown_ipv6_options_follow_their_action_bits() {
    // 00: skip the option, process the packet: an echo reply comes back.
    let mut sim = resolved_sim();
    send_as_a(&mut sim, EtherType::Ipv6, &v6_echo_with_option(0x1e));
    let answers = b_answers(&mut sim);
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0][40], 129, "echo reply");

    // 01: discard silently.
    let mut sim = resolved_sim();
    send_as_a(&mut sim, EtherType::Ipv6, &v6_echo_with_option(0x5e));
    assert!(b_answers(&mut sim).is_empty());
    assert_eq!(sim.b.iface.stats().dropped(DropReason::Unsupported), 1);

    // 10 (and 11 to a unicast address): discard and send Parameter Problem
    // code 2 pointing at the option's type byte (offset 40 + 2).
    for option_type in [0x9e, 0xde] {
        let mut sim = resolved_sim();
        let sent = v6_echo_with_option(option_type);
        send_as_a(&mut sim, EtherType::Ipv6, &sent);
        let answers = b_answers(&mut sim);
        assert_eq!(answers.len(), 1, "type {option_type:#x}");
        let icmp = &answers[0][40..];
        assert_eq!(
            (icmp[0], icmp[1]),
            (4, 2),
            "parameter problem, unrecognized option"
        );
        assert_eq!(u32::from_be_bytes([icmp[4], icmp[5], icmp[6], icmp[7]]), 42);
        assert_eq!(&icmp[8..], &sent[..], "quotes the whole packet");
        // The checksum covers the pseudo-header (RFC 4443 §2.3).
        let ip = Ipv6Packet::new_checked(&answers[0][..]).unwrap();
        assert!(Icmpv6Packet::new_checked(ip.payload())
            .unwrap()
            .verify_checksum(&ip.src_addr(), &ip.dst_addr()));
    }
}

fn raw_socket(version: IpVersion, protocol: IpProtocol) -> RawSocket<'static> {
    let buf = || PacketBuffer::new(vec![PacketMetadata::EMPTY; 8], vec![0u8; 4096]);
    RawSocket::new(version, protocol, buf(), buf())
}

/// A whole IPv4 packet of protocol 253 (RFC 3692 experimentation).
fn experimental_packet() -> Vec<u8> {
    let data = b"raw payload";
    let mut p = vec![0u8; 20 + data.len()];
    Ipv4Repr {
        src_addr: IP4_A,
        dst_addr: IP4_B,
        next_header: IpProtocol::Unknown(253),
        payload_len: data.len(),
        hop_limit: 64,
        dscp: 0,
        ecn: 0,
        ident: 1,
        dont_frag: true,
        more_frags: false,
        frag_offset: 0,
    }
    .emit(
        &mut Ipv4Packet::new_unchecked(&mut p[..]),
        ChecksumMode::Check,
    );
    p[20..].copy_from_slice(data);
    p
}

#[test]
fn raw_sockets_carry_whole_packets_and_unknown_protocols_are_unreachable() {
    let mut sim = Sim::new(1500, false);
    let proto = IpProtocol::Unknown(253);
    let tx = sim
        .a
        .sockets
        .add(raw_socket(IpVersion::Ipv4, proto))
        .unwrap();
    sim.a.sockets.bind_raw(tx).unwrap();
    let rx = sim
        .b
        .sockets
        .add(raw_socket(IpVersion::Ipv4, proto))
        .unwrap();
    sim.b.sockets.bind_raw(rx).unwrap();
    let packet = experimental_packet();
    sim.a
        .sockets
        .get_mut::<RawSocket>(tx)
        .unwrap()
        .send_slice(&packet)
        .unwrap();
    assert!(sim.run_until(Duration::from_secs(2), |s| s
        .b
        .sockets
        .get_mut::<RawSocket>(rx)
        .unwrap()
        .can_recv()));
    let got = sim
        .b
        .sockets
        .get_mut::<RawSocket>(rx)
        .unwrap()
        .recv()
        .unwrap()
        .to_vec();
    assert_eq!(got, packet, "the whole packet, header included");

    // Without a raw socket on B, protocol 253 is unreachable (RFC 1122 §3.2.2.1).
    assert!(sim.b.sockets.remove(rx).is_some());
    sim.a
        .sockets
        .get_mut::<RawSocket>(tx)
        .unwrap()
        .send_slice(&packet)
        .unwrap();
    assert!(sim.run_until(Duration::from_secs(2), |s| s
        .b
        .iface
        .stats()
        .icmp_errors_sent
        == 1));
    assert_eq!(sim.b.iface.stats().dropped(DropReason::Unsupported), 1);
}

#[test]
fn checksums_of_what_b_sends_verify() {
    // A spot check beside the tshark test: an echo reply's IPv4 header.
    let mut sim = resolved_sim();
    let echo = echo_request_v4(3, 3, b"csum");
    let mut p = vec![0u8; 20 + echo.len()];
    Ipv4Repr {
        src_addr: IP4_A,
        dst_addr: IP4_B,
        next_header: IpProtocol::Icmp,
        payload_len: echo.len(),
        hop_limit: 64,
        dscp: 0,
        ecn: 0,
        ident: 77,
        dont_frag: false,
        more_frags: false,
        frag_offset: 0,
    }
    .emit(
        &mut Ipv4Packet::new_unchecked(&mut p[..]),
        ChecksumMode::Check,
    );
    p[20..].copy_from_slice(&echo);
    send_as_a(&mut sim, EtherType::Ipv4, &p);
    let answers = b_answers(&mut sim);
    let ip = Ipv4Packet::new_checked(&answers[0][..]).unwrap();
    assert!(ip.verify_checksum());
    assert_eq!(checksum::sum(ip.payload()), 0xffff, "ICMP checksum");
}

#[test]
fn joined_multicast_groups_are_reported_and_receive_datagrams() {
    use rstcp::wire::igmp::{IgmpPacket, IgmpRepr};
    use rstcp::wire::{IpEndpoint, Ipv4Addr};
    let group = Ipv4Addr::new(239, 1, 2, 3);
    let mut sim = Sim::new(1500, false);
    // B listens like a multicast router: IGMPv3 reports go to 224.0.0.22.
    let igmp = sim
        .b
        .sockets
        .add(raw_socket(IpVersion::Ipv4, IpProtocol::Igmp))
        .unwrap();
    sim.b.sockets.bind_raw(igmp).unwrap();
    sim.b
        .iface
        .join_ipv4_group(Ipv4Addr::new(224, 0, 0, 22), sim.now)
        .unwrap();
    sim.run_for(Duration::from_secs(3));
    while sim
        .b
        .sockets
        .get_mut::<RawSocket>(igmp)
        .unwrap()
        .recv()
        .is_ok()
    {}

    sim.a.iface.join_ipv4_group(group, sim.now).unwrap();
    sim.run_for(Duration::from_secs(3));
    // RFC 3376 §5.1: the state change is reported Robustness (2) times.
    let mut reports = 0;
    while let Ok(p) = sim.b.sockets.get_mut::<RawSocket>(igmp).unwrap().recv() {
        let ip = Ipv4Packet::new_checked(p).unwrap();
        assert_eq!(
            (ip.src_addr(), ip.dst_addr(), ip.hop_limit()),
            (IP4_A, Ipv4Addr::new(224, 0, 0, 22), 1)
        );
        assert_eq!(ip.options(), &[0x94, 4, 0, 0], "router alert");
        let repr = IgmpRepr::parse(
            &IgmpPacket::new_checked(ip.payload()).unwrap(),
            ChecksumMode::Check,
        )
        .unwrap();
        assert!(
            matches!(repr, IgmpRepr::MembershipReportV3 { .. }),
            "{repr:?}"
        );
        reports += 1;
    }
    assert_eq!(reports, 2);

    // Datagrams to the group reach a socket on a member, not on others.
    let server = sim.a.udp(5000, 4096);
    let client = sim.b.udp(0, 4096);
    sim.b
        .udp_socket(client)
        .send_slice(
            b"to the group",
            IpEndpoint::new(IpAddr::V4(group), 5000).into(),
        )
        .unwrap();
    assert!(sim.run_until(Duration::from_secs(1), |s| s
        .a
        .udp_socket(server)
        .can_recv()));
    let (data, meta) = sim.a.udp_socket(server).recv().unwrap();
    assert_eq!(
        (data, meta.local_address),
        (&b"to the group"[..], Some(IpAddr::V4(group)))
    );

    assert!(sim.a.iface.leave_ipv4_group(&group, sim.now));
    sim.b
        .udp_socket(client)
        .send_slice(
            b"after leave",
            IpEndpoint::new(IpAddr::V4(group), 5000).into(),
        )
        .unwrap();
    sim.run_for(Duration::from_secs(1));
    assert!(!sim.a.udp_socket(server).can_recv(), "left the group");
}
