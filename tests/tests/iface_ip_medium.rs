//! Two interfaces on an IP-medium link (a TUN's medium: bare IP packets, no
//! link-layer addresses), in simulated time, through a bridge of this file
//! that records every frame: what crosses is IPv4 or IPv6 and nothing else
//! (no Ethernet header, no ARP, no Neighbor Solicitation for resolution),
//! addresses are used at once (no RFC 5227 probing, no DAD: Linux on a
//! TUN), ping and TCP work both ways, NDP carries no link-layer option,
//! and what makes no sense there (DHCPv4, a frame of another IP version)
//! is dropped and counted.

use rstcp::iface::{DropReason, Event, Interface};
use rstcp::phy::{Device, DeviceCapabilities, Medium, RxToken, TxToken};
use rstcp::socket::dhcpv4::{Dhcpv4Client, Dhcpv4Config};
use rstcp::socket::tcp::State;
use rstcp::time::{Duration, Instant};
use rstcp::wire::icmpv6::{Icmpv6Packet, Icmpv6Repr};
use rstcp::wire::ipv4::Ipv4Packet;
use rstcp::wire::ipv6::Ipv6Packet;
use rstcp::wire::ndp::NdiscRepr;
use rstcp::wire::{ChecksumMode, IpAddr, IpEndpoint, IpProtocol};
use rstcp_testkit::loopback::Link;
use rstcp_testkit::sim::{echo_request, Host};
use rstcp_tests::sim::{IP4_A, IP4_B, IP6_A, IP6_B, MAC_A, MAC_B};

/// A on one link, B on another, and the bridge between them that keeps a
/// copy of every frame (A's first).
struct Bridge {
    a: Host,
    b: Host,
    to_a: Link,
    to_b: Link,
    now: Instant,
    from_a: Vec<Vec<u8>>,
    from_b: Vec<Vec<u8>>,
}

impl Bridge {
    /// Probing on (RFC 5227 and DAD, as on Ethernet by default): the IP
    /// medium is what turns them off. A is configured for it (usable before
    /// its first poll), B learns it from the device at its first poll.
    fn new() -> Bridge {
        let caps = DeviceCapabilities::ip(1500);
        let mut config_a = Host::config(MAC_A, 0xa11ce, true);
        config_a.medium = Medium::Ip;
        Bridge {
            a: Host::with_config(config_a, IP4_A, IP6_A),
            b: Host::new(MAC_B, IP4_B, IP6_B, 0xb0b, true),
            to_a: Link::new(caps, 256),
            to_b: Link::new(caps, 256),
            now: Instant::ZERO,
            from_a: Vec::new(),
            from_b: Vec::new(),
        }
    }

    /// Polls both hosts and carries what they sent; whether anything moved.
    fn step(&mut self) -> bool {
        let now = self.now;
        let mut busy = self
            .a
            .iface
            .poll(now, &mut self.to_a.a(), &mut self.a.sockets);
        busy |= self
            .b
            .iface
            .poll(now, &mut self.to_b.b(), &mut self.b.sockets);
        busy |= carry(&mut self.to_a, &mut self.to_b, true, now, &mut self.from_a);
        busy |= carry(&mut self.to_b, &mut self.to_a, false, now, &mut self.from_b);
        busy
    }

    fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&mut Bridge) -> bool) -> bool {
        let end = self.now + limit;
        while self.now <= end {
            let busy = self.step();
            if done(self) {
                return true;
            }
            let next = [
                self.a.iface.poll_at(self.now, &self.a.sockets),
                self.b.iface.poll_at(self.now, &self.b.sockets),
            ]
            .into_iter()
            .flatten()
            .min();
            self.now = match next {
                Some(t) if !busy && t > self.now => t,
                _ => self.now + Duration::from_micros(10),
            };
        }
        false
    }
}

/// Moves every frame queued at one end of `from` (its B end when `a_side`,
/// where host A's frames arrive; else its A end) into `to`, keeping a copy.
fn carry(
    from: &mut Link,
    to: &mut Link,
    a_side: bool,
    now: Instant,
    log: &mut Vec<Vec<u8>>,
) -> bool {
    let mut moved = false;
    loop {
        let mut end = if a_side { from.b() } else { from.a() };
        let Some((rx, _)) = end.receive(now) else {
            return moved;
        };
        let frame = rx.consume(|f| f.to_vec());
        let mut out = if a_side { to.a() } else { to.b() };
        out.transmit(now)
            .expect("the link has room")
            .consume(frame.len(), |b| b.copy_from_slice(&frame));
        log.push(frame);
        moved = true;
    }
}

fn events(iface: &mut Interface<'_>) -> Vec<Event> {
    std::iter::from_fn(|| iface.poll_event()).collect()
}

/// Every frame is one whole IP packet: version 4 or 6, and its own length
/// field covers it exactly (no link header before it, no padding after).
fn assert_bare_ip(frames: &[Vec<u8>]) {
    assert!(!frames.is_empty());
    for f in frames {
        match f[0] >> 4 {
            4 => {
                let p = Ipv4Packet::new_checked(&f[..]).expect("an IPv4 packet");
                assert_eq!(usize::from(p.total_len()), f.len());
            }
            6 => {
                let p = Ipv6Packet::new_checked(&f[..]).expect("an IPv6 packet");
                assert_eq!(40 + usize::from(p.payload_len()), f.len());
            }
            v => panic!("a frame of IP version {v}: {f:02x?}"),
        }
    }
}

/// The Neighbor Discovery messages among `frames` (ICMPv6 types 133-137).
fn ndisc(frames: &[Vec<u8>]) -> Vec<(rstcp::wire::Ipv6Addr, Vec<u8>)> {
    frames
        .iter()
        .filter(|f| f[0] >> 4 == 6)
        .filter_map(|f| {
            let p = Ipv6Packet::new_checked(&f[..]).ok()?;
            let body = &f[40..];
            (p.next_header() == IpProtocol::Icmpv6 && (133..=137).contains(&body[0]))
                .then(|| (p.src_addr(), f.clone()))
        })
        .collect()
}

#[test]
fn addresses_are_used_at_once_with_no_probe_or_dad() {
    let mut br = Bridge::new();
    // A, configured for the medium: ready as soon as added.
    let ev = events(&mut br.a.iface);
    assert!(ev.contains(&Event::AddressReady(IP4_A)), "{ev:?}");
    assert!(ev.contains(&Event::Ipv6AddressReady(IP6_A)), "{ev:?}");
    // B, at the first poll that saw the device: IPv4 ready without RFC
    // 5227's ~6 s of ARP probes, IPv6 (link-local and static) without DAD.
    assert!(!br.b.iface.ipv4_addrs().any(|c| c.address() == IP4_B));
    br.step();
    let ev = events(&mut br.b.iface);
    assert!(ev.contains(&Event::AddressReady(IP4_B)), "{ev:?}");
    assert!(ev.contains(&Event::Ipv6AddressReady(IP6_B)), "{ev:?}");
    for host in [&br.a, &br.b] {
        assert_eq!(host.iface.ipv4_addrs().count(), 1);
        for a in host.iface.ipv6_addresses() {
            assert_eq!(a.state, rstcp::iface::AddressState::Preferred, "{a:?}");
        }
    }
    // An address added later is used at once too.
    let extra = rstcp::wire::Ipv4Cidr::new(rstcp::wire::Ipv4Addr::new(10, 9, 9, 1), 24).unwrap();
    br.a.iface.add_ipv4_address(extra, br.now).unwrap();
    assert!(br.a.iface.ipv4_addrs().any(|c| c == extra));
    // A few seconds of timers: MLD reports and Router Solicitations go, as
    // Linux sends on a TUN; no DAD solicitation (from ::) and no ARP.
    br.run_until(Duration::from_secs(10), |_| false);
    assert_bare_ip(&br.from_a);
    assert_bare_ip(&br.from_b);
    for (src, frame) in ndisc(&br.from_a).into_iter().chain(ndisc(&br.from_b)) {
        assert!(!src.is_unspecified(), "DAD on an IP link: {frame:02x?}");
    }
}

#[test]
fn ping_goes_both_families_with_nothing_resolved() {
    let mut br = Bridge::new();
    let h = br.a.icmp(0x7070, 8192);
    for (seq, to) in [(1u16, IpAddr::V4(IP4_B)), (2, IpAddr::V6(IP6_B))] {
        let req = echo_request(to, 0x7070, seq, b"through a tun");
        br.a.icmp_socket(h).send_slice(&req, to).unwrap();
        let got = br.run_until(Duration::from_millis(50), |br| {
            br.a.icmp_socket(h).can_recv()
        });
        assert!(got, "no echo reply from {to} within 50 ms");
        let (_, from) = br.a.icmp_socket(h).recv().unwrap();
        assert_eq!(from, to);
    }
    // No ARP cache, no neighbor cache: nothing was resolved.
    assert!(br.a.iface.arp_cache().get(&IP4_B, br.now).is_none());
    assert!(br.a.iface.neighbor_cache().get(&IP6_B, br.now).is_none());
    assert_bare_ip(&br.from_a);
    assert_bare_ip(&br.from_b);
    let ns = ndisc(&br.from_a)
        .into_iter()
        .chain(ndisc(&br.from_b))
        .filter(|(_, f)| f[40] == 135)
        .count();
    assert_eq!(ns, 0, "Neighbor Solicitations on an IP link");
    for s in [br.a.iface.stats(), br.b.iface.stats()] {
        assert_eq!(s.dropped(DropReason::Unresolved), 0);
        assert_eq!(s.dropped(DropReason::Unsupported), 0);
    }
}

#[test]
fn tcp_moves_a_megabyte_each_way_intact() {
    const LEN: usize = 1 << 20;
    let mut br = Bridge::new();
    let listener = br.b.tcp_listener(5001, 4, 2, 2, 64 * 1024);
    let client = br.a.tcp(64 * 1024);
    for to in [IpAddr::V4(IP4_B), IpAddr::V6(IP6_B)] {
        let now = br.now;
        br.a.connect(now, client, IpEndpoint::new(to, 5001), 0)
            .expect("connect at once: no address is tentative");
        let mut server = None;
        assert!(br.run_until(Duration::from_secs(1), |br| {
            server = server.or_else(|| br.b.listener(listener).accept());
            server.is_some() && br.a.tcp_socket(client).state() == State::Established
        }));
        let server = server.unwrap();
        let data: Vec<u8> = (0..LEN).map(|i| (i * 31 + i / 4099) as u8).collect();
        let (mut sent_a, mut sent_b) = (0, 0);
        let (mut got_a, mut got_b) = (Vec::new(), Vec::new());
        let done = br.run_until(Duration::from_secs(60), |br| {
            let c = br.a.tcp_socket(client);
            sent_a += c.send_slice(&data[sent_a..]).unwrap();
            let mut buf = [0u8; 16384];
            while let Ok(n @ 1..) = c.recv_slice(&mut buf) {
                got_a.extend_from_slice(&buf[..n]);
            }
            let s = br.b.tcp_socket(server);
            sent_b += s.send_slice(&data[sent_b..]).unwrap();
            while let Ok(n @ 1..) = s.recv_slice(&mut buf) {
                got_b.extend_from_slice(&buf[..n]);
            }
            got_a.len() == LEN && got_b.len() == LEN
        });
        assert!(
            done,
            "{to}: {} and {} of {LEN} bytes",
            got_b.len(),
            got_a.len()
        );
        assert!(got_b == data && got_a == data, "{to}: bytes differ");
        br.a.tcp_socket(client).abort();
        br.b.tcp_socket(server).abort();
        br.run_until(Duration::from_millis(10), |_| false);
        br.b.listener(listener).provide(server).unwrap();
    }
    assert_bare_ip(&br.from_a);
    assert_bare_ip(&br.from_b);
}

#[test]
fn ndp_on_an_ip_link_carries_no_link_layer_option() {
    let mut br = Bridge::new();
    // Router Solicitations within the first seconds (RFC 4861 §6.3.7).
    br.run_until(Duration::from_secs(5), |_| false);
    let rs: Vec<_> = ndisc(&br.from_a)
        .into_iter()
        .filter(|(_, f)| f[40] == 133)
        .collect();
    assert!(!rs.is_empty(), "no Router Solicitation");
    // A Neighbor Solicitation from B for A's address (a peer doing NUD):
    // answered, with no Target Link-Layer Address option.
    let ns = Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
        target_addr: IP6_A,
        lladdr: None,
        nonce: None,
        options: &[],
    });
    let mut frame = vec![0u8; 40 + ns.buffer_len()];
    let ip = rstcp::wire::ipv6::Ipv6Repr {
        src_addr: IP6_B,
        dst_addr: IP6_A,
        next_header: IpProtocol::Icmpv6,
        payload_len: ns.buffer_len() as u16,
        hop_limit: 255,
        traffic_class: 0,
        flow_label: 0,
    };
    ip.emit(&mut Ipv6Packet::new_unchecked(&mut frame[..]));
    ns.emit(
        &IP6_B,
        &IP6_A,
        &mut Icmpv6Packet::new_unchecked(&mut frame[40..]),
        ChecksumMode::Check,
    );
    let before = br.from_a.len();
    br.to_a
        .b()
        .transmit(br.now)
        .unwrap()
        .consume(frame.len(), |b| b.copy_from_slice(&frame));
    br.run_until(Duration::from_millis(5), |_| false);
    let answers: Vec<_> = ndisc(&br.from_a[before..])
        .into_iter()
        .filter(|(_, f)| f[40] == 136)
        .collect();
    assert_eq!(answers.len(), 1, "one Neighbor Advertisement");
    for (_, f) in rs.iter().chain(&answers) {
        let p = Icmpv6Packet::new_checked(&f[40..]).unwrap();
        let src = Ipv6Packet::new_checked(&f[..]).unwrap().src_addr();
        let dst = Ipv6Packet::new_checked(&f[..]).unwrap().dst_addr();
        let repr = Icmpv6Repr::parse(&src, &dst, &p, ChecksumMode::Check).unwrap();
        match repr {
            Icmpv6Repr::Ndisc(NdiscRepr::RouterSolicit { lladdr, .. })
            | Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert { lladdr, .. }) => {
                assert_eq!(lladdr, None, "{repr:?}")
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn dhcpv4_and_frames_of_other_versions_are_dropped_and_counted() {
    let mut br = Bridge::new();
    let dhcp = Dhcpv4Client::new(Dhcpv4Config::default(), MAC_A, 7);
    br.a.sockets.add(dhcp).unwrap();
    br.run_until(Duration::from_secs(30), |_| false);
    let s = br.a.iface.stats();
    assert!(s.dropped(DropReason::Unsupported) >= 1, "{s:?}");
    // No DHCP message (UDP 68 → 67) left A.
    let dhcp_sent = br
        .from_a
        .iter()
        .any(|f| f[0] >> 4 == 4 && f[9] == 17 && f.get(20..24) == Some(&[0, 68, 0, 67][..]));
    assert!(!dhcp_sent);

    let (malformed, truncated) = (
        s.dropped(DropReason::Malformed),
        s.dropped(DropReason::Truncated),
    );
    for frame in [vec![0x55u8; 40], vec![], vec![0x45]] {
        br.to_a
            .b()
            .transmit(br.now)
            .unwrap()
            .consume(frame.len(), |b| b.copy_from_slice(&frame));
    }
    br.step();
    let s = br.a.iface.stats();
    assert_eq!(s.dropped(DropReason::Malformed), malformed + 1);
    assert_eq!(s.dropped(DropReason::Truncated), truncated + 2);
}
