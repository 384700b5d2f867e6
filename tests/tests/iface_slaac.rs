//! Stateless address autoconfiguration (RFC 4862 §5.5) in simulated time:
//! the test plays the router (`ndsim`), the stack forms addresses from its
//! Prefix Information options, runs DAD on them, deprecates and expires
//! them, and chooses sources among them (RFC 6724 §5).

use rstcp::iface::{AddressOrigin, AddressState, Event, InterfaceIdMode};
use rstcp::socket::udp::{UdpMetadata, UdpSocket};
use rstcp::storage::{PacketBuffer, PacketMetadata};
use rstcp::time::{Duration, Instant};
use rstcp::wire::icmpv6::Icmpv6Repr;
use rstcp::wire::ndp::{NdiscRepr, NeighborFlags, PrefixInfoFlags};
use rstcp::wire::{IpAddr, IpEndpoint, Ipv6Addr};
use rstcp_tests::ndsim::*;

const P1: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0);
const P2: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 2, 0, 0, 0, 0, 0);
/// OUR_MAC 02:00:00:00:00:01 in modified EUI-64: 0000:00ff:fe00:0001.
const A1: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0xff, 0xfe00, 1);
const A2: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 2, 0, 0, 0xff, 0xfe00, 1);
const HOUR: u32 = 3600;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn slaac(s: &Solo) -> Vec<(Ipv6Addr, AddressState)> {
    s.iface
        .ipv6_addresses()
        .filter(|a| a.origin == AddressOrigin::Slaac)
        .map(|a| (a.cidr.address(), a.state))
        .collect()
}

#[test]
fn an_autonomous_prefix_gives_an_eui64_address_that_passes_dad() {
    let mut s = Solo::new(|_| {});
    s.advertise(1800, &[prefix(P1, HOUR, 2 * HOUR)]);
    // §5.5.3 d): formed, tentative (§5.4), then preferred.
    assert_eq!(slaac(&s), [(A1, AddressState::Tentative)]);
    let a = s
        .iface
        .ipv6_addresses()
        .find(|a| a.cidr.address() == A1)
        .unwrap();
    assert_eq!(a.cidr.prefix_len(), 64);
    assert_eq!(a.lifetimes.preferred_until, Some(s.now + secs(3600)));
    assert_eq!(a.lifetimes.valid_until, Some(s.now + secs(7200)));
    s.run_for(secs(3));
    assert_eq!(slaac(&s), [(A1, AddressState::Preferred)]);
    assert!(s.events.contains(&Event::Ipv6AddressAdded(A1)));
    assert!(s.events.contains(&Event::Ipv6AddressReady(A1)));
    // The same prefix again forms no second address.
    s.advertise(1800, &[prefix(P1, HOUR, 2 * HOUR)]);
    assert_eq!(slaac(&s).len(), 1);
}

#[test]
fn options_the_rfc_says_to_ignore_form_nothing() {
    let mut s = Solo::new(|_| {});
    let mut no_a = prefix(P1, HOUR, HOUR);
    no_a.flags = PrefixInfoFlags::ON_LINK; // a)
    let mut link_local = prefix(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0), HOUR, HOUR); // b)
    link_local.prefix_len = 64;
    let preferred_over_valid = prefix(P1, 2 * HOUR, HOUR); // c)
    let mut not_64 = prefix(P2, HOUR, HOUR); // d)
    not_64.prefix_len = 48;
    let zero_valid = prefix(P2, 0, 0); // d) valid lifetime 0
    s.advertise(
        1800,
        &[no_a, link_local, preferred_over_valid, not_64, zero_valid],
    );
    assert!(slaac(&s).is_empty(), "{:?}", slaac(&s));
    // With SLAAC off, even a good option forms nothing.
    let mut off = Solo::new(|c| c.slaac = false);
    off.advertise(1800, &[prefix(P1, HOUR, HOUR)]);
    assert!(slaac(&off).is_empty());
}

#[test]
fn an_address_is_deprecated_then_expires_with_its_lifetimes() {
    let mut s = Solo::new(|_| {});
    let t0 = s.now;
    s.advertise(0, &[prefix(P1, 10, 20)]);
    s.run_to(t0 + secs(9));
    assert_eq!(slaac(&s), [(A1, AddressState::Preferred)]);
    s.run_to(t0 + secs(10));
    // §5.5.4: preferred lifetime over: deprecated, still there.
    assert_eq!(slaac(&s), [(A1, AddressState::Deprecated)]);
    assert!(s.events.contains(&Event::Ipv6AddressDeprecated(A1)));
    s.run_to(t0 + secs(20));
    // Valid lifetime over: gone, its group left.
    assert!(slaac(&s).is_empty());
    assert!(s.events.contains(&Event::Ipv6AddressExpired(A1)));
}

#[test]
fn a_refresh_keeps_an_address_preferred_and_a_new_preferred_lifetime_undeprecates() {
    let mut s = Solo::new(|_| {});
    let t0 = s.now;
    s.advertise(0, &[prefix(P1, 10, 60)]);
    s.run_to(t0 + secs(15));
    assert_eq!(slaac(&s), [(A1, AddressState::Deprecated)]);
    s.advertise(0, &[prefix(P1, 100, 200)]);
    assert_eq!(slaac(&s), [(A1, AddressState::Preferred)]);
    s.run_to(t0 + secs(100));
    assert_eq!(slaac(&s), [(A1, AddressState::Preferred)]);
}

#[test]
fn the_two_hour_rule_keeps_an_address_a_short_or_zero_lifetime_would_end() {
    let mut s = Solo::new(|_| {});
    let t0 = s.now;
    s.advertise(0, &[prefix(P1, 10 * HOUR, 10 * HOUR)]);
    s.run_to(t0 + secs(60));
    // §5.5.3 e): valid lifetime 0 and preferred 0 (a prefix withdrawn, or a
    // spoofed RA): deprecated at once, valid for two more hours only.
    s.advertise(0, &[prefix(P1, 0, 0)]);
    let a = s
        .iface
        .ipv6_addresses()
        .find(|a| a.cidr.address() == A1)
        .unwrap();
    assert_eq!(a.state, AddressState::Deprecated);
    assert_eq!(a.lifetimes.valid_until, Some(t0 + secs(60 + 7200)));
    // Reported, as a lifetime running out would be (the kernel test with
    // radvd's last advertisement found it was not).
    s.run_for(Duration::from_millis(1));
    assert!(s.events.contains(&Event::Ipv6AddressDeprecated(A1)));
    // Within those two hours, a shorter lifetime changes nothing.
    s.run_to(t0 + secs(3600));
    s.advertise(0, &[prefix(P1, 0, 30)]);
    let a = s
        .iface
        .ipv6_addresses()
        .find(|a| a.cidr.address() == A1)
        .unwrap();
    assert_eq!(a.lifetimes.valid_until, Some(t0 + secs(60 + 7200)));
    s.run_to(t0 + secs(60 + 7200));
    assert!(slaac(&s).is_empty());
}

fn udp(s: &mut Solo) -> rstcp::socket::SocketHandle {
    let buf = || {
        PacketBuffer::new(
            vec![PacketMetadata::<UdpMetadata>::EMPTY; 4],
            vec![0u8; 512],
        )
    };
    let h = s.sockets.add(UdpSocket::new(buf(), buf())).unwrap();
    s.sockets.bind_udp(h, 4000).unwrap();
    h
}

/// The source of the UDP datagram the stack sends to `dst`.
fn source_to(s: &mut Solo, h: rstcp::socket::SocketHandle, dst: Ipv6Addr) -> Ipv6Addr {
    s.sockets
        .get_mut::<UdpSocket>(h)
        .unwrap()
        .send_slice(b"x", IpEndpoint::new(IpAddr::V6(dst), 9).into())
        .unwrap();
    s.take_sent();
    s.run_for(Duration::from_millis(1));
    // Off-link, through the router: the router answers its solicitation.
    let na = Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert {
        flags: NeighborFlags::SOLICITED | NeighborFlags::OVERRIDE,
        target_addr: OTHER_LL,
        lladdr: Some(OTHER_MAC),
        options: &[],
    });
    let ll = rstcp::iface::link_local_from_mac(&OUR_MAC);
    s.inject_icmp(OTHER_MAC, OTHER_LL, ll, &na);
    s.run_for(Duration::from_millis(1));
    let sent = s.take_sent();
    let p = sent
        .iter()
        .find(|p| p.ip.dst_addr == dst)
        .unwrap_or_else(|| panic!("{sent:?}"));
    p.ip.src_addr
}

#[test]
fn sources_avoid_deprecated_addresses_and_match_the_longest_prefix() {
    let mut s = Solo::new(|_| {});
    let t0 = s.now;
    s.advertise(1800, &[prefix(P1, 10, HOUR), prefix(P2, HOUR, HOUR)]);
    s.run_to(t0 + secs(3));
    let h = udp(&mut s);
    let in_p1 = Ipv6Addr::new(0x2001, 0xdb8, 1, 9, 0, 0, 0, 9);
    let far = Ipv6Addr::new(0x2a00, 1, 2, 3, 0, 0, 0, 9);
    // RFC 6724 rule 8: the longest match.
    assert_eq!(source_to(&mut s, h, in_p1), A1);
    s.run_to(t0 + secs(11));
    assert_eq!(
        slaac(&s),
        [
            (A1, AddressState::Deprecated),
            (A2, AddressState::Preferred)
        ]
    );
    // Rule 3 before rule 8: the deprecated address is avoided.
    assert_eq!(source_to(&mut s, h, in_p1), A2);
    assert_eq!(source_to(&mut s, h, far), A2);
}

#[test]
fn a_slaac_prefix_without_the_l_flag_is_not_on_link() {
    // RFC 5942 §4: the address says nothing about what is on-link; a
    // neighbor in its /64 is reached through the router.
    let mut s = Solo::new(|_| {});
    let mut pi = prefix(P1, HOUR, HOUR);
    pi.flags = PrefixInfoFlags::AUTONOMOUS;
    s.advertise(1800, &[pi]);
    s.run_for(secs(3));
    let h = udp(&mut s);
    let neighbor = Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 9);
    let mac = {
        s.sockets
            .get_mut::<UdpSocket>(h)
            .unwrap()
            .send_slice(b"y", IpEndpoint::new(IpAddr::V6(neighbor), 9).into())
            .unwrap();
        s.run_for(Duration::from_millis(1));
        s.take_sent()
            .into_iter()
            .find(|p| p.ip.dst_addr == neighbor)
            .unwrap()
            .mac
    };
    assert_eq!(mac, OTHER_MAC, "sent to the router, not resolved on-link");
}

#[test]
fn stable_privacy_identifiers_differ_from_eui64_and_stay_the_same() {
    let mode = InterfaceIdMode::StablePrivacy { secret: [3; 16] };
    let mut s = Solo::new(|c| c.interface_id = mode);
    s.advertise(1800, &[prefix(P1, HOUR, HOUR)]);
    let first = slaac(&s)[0].0;
    assert_ne!(first, A1);
    assert_eq!(first.segments()[..4], P1.segments()[..4]);
    // Another boot with the same key forms the same address (RFC 7217 §5).
    let mut again = Solo::new(|c| c.interface_id = mode);
    again.advertise(1800, &[prefix(P1, HOUR, HOUR)]);
    assert_eq!(slaac(&again)[0].0, first);
}

#[test]
fn a_stable_privacy_address_found_duplicate_is_formed_again_with_the_next_counter() {
    let mode = InterfaceIdMode::StablePrivacy { secret: [3; 16] };
    let mut s = Solo::new(|c| c.interface_id = mode);
    s.advertise(1800, &[prefix(P1, HOUR, HOUR)]);
    let first = slaac(&s)[0].0;
    let na = Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert {
        flags: NeighborFlags::OVERRIDE,
        target_addr: first,
        lladdr: Some(OTHER_MAC),
        options: &[],
    });
    s.inject_icmp(OTHER_MAC, OTHER_LL, ALL_NODES, &na);
    // RFC 7217 §6: DAD_Counter + 1, a new identifier in the same prefix.
    let now = slaac(&s);
    assert_eq!(now.len(), 1);
    assert_ne!(now[0].0, first);
    assert_eq!(now[0].1, AddressState::Tentative);
    s.run_for(secs(3));
    assert_eq!(slaac(&s)[0].1, AddressState::Preferred);
}

#[test]
fn a_router_lifetime_of_zero_removes_the_router_but_keeps_the_addresses() {
    let mut s = Solo::new(|_| {});
    s.advertise(1800, &[prefix(P1, HOUR, HOUR)]);
    s.run_for(secs(3));
    assert_eq!(s.iface.router_discovery().routers(s.now).count(), 1);
    s.advertise(0, &[prefix(P1, HOUR, HOUR)]);
    assert_eq!(s.iface.router_discovery().routers(s.now).count(), 0);
    assert!(s.events.contains(&Event::RouterRemoved(OTHER_LL)));
    assert_eq!(slaac(&s), [(A1, AddressState::Preferred)]);
    let _ = Instant::ZERO;
}
