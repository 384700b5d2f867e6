//! Duplicate Address Detection (RFC 4862 §5.4, RFC 7527, RFC 4429) in
//! simulated time: one interface with the test as the other node
//! (`ndsim`), then two interfaces that want the same address (`sim`).

use rstcp::iface::{link_local_from_mac, AddressState, Event};
use rstcp::time::{Duration, Instant};
use rstcp::wire::icmpv6::Icmpv6Repr;
use rstcp::wire::ndp::{NdiscRepr, NeighborFlags};
use rstcp::wire::{EthernetAddress, IpAddr, Ipv6Addr, Ipv6Cidr};
use rstcp_tests::ndsim::*;
use rstcp_tests::sim::{self, Host, Sim};

const ADDR: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x77);

fn ms(m: u64) -> Duration {
    Duration::from_millis(m)
}

/// A stack holding [`ADDR`] (static) besides its link-local address.
fn with_static(adjust: impl FnOnce(&mut rstcp::iface::Config)) -> Solo {
    let mut s = Solo::new(adjust);
    s.iface
        .add_ipv6_address(Ipv6Cidr::new(ADDR, 64).unwrap())
        .unwrap();
    s.poll();
    s
}

/// The DAD solicitations sent so far for `target`: (time, nonce).
fn dad_solicits(s: &Solo, target: Ipv6Addr) -> Vec<(Instant, [u8; 6])> {
    s.sent
        .iter()
        .filter_map(|p| {
            let (t, lladdr, nonce) = p.solicit()?;
            (t == target).then(|| {
                // RFC 4862 §5.4.2: from ::, to the solicited-node group,
                // no Source Link-Layer Address option, a nonce (RFC 7527).
                assert_eq!(p.ip.src_addr, Ipv6Addr::UNSPECIFIED);
                assert_eq!(p.ip.dst_addr, solicited_node(target));
                assert_eq!(p.ip.hop_limit, 255);
                assert_eq!(lladdr, None);
                (p.at, nonce.expect("a nonce option"))
            })
        })
        .collect()
}

#[test]
fn an_address_is_tentative_until_one_solicitation_and_a_retrans_timer_pass() {
    let mut s = with_static(|_| {});
    let ll = link_local_from_mac(&OUR_MAC);
    assert_eq!(s.state(ADDR), Some(AddressState::Tentative));
    assert_eq!(s.state(ll), Some(AddressState::Tentative));
    s.run_for(ms(3000));
    // DupAddrDetectTransmits 1 (§5.1 default): one solicitation each, the
    // first after a random delay under MAX_RTR_SOLICITATION_DELAY (§5.4.2).
    let ns = dad_solicits(&s, ADDR);
    assert_eq!(ns.len(), 1, "{:?}", s.sent);
    let sent_at = ns[0].0;
    assert!(sent_at < Instant::ZERO + ms(1000), "{sent_at}");
    assert_eq!(dad_solicits(&s, ll).len(), 1);
    // The group report for the tentative address's solicited-node group
    // went out before its solicitation (§5.4.2), from :: (RFC 3810
    // §5.2.13: no usable link-local address yet).
    let first_mld = s.sent.iter().find(|p| p.is_mld()).expect("an MLD report");
    assert!(first_mld.at <= sent_at);
    assert_eq!(first_mld.ip.src_addr, Ipv6Addr::UNSPECIFIED);
    // Usable one RetransTimer (1 s) after the solicitation, reported so.
    assert_eq!(s.state(ADDR), Some(AddressState::Preferred));
    assert!(s.events.contains(&Event::Ipv6AddressAdded(ADDR)));
    assert!(s.events.contains(&Event::Ipv6AddressReady(ADDR)));
    assert!(s.events.contains(&Event::Ipv6AddressReady(ll)));
}

#[test]
fn the_address_becomes_preferred_exactly_retrans_timer_after_its_solicitation() {
    let mut s = with_static(|_| {});
    s.run_for(ms(1000));
    let sent_at = dad_solicits(&s, ADDR)[0].0;
    s.run_to(sent_at + ms(999));
    assert_eq!(s.state(ADDR), Some(AddressState::Tentative));
    s.run_to(sent_at + ms(1000));
    assert_eq!(s.state(ADDR), Some(AddressState::Preferred));
}

#[test]
fn dup_addr_detect_transmits_sets_how_many_solicitations_and_zero_turns_dad_off() {
    let mut s = with_static(|c| c.dad_transmits = 3);
    s.run_for(ms(5000));
    let ns = dad_solicits(&s, ADDR);
    assert_eq!(ns.len(), 3);
    assert_eq!(ns[1].0 - ns[0].0, ms(1000));
    assert_eq!(ns[2].0 - ns[1].0, ms(1000));
    // RFC 7527 §4.1: a fresh nonce in each.
    assert!(ns[0].1 != ns[1].1 && ns[1].1 != ns[2].1);

    let mut off = with_static(|c| c.dad_transmits = 0);
    assert_eq!(off.state(ADDR), Some(AddressState::Preferred));
    off.run_for(ms(3000));
    assert!(dad_solicits(&off, ADDR).is_empty());
}

#[test]
fn a_tentative_address_is_never_a_source_and_takes_no_packets() {
    let mut s = with_static(|_| {});
    // Echo request to the tentative address from a neighbor: dropped
    // (§5.4: only DAD's NS/NA are taken), no reply, no NS to resolve.
    let echo = Icmpv6Repr::EchoRequest {
        ident: 1,
        seq_no: 1,
        data: b"hi",
    };
    let from = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 5);
    s.take_sent();
    s.inject_icmp(OTHER_MAC, from, ADDR, &echo);
    s.poll();
    assert!(s.take_sent().iter().all(|p| p.ip.src_addr != ADDR));
    // Address resolution of the tentative address (NS from a unicast
    // source) is silently discarded (§5.4.3), and is no conflict.
    let ns = Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
        target_addr: ADDR,
        lladdr: Some(OTHER_MAC),
        nonce: None,
        options: &[],
    });
    s.inject_icmp(OTHER_MAC, from, solicited_node(ADDR), &ns);
    assert!(s
        .take_sent()
        .iter()
        .all(|p| p.ndisc().is_none() || p.is_mld()));
    s.run_for(ms(3000));
    // Nothing ever left from the address before it was usable.
    let ready_at = dad_solicits(&s, ADDR)[0].0 + ms(1000);
    assert!(s
        .sent
        .iter()
        .all(|p| p.ip.src_addr != ADDR || p.at >= ready_at));
    assert_eq!(s.state(ADDR), Some(AddressState::Preferred));
    // Once preferred, the same echo is answered from it.
    s.take_sent();
    s.inject_icmp(OTHER_MAC, from, ADDR, &echo);
    s.run_for(ms(10));
    // Its reply (or the solicitation resolving the neighbor for it) now
    // comes from the address.
    assert!(s.sent.iter().any(|p| p.ip.src_addr == ADDR), "{:?}", s.sent);
}

#[test]
fn an_advertisement_for_a_tentative_address_is_a_conflict_the_address_goes_and_others_stay() {
    let mut s = with_static(|_| {});
    let na = Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert {
        flags: NeighborFlags::OVERRIDE,
        target_addr: ADDR,
        lladdr: Some(OTHER_MAC),
        options: &[],
    });
    s.inject_icmp(OTHER_MAC, OTHER_LL, ALL_NODES, &na);
    // RFC 4862 §5.4.4 / §5.4.5: not unique, not assigned, reported.
    assert_eq!(s.state(ADDR), None);
    assert!(s.events.contains(&Event::Ipv6DuplicateAddress {
        address: ADDR,
        other: Some(OTHER_MAC),
    }));
    assert!(!s.iface.ipv6_groups().any(|g| g == solicited_node(ADDR)));
    // The link-local address goes on through DAD and is used.
    s.run_for(ms(3000));
    let ll = link_local_from_mac(&OUR_MAC);
    assert_eq!(s.state(ll), Some(AddressState::Preferred));
    assert!(!s.events.contains(&Event::Ipv6AddressReady(ADDR)));
}

fn dad_solicit_for(target: Ipv6Addr, nonce: Option<[u8; 6]>) -> Icmpv6Repr<'static> {
    Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
        target_addr: target,
        lladdr: None,
        nonce,
        options: &[],
    })
}

#[test]
fn another_nodes_dad_solicitation_for_a_tentative_address_is_a_conflict() {
    let mut s = with_static(|_| {});
    let other = dad_solicit_for(ADDR, Some([9, 9, 9, 9, 9, 9]));
    s.inject_icmp(
        OTHER_MAC,
        Ipv6Addr::UNSPECIFIED,
        solicited_node(ADDR),
        &other,
    );
    // RFC 4862 §5.4.3: from ::, another node performs DAD for it.
    assert_eq!(s.state(ADDR), None);
    assert!(s.events.contains(&Event::Ipv6DuplicateAddress {
        address: ADDR,
        other: None,
    }));
}

#[test]
fn our_own_solicitation_looped_back_with_its_nonce_is_no_conflict() {
    let mut s = with_static(|_| {});
    s.run_for(ms(1000));
    let (_, nonce) = dad_solicits(&s, ADDR)[0];
    // The link hands our solicitation back (RFC 7527 §4.2: same nonce).
    let looped = dad_solicit_for(ADDR, Some(nonce));
    // From another MAC: a frame from our own is dropped before IPv6 (the
    // Ethernet check), the nonce covers a loop that rewrote it.
    let relay = EthernetAddress([0x02, 0, 0, 0, 0, 0x55]);
    s.inject_icmp(relay, Ipv6Addr::UNSPECIFIED, solicited_node(ADDR), &looped);
    assert_eq!(s.state(ADDR), Some(AddressState::Tentative));
    s.run_for(ms(2000));
    assert_eq!(s.state(ADDR), Some(AddressState::Preferred));
    assert!(!s
        .events
        .iter()
        .any(|e| matches!(e, Event::Ipv6DuplicateAddress { .. })));
    // The same solicitation without our nonce would have been one.
    let mut t = with_static(|_| {});
    t.run_for(ms(1000));
    t.inject_icmp(
        relay,
        Ipv6Addr::UNSPECIFIED,
        solicited_node(ADDR),
        &dad_solicit_for(ADDR, None),
    );
    assert_eq!(t.state(ADDR), None);
}

#[test]
fn a_preferred_address_is_defended_against_another_nodes_dad() {
    let mut s = with_static(|_| {});
    s.run_for(ms(3000));
    s.take_sent();
    s.inject_icmp(
        OTHER_MAC,
        Ipv6Addr::UNSPECIFIED,
        solicited_node(ADDR),
        &dad_solicit_for(ADDR, Some([1; 6])),
    );
    // RFC 4861 §7.2.4: an advertisement to all-nodes; the address stays.
    let sent = s.take_sent();
    let na = sent.iter().find_map(|p| match p.ndisc()? {
        NdiscRepr::NeighborAdvert { target_addr, .. } => Some((p.ip.dst_addr, target_addr)),
        _ => None,
    });
    assert_eq!(na, Some((ALL_NODES, ADDR)));
    assert_eq!(s.state(ADDR), Some(AddressState::Preferred));
}

#[test]
fn optimistic_dad_uses_an_autoconfigured_address_at_once_but_a_static_one_waits() {
    let mut s = with_static(|c| c.optimistic_dad = true);
    let ll = link_local_from_mac(&OUR_MAC);
    // RFC 4429 §3.1: the link-local (autoconfigured) address is
    // optimistic, the static one tentative as without the option.
    assert_eq!(s.state(ll), Some(AddressState::Optimistic));
    assert_eq!(s.state(ADDR), Some(AddressState::Tentative));
    // An optimistic address is a source at once: a ping to a link-local
    // neighbor resolves it from there, without the link-layer option
    // (RFC 4429 §3.3).
    let h = {
        use rstcp::socket::icmp::IcmpSocket;
        use rstcp::storage::{PacketBuffer, PacketMetadata};
        let buf = || PacketBuffer::new(vec![PacketMetadata::<IpAddr>::EMPTY; 4], vec![0u8; 512]);
        let h = s.sockets.add(IcmpSocket::new(buf(), buf())).unwrap();
        s.sockets.bind_icmp(h, 5).unwrap();
        h
    };
    s.sockets
        .get_mut::<rstcp::socket::icmp::IcmpSocket>(h)
        .unwrap()
        .send_slice(&sim::echo_request_v6(5, 1, b"x"), IpAddr::V6(OTHER_LL))
        .unwrap();
    s.take_sent();
    s.poll();
    let ns = s
        .take_sent()
        .into_iter()
        .find(|p| p.solicit().is_some_and(|(t, _, _)| t == OTHER_LL))
        .expect("a solicitation for the neighbor");
    assert_eq!(ns.ip.src_addr, ll);
    assert_eq!(ns.solicit().unwrap().1, None);
    // A conflict still removes an optimistic address.
    let na = Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert {
        flags: NeighborFlags::OVERRIDE,
        target_addr: ll,
        lladdr: Some(OTHER_MAC),
        options: &[],
    });
    s.inject_icmp(OTHER_MAC, OTHER_LL, ALL_NODES, &na);
    assert_eq!(s.state(ll), None);
}

#[test]
fn remove_ipv6_address_drops_the_address_and_its_group() {
    let mut s = with_static(|_| {});
    s.run_for(ms(3000));
    assert!(s.iface.remove_ipv6_address(&ADDR));
    assert!(!s.iface.remove_ipv6_address(&ADDR));
    assert_eq!(s.state(ADDR), None);
    assert!(!s.iface.ipv6_groups().any(|g| g == solicited_node(ADDR)));
}

// ---- two stacks ----

fn dad_hosts() -> Sim {
    let config = |mac: EthernetAddress, seed| {
        let mut c = Host::config(mac, seed, true);
        c.ipv4_probe = false;
        c
    };
    Sim::with_configs(1500, config(sim::MAC_A, 1), config(sim::MAC_B, 2))
}

fn state(h: &Host, a: Ipv6Addr) -> Option<AddressState> {
    h.iface
        .ipv6_addresses()
        .find(|x| x.cidr.address() == a)
        .map(|x| x.state)
}

fn duplicates(h: &mut Host) -> Vec<Ipv6Addr> {
    std::iter::from_fn(|| h.iface.poll_event())
        .filter_map(|e| match e {
            Event::Ipv6DuplicateAddress { address, .. } => Some(address),
            _ => None,
        })
        .collect()
}

#[test]
fn two_stacks_pass_dad_then_ping_each_other() {
    let mut sim = dad_hosts();
    assert_eq!(state(&sim.a, sim::IP6_A), Some(AddressState::Tentative));
    assert!(sim.run_until(Duration::from_secs(3), |s| {
        state(&s.a, sim::IP6_A) == Some(AddressState::Preferred)
            && state(&s.b, sim::IP6_B) == Some(AddressState::Preferred)
    }));
    let ping = sim.b.icmp(3, 1024);
    sim.b
        .icmp_socket(ping)
        .send_slice(&sim::echo_request_v6(3, 1, b"dad"), IpAddr::V6(sim::IP6_A))
        .unwrap();
    assert!(sim.run_until(Duration::from_secs(1), |s| s.b.icmp_socket(ping).can_recv()));
    assert!(duplicates(&mut sim.a).is_empty() && duplicates(&mut sim.b).is_empty());
}

#[test]
fn a_stack_that_adds_an_address_another_holds_gives_it_up_and_the_holder_keeps_it() {
    let mut sim = dad_hosts();
    sim.run_for(Duration::from_secs(3));
    let (_, _) = (duplicates(&mut sim.a), duplicates(&mut sim.b));
    // B now wants A's address: A defends it (NA), B's DAD fails (§5.4.4).
    sim.b
        .iface
        .add_ipv6_address(Ipv6Cidr::new(sim::IP6_A, 64).unwrap())
        .unwrap();
    sim.run_for(Duration::from_secs(3));
    assert_eq!(duplicates(&mut sim.b), [sim::IP6_A]);
    assert_eq!(state(&sim.b, sim::IP6_A), None);
    assert_eq!(state(&sim.a, sim::IP6_A), Some(AddressState::Preferred));
    assert!(duplicates(&mut sim.a).is_empty());
}

#[test]
fn of_two_stacks_wanting_one_address_at_once_the_later_gives_it_up() {
    let shared = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 0x42);
    let mut sim = dad_hosts();
    for h in [&mut sim.a, &mut sim.b] {
        h.iface
            .add_ipv6_address(Ipv6Cidr::new(shared, 64).unwrap())
            .unwrap();
    }
    sim.run_for(Duration::from_secs(3));
    // §5.4.3: the one still waiting for its random delay hears the other's
    // solicitation from :: while tentative and gives the address up; the
    // other hears nothing and keeps it.
    let (da, db) = (duplicates(&mut sim.a), duplicates(&mut sim.b));
    let (sa, sb) = (state(&sim.a, shared), state(&sim.b, shared));
    if da.is_empty() {
        assert_eq!(
            (db, sa, sb),
            (vec![shared], Some(AddressState::Preferred), None)
        );
    } else {
        assert_eq!(
            (da, sa, sb),
            (vec![shared], None, Some(AddressState::Preferred))
        );
    }
    // Their other addresses are unaffected.
    assert_eq!(state(&sim.a, sim::IP6_A), Some(AddressState::Preferred));
    assert_eq!(state(&sim.b, sim::IP6_B), Some(AddressState::Preferred));
}

#[test]
fn a_datagram_asking_for_a_tentative_source_is_dropped_not_sent_from_it() {
    use rstcp::iface::DropReason;
    use rstcp::socket::udp::{UdpMetadata, UdpSocket};
    use rstcp::storage::{PacketBuffer, PacketMetadata};
    use rstcp::wire::IpEndpoint;
    let mut s = with_static(|_| {});
    let buf = || {
        PacketBuffer::new(
            vec![PacketMetadata::<UdpMetadata>::EMPTY; 4],
            vec![0u8; 512],
        )
    };
    let h = s.sockets.add(UdpSocket::new(buf(), buf())).unwrap();
    s.sockets.bind_udp(h, 4000).unwrap();
    let to = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 5);
    let meta = UdpMetadata {
        endpoint: IpEndpoint::new(IpAddr::V6(to), 9),
        local_address: Some(IpAddr::V6(ADDR)),
        hop_limit: None,
    };
    s.sockets
        .get_mut::<UdpSocket>(h)
        .unwrap()
        .send_slice(b"too early", meta)
        .unwrap();
    s.poll();
    // RFC 4862 §5.4: not even a solicitation to resolve the destination
    // leaves from the tentative address.
    assert!(s.sent.iter().all(|p| p.ip.src_addr != ADDR), "{:?}", s.sent);
    assert_eq!(s.iface.stats().dropped(DropReason::BadSource), 1);
}

/// RFC 4862 §5.4.2: "the node SHOULD delay joining the solicited-node
/// multicast address by a random delay between 0 and
/// MAX_RTR_SOLICITATION_DELAY" (1 s), so that nodes powered up together do
/// not all report at once; the report still goes before the first DAD
/// solicitation (the group is joined before the solicitation is sent).
#[test]
fn rfc4862_5_4_2_the_solicited_node_join_is_delayed_at_random_and_still_precedes_the_solicitation()
{
    let mut delays = Vec::new();
    for seed in 1..=8u64 {
        let mut s = Solo::new(|c| c.random_seed = seed);
        // The link-local address's DAD and reports are over.
        s.run_for(ms(5000));
        s.take_sent();
        let added = s.now;
        s.iface
            .add_ipv6_address(Ipv6Cidr::new(ADDR, 64).unwrap())
            .unwrap();
        s.run_for(ms(3000));
        let ns = dad_solicits(&s, ADDR);
        assert_eq!(ns.len(), 1, "seed {seed}");
        let report = s.sent.iter().find(|p| p.is_mld()).expect("an MLD report");
        assert!(
            report.at < ns[0].0,
            "seed {seed}: report after the solicitation"
        );
        assert!(report.at < added + ms(1000), "seed {seed}: {}", report.at);
        assert!(ns[0].0 < added + ms(1000), "seed {seed}: {}", ns[0].0);
        delays.push(report.at - added);
    }
    // Random: spread over the second, not all at once.
    assert!(
        delays.iter().filter(|d| **d > ms(10)).count() >= 6,
        "{delays:?}"
    );
    assert!(delays.iter().any(|d| *d != delays[0]), "{delays:?}");
}

fn advert_for(target: Ipv6Addr) -> Icmpv6Repr<'static> {
    Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert {
        flags: NeighborFlags::OVERRIDE,
        target_addr: target,
        lladdr: Some(OTHER_MAC),
        options: &[],
    })
}

/// RFC 4862 §5.4.5: "If the address is a link-local address formed from an
/// interface identifier based on the hardware address ... IP operation on
/// the interface SHOULD be disabled": our MAC is on the link twice.
#[test]
fn rfc4862_5_4_5_a_duplicate_eui64_link_local_address_turns_ipv6_off() {
    let mut s = with_static(|_| {});
    let ll = link_local_from_mac(&OUR_MAC);
    s.inject_icmp(OTHER_MAC, OTHER_LL, ALL_NODES, &advert_for(ll));
    assert!(s.iface.ipv6_disabled());
    assert!(s.events.contains(&Event::Ipv6DuplicateAddress {
        address: ll,
        other: Some(OTHER_MAC),
    }));
    assert!(s.events.contains(&Event::Ipv6Disabled {
        address: ll,
        other: Some(OTHER_MAC),
    }));
    // Every IPv6 address goes, the static one too, and none comes back.
    assert_eq!(s.state(ll), None);
    assert_eq!(s.state(ADDR), None);
    assert_eq!(s.iface.ipv6_groups().count(), 0);
    assert!(s
        .iface
        .add_ipv6_address(Ipv6Cidr::new(ADDR, 64).unwrap())
        .is_err());
    s.take_sent();
    // Nothing IPv6 is sent: no DAD, no MLD report or Done, no answer to a
    // solicitation, no router solicitation.
    s.inject_icmp(
        OTHER_MAC,
        OTHER_LL,
        solicited_node(ll),
        &Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
            target_addr: ll,
            lladdr: Some(OTHER_MAC),
            nonce: None,
            options: &[],
        }),
    );
    s.run_for(ms(10_000));
    assert!(s.sent.is_empty(), "{:?}", s.sent);
    assert!(!s
        .events
        .iter()
        .any(|e| matches!(e, Event::Ipv6AddressReady(_))));
}

/// RFC 4862 §5.4.5 applies to the hardware-derived link-local address
/// only: another duplicate address (a static one, a link-local one not
/// formed from the MAC) is removed and the rest goes on; and the behaviour
/// can be turned off (Linux's default `accept_dad` 1).
#[test]
fn rfc4862_5_4_5_only_the_mac_derived_link_local_address_turns_ipv6_off() {
    let other_ll = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x77);
    let mut s = with_static(|_| {});
    s.iface
        .add_ipv6_address(Ipv6Cidr::new(other_ll, 64).unwrap())
        .unwrap();
    s.inject_icmp(OTHER_MAC, OTHER_LL, ALL_NODES, &advert_for(other_ll));
    s.inject_icmp(OTHER_MAC, OTHER_LL, ALL_NODES, &advert_for(ADDR));
    assert!(!s.iface.ipv6_disabled());
    s.run_for(ms(3000));
    let ll = link_local_from_mac(&OUR_MAC);
    assert_eq!(s.state(ll), Some(AddressState::Preferred));

    let mut off = with_static(|c| c.dad_disables_ipv6 = false);
    off.inject_icmp(OTHER_MAC, OTHER_LL, ALL_NODES, &advert_for(ll));
    assert!(!off.iface.ipv6_disabled());
    assert_eq!(off.state(ll), None);
    off.run_for(ms(3000));
    assert_eq!(off.state(ADDR), Some(AddressState::Preferred));
    assert!(!off
        .events
        .iter()
        .any(|e| matches!(e, Event::Ipv6Disabled { .. })));
}
