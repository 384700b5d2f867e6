//! Unit tests of router discovery (`router.rs`): the engine alone, then an
//! `Interface` fed Router Advertisements through a small in-memory device.

extern crate std;
use super::*;
use crate::iface::{Config, DropReason, Event, Interface, InterfaceStorage};
use crate::phy::frames::FrameQueue;
use crate::phy::DeviceCapabilities;
use crate::socket::{IndexSlot, SocketSet, SocketStorage};
use crate::wire::ethernet::{EtherType, EthernetFrame};
use crate::wire::icmpv6::{Icmpv6Packet, Icmpv6Repr};
use crate::wire::ipv6::{Ipv6Packet, Ipv6Repr};
use crate::wire::ndp::{NdiscOption, NdiscRepr, RouterFlags};
use crate::wire::{ChecksumMode, EthernetAddress, IpAddr, IpProtocol};
use std::vec;
use std::vec::Vec;

type Rd = RouterDiscovery<2, 2>;

fn secs(s: i64) -> Instant {
    Instant::from_secs(s)
}

fn addr(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

fn pi(prefix: &str, len: u8, flags: PrefixInfoFlags, valid: u32) -> PrefixInformation {
    PrefixInformation {
        prefix_len: len,
        flags,
        valid_lifetime: valid,
        preferred_lifetime: valid,
        prefix: addr(prefix),
    }
}

// ---- the engine ----

#[test]
fn solicitations_follow_the_rfc_schedule_then_stop() {
    let mut rd = Rd::new();
    assert_eq!(rd.poll_at(), None, "nothing before start");
    // The largest random draw still falls within MAX_RTR_SOLICITATION_DELAY.
    rd.start(secs(10), u32::MAX);
    let first = rd.poll_at().unwrap();
    assert!(first >= secs(10) && first < secs(11), "{first}");
    rd.start(secs(10), 0);
    assert!(rd.solicitation_due(secs(10)));
    let mut sent_at = Vec::new();
    let mut now = secs(10);
    while let Some(t) = rd.poll_at() {
        now = t;
        assert!(rd.solicitation_due(now));
        rd.solicitation_sent(now);
        sent_at.push(now);
    }
    // MAX_RTR_SOLICITATIONS, RTR_SOLICITATION_INTERVAL apart.
    assert_eq!(sent_at, [secs(10), secs(14), secs(18)]);
    assert!(!rd.solicitation_due(now + Duration::from_secs(100)));
}

#[test]
fn an_advert_with_a_router_lifetime_stops_the_solicitations() {
    let mut rd = Rd::new();
    rd.start(secs(0), 0);
    rd.solicitation_sent(secs(0));
    // Lifetime 0: not a default router, solicitations go on (§6.3.7).
    assert_eq!(rd.router_advert(addr("fe80::1"), 0, secs(1)), None);
    assert_eq!(rd.poll_at(), Some(secs(4)));
    assert_eq!(
        rd.router_advert(addr("fe80::1"), 30, secs(2)),
        Some(RouterChange::Added(addr("fe80::1")))
    );
    assert!(!rd.solicitation_due(secs(4)));
    assert_eq!(rd.poll_at(), Some(secs(32)), "only the router's expiry");
}

#[test]
fn routers_are_added_refreshed_and_removed_by_lifetime_zero_and_expiry() {
    let mut rd = Rd::new();
    let (a, b) = (addr("fe80::a"), addr("fe80::b"));
    assert_eq!(
        rd.router_advert(a, 10, secs(0)),
        Some(RouterChange::Added(a))
    );
    assert_eq!(
        rd.router_advert(b, 10, secs(0)),
        Some(RouterChange::Added(b))
    );
    // Refreshed: no event, a later end.
    assert_eq!(rd.router_advert(a, 10, secs(5)), None);
    assert_eq!(rd.poll(secs(9)), None);
    assert_eq!(rd.poll_at(), Some(secs(10)));
    // b's lifetime ran out; a was refreshed until 15.
    assert_eq!(rd.poll(secs(10)), Some(RouterChange::Removed(b)));
    assert_eq!(rd.poll(secs(10)), None);
    assert_eq!(
        rd.routers(secs(10)).map(|r| r.addr).collect::<Vec<_>>(),
        [a]
    );
    // Lifetime 0 removes at once.
    assert_eq!(
        rd.router_advert(a, 0, secs(11)),
        Some(RouterChange::Removed(a))
    );
    assert_eq!(rd.routers(secs(11)).count(), 0);
    assert_eq!(rd.router_advert(a, 0, secs(12)), None, "unknown: nothing");
}

#[test]
fn a_full_router_list_keeps_its_routers() {
    let mut rd = Rd::new();
    rd.router_advert(addr("fe80::1"), 100, secs(0));
    rd.router_advert(addr("fe80::2"), 100, secs(0));
    assert_eq!(rd.router_advert(addr("fe80::3"), 100, secs(0)), None);
    let list: Vec<_> = rd.routers(secs(1)).map(|r| r.addr).collect();
    assert_eq!(list, [addr("fe80::1"), addr("fe80::2")]);
    // Room again once one leaves.
    rd.router_advert(addr("fe80::1"), 0, secs(1));
    assert_eq!(
        rd.router_advert(addr("fe80::3"), 100, secs(1)),
        Some(RouterChange::Added(addr("fe80::3")))
    );
}

#[test]
fn prefixes_need_the_l_flag_skip_link_local_and_expire() {
    let mut rd = Rd::new();
    let l = PrefixInfoFlags::ON_LINK;
    let on = addr("2001:db8:1::5");
    rd.prefix_info(
        &pi("2001:db8:1::", 64, PrefixInfoFlags::AUTONOMOUS, 100),
        secs(0),
    );
    assert!(!rd.on_link(&on, secs(0)), "no L flag: not on-link");
    rd.prefix_info(&pi("fe80::", 64, l, 100), secs(0));
    rd.prefix_info(&pi("2001:db8:9::", 129, l, 100), secs(0));
    assert_eq!(
        rd.prefixes(secs(0)).count(),
        0,
        "link-local and bad length ignored"
    );
    rd.prefix_info(
        &pi("2001:db8:1::ffff", 64, l | PrefixInfoFlags::AUTONOMOUS, 100),
        secs(0),
    );
    assert!(rd.on_link(&on, secs(0)));
    let p = *rd.prefixes(secs(0)).next().unwrap();
    assert_eq!(p.prefix, Ipv6Cidr::new(addr("2001:db8:1::"), 64).unwrap());
    assert!(
        p.flags.contains(PrefixInfoFlags::AUTONOMOUS),
        "kept for SLAAC"
    );
    assert_eq!(p.valid_until, Some(secs(100)));
    // Refreshed, then valid lifetime 0 removes it.
    rd.prefix_info(&pi("2001:db8:1::", 64, l, 200), secs(50));
    assert!(rd.on_link(&on, secs(150)));
    rd.prefix_info(&pi("2001:db8:1::", 64, l, 0), secs(60));
    assert!(!rd.on_link(&on, secs(60)));
    // Infinity never expires; a finite one expires through poll.
    rd.prefix_info(&pi("2001:db8:2::", 64, l, u32::MAX), secs(0));
    rd.prefix_info(&pi("2001:db8:3::", 64, l, 10), secs(0));
    assert_eq!(rd.poll_at(), Some(secs(10)));
    assert_eq!(rd.poll(secs(10)), None);
    assert_eq!(rd.prefixes(secs(10)).count(), 1);
    assert!(rd.on_link(&addr("2001:db8:2::1"), secs(1_000_000)));
    // Full (two entries): a third is ignored.
    rd.prefix_info(&pi("2001:db8:4::", 64, l, 10), secs(10));
    rd.prefix_info(&pi("2001:db8:5::", 64, l, 10), secs(10));
    assert_eq!(rd.prefixes(secs(10)).count(), 2);
    assert!(!rd.on_link(&addr("2001:db8:5::1"), secs(10)));
}

#[test]
fn link_parameters_are_bounded() {
    let mut rd = Rd::new();
    assert!(!rd.set_mtu(1279, 1500), "below the IPv6 minimum");
    assert!(!rd.set_mtu(1501, 1500), "above the link's MTU");
    assert_eq!(rd.mtu(1500), 1500);
    assert!(rd.set_mtu(1400, 1500));
    assert_eq!(rd.mtu(1500), 1400);
    assert_eq!(rd.mtu(1300), 1300, "never above the device's");
    rd.set_hop_limit(0);
    assert_eq!(rd.hop_limit(64), 64, "0: unspecified");
    rd.set_hop_limit(200);
    assert_eq!(rd.hop_limit(64), 200);
    assert_eq!(rd.set_base_reachable_time(0, secs(0)), None);
    assert_eq!(
        rd.reachable_time_redraw(secs(1_000_000)),
        None,
        "no base: nothing"
    );
    let ten = Some(Duration::from_secs(10));
    assert_eq!(rd.set_base_reachable_time(10_000, secs(0)), ten);
    assert_eq!(
        rd.set_base_reachable_time(10_000, secs(5)),
        None,
        "unchanged: no new draw"
    );
    // §6.3.4: drawn again from the same base every few hours.
    let redraw = Instant::ZERO + REACHABLE_TIME_REDRAW;
    assert_eq!(rd.poll_at(), Some(redraw));
    assert_eq!(
        rd.reachable_time_redraw(redraw - Duration::from_secs(1)),
        None
    );
    assert_eq!(rd.reachable_time_redraw(redraw), ten);
    assert_eq!(rd.poll_at(), Some(redraw + REACHABLE_TIME_REDRAW));
}

// ---- through an interface ----

const OUR_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 1]);
const ROUTER_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0xfe]);
const ROUTER: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0xfe);
const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

/// What the interface sent, as (dst MAC, IPv6 header, ICMPv6 bytes).
struct Sent {
    mac: EthernetAddress,
    ip: Ipv6Repr,
    body: Vec<u8>,
}

fn sent(dev: &mut FrameQueue) -> Vec<Sent> {
    dev.tx
        .drain(..)
        .filter_map(|f| {
            let eth = EthernetFrame::new_checked(&f[..]).ok()?;
            if eth.ethertype() != EtherType::Ipv6 {
                return None;
            }
            let ip = Ipv6Packet::new_checked(eth.payload()).ok()?;
            // MLD reports (behind a Hop-by-Hop header, RFC 3810 §5) are
            // not what these tests look at.
            if ip.next_header() == IpProtocol::HopByHop {
                return None;
            }
            Some(Sent {
                mac: eth.dst_addr(),
                ip: Ipv6Repr::parse(&ip).ok()?,
                body: ip.payload().to_vec(),
            })
        })
        .collect()
}

/// An Ethernet frame carrying `icmp` (bytes already emitted) from `src`.
fn frame(src: Ipv6Addr, dst: Ipv6Addr, hop_limit: u8, icmp: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; 14 + 40 + icmp.len()];
    f[..6].copy_from_slice(OUR_MAC.as_bytes());
    f[6..12].copy_from_slice(ROUTER_MAC.as_bytes());
    f[12..14].copy_from_slice(&[0x86, 0xdd]);
    Ipv6Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: IpProtocol::Icmpv6,
        payload_len: icmp.len() as u16,
        hop_limit,
        traffic_class: 0,
        flow_label: 0,
    }
    .emit(&mut Ipv6Packet::new_unchecked(&mut f[14..54]));
    f[54..].copy_from_slice(icmp);
    f
}

fn icmp(src: Ipv6Addr, dst: Ipv6Addr, repr: &Icmpv6Repr<'_>) -> Vec<u8> {
    let mut b = vec![0u8; repr.buffer_len()];
    repr.emit(
        &src,
        &dst,
        &mut Icmpv6Packet::new_unchecked(&mut b[..]),
        ChecksumMode::Check,
    );
    b
}

/// A Router Advertisement from ROUTER with its MAC and `options`.
fn ra(lifetime: u16, options: &[u8]) -> Vec<u8> {
    ra_with(lifetime, 0, 0, 0, None, options)
}

fn ra_with(
    lifetime: u16,
    hop_limit: u8,
    reachable_ms: u32,
    retrans_ms: u32,
    mtu: Option<u32>,
    options: &[u8],
) -> Vec<u8> {
    let repr = Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert {
        hop_limit,
        flags: RouterFlags::empty(),
        router_lifetime: lifetime,
        reachable_time: reachable_ms,
        retrans_time: retrans_ms,
        lladdr: Some(ROUTER_MAC),
        mtu,
        options,
    });
    icmp(ROUTER, ALL_NODES, &repr)
}

fn prefix_option(prefix: &str, flags: PrefixInfoFlags) -> [u8; 32] {
    let mut b = [0u8; 32];
    NdiscOption::PrefixInformation(pi(prefix, 64, flags, 3600)).emit(&mut b);
    b
}

struct Host {
    iface: Interface<'static>,
    dev: FrameQueue,
    now: Instant,
}

impl Host {
    fn new(solicit: bool) -> Host {
        let mut config = Config::new(OUR_MAC);
        config.router_solicitation = solicit;
        // DAD (tests/iface_dad.rs) would keep the link-local address
        // tentative for the first second: these tests speak from it.
        config.dad_transmits = 0;
        let mut h = Host {
            iface: Interface::new(config, InterfaceStorage::none(), Instant::ZERO),
            dev: FrameQueue::new(DeviceCapabilities::ethernet(1500)),
            now: Instant::ZERO,
        };
        h.events();
        h
    }

    fn poll(&mut self) {
        let mut storage = [SocketStorage::EMPTY];
        let mut index = [IndexSlot::default(); 2];
        let mut sockets = SocketSet::new(&mut storage[..], &mut index[..], 1);
        self.iface.poll(self.now, &mut self.dev, &mut sockets);
    }

    fn recv(&mut self, f: Vec<u8>) {
        self.dev.rx.push_back(f);
        self.poll();
    }

    fn at(&mut self, t: Instant) {
        self.now = t;
        self.poll();
    }

    fn routers(&self) -> Vec<Ipv6Addr> {
        let rd = self.iface.router_discovery();
        rd.routers(self.now).map(|r| r.addr).collect()
    }

    fn events(&mut self) -> Vec<Event> {
        core::iter::from_fn(|| self.iface.poll_event()).collect()
    }
}

#[test]
fn the_interface_solicits_three_times_from_its_link_local_address() {
    let mut h = Host::new(true);
    let first = h.iface.inner.rdisc.poll_at().unwrap();
    assert!(first < secs(1));
    let mut times = Vec::new();
    for ms in (0..20_000).step_by(100) {
        h.at(Instant::from_millis(ms));
        for s in sent(&mut h.dev) {
            let p = Icmpv6Packet::new_checked(&s.body[..]).unwrap();
            let repr =
                Icmpv6Repr::parse(&s.ip.src_addr, &s.ip.dst_addr, &p, ChecksumMode::Check).unwrap();
            // §6.3.7 / §4.1: to all-routers, hop limit 255, from our
            // link-local address with its Source Link-Layer Address.
            assert_eq!(
                repr,
                Icmpv6Repr::Ndisc(NdiscRepr::RouterSolicit {
                    lladdr: Some(OUR_MAC),
                    options: &s.body[8..],
                })
            );
            assert_eq!(s.ip.dst_addr, addr("ff02::2"));
            assert_eq!(s.mac, EthernetAddress([0x33, 0x33, 0, 0, 0, 2]));
            assert_eq!(s.ip.hop_limit, 255);
            assert_eq!(s.ip.src_addr, crate::iface::link_local_from_mac(&OUR_MAC));
            times.push(h.now);
        }
    }
    assert_eq!(times.len(), 3, "{times:?}");
    assert!(times[1] - times[0] >= Duration::from_secs(4));
    assert!(times[2] - times[1] >= Duration::from_secs(4));
}

#[test]
fn solicitations_can_be_switched_off_and_stop_at_the_first_router() {
    let mut off = Host::new(false);
    off.at(secs(20));
    assert!(sent(&mut off.dev).is_empty());
    assert_eq!(off.iface.inner.rdisc.poll_at(), None);

    let mut h = Host::new(true);
    h.at(secs(1));
    assert_eq!(sent(&mut h.dev).len(), 1);
    h.recv(frame(ROUTER, ALL_NODES, 255, &ra(1800, &[])));
    h.at(secs(20));
    assert!(sent(&mut h.dev).is_empty(), "no RS after a router answered");
}

#[test]
fn invalid_adverts_are_dropped_and_counted() {
    let good = ra(1800, &[]);
    let cases: Vec<(Vec<u8>, DropReason, &str)> = vec![
        // §6.1.2: hop limit 255 only (a forwarded RA is off-link).
        (
            frame(ROUTER, ALL_NODES, 254, &good),
            DropReason::Malformed,
            "hop limit",
        ),
        // §6.1.2: a link-local source only.
        (
            frame(
                addr("2001:db8::1"),
                ALL_NODES,
                255,
                &icmp(addr("2001:db8::1"), ALL_NODES, &{
                    Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert {
                        hop_limit: 0,
                        flags: RouterFlags::empty(),
                        router_lifetime: 1800,
                        reachable_time: 0,
                        retrans_time: 0,
                        lladdr: None,
                        mtu: None,
                        options: &[],
                    })
                }),
            ),
            DropReason::BadSource,
            "global source",
        ),
        // §6.1.2: ICMP length >= 16 (12 bytes here, checksum right).
        (
            {
                let mut short = good[..12].to_vec();
                Icmpv6Packet::new_unchecked(&mut short[..]).fill_checksum(&ROUTER, &ALL_NODES);
                frame(ROUTER, ALL_NODES, 255, &short)
            },
            DropReason::Truncated,
            "short",
        ),
        // §6.1.2: code 0.
        (
            {
                let mut p = good.clone();
                p[1] = 1;
                let mut pkt = Icmpv6Packet::new_unchecked(&mut p[..]);
                pkt.fill_checksum(&ROUTER, &ALL_NODES);
                frame(ROUTER, ALL_NODES, 255, &p)
            },
            DropReason::Malformed,
            "code",
        ),
        // §6.1.2: no option of length zero.
        (
            frame(ROUTER, ALL_NODES, 255, &ra(1800, &[3, 0, 0, 0, 0, 0, 0, 0])),
            DropReason::Malformed,
            "zero-length option",
        ),
    ];
    for (f, reason, what) in cases {
        let mut h = Host::new(false);
        let before = h.iface.stats().dropped(reason);
        h.recv(f);
        assert_eq!(h.iface.stats().dropped(reason), before + 1, "{what}");
        assert!(h.routers().is_empty(), "{what}");
        assert!(h.events().is_empty(), "{what}");
    }
    // The good one, for contrast.
    let mut h = Host::new(false);
    h.recv(frame(ROUTER, ALL_NODES, 255, &good));
    assert_eq!(h.routers(), [ROUTER]);
    assert_eq!(h.iface.stats().dropped_total(), 0);
}

#[test]
fn a_router_is_reported_added_and_removed_by_lifetime_zero_and_by_expiry() {
    let mut h = Host::new(false);
    h.recv(frame(ROUTER, ALL_NODES, 255, &ra(30, &[])));
    assert_eq!(h.events(), [Event::RouterAdded(ROUTER)]);
    h.recv(frame(ROUTER, ALL_NODES, 255, &ra(0, &[])));
    assert_eq!(h.events(), [Event::RouterRemoved(ROUTER)]);
    assert!(h.routers().is_empty());

    h.recv(frame(ROUTER, ALL_NODES, 255, &ra(30, &[])));
    h.at(secs(20));
    // Refreshed at 20 s: now lasts until 50 s.
    h.recv(frame(ROUTER, ALL_NODES, 255, &ra(30, &[])));
    assert_eq!(h.events(), [Event::RouterAdded(ROUTER)]);
    assert_eq!(
        h.iface.poll_at(
            h.now,
            &SocketSet::new(&mut [][..], &mut [IndexSlot::default(); 2][..], 1)
        ),
        Some(secs(50))
    );
    h.at(secs(49));
    assert!(h.events().is_empty());
    h.at(secs(50));
    assert_eq!(h.events(), [Event::RouterRemoved(ROUTER)]);
    assert!(h.routers().is_empty());
}

/// An echo request from `src` to our global address, through the router.
fn echo_from(src: Ipv6Addr, ours: Ipv6Addr) -> Vec<u8> {
    let repr = Icmpv6Repr::EchoRequest {
        ident: 7,
        seq_no: 1,
        data: b"hello",
    };
    frame(src, ours, 64, &icmp(src, ours, &repr))
}

#[test]
fn off_link_goes_through_the_router_and_on_link_prefixes_go_direct() {
    let mut h = Host::new(false);
    let ours = addr("2001:db8::10");
    h.iface
        .add_ipv6_address(Ipv6Cidr::new(ours, 64).unwrap())
        .unwrap();
    let far = addr("2001:db8:99::1");
    let near = addr("2001:db8:5::7");
    // Before any router: no route off-link.
    h.recv(echo_from(far, ours));
    assert!(sent(&mut h.dev).is_empty());
    assert_eq!(h.iface.stats().dropped(DropReason::NoRoute), 1);

    let on_link = prefix_option("2001:db8:5::", PrefixInfoFlags::ON_LINK);
    h.recv(frame(ROUTER, ALL_NODES, 255, &ra(1800, &on_link)));
    // §6.3.4: the router's SLLA is in the neighbor cache.
    let entry = h.iface.neighbor_cache().get(&ROUTER, h.now).unwrap();
    assert_eq!(entry.hw, Some(ROUTER_MAC));

    // Off-link: the reply goes to the router's MAC, unchanged destination.
    h.recv(echo_from(far, ours));
    let out = sent(&mut h.dev);
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].mac, out[0].ip.dst_addr), (ROUTER_MAC, far));
    assert_eq!(
        h.iface.inner.next_hop(&IpAddr::V6(far)),
        Some(IpAddr::V6(ROUTER))
    );

    // On-link by the prefix list: resolved directly (a Neighbor
    // Solicitation for the destination itself), not via the router.
    h.recv(echo_from(near, ours));
    let out = sent(&mut h.dev);
    assert_eq!(out.len(), 1);
    let p = Icmpv6Packet::new_checked(&out[0].body[..]).unwrap();
    assert_eq!(p.target_addr(), near, "a solicitation for the destination");
    assert_eq!(
        out[0].ip.dst_addr,
        crate::iface::interface::solicited_node(&near)
    );
}

#[test]
fn the_default_router_prefers_a_reachable_one() {
    let mut h = Host::new(false);
    let other = addr("fe80::77");
    // `other` first, known only by address (no SLLA): INCOMPLETE once used.
    let no_slla = icmp(
        other,
        ALL_NODES,
        &Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert {
            hop_limit: 0,
            flags: RouterFlags::empty(),
            router_lifetime: 1800,
            reachable_time: 0,
            retrans_time: 0,
            lladdr: None,
            mtu: None,
            options: &[],
        }),
    );
    h.recv(frame(other, ALL_NODES, 255, &no_slla));
    assert_eq!(h.iface.inner.default_router(), Some(other), "the only one");
    h.recv(frame(ROUTER, ALL_NODES, 255, &ra(1800, &[])));
    // ROUTER has a cache entry (STALE, from its SLLA), `other` none.
    assert_eq!(h.iface.inner.default_router(), Some(ROUTER));
}

#[test]
fn mtu_hop_limit_reachable_time_and_retrans_timer_are_applied() {
    let mut h = Host::new(false);
    let base = crate::iface::neighbor::NeighborConfig::default();
    // Out-of-bounds MTU options are ignored.
    h.recv(frame(
        ROUTER,
        ALL_NODES,
        255,
        &ra_with(1800, 0, 0, 0, Some(1000), &[]),
    ));
    h.recv(frame(
        ROUTER,
        ALL_NODES,
        255,
        &ra_with(1800, 0, 0, 0, Some(9000), &[]),
    ));
    let v6 = IpAddr::V6(addr("2001:db8::1"));
    assert_eq!(h.iface.inner.ip_mtu(&v6), 1500);
    assert_eq!(h.iface.inner.hop_limit_for(&v6), 64);
    assert_eq!(
        *h.iface.neighbor_cache().config(),
        base,
        "zeros: unspecified"
    );

    h.recv(frame(
        ROUTER,
        ALL_NODES,
        255,
        &ra_with(1800, 33, 10_000, 2_500, Some(1400), &[]),
    ));
    assert_eq!(h.iface.inner.ip_mtu(&v6), 1400);
    let v4 = IpAddr::V4(crate::wire::Ipv4Addr::new(10, 0, 0, 1));
    assert_eq!(h.iface.inner.ip_mtu(&v4), 1500, "IPv4 keeps the device's");
    assert_eq!(h.iface.inner.hop_limit_for(&v6), 33);
    assert_eq!(h.iface.inner.hop_limit_for(&v4), 64, "IPv4 TTL unchanged");
    let nd = *h.iface.neighbor_cache().config();
    assert_eq!(nd.retrans_timer, Duration::from_millis(2_500));
    // ReachableTime drawn in [0.5, 1.5) x 10 s.
    assert!(
        nd.reachable_time >= Duration::from_secs(5),
        "{}",
        nd.reachable_time
    );
    assert!(
        nd.reachable_time < Duration::from_secs(15),
        "{}",
        nd.reachable_time
    );
    assert_ne!(nd.reachable_time, base.reachable_time);

    // A reply to an off-link host uses the advertised hop limit.
    let ours = addr("2001:db8::10");
    h.iface
        .add_ipv6_address(Ipv6Cidr::new(ours, 64).unwrap())
        .unwrap();
    h.recv(echo_from(addr("2001:db8:99::1"), ours));
    let out = sent(&mut h.dev);
    assert_eq!(out[0].ip.hop_limit, 33);

    // §6.3.4: a few hours on, ReachableTime is drawn again from the base.
    h.at(h.now + REACHABLE_TIME_REDRAW);
    let again = h.iface.neighbor_cache().config().reachable_time;
    assert_ne!(again, nd.reachable_time);
    assert!(again >= Duration::from_secs(5) && again < Duration::from_secs(15));
}

#[test]
fn without_a_link_local_address_the_solicitation_is_from_unspecified_without_slla() {
    let mut h = Host::new(true);
    // §4.1 / §6.3.7: no address to speak from (a later slice's DAD keeps
    // a tentative link-local out of use the same way).
    h.iface.inner.v6.clear();
    h.at(secs(1));
    let out = sent(&mut h.dev);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].ip.src_addr, Ipv6Addr::UNSPECIFIED);
    let p = Icmpv6Packet::new_checked(&out[0].body[..]).unwrap();
    let repr = Icmpv6Repr::parse(
        &out[0].ip.src_addr,
        &out[0].ip.dst_addr,
        &p,
        ChecksumMode::Check,
    )
    .unwrap();
    assert_eq!(
        repr,
        Icmpv6Repr::Ndisc(NdiscRepr::RouterSolicit {
            lladdr: None,
            options: &[],
        })
    );
}

fn rdnss_option(lifetime: u32, server: &str) -> Vec<u8> {
    let octets = addr(server).octets();
    let opt = NdiscOption::Rdnss(crate::wire::ndp::Rdnss {
        lifetime,
        addresses: &octets,
    });
    let mut b = vec![0u8; opt.buffer_len()];
    opt.emit(&mut b);
    b
}

fn dnssl_option(lifetime: u32, names: &[u8]) -> Vec<u8> {
    let opt = NdiscOption::Dnssl(crate::wire::ndp::Dnssl { lifetime, names });
    let mut b = vec![0u8; opt.buffer_len()];
    opt.emit(&mut b);
    b
}

#[test]
fn rfc8106_an_advert_sets_dns_servers_and_search_domains_until_they_expire() {
    let mut h = Host::new(false);
    let mut name = [0u8; 32];
    let n = crate::wire::ndp::encode_name("home.example", &mut name).unwrap();
    let mut options = rdnss_option(120, "2001:db8::53");
    options.extend(dnssl_option(120, &name[..n]));
    h.recv(frame(ROUTER, ALL_NODES, 255, &ra(1800, &options)));
    assert_eq!(
        h.events(),
        [Event::RouterAdded(ROUTER), Event::DnsChanged],
        "one event for the DNS change"
    );
    let rd = h.iface.router_discovery();
    let servers: Vec<_> = rd.dns_servers(h.now).map(|s| s.addr).collect();
    assert_eq!(servers, [addr("2001:db8::53")]);
    let domains: Vec<_> = rd
        .search_domains(h.now)
        .map(|d| std::format!("{}", d.name()))
        .collect();
    assert_eq!(domains, ["home.example"]);
    // The same advert again changes nothing the user sees.
    h.recv(frame(ROUTER, ALL_NODES, 255, &ra(1800, &options)));
    assert!(h.events().is_empty());
    // §5.3.1: the lifetime runs out: both go, the change is reported, and
    // the interface asked to be polled then.
    assert!(h.iface.inner.rdisc.poll_at() <= Some(secs(120)));
    h.at(secs(121));
    assert_eq!(h.events(), [Event::DnsChanged]);
    let rd = h.iface.router_discovery();
    assert_eq!(rd.dns_servers(h.now).count(), 0);
    assert_eq!(rd.search_domains(h.now).count(), 0);
}

#[test]
fn rfc8106_5_2_a_bad_search_list_is_counted_and_the_rest_of_the_advert_stands() {
    let mut h = Host::new(false);
    let mut options = rdnss_option(120, "2001:db8::53");
    options.extend(dnssl_option(120, &[0xc0, 0x0c, 0, 0, 0, 0, 0, 0]));
    h.recv(frame(ROUTER, ALL_NODES, 255, &ra(1800, &options)));
    assert_eq!(h.routers(), [ROUTER]);
    assert_eq!(h.iface.router_discovery().dns_servers(h.now).count(), 1);
    assert_eq!(h.iface.router_discovery().search_domains(h.now).count(), 0);
    assert_eq!(h.iface.stats().dropped(DropReason::Malformed), 1);
}
