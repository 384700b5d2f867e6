//! Two interfaces on an in-memory link, in simulated time: ping (v4, v6,
//! fragmented), UDP echo of large datagrams, ARP queueing, ICMP errors,
//! fragment reassembly in every order, reassembly timeout, RFC 5227.

use rstcp::iface::{DropReason, Event};
use rstcp::socket::udp::{SocketError, UdpMetadata};
use rstcp::time::{Duration, Instant};
use rstcp::wire::ethernet::EtherType;
use rstcp::wire::icmpv4::{Icmpv4Packet, Icmpv4Repr};
use rstcp::wire::icmpv6::{Icmpv6Packet, Icmpv6Repr};
use rstcp::wire::ipv4::{Ipv4Packet, Ipv4Repr};
use rstcp::wire::{ChecksumMode, IpAddr, IpEndpoint, IpProtocol};
use rstcp_tests::bulk::Pattern;
use rstcp_tests::sim::*;

#[test]
fn ping_v4_resolves_arp_and_gets_the_reply() {
    let mut sim = Sim::new(1500, false);
    let h = sim.a.icmp(0x1234, 4096);
    let req = echo_request_v4(0x1234, 1, b"hello rstcp");
    sim.a
        .icmp_socket(h)
        .send_slice(&req, IpAddr::V4(IP4_B))
        .unwrap();
    let got = sim.run_until(Duration::from_secs(2), |s| s.a.icmp_socket(h).can_recv());
    assert!(got, "no echo reply within 2 s");
    let (msg, from) = sim
        .a
        .icmp_socket(h)
        .recv()
        .map(|(m, f)| (m.to_vec(), f))
        .unwrap();
    assert_eq!(from, IpAddr::V4(IP4_B));
    let p = Icmpv4Packet::new_checked(&msg[..]).unwrap();
    let repr = Icmpv4Repr::parse(&p, ChecksumMode::Check).expect("reply checksum valid");
    assert_eq!(
        repr,
        Icmpv4Repr::EchoReply {
            ident: 0x1234,
            seq_no: 1,
            data: b"hello rstcp"
        }
    );
    // Both sides learnt each other: B from A's request (RFC 826), A from B's reply.
    assert!(
        sim.a
            .iface
            .arp_cache()
            .get(&IP4_B, sim.now)
            .and_then(|e| e.hw)
            == Some(MAC_B)
    );
    assert!(
        sim.b
            .iface
            .arp_cache()
            .get(&IP4_A, sim.now)
            .and_then(|e| e.hw)
            == Some(MAC_A)
    );
    // A's MLD reports to ff02::16 (RFC 3810 §5.2.14) reach B, which does
    // not listen there: the only frames B may drop.
    let b = sim.b.iface.stats();
    assert_eq!(b.dropped_total(), b.dropped(DropReason::NotForUs));
}

#[test]
fn ping_v6_resolves_with_neighbor_solicitation() {
    let mut sim = Sim::new(1500, false);
    let h = sim.a.icmp(0x77, 4096);
    let req = echo_request_v6(0x77, 9, b"over ipv6");
    sim.a
        .icmp_socket(h)
        .send_slice(&req, IpAddr::V6(IP6_B))
        .unwrap();
    assert!(sim.run_until(Duration::from_secs(2), |s| s.a.icmp_socket(h).can_recv()));
    let (msg, from) = sim
        .a
        .icmp_socket(h)
        .recv()
        .map(|(m, f)| (m.to_vec(), f))
        .unwrap();
    assert_eq!(from, IpAddr::V6(IP6_B));
    let p = Icmpv6Packet::new_checked(&msg[..]).unwrap();
    let repr =
        Icmpv6Repr::parse(&IP6_B, &IP6_A, &p, ChecksumMode::Check).expect("reply checksum valid");
    assert_eq!(
        repr,
        Icmpv6Repr::EchoReply {
            ident: 0x77,
            seq_no: 9,
            data: b"over ipv6"
        }
    );
    assert!(
        sim.a
            .iface
            .neighbor_cache()
            .get(&IP6_B, sim.now)
            .and_then(|e| e.hw)
            == Some(MAC_B)
    );
}

#[test]
fn ping_10000_bytes_goes_through_fragmentation_both_ways() {
    let mut sim = Sim::new(1500, false);
    let h = sim.a.icmp(7, 32 * 1024);
    let data = Pattern::bytes(7, 10_000);
    let req = echo_request_v4(7, 1, &data);
    sim.a
        .icmp_socket(h)
        .send_slice(&req, IpAddr::V4(IP4_B))
        .unwrap();
    assert!(sim.run_until(Duration::from_secs(2), |s| s.a.icmp_socket(h).can_recv()));
    let (msg, _) = sim
        .a
        .icmp_socket(h)
        .recv()
        .map(|(m, f)| (m.to_vec(), f))
        .unwrap();
    let p = Icmpv4Packet::new_checked(&msg[..]).unwrap();
    match Icmpv4Repr::parse(&p, ChecksumMode::Check).unwrap() {
        Icmpv4Repr::EchoReply { data: got, .. } => assert!(got == &data[..], "echoed data differs"),
        other => panic!("not an echo reply: {other:?}"),
    }
    // 10 008 bytes of ICMP in 1480-byte pieces: 7 fragments each way.
    assert_eq!(sim.a.iface.stats().fragments_sent, 7);
    assert_eq!(sim.b.iface.stats().fragments_sent, 7);
    assert_eq!(sim.a.iface.stats().reassembled, 1);
    assert_eq!(sim.b.iface.stats().reassembled, 1);
}

#[test]
fn ping_v6_10000_bytes_goes_through_fragmentation_both_ways() {
    // RFC 8200 §4.5: the source fragments, the destination reassembles.
    let mut sim = Sim::new(1500, false);
    let h = sim.a.icmp(7, 32 * 1024);
    let data = Pattern::bytes(7, 10_000);
    let req = echo_request_v6(7, 1, &data);
    sim.a
        .icmp_socket(h)
        .send_slice(&req, IpAddr::V6(IP6_B))
        .unwrap();
    assert!(sim.run_until(Duration::from_secs(2), |s| s.a.icmp_socket(h).can_recv()));
    let (msg, from) = sim
        .a
        .icmp_socket(h)
        .recv()
        .map(|(m, f)| (m.to_vec(), f))
        .unwrap();
    assert_eq!(from, IpAddr::V6(IP6_B));
    let p = Icmpv6Packet::new_checked(&msg[..]).unwrap();
    match Icmpv6Repr::parse(&IP6_B, &IP6_A, &p, ChecksumMode::Check).expect("checksum valid") {
        Icmpv6Repr::EchoReply { data: got, .. } => assert!(got == &data[..], "echoed data differs"),
        other => panic!("not an echo reply: {other:?}"),
    }
    // 10 008 bytes of ICMPv6; a piece holds 1500 - 40 - 8 = 1452 bytes, all
    // but the last a multiple of 8 (1448): 7 fragments each way.
    assert_eq!(sim.a.iface.stats().fragments_sent, 7);
    assert_eq!(sim.b.iface.stats().fragments_sent, 7);
    assert_eq!(sim.a.iface.stats().reassembled, 1);
    assert_eq!(sim.b.iface.stats().reassembled, 1);
    // A's MLD reports to ff02::16 (RFC 3810 §5.2.14) reach B, which does
    // not listen there: the only frames B may drop.
    let b = sim.b.iface.stats();
    assert_eq!(b.dropped_total(), b.dropped(DropReason::NotForUs));
}

#[test]
fn udp_over_ipv6_carries_a_60000_byte_datagram() {
    let mut sim = Sim::new(1500, false);
    let client = sim.a.udp(0, 256 * 1024);
    let server = sim.b.udp(7, 256 * 1024);
    let sent = Pattern::bytes(7, 60_000);
    sim.a
        .udp_socket(client)
        .send_slice(&sent, IpEndpoint::new(IpAddr::V6(IP6_B), 7).into())
        .unwrap();
    let mut got = None;
    assert!(sim.run_until(Duration::from_secs(2), |s| {
        if let Ok((d, m)) = s.b.udp_socket(server).recv() {
            got = Some((d.to_vec(), m.endpoint.addr));
        }
        got.is_some()
    }));
    let (data, from) = got.unwrap();
    assert!(data == sent, "datagram differs");
    assert_eq!(from, IpAddr::V6(IP6_A));
    assert_eq!(sim.b.iface.stats().reassembled, 1);
}

#[test]
fn udp_echo_of_60000_byte_datagrams_over_mtu_1500() {
    let mut sim = Sim::new(1500, false);
    let client = sim.a.udp(0, 256 * 1024);
    let server = sim.b.udp(7, 256 * 1024);
    let sent: Vec<Vec<u8>> = (0..3)
        .map(|i| Pattern::bytes(i as u64, 60_000 - i * 1000))
        .collect();
    for d in &sent {
        sim.a
            .udp_socket(client)
            .send_slice(d, IpEndpoint::new(IpAddr::V4(IP4_B), 7).into())
            .unwrap();
    }
    let mut echoed = 0;
    let mut received = Vec::new();
    let ok = sim.run_until(Duration::from_secs(5), |s| {
        while let Ok((data, meta)) = s.b.udp_socket(server).recv().map(|(d, m)| (d.to_vec(), m)) {
            s.b.udp_socket(server)
                .send_slice(&data, meta.endpoint.into())
                .unwrap();
            echoed += 1;
        }
        while let Ok((data, _)) = s.a.udp_socket(client).recv().map(|(d, m)| (d.to_vec(), m)) {
            received.push(data);
        }
        received.len() == sent.len()
    });
    assert!(
        ok,
        "echoed {echoed}, received {} of {}",
        received.len(),
        sent.len()
    );
    assert_eq!(received, sent);
    assert_eq!(sim.b.iface.stats().reassembled, 3);
}

#[test]
fn datagrams_sent_before_arp_resolves_all_arrive_in_order() {
    let mut sim = Sim::new(1500, false);
    let client = sim.a.udp(0, 16 * 1024);
    let server = sim.b.udp(9000, 16 * 1024);
    let dst: UdpMetadata = IpEndpoint::new(IpAddr::V4(IP4_B), 9000).into();
    for i in 0..5u8 {
        sim.a.udp_socket(client).send_slice(&[i; 100], dst).unwrap();
    }
    // The first poll only sends the ARP request (and the MLD report of A's
    // solicited-node groups, RFC 3810 §6.1): nothing may be lost while it waits.
    sim.step();
    assert_eq!(
        sim.link.stats(Side::A).sent_frames,
        2,
        "one ARP request, one MLD report, no data yet"
    );
    let mut got = Vec::new();
    assert!(sim.run_until(Duration::from_secs(2), |s| {
        while let Ok((d, _)) = s.b.udp_socket(server).recv().map(|(d, m)| (d.to_vec(), m)) {
            got.push(d[0]);
        }
        got.len() == 5
    }));
    assert_eq!(got, vec![0, 1, 2, 3, 4]);
    // B's MLD reports to ff02::16 are the only frames A may drop.
    let a = sim.a.iface.stats();
    assert_eq!(a.dropped_total(), a.dropped(DropReason::NotForUs));
}

#[test]
fn udp_to_a_closed_port_is_refused_by_icmp() {
    let mut sim = Sim::new(1500, false);
    let client = sim.a.udp(0, 4096);
    let remote = IpEndpoint::new(IpAddr::V4(IP4_B), 4444);
    sim.a.udp_socket(client).connect(remote).unwrap();
    sim.a
        .udp_socket(client)
        .send_slice_connected(b"anyone?")
        .unwrap();
    assert!(sim.run_until(Duration::from_secs(2), |s| s
        .b
        .iface
        .stats()
        .dropped(DropReason::NoSocket)
        == 1));
    sim.run_for(Duration::from_millis(10));
    assert_eq!(
        sim.a.udp_socket(client).take_error(),
        Some(SocketError::ConnectionRefused)
    );
    assert_eq!(sim.a.udp_socket(client).take_error(), None, "reported once");
    assert_eq!(sim.b.iface.stats().icmp_errors_sent, 1);
}

/// The smoltcp way: bind the socket itself, before adding it (server) or
/// through `get_mut` after (client). Both must receive, not only sockets
/// bound through `SocketSet::bind_udp` (issue 14: they used to get `Ok` and
/// then nothing, the datagram refused with port unreachable).
#[test]
fn udp_sockets_bound_directly_receive() {
    use rstcp::socket::udp::UdpSocket;
    use rstcp::storage::{PacketBuffer, PacketMetadata};
    let buf = || {
        PacketBuffer::new(
            vec![PacketMetadata::<UdpMetadata>::EMPTY; 8],
            vec![0u8; 4096],
        )
    };
    let mut sim = Sim::new(1500, false);
    let mut server = UdpSocket::new(buf(), buf());
    server.bind(5000).unwrap();
    let server = sim.b.sockets.add(server).unwrap();
    let client = sim.a.sockets.add(UdpSocket::new(buf(), buf())).unwrap();
    sim.a.udp_socket(client).bind(6000).unwrap();
    let to_server = IpEndpoint::new(IpAddr::V4(IP4_B), 5000);
    sim.a
        .udp_socket(client)
        .send_slice(b"ping", to_server.into())
        .unwrap();
    assert!(sim.run_until(Duration::from_secs(2), |s| s
        .b
        .udp_socket(server)
        .can_recv()));
    let (data, meta) = sim
        .b
        .udp_socket(server)
        .recv()
        .map(|(d, m)| (d.to_vec(), m))
        .unwrap();
    assert_eq!(data, b"ping");
    assert_eq!(meta.endpoint.port, 6000);
    sim.b
        .udp_socket(server)
        .send_slice(b"pong", meta.endpoint.into())
        .unwrap();
    assert!(sim.run_until(Duration::from_secs(2), |s| s
        .a
        .udp_socket(client)
        .can_recv()));
    assert_eq!(sim.a.udp_socket(client).recv().unwrap().0, b"pong");
    assert_eq!(sim.a.iface.stats().dropped(DropReason::NoSocket), 0);
    assert_eq!(sim.b.iface.stats().dropped(DropReason::NoSocket), 0);
}

#[test]
fn udp_over_ipv6() {
    let mut sim = Sim::new(1500, false);
    let client = sim.a.udp(0, 4096);
    let server = sim.b.udp(5353, 4096);
    sim.a
        .udp_socket(client)
        .send_slice(
            b"v6 datagram",
            IpEndpoint::new(IpAddr::V6(IP6_B), 5353).into(),
        )
        .unwrap();
    assert!(sim.run_until(Duration::from_secs(2), |s| s
        .b
        .udp_socket(server)
        .can_recv()));
    let (d, meta) = sim
        .b
        .udp_socket(server)
        .recv()
        .map(|(d, m)| (d.to_vec(), m))
        .unwrap();
    assert_eq!(d, b"v6 datagram");
    assert_eq!(meta.endpoint.addr, IpAddr::V6(IP6_A));
}

/// Builds the IPv4 fragments (header + payload bytes, as on the wire) of
/// one echo request from A to B, cut at `cuts` (byte offsets in the ICMP
/// message, multiples of 8).
fn fragments_of(ident: u16, message: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut bounds = vec![0];
    bounds.extend_from_slice(cuts);
    bounds.push(message.len());
    bounds
        .windows(2)
        .map(|w| {
            let (from, to) = (w[0], w[1]);
            let repr = Ipv4Repr {
                src_addr: IP4_A,
                dst_addr: IP4_B,
                next_header: IpProtocol::Icmp,
                payload_len: to - from,
                hop_limit: 64,
                dscp: 0,
                ecn: 0,
                ident,
                dont_frag: false,
                more_frags: to < message.len(),
                frag_offset: from as u16,
            };
            let mut buf = vec![0u8; 20 + to - from];
            repr.emit(
                &mut Ipv4Packet::new_unchecked(&mut buf[..]),
                ChecksumMode::Check,
            );
            buf[20..].copy_from_slice(&message[from..to]);
            buf
        })
        .collect()
}

/// Sends raw IPv4 packets from end A as if host A sent them.
fn inject(sim: &mut Sim, packets: &[Vec<u8>]) {
    for p in packets {
        assert!(
            sim.put_frame(Side::A, MAC_B, EtherType::Ipv4, p),
            "link has room"
        );
    }
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![vec![]];
    }
    let mut out = Vec::new();
    for p in permutations(n - 1) {
        for i in 0..=p.len() {
            let mut q = p.clone();
            q.insert(i, n - 1);
            out.push(q);
        }
    }
    out
}

#[test]
fn reassembly_in_every_order_with_duplicates_and_overlaps() {
    let data = Pattern::bytes(7, 2000);
    let message = echo_request_v4(0x4242, 1, &data);
    let frags = fragments_of(1, &message, &[504, 1008, 1512]);
    let overlap = fragments_of(1, &message, &[496, 1000]); // other cut points: overlapping pieces
    for (n, order) in permutations(4).into_iter().enumerate() {
        let mut sim = Sim::new(1500, false);
        let h = sim.a.icmp(0x4242, 8192);
        let mut seq: Vec<Vec<u8>> = order.iter().map(|&i| frags[i].clone()).collect();
        // A duplicate of the first piece sent, and an overlapping middle piece.
        seq.insert(1, seq[0].clone());
        seq.insert(2, overlap[1].clone());
        inject(&mut sim, &seq);
        assert!(
            sim.run_until(Duration::from_secs(1), |s| s.a.icmp_socket(h).can_recv()),
            "order {n} {order:?}: no reply"
        );
        let (msg, _) = sim
            .a
            .icmp_socket(h)
            .recv()
            .map(|(m, f)| (m.to_vec(), f))
            .unwrap();
        let p = Icmpv4Packet::new_checked(&msg[..]).unwrap();
        match Icmpv4Repr::parse(&p, ChecksumMode::Check).unwrap() {
            Icmpv4Repr::EchoReply { data: got, .. } => {
                assert!(got == &data[..], "order {order:?}: data differs")
            }
            other => panic!("not an echo reply: {other:?}"),
        }
        assert_eq!(sim.b.iface.stats().reassembled, 1);
    }
}

#[test]
fn reassembly_timeout_sends_time_exceeded_only_when_fragment_zero_arrived() {
    let message = echo_request_v4(0x99, 1, &Pattern::bytes(7, 1000));
    let frags = fragments_of(5, &message, &[504]);

    // Fragment zero only: after 30 s, ICMP Time Exceeded code 1 (RFC 792).
    let mut sim = Sim::new(1500, false);
    let h = sim.a.icmp(0x99, 8192);
    inject(&mut sim, &frags[..1]);
    sim.run_for(Duration::from_secs(29));
    assert!(
        !sim.a.icmp_socket(h).can_recv(),
        "no error before the timeout"
    );
    assert!(sim.run_until(Duration::from_secs(3), |s| s.a.icmp_socket(h).can_recv()));
    assert!(sim.now >= Instant::from_secs(30));
    let (msg, _) = sim
        .a
        .icmp_socket(h)
        .recv()
        .map(|(m, f)| (m.to_vec(), f))
        .unwrap();
    assert_eq!(
        (msg[0], msg[1]),
        (11, 1),
        "time exceeded, fragment reassembly"
    );
    assert_eq!(sim.b.iface.stats().dropped(DropReason::Reassembly), 1);

    // The last fragment only: dropped silently (RFC 1122 §3.3.2).
    let mut sim = Sim::new(1500, false);
    let h = sim.a.icmp(0x99, 8192);
    inject(&mut sim, &frags[1..]);
    sim.run_for(Duration::from_secs(40));
    assert!(!sim.a.icmp_socket(h).can_recv());
    assert_eq!(sim.b.iface.stats().dropped(DropReason::Reassembly), 1);
    assert_eq!(sim.b.iface.stats().icmp_errors_sent, 0);
}

#[test]
fn ipv4_address_is_probed_before_use_and_then_reported_ready() {
    let mut sim = Sim::new(1500, true);
    // Before probing ends, B does not answer for its address.
    let h = sim.a.icmp(1, 4096);
    sim.run_for(Duration::from_millis(500));
    assert_eq!(sim.b.iface.ipv4_addrs().count(), 0, "still probing");
    let mut ready = false;
    assert!(sim.run_until(Duration::from_secs(10), |s| {
        while let Some(e) = s.b.iface.poll_event() {
            if e == Event::AddressReady(IP4_B) {
                ready = true;
            }
        }
        ready
    }));
    // RFC 5227 §2.1.1: PROBE_WAIT (≤ 1 s) + 3 probes 1–2 s apart + ANNOUNCE_WAIT 2 s.
    assert!(
        sim.now >= Instant::from_secs(4),
        "ready too early: {}",
        sim.now
    );
    assert!(
        sim.now <= Instant::from_secs(7),
        "ready too late: {}",
        sim.now
    );
    sim.run_for(Duration::from_secs(5));
    let req = echo_request_v4(1, 1, b"x");
    sim.a
        .icmp_socket(h)
        .send_slice(&req, IpAddr::V4(IP4_B))
        .unwrap();
    assert!(sim.run_until(Duration::from_secs(2), |s| s.a.icmp_socket(h).can_recv()));
}

/// A connect while the only address of the family is still probed says
/// so (issue 14: it failed with a bare `NoSourceAddress`, which reads as a
/// configuration mistake), and succeeds once the address is ready.
#[test]
fn connect_while_the_address_is_probed_says_it_is_tentative() {
    use rstcp::iface::ConnectError;
    let mut sim = Sim::new(1500, true);
    let h = sim.a.tcp(4096);
    let remote = IpEndpoint::new(IpAddr::V4(IP4_B), 7);
    let now = sim.now;
    let early = sim.a.connect(now, h, remote, 0);
    assert_eq!(early, Err(ConnectError::SourceAddressTentative));
    let text = early.unwrap_err().to_string();
    assert!(text.contains("RFC 5227"), "{text}");
    sim.run_for(Duration::from_secs(8));
    assert_eq!(sim.a.iface.ipv4_addrs().count(), 1, "probing is over");
    let now = sim.now;
    assert!(sim.a.connect(now, h, remote, 0).is_ok());
    // Without any IPv4 address the old answer stands.
    let mut bare = Sim::new(1500, false);
    for cidr in bare.a.iface.ip_addrs().collect::<Vec<_>>() {
        if let rstcp::wire::IpCidr::V4(c) = cidr {
            bare.a.iface.remove_ipv4_address(&c.address());
        }
    }
    let h = bare.a.tcp(4096);
    let now = bare.now;
    assert_eq!(
        bare.a.connect(now, h, remote, 0),
        Err(ConnectError::NoSourceAddress)
    );
}

#[test]
fn duplicate_ipv4_address_is_reported_as_a_conflict() {
    let mut sim = Sim::new(1500, true);
    // B is already using the address A is about to probe.
    sim.run_for(Duration::from_secs(10));
    while sim.b.iface.poll_event().is_some() {}
    sim.a
        .iface
        .add_ipv4_address(rstcp::wire::Ipv4Cidr::new(IP4_B, 24).unwrap(), sim.now)
        .unwrap();
    let mut conflict = None;
    assert!(sim.run_until(Duration::from_secs(10), |s| {
        while let Some(e) = s.a.iface.poll_event() {
            if let Event::AddressConflict { address, other } = e {
                conflict = Some((address, other));
            }
        }
        conflict.is_some()
    }));
    assert_eq!(conflict, Some((IP4_B, MAC_B)));
    // B keeps its address; A never started using it.
    assert!(sim.b.iface.ipv4_addrs().any(|c| c.address() == IP4_B));
    assert!(!sim.a.iface.ipv4_addrs().any(|c| c.address() == IP4_B));
}

#[test]
fn a_datagram_the_device_refuses_is_not_counted_as_sent() {
    let mut sim = Sim::new(1500, false);
    let client = sim.a.udp(0, 16 * 1024);
    let server = sim.b.udp(9000, 16 * 1024);
    let dst: UdpMetadata = IpEndpoint::new(IpAddr::V4(IP4_B), 9000).into();
    sim.a.udp_socket(client).send_slice(&[1; 100], dst).unwrap();
    assert!(sim.run_until(Duration::from_secs(2), |s| s
        .b
        .udp_socket(server)
        .recv()
        .is_ok()));
    // A's way to B full (B does not poll): the device has no buffer left.
    while sim.put_frame(Side::A, MAC_B, EtherType::Ipv4, &[0; 20]) {}
    let before = sim.a.iface.stats().clone();
    sim.a.udp_socket(client).send_slice(&[2; 100], dst).unwrap();
    sim.a
        .iface
        .poll(sim.now, &mut sim.link.a(), &mut sim.a.sockets);
    let after = sim.a.iface.stats();
    // What the stats call sent is what the device took: nothing.
    assert_eq!(after.tx_frames, before.tx_frames);
    assert_eq!(after.tx_bytes, before.tx_bytes, "bytes of a refused frame");
}
