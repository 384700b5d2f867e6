//! The interface's path MTU cache (RFC 1191, RFC 8201) in simulated time:
//! two interfaces through a bridge that plays a router with a small next
//! hop (tests/src/relay.rs), answering Packet Too Big / Fragmentation
//! Needed. What it checks: one cache per destination, fed only by reports
//! that quote a packet we sent (RFC 5927), floors, aging (RFC 8201 §5.3),
//! and every sender using it: UDP fragments to it, TCP clamps to it.

use rstcp::iface::pmtu::PMTU_AGE;
use rstcp::socket::SocketHandle;
use rstcp::time::Duration;
use rstcp::wire::icmpv4::Icmpv4DstUnreachable;
use rstcp::wire::{IpAddr, IpEndpoint};
use rstcp_tests::relay::*;
use rstcp_tests::sim::{self, *};

const PORT: u16 = 4000;

/// The IP total length of the packet in an Ethernet frame.
fn ip_len(frame: &[u8]) -> usize {
    match frame.get(14).map(|b| b >> 4) {
        Some(4) => usize::from(u16::from_be_bytes([frame[16], frame[17]])),
        Some(6) => 40 + usize::from(u16::from_be_bytes([frame[18], frame[19]])),
        _ => 0,
    }
}

/// A router on the way from A to B whose next hop carries `mtu` bytes:
/// bigger IPv6 packets get a Packet Too Big, bigger IPv4 ones with DF a
/// Fragmentation Needed; bigger IPv4 ones without DF it fragments, which
/// here shows as passing (B reassembles either way).
fn small_hop(r: &mut Relay, mtu: usize) {
    r.set_filter(move |dir, frame, _| {
        if dir != Dir::AtoB || ip_len(frame) <= mtu {
            return Verdict::Pass;
        }
        match frame.get(14).map(|b| b >> 4) {
            Some(6) => Verdict::Reply(icmpv6_packet_too_big(frame, IP6_B, mtu as u32).unwrap()),
            Some(4) if frame.get(20).is_some_and(|b| b & 0x40 != 0) => Verdict::Reply(
                icmpv4_unreachable(frame, IP4_B, Icmpv4DstUnreachable::FragRequired, mtu as u16)
                    .unwrap(),
            ),
            _ => Verdict::Pass,
        }
    });
}

/// A new TCP connection from A to B's `listener` on port 80 at `to`.
fn connect(r: &mut Relay, listener: SocketHandle, to: IpAddr) -> SocketHandle {
    let client = r.a.tcp(64 * 1024);
    let remote = IpEndpoint::new(to, 80);
    sim::establish(r, listener, client, remote, Duration::from_secs(5)).expect("connected");
    client
}

/// Sends `len` bytes of UDP from A's `from` socket to B's port; true when
/// B's socket `to` received it whole within a second.
fn udp_through(
    r: &mut Relay,
    from: SocketHandle,
    to: SocketHandle,
    dst: IpAddr,
    len: usize,
) -> bool {
    let data: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
    r.a.udp_socket(from)
        .send_slice(&data, IpEndpoint::new(dst, PORT).into())
        .unwrap();
    let mut got = None;
    r.run_until(Duration::from_secs(1), |r| {
        if let Ok((bytes, _)) = r.b.udp_socket(to).recv() {
            got = Some(bytes.to_vec());
        }
        got.is_some()
    });
    got.is_some_and(|g| g == data)
}

/// A and B with UDP sockets (A's on 5000, B's on PORT) after a datagram
/// to B over IPv6 bounced off a 1280-byte hop: A's path MTU to B is 1280.
fn learnt_over_udp() -> (Relay, SocketHandle, SocketHandle) {
    let mut r = Relay::new(1500);
    let tx = r.a.udp(5000, 64 * 1024);
    let rx = r.b.udp(PORT, 64 * 1024);
    let b = IpAddr::V6(IP6_B);
    small_hop(&mut r, 1280);
    assert!(!udp_through(&mut r, tx, rx, b, 4000), "the first is lost");
    assert_eq!(r.a.iface.path_mtu(&b, r.now), 1280);
    (r, tx, rx)
}

/// Every frame A sent toward B since `mark`, as IP lengths: recorded by a
/// filter that passes everything.
fn record_sizes(r: &mut Relay) -> std::rc::Rc<std::cell::RefCell<Vec<usize>>> {
    let sizes = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let s = sizes.clone();
    r.set_filter(move |dir, frame, _| {
        if dir == Dir::AtoB {
            s.borrow_mut().push(ip_len(frame));
        }
        Verdict::Pass
    });
    sizes
}

#[test]
fn rfc8201_packet_too_big_for_udp_is_cached_and_later_datagrams_fragment_to_it() {
    let mut r = Relay::new(1500);
    let tx = r.a.udp(5000, 64 * 1024);
    let rx = r.b.udp(PORT, 64 * 1024);
    let b = IpAddr::V6(IP6_B);
    assert_eq!(r.a.iface.path_mtu(&b, r.now), 1500);
    small_hop(&mut r, 1280);
    // The first 4000-byte datagram goes in 1500-byte fragments: the first
    // bounces (and the datagram is lost, UDP is unreliable)...
    assert!(!udp_through(&mut r, tx, rx, b, 4000));
    // ... but the report quoted our datagram from a bound port: learnt.
    assert_eq!(r.a.iface.path_mtu(&b, r.now), 1280);
    assert_eq!(
        r.a.iface.path_mtu(&IpAddr::V4(IP4_B), r.now),
        1500,
        "per destination"
    );
    // RFC 8200 §4.5: the source fragments to the path MTU.
    assert!(udp_through(&mut r, tx, rx, b, 4000));
    let sizes = record_sizes(&mut r);
    assert!(udp_through(&mut r, tx, rx, b, 4000));
    let sizes = sizes.borrow();
    assert!(sizes.len() >= 4, "{sizes:?}");
    assert!(sizes.iter().all(|&l| l <= 1280), "{sizes:?}");
}

#[test]
fn rfc8201_5_3_the_path_mtu_ages_out_after_ten_minutes() {
    let (mut r, tx, rx) = learnt_over_udp();
    let b = IpAddr::V6(IP6_B);
    r.pass_all();
    r.run_for(PMTU_AGE - Duration::from_secs(2));
    assert_eq!(r.a.iface.path_mtu(&b, r.now), 1280);
    r.run_for(Duration::from_secs(3));
    // The link MTU is tried again: a path that grew is used.
    assert_eq!(r.a.iface.path_mtu(&b, r.now), 1500);
    let sizes = record_sizes(&mut r);
    assert!(udp_through(&mut r, tx, rx, b, 4000));
    assert!(
        sizes.borrow().iter().any(|&l| l > 1280),
        "{:?}",
        sizes.borrow()
    );
}

#[test]
fn rfc5927_reports_that_quote_no_packet_of_ours_are_ignored() {
    let mut r = Relay::new(1500);
    let tx = r.a.udp(5000, 64 * 1024);
    let rx = r.b.udp(PORT, 64 * 1024);
    let b = IpAddr::V6(IP6_B);
    // Capture a real datagram of A's to forge reports from.
    let captured = std::rc::Rc::new(std::cell::RefCell::new(None));
    let c = captured.clone();
    r.set_filter(move |dir, frame, _| {
        if dir == Dir::AtoB && ip_len(frame) > 1280 && c.borrow().is_none() {
            *c.borrow_mut() = Some(frame.to_vec());
        }
        Verdict::Pass
    });
    udp_through(&mut r, tx, rx, b, 4000);
    let frame = captured.borrow().clone().expect("a big frame");
    let dropped = r.a.iface.stats().dropped_total();

    // A different source port: no socket sent it.
    let mut other_port = frame.clone();
    other_port[14 + 40 + 8..14 + 40 + 10].copy_from_slice(&5001u16.to_be_bytes());
    // A source that is not ours (RFC 5927 §4.1: matching addresses).
    let mut other_src = frame.clone();
    other_src[14 + 8 + 15] ^= 0x55;
    for forged in [other_port, other_src] {
        let ptb = icmpv6_packet_too_big(&forged, IP6_B, 1280).unwrap();
        r.inject(Dir::BtoA, &ptb);
        r.run_for(Duration::from_millis(10));
        assert_eq!(r.a.iface.path_mtu(&b, r.now), 1500, "forged report taken");
    }
    assert_eq!(
        r.a.iface.stats().dropped_total(),
        dropped + 2,
        "each counted"
    );
    // RFC 5927 §7.2: an MTU not below the quoted packet is no report.
    let ptb = icmpv6_packet_too_big(&frame, IP6_B, 1500).unwrap();
    r.inject(Dir::BtoA, &ptb);
    r.run_for(Duration::from_millis(10));
    assert_eq!(r.a.iface.path_mtu(&b, r.now), 1500);
    // The genuine one is taken.
    let ptb = icmpv6_packet_too_big(&frame, IP6_B, 1280).unwrap();
    r.inject(Dir::BtoA, &ptb);
    r.run_for(Duration::from_millis(10));
    assert_eq!(r.a.iface.path_mtu(&b, r.now), 1280);
}

#[test]
fn rfc8201_4_ipv6_never_below_1280_and_ipv4_stops_at_its_floor() {
    let mut r = Relay::new(1500);
    let tx = r.a.udp(5000, 64 * 1024);
    let rx = r.b.udp(PORT, 64 * 1024);
    // A router claiming a 600-byte IPv6 hop: 1280 is the least taken.
    let b6 = IpAddr::V6(IP6_B);
    r.set_filter(|dir, frame, _| match frame.get(14).map(|b| b >> 4) {
        Some(6) if dir == Dir::AtoB && ip_len(frame) > 1280 => {
            Verdict::Reply(icmpv6_packet_too_big(frame, IP6_B, 600).unwrap())
        }
        _ => Verdict::Pass,
    });
    udp_through(&mut r, tx, rx, b6, 4000);
    assert_eq!(r.a.iface.path_mtu(&b6, r.now), 1280);
    // IPv4: a TCP segment (DF) bounced with a 100-byte next hop: 552.
    let listener = r.b.tcp_listener(80, 4, 4, 1, 64 * 1024);
    let b4 = IpAddr::V4(IP4_B);
    let client = connect(&mut r, listener, b4);
    small_hop(&mut r, 600);
    r.set_filter(|dir, frame, seg| match seg {
        Some(s) if dir == Dir::AtoB && s.ip_len > 600 => Verdict::Reply(
            icmpv4_unreachable(frame, IP4_B, Icmpv4DstUnreachable::FragRequired, 100).unwrap(),
        ),
        _ => Verdict::Pass,
    });
    r.a.tcp_socket(client).send_slice(&[1u8; 3000]).unwrap();
    r.run_for(Duration::from_millis(200));
    assert_eq!(r.a.iface.path_mtu(&b4, r.now), 552);
}

#[test]
fn rfc8201_a_path_mtu_learnt_on_one_connection_clamps_the_others_and_new_ones() {
    let mut r = Relay::new(1500);
    let b = IpAddr::V6(IP6_B);
    let listener = r.b.tcp_listener(80, 4, 4, 3, 64 * 1024);
    let first = connect(&mut r, listener, b);
    let second = connect(&mut r, listener, b);
    let full = r.a.tcp_socket(second).stats().mss;
    assert!(full > 1280, "{full}");
    small_hop(&mut r, 1280);
    // Only the first connection sends; its segments bounce.
    r.a.tcp_socket(first).send_slice(&[1u8; 5000]).unwrap();
    r.run_for(Duration::from_millis(100));
    assert_eq!(r.a.iface.path_mtu(&b, r.now), 1280);
    let clamped = r.a.tcp_socket(first).stats().mss;
    assert!(clamped + 60 <= 1280, "{clamped}");
    // The second connection, which never sent a big segment, is clamped.
    assert_eq!(r.a.tcp_socket(second).stats().mss, clamped);
    // A new connection starts at the path MTU, not the link's.
    let third = connect(&mut r, listener, b);
    assert!(r.a.tcp_socket(third).stats().mss + 60 <= 1280);
}

#[test]
fn rfc8200_4_5_a_raw_packet_over_the_path_mtu_is_fragmented_at_the_source() {
    use rstcp::socket::raw::{IpVersion, RawSocket};
    use rstcp::storage::{PacketBuffer, PacketMetadata};
    use rstcp::wire::icmpv6::Icmpv6Repr;
    use rstcp::wire::IpProtocol;
    let (mut r, _, _) = learnt_over_udp();

    let buf = || PacketBuffer::new(vec![PacketMetadata::EMPTY; 4], vec![0u8; 8192]);
    let raw = RawSocket::new(IpVersion::Ipv6, IpProtocol::Icmpv6, buf(), buf());
    let raw = r.a.sockets.add(raw).unwrap();
    r.a.sockets.bind_raw(raw).unwrap();
    let echo = Icmpv6Repr::EchoRequest {
        ident: 7,
        seq_no: 1,
        data: &[0x5a; 3000],
    };
    let packet = rstcp_tests::ndsim::icmp_packet(IP6_A, IP6_B, &echo);
    let sizes = record_sizes(&mut r);
    let reassembled = r.b.iface.stats().reassembled;
    r.a.sockets
        .get_mut::<RawSocket>(raw)
        .unwrap()
        .send_slice(&packet)
        .unwrap();
    assert!(
        r.run_until(Duration::from_secs(1), |r| r.b.iface.stats().reassembled
            > reassembled)
    );
    let sizes = sizes.borrow();
    assert!(sizes.len() >= 3, "{sizes:?}");
    assert!(sizes.iter().all(|&l| l <= 1280), "{sizes:?}");
}

#[test]
fn rfc5927_4_1_a_packet_too_big_quoting_a_segment_not_in_flight_is_ignored() {
    let mut r = Relay::new(1500);
    let b = IpAddr::V6(IP6_B);
    let listener = r.b.tcp_listener(80, 4, 4, 1, 64 * 1024);
    let client = connect(&mut r, listener, b);
    // Capture one full-sized data segment of A's.
    let captured = std::rc::Rc::new(std::cell::RefCell::new(None));
    let c = captured.clone();
    r.set_filter(move |dir, frame, seg| {
        if dir == Dir::AtoB && seg.is_some_and(|s| s.len > 1000) && c.borrow().is_none() {
            *c.borrow_mut() = Some(frame.to_vec());
        }
        Verdict::Pass
    });
    r.a.tcp_socket(client).send_slice(&[3u8; 3000]).unwrap();
    r.run_for(Duration::from_millis(100));
    let frame = captured.borrow().clone().expect("a segment");
    let mss = r.a.tcp_socket(client).stats().mss;
    // Its sequence number moved far out of the window: a blind forgery.
    let mut forged = frame.clone();
    let at = 14 + 40 + 4;
    let seq = u32::from_be_bytes(forged[at..at + 4].try_into().unwrap());
    forged[at..at + 4].copy_from_slice(&seq.wrapping_add(1 << 30).to_be_bytes());
    let dropped = r.a.iface.stats().dropped_total();
    r.inject(
        Dir::BtoA,
        &icmpv6_packet_too_big(&forged, IP6_B, 1280).unwrap(),
    );
    r.run_for(Duration::from_millis(10));
    assert_eq!(r.a.iface.path_mtu(&b, r.now), 1500, "forged: not learnt");
    assert_eq!(r.a.tcp_socket(client).stats().mss, mss, "forged: MSS kept");
    assert_eq!(r.a.iface.stats().dropped_total(), dropped + 1, "counted");
    // A segment held back stays in flight: a report quoting it is taken.
    let held = std::rc::Rc::new(std::cell::RefCell::new(None));
    let h = held.clone();
    r.set_filter(move |dir, frame, seg| {
        if dir == Dir::AtoB && seg.is_some_and(|s| s.len > 1000) {
            h.borrow_mut().get_or_insert_with(|| frame.to_vec());
            return Verdict::Drop;
        }
        Verdict::Pass
    });
    r.a.tcp_socket(client).send_slice(&[5u8; 3000]).unwrap();
    r.run_for(Duration::from_millis(5));
    let in_flight = held.borrow().clone().expect("a segment in flight");
    r.inject(
        Dir::BtoA,
        &icmpv6_packet_too_big(&in_flight, IP6_B, 1280).unwrap(),
    );
    r.run_for(Duration::from_millis(5));
    assert_eq!(r.a.iface.path_mtu(&b, r.now), 1280);
    assert!(r.a.tcp_socket(client).stats().mss + 60 <= 1280);
}

/// RFC 8201 §4, §5.3 (RFC 1191 §6.3): once the path MTU estimate ages out
/// (10 minutes) the larger MTU is tried again, and the open TCP connections
/// to that destination whose MSS it had clamped get their MSS back, up to
/// what the peer's SYN MSS and the link allow: a path that grew is used by
/// connections, not only by new datagrams.
#[test]
fn rfc8201_5_3_an_aged_out_path_mtu_raises_the_mss_of_open_connections_again() {
    let mut r = Relay::new(1500);
    let b = IpAddr::V6(IP6_B);
    let listener = r.b.tcp_listener(80, 4, 4, 3, 64 * 1024);
    let first = connect(&mut r, listener, b);
    let full = r.a.tcp_socket(first).stats().mss;
    assert!(full + 60 > 1280, "{full}");
    small_hop(&mut r, 1280);
    r.a.tcp_socket(first).send_slice(&[1u8; 5000]).unwrap();
    r.run_for(Duration::from_millis(100));
    let learnt_at = r.now;
    assert_eq!(r.a.iface.path_mtu(&b, r.now), 1280);
    // One connection clamped by the report, one opened while it held.
    let late = connect(&mut r, listener, b);
    for c in [first, late] {
        assert!(r.a.tcp_socket(c).stats().mss + 60 <= 1280);
    }
    // The path grows; the interface asks to be polled when the entry ages.
    r.pass_all();
    r.run_for(Duration::from_secs(5));
    let at = r.a.iface.poll_at(r.now, &r.a.sockets).expect("a deadline");
    assert!(at <= learnt_at + PMTU_AGE, "{at} {learnt_at}");
    r.run_for(PMTU_AGE);
    assert_eq!(r.a.iface.path_mtu(&b, r.now), 1500);
    for c in [first, late] {
        assert_eq!(r.a.tcp_socket(c).stats().mss, full, "raised back");
    }
    // And segments over the old path MTU go out, intact.
    let sizes = record_sizes(&mut r);
    r.a.tcp_socket(first).send_slice(&[2u8; 5000]).unwrap();
    r.run_for(Duration::from_millis(100));
    assert!(
        sizes.borrow().iter().any(|&l| l > 1280),
        "{:?}",
        sizes.borrow()
    );
}
