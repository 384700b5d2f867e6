//! One interface on a link whose other end is the test: frames the
//! interface sends are read back and parsed, Neighbor Discovery messages
//! (Router Advertisements, solicitations, advertisements) are built and
//! sent to it, all in simulated time. For DAD and SLAAC (issue 12), where
//! the other end must say exactly what a duplicate or a router says.

use rstcp::iface::{AddressState, Config, Event, Interface, InterfaceStorage};
use rstcp::phy::{Device, DeviceCapabilities, RxToken, TxToken};
use rstcp::socket::SocketSet;
use rstcp::time::{Duration, Instant};
use rstcp::wire::ethernet::{EtherType, EthernetFrame};
use rstcp::wire::icmpv6::{Icmpv6Packet, Icmpv6Repr};
use rstcp::wire::ipv6::{Ipv6Packet, Ipv6Repr};
use rstcp::wire::ndp::{NdiscOption, NdiscRepr, PrefixInfoFlags, PrefixInformation, RouterFlags};
use rstcp::wire::{ChecksumMode, EthernetAddress, IpProtocol, Ipv6Addr};
use rstcp_testkit::loopback::Link;

/// The stack's MAC.
pub const OUR_MAC: EthernetAddress = EthernetAddress([0x02, 0x00, 0x00, 0x00, 0x00, 0x01]);
/// The MAC of the other node (a router, a duplicate).
pub const OTHER_MAC: EthernetAddress = EthernetAddress([0x02, 0x00, 0x00, 0x00, 0x00, 0x99]);
/// ff02::1.
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
/// The other node's link-local address.
pub const OTHER_LL: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x99);

/// An IPv6 packet the interface sent, with its parts.
#[derive(Debug, Clone)]
pub struct SentV6 {
    /// When it was read off the link.
    pub at: Instant,
    /// The Ethernet destination.
    pub mac: EthernetAddress,
    /// The IPv6 header.
    pub ip: Ipv6Repr,
    /// Everything after the IPv6 header.
    pub body: Vec<u8>,
}

impl SentV6 {
    /// True for an MLD report (a Hop-by-Hop header first, RFC 3810 §5).
    pub fn is_mld(&self) -> bool {
        self.ip.next_header == IpProtocol::HopByHop
    }

    /// The Neighbor Discovery message, if it is one (checksum verified).
    pub fn ndisc(&self) -> Option<NdiscRepr<'_>> {
        if self.ip.next_header != IpProtocol::Icmpv6 {
            return None;
        }
        let p = Icmpv6Packet::new_checked(&self.body[..]).ok()?;
        match Icmpv6Repr::parse(
            &self.ip.src_addr,
            &self.ip.dst_addr,
            &p,
            ChecksumMode::Check,
        )
        .ok()?
        {
            Icmpv6Repr::Ndisc(n) => Some(n),
            _ => None,
        }
    }

    /// The target and nonce of a Neighbor Solicitation.
    pub fn solicit(&self) -> Option<(Ipv6Addr, Option<EthernetAddress>, Option<[u8; 6]>)> {
        match self.ndisc()? {
            NdiscRepr::NeighborSolicit {
                target_addr,
                lladdr,
                nonce,
                ..
            } => Some((target_addr, lladdr, nonce)),
            _ => None,
        }
    }
}

/// The interface under test, its sockets, the link and the clock.
pub struct Solo {
    /// The interface.
    pub iface: Interface<'static>,
    /// Its sockets.
    pub sockets: SocketSet<'static>,
    /// The link: the interface is end A, the test end B.
    pub link: Link,
    /// Simulated time.
    pub now: Instant,
    /// Every IPv6 packet the interface sent so far (read with `take_sent`).
    pub sent: Vec<SentV6>,
    /// Every event, in order (kept: tests look at them after the fact).
    pub events: Vec<Event>,
}

impl Solo {
    /// The defaults of [`Config::new`] for [`OUR_MAC`], no Router
    /// Solicitations (they are not what these tests count), then `adjust`.
    pub fn new(adjust: impl FnOnce(&mut Config)) -> Solo {
        let mut config = Config::new(OUR_MAC);
        config.router_solicitation = false;
        config.random_seed = 0x5eed;
        adjust(&mut config);
        let iface = Interface::new(config, InterfaceStorage::none(), Instant::ZERO);
        let mut s = Solo {
            iface,
            sockets: SocketSet::new(vec![], vec![], 7),
            link: Link::new(DeviceCapabilities::ethernet(1500), 64),
            now: Instant::ZERO,
            sent: Vec::new(),
            events: Vec::new(),
        };
        s.poll();
        s
    }

    /// Polls once at `now` and reads what the interface sent.
    pub fn poll(&mut self) {
        self.iface
            .poll(self.now, &mut self.link.a(), &mut self.sockets);
        while let Some(e) = self.iface.poll_event() {
            self.events.push(e);
        }
        let now = self.now;
        let mut end = self.link.b();
        while let Some((rx, _tx)) = end.receive(now) {
            rx.consume(|f| {
                if let Some(s) = parse(now, f) {
                    self.sent.push(s);
                }
            });
        }
    }

    /// Runs to `until`, polling at every deadline the interface asks for.
    pub fn run_to(&mut self, until: Instant) {
        loop {
            self.poll();
            let next = self.iface.poll_at(self.now, &self.sockets);
            match next {
                Some(t) if t <= until => self.now = t.max(self.now + Duration::from_micros(1)),
                _ => break,
            }
        }
        self.now = until;
        self.poll();
    }

    /// Runs for `d`.
    pub fn run_for(&mut self, d: Duration) {
        self.run_to(self.now + d);
    }

    /// The packets sent since the last call.
    pub fn take_sent(&mut self) -> Vec<SentV6> {
        std::mem::take(&mut self.sent)
    }

    /// The state of `addr`, `None` if the interface does not hold it.
    pub fn state(&self, addr: Ipv6Addr) -> Option<AddressState> {
        self.iface
            .ipv6_addresses()
            .find(|a| a.cidr.address() == addr)
            .map(|a| a.state)
    }

    /// Sends the interface an IPv6 packet in a frame from `src_mac`.
    pub fn inject(&mut self, src_mac: EthernetAddress, dst_mac: EthernetAddress, packet: &[u8]) {
        let now = self.now;
        let mut end = self.link.b();
        let tx = end.transmit(now).expect("link has room");
        tx.consume(14 + packet.len(), |buf| {
            let mut f = EthernetFrame::new_unchecked(&mut buf[..]);
            f.set_dst_addr(dst_mac);
            f.set_src_addr(src_mac);
            f.set_ethertype(EtherType::Ipv6);
            buf[14..].copy_from_slice(packet);
        });
        self.poll();
    }

    /// Sends the interface an ICMPv6 message (hop limit 255) in a frame
    /// from `src_mac` to the MAC of `dst`.
    pub fn inject_icmp(
        &mut self,
        src_mac: EthernetAddress,
        src: Ipv6Addr,
        dst: Ipv6Addr,
        repr: &Icmpv6Repr<'_>,
    ) {
        let p = icmp_packet(src, dst, repr);
        let mac = if dst.is_multicast() {
            EthernetAddress::from_ipv6_multicast(&dst)
        } else {
            OUR_MAC
        };
        self.inject(src_mac, mac, &p);
    }

    /// A Router Advertisement from [`OTHER_LL`] / [`OTHER_MAC`] with
    /// `router_lifetime` and these Prefix Information options.
    pub fn advertise(&mut self, router_lifetime: u16, prefixes: &[PrefixInformation]) {
        let mut options = vec![0u8; 32 * prefixes.len()];
        for (i, p) in prefixes.iter().enumerate() {
            NdiscOption::PrefixInformation(*p).emit(&mut options[32 * i..32 * (i + 1)]);
        }
        let ra = Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert {
            hop_limit: 64,
            flags: RouterFlags::empty(),
            router_lifetime,
            reachable_time: 0,
            retrans_time: 0,
            lladdr: Some(OTHER_MAC),
            mtu: None,
            options: &options,
        });
        self.inject_icmp(OTHER_MAC, OTHER_LL, ALL_NODES, &ra);
    }
}

/// A Prefix Information option with L and A set.
pub fn prefix(p: Ipv6Addr, preferred: u32, valid: u32) -> PrefixInformation {
    PrefixInformation {
        prefix_len: 64,
        flags: PrefixInfoFlags::ON_LINK | PrefixInfoFlags::AUTONOMOUS,
        valid_lifetime: valid,
        preferred_lifetime: preferred,
        prefix: p,
    }
}

/// A whole IPv6 packet carrying `repr`, hop limit 255.
pub fn icmp_packet(src: Ipv6Addr, dst: Ipv6Addr, repr: &Icmpv6Repr<'_>) -> Vec<u8> {
    let len = repr.buffer_len();
    let mut p = vec![0u8; 40 + len];
    Ipv6Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: IpProtocol::Icmpv6,
        payload_len: len as u16,
        hop_limit: 255,
        traffic_class: 0,
        flow_label: 0,
    }
    .emit(&mut Ipv6Packet::new_unchecked(&mut p[..40]));
    repr.emit(
        &src,
        &dst,
        &mut Icmpv6Packet::new_unchecked(&mut p[40..]),
        ChecksumMode::Check,
    );
    p
}

/// The solicited-node group of `a` (RFC 4291 §2.7.1).
pub fn solicited_node(a: Ipv6Addr) -> Ipv6Addr {
    let s = a.segments();
    Ipv6Addr::new(0xff02, 0, 0, 0, 0, 1, 0xff00 | (s[6] & 0xff), s[7])
}

fn parse(at: Instant, f: &[u8]) -> Option<SentV6> {
    let eth = EthernetFrame::new_checked(f).ok()?;
    if eth.ethertype() != EtherType::Ipv6 {
        return None;
    }
    let ip = Ipv6Packet::new_checked(eth.payload()).ok()?;
    let repr = Ipv6Repr::parse(&ip).ok()?;
    Some(SentV6 {
        at,
        mac: eth.dst_addr(),
        ip: repr,
        body: ip.payload().to_vec(),
    })
}
