//! Two interfaces joined by an in-memory link, driven in simulated time.
//!
//! The harness is the polling loop every rstcp user writes, with a clock
//! that jumps straight to the next deadline the interfaces ask for instead
//! of sleeping: a test of a 30-second timeout runs in microseconds and
//! gives the same result every time.

use crate::loopback::Link;
pub use crate::loopback::Side;
use rstcp::iface::fragment::ReassemblySlot;
use rstcp::iface::{Config, ConnectError, Interface, InterfaceStorage};
use rstcp::phy::{Device, DeviceCapabilities, TxToken};
use rstcp::socket::icmp::IcmpSocket;
use rstcp::socket::tcp::{HalfOpen, State, TcpListener, TcpSocket};
use rstcp::socket::udp::{UdpMetadata, UdpSocket};
use rstcp::socket::{SocketHandle, SocketSet};
use rstcp::storage::packet_buffer::{PacketBuffer, PacketMetadata};
use rstcp::storage::RingBuffer;
use rstcp::time::{Duration, Instant};
use rstcp::wire::ethernet::{EtherType, EthernetFrame};
use rstcp::wire::icmpv4::{Icmpv4Packet, Icmpv4Repr};
use rstcp::wire::icmpv6::{Icmpv6Packet, Icmpv6Repr};
use rstcp::wire::ChecksumMode;
use rstcp::wire::{EthernetAddress, IpAddr, IpEndpoint, Ipv4Addr, Ipv4Cidr, Ipv6Addr, Ipv6Cidr};

/// The MAC of host A (locally administered).
pub const MAC_A: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0x0a]);
/// The MAC of host B.
pub const MAC_B: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0x0b]);
/// Host A's IPv4 address.
pub const IP4_A: Ipv4Addr = Ipv4Addr::new(192, 168, 69, 1);
/// Host B's IPv4 address.
pub const IP4_B: Ipv4Addr = Ipv4Addr::new(192, 168, 69, 2);
/// Host A's IPv6 address.
pub const IP6_A: Ipv6Addr = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1);
/// Host B's IPv6 address.
pub const IP6_B: Ipv6Addr = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 2);

/// One host: an interface and its sockets.
pub struct Host {
    /// The interface.
    pub iface: Interface<'static>,
    /// Its sockets.
    pub sockets: SocketSet<'static>,
}

impl Host {
    /// A host with reassembly room for two 64 KiB datagrams and a 64 KiB
    /// resolution queue. `probe`: check its addresses before using them
    /// (RFC 5227 probing for IPv4, Duplicate Address Detection for IPv6,
    /// RFC 4862 §5.4); without, both are used at once.
    pub fn new(mac: EthernetAddress, ip4: Ipv4Addr, ip6: Ipv6Addr, seed: u64, probe: bool) -> Host {
        Host::with_config(Host::config(mac, seed, probe), ip4, ip6)
    }

    /// The configuration [`Host::new`] uses, to adjust before
    /// [`Host::with_config`].
    pub fn config(mac: EthernetAddress, seed: u64, probe: bool) -> Config {
        let mut config = Config::new(mac);
        config.random_seed = seed;
        config.ipv4_probe = probe;
        config.dad_transmits = u8::from(probe);
        config
    }

    /// A host with the given configuration (see [`Host::new`]).
    pub fn with_config(config: Config, ip4: Ipv4Addr, ip6: Ipv6Addr) -> Host {
        let seed = config.random_seed;
        let storage = InterfaceStorage {
            reassembly: vec![
                ReassemblySlot::new(vec![0u8; ReassemblySlot::MAX_BUFFER_LEN]),
                ReassemblySlot::new(vec![0u8; ReassemblySlot::MAX_BUFFER_LEN]),
            ]
            .into(),
            pending: vec![0u8; 64 * 1024].into(),
        };
        let mut iface = Interface::new(config, storage, Instant::ZERO);
        iface
            .add_ipv4_address(Ipv4Cidr::new(ip4, 24).unwrap(), Instant::ZERO)
            .unwrap();
        iface
            .add_ipv6_address(Ipv6Cidr::new(ip6, 64).unwrap())
            .unwrap();
        Host {
            iface,
            sockets: SocketSet::new(vec![], vec![], seed ^ 0x51),
        }
    }

    /// Adds a UDP socket bound to `port` (0: ephemeral) with room for
    /// `bytes` of payload each way.
    pub fn udp(&mut self, port: u16, bytes: usize) -> SocketHandle {
        self.udp_with(port, bytes, 64)
    }

    /// [`udp`](Self::udp) with room for `packets` datagrams each way.
    pub fn udp_with(&mut self, port: u16, bytes: usize, packets: usize) -> SocketHandle {
        let buf = || {
            PacketBuffer::new(
                vec![PacketMetadata::<UdpMetadata>::EMPTY; packets],
                vec![0u8; bytes],
            )
        };
        let h = self.sockets.add(UdpSocket::new(buf(), buf())).unwrap();
        self.sockets.bind_udp(h, port).unwrap();
        h
    }

    /// Adds a ping socket bound to `ident`.
    pub fn icmp(&mut self, ident: u16, bytes: usize) -> SocketHandle {
        let buf = || PacketBuffer::new(vec![PacketMetadata::<IpAddr>::EMPTY; 16], vec![0u8; bytes]);
        let h = self.sockets.add(IcmpSocket::new(buf(), buf())).unwrap();
        self.sockets.bind_icmp(h, ident).unwrap();
        h
    }

    /// Adds a closed TCP socket with `bytes` of buffer each way.
    pub fn tcp(&mut self, bytes: usize) -> SocketHandle {
        let s = TcpSocket::new(
            RingBuffer::new(vec![0u8; bytes]),
            RingBuffer::new(vec![0u8; bytes]),
        );
        self.sockets.add(s).unwrap()
    }

    /// Starts connecting the TCP socket `h` to `remote` from `local_port`
    /// (0: an ephemeral one); gives the local endpoint.
    pub fn connect(
        &mut self,
        now: Instant,
        h: SocketHandle,
        remote: IpEndpoint,
        local_port: u16,
    ) -> Result<IpEndpoint, ConnectError> {
        self.iface
            .tcp_connect(now, &mut self.sockets, h, remote, local_port)
    }

    /// Adds a listener on `port` with a SYN queue of `syn_queue`, a backlog
    /// of `backlog`, and `pool` sockets of `bytes` lent to it.
    pub fn tcp_listener(
        &mut self,
        port: u16,
        syn_queue: usize,
        backlog: usize,
        pool: usize,
        bytes: usize,
    ) -> SocketHandle {
        let l = TcpListener::new(
            vec![None::<HalfOpen>; syn_queue],
            vec![None; pool],
            vec![None; backlog],
        );
        let h = self.sockets.add(l).unwrap();
        self.sockets.listen(h, port).unwrap();
        for _ in 0..pool {
            let s = self.tcp(bytes);
            self.sockets
                .get_mut::<TcpListener>(h)
                .unwrap()
                .provide(s)
                .unwrap();
        }
        h
    }

    /// The TCP socket behind `h`.
    pub fn tcp_socket(&mut self, h: SocketHandle) -> &mut TcpSocket<'static> {
        self.sockets.get_mut::<TcpSocket>(h).unwrap()
    }

    /// The listener behind `h`.
    pub fn listener(&mut self, h: SocketHandle) -> &mut TcpListener<'static> {
        self.sockets.get_mut::<TcpListener>(h).unwrap()
    }

    /// The UDP socket behind `h`.
    pub fn udp_socket(&mut self, h: SocketHandle) -> &mut UdpSocket<'static> {
        self.sockets.get_mut::<UdpSocket>(h).unwrap()
    }

    /// The ping socket behind `h`.
    pub fn icmp_socket(&mut self, h: SocketHandle) -> &mut IcmpSocket<'static> {
        self.sockets.get_mut::<IcmpSocket>(h).unwrap()
    }
}

/// Two hosts on one link, and the simulated clock.
pub struct Sim {
    /// The wire.
    pub link: Link,
    /// Host A (end A of the link).
    pub a: Host,
    /// Host B (end B of the link).
    pub b: Host,
    /// Simulated time.
    pub now: Instant,
}

impl Sim {
    /// Two hosts on an Ethernet link of MTU `mtu`. Probing is off unless
    /// `probe`, so tests that are not about RFC 5227 start at once.
    pub fn new(mtu: usize, probe: bool) -> Sim {
        Sim::with_configs(
            mtu,
            Host::config(MAC_A, 0xa11ce, probe),
            Host::config(MAC_B, 0xb0b, probe),
        )
    }

    /// Two hosts with the given configurations (MACs included).
    pub fn with_configs(mtu: usize, a: Config, b: Config) -> Sim {
        Sim {
            link: Link::new(DeviceCapabilities::ethernet(mtu), 256),
            a: Host::with_config(a, IP4_A, IP6_A),
            b: Host::with_config(b, IP4_B, IP6_B),
            now: Instant::ZERO,
        }
    }

    /// Puts an Ethernet frame carrying `packet` on the wire at end `from`,
    /// as if that host sent it (its MAC as the source), to `dst`; false
    /// when the link's queue is full.
    pub fn put_frame(
        &mut self,
        from: Side,
        dst: EthernetAddress,
        ethertype: EtherType,
        packet: &[u8],
    ) -> bool {
        let (mut end, src) = match from {
            Side::A => (self.link.a(), self.a.iface.hardware_addr()),
            Side::B => (self.link.b(), self.b.iface.hardware_addr()),
        };
        let Some(tx) = end.transmit(self.now) else {
            return false;
        };
        tx.consume(14 + packet.len(), |buf| {
            let mut f = EthernetFrame::new_unchecked(&mut buf[..]);
            f.set_dst_addr(dst);
            f.set_src_addr(src);
            f.set_ethertype(ethertype);
            buf[14..].copy_from_slice(packet);
        });
        true
    }

    /// Polls A then B once at the current time.
    pub fn step(&mut self) -> bool {
        let a = self
            .a
            .iface
            .poll(self.now, &mut self.link.a(), &mut self.a.sockets);
        let b = self
            .b
            .iface
            .poll(self.now, &mut self.link.b(), &mut self.b.sockets);
        a || b
    }

    /// The earliest deadline either interface asked for.
    pub fn next_deadline(&self) -> Option<Instant> {
        next_deadline(self.now, &self.a, &self.b)
    }

    /// Runs until `done` holds (true) or simulated time passes `limit`
    /// (false). Time moves 10 µs per busy step (a frame's time on a fast
    /// wire) and jumps to the next deadline when both hosts are idle.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&mut Sim) -> bool) -> bool {
        let deadline = self.now + limit;
        let mut idle_steps = 0;
        loop {
            let busy = self.step();
            if done(self) {
                return true;
            }
            if busy
                || self.link.queued(crate::loopback::Side::A) > 0
                || self.link.queued(crate::loopback::Side::B) > 0
            {
                self.now += Duration::from_micros(10);
                idle_steps = 0;
            } else {
                idle_steps += 1;
                let next = self.next_deadline();
                match next {
                    Some(t) if t > self.now => self.now = t,
                    // Work "now" that did nothing twice in a row: nudge time.
                    Some(_) if idle_steps > 2 => self.now += Duration::from_millis(1),
                    Some(_) => {}
                    None => return false,
                }
            }
            if self.now > deadline {
                return false;
            }
        }
    }

    /// Runs for `span` of simulated time.
    pub fn run_for(&mut self, span: Duration) {
        let end = self.now + span;
        self.run_until(span, |s| s.now >= end);
        if self.now < end {
            self.now = end;
        }
    }
}

/// The earliest time after `now` at which `a` or `b` asked to be polled.
pub fn next_deadline(now: Instant, a: &Host, b: &Host) -> Option<Instant> {
    let a = a.iface.poll_at(now, &a.sockets);
    let b = b.iface.poll_at(now, &b.sockets);
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    }
}

/// Two hosts in simulated time, however they are joined: back to back
/// ([`Sim`]) or through a bridge that watches the wire (the tests' relay).
pub trait TwoHosts {
    /// Hosts A and B.
    fn hosts(&mut self) -> (&mut Host, &mut Host);
    /// The simulated clock.
    fn now(&self) -> Instant;
    /// Runs until `done` holds (true) or `limit` of simulated time passes
    /// (false).
    fn run_until(&mut self, limit: Duration, done: impl FnMut(&mut Self) -> bool) -> bool;
}

impl TwoHosts for Sim {
    fn hosts(&mut self) -> (&mut Host, &mut Host) {
        (&mut self.a, &mut self.b)
    }

    fn now(&self) -> Instant {
        self.now
    }

    fn run_until(&mut self, limit: Duration, done: impl FnMut(&mut Self) -> bool) -> bool {
        Sim::run_until(self, limit, done)
    }
}

/// Connects `client` on A to `remote` (a listener on B) and runs until B
/// accepted the connection from `listener` and A is established; gives the
/// accepted socket, or `None` when that took longer than `limit`.
pub fn establish<T: TwoHosts>(
    t: &mut T,
    listener: SocketHandle,
    client: SocketHandle,
    remote: IpEndpoint,
    limit: Duration,
) -> Option<SocketHandle> {
    let now = t.now();
    t.hosts()
        .0
        .connect(now, client, remote, 0)
        .expect("connect");
    let mut server = None;
    let done = t.run_until(limit, |t| {
        let (a, b) = t.hosts();
        if server.is_none() {
            server = b.listener(listener).accept();
        }
        server.is_some() && a.tcp_socket(client).state() == State::Established
    });
    server.filter(|_| done)
}

/// An echo request message to `to` (ICMPv4 or ICMPv6 by its family), for
/// a ping socket's `send_slice`.
pub fn echo_request(to: IpAddr, ident: u16, seq_no: u16, data: &[u8]) -> Vec<u8> {
    match to {
        IpAddr::V4(_) => echo_request_v4(ident, seq_no, data),
        IpAddr::V6(_) => echo_request_v6(ident, seq_no, data),
    }
}

/// An ICMPv4 echo request message (for a ping socket's `send_slice`).
pub fn echo_request_v4(ident: u16, seq_no: u16, data: &[u8]) -> Vec<u8> {
    let repr = Icmpv4Repr::EchoRequest {
        ident,
        seq_no,
        data,
    };
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(
        &mut Icmpv4Packet::new_unchecked(&mut buf[..]),
        ChecksumMode::Check,
    );
    buf
}

/// An ICMPv6 echo request message. Its checksum is left for the interface
/// to fill in: only the interface knows the source address it will use.
pub fn echo_request_v6(ident: u16, seq_no: u16, data: &[u8]) -> Vec<u8> {
    let repr = Icmpv6Repr::EchoRequest {
        ident,
        seq_no,
        data,
    };
    let mut buf = vec![0u8; repr.buffer_len()];
    let any = Ipv6Addr::UNSPECIFIED;
    repr.emit(
        &any,
        &any,
        &mut Icmpv6Packet::new_unchecked(&mut buf[..]),
        ChecksumMode::Skip,
    );
    buf
}
