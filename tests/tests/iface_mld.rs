//! MLDv2 between two interfaces in simulated time (RFC 3810): B listens on
//! ff02::16 like a multicast router or snooping bridge and reads, with our
//! own `wire::mld`, the reports A puts on the wire for its solicited-node
//! groups and the groups it joins, and A's answers to B's queries.

use rstcp::iface::mld::{MldOutput, ALL_MLDV2_ROUTERS, ALL_NODES};
use rstcp::iface::{link_local_from_mac, DropReason};
use rstcp::socket::raw::{IpVersion, RawSocket};
use rstcp::socket::SocketHandle;
use rstcp::storage::{PacketBuffer, PacketMetadata};
use rstcp::time::Duration;
use rstcp::wire::ethernet::EtherType;
use rstcp::wire::icmpv6::mld::{MldRecordType, MldRepr};
use rstcp::wire::icmpv6::{Icmpv6Packet, Icmpv6Repr};
use rstcp::wire::ipv6::{Ipv6Packet, Ipv6Repr};
use rstcp::wire::{ChecksumMode, EthernetAddress, IpProtocol, Ipv6Addr};
use rstcp_tests::sim::*;

const GROUP: Ipv6Addr = Ipv6Addr::new(0xff1e, 0, 0, 0, 0, 0, 0, 0x42);

/// The solicited-node group of `a` (RFC 4291 §2.7.1).
fn solicited_node(a: Ipv6Addr) -> Ipv6Addr {
    let o = a.octets();
    Ipv6Addr::new(
        0xff02,
        0,
        0,
        0,
        0,
        1,
        0xff00 | u16::from(o[13]),
        u16::from_be_bytes([o[14], o[15]]),
    )
}

/// One MLDv2 report as B saw it: its records, sorted.
#[derive(Debug)]
struct Report {
    records: Vec<(MldRecordType, Ipv6Addr)>,
}

/// B as an MLD router: a raw ICMPv6 socket, and ff02::16 listened to.
fn listening_sim() -> (Sim, SocketHandle) {
    let mut sim = Sim::new(1500, false);
    let buf = || PacketBuffer::new(vec![PacketMetadata::EMPTY; 16], vec![0u8; 8192]);
    let raw = RawSocket::new(IpVersion::Ipv6, IpProtocol::Icmpv6, buf(), buf());
    let h = sim.b.sockets.add(raw).unwrap();
    sim.b.sockets.bind_raw(h).unwrap();
    sim.b
        .iface
        .join_ipv6_group(ALL_MLDV2_ROUTERS, sim.now)
        .unwrap();
    sim.run_for(Duration::from_secs(3));
    drain(&mut sim, h);
    (sim, h)
}

/// Every MLDv2 report from A that B's raw socket holds, each checked as RFC
/// 3810 §5 wants it on the wire.
fn drain(sim: &mut Sim, h: SocketHandle) -> Vec<Report> {
    let link_local_a = link_local_from_mac(&MAC_A);
    let mut out = Vec::new();
    while let Ok(p) = sim.b.sockets.get_mut::<RawSocket>(h).unwrap().recv() {
        let ip = Ipv6Packet::new_checked(p).unwrap();
        let repr = Ipv6Repr::parse(&ip).unwrap();
        if repr.src_addr != link_local_a || repr.next_header != IpProtocol::HopByHop {
            continue;
        }
        assert_eq!(repr.dst_addr, ALL_MLDV2_ROUTERS, "RFC 3810 §5.2.14");
        assert_eq!(repr.hop_limit, 1, "RFC 3810 §5");
        let body = ip.payload();
        // RFC 2711: Router Alert, value 0 (MLD), padded to 8 bytes.
        assert_eq!(&body[..8], &[58, 0, 5, 2, 0, 0, 1, 0]);
        let icmp = Icmpv6Packet::new_checked(&body[8..]).unwrap();
        let Icmpv6Repr::Mld(mld) =
            Icmpv6Repr::parse(&repr.src_addr, &repr.dst_addr, &icmp, ChecksumMode::Check).unwrap()
        else {
            panic!("not MLD");
        };
        assert!(matches!(mld, MldRepr::ReportV2 { .. }), "{mld:?}");
        let mut records: Vec<_> = mld
            .records()
            .map(|r| (r.record_type, r.mcast_addr))
            .collect();
        records.sort_by_key(|&(t, g)| (u8::from(t), g));
        out.push(Report { records });
    }
    out
}

/// Puts a query from B's link-local address to ff02::1 on the wire.
fn query_from_b(sim: &mut Sim, max_resp_code: u16, hop_limit: u8) {
    query_from_b_cut(sim, max_resp_code, hop_limit, 0);
}

/// [`query_from_b`] with the last `cut` bytes of the MLD message left out
/// (lengths and checksum adjusted to match).
fn query_from_b_cut(sim: &mut Sim, max_resp_code: u16, hop_limit: u8, cut: usize) {
    let msg = MldOutput {
        dst: ALL_NODES,
        repr: MldRepr::QueryV2 {
            max_resp_code,
            mcast_addr: Ipv6Addr::UNSPECIFIED,
            s_flag: false,
            qrv: 2,
            qqic: 125,
            sources: &[],
        },
    };
    let mut packet = vec![0u8; msg.datagram_len()];
    msg.emit_datagram(
        link_local_from_mac(&MAC_B),
        &mut packet,
        ChecksumMode::Check,
    )
    .unwrap();
    // The hop limit is not in the ICMPv6 pseudo-header: the checksum holds.
    packet[7] = hop_limit;
    if cut > 0 {
        packet.truncate(packet.len() - cut);
        let payload_len = (packet.len() - 40) as u16;
        packet[4..6].copy_from_slice(&payload_len.to_be_bytes());
        let mut icmp = Icmpv6Packet::new_unchecked(&mut packet[48..]);
        icmp.fill_checksum(&link_local_from_mac(&MAC_B), &ALL_NODES);
    }
    let dst = EthernetAddress::from_ipv6_multicast(&ALL_NODES);
    assert!(sim.put_frame(Side::B, dst, EtherType::Ipv6, &packet));
}

#[test]
fn a_new_interface_reports_its_solicited_node_groups() {
    // A's first reports go at creation, before B listens: a fresh A is
    // made after B joined ff02::16.
    let (mut sim, h) = listening_sim();
    let config = Host::config(MAC_A, 99, false);
    sim.a = Host::with_config(config, IP4_A, IP6_A);
    sim.run_for(Duration::from_secs(3));
    let reports = drain(&mut sim, h);
    let ll = solicited_node(link_local_from_mac(&MAC_A));
    let global = solicited_node(IP6_A);
    let saw = |g| {
        reports
            .iter()
            .filter(|r| r.records.contains(&(MldRecordType::ChangeToExclude, g)))
            .count()
    };
    // RFC 3810 §6.1: each state change Robustness (2) times.
    assert_eq!(saw(ll), 2, "{reports:?}");
    assert_eq!(saw(global), 2, "{reports:?}");
}

#[test]
fn join_and_leave_are_reported_and_queries_answered_with_every_group() {
    let (mut sim, h) = listening_sim();
    sim.a.iface.join_ipv6_group(GROUP, sim.now).unwrap();
    sim.run_for(Duration::from_secs(2));
    let reports = drain(&mut sim, h);
    assert_eq!(reports.len(), 2, "{reports:?}");
    for r in &reports {
        assert_eq!(r.records, vec![(MldRecordType::ChangeToExclude, GROUP)]);
    }

    // A General Query with a 1 s Maximum Response Delay: one report of the
    // current state of every group within it (RFC 3810 §6.2).
    query_from_b(&mut sim, 1000, 1);
    sim.run_for(Duration::from_millis(1100));
    let reports = drain(&mut sim, h);
    assert_eq!(reports.len(), 1, "{reports:?}");
    let mut want = vec![
        (MldRecordType::ModeIsExclude, GROUP),
        (MldRecordType::ModeIsExclude, solicited_node(IP6_A)),
        (
            MldRecordType::ModeIsExclude,
            solicited_node(link_local_from_mac(&MAC_A)),
        ),
    ];
    want.sort_by_key(|&(t, g)| (u8::from(t), g));
    assert_eq!(reports[0].records, want);

    // RFC 3810 §5.1.14: a query with hop limit 2 is dropped and counted.
    let before = sim.a.iface.stats().dropped(DropReason::Malformed);
    query_from_b(&mut sim, 1000, 2);
    sim.run_for(Duration::from_secs(2));
    assert_eq!(
        sim.a.iface.stats().dropped(DropReason::Malformed),
        before + 1
    );
    assert!(drain(&mut sim, h).is_empty());

    // RFC 3810 §5.1.14: a query of 26 bytes (neither MLDv1's 24 nor
    // MLDv2's 28 or more) is dropped and counted too.
    let before = sim.a.iface.stats().dropped(DropReason::Malformed);
    query_from_b_cut(&mut sim, 1000, 1, 2);
    sim.run_for(Duration::from_secs(2));
    assert_eq!(
        sim.a.iface.stats().dropped(DropReason::Malformed),
        before + 1
    );
    assert!(drain(&mut sim, h).is_empty());

    // The leave: CHANGE_TO_INCLUDE {} twice.
    assert!(sim.a.iface.leave_ipv6_group(&GROUP, sim.now));
    sim.run_for(Duration::from_secs(2));
    let reports = drain(&mut sim, h);
    assert_eq!(reports.len(), 2, "{reports:?}");
    for r in &reports {
        assert_eq!(r.records, vec![(MldRecordType::ChangeToInclude, GROUP)]);
    }
    assert!(sim.a.iface.ipv6_groups().all(|g| g != GROUP));
}
