//! Spoofed ARP must not cut a host off from a neighbor it talks to (issue
//! 10, stress script: after its 100 000 random frames every IPv4 service
//! went silent). Random frames carry ARP packets claiming on-link addresses
//! for random MACs: a unicast reply or a request for us with the real
//! client's address pointed the cache at a MAC nobody has, and requests from
//! hundreds of other addresses evicted the client's entry so that the next
//! spoof created it afresh. Two interfaces on an in-memory link in simulated
//! time; the spoofed frames are put on A's end of the wire.

use rstcp::iface::neighbor::NeighborState;
use rstcp::phy::{Device, RxToken, TxToken};
use rstcp::time::Duration;
use rstcp::wire::arp::{ArpOperation, ArpPacket, ArpRepr};
use rstcp::wire::ethernet::{EtherType, EthernetFrame};
use rstcp::wire::{EthernetAddress, IpAddr, IpEndpoint, Ipv4Addr};
use rstcp_tests::sim::*;

/// A MAC no host on the link has.
fn bogus_mac(i: u32) -> EthernetAddress {
    EthernetAddress([0x02, 0x66, 0x66, (i >> 16) as u8, (i >> 8) as u8, i as u8])
}

/// An ARP frame from A's end of the wire, sent to `eth_dst`.
fn arp_frame(
    eth_dst: EthernetAddress,
    operation: ArpOperation,
    sha: EthernetAddress,
    spa: Ipv4Addr,
    tpa: Ipv4Addr,
) -> Vec<u8> {
    let repr = ArpRepr::EthernetIpv4 {
        operation,
        source_hardware_addr: sha,
        source_protocol_addr: spa,
        target_hardware_addr: if operation == ArpOperation::Reply {
            MAC_B
        } else {
            EthernetAddress::UNSPECIFIED
        },
        target_protocol_addr: tpa,
    };
    let mut frame = vec![0u8; 14 + repr.buffer_len()];
    let mut eth = EthernetFrame::new_unchecked(&mut frame[..]);
    eth.set_dst_addr(eth_dst);
    eth.set_src_addr(sha);
    eth.set_ethertype(EtherType::Arp);
    repr.emit(&mut ArpPacket::new_unchecked(eth.payload_mut()))
        .expect("room for the ARP packet");
    frame
}

/// Puts `frame` on the wire from A's end, letting B take frames while the
/// link is full.
fn put(sim: &mut Sim, frame: &[u8]) {
    for _ in 0..2 {
        let mut end = sim.link.a();
        if let Some(tx) = end.transmit(sim.now) {
            tx.consume(frame.len(), |buf| buf.copy_from_slice(frame));
            return;
        }
        sim.b
            .iface
            .poll(sim.now, &mut sim.link.b(), &mut sim.b.sockets);
        // B's answers (to made-up MACs) are nobody's.
        let mut a = sim.link.a();
        while let Some((rx, _)) = a.receive(sim.now) {
            rx.consume(|_| ());
        }
    }
    panic!("the link stays full");
}

/// A connected to B once and the two talked long enough for B to confirm
/// A's address by its own probe (RFC 4861 §7.3.3: DELAY, then PROBE,
/// answered): B's entry for A is REACHABLE with A's real MAC.
fn confirmed_pair() -> (Sim, rstcp::socket::SocketHandle) {
    let mut sim = Sim::new(1500, false);
    let listener = sim.b.tcp_listener(7, 8, 8, 8, 4096);
    let client = sim.a.tcp(4096);
    let remote = IpEndpoint::new(IpAddr::V4(IP4_B), 7);
    let server = establish(&mut sim, listener, client, remote, Duration::from_secs(1))
        .expect("the first connection");
    sim.run_for(Duration::from_secs(8));
    let entry = sim.b.iface.arp_cache().get(&IP4_A, sim.now).unwrap();
    assert_eq!(entry.hw, Some(MAC_A));
    assert_eq!(entry.state, NeighborState::Reachable, "B confirmed A");
    sim.a.tcp_socket(client).abort();
    sim.b.tcp_socket(server).abort();
    sim.run_for(Duration::from_millis(10));
    sim.a.sockets.remove(client);
    sim.b.sockets.remove(server);
    let fresh = sim.b.tcp(4096);
    let _ = sim.b.listener(listener).provide(fresh);
    (sim, listener)
}

/// A new connection from A after the spoofing: B's SYN-ACK must reach A's
/// real MAC at once, not a made-up one until B's NUD gives up on it.
fn connects_at_once(sim: &mut Sim, listener: rstcp::socket::SocketHandle) {
    let client = sim.a.tcp(4096);
    let remote = IpEndpoint::new(IpAddr::V4(IP4_B), 7);
    let start = sim.now;
    let server = establish(sim, listener, client, remote, Duration::from_secs(30));
    assert!(server.is_some(), "A never connected again");
    let took = sim.now - start;
    let entry = sim.b.iface.arp_cache().get(&IP4_A, sim.now);
    assert!(
        took < Duration::from_millis(100),
        "A's next handshake took {took}; B's entry for A: {entry:?}"
    );
}

/// Unsolicited ARP claiming A's address for another MAC — a unicast reply
/// (which Linux would take as proof of reachability), a request for B, a
/// broadcast reply — must not replace an address B confirmed.
#[test]
fn spoofed_arp_for_a_confirmed_neighbor_does_not_redirect_its_traffic() {
    let (mut sim, listener) = confirmed_pair();
    let spoofs = [
        (MAC_B, ArpOperation::Reply),
        (EthernetAddress::BROADCAST, ArpOperation::Request),
        (MAC_B, ArpOperation::Request),
        (EthernetAddress::BROADCAST, ArpOperation::Reply),
    ];
    for (i, (dst, op)) in spoofs.into_iter().enumerate() {
        let frame = arp_frame(dst, op, bogus_mac(i as u32), IP4_A, IP4_B);
        put(&mut sim, &frame);
        sim.run_for(Duration::from_millis(2));
    }
    connects_at_once(&mut sim, listener);
}

/// Requests for B from 300 other on-link addresses fill and churn B's
/// cache: the neighbor B confirmed must keep its entry, so that a spoof of
/// its address arriving afterwards finds it and cannot create a bogus one.
#[test]
fn an_arp_flood_from_many_addresses_neither_evicts_nor_poisons_a_confirmed_neighbor() {
    let (mut sim, listener) = confirmed_pair();
    // A and B fall silent: B's entry for A goes STALE, the first candidate
    // for eviction were confirmed entries not protected.
    sim.run_for(Duration::from_secs(60));
    let entry = sim.b.iface.arp_cache().get(&IP4_A, sim.now).unwrap();
    assert_eq!(entry.state, NeighborState::Stale);
    for i in 0..300u32 {
        let spa = Ipv4Addr::new(192, 168, 69, 3 + (i % 250) as u8);
        let frame = arp_frame(
            EthernetAddress::BROADCAST,
            ArpOperation::Request,
            bogus_mac(i),
            spa,
            IP4_B,
        );
        put(&mut sim, &frame);
        sim.b
            .iface
            .poll(sim.now, &mut sim.link.b(), &mut sim.b.sockets);
    }
    let frame = arp_frame(MAC_B, ArpOperation::Request, bogus_mac(999), IP4_A, IP4_B);
    put(&mut sim, &frame);
    sim.run_for(Duration::from_millis(2));
    connects_at_once(&mut sim, listener);
}

/// A neighbor that really moved to a new MAC is followed: once B's probes
/// of the old address go unanswered, B resolves A afresh and learns the
/// new MAC (RFC 4861 §7.3.3), within a few retransmission timers.
#[test]
fn a_neighbor_that_really_changed_its_mac_is_relearned_after_the_probes() {
    let (mut sim, _listener) = confirmed_pair();
    // A's old MAC is gone: nothing answers it any more. A new host takes
    // A's address with a new MAC and says so in a request to B.
    let new_mac = bogus_mac(7);
    let udp = sim.b.udp(5000, 4096);
    let to_a = IpEndpoint::new(IpAddr::V4(IP4_A), 9);
    let frame = arp_frame(MAC_B, ArpOperation::Request, new_mac, IP4_A, IP4_B);
    put(&mut sim, &frame);
    // B probes the old MAC (which A's end would answer: drain instead), and
    // after the unicast probes give up, broadcasts; the new host answers.
    let mut learned = false;
    let start = sim.now;
    for step in 0..1_000 {
        sim.b
            .iface
            .poll(sim.now, &mut sim.link.b(), &mut sim.b.sockets);
        let mut broadcast_request = false;
        {
            let mut a = sim.link.a();
            while let Some((rx, _)) = a.receive(sim.now) {
                rx.consume(|f| {
                    let eth = EthernetFrame::new_checked(&f[..]).unwrap();
                    if eth.dst_addr() == EthernetAddress::BROADCAST
                        && eth.ethertype() == EtherType::Arp
                    {
                        broadcast_request = true;
                    }
                });
            }
        }
        if broadcast_request {
            let frame = arp_frame(MAC_B, ArpOperation::Reply, new_mac, IP4_A, IP4_B);
            put(&mut sim, &frame);
        }
        // B must use the address: a packet to A now and then.
        if step % 50 == 0 {
            let _ = sim.b.udp_socket(udp).send_slice(b"hello", to_a.into());
        }
        if sim
            .b
            .iface
            .arp_cache()
            .get(&IP4_A, sim.now)
            .and_then(|e| e.hw)
            == Some(new_mac)
        {
            learned = true;
            break;
        }
        sim.now += Duration::from_millis(10);
    }
    assert!(learned, "B never learned A's new MAC");
    assert!(
        sim.now - start < Duration::from_secs(8),
        "B took {} to follow the move",
        sim.now - start
    );
}
