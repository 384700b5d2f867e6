//! Neighbors that never answer must not hold up anyone else (issue 10 items
//! 19, 20, 21, 23): packets from spoofed or vanished on-link sources make the
//! stack resolve addresses that will never resolve; what those resolutions
//! hold is bounded, and the neighbors that do answer get their packets at
//! once. Two interfaces on an in-memory link in simulated time; the spoofed
//! frames are put on A's end of the wire with made-up MACs.

use rstcp::iface::neighbor::NeighborState;
use rstcp::iface::DropReason;
use rstcp::phy::{Device, RxToken, TxToken};
use rstcp::socket::tcp::State;
use rstcp::socket::udp::{UdpMetadata, UdpSocket};
use rstcp::storage::{PacketBuffer, PacketMetadata};
use rstcp::time::{Duration, Instant};
use rstcp::wire::icmpv4::{Icmpv4Packet, Icmpv4Repr};
use rstcp::wire::ipv4::Ipv4Repr;
use rstcp::wire::tcp::{TcpFlags, TcpPacket, TcpRepr, TcpSeqNumber};
use rstcp::wire::udp::{UdpPacket, UdpRepr};
use rstcp::wire::{ChecksumMode, EthernetAddress, IpAddr, IpEndpoint, IpProtocol, Ipv4Addr};
use rstcp_tests::relay::{bare_tcp, ipv4_frame};
use rstcp_tests::sim::*;

/// An on-link address of the /24 that no host answers for (.3 to .252).
fn ghost(i: u32) -> Ipv4Addr {
    Ipv4Addr::new(192, 168, 69, 3 + (i % 250) as u8)
}

/// A made-up MAC for a ghost (locally administered, never A's or B's).
fn ghost_mac(i: u32) -> EthernetAddress {
    EthernetAddress([0x02, 0x66, 0, 0, (i >> 8) as u8, i as u8])
}

/// Throws away what B sent to A's end (requests and answers for ghosts).
fn drain_a(sim: &mut Sim) {
    let mut end = sim.link.a();
    while let Some((rx, _)) = end.receive(sim.now) {
        rx.consume(|_| ());
    }
}

/// Puts `frame` on the wire from A's end; false when the link is full.
fn put(sim: &mut Sim, frame: &[u8]) -> bool {
    let mut end = sim.link.a();
    let Some(tx) = end.transmit(sim.now) else {
        return false;
    };
    tx.consume(frame.len(), |buf| buf.copy_from_slice(frame));
    true
}

fn ipv4(src: Ipv4Addr, protocol: IpProtocol, payload_len: usize, ident: u16) -> Ipv4Repr {
    Ipv4Repr {
        src_addr: src,
        dst_addr: IP4_B,
        next_header: protocol,
        payload_len,
        hop_limit: 64,
        dscp: 0,
        ecn: 0,
        ident,
        dont_frag: true,
        more_frags: false,
        frag_offset: 0,
    }
}

/// A UDP datagram from ghost `i` to B's port `port`.
fn ghost_udp(i: u32, port: u16, data: &[u8]) -> Vec<u8> {
    let src = ghost(i);
    let mut udp = vec![0u8; 8 + data.len()];
    UdpRepr {
        src_port: 40_000,
        dst_port: port,
    }
    .emit(
        &mut UdpPacket::new_unchecked(&mut udp[..]),
        &IpAddr::V4(src),
        &IpAddr::V4(IP4_B),
        data.len(),
        |p| p.copy_from_slice(data),
        ChecksumMode::Check,
    );
    let ip = ipv4(src, IpProtocol::Udp, udp.len(), i as u16);
    ipv4_frame(MAC_B, ghost_mac(i), &ip, &udp)
}

/// A SYN from ghost `i` (source port varying with `i`) to B's port 80.
fn ghost_syn(i: u32) -> Vec<u8> {
    let src = ghost(i);
    let tcp = TcpRepr {
        max_seg_size: Some(1460),
        ..bare_tcp(
            1024 + (i % 60_000) as u16,
            80,
            TcpFlags::SYN,
            TcpSeqNumber(i.wrapping_mul(2_654_435_761)),
            None,
            1024,
        )
    };
    let mut seg = vec![0u8; tcp.buffer_len()];
    tcp.emit(
        &mut TcpPacket::new_unchecked(&mut seg[..]),
        &IpAddr::V4(src),
        &IpAddr::V4(IP4_B),
        ChecksumMode::Check,
    );
    let ip = ipv4(src, IpProtocol::Tcp, seg.len(), i as u16);
    ipv4_frame(MAC_B, ghost_mac(i), &ip, &seg)
}

/// An ICMPv4 echo request from ghost `i` to B.
fn ghost_ping(i: u32) -> Vec<u8> {
    let repr = Icmpv4Repr::EchoRequest {
        ident: 7,
        seq_no: i as u16,
        data: b"are you there",
    };
    let mut msg = vec![0u8; repr.buffer_len()];
    repr.emit(
        &mut Icmpv4Packet::new_unchecked(&mut msg[..]),
        ChecksumMode::Check,
    );
    let ip = ipv4(ghost(i), IpProtocol::Icmp, msg.len(), i as u16);
    ipv4_frame(MAC_B, ghost_mac(i), &ip, &msg)
}

/// Item 23: datagrams from ten vanished on-link sources reach B's echo
/// service; its replies to them wait for neighbors that never answer. The
/// real client's echo must leave at once, the service's sends must never be
/// refused, and the ten replies must be dropped and counted once resolution
/// fails.
#[test]
fn udp_echo_is_not_held_up_by_sources_that_never_answer() {
    let mut sim = Sim::new(1500, false);
    // Room for 64 datagrams in, four out: a send path held up by one hop
    // fills it.
    let buffer = |packets| {
        PacketBuffer::new(
            vec![PacketMetadata::<UdpMetadata>::EMPTY; packets],
            vec![0u8; 4096],
        )
    };
    let echo = sim
        .b
        .sockets
        .add(UdpSocket::new(buffer(64), buffer(4)))
        .unwrap();
    sim.b.sockets.bind_udp(echo, 7).unwrap();
    let client = sim.a.udp(0, 4096);
    for i in 0..10 {
        assert!(put(&mut sim, &ghost_udp(i, 7, b"ghost")));
    }
    sim.a
        .udp_socket(client)
        .send_slice(b"real", IpEndpoint::new(IpAddr::V4(IP4_B), 7).into())
        .unwrap();
    let start = sim.now;
    let mut refused = 0;
    let mut echoed = 0;
    let answered = sim.run_until(Duration::from_secs(60), |s| {
        // The service sends only when its socket takes a datagram, as a
        // blocking send_to would: a send path held up by one hop stops it.
        while s.b.udp_socket(echo).can_send() {
            let Ok((d, m)) = s.b.udp_socket(echo).recv().map(|(d, m)| (d.to_vec(), m)) else {
                break;
            };
            echoed += 1;
            if s.b
                .udp_socket(echo)
                .send_slice(&d, m.endpoint.into())
                .is_err()
            {
                refused += 1;
            }
        }
        s.a.udp_socket(client).recv().is_ok()
    });
    assert!(answered, "no echo at all");
    let took = sim.now - start;
    assert!(
        took < Duration::from_millis(100),
        "the real echo took {took} behind the unresolvable ones"
    );
    assert_eq!(echoed, 11);
    assert_eq!(refused, 0, "the echo service's sends were refused");
    // Resolution of the ten fails within 3 s: their replies are dropped and
    // counted, and nothing is left waiting.
    sim.run_for(Duration::from_secs(5));
    let drops: Vec<_> = sim.b.iface.stats().drops().collect();
    assert_eq!(
        sim.b.iface.stats().dropped(DropReason::Unresolved),
        10,
        "{drops:?}"
    );
    assert!(sim.b.udp_socket(echo).can_send());
    assert_eq!(sim.b.iface.pending_packets(), 0);
}

/// Item 19: 2000 SYNs from unanswered addresses in the local /24 sit in a
/// large SYN queue; the listener resolves each peer for its SYN-ACK. A new
/// IPv6 peer must still be answered at once.
#[test]
fn a_new_ipv6_peer_is_answered_during_a_syn_flood_from_on_link_sources() {
    let mut sim = Sim::new(1500, false);
    let listener = sim.b.tcp_listener(80, 4096, 4, 4, 4096);
    let mut flooded = 0;
    for i in 0..2000u32 {
        if !put(&mut sim, &ghost_syn(i)) {
            sim.b
                .iface
                .poll(sim.now, &mut sim.link.b(), &mut sim.b.sockets);
            // What B sent (ARP requests, SYN-ACKs) is nobody's: drain it.
            drain_a(&mut sim);
            continue;
        }
        flooded += 1;
    }
    assert!(flooded > 1000);
    sim.b
        .iface
        .poll(sim.now, &mut sim.link.b(), &mut sim.b.sockets);
    assert!(sim.b.listener(listener).half_open() > 1000);
    let client = sim.a.tcp(4096);
    let remote = IpEndpoint::new(IpAddr::V6(IP6_B), 80);
    let start = sim.now;
    let server = establish(&mut sim, listener, client, remote, Duration::from_secs(10));
    assert!(server.is_some(), "the IPv6 peer never connected");
    let took = sim.now - start;
    assert!(
        took < Duration::from_millis(100),
        "the IPv6 peer's handshake took {took}"
    );
}

/// Item 21: a SYN flood at 10 000 SYN/s from 250 spoofed on-link sources
/// runs while a real IPv4 client connects 20 times in a row: every
/// connection must complete (within its own SYN retransmissions).
#[test]
fn a_real_client_connects_through_a_syn_flood_from_on_link_sources() {
    let mut sim = Sim::new(1500, false);
    let listener = sim.b.tcp_listener(80, 64, 32, 32, 4096);
    let remote = IpEndpoint::new(IpAddr::V4(IP4_B), 80);
    let mut n = 0u32;
    let mut bursts = 0;
    let mut burst_sent = false;
    // One SYN every 100 µs; time moves 20 µs per step, flood or not, so the
    // flood never waits for the hosts to be idle. On a real link the
    // client's ARP reply queues behind whatever the flood put on the wire
    // first: here, whenever B starts resolving A, a burst of 40 spoofed
    // SYNs lands ahead of A's answer.
    let mut flooded = |s: &mut Sim, limit: Duration, done: &mut dyn FnMut(&mut Sim) -> bool| {
        let end = s.now + limit;
        while s.now < end {
            if s.now.total_micros() % 100 == 0 && put(s, &ghost_syn(n)) {
                n += 1;
            }
            let resolving =
                s.b.iface
                    .arp_cache()
                    .get(&IP4_A, s.now)
                    .is_some_and(|e| e.state == NeighborState::Incomplete);
            if resolving && !burst_sent {
                bursts += 1;
                for _ in 0..40 {
                    if put(s, &ghost_syn(n)) {
                        n += 1;
                    }
                }
            }
            burst_sent = resolving;
            s.step();
            if done(s) {
                return true;
            }
            s.now += Duration::from_micros(20);
        }
        false
    };
    // The flood runs for a while before the client comes.
    flooded(&mut sim, Duration::from_secs(2), &mut |_| false);
    let mut connected = 0;
    for _ in 0..20 {
        let client = sim.a.tcp(4096);
        let now = sim.now;
        sim.a.connect(now, client, remote, 0).expect("connect");
        let mut accepted = None;
        let ok = flooded(&mut sim, Duration::from_secs(4), &mut |s| {
            if accepted.is_none() {
                accepted = s.b.listener(listener).accept();
            }
            accepted.is_some() && s.a.tcp_socket(client).state() == State::Established
        });
        if ok {
            connected += 1;
        }
        sim.a.tcp_socket(client).abort();
        if let Some(h) = accepted {
            sim.b.tcp_socket(h).abort();
            sim.b.sockets.remove(h);
            let fresh = sim.b.tcp(4096);
            let _ = sim.b.listener(listener).provide(fresh);
        }
        sim.a.sockets.remove(client);
    }
    assert!(n > 10_000, "the flood ran: {n} SYNs");

    assert_eq!(
        connected, 20,
        "connects that succeeded during the flood ({bursts} bursts)"
    );
}

/// Item 20: B's resolution queue is nearly full of replies to sources that
/// never answer when a 3000-byte ICMPv6 echo request arrives in three
/// fragments. The reply (three fragments too) goes through the queue, since
/// the token lent with the received frame holds one frame: it must leave
/// whole, never as its first fragment alone.
#[test]
fn a_fragmented_echo_reply_leaves_whole_when_the_queue_is_nearly_full() {
    let mut sim = Sim::new(1500, false);
    let ping = sim.a.icmp(0x77, 16 * 1024);
    // A and B know each other.
    sim.a
        .icmp_socket(ping)
        .send_slice(&echo_request_v6(0x77, 1, b"hi"), IpAddr::V6(IP6_B))
        .unwrap();
    assert!(sim.run_until(Duration::from_secs(2), |s| s
        .a
        .icmp_socket(ping)
        .recv()
        .is_ok()));
    // 63 echo requests from 16 ghosts: their replies leave one free slot
    // in B's queue (64 packets).
    for i in 0..63 {
        assert!(put(&mut sim, &ghost_ping(i % 16 + 250 * (i / 16))));
    }
    for _ in 0..2 {
        sim.b
            .iface
            .poll(sim.now, &mut sim.link.b(), &mut sim.b.sockets);
        sim.now += Duration::from_micros(10);
    }
    drain_a(&mut sim);
    assert_eq!(sim.b.iface.pending_packets(), 63);
    let data: Vec<u8> = (0..3000u32).map(|i| (i * 7) as u8).collect();
    sim.a
        .icmp_socket(ping)
        .send_slice(&echo_request_v6(0x77, 2, &data), IpAddr::V6(IP6_B))
        .unwrap();
    let start = sim.now;
    let mut reply = None;
    sim.run_until(Duration::from_secs(2), |s| {
        if let Ok((m, _)) = s.a.icmp_socket(ping).recv() {
            reply = Some(m.to_vec());
        }
        reply.is_some()
    });
    let reply = reply.expect("the fragmented echo reply never arrived whole");
    assert_eq!(&reply[8..], &data[..]);
    assert!(sim.now - start < Duration::from_millis(10));
    assert_eq!(sim.a.iface.stats().reassembled, 1);
    let _ = Instant::ZERO;
}

/// Item 20, the device side: a link that holds four frames takes the first
/// four fragments of a 10 000-byte datagram and refuses the rest. The rest
/// must follow once the link has room, never be lost.
#[test]
fn a_datagram_the_device_takes_only_in_part_is_finished_on_the_next_poll() {
    use rstcp::phy::DeviceCapabilities;
    use rstcp_testkit::loopback::Link;
    let mut sim = Sim::new(1500, false);
    sim.link = Link::new(DeviceCapabilities::ethernet(1500), 4);
    let client = sim.a.udp(0, 64 * 1024);
    let server = sim.b.udp(9, 64 * 1024);
    let to_b: UdpMetadata = IpEndpoint::new(IpAddr::V4(IP4_B), 9).into();
    // Resolve first, with a datagram of one frame.
    sim.a.udp_socket(client).send_slice(b"hello", to_b).unwrap();
    assert!(sim.run_until(Duration::from_secs(2), |s| s
        .b
        .udp_socket(server)
        .recv()
        .is_ok()));
    let data: Vec<u8> = (0..10_000u32).map(|i| (i * 13) as u8).collect();
    sim.a.udp_socket(client).send_slice(&data, to_b).unwrap();
    let mut got = None;
    sim.run_until(Duration::from_secs(2), |s| {
        if let Ok((d, _)) = s.b.udp_socket(server).recv() {
            got = Some(d.to_vec());
        }
        got.is_some()
    });
    assert!(got == Some(data), "the datagram never arrived whole");
    assert_eq!(sim.a.iface.stats().dropped(DropReason::DeviceBusy), 0);
    assert_eq!(sim.a.iface.stats().fragments_sent, 7);
}
