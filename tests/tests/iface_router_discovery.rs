//! Router discovery (RFC 4861 §6.3) between two interfaces in simulated
//! time: A plays the router (its Router Advertisements are built by the test
//! and sent through a raw socket), B is the host that learns it and reaches
//! an off-link address through it. A radvd-in-netns test against the kernel
//! is a later slice of issue 12.

use rstcp::iface::{link_local_from_mac, DropReason, Event};
use rstcp::socket::raw::{IpVersion, RawSocket};
use rstcp::socket::SocketHandle;
use rstcp::storage::{PacketBuffer, PacketMetadata};
use rstcp::time::Duration;
use rstcp::wire::icmpv6::Icmpv6Repr;
use rstcp::wire::ndp::{NdiscRepr, RouterFlags};
use rstcp::wire::{IpAddr, IpProtocol, Ipv6Addr, Ipv6Cidr};
use rstcp_tests::ndsim::icmp_packet;
use rstcp_tests::sim::*;

const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
/// An address behind the router: A holds it as a /128, so B can reach it
/// only by sending to A's MAC.
const FAR: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0x99, 0, 0, 0, 0, 1);

/// A whole IPv6 packet: a Router Advertisement from A's link-local address
/// to all nodes, hop limit 255, with A's MAC.
fn router_advert(lifetime: u16) -> Vec<u8> {
    let repr = Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert {
        hop_limit: 64,
        flags: RouterFlags::empty(),
        router_lifetime: lifetime,
        reachable_time: 0,
        retrans_time: 0,
        lladdr: Some(MAC_A),
        mtu: None,
        options: &[],
    });
    icmp_packet(link_local_from_mac(&MAC_A), ALL_NODES, &repr)
}

/// A (the router, holding FAR, with a raw ICMPv6 socket to send ND
/// messages through) and B (the host) on one link.
fn router_and_host() -> (Sim, SocketHandle) {
    let mut sim = Sim::new(1500, false);
    sim.a
        .iface
        .add_ipv6_address(Ipv6Cidr::new(FAR, 128).unwrap())
        .unwrap();
    let buf = || PacketBuffer::new(vec![PacketMetadata::EMPTY; 8], vec![0u8; 4096]);
    let raw = RawSocket::new(IpVersion::Ipv6, IpProtocol::Icmpv6, buf(), buf());
    let raw = sim.a.sockets.add(raw).unwrap();
    sim.a.sockets.bind_raw(raw).unwrap();
    (sim, raw)
}

fn advertise(sim: &mut Sim, raw: SocketHandle, lifetime: u16) {
    sim.a
        .sockets
        .get_mut::<RawSocket>(raw)
        .unwrap()
        .send_slice(&router_advert(lifetime))
        .unwrap();
}

/// B pings FAR once; true if the reply came back within 2 s.
fn ping_far(sim: &mut Sim, ping: SocketHandle, seq: u16) -> bool {
    sim.b
        .icmp_socket(ping)
        .send_slice(&echo_request_v6(9, seq, b"via router"), IpAddr::V6(FAR))
        .unwrap();
    sim.run_until(Duration::from_secs(2), |s| s.b.icmp_socket(ping).can_recv())
        && sim.b.icmp_socket(ping).recv().is_ok()
}

/// B's router events (its address events left out).
fn events(sim: &mut Sim) -> Vec<Event> {
    std::iter::from_fn(|| sim.b.iface.poll_event())
        .filter(|e| matches!(e, Event::RouterAdded(_) | Event::RouterRemoved(_)))
        .collect()
}

#[test]
fn a_host_learns_its_router_from_an_advert_and_reaches_off_link_through_it() {
    let (mut sim, raw) = router_and_host();
    let ping = sim.b.icmp(9, 4096);
    let router = link_local_from_mac(&MAC_A);

    // No router yet: FAR has no route.
    assert!(!ping_far(&mut sim, ping, 1));
    assert_eq!(sim.b.iface.stats().dropped(DropReason::NoRoute), 1);

    advertise(&mut sim, raw, 1800);
    assert!(sim.run_until(Duration::from_secs(1), |s| {
        let now = s.now;
        s.b.iface.router_discovery().routers(now).count() == 1
    }));
    assert_eq!(events(&mut sim), [Event::RouterAdded(router)]);
    // §6.3.4: the router's link-layer address came with the advert.
    let entry = sim.b.iface.neighbor_cache().get(&router, sim.now).unwrap();
    assert_eq!(entry.hw, Some(MAC_A));

    // Off-link now goes to the router's MAC: A holds FAR and answers.
    assert!(ping_far(&mut sim, ping, 2));

    // Router Lifetime 0: the router leaves and FAR is unreachable again.
    advertise(&mut sim, raw, 0);
    assert!(sim.run_until(Duration::from_secs(1), |s| {
        let now = s.now;
        s.b.iface.router_discovery().routers(now).count() == 0
    }));
    assert_eq!(events(&mut sim), [Event::RouterRemoved(router)]);
    assert!(!ping_far(&mut sim, ping, 3));
    assert_eq!(sim.b.iface.stats().dropped(DropReason::NoRoute), 2);
}

/// A Redirect (RFC 4861 §4.5) from `src` to B: `dest` goes via `target`.
fn redirect(sim: &mut Sim, raw: SocketHandle, src: Ipv6Addr, target: Ipv6Addr, dest: Ipv6Addr) {
    let repr = Icmpv6Repr::Ndisc(NdiscRepr::Redirect {
        target_addr: target,
        dest_addr: dest,
        lladdr: (target == dest).then_some(MAC_A),
        redirected_hdr: None,
        options: &[],
    });
    let packet = icmp_packet(src, link_local_from_mac(&MAC_B), &repr);
    sim.a
        .sockets
        .get_mut::<RawSocket>(raw)
        .unwrap()
        .send_slice(&packet)
        .unwrap();
    // Until B has it (run_for would jump to the next far deadline).
    let rx = sim.b.iface.stats().rx_frames;
    assert!(sim.run_until(Duration::from_secs(1), |s| s.b.iface.stats().rx_frames > rx));
}

#[test]
fn rfc4861_8_redirects_are_taken_only_from_the_current_first_hop_router() {
    let (mut sim, raw) = router_and_host();
    let ping = sim.b.icmp(9, 4096);
    let router = link_local_from_mac(&MAC_A);
    let elsewhere = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x77);
    advertise(&mut sim, raw, 1800);
    assert!(ping_far(&mut sim, ping, 1), "through the router");
    let next_hop = |sim: &Sim| sim.b.iface.redirects().next_hop(&FAR, sim.now);

    // §8.1: not from a link-local address; not from the current first-hop
    // router for FAR; a target neither link-local nor FAR itself.
    let bad_source = sim.b.iface.stats().dropped(DropReason::BadSource);
    let malformed = sim.b.iface.stats().dropped(DropReason::Malformed);
    redirect(&mut sim, raw, IP6_A, elsewhere, FAR);
    redirect(
        &mut sim,
        raw,
        Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x99),
        elsewhere,
        FAR,
    );
    let global = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 5);
    redirect(&mut sim, raw, router, global, FAR);
    assert_eq!(next_hop(&sim), None, "no invalid redirect taken");
    assert_eq!(
        sim.b.iface.stats().dropped(DropReason::BadSource),
        bad_source + 2
    );
    assert_eq!(
        sim.b.iface.stats().dropped(DropReason::Malformed),
        malformed + 1
    );
    assert!(ping_far(&mut sim, ping, 2), "still through the router");

    // §8.3: the router says FAR is on-link: next hop FAR itself, its MAC
    // from the Target Link-Layer Address, and FAR answers directly.
    redirect(&mut sim, raw, router, FAR, FAR);
    assert_eq!(next_hop(&sim), Some(FAR));
    let entry = sim.b.iface.neighbor_cache().get(&FAR, sim.now).unwrap();
    assert_eq!(entry.hw, Some(MAC_A));
    assert!(ping_far(&mut sim, ping, 3), "on-link now");
    // The router is no longer FAR's first hop: its next Redirect for FAR
    // is refused.
    redirect(&mut sim, raw, router, elsewhere, FAR);
    assert_eq!(next_hop(&sim), Some(FAR));

    // The router leaves: what it redirected goes with it.
    advertise(&mut sim, raw, 0);
    assert!(sim.run_until(Duration::from_secs(1), |s| {
        let now = s.now;
        s.b.iface.router_discovery().routers(now).count() == 0
    }));
    assert_eq!(next_hop(&sim), None);

    // Back, it redirects FAR to another router, which does not answer:
    // B follows the redirect (and cannot reach FAR through it).
    advertise(&mut sim, raw, 1800);
    assert!(sim.run_until(Duration::from_secs(1), |s| {
        let now = s.now;
        s.b.iface.router_discovery().routers(now).count() == 1
    }));
    redirect(&mut sim, raw, router, elsewhere, FAR);
    assert_eq!(next_hop(&sim), Some(elsewhere));
    assert!(!ping_far(&mut sim, ping, 4), "sent toward {elsewhere}");
}
