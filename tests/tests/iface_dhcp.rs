//! The DHCPv4 client socket through a real interface, against a scripted
//! server on the other end of the link: DORA with the RFC 5227 probe, a NAK,
//! a conflict that ends in DHCPDECLINE, the lease applied to the interface
//! so that traffic flows through the router it names, and the leased
//! address defended (RFC 5227 §2.4) until a second conflict makes the client
//! give it up and decline it.

use rstcp::iface::Interface;
use rstcp::phy::{Device, RxToken, TxToken};
use rstcp::socket::dhcpv4::{Dhcpv4Client, Dhcpv4Config, Dhcpv4Event};
use rstcp::socket::SocketHandle;
use rstcp::time::Duration;
use rstcp::wire::arp::{ArpOperation, ArpPacket, ArpRepr};
use rstcp::wire::dhcpv4::{DhcpMessageType, DhcpPacket, DhcpRepr};
use rstcp::wire::ethernet::{EtherType, EthernetFrame};
use rstcp::wire::icmpv4::{Icmpv4Packet, Icmpv4Repr};
use rstcp::wire::EthernetAddress;
use rstcp::wire::{ChecksumMode, IpAddr, IpEndpoint, Ipv4Addr};
use rstcp_tests::sim::*;

/// What the scripted server does with each REQUEST.
#[derive(Clone, Copy, PartialEq)]
enum Script {
    Ack,
    NakFirst,
}

struct Server {
    socket: SocketHandle,
    script: Script,
    offers: Vec<Ipv4Addr>,
    seen: Vec<DhcpMessageType>,
    /// The IP destination of each message seen.
    seen_dst: Vec<Option<IpAddr>>,
    naked: bool,
}

impl Server {
    fn new(sim: &mut Sim, script: Script, offers: Vec<Ipv4Addr>) -> Server {
        let socket = sim.b.udp(67, 16 * 1024);
        sim.b.udp_socket(socket).set_broadcast(true);
        Server {
            socket,
            script,
            offers,
            seen: Vec::new(),
            seen_dst: Vec::new(),
            naked: false,
        }
    }

    /// Answers what the client sent, like a minimal RFC 2131 server.
    fn serve(&mut self, sim: &mut Sim) {
        loop {
            let Ok((bytes, meta)) = sim
                .b
                .udp_socket(self.socket)
                .recv()
                .map(|(d, m)| (d.to_vec(), m))
            else {
                return;
            };
            self.seen_dst.push(meta.local_address);
            let packet = DhcpPacket::new_checked(&bytes[..]).unwrap();
            let msg = DhcpRepr::parse(&packet).unwrap();
            self.seen.push(msg.message_type);
            let offer = match msg.message_type {
                DhcpMessageType::Discover => Some((DhcpMessageType::Offer, self.offers[0])),
                DhcpMessageType::Request => {
                    if self.script == Script::NakFirst && !self.naked {
                        self.naked = true;
                        Some((DhcpMessageType::Nak, Ipv4Addr::UNSPECIFIED))
                    } else {
                        Some((
                            DhcpMessageType::Ack,
                            msg.requested_ip.unwrap_or(msg.client_ip),
                        ))
                    }
                }
                DhcpMessageType::Decline => {
                    // The address is taken: offer the next one from now on.
                    self.offers.remove(0);
                    None
                }
                _ => None,
            };
            let Some((kind, yiaddr)) = offer else {
                continue;
            };
            let nak = kind == DhcpMessageType::Nak;
            let mut reply = DhcpRepr {
                message_type: kind,
                transaction_id: msg.transaction_id,
                secs: 0,
                client_hardware_address: msg.client_hardware_address,
                client_ip: Ipv4Addr::UNSPECIFIED,
                your_ip: yiaddr,
                server_ip: IP4_B,
                relay_agent_ip: Ipv4Addr::UNSPECIFIED,
                broadcast: msg.broadcast,
                requested_ip: None,
                server_identifier: Some(IP4_B),
                subnet_mask: (!nak).then_some(Ipv4Addr::new(255, 255, 255, 0)),
                router: (!nak).then_some(IP4_B),
                dns_servers: Default::default(),
                lease_duration: (!nak).then_some(3600),
                renew_duration: None,
                rebind_duration: None,
                parameter_request_list: None,
                client_identifier: None,
                host_name: None,
                domain_name: None,
                max_size: None,
            };
            if !nak {
                reply.dns_servers.push(IP4_B).unwrap();
            }
            let mut out = vec![0u8; reply.buffer_len()];
            reply
                .emit(&mut DhcpPacket::new_unchecked(&mut out[..]))
                .unwrap();
            let to = IpEndpoint::new(IpAddr::V4(Ipv4Addr::BROADCAST), 68);
            sim.b
                .udp_socket(self.socket)
                .send_slice(&out, to.into())
                .unwrap();
        }
    }
}

/// A with no IPv4 address and a DHCP client socket.
fn client(sim: &mut Sim) -> SocketHandle {
    assert!(sim.a.iface.remove_ipv4_address(&IP4_A));
    sim.a
        .sockets
        .add(Dhcpv4Client::new(Dhcpv4Config::default(), MAC_A, 42))
        .unwrap()
}

/// Runs until the client reports `Configured`, serving along the way;
/// applies each event to A's interface as a user's loop would.
fn run_to_lease(
    sim: &mut Sim,
    server: &mut Server,
    dhcp: SocketHandle,
    events: &mut Vec<Dhcpv4Event>,
) -> bool {
    sim.run_until(Duration::from_secs(60), |s| {
        server.serve(s);
        let new = apply_events(s, dhcp, events);
        events[events.len() - new..]
            .iter()
            .any(|e| matches!(e, Dhcpv4Event::Configured(_)))
    })
}

/// Applies the client's new events to A's interface as a user's loop would,
/// appends them to `events`, and returns how many there were.
fn apply_events(s: &mut Sim, dhcp: SocketHandle, events: &mut Vec<Dhcpv4Event>) -> usize {
    let before = events.len();
    while let Some(e) =
        s.a.sockets
            .get_mut::<Dhcpv4Client>(dhcp)
            .unwrap()
            .poll_event()
    {
        apply(&mut s.a.iface, &e);
        events.push(e);
    }
    events.len() - before
}

fn apply(iface: &mut Interface<'static>, e: &Dhcpv4Event) {
    iface.apply_dhcpv4(e);
}

fn ping_b(sim: &mut Sim) -> bool {
    let h = sim.a.icmp(0xd1, 4096);
    let repr = Icmpv4Repr::EchoRequest {
        ident: 0xd1,
        seq_no: 1,
        data: b"leased",
    };
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(
        &mut Icmpv4Packet::new_unchecked(&mut buf[..]),
        ChecksumMode::Check,
    );
    sim.a
        .icmp_socket(h)
        .send_slice(&buf, IpAddr::V4(IP4_B))
        .unwrap();
    sim.run_until(Duration::from_secs(2), |s| s.a.icmp_socket(h).can_recv())
}

#[test]
fn dora_with_probe_then_the_lease_is_used() {
    let mut sim = Sim::new(1500, false);
    let dhcp = client(&mut sim);
    let leased = Ipv4Addr::new(192, 168, 69, 50);
    let mut server = Server::new(&mut sim, Script::Ack, vec![leased]);
    let mut events = Vec::new();
    assert!(
        run_to_lease(&mut sim, &mut server, dhcp, &mut events),
        "no lease; server saw {:?}",
        server.seen
    );
    assert_eq!(
        server.seen,
        vec![DhcpMessageType::Discover, DhcpMessageType::Request]
    );
    let Dhcpv4Event::Configured(lease) = events.last().unwrap() else {
        unreachable!()
    };
    assert_eq!(lease.address.address(), leased);
    assert_eq!(lease.address.prefix_len(), 24);
    assert_eq!(lease.router, Some(IP4_B));
    assert_eq!(&lease.dns_servers[..], &[IP4_B]);
    assert_eq!(lease.lease_duration, Duration::from_secs(3600));
    assert!(sim.a.iface.ipv4_addrs().any(|c| c.address() == leased));
    // RFC 5227: the client probed before using the address, so a second passed.
    assert!(sim.now >= rstcp::time::Instant::from_secs(1));
    assert!(ping_b(&mut sim), "no echo reply with the leased address");
}

#[test]
fn nak_restarts_from_discover() {
    let mut sim = Sim::new(1500, false);
    let dhcp = client(&mut sim);
    let mut server = Server::new(
        &mut sim,
        Script::NakFirst,
        vec![Ipv4Addr::new(192, 168, 69, 51)],
    );
    let mut events = Vec::new();
    assert!(
        run_to_lease(&mut sim, &mut server, dhcp, &mut events),
        "server saw {:?}",
        server.seen
    );
    assert_eq!(
        server.seen,
        vec![
            DhcpMessageType::Discover,
            DhcpMessageType::Request,
            DhcpMessageType::Discover,
            DhcpMessageType::Request
        ]
    );
}

#[test]
fn conflict_on_the_offered_address_is_declined() {
    let mut sim = Sim::new(1500, false);
    let dhcp = client(&mut sim);
    // The first offer is B's own address: B answers A's ARP probe for it.
    let free = Ipv4Addr::new(192, 168, 69, 52);
    let mut server = Server::new(&mut sim, Script::Ack, vec![IP4_B, free]);
    let mut events = Vec::new();
    assert!(
        run_to_lease(&mut sim, &mut server, dhcp, &mut events),
        "server saw {:?}",
        server.seen
    );
    assert!(
        events.contains(&Dhcpv4Event::Conflict(IP4_B)),
        "events: {events:?}"
    );
    assert!(server.seen.contains(&DhcpMessageType::Decline));
    assert!(sim.a.iface.ipv4_addrs().any(|c| c.address() == free));
    assert!(!sim.a.iface.ipv4_addrs().any(|c| c.address() == IP4_B));
}

#[test]
fn lease_is_renewed_at_t1_by_unicast_to_the_server() {
    let mut sim = Sim::new(1500, false);
    let dhcp = client(&mut sim);
    let leased = Ipv4Addr::new(192, 168, 69, 53);
    let mut server = Server::new(&mut sim, Script::Ack, vec![leased]);
    let mut events = Vec::new();
    assert!(run_to_lease(&mut sim, &mut server, dhcp, &mut events));
    let Some(Dhcpv4Event::Configured(lease)) = events.last().cloned() else {
        unreachable!()
    };
    // T1 = half of the 3600 s lease, counted from the REQUEST (RFC 2131 §4.4.5, §4.4.1).
    assert_eq!(
        lease.renew_at - lease.acquired_at,
        Duration::from_secs(1800)
    );
    let renewed = sim.run_until(Duration::from_secs(2000), |s| {
        server.serve(s);
        let mut renewed = false;
        while let Some(e) =
            s.a.sockets
                .get_mut::<Dhcpv4Client>(dhcp)
                .unwrap()
                .poll_event()
        {
            renewed |= matches!(e, Dhcpv4Event::Renewed(_));
            apply(&mut s.a.iface, &e);
        }
        renewed
    });
    assert!(renewed, "no renewal; server saw {:?}", server.seen);
    assert!(
        sim.now >= lease.renew_at && sim.now - lease.renew_at < Duration::from_secs(1),
        "renewed at {}",
        sim.now
    );
    assert_eq!(
        server
            .seen
            .iter()
            .filter(|m| **m == DhcpMessageType::Request)
            .count(),
        2
    );
    assert_eq!(
        server.seen_dst.first(),
        Some(&Some(IpAddr::V4(Ipv4Addr::BROADCAST))),
        "DISCOVER broadcast"
    );
    assert_eq!(
        server.seen_dst.last(),
        Some(&Some(IpAddr::V4(IP4_B))),
        "renewing REQUEST unicast"
    );
    assert!(
        sim.a.iface.ipv4_addrs().any(|c| c.address() == leased),
        "address kept across the renewal"
    );
}

/// A gratuitous ARP from another host claiming `address`, put on the link
/// as if B's side sent it (so that only A sees it).
fn conflicting_arp(sim: &mut Sim, address: Ipv4Addr) {
    let repr = ArpRepr::EthernetIpv4 {
        operation: ArpOperation::Request,
        source_hardware_addr: INTRUDER,
        source_protocol_addr: address,
        target_hardware_addr: EthernetAddress::UNSPECIFIED,
        target_protocol_addr: address,
    };
    let mut end = sim.link.b();
    let tx = end.transmit(sim.now).expect("link has room");
    tx.consume(14 + repr.buffer_len(), |buf| {
        let mut f = EthernetFrame::new_unchecked(&mut buf[..]);
        f.set_dst_addr(EthernetAddress::BROADCAST);
        f.set_src_addr(INTRUDER);
        f.set_ethertype(EtherType::Arp);
        repr.emit(&mut ArpPacket::new_unchecked(&mut buf[14..]))
            .unwrap();
    });
}

/// Moves time by `span` in 100 ms steps (`run_for` jumps to the next
/// deadline, which may be T1, far past `span`).
fn crawl(sim: &mut Sim, span: Duration) {
    let end = sim.now + span;
    while sim.now < end {
        sim.step();
        sim.now += Duration::from_millis(100);
    }
}

const INTRUDER: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0x99]);

/// Polls A alone and counts the ARP announcements it sent for `address`
/// (requests with sender IP = target IP = `address`, RFC 5227 §2.3); other
/// frames are consumed unread.
fn a_announcements(sim: &mut Sim, address: Ipv4Addr) -> usize {
    let now = sim.now;
    sim.a.iface.poll(now, &mut sim.link.a(), &mut sim.a.sockets);
    let mut n = 0;
    let mut end = sim.link.b();
    while let Some((rx, _)) = end.receive(now) {
        rx.consume(|frame| {
            let f = EthernetFrame::new_checked(frame).unwrap();
            if f.ethertype() == EtherType::Arp {
                let p = ArpPacket::new_checked(f.payload()).unwrap();
                if let Ok(ArpRepr::EthernetIpv4 {
                    operation: ArpOperation::Request,
                    source_hardware_addr: MAC_A,
                    source_protocol_addr: s,
                    target_protocol_addr: t,
                    ..
                }) = ArpRepr::parse(&p)
                {
                    n += usize::from(s == address && t == address);
                }
            }
        });
    }
    n
}

/// RFC 5227 §2.4: a leased address is defended like a static one. The first
/// conflicting ARP is answered with one announcement and the lease kept; a
/// second within DEFEND_INTERVAL (10 s) gives the address up, and the client
/// declines it (RFC 2131 §4.4.1) and gets another.
#[test]
fn leased_address_is_defended_then_given_up_and_declined() {
    let mut sim = Sim::new(1500, false);
    let dhcp = client(&mut sim);
    let leased = Ipv4Addr::new(192, 168, 69, 54);
    let other = Ipv4Addr::new(192, 168, 69, 55);
    let mut server = Server::new(&mut sim, Script::Ack, vec![leased, other]);
    let mut events = Vec::new();
    assert!(run_to_lease(&mut sim, &mut server, dhcp, &mut events));
    // Let the announcements that follow the probe go out first.
    crawl(&mut sim, Duration::from_secs(5));
    events.clear();

    conflicting_arp(&mut sim, leased);
    assert_eq!(
        a_announcements(&mut sim, leased),
        1,
        "no defence (§2.4 (b))"
    );
    assert!(sim.a.iface.ipv4_addrs().any(|c| c.address() == leased));

    crawl(&mut sim, Duration::from_secs(3));
    conflicting_arp(&mut sim, leased);
    let declined = sim.run_until(Duration::from_secs(60), |s| {
        server.serve(s);
        apply_events(s, dhcp, &mut events);
        s.a.iface.ipv4_addrs().any(|c| c.address() == other)
    });
    assert!(declined, "events {events:?}, server saw {:?}", server.seen);
    assert!(
        events.contains(&Dhcpv4Event::Conflict(leased)),
        "{events:?}"
    );
    assert!(events.contains(&Dhcpv4Event::Deconfigured), "{events:?}");
    assert!(server.seen.contains(&DhcpMessageType::Decline));
    assert!(!sim.a.iface.ipv4_addrs().any(|c| c.address() == leased));
}
