//! The interface: state, configuration and the poll loop.

use managed::ManagedSlice;

use super::acd::{Acd, AcdConfig};
use super::addr6::lifetimes::Lifetimes;
use super::addr6::{select, AddressOrigin, Ipv6Address, Ipv6Addrs};
use super::config::Config;
use super::event::Event;
use super::fragment::{Reassembler, ReassemblyConfig, ReassemblySlot};
use super::igmp::{Igmp, IgmpError};
use super::mld::{Mld, MldError};
use super::neighbor::NeighborCache;
use super::pending::PendingQueue;
use super::pmtu::{PathMtuCache, PMTU_CACHE_SIZE};
use super::ratelimit::TokenBucket;
use super::redirect::{RedirectCache, REDIRECT_CACHE_SIZE};
use super::route::{Route, RouteTableFull, Routes};
use super::router::{RouterDiscovery, MAX_DEFAULT_ROUTERS, MAX_PREFIXES};
use super::stats::{DropReason, Stats};
use crate::phy::{Device, DeviceCapabilities, Medium, RxToken};
use crate::rand::{splitmix64, Rng};
use crate::socket::dhcpv4::Dhcpv4Event;
use crate::socket::tcp::isn::{IsnGenerator, SynCookies};
use crate::socket::{Socket, SocketHandle, SocketSet, Touched};
use crate::time::{Duration, Instant};
use crate::wire::{EthernetAddress, IpAddr, IpCidr, Ipv4Addr, Ipv4Cidr, Ipv6Addr, Ipv6Cidr};

/// How many IPv4 addresses an interface holds.
pub const MAX_IPV4_ADDRS: usize = 4;
/// How many IPv6 addresses an interface holds (the link-local one, static
/// and autoconfigured ones included).
pub const MAX_IPV6_ADDRS: usize = 8;
/// How many IPv4 multicast groups an interface can join.
pub const MAX_IPV4_GROUPS: usize = 8;
/// How many IPv6 multicast groups an interface can listen to: the
/// solicited-node group of each address and the groups the application joins.
pub const MAX_IPV6_GROUPS: usize = MAX_IPV6_ADDRS + 8;
/// Neighbor cache entries per family.
pub const NEIGHBOR_CACHE_SIZE: usize = 32;
/// Packets the resolution queue holds at most (its bytes are the storage's).
pub const MAX_PENDING_PACKETS: usize = 64;
/// Sockets remembered as waiting for link-layer resolution.
pub const MAX_STALLED: usize = 16;
/// Events kept until the user reads them (oldest dropped first).
pub const EVENT_QUEUE_LEN: usize = 16;

/// Memory an interface borrows (or owns, with `alloc`) for packets it holds.
pub struct InterfaceStorage<'a> {
    /// Reassembly slots for IPv4 fragments: each needs room for the largest
    /// datagram it should rebuild (65 535 bytes for any). Empty: fragments
    /// are dropped and counted.
    pub reassembly: ManagedSlice<'a, ReassemblySlot<'a>>,
    /// Bytes for packets waiting for link-layer resolution. Empty: such
    /// packets are dropped and counted (socket data stays in the socket).
    pub pending: ManagedSlice<'a, u8>,
}

impl<'a> InterfaceStorage<'a> {
    /// No buffers at all: no reassembly, no queueing of generated replies.
    pub fn none() -> InterfaceStorage<'a> {
        InterfaceStorage {
            reassembly: ManagedSlice::Borrowed(&mut []),
            pending: ManagedSlice::Borrowed(&mut []),
        }
    }
}

/// One configured IPv4 address and its conflict-detection state.
#[derive(Debug)]
pub(crate) struct V4Addr {
    pub cidr: Ipv4Cidr,
    pub acd: Option<Acd>,
}

impl V4Addr {
    /// RFC 5227 §2.1: an address being probed is not yet ours to use.
    pub fn usable(&self) -> bool {
        self.acd.as_ref().is_none_or(|a| a.is_usable())
    }
}

/// The state the receive and transmit paths share.
pub(crate) struct Inner {
    pub hw: EthernetAddress,
    pub vlan_id: Option<u16>,
    pub hop_limit: u8,
    pub config: Config,
    pub v4: heapless::Vec<V4Addr, MAX_IPV4_ADDRS>,
    /// IPv6 addresses and their state (RFC 4862, `addr6/`).
    pub v6: Ipv6Addrs<MAX_IPV6_ADDRS>,
    /// Joined IPv4 groups and their IGMP reporting state.
    pub igmp: Igmp<MAX_IPV4_GROUPS>,
    /// IPv6 groups listened to and their MLD reporting state.
    pub mld: Mld<MAX_IPV6_GROUPS>,
    pub routes: Routes,
    pub arp: NeighborCache<Ipv4Addr, NEIGHBOR_CACHE_SIZE>,
    pub nd: NeighborCache<Ipv6Addr, NEIGHBOR_CACHE_SIZE>,
    pub stats: Stats,
    pub events: heapless::Deque<Event, EVENT_QUEUE_LEN>,
    pub ident: u16,
    pub icmp_limit: TokenBucket,
    pub rng: Rng,
    /// Next hops whose queued packets should be sent on this poll.
    pub flush: heapless::Vec<IpAddr, 8>,
    /// More hops resolved than `flush` holds: look at every queued packet.
    pub flush_all: bool,
    /// Sockets whose next datagram waits for a next hop to resolve: skipped
    /// by egress and `poll_at` until it does (or fails), so a caller that
    /// sleeps until `poll_at` does not spin.
    pub stalled: heapless::Vec<(SocketHandle, IpAddr), MAX_STALLED>,
    pub caps: DeviceCapabilities,
    /// The medium the address machinery is set up for (probing, DAD):
    /// the config's until a poll sees the device's (`medium.rs`).
    pub medium: Medium,
    /// The device vouched for the transport checksum of the frame being
    /// processed (virtio `DATA_VALID`, or `NEEDS_CSUM`: a frame that never
    /// left the host): TCP and UDP skip verifying it.
    pub rx_vouched: bool,
    pub now: Instant,
    /// The address and router applied from a DHCP lease.
    pub dhcp: Option<(Ipv4Cidr, Option<Ipv4Addr>)>,
    /// RFC 5227 for the DHCP client's offered address, until the lease is
    /// applied and the machine moves into the address (`iface/dhcp.rs`).
    pub dhcp_acd: Option<Acd>,
    /// TCP initial sequence numbers (RFC 6528).
    pub isn: IsnGenerator,
    /// TCP SYN cookies (RFC 4987 §3.6).
    pub syn_cookies: SynCookies,
    /// Router discovery (RFC 4861 §6.3): default routers, on-link prefixes,
    /// the solicitations at start (`router.rs`, driven from `ndisc.rs`).
    pub rdisc: RouterDiscovery<MAX_DEFAULT_ROUTERS, MAX_PREFIXES>,
    /// Path MTU per destination (RFC 1191, RFC 8201), from the ICMP
    /// reports `icmp.rs` validated (`pmtu.rs`).
    pub pmtu: PathMtuCache<PMTU_CACHE_SIZE>,
    /// Next hops from Redirects (RFC 4861 §8.3), validated in `ndisc.rs`.
    pub redirects: RedirectCache<REDIRECT_CACHE_SIZE>,
    /// When the address and group timers next have work (`quiet.rs`).
    pub quiet: super::quiet::Quiet,
    /// IPv6 turned off by a duplicate hardware-derived link-local address
    /// (RFC 4862 §5.4.5, `ipv6_off.rs`).
    pub ipv6_off: bool,
}

impl Inner {
    /// 32 random bits from the interface's generator (seeded by the user).
    pub fn rand(&mut self) -> u32 {
        self.rng.next_u32()
    }

    /// The value of a wire parse, or `None` with its error counted as the
    /// drop reason: every early return of the receive path drops the packet
    /// and counts exactly one reason.
    pub fn wire<T>(&mut self, parsed: Result<T, crate::wire::Error>) -> Option<T> {
        parsed
            .map_err(|e| self.drop(DropReason::from_wire(&e)))
            .ok()
    }

    /// How to treat a TCP or UDP checksum of the frame being processed:
    /// skipped when the device verified it or it never left the host
    /// ([`rx_vouched`](Self::rx_vouched)), else as the capabilities say.
    pub fn l4_rx_mode(&self, caps: crate::phy::Checksum) -> crate::wire::ChecksumMode {
        if self.rx_vouched {
            crate::wire::ChecksumMode::Skip
        } else {
            caps.rx_mode()
        }
    }

    pub fn drop(&mut self, reason: DropReason) {
        net_debug!("drop: {}", reason.as_str());
        self.stats.drop(reason);
    }

    pub fn event(&mut self, e: Event) {
        if self.events.is_full() {
            self.events.pop_front();
        }
        let _ = self.events.push_back(e);
    }

    pub fn next_ident(&mut self) -> u16 {
        self.ident = self.ident.wrapping_add(1);
        self.ident
    }

    pub fn schedule_flush(&mut self, hop: IpAddr) {
        if !self.flush.contains(&hop) && self.flush.push(hop).is_err() {
            self.flush_all = true;
        }
        self.unstall(&hop);
    }

    /// Marks a socket as waiting for `hop` (best effort: when the list is
    /// full the socket is simply retried on every poll).
    pub fn stall(&mut self, handle: SocketHandle, hop: IpAddr) {
        if !self.is_stalled(handle) {
            let _ = self.stalled.push((handle, hop));
        }
    }

    pub fn is_stalled(&self, handle: SocketHandle) -> bool {
        self.stalled.iter().any(|(h, _)| *h == handle)
    }

    /// The hop resolved or failed: its sockets may try again.
    pub fn unstall(&mut self, hop: &IpAddr) {
        self.stalled.retain(|(_, h)| h != hop);
    }

    /// True when `addr` is one of our usable IPv4 addresses.
    pub fn has_v4(&self, addr: &Ipv4Addr) -> bool {
        self.v4
            .iter()
            .any(|a| a.cidr.address() == *addr && a.usable())
    }

    /// True when `addr` is one of our usable IPv6 addresses: a tentative
    /// one receives nothing but DAD's solicitations and advertisements
    /// (RFC 4862 §5.4), which `ndisc.rs` looks up itself.
    pub fn has_v6(&self, addr: &Ipv6Addr) -> bool {
        self.v6.get(addr).is_some_and(|a| a.usable())
    }

    /// True for 255.255.255.255 and the directed broadcast of our networks.
    pub fn is_v4_broadcast(&self, addr: &Ipv4Addr) -> bool {
        addr.is_broadcast() || self.v4.iter().any(|a| a.cidr.broadcast() == Some(*addr))
    }

    /// The IPv4 source for a packet to `dst`: an address on the same network,
    /// else the first usable one.
    pub fn v4_source(&self, dst: &Ipv4Addr) -> Option<Ipv4Addr> {
        let usable = || self.v4.iter().filter(|a| a.usable());
        usable()
            .find(|a| a.cidr.contains_addr(dst))
            .or_else(|| usable().next())
            .map(|a| a.cidr.address())
    }

    /// The IPv6 source for `dst` (RFC 6724 §5, `addr6/select.rs`) among
    /// the usable addresses: never a tentative one (RFC 4862 §5.4), a
    /// deprecated one only when nothing better fits (§5.5.4).
    pub fn v6_source(&self, dst: &Ipv6Addr) -> Option<Ipv6Addr> {
        select::select(self.v6.candidates(self.now), dst)
    }

    /// The source of an answer to a datagram from `from` to `to`: `to`
    /// when it is ours (RFC 1122 §3.2.2.6, RFC 4443 §2.2), else ours for
    /// `from` (the datagram went to a broadcast or group address).
    pub fn v4_reply_source(&self, to: &Ipv4Addr, from: &Ipv4Addr) -> Option<Ipv4Addr> {
        if self.has_v4(to) {
            Some(*to)
        } else {
            self.v4_source(from)
        }
    }

    /// [`v4_reply_source`](Self::v4_reply_source) for IPv6.
    pub fn v6_reply_source(&self, to: &Ipv6Addr, from: &Ipv6Addr) -> Option<Ipv6Addr> {
        if self.has_v6(to) {
            Some(*to)
        } else {
            self.v6_source(from)
        }
    }

    /// The source address for `dst` when the socket named none.
    pub fn source_for(&self, dst: &IpAddr) -> Option<IpAddr> {
        match dst {
            IpAddr::V4(d) => self.v4_source(d).map(IpAddr::V4),
            IpAddr::V6(d) => self.v6_source(d).map(IpAddr::V6),
        }
    }

    /// TTL / hop limit of a new packet to `dst`: IPv6 takes a Router
    /// Advertisement's Cur Hop Limit (RFC 4861 §6.3.4), IPv4 the config's.
    pub fn hop_limit_for(&self, dst: &IpAddr) -> u8 {
        match dst {
            IpAddr::V4(_) => self.hop_limit,
            IpAddr::V6(_) => self.rdisc.hop_limit(self.hop_limit),
        }
    }

    /// The IP MTU toward `dst`: the device's, or for IPv6 a Router
    /// Advertisement's MTU option below it (RFC 4861 §6.3.4), or the path
    /// MTU learnt for `dst` below that (RFC 1191, RFC 8201: what every
    /// sender fragments to and a new TCP connection's MSS comes from).
    pub fn ip_mtu(&self, dst: &IpAddr) -> usize {
        self.ip_mtu_at(dst, self.now)
    }

    /// [`ip_mtu`](Self::ip_mtu) at `now`.
    pub fn ip_mtu_at(&self, dst: &IpAddr, now: Instant) -> usize {
        let link = match dst {
            IpAddr::V4(_) => self.caps.mtu,
            IpAddr::V6(_) => self.rdisc.mtu(self.caps.mtu),
        };
        self.pmtu.get(dst, now).map_or(link, |p| p.min(link))
    }

    /// Where to send a packet for `dst`: the next hop, or `None` without a route.
    pub fn next_hop(&self, dst: &IpAddr) -> Option<IpAddr> {
        match dst {
            IpAddr::V4(a) => {
                // On a configured prefix first: the common reply, and a
                // prefix's own broadcast lies inside it too.
                if self.v4.iter().any(|c| c.cidr.contains_addr(a))
                    || a.is_broadcast()
                    || a.is_multicast()
                    || self.is_v4_broadcast(a)
                {
                    return Some(*dst);
                }
            }
            IpAddr::V6(a) => {
                // RFC 4861 §5.2: link-local and multicast are always on-link.
                if a.is_multicast() || a.is_unicast_link_local() {
                    return Some(*dst);
                }
                // RFC 5942 §4: an autoconfigured address says nothing
                // about what is on-link; a static one's prefix does.
                let on_link = |e: &&super::addr6::Entry| e.origin == AddressOrigin::Static;
                if self
                    .v6
                    .iter()
                    .filter(on_link)
                    .any(|e| e.cidr.contains_addr(a))
                {
                    return Some(*dst);
                }
                // RFC 4861 §5.2: a prefix of the Prefix List (§6.3.4).
                if self.rdisc.on_link(a, self.now) {
                    return Some(*dst);
                }
                // RFC 4861 §5.2, §8.3: the destination cache's next hop,
                // which a Redirect set, before next-hop determination.
                if let Some(hop) = self.redirects.next_hop(a, self.now) {
                    return Some(IpAddr::V6(hop));
                }
            }
        }
        match self.routes.lookup(dst, self.now) {
            Some(Some(gw)) => Some(gw),
            Some(None) => Some(*dst),
            // RFC 4861 §5.2: off-link with no route: a default router.
            None => match dst {
                IpAddr::V6(_) => self.default_router().map(IpAddr::V6),
                IpAddr::V4(_) => None,
            },
        }
    }

    /// The default router for off-link traffic (RFC 4861 §6.3.6): the first
    /// one reachable or probably reachable (a neighbor entry in any state
    /// but INCOMPLETE or FAILED), else the first of the list, so that
    /// resolution of an unknown one starts.
    pub fn default_router(&self) -> Option<Ipv6Addr> {
        use super::neighbor::NeighborState;
        let now = self.now;
        let likely = |a: &Ipv6Addr| {
            self.nd.get(a, now).is_some_and(|e| {
                !matches!(e.state, NeighborState::Incomplete | NeighborState::Failed)
            })
        };
        let mut routers = self.rdisc.routers(now).map(|r| r.addr);
        let first = routers.next()?;
        Some(
            core::iter::once(first)
                .chain(routers)
                .find(likely)
                .unwrap_or(first),
        )
    }
}

/// A network interface: one device, its addresses, neighbors and routes.
///
/// Drive it with [`poll`](Interface::poll) whenever the device has a frame,
/// a socket has data, or [`poll_at`](Interface::poll_at) says so.
///
/// # Example
///
/// An interface and a socket set in memory lent up front (no heap), and the
/// loop that drives them over any [`Device`]: poll **while `poll` returns
/// true** (it takes at most a burst of frames, and what arrived may give
/// the sockets more to send), then sleep until a frame arrives or
/// [`poll_delay`](Interface::poll_delay) passes.
///
/// ```
/// use rstcp::iface::{Config, Interface, InterfaceStorage};
/// use rstcp::phy::Device;
/// use rstcp::socket::{IndexSlot, SocketSet, SocketStorage};
/// use rstcp::time::{Duration, Instant};
/// use rstcp::wire::{EthernetAddress, Ipv4Addr, Ipv4Cidr};
///
/// let mut config = Config::new(EthernetAddress([0x02, 0, 0, 0, 0, 0x01]));
/// // Seeds ISNs, ephemeral ports and timer jitter: a hardware RNG on a board.
/// config.random_seed = 0x5eed;
/// // Room for packets waiting for ARP / Neighbor Discovery; no reassembly.
/// let mut pending = [0u8; 4096];
/// let mut storage = InterfaceStorage::none();
/// storage.pending = (&mut pending[..]).into();
/// let mut iface = Interface::new(config, storage, Instant::ZERO);
/// let cidr = Ipv4Cidr::new(Ipv4Addr::new(192, 168, 69, 1), 24).unwrap();
/// iface.add_ipv4_address(cidr, Instant::ZERO).unwrap();
///
/// let mut slots = [SocketStorage::EMPTY; 4];
/// let mut index = [IndexSlot::default(); 8];
/// let mut sockets = SocketSet::new(&mut slots[..], &mut index[..], 0x5eed);
///
/// // Timers are running already: RFC 5227 probes the address (~6 s) before
/// // it is used, IPv6 sends its first Router Solicitation.
/// assert!(iface.poll_at(Instant::ZERO, &sockets).is_some());
///
/// /// The loop: `clock` reads a hardware timer, `sleep` waits for the NIC's
/// /// interrupt or the delay (`None`: no timer), e.g. with WFI.
/// # #[allow(dead_code)]
/// fn run<D: Device>(
///     iface: &mut Interface<'_>,
///     device: &mut D,
///     sockets: &mut SocketSet<'_>,
///     clock: impl Fn() -> Instant,
///     sleep: impl Fn(Option<Duration>),
/// ) -> ! {
///     loop {
///         while iface.poll(clock(), device, sockets) {
///             // Use the sockets here: accept, recv, send.
///         }
///         sleep(iface.poll_delay(clock(), sockets));
///     }
/// }
/// ```
pub struct Interface<'a> {
    pub(crate) inner: Inner,
    pub(crate) fragments: Reassembler<'a>,
    pub(crate) pending: PendingQueue<'a>,
}

impl<'a> Interface<'a> {
    /// A new interface. The IPv6 link-local address (EUI-64, RFC 4291 §2.5.1)
    /// is configured at once, tentative while Duplicate Address Detection
    /// runs (RFC 4862 §5.3, §5.4; [`Event::Ipv6AddressReady`] when done).
    pub fn new(config: Config, storage: InterfaceStorage<'a>, now: Instant) -> Interface<'a> {
        let hw = config.hardware_addr;
        let (rate, burst) = config.icmp_error_rate;
        let seed = config.random_seed;
        let mut inner = Inner {
            hw,
            vlan_id: config.vlan_id,
            hop_limit: config.hop_limit,
            arp: NeighborCache::new(config.neighbor),
            nd: NeighborCache::new(config.neighbor),
            v4: heapless::Vec::new(),
            v6: Ipv6Addrs::new(),
            igmp: Igmp::new(),
            mld: Mld::new(),
            routes: Routes::new(),
            stats: Stats::default(),
            events: heapless::Deque::new(),
            ident: (config.random_seed >> 16) as u16,
            icmp_limit: TokenBucket::new(rate, burst),
            rng: Rng::new(config.random_seed),
            flush: heapless::Vec::new(),
            flush_all: false,
            stalled: heapless::Vec::new(),
            caps: DeviceCapabilities::default(),
            medium: config.medium,
            rx_vouched: false,
            now,
            dhcp: None,
            dhcp_acd: None,
            isn: IsnGenerator::new(secret(seed, 1)),
            syn_cookies: SynCookies::new(secret(seed, 2)),
            rdisc: RouterDiscovery::new(),
            pmtu: PathMtuCache::new(),
            redirects: RedirectCache::new(),
            quiet: super::quiet::Quiet::Unknown,
            ipv6_off: false,
            config,
        };
        // RFC 4862 §5.3: the link-local address is formed when the
        // interface comes up and goes through DAD like any other.
        if let Some(c) = Ipv6Cidr::new(link_local_from_mac(&hw), 64) {
            let _ = inner.add_v6(c, AddressOrigin::LinkLocal, Lifetimes::FOREVER, 0);
        }
        // RFC 4861 §6.3.7: the interface is up with its link-local address.
        if inner.config.router_solicitation {
            let r = inner.rand();
            inner.rdisc.start(now, r);
        }
        let timeout = inner.config.reassembly_timeout;
        Interface {
            inner,
            fragments: Reassembler::with_config(
                storage.reassembly,
                ReassemblyConfig {
                    ipv4_timeout: timeout,
                    ..ReassemblyConfig::default()
                },
            ),
            pending: PendingQueue::new(storage.pending, MAX_PENDING_PACKETS),
        }
    }

    /// The MAC address.
    pub fn hardware_addr(&self) -> EthernetAddress {
        self.inner.hw
    }

    /// Adds an IPv4 address. With `ipv4_probe` on (the default) the address
    /// is probed first (RFC 5227) and used only once
    /// [`Event::AddressReady`] is reported.
    pub fn add_ipv4_address(&mut self, cidr: Ipv4Cidr, now: Instant) -> Result<(), AddressError> {
        self.inner.timers_changed();
        if cidr.address().is_unspecified()
            || cidr.address().is_multicast()
            || cidr.address().is_broadcast()
        {
            return Err(AddressError::Invalid);
        }
        self.inner.v4.retain(|a| a.cidr.address() != cidr.address());
        // RFC 5227 is ARP: an IP link has nothing to probe with.
        let acd = if self.inner.config.ipv4_probe && self.inner.medium == Medium::Ethernet {
            let r = self.inner.rand();
            Some(Acd::new(
                cidr.address(),
                self.inner.hw,
                AcdConfig::default(),
                now,
                r,
            ))
        } else {
            None
        };
        self.inner
            .v4
            .push(V4Addr { cidr, acd })
            .map_err(|_| AddressError::Full)?;
        if acd_disabled(&self.inner.v4) {
            self.inner.event(Event::AddressReady(cidr.address()));
        }
        Ok(())
    }

    /// Removes an IPv4 address (and nothing else).
    pub fn remove_ipv4_address(&mut self, addr: &Ipv4Addr) -> bool {
        self.inner.timers_changed();
        let before = self.inner.v4.len();
        self.inner.v4.retain(|a| a.cidr.address() != *addr);
        before != self.inner.v4.len()
    }

    /// Adds a static IPv6 address at the last poll's time. It is tentative
    /// while Duplicate Address Detection runs (RFC 4862 §5.4: about 1 to 2
    /// s with the default [`Config::dad_transmits`]) and used once
    /// [`Event::Ipv6AddressReady`] is reported; another node holding it
    /// ends in [`Event::Ipv6DuplicateAddress`] and the address is removed.
    /// Its solicited-node group is joined and reported first (MLD, RFC 3810
    /// §6.1); `Full` also when the group table ([`MAX_IPV6_GROUPS`]) is
    /// full. Adding an address already held changes nothing.
    pub fn add_ipv6_address(&mut self, cidr: Ipv6Cidr) -> Result<(), AddressError> {
        self.inner.timers_changed();
        self.inner
            .add_v6(cidr, AddressOrigin::Static, Lifetimes::FOREVER, 0)
    }

    /// Whether IPv6 is turned off on the interface: DAD found the
    /// link-local address formed from its MAC in use (RFC 4862 §5.4.5,
    /// [`Event::Ipv6Disabled`]). Then no IPv6 is sent or taken, and no
    /// IPv6 address may be added.
    pub fn ipv6_disabled(&self) -> bool {
        self.inner.ipv6_off
    }

    /// Removes an IPv6 address of any origin (its solicited-node group is
    /// left). False if the interface did not hold it. A SLAAC address comes
    /// back with the next Router Advertisement for its prefix.
    pub fn remove_ipv6_address(&mut self, addr: &Ipv6Addr) -> bool {
        self.inner.timers_changed();
        self.inner.remove_v6(addr).is_some()
    }

    /// The IPv6 addresses with their state, origin and lifetimes (at the
    /// last poll's time).
    pub fn ipv6_addresses(&self) -> impl Iterator<Item = Ipv6Address> + '_ {
        let now = self.inner.now;
        self.inner.v6.iter().map(move |e| e.view(now))
    }

    /// Every configured address: IPv4 (usable or still probing) and IPv6
    /// (tentative ones included: see [`ipv6_addresses`](Self::ipv6_addresses)
    /// for their state).
    pub fn ip_addrs(&self) -> impl Iterator<Item = IpCidr> + '_ {
        self.inner
            .v4
            .iter()
            .map(|a| IpCidr::V4(a.cidr))
            .chain(self.inner.v6.iter().map(|e| IpCidr::V6(e.cidr)))
    }

    /// The IPv4 addresses in use (probing finished).
    pub fn ipv4_addrs(&self) -> impl Iterator<Item = Ipv4Cidr> + '_ {
        self.inner.v4.iter().filter(|a| a.usable()).map(|a| a.cidr)
    }

    /// The route table.
    pub fn routes(&self) -> &Routes {
        &self.inner.routes
    }

    /// The route table, to change.
    pub fn routes_mut(&mut self) -> &mut Routes {
        self.inner.timers_changed();
        &mut self.inner.routes
    }

    /// The MTU packets to `dst` are sized to: the link's, or the path MTU
    /// learnt from Packet Too Big / Fragmentation Needed reports (RFC 8201,
    /// RFC 1191) until it ages out (RFC 8201 §5.3), at `now`.
    pub fn path_mtu(&self, dst: &IpAddr, now: Instant) -> usize {
        self.inner.ip_mtu_at(dst, now)
    }

    /// The next hops Redirects set (RFC 4861 §8.3), per destination.
    pub fn redirects(&self) -> &RedirectCache<REDIRECT_CACHE_SIZE> {
        &self.inner.redirects
    }

    /// The path MTU cache (RFC 8201 §5.3): what was learnt, per destination.
    pub fn path_mtu_cache(&self) -> &PathMtuCache<PMTU_CACHE_SIZE> {
        &self.inner.pmtu
    }

    /// What router discovery learnt (RFC 4861 §6.3): default routers and
    /// on-link prefixes with their lifetimes.
    pub fn router_discovery(&self) -> &RouterDiscovery<MAX_DEFAULT_ROUTERS, MAX_PREFIXES> {
        &self.inner.rdisc
    }

    /// Adds a default gateway for the gateway's family.
    pub fn add_default_gateway(&mut self, gateway: IpAddr) -> Result<(), RouteTableFull> {
        self.inner.timers_changed();
        self.inner.routes.add(Route::default_via(gateway))
    }

    /// Joins an IPv4 multicast group: frames to it are taken from now on,
    /// and routers hear of it (IGMPv3 reports, or v2/v1 when an older
    /// querier is present: RFC 3376 §5.1, §7).
    pub fn join_ipv4_group(&mut self, group: Ipv4Addr, now: Instant) -> Result<(), AddressError> {
        self.inner.timers_changed();
        let r = self.inner.rand();
        self.inner.igmp.join(group, now, r).map_err(|e| match e {
            IgmpError::NotMulticast => AddressError::Invalid,
            _ => AddressError::Full,
        })
    }

    /// Leaves an IPv4 multicast group (routers are told, RFC 3376 §5.1 /
    /// RFC 2236 §3). False if it was not joined.
    pub fn leave_ipv4_group(&mut self, group: &Ipv4Addr, now: Instant) -> bool {
        self.inner.timers_changed();
        let r = self.inner.rand();
        self.inner.igmp.leave(*group, now, r)
    }

    /// The IPv4 groups joined (224.0.0.1, always joined, is not listed).
    pub fn ipv4_groups(&self) -> impl Iterator<Item = Ipv4Addr> + '_ {
        self.inner.igmp.groups()
    }

    /// Joins an IPv6 multicast group: packets to it are taken from now on,
    /// and routers and snooping bridges hear of it (MLDv2 reports, or MLDv1
    /// when an MLDv1 querier is present: RFC 3810 §6.1, §8). Joining a group
    /// already joined (a solicited-node group, say) counts one more join.
    pub fn join_ipv6_group(&mut self, group: Ipv6Addr, now: Instant) -> Result<(), AddressError> {
        self.inner.timers_changed();
        let r = self.inner.rand();
        self.inner.mld.join(group, now, r).map_err(|e| match e {
            MldError::NotMulticast => AddressError::Invalid,
            MldError::Full => AddressError::Full,
        })
    }

    /// Leaves an IPv6 multicast group joined with
    /// [`join_ipv6_group`](Self::join_ipv6_group) (routers are told when the
    /// last join is undone, RFC 3810 §6.1 / RFC 2710 §4). False if it was
    /// not joined.
    pub fn leave_ipv6_group(&mut self, group: &Ipv6Addr, now: Instant) -> bool {
        self.inner.timers_changed();
        let r = self.inner.rand();
        self.inner.mld.leave(*group, now, r)
    }

    /// The IPv6 groups listened to, solicited-node groups included (ff02::1,
    /// always listened to, is not listed).
    pub fn ipv6_groups(&self) -> impl Iterator<Item = Ipv6Addr> + '_ {
        self.inner.mld.groups()
    }

    /// Applies what the DHCPv4 client reported, for a caller that wants the
    /// lease used as is: `Configured`/`Renewed` set the address, prefix and
    /// default route (the interface already probed the address, RFC 5227, so
    /// it is used at once, and defends it with the same machine, §2.4);
    /// `Deconfigured` removes them. The default route
    /// lasts as long as the lease, so a renewal of the same lease moves its
    /// end. Returns true when the address or router changed. DNS servers
    /// are the caller's to use.
    pub fn apply_dhcpv4(&mut self, event: &Dhcpv4Event) -> bool {
        self.inner.timers_changed();
        match event {
            Dhcpv4Event::Configured(lease) | Dhcpv4Event::Renewed(lease) => {
                let same = self.inner.dhcp == Some((lease.address, lease.router));
                if same {
                    if let Some(router) = lease.router {
                        // Replaces the route of the previous lease: only
                        // its end differs.
                        let _ = self.inner.routes.add(Route {
                            cidr: IpCidr::V4(Ipv4Cidr::ANY),
                            via: Some(IpAddr::V4(router)),
                            expires_at: Some(lease.expires_at),
                        });
                    }
                    return false;
                }
                self.drop_dhcp_config();
                let address = lease.address.address();
                self.inner.v4.retain(|a| a.cidr.address() != address);
                // RFC 5227 §2.4: the machine that probed the address
                // defends it for as long as the lease is used.
                let acd = self.inner.take_dhcp_acd(address);
                if self
                    .inner
                    .v4
                    .push(V4Addr {
                        cidr: lease.address,
                        acd,
                    })
                    .is_err()
                {
                    return false;
                }
                if let Some(router) = lease.router {
                    let _ = self.inner.routes.add(Route {
                        cidr: IpCidr::V4(Ipv4Cidr::ANY),
                        via: Some(IpAddr::V4(router)),
                        expires_at: Some(lease.expires_at),
                    });
                }
                self.inner.dhcp = Some((lease.address, lease.router));
                true
            }
            Dhcpv4Event::Deconfigured => self.drop_dhcp_config(),
            _ => false,
        }
    }

    fn drop_dhcp_config(&mut self) -> bool {
        let Some((cidr, router)) = self.inner.dhcp.take() else {
            return false;
        };
        self.inner.v4.retain(|a| a.cidr != cidr);
        if router.is_some() {
            self.inner.routes.remove(&IpCidr::V4(Ipv4Cidr::ANY));
        }
        true
    }

    /// The counters.
    pub fn stats(&self) -> &Stats {
        &self.inner.stats
    }

    /// The oldest unread event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.inner.events.pop_front()
    }

    /// The ARP cache.
    pub fn arp_cache(&self) -> &NeighborCache<Ipv4Addr, NEIGHBOR_CACHE_SIZE> {
        &self.inner.arp
    }

    /// The IPv6 neighbor cache.
    pub fn neighbor_cache(&self) -> &NeighborCache<Ipv6Addr, NEIGHBOR_CACHE_SIZE> {
        &self.inner.nd
    }

    /// Packets waiting in the resolution queue (for a next hop being
    /// resolved, or for a device buffer).
    pub fn pending_packets(&self) -> usize {
        self.pending.len()
    }

    /// Moves frames: takes what the device received (up to its burst size),
    /// then sends what timers and sockets have ready. Returns true when
    /// anything was received or sent.
    pub fn poll<D: Device>(
        &mut self,
        now: Instant,
        device: &mut D,
        sockets: &mut SocketSet<'_>,
    ) -> bool {
        self.inner.now = now;
        self.inner.caps = device.capabilities();
        if self.inner.caps.medium != self.inner.medium {
            self.inner.timers_changed();
            self.inner.adopt_medium(self.inner.caps.medium);
        }
        let mut changed = false;
        let burst = self.inner.caps.max_burst_size.unwrap_or(usize::MAX).max(1);
        for _ in 0..burst {
            let Some((rx, tx)) = device.receive(now) else {
                break;
            };
            changed = true;
            rx.consume(|frame| self.process_frame(now, frame, sockets, tx));
        }
        changed |= self.egress(now, device, sockets);
        changed
    }

    /// The next instant at which [`poll`](Self::poll) has timer work, or
    /// `Some(now)` when sockets have data to send. `None`: only an incoming
    /// frame or a user call can create work.
    pub fn poll_at(&self, now: Instant, sockets: &SocketSet<'_>) -> Option<Instant> {
        self.poll_at_with(now, sockets, true)
    }

    /// [`poll_at`](Self::poll_at), taking the sockets' deadlines remembered
    /// since their last change or (`remembered` false, for the tests that
    /// hold the two equal) asking every socket afresh.
    pub(crate) fn poll_at_with(
        &self,
        now: Instant,
        sockets: &SocketSet<'_>,
        remembered: bool,
    ) -> Option<Instant> {
        let inner = &self.inner;
        let mut at: Option<Instant> = None;
        let mut take = |t: Option<Instant>| {
            if let Some(t) = t {
                at = Some(at.map_or(t, |a: Instant| a.min(t)));
            }
        };
        take(inner.arp.poll_at(now));
        take(inner.nd.poll_at(now));
        take(self.fragments.poll_at());
        take(inner.igmp.poll_at());
        take(inner.mld.poll_at());
        take(inner.rdisc.poll_at());
        take(inner.v6.poll_at());
        take(inner.pmtu.poll_at());
        for a in inner.v4.iter() {
            take(a.acd.as_ref().and_then(|acd| acd.poll_at()));
        }
        take(inner.dhcp_acd.as_ref().and_then(|acd| acd.poll_at()));
        if !self.pending.is_empty() {
            take(Some(
                now + inner.config.pending_timeout.min(Duration::from_secs(1)),
            ));
        }
        if !inner.flush.is_empty() || inner.flush_all {
            take(Some(now));
        }
        let mut visit = |i: usize| {
            let h = SocketHandle::from_index(i);
            if let Some(s) = sockets.slot(i).filter(|_| !inner.is_stalled(h)) {
                // Remembered from the last dispatch while the socket has
                // not changed since (`socket/due.rs`).
                let known = if remembered {
                    sockets.known_poll_at(i, now)
                } else {
                    None
                };
                take(known.unwrap_or_else(|| socket_poll_at(s, now)));
            }
        };
        match sockets.peek_touched() {
            Touched::All => (0..sockets.slots()).for_each(&mut visit),
            Touched::Some(list) => list.into_iter().for_each(&mut visit),
        }
        at.map(|t| t.max(now))
    }

    /// How long the caller may sleep before the next [`poll`](Self::poll):
    /// `poll_at - now`, zero when overdue, `None` for "until a frame arrives".
    pub fn poll_delay(&self, now: Instant, sockets: &SocketSet<'_>) -> Option<Duration> {
        self.poll_at(now, sockets).map(|t| t - now)
    }
}

fn acd_disabled(v4: &[V4Addr]) -> bool {
    v4.last().is_some_and(|a| a.acd.is_none())
}

/// A 128-bit key from the user's seed (splitmix64 steps): the stack has no
/// entropy of its own, so the TCP secrets are only as good as the seed.
fn secret(seed: u64, which: u64) -> [u8; 16] {
    let mut x = seed ^ which.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let (a, b) = (splitmix64(&mut x), splitmix64(&mut x));
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&a.to_le_bytes());
    k[8..].copy_from_slice(&b.to_le_bytes());
    k
}

/// The EUI-64 link-local address of a MAC (RFC 4291 §2.5.1, appendix A).
pub fn link_local_from_mac(mac: &EthernetAddress) -> Ipv6Addr {
    let m = mac.as_bytes();
    Ipv6Addr::new(
        0xfe80,
        0,
        0,
        0,
        u16::from_be_bytes([m[0] ^ 0x02, m[1]]),
        u16::from_be_bytes([m[2], 0xff]),
        u16::from_be_bytes([0xfe, m[3]]),
        u16::from_be_bytes([m[4], m[5]]),
    )
}

/// Why an address could not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum AddressError {
    /// Unspecified, multicast, broadcast or loopback.
    Invalid,
    /// The interface holds as many as it can.
    Full,
    /// IPv6 is turned off on the interface (RFC 4862 §5.4.5: its MAC's
    /// link-local address was found in use; [`Event::Ipv6Disabled`]).
    Ipv6Disabled,
}

impl core::fmt::Display for AddressError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            AddressError::Invalid => "address not valid for an interface",
            AddressError::Full => "address table full",
            AddressError::Ipv6Disabled => "IPv6 disabled on the interface (duplicate MAC)",
        })
    }
}

impl core::error::Error for AddressError {}

/// ff02::1, all nodes (RFC 4291 §2.7.1).
pub(crate) const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

/// The solicited-node multicast address of `addr` (RFC 4291 §2.7.1).
pub(crate) fn solicited_node(addr: &Ipv6Addr) -> Ipv6Addr {
    let o = addr.octets();
    Ipv6Addr::new(
        0xff02,
        0,
        0,
        0,
        0,
        1,
        0xff00 | u16::from(o[13]),
        u16::from_be_bytes([o[14], o[15]]),
    )
}

/// When a socket wants the interface: now if it has something to send.
pub(crate) fn socket_poll_at(socket: &Socket<'_>, now: Instant) -> Option<Instant> {
    // A socket waiting for its next hop is skipped by the caller.
    match socket {
        Socket::Udp(s) => s.poll_at(now),
        Socket::Icmp(s) => s.poll_at(now),
        Socket::Raw(s) => s.poll_at(now),
        Socket::Dhcpv4(s) => s.poll_at(now),
        Socket::Tcp(s) => s.poll_at(now),
        Socket::TcpListener(l) => l.poll_at().map(|t| t.max(now)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::dhcpv4::Lease;

    fn lease(acquired: u64, duration: u64) -> Lease {
        let at = Instant::from_secs(acquired as i64);
        Lease {
            address: Ipv4Cidr::new(Ipv4Addr::new(192, 168, 69, 50), 24).unwrap(),
            router: Some(Ipv4Addr::new(192, 168, 69, 100)),
            dns_servers: heapless::Vec::new(),
            server: Ipv4Addr::new(192, 168, 69, 100),
            lease_duration: Duration::from_secs(duration),
            acquired_at: at,
            renew_at: at + Duration::from_secs(duration / 2),
            rebind_at: at + Duration::from_secs(duration * 7 / 8),
            expires_at: at + Duration::from_secs(duration),
        }
    }

    #[test]
    fn a_renewed_lease_keeps_the_default_route_until_its_new_end() {
        let config = Config::new(EthernetAddress([0x02, 0, 0, 0, 0, 1]));
        let mut iface = Interface::new(config, InterfaceStorage::none(), Instant::ZERO);
        let off_link = IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3));
        let router = Some(IpAddr::V4(Ipv4Addr::new(192, 168, 69, 100)));
        assert!(iface.apply_dhcpv4(&Dhcpv4Event::Configured(lease(0, 120))));
        // Renewed at T1: the same address and router, 60 s later.
        assert!(!iface.apply_dhcpv4(&Dhcpv4Event::Renewed(lease(60, 120))));
        // Past the first lease's end, within the renewed one.
        let after_first = Instant::from_secs(150);
        assert_eq!(iface.routes().lookup(&off_link, after_first), Some(router));
        let after_renewed = Instant::from_secs(180);
        assert_eq!(iface.routes().lookup(&off_link, after_renewed), None);
    }
}
