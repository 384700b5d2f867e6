//! The `iface` target: a whole [`Interface`] fed untrusted frames.
//!
//! Every frame on the wire is the attacker's. The body builds one interface
//! (IPv4 192.168.69.1/24, IPv6 fd00::1/64, default gateways, a UDP echo
//! socket on port 7, a ping socket, a raw socket for IPv4/TCP, TCP (see
//! below) and, if the input asks, a DHCPv4 client), injects the input's
//! frames one by one with time passing between polls, and after every poll
//! checks that:
//!
//! - nothing panicked and, when the binary installed [`CountingAlloc`],
//!   `poll` allocated nothing (the device's buffers are warmed up first);
//! - `stats().rx_frames` counts every injected frame exactly once, and
//!   `tx_frames` every frame the device took;
//! - `poll_at(now)` is never earlier than `now`;
//! - `dropped_total()` is at most `rx_frames` plus what the interface tried
//!   to send (see `Harness::check` for how that is counted);
//! - every frame it transmitted parses as Ethernet from our MAC, and its
//!   ARP / IPv4 / IPv6 payload parses with the wire `Repr`s with checksums
//!   checked ([`ChecksumMode::Check`]), down to ICMP, IGMP, UDP and TCP, and
//!   only the listener's port and the client's originate SYNs;
//! - every TCP socket's queues fit its buffers, a failed connection is
//!   closed, an open one has both endpoints (and the ones it was opened
//!   with), and the listener's queues fit theirs.
//!
//! # TCP
//!
//! A listener on [`TCP_PORT`] (any address) with a SYN queue of
//! [`SYN_QUEUE`], a backlog of [`BACKLOG`] and [`POOL`] lent sockets, so
//! that two SYNs fill the queue and the third gets a SYN cookie; and a
//! client socket that connects from [`CLIENT_PORT`] to
//! `PEER4:`[`PEER_PORT`] at the start (its SYN leaves once the harness
//! answers ARP) and again, up to [`RECONNECTS`] times, when it closes. The
//! buffers are small ([`TCP_RX`], [`TCP_TX`]) so that a few segments fill a
//! window (zero window, persist), and keepalive is on so that idle
//! connections probe. The user's side echoes what an accepted connection
//! receives, closes it when the peer has, and lends closed sockets back;
//! the client sends [`TCP_TX`] bytes once established and closes once they
//! are acknowledged (or the peer closed). Time records then drive retransmission, persist, keepalive,
//! delayed ACK, SYN-ACK retransmission and TIME-WAIT.
//!
//! # Device
//!
//! The interface is end A of a [`Link`]; the harness is end B. A
//! `Loopback` would hand the interface its own frames back, so `rx_frames`
//! would mix injected frames with echoes and the harness could not read
//! what was sent without racing the interface for the queue. With a link
//! the two directions are apart: every frame on B→A is injected, every
//! frame on A→B was transmitted, and the link's counters cross-check the
//! interface's.
//!
//! # Input
//!
//! ```text
//! config byte: bit 0 RFC 5227 probing on, bit 1 DHCPv4 client,
//!              bit 2 answer our ARP requests and neighbor solicitations
//!              (from PEER_MAC), bit 3 burst size 2, bits 4-7 random seed,
//!              bit 7 also: an IP-medium device (see below)
//! then records until the input ends:
//!   0b0sssbfim len_hi len_lo frame[len]
//!       m: destination MAC := ours      i: destination IP := ours
//!       f: recompute IPv4 header and ICMP/UDP/TCP/ICMPv6 checksums
//!       b: batch (inject the next record before polling)
//!       sss: time step before the poll (FRAME_STEPS)
//!   0b1rrrtttt: poll (rrr + 1) times, advancing STEPS[tttt] before each
//!       (tttt = 15: jump to poll_at)
//! ```
//!
//! # IP medium
//!
//! With [`CFG_IP`] the link is an IP-medium device (a TUN: bare IP
//! packets, [`rstcp::phy::Medium::Ip`]) and the interface learns it at its
//! first poll, after its addresses started probing. Records are still
//! written as Ethernet frames, rewritten as the flags say, and lose their
//! first 14 bytes on the way in (an ARP frame becomes garbage the version
//! nibble must refuse); what the interface sends gains an Ethernet header
//! from our MAC for the same checks, so a frame that is not IPv4 or IPv6
//! fails them.
//!
//! After the last record the body keeps polling at `poll_at` a few times so
//! that pending timers (ARP retransmits, reassembly expiry, probes, DHCP)
//! run even on inputs without time records.

use std::cell::RefCell;
use std::hint::black_box;

use rstcp::iface::fragment::ReassemblySlot;
use rstcp::iface::{Config, ConnectError, Interface, InterfaceStorage};
use rstcp::phy::{Device, DeviceCapabilities, RxToken, TxToken};
use rstcp::socket::dhcpv4::{Dhcpv4Client, Dhcpv4Config};
use rstcp::socket::icmp::IcmpSocket;
use rstcp::socket::raw::{IpVersion, RawSocket};
use rstcp::socket::tcp::{HalfOpen, ListenerStats, State, TcpConfig, TcpListener, TcpSocket};
use rstcp::socket::udp::{UdpMetadata, UdpSocket};
use rstcp::socket::{SocketHandle, SocketSet};
use rstcp::storage::packet_buffer::{PacketBuffer, PacketMetadata};
use rstcp::storage::RingBuffer;
use rstcp::time::{Duration, Instant};
use rstcp::wire::arp::{ArpOperation, ArpPacket, ArpRepr};
use rstcp::wire::ethernet::{EtherType, EthernetFrame, EthernetRepr};
use rstcp::wire::icmpv4::{Icmpv4Packet, Icmpv4Repr};
use rstcp::wire::icmpv6::{Icmpv6Packet, Icmpv6Repr};
use rstcp::wire::igmp::{IgmpPacket, IgmpRepr};
use rstcp::wire::ipv4::{Ipv4Packet, Ipv4Repr};
use rstcp::wire::ipv6::{Ipv6Packet, Ipv6Repr};
use rstcp::wire::ipv6ext::walk;
use rstcp::wire::ndp::NdiscRepr;
use rstcp::wire::tcp::{TcpFlags, TcpPacket, TcpRepr, TcpSeqNumber, MAX_SACK_BLOCKS};
use rstcp::wire::udp::{UdpPacket, UdpRepr};
use rstcp::wire::{
    ChecksumMode, EthernetAddress, IpAddr, IpEndpoint, IpProtocol, Ipv4Addr, Ipv4Cidr, Ipv6Addr,
    Ipv6Cidr,
};
use rstcp_testkit::loopback::{Link, QueueStats, Side};

/// The interface's MAC.
pub const MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0x01]);
/// The MAC the harness answers resolution requests with.
pub const PEER_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0x02]);
/// The interface's IPv4 address (/24).
pub const IP4: Ipv4Addr = Ipv4Addr::new(192, 168, 69, 1);
/// The IPv4 default gateway.
pub const GW4: Ipv4Addr = Ipv4Addr::new(192, 168, 69, 254);
/// A neighbor on the IPv4 subnet.
pub const PEER4: Ipv4Addr = Ipv4Addr::new(192, 168, 69, 2);
/// The interface's IPv6 address (/64).
pub const IP6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1);
/// The IPv6 default gateway.
pub const GW6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 0xfe);
/// A neighbor on the IPv6 subnet.
pub const PEER6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 2);
/// The UDP echo port.
pub const ECHO_PORT: u16 = 7;
/// The ping socket's identifier.
pub const PING_IDENT: u16 = 0x1234;

/// The link MTU.
const MTU: usize = 1500;
/// The TCP listener's port.
pub const TCP_PORT: u16 = 80;
/// The client socket's local port.
pub const CLIENT_PORT: u16 = 40000;
/// The port the client connects to on [`PEER4`].
pub const PEER_PORT: u16 = 5000;
/// The listener's SYN queue.
pub const SYN_QUEUE: usize = 2;
/// The listener's accept queue.
pub const BACKLOG: usize = 1;
/// Sockets lent to the listener.
pub const POOL: usize = 2;
/// TCP receive buffer: a few segments fill it.
pub const TCP_RX: usize = 2048;
/// TCP send buffer.
pub const TCP_TX: usize = 4096;
/// How many times the client connects again after its connection closes.
pub const RECONNECTS: u32 = 2;

/// Frames per direction of the link.
const LINK_CAPACITY: usize = 64;
/// Polls at `poll_at` after the last record.
const FINAL_POLLS: usize = 4;

/// Config byte bits.
/// Probe the addresses before use: RFC 5227 for IPv4, DAD for IPv6.
pub const CFG_PROBE: u8 = 1 << 0;
/// Run a DHCPv4 client.
pub const CFG_DHCP: u8 = 1 << 1;
/// Answer the interface's ARP requests and neighbor solicitations.
pub const CFG_ANSWER: u8 = 1 << 2;
/// Take at most two frames per poll.
pub const CFG_BURST: u8 = 1 << 3;
/// An IP-medium device (a TUN): no Ethernet header either way.
pub const CFG_IP: u8 = 1 << 7;
/// The Ethernet header an IP-medium device's frames go without.
const ETH_HEADER: usize = 14;

/// Frame record bits.
pub const F_MAC: u8 = 1 << 0;
/// Rewrite the destination IP (or ARP target) to ours.
pub const F_IP: u8 = 1 << 1;
/// Recompute checksums.
pub const F_FIX: u8 = 1 << 2;
/// Do not poll after this frame.
pub const F_BATCH: u8 = 1 << 3;
/// Rewrite, fix and poll: the usual crafted frame.
pub const F_DEEP: u8 = F_MAC | F_IP | F_FIX;

/// The time record bit.
pub const TIME: u8 = 0x80;
/// Time code of a jump to `poll_at`.
pub const JUMP: u8 = 15;

/// µs before the poll that follows a frame record (`u64::MAX`: jump to
/// `poll_at`).
const FRAME_STEPS: [u64; 8] = [
    0,
    10,
    1_000,
    50_000,
    1_000_000,
    3_000_000,
    31_000_000,
    u64::MAX,
];
/// µs per poll of a time record.
const STEPS: [u64; 16] = [
    0,
    1_000,
    10_000,
    100_000,
    200_000,
    500_000,
    1_000_000,
    2_000_000,
    3_000_000,
    5_000_000,
    10_000_000,
    31_000_000,
    60_000_000,
    600_000_000,
    3_600_000_000,
    u64::MAX,
];

// ---------------------------------------------------------------------------
// Allocation counting

/// The counting allocator, where the fuzz targets have always found it.
pub use crate::alloc_count::CountingAlloc;
pub(super) use crate::alloc_count::{allocations, counting_installed};

/// Keeps freed heap memory mapped. A run allocates a few hundred KiB of
/// socket and interface buffers and frees them at its end; glibc would give
/// the top of the heap back to the kernel each time (and mmap/munmap the
/// larger ones), so every run faulted its buffers' pages in again: a third
/// of an `iface` run's time. Called before each run (the first call sets it).
pub(super) fn keep_heap() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: mallopt only tunes glibc's allocator; it takes plain ints.
        unsafe {
            libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
            libc::mallopt(libc::M_MMAP_THRESHOLD, 16 << 20);
        }
    });
}

// ---------------------------------------------------------------------------
// The body

/// Fuzz body for a whole interface; see the module docs for the input.
pub fn iface(data: &[u8]) {
    run(data);
}

/// What a run did, for the tests that check the harness reaches deep.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The interface's counters at the end.
    pub stats: rstcp::iface::Stats,
    /// Transmitted frames by EtherType, then IP protocol: (ARP, ICMPv4,
    /// UDP over IPv4, ICMPv6, UDP over IPv6, TCP over either).
    pub sent: [u64; 6],
    /// ARP replies sent (the client's SYN makes ARP requests too).
    pub arp_replies: u64,
    /// The first [`MAX_TCP_LOG`] TCP segments sent (seeds read the
    /// interface's initial sequence numbers off them).
    pub tcp: Vec<SentSegment>,
    /// The listener's counters at the end.
    pub listener: ListenerStats,
    /// Connections the application accepted.
    pub accepted: u64,
    /// Payload bytes the client socket received, over all its connections.
    pub client_received: u64,
    /// The states the client socket was seen in after polls.
    pub client_states: Vec<State>,
}

/// How many sent TCP segments [`Outcome::tcp`] keeps.
pub const MAX_TCP_LOG: usize = 64;

/// The header of a TCP segment the interface sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SentSegment {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Control bits (as the wire repr: without ACK).
    pub control: TcpFlags,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number, when ACK is set.
    pub ack: Option<u32>,
    /// Payload length.
    pub len: usize,
}

/// Runs the body over `data`; `None` for an empty input.
pub fn run(data: &[u8]) -> Option<Outcome> {
    let (&config, mut rest) = data.split_first()?;
    keep_heap();
    let mut h = Harness::new(config);
    while let Some((&head, tail)) = rest.split_first() {
        rest = tail;
        if head & TIME != 0 {
            for _ in 0..=((head >> 4) & 7) {
                h.advance(STEPS[usize::from(head & 0x0f)]);
                h.poll();
            }
            continue;
        }
        let Some((len, tail)) = rest.split_first_chunk::<2>() else {
            break;
        };
        let len = usize::from(u16::from_be_bytes(*len)).min(tail.len());
        let (frame, tail) = tail.split_at(len);
        rest = tail;
        h.inject(frame, head);
        if head & F_BATCH == 0 {
            h.advance(FRAME_STEPS[usize::from((head >> 4) & 7)]);
            h.poll();
        }
    }
    h.poll();
    for _ in 0..FINAL_POLLS {
        if !h.jump() {
            break;
        }
        h.poll();
    }
    h.finish();
    let listener = h
        .sockets
        .get::<TcpListener>(h.listener)
        .expect("listener")
        .stats();
    Some(Outcome {
        stats: h.iface.stats().clone(),
        sent: h.sent,
        arp_replies: h.arp_replies,
        tcp: h.tcp_log,
        listener,
        accepted: h.accepted,
        client_received: h.client_received,
        client_states: h.client_states,
    })
}

/// One interface on end A of a link, its sockets, and what the checks need.
struct Harness {
    link: SpareLink,
    /// The device is an IP-medium one ([`CFG_IP`]).
    ip: bool,
    iface: Interface<'static>,
    sockets: SocketSet<'static>,
    now: Instant,
    udp: SocketHandle,
    icmp: SocketHandle,
    raw: SocketHandle,
    dhcp: Option<SocketHandle>,
    listener: SocketHandle,
    pool: [SocketHandle; POOL],
    /// Which pool sockets the harness lent (and the application has not
    /// accepted since).
    lent: [bool; POOL],
    client: SocketHandle,
    /// The client has sent its data on this connection.
    client_sent: bool,
    reconnects: u32,
    /// Polls so far.
    polls: u64,
    accepted: u64,
    client_received: u64,
    client_states: Vec<State>,
    tcp_log: Vec<SentSegment>,
    arp_replies: u64,
    answer: bool,
    check_allocs: bool,
    /// Frames put on B→A.
    injected: u64,
    /// The A→B counters after the warm-up.
    base: QueueStats,
    /// Upper bound of the frames the echo socket's datagrams become.
    app_frames: u64,
    /// Transmitted frames by kind (see [`Outcome::sent`]).
    sent: [u64; 6],
    /// Reused buffers (the harness may allocate; `poll` may not).
    scratch: Vec<u8>,
    replies: Vec<Vec<u8>>,
}

impl Harness {
    fn new(config: u8) -> Harness {
        let mut cfg = Config::new(MAC);
        cfg.random_seed = 0x5eed_0000 | u64::from(config >> 4);
        cfg.ipv4_probe = config & CFG_PROBE != 0;
        // The same bit runs IPv6 Duplicate Address Detection (RFC 4862
        // §5.4): without it the static IPv6 address is usable at once, as
        // the IPv4 one is without probing.
        cfg.dad_transmits = u8::from(config & CFG_PROBE != 0);
        let storage = InterfaceStorage {
            reassembly: vec![
                ReassemblySlot::new(vec![0u8; ReassemblySlot::MAX_BUFFER_LEN]),
                ReassemblySlot::new(vec![0u8; ReassemblySlot::MAX_BUFFER_LEN]),
            ]
            .into(),
            pending: vec![0u8; 64 * 1024].into(),
        };
        let now = Instant::ZERO;
        let mut iface = Interface::new(cfg, storage, now);
        iface
            .add_ipv4_address(Ipv4Cidr::new(IP4, 24).expect("cidr"), now)
            .expect("IPv4 address");
        iface
            .add_ipv6_address(Ipv6Cidr::new(IP6, 64).expect("cidr"))
            .expect("IPv6 address");
        iface
            .add_default_gateway(IpAddr::V4(GW4))
            .expect("IPv4 gateway");
        iface
            .add_default_gateway(IpAddr::V6(GW6))
            .expect("IPv6 gateway");

        let mut sockets = SocketSet::new(Vec::with_capacity(16), Vec::with_capacity(32), 0x50c);
        let udp_buf = || {
            PacketBuffer::new(
                vec![PacketMetadata::<UdpMetadata>::EMPTY; 16],
                vec![0u8; 64 * 1024],
            )
        };
        let udp = sockets
            .add(UdpSocket::new(udp_buf(), udp_buf()))
            .expect("add udp");
        sockets.bind_udp(udp, ECHO_PORT).expect("bind udp");
        let icmp_buf =
            || PacketBuffer::new(vec![PacketMetadata::<IpAddr>::EMPTY; 8], vec![0u8; 8192]);
        let icmp = sockets
            .add(IcmpSocket::new(icmp_buf(), icmp_buf()))
            .expect("add icmp");
        sockets.bind_icmp(icmp, PING_IDENT).expect("bind icmp");
        let raw_buf = || PacketBuffer::new(vec![PacketMetadata::<()>::EMPTY; 8], vec![0u8; 8192]);
        let raw = sockets
            .add(RawSocket::new(
                IpVersion::Ipv4,
                IpProtocol::Tcp,
                raw_buf(),
                raw_buf(),
            ))
            .expect("add raw");
        sockets.bind_raw(raw).expect("bind raw");
        let dhcp = (config & CFG_DHCP != 0).then(|| {
            sockets
                .add(Dhcpv4Client::new(
                    Dhcpv4Config::default(),
                    MAC,
                    u64::from(config),
                ))
                .expect("add dhcp")
        });

        let listener = sockets
            .add(TcpListener::new(
                vec![None::<HalfOpen>; SYN_QUEUE],
                vec![None; POOL],
                vec![None; BACKLOG],
            ))
            .expect("add listener");
        sockets.listen(listener, TCP_PORT).expect("listen");
        let pool = [(); POOL].map(|()| sockets.add(tcp_socket()).expect("add tcp"));
        for h in pool {
            sockets
                .get_mut::<TcpListener>(listener)
                .expect("listener")
                .provide(h)
                .expect("provide");
        }
        let client = sockets.add(tcp_socket()).expect("add client");
        // Before the first poll, as an application would; with RFC 5227
        // probing on, the address is not usable yet and `use_tcp` retries.
        let connected = iface
            .tcp_connect(now, &mut sockets, client, CLIENT_REMOTE, CLIENT_PORT)
            .is_ok();

        let ip = config & CFG_IP != 0;
        let link = SpareLink::take(config & CFG_BURST != 0, ip);
        let base = *link.stats(Side::A);
        Harness {
            link,
            ip,
            iface,
            sockets,
            now,
            udp,
            icmp,
            raw,
            dhcp,
            listener,
            pool,
            lent: [true; POOL],
            client,
            client_sent: false,
            reconnects: if connected { 0 } else { u32::MAX },
            polls: 0,
            accepted: 0,
            client_received: 0,
            client_states: Vec::new(),
            tcp_log: Vec::new(),
            arp_replies: 0,
            answer: config & CFG_ANSWER != 0,
            check_allocs: counting_installed(),
            injected: 0,
            base,
            app_frames: 0,
            sent: [0; 6],
            scratch: Vec::with_capacity(64 * 1024),
            replies: Vec::new(),
        }
    }

    /// Puts a frame on the wire to the interface, rewritten as `flags` say.
    fn inject(&mut self, frame: &[u8], flags: u8) {
        // On an IP medium the record's Ethernet header is cut after the
        // rewrite, which reads it.
        let link = if self.ip { ETH_HEADER } else { 0 };
        let max = self.link.a().capabilities().max_frame_len() + link;
        let frame = &frame[..frame.len().min(max)];
        self.scratch.clear();
        self.scratch.extend_from_slice(frame);
        rewrite(&mut self.scratch, flags);
        self.scratch.drain(..link.min(self.scratch.len()));
        if self.link.queued(Side::A) >= LINK_CAPACITY {
            // The wire is full: let the interface take some first, so that
            // no injected frame is lost and each is counted exactly once.
            self.poll();
        }
        let bytes = &self.scratch;
        let mut wire = self.link.b();
        let token = wire
            .transmit(self.now)
            .expect("the link has room after a poll");
        token.consume(bytes.len(), |buf| buf.copy_from_slice(bytes));
        self.injected += 1;
    }

    /// Advances the clock by `micros`, or to `poll_at` for `u64::MAX`.
    fn advance(&mut self, micros: u64) {
        if micros == u64::MAX {
            self.jump();
        } else {
            self.now += Duration::from_micros(micros);
        }
    }

    /// Jumps to `poll_at` (or 1 ms on when it says "now"); false when the
    /// interface has nothing to wait for.
    fn jump(&mut self) -> bool {
        match self.iface.poll_at(self.now, &self.sockets) {
            Some(t) if t > self.now => self.now = t,
            Some(_) => self.now += Duration::from_millis(1),
            None => return false,
        }
        true
    }

    /// One poll, then the checks, then what a user's loop does with the
    /// sockets, then the harness's answers.
    fn poll(&mut self) {
        let Harness {
            link,
            iface,
            sockets,
            now,
            ..
        } = self;
        let (_, allocs) = allocations(|| iface.poll(*now, &mut link.a(), sockets));
        self.polls += 1;
        if self.check_allocs {
            assert_eq!(allocs, 0, "Interface::poll allocated {allocs} times");
        }
        self.drain_tx();
        self.check();
        self.use_sockets();
        let replies = std::mem::take(&mut self.replies);
        for r in &replies {
            self.inject(r, 0);
        }
        self.replies = replies;
        self.replies.clear();
    }

    /// Reads every frame the interface sent and checks it.
    fn drain_tx(&mut self) {
        let answer = self.answer;
        let replies = &mut self.replies;
        let sent = &mut self.sent;
        let log = &mut self.tcp_log;
        let arp_replies = &mut self.arp_replies;
        let ip = self.ip;
        let mut b = self.link.b();
        while let Some((rx, _)) = b.receive(self.now) {
            rx.consume(|frame| {
                let framed;
                let frame = if ip {
                    framed = as_ethernet(frame);
                    &framed[..]
                } else {
                    frame
                };
                if let Some(kind) = check_tx(frame, log) {
                    sent[kind] += 1;
                }
                if is_arp_reply(frame) {
                    *arp_replies += 1;
                }
                if answer {
                    if let Some(reply) = answer_resolution(frame) {
                        replies.push(reply);
                    }
                }
            });
        }
    }

    /// The invariants that hold after every poll.
    fn check(&self) {
        let stats = self.iface.stats();
        let waiting = self.link.queued(Side::A) as u64;
        assert_eq!(
            stats.rx_frames + waiting,
            self.injected,
            "rx_frames ({}) + frames still queued ({waiting}) != injected",
            stats.rx_frames
        );
        let wire = self.link.stats(Side::A);
        let (sent, dropped, refused) = (
            wire.sent_frames - self.base.sent_frames,
            wire.dropped - self.base.dropped,
            wire.refused - self.base.refused,
        );
        assert_eq!(
            stats.tx_frames,
            sent + dropped,
            "tx_frames vs frames the device took"
        );
        if let Some(at) = self.iface.poll_at(self.now, &self.sockets) {
            assert!(
                at >= self.now,
                "poll_at {at:?} is before now {:?}",
                self.now
            );
        }
        // What the interface tried to send: the frames it sent, the transmit
        // tokens the device refused, at most one reply or ICMP error per
        // received frame (whose fragments are bounded by the frames the
        // request came in), and the frames of the echo socket's datagrams.
        // TCP adds, per poll, at most one failed send (an unresolved
        // neighbor) per socket and per half-open connection.
        let tcp = self.polls * (POOL + 1 + SYN_QUEUE) as u64;
        let tried = stats.tx_frames + refused + stats.rx_frames + self.app_frames + tcp;
        assert!(
            stats.dropped_total() <= stats.rx_frames + tried,
            "dropped_total {} > rx_frames {} + tried {tried}: {:?}",
            stats.dropped_total(),
            stats.rx_frames,
            stats.drops().filter(|d| d.1 > 0).collect::<Vec<_>>()
        );
        self.check_tcp();
    }

    /// The TCP invariants: queues within their buffers, failed connections
    /// closed, open ones with the endpoints they were opened with.
    fn check_tcp(&self) {
        let l = self
            .sockets
            .get::<TcpListener>(self.listener)
            .expect("listener");
        assert!(l.is_open(), "the listener closed by itself");
        assert!(l.half_open() <= SYN_QUEUE, "SYN queue over its size");
        assert!(l.backlog() <= BACKLOG, "accept queue over its size");
        assert!(l.pooled() <= POOL, "pool over its size");
        let tcp = |h| self.sockets.get::<TcpSocket>(h).expect("tcp socket");
        for (h, port) in self
            .pool
            .iter()
            .map(|h| (*h, TCP_PORT))
            .chain([(self.client, CLIENT_PORT)])
        {
            let s = tcp(h);
            let state = s.state();
            assert!(
                s.recv_queue() <= TCP_RX,
                "{state}: rx queue over the buffer"
            );
            assert!(
                s.send_queue() <= TCP_TX,
                "{state}: tx queue over the buffer"
            );
            if s.error().is_some() {
                assert_eq!(
                    state,
                    State::Closed,
                    "failed ({:?}) but not closed",
                    s.error()
                );
            }
            if matches!(state, State::Closed | State::Listen) {
                assert!(!s.can_send(), "{state}: can_send");
                continue;
            }
            let local = s
                .local_endpoint()
                .expect("open socket without a local endpoint");
            let remote = s
                .remote_endpoint()
                .expect("open socket without a remote endpoint");
            assert_eq!(local.port, port, "{state}: local port");
            assert!(remote.port != 0, "{state}: remote port 0");
            if h == self.client {
                assert_eq!(remote, CLIENT_REMOTE, "client connected elsewhere");
                assert_eq!(local.addr, IpAddr::V4(IP4), "client's source address");
            }
        }
    }

    /// The user's side: echo UDP, read pings and raw packets, apply DHCP.
    ///
    /// A socket is borrowed mutably only when there is something to do with
    /// it, as an application that waits for readiness does: `get_mut` marks
    /// the socket for the interface's next visit, so touching every socket on
    /// every poll would hide a socket the interface forgets to visit on its
    /// own (a timer, a pending reply), and costs a visit each.
    fn use_sockets(&mut self) {
        if self
            .sockets
            .get::<UdpSocket>(self.udp)
            .expect("udp")
            .can_recv()
        {
            let udp = self.sockets.get_mut::<UdpSocket>(self.udp).expect("udp");
            while let Ok((data, meta)) = udp.recv() {
                self.scratch.clear();
                self.scratch.extend_from_slice(data);
                let reply = UdpMetadata {
                    endpoint: meta.endpoint,
                    local_address: meta.local_address,
                    hop_limit: None,
                };
                if udp.send_slice(&self.scratch, reply).is_ok() {
                    self.app_frames += (self.scratch.len() as u64 + 8) / 1200 + 1;
                }
            }
        }
        if self
            .sockets
            .get::<IcmpSocket>(self.icmp)
            .expect("icmp")
            .can_recv()
        {
            let icmp = self.sockets.get_mut::<IcmpSocket>(self.icmp).expect("icmp");
            while let Ok((data, from)) = icmp.recv() {
                black_box((data, from));
            }
        }
        if self
            .sockets
            .get::<RawSocket>(self.raw)
            .expect("raw")
            .can_recv()
        {
            let raw = self.sockets.get_mut::<RawSocket>(self.raw).expect("raw");
            while let Ok(data) = raw.recv() {
                // The raw socket hands over what the interface accepted as IPv4.
                assert!(
                    Ipv4Packet::new_checked(data).is_ok(),
                    "raw socket delivered a packet that is not IPv4"
                );
            }
        }
        self.use_tcp();
        if let Some(dhcp) = self.dhcp {
            while let Some(e) = self
                .sockets
                .get_mut::<Dhcpv4Client>(dhcp)
                .expect("dhcp")
                .poll_event()
            {
                self.iface.apply_dhcpv4(&e);
            }
        }
        while let Some(e) = self.iface.poll_event() {
            black_box(e);
        }
    }

    /// What an echo server and a one-request client do with their sockets.
    fn use_tcp(&mut self) {
        let l = self
            .sockets
            .get::<TcpListener>(self.listener)
            .expect("listener");
        let pooled = l.pooled();
        if l.backlog() > 0 {
            let l = self
                .sockets
                .get_mut::<TcpListener>(self.listener)
                .expect("listener");
            while let Some(h) = l.accept() {
                let i = self.pool.iter().position(|p| *p == h);
                let i = i.expect("accepted a socket never lent");
                self.lent[i] = false;
                self.accepted += 1;
            }
        }
        let lent = self.lent.iter().filter(|l| **l).count();
        let mut buf = [0u8; 512];
        for (i, h) in self.pool.into_iter().enumerate() {
            let s = self.sockets.get::<TcpSocket>(h).expect("tcp");
            let (echo, state) = (s.can_recv() && s.can_send(), s.state());
            if echo {
                let s = self.sockets.get_mut::<TcpSocket>(h).expect("tcp");
                // Echo: read only what can be written back.
                while s.can_recv() && s.can_send() {
                    let n = s.recv_slice(&mut buf).unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    let _ = s.send_slice(&buf[..n]);
                }
            }
            if state == State::CloseWait {
                self.sockets.get_mut::<TcpSocket>(h).expect("tcp").close();
            }
            // Lend a closed socket again once accepted (accept queue drained
            // above, so that is safe); all of them if the listener holds
            // fewer than lent (it may drop one whose connection failed).
            if state == State::Closed && (!self.lent[i] || pooled < lent) {
                self.sockets
                    .get_mut::<TcpListener>(self.listener)
                    .expect("listener")
                    .provide(h)
                    .expect("pool has room for its own sockets");
                self.lent[i] = true;
            }
        }
        let client = self.client;
        let s = self.sockets.get::<TcpSocket>(client).expect("client");
        if s.can_recv() {
            let s = self.sockets.get_mut::<TcpSocket>(client).expect("client");
            while let Ok(n) = s.recv_slice(&mut buf) {
                if n == 0 {
                    break;
                }
                self.client_received += n as u64;
            }
        }
        let s = self.sockets.get::<TcpSocket>(client).expect("client");
        if s.state() == State::Established && !self.client_sent {
            self.client_sent = true;
            let s = self.sockets.get_mut::<TcpSocket>(client).expect("client");
            let sent = s
                .send_slice(&[0x5a; TCP_TX])
                .expect("send when established");
            assert_eq!(sent, TCP_TX, "an empty send buffer takes TCP_TX bytes");
        }
        // Active close once the data is acknowledged (FIN-WAIT, TIME-WAIT);
        // passive once the peer closed first.
        let s = self.sockets.get::<TcpSocket>(client).expect("client");
        let done = self.client_sent && s.send_queue() == 0 && s.state() == State::Established;
        if done || s.state() == State::CloseWait {
            self.sockets
                .get_mut::<TcpSocket>(client)
                .expect("client")
                .close();
        }
        let state = self
            .sockets
            .get::<TcpSocket>(client)
            .expect("client")
            .state();
        if self.client_states.last() != Some(&state) && self.client_states.len() < 64 {
            self.client_states.push(state);
        }
        // `reconnects` is u32::MAX until the first connect succeeds.
        let budget = self.reconnects == u32::MAX || self.reconnects < RECONNECTS;
        if state == State::Closed && budget {
            let r = self.iface.tcp_connect(
                self.now,
                &mut self.sockets,
                self.client,
                CLIENT_REMOTE,
                CLIENT_PORT,
            );
            match r {
                Ok(_) => {
                    self.reconnects = self.reconnects.wrapping_add(1);
                    self.client_sent = false;
                }
                // The address may be tentative (probing, DAD) or gone (DHCP).
                Err(ConnectError::NoSourceAddress | ConnectError::SourceAddressTentative) => {}
                Err(e) => panic!("connect from a closed socket: {e:?}"),
            }
        }
    }

    /// The end: every injected frame was taken and counted once.
    fn finish(&mut self) {
        // Frames may still wait if the burst size is small.
        for _ in 0..LINK_CAPACITY {
            if self.link.queued(Side::A) == 0 {
                break;
            }
            self.poll();
        }
        assert_eq!(self.iface.stats().rx_frames, self.injected);
    }
}

thread_local! {
    /// A warmed-up, empty link per burst setting, from the previous run.
    static SPARE_LINKS: RefCell<[Option<Link>; 4]> = const { RefCell::new([None, None, None, None]) };
}

/// The harness's link: taken from the thread's spare (built and warmed up
/// only the first time, which is most of a run's setup), handed back
/// emptied when the run ends without a panic. Its counters run on from run
/// to run; the harness reads them against their value at its start.
struct SpareLink {
    link: Option<Link>,
    /// Which of `SPARE_LINKS` it goes back to: burst, plus 2 for IP.
    slot: usize,
}

impl SpareLink {
    fn take(burst: bool, ip: bool) -> SpareLink {
        let slot = usize::from(burst) + 2 * usize::from(ip);
        let spare = SPARE_LINKS.with_borrow_mut(|s| s[slot].take());
        let link = spare.unwrap_or_else(|| {
            let mut caps = if ip {
                DeviceCapabilities::ip(MTU)
            } else {
                DeviceCapabilities::ethernet(MTU)
            };
            if burst {
                caps.max_burst_size = Some(2);
            }
            let mut link = Link::new(caps, LINK_CAPACITY);
            warm_up(&mut link);
            link
        });
        SpareLink {
            link: Some(link),
            slot,
        }
    }
}

impl std::ops::Deref for SpareLink {
    type Target = Link;
    fn deref(&self) -> &Link {
        self.link.as_ref().expect("the link until drop")
    }
}

impl std::ops::DerefMut for SpareLink {
    fn deref_mut(&mut self) -> &mut Link {
        self.link.as_mut().expect("the link until drop")
    }
}

impl Drop for SpareLink {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let Some(mut link) = self.link.take() else {
            return;
        };
        for side in [Side::A, Side::B] {
            let mut end = link.end(side);
            while let Some((rx, _)) = end.receive(Instant::ZERO) {
                rx.consume(|_| {});
            }
        }
        SPARE_LINKS.with_borrow_mut(|s| s[self.slot] = Some(link));
    }
}

/// Where the client socket connects.
const CLIENT_REMOTE: IpEndpoint = IpEndpoint {
    addr: IpAddr::V4(PEER4),
    port: PEER_PORT,
};

/// A TCP socket with small buffers and keepalive (10 s idle, 1 s apart,
/// 3 probes) so the keepalive timer fires within a few time records.
fn tcp_socket() -> TcpSocket<'static> {
    let mut config = TcpConfig::default();
    config.keepalive = Some((Duration::from_secs(10), Duration::from_secs(1), 3));
    TcpSocket::with_config(
        RingBuffer::new(vec![0u8; TCP_RX]),
        RingBuffer::new(vec![0u8; TCP_TX]),
        config,
    )
}

/// Fills the link's buffer free list to the most buffers that can ever be in
/// circulation (both queues, both receive slots, one reply), so that the
/// device never allocates during a poll: a device cost the check must not
/// blame on the interface.
pub(super) fn warm_up(link: &mut Link) {
    let now = Instant::ZERO;
    let frame = [0u8; 14];
    let send = |end: &mut rstcp_testkit::loopback::LinkEnd<'_>| {
        end.transmit(now)
            .expect("room")
            .consume(frame.len(), |b| b.copy_from_slice(&frame));
    };
    for side in [Side::A, Side::B] {
        let mut end = link.end(side);
        for _ in 0..LINK_CAPACITY {
            send(&mut end);
        }
    }
    for side in [Side::A, Side::B] {
        // Lend one frame (it moves into the slot) and fill the queue again.
        let _ = link.end(side).receive(now);
        send(&mut link.end(side.peer()));
    }
    {
        // A reply token written while its queue is full: one more buffer,
        // which goes to the free list.
        let mut a = link.a();
        let (_, tx) = a.receive(now).expect("frame");
        tx.consume(frame.len(), |b| b.copy_from_slice(&frame));
    }
    for side in [Side::A, Side::B] {
        let mut end = link.end(side);
        while let Some((rx, _)) = end.receive(now) {
            rx.consume(|_| {});
        }
    }
    assert_eq!(link.queued(Side::A) + link.queued(Side::B), 0);
}

// ---------------------------------------------------------------------------
// Rewriting injected frames

/// Applies the frame-record flags to `frame` in place.
fn rewrite(frame: &mut [u8], flags: u8) {
    if flags & F_MAC != 0 {
        if let Some(dst) = frame.get_mut(0..6) {
            dst.copy_from_slice(MAC.as_bytes());
        }
    }
    let Ok(mut eth) = EthernetFrame::new_checked(&mut *frame) else {
        return;
    };
    let ethertype = eth.ethertype();
    let payload = eth.payload_mut();
    match ethertype {
        EtherType::Arp if flags & F_IP != 0 => {
            if let Ok(mut arp) = ArpPacket::new_checked(payload) {
                if arp.protocol_len() == 4 {
                    arp.set_target_protocol_addr(&IP4.octets());
                }
            }
        }
        EtherType::Ipv4 => fix_ipv4(payload, flags),
        EtherType::Ipv6 => fix_ipv6(payload, flags),
        _ => {}
    }
}

fn fix_ipv4(packet: &mut [u8], flags: u8) {
    let Ok(mut ip) = Ipv4Packet::new_checked(packet) else {
        return;
    };
    if flags & F_IP != 0 {
        ip.set_dst_addr(IP4);
    }
    if flags & F_FIX == 0 {
        return;
    }
    ip.fill_checksum();
    if ip.more_frags() || ip.frag_offset() != 0 {
        return;
    }
    let (src, dst) = (IpAddr::V4(ip.src_addr()), IpAddr::V4(ip.dst_addr()));
    let proto = ip.next_header();
    fix_l4(proto, &src, &dst, ip.payload_mut());
}

fn fix_ipv6(packet: &mut [u8], flags: u8) {
    let Ok(mut ip) = Ipv6Packet::new_checked(packet) else {
        return;
    };
    if flags & F_IP != 0 {
        ip.set_dst_addr(IP6);
    }
    if flags & F_FIX == 0 {
        return;
    }
    let (src, dst) = (ip.src_addr(), ip.dst_addr());
    let first = ip.next_header();
    let Ok(chain) = walk(first, ip.payload()) else {
        return;
    };
    if chain.fragment.is_some() || !chain.has_upper_header() {
        return;
    }
    let upper = chain.upper;
    let Some(l4) = ip.payload_mut().get_mut(chain.upper_offset..) else {
        return;
    };
    if upper == IpProtocol::Icmpv6 {
        if let Ok(mut icmp) = Icmpv6Packet::new_checked(l4) {
            icmp.fill_checksum(&src, &dst);
        }
    } else {
        fix_l4(upper, &IpAddr::V6(src), &IpAddr::V6(dst), l4);
    }
}

fn fix_l4(proto: IpProtocol, src: &IpAddr, dst: &IpAddr, l4: &mut [u8]) {
    match proto {
        IpProtocol::Icmp => {
            if let Ok(mut icmp) = Icmpv4Packet::new_checked(l4) {
                icmp.fill_checksum();
            }
        }
        IpProtocol::Igmp => {
            if let Ok(mut igmp) = IgmpPacket::new_checked(l4) {
                igmp.fill_checksum();
            }
        }
        IpProtocol::Udp => {
            if let Ok(mut udp) = UdpPacket::new_checked(l4) {
                udp.fill_checksum(src, dst);
            }
        }
        IpProtocol::Tcp => {
            if let Ok(mut tcp) = TcpPacket::new_checked(l4) {
                tcp.fill_checksum(src, dst);
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// Checking transmitted frames

/// Everything the interface sends must be a well-formed frame from us.
/// Returns its index in [`Outcome::sent`], if it counts there.
fn check_tx(frame: &[u8], log: &mut Vec<SentSegment>) -> Option<usize> {
    assert!(
        frame.len() <= DeviceCapabilities::ethernet(MTU).max_frame_len(),
        "tx: frame of {} bytes",
        frame.len()
    );
    let eth = EthernetFrame::new_checked(frame).expect("tx: Ethernet length");
    let repr = EthernetRepr::parse(&eth).expect("tx: EthernetRepr");
    assert_eq!(repr.src_addr, MAC, "tx: source MAC is not ours");
    assert!(repr.vlan.is_empty(), "tx: VLAN tag without a VLAN");
    let payload = eth.inner_payload().expect("tx: Ethernet payload");
    match repr.ethertype {
        EtherType::Arp => {
            let arp = ArpPacket::new_checked(payload).expect("tx: ARP length");
            ArpRepr::parse(&arp).expect("tx: ArpRepr");
            Some(0)
        }
        EtherType::Ipv4 => check_tx_ipv4(payload, log),
        EtherType::Ipv6 => check_tx_ipv6(payload, log),
        other => panic!("tx: EtherType {other:?}"),
    }
}

/// A frame of an IP-medium device with the Ethernet header it would have
/// had, so that [`check_tx`] checks it: from our MAC, the EtherType by the
/// version nibble. Anything but IPv4 or IPv6 fails here.
fn as_ethernet(packet: &[u8]) -> Vec<u8> {
    let ethertype = match packet.first().map(|b| b >> 4) {
        Some(4) => EtherType::Ipv4,
        Some(6) => EtherType::Ipv6,
        other => panic!("tx on an IP medium: IP version {other:?}"),
    };
    let mut f = ethernet(PEER_MAC, MAC, ethertype);
    f.extend_from_slice(packet);
    f
}

fn is_arp_reply(frame: &[u8]) -> bool {
    let Ok(eth) = EthernetFrame::new_checked(frame) else {
        return false;
    };
    eth.ethertype() == EtherType::Arp
        && ArpPacket::new_checked(eth.payload()).is_ok_and(|a| a.operation() == ArpOperation::Reply)
}

fn check_tx_ipv4(bytes: &[u8], log: &mut Vec<SentSegment>) -> Option<usize> {
    let ip = Ipv4Packet::new_checked(bytes).expect("tx: IPv4 length");
    let repr = Ipv4Repr::parse(&ip, ChecksumMode::Check).expect("tx: Ipv4Repr (checksum)");
    assert!(
        !repr.src_addr.is_multicast() && !repr.src_addr.is_broadcast(),
        "tx: IPv4 source {}",
        repr.src_addr
    );
    if repr.more_frags || repr.frag_offset != 0 {
        return None;
    }
    let payload = ip.payload();
    let (src, dst) = (IpAddr::V4(repr.src_addr), IpAddr::V4(repr.dst_addr));
    match repr.next_header {
        IpProtocol::Icmp => {
            let p = Icmpv4Packet::new_checked(payload).expect("tx: ICMPv4 length");
            Icmpv4Repr::parse(&p, ChecksumMode::Check).expect("tx: Icmpv4Repr (checksum)");
            Some(1)
        }
        IpProtocol::Igmp => {
            let p = IgmpPacket::new_checked(payload).expect("tx: IGMP length");
            IgmpRepr::parse(&p, ChecksumMode::Check).expect("tx: IgmpRepr (checksum)");
            None
        }
        IpProtocol::Udp => {
            check_tx_udp(payload, &src, &dst);
            Some(2)
        }
        IpProtocol::Tcp => {
            check_tx_tcp(payload, &src, &dst, log);
            Some(5)
        }
        other => panic!("tx: IPv4 protocol {other:?}"),
    }
}

/// A segment the interface sent: well-formed, checksum right, and a SYN
/// only from the ports that open connections (a reset or an ACK may go to
/// any port a frame came from).
fn check_tx_tcp(bytes: &[u8], src: &IpAddr, dst: &IpAddr, log: &mut Vec<SentSegment>) {
    let p = TcpPacket::new_checked(bytes).expect("tx: TCP length");
    let repr = TcpRepr::parse(&p, src, dst, ChecksumMode::Check).expect("tx: TcpRepr (checksum)");
    if repr.control.contains(TcpFlags::SYN) {
        assert!(
            repr.src_port == TCP_PORT || repr.src_port == CLIENT_PORT,
            "tx: SYN from port {}",
            repr.src_port
        );
        assert!(
            !repr.control.intersects(TcpFlags::RST | TcpFlags::FIN),
            "tx: SYN with {:?}",
            repr.control
        );
    }
    if log.len() < MAX_TCP_LOG {
        log.push(SentSegment {
            src_port: repr.src_port,
            dst_port: repr.dst_port,
            control: repr.control,
            seq: repr.seq_number.0,
            ack: repr.ack_number.map(|a| a.0),
            len: repr.payload.len(),
        });
    }
}

fn check_tx_ipv6(bytes: &[u8], log: &mut Vec<SentSegment>) -> Option<usize> {
    let ip = Ipv6Packet::new_checked(bytes).expect("tx: IPv6 length");
    let repr = Ipv6Repr::parse(&ip).expect("tx: Ipv6Repr");
    assert!(
        !repr.src_addr.is_multicast(),
        "tx: IPv6 source {}",
        repr.src_addr
    );
    let payload = ip.payload();
    let chain = walk(repr.next_header, payload).expect("tx: IPv6 extension headers");
    if chain.fragment.is_some() || !chain.has_upper_header() {
        return None;
    }
    let upper = chain.upper_payload(payload);
    match chain.upper {
        IpProtocol::Icmpv6 => {
            let p = Icmpv6Packet::new_checked(upper).expect("tx: ICMPv6 length");
            Icmpv6Repr::parse(&repr.src_addr, &repr.dst_addr, &p, ChecksumMode::Check)
                .expect("tx: Icmpv6Repr (checksum)");
            Some(3)
        }
        IpProtocol::Udp => {
            let (src, dst) = (IpAddr::V6(repr.src_addr), IpAddr::V6(repr.dst_addr));
            check_tx_udp(upper, &src, &dst);
            Some(4)
        }
        IpProtocol::Tcp => {
            let (src, dst) = (IpAddr::V6(repr.src_addr), IpAddr::V6(repr.dst_addr));
            check_tx_tcp(upper, &src, &dst, log);
            Some(5)
        }
        other => panic!("tx: IPv6 upper protocol {other:?}"),
    }
}

fn check_tx_udp(bytes: &[u8], src: &IpAddr, dst: &IpAddr) {
    let p = UdpPacket::new_checked(bytes).expect("tx: UDP length");
    UdpRepr::parse(&p, src, dst, ChecksumMode::Check).expect("tx: UdpRepr (checksum)");
}

/// The reply a neighbor at [`PEER_MAC`] gives to an ARP request or a
/// neighbor solicitation the interface sent, as a frame.
pub(super) fn answer_resolution(frame: &[u8]) -> Option<Vec<u8>> {
    let eth = EthernetFrame::new_checked(frame).ok()?;
    match eth.ethertype() {
        EtherType::Arp => {
            let arp = ArpPacket::new_checked(eth.payload()).ok()?;
            let ArpRepr::EthernetIpv4 {
                operation: ArpOperation::Request,
                source_hardware_addr,
                source_protocol_addr,
                target_protocol_addr,
                ..
            } = ArpRepr::parse(&arp).ok()?
            else {
                return None;
            };
            Some(arp_frame(
                source_hardware_addr,
                ArpOperation::Reply,
                PEER_MAC,
                target_protocol_addr,
                source_hardware_addr,
                source_protocol_addr,
            ))
        }
        EtherType::Ipv6 => {
            let ip = Ipv6Packet::new_checked(eth.payload()).ok()?;
            if ip.next_header() != IpProtocol::Icmpv6 {
                return None;
            }
            let icmp = Icmpv6Packet::new_checked(ip.payload()).ok()?;
            let NdiscRepr::NeighborSolicit { target_addr, .. } = NdiscRepr::parse(&icmp).ok()?
            else {
                return None;
            };
            let dst = if ip.src_addr().is_unspecified() {
                Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1)
            } else {
                ip.src_addr()
            };
            Some(neighbor_advert(target_addr, dst))
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Crafting frames (seeds and answers)

/// An Ethernet header.
pub fn ethernet(dst: EthernetAddress, src: EthernetAddress, ethertype: EtherType) -> Vec<u8> {
    let mut f = Vec::with_capacity(1514);
    f.extend_from_slice(dst.as_bytes());
    f.extend_from_slice(src.as_bytes());
    f.extend_from_slice(&u16::from(ethertype).to_be_bytes());
    f
}

/// An ARP frame.
pub fn arp_frame(
    eth_dst: EthernetAddress,
    operation: ArpOperation,
    sha: EthernetAddress,
    spa: Ipv4Addr,
    tha: EthernetAddress,
    tpa: Ipv4Addr,
) -> Vec<u8> {
    let repr = ArpRepr::EthernetIpv4 {
        operation,
        source_hardware_addr: sha,
        source_protocol_addr: spa,
        target_hardware_addr: tha,
        target_protocol_addr: tpa,
    };
    let mut f = ethernet(eth_dst, sha, EtherType::Arp);
    let at = f.len();
    f.resize(at + repr.buffer_len(), 0);
    repr.emit(&mut ArpPacket::new_unchecked(&mut f[at..]))
        .expect("ARP emit");
    f
}

/// An IPv4 frame from PEER_MAC: header (ident, fragment offset in 8-byte
/// units, more fragments) and payload, checksums filled.
pub fn ipv4_frame(
    src: Ipv4Addr,
    dst: Ipv4Addr,
    proto: IpProtocol,
    frag: (u16, u16, bool),
    payload: &[u8],
) -> Vec<u8> {
    let mut f = Vec::with_capacity(1514);
    ipv4_frame_into(&mut f, src, dst, (proto, payload.len()), frag, |p| {
        p.copy_from_slice(payload)
    });
    f
}

/// [`ipv4_frame`] into `out` (cleared first, reused without allocating once
/// big enough), its payload of `l4.1` bytes written by `fill`, then the
/// checksums filled.
pub(super) fn ipv4_frame_into(
    out: &mut Vec<u8>,
    src: Ipv4Addr,
    dst: Ipv4Addr,
    l4: (IpProtocol, usize),
    frag: (u16, u16, bool),
    fill: impl FnOnce(&mut [u8]),
) {
    let (proto, len) = l4;
    let dst_mac = if dst.is_broadcast() {
        EthernetAddress::BROADCAST
    } else {
        MAC
    };
    out.clear();
    out.extend_from_slice(dst_mac.as_bytes());
    out.extend_from_slice(PEER_MAC.as_bytes());
    out.extend_from_slice(&u16::from(EtherType::Ipv4).to_be_bytes());
    let at = out.len();
    out.resize(at + 20 + len, 0);
    {
        let mut ip = Ipv4Packet::new_unchecked(&mut out[at..]);
        ip.set_version(4);
        ip.set_header_len(20);
        ip.set_total_len((20 + len) as u16);
        ip.set_ident(frag.0);
        ip.set_frag_offset(frag.1 * 8);
        ip.set_more_frags(frag.2);
        ip.set_hop_limit(64);
        ip.set_next_header(proto);
        ip.set_src_addr(src);
        ip.set_dst_addr(dst);
        fill(ip.payload_mut());
    }
    fix_ipv4(&mut out[at..], F_FIX);
}

/// An IPv6 frame from PEER_MAC, its upper-layer checksum filled.
pub fn ipv6_frame(src: Ipv6Addr, dst: Ipv6Addr, next: IpProtocol, payload: &[u8]) -> Vec<u8> {
    let dst_mac = if dst.is_multicast() {
        EthernetAddress::from_ipv6_multicast(&dst)
    } else {
        MAC
    };
    let mut f = ethernet(dst_mac, PEER_MAC, EtherType::Ipv6);
    let at = f.len();
    f.resize(at + 40 + payload.len(), 0);
    Ipv6Repr {
        src_addr: src,
        dst_addr: dst,
        next_header: next,
        payload_len: payload.len() as u16,
        hop_limit: 255,
        traffic_class: 0,
        flow_label: 0,
    }
    .emit(&mut Ipv6Packet::new_unchecked(&mut f[at..]));
    f[at + 40..].copy_from_slice(payload);
    fix_ipv6(&mut f[at..], F_FIX);
    f
}

/// An ICMP echo request (v4 and v6 differ only in the type byte).
pub fn echo(kind: u8, ident: u16, seq: u16, data: &[u8]) -> Vec<u8> {
    let mut m = vec![kind, 0, 0, 0];
    m.extend_from_slice(&ident.to_be_bytes());
    m.extend_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(data);
    m
}

/// A UDP datagram (checksum left to the IP layer's fix).
pub fn udp(src_port: u16, dst_port: u16, data: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(8 + data.len());
    m.extend_from_slice(&src_port.to_be_bytes());
    m.extend_from_slice(&dst_port.to_be_bytes());
    m.extend_from_slice(&((8 + data.len()) as u16).to_be_bytes());
    m.extend_from_slice(&[0, 0]);
    m.extend_from_slice(data);
    m
}

/// A neighbor advertisement for `target` at PEER_MAC, to `dst`.
pub fn neighbor_advert(target: Ipv6Addr, dst: Ipv6Addr) -> Vec<u8> {
    let mut m = vec![136, 0, 0, 0, 0x60, 0, 0, 0];
    m.extend_from_slice(&target.octets());
    m.extend_from_slice(&[2, 1]);
    m.extend_from_slice(PEER_MAC.as_bytes());
    ipv6_frame(target, dst, IpProtocol::Icmpv6, &m)
}

/// A neighbor solicitation for `target` from PEER6.
pub fn neighbor_solicit(target: Ipv6Addr) -> Vec<u8> {
    let mut m = vec![135, 0, 0, 0, 0, 0, 0, 0];
    m.extend_from_slice(&target.octets());
    m.extend_from_slice(&[1, 1]);
    m.extend_from_slice(PEER_MAC.as_bytes());
    let o = target.octets();
    let group = Ipv6Addr::new(
        0xff02,
        0,
        0,
        0,
        0,
        1,
        0xff00 | u16::from(o[13]),
        u16::from_be_bytes([o[14], o[15]]),
    );
    ipv6_frame(PEER6, group, IpProtocol::Icmpv6, &m)
}

/// A DHCP server message to port 68 (`kind`: option 53), offering
/// 192.168.69.50 with a router and a 60 s lease.
pub fn dhcp_reply(kind: u8, xid: u32) -> Vec<u8> {
    let mut m = vec![0u8; 236];
    m[0] = 2; // BOOTREPLY
    m[1] = 1;
    m[2] = 6;
    m[4..8].copy_from_slice(&xid.to_be_bytes());
    m[16..20].copy_from_slice(&[192, 168, 69, 50]);
    m[20..24].copy_from_slice(&GW4.octets());
    m[28..34].copy_from_slice(MAC.as_bytes());
    m.extend_from_slice(&[99, 130, 83, 99]);
    m.extend_from_slice(&[53, 1, kind]);
    m.extend_from_slice(&[54, 4, 192, 168, 69, 254]);
    m.extend_from_slice(&[1, 4, 255, 255, 255, 0]);
    m.extend_from_slice(&[3, 4, 192, 168, 69, 254]);
    m.extend_from_slice(&[51, 4, 0, 0, 0, 60]);
    m.extend_from_slice(&[6, 4, 192, 168, 69, 254]);
    m.push(255);
    let d = udp(67, 68, &m);
    ipv4_frame(GW4, Ipv4Addr::BROADCAST, IpProtocol::Udp, (1, 0, false), &d)
}

/// Builds `iface` inputs.
#[derive(Debug, Clone)]
pub struct Input(Vec<u8>);

impl Input {
    /// An input with this config byte and no records.
    pub fn new(config: u8) -> Input {
        Input(vec![config])
    }

    /// A frame record (`flags` as in the module docs).
    pub fn frame(mut self, flags: u8, frame: &[u8]) -> Input {
        let len = frame.len().min(usize::from(u16::MAX));
        self.0.push(flags & 0x7f);
        self.0.extend_from_slice(&(len as u16).to_be_bytes());
        self.0.extend_from_slice(&frame[..len]);
        self
    }

    /// A time record: `polls` polls (1..=8), each after `STEPS[step]`.
    pub fn wait(mut self, step: u8, polls: u8) -> Input {
        let r = polls.clamp(1, 8) - 1;
        self.0.push(TIME | (r << 4) | (step & 0x0f));
        self
    }

    /// The bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }
}

/// Inputs aimed at our addresses, one per path worth reaching at once.
pub fn crafted_seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    let ping4 = echo(8, 0x4242, 1, b"rstcp fuzz ping");
    let ping6 = echo(128, 0x4242, 1, b"rstcp fuzz ping");
    let arp_req = arp_frame(
        EthernetAddress::BROADCAST,
        ArpOperation::Request,
        PEER_MAC,
        PEER4,
        EthernetAddress::UNSPECIFIED,
        IP4,
    );
    let probe = arp_frame(
        EthernetAddress::BROADCAST,
        ArpOperation::Request,
        PEER_MAC,
        Ipv4Addr::UNSPECIFIED,
        EthernetAddress::UNSPECIFIED,
        IP4,
    );
    let echo4 = ipv4_frame(PEER4, IP4, IpProtocol::Icmp, (7, 0, false), &ping4);
    let echo6 = ipv6_frame(PEER6, IP6, IpProtocol::Icmpv6, &ping6);
    let udp_echo = ipv4_frame(
        PEER4,
        IP4,
        IpProtocol::Udp,
        (8, 0, false),
        &udp(4000, ECHO_PORT, b"echo me"),
    );
    let udp_closed = ipv4_frame(
        PEER4,
        IP4,
        IpProtocol::Udp,
        (9, 0, false),
        &udp(4000, 9999, b"nobody"),
    );
    let udp6_echo = ipv6_frame(PEER6, IP6, IpProtocol::Udp, &udp(4000, ECHO_PORT, b"v6"));
    let udp6_closed = ipv6_frame(PEER6, IP6, IpProtocol::Udp, &udp(4000, 9, b"closed"));
    let off_link = ipv4_frame(
        Ipv4Addr::new(10, 1, 2, 3),
        IP4,
        IpProtocol::Icmp,
        (10, 0, false),
        &ping4,
    );

    // Fragments of one 3000-byte echo request, in order and not.
    let mut big = echo(8, 0x4242, 2, &[0xa5; 2992]);
    Icmpv4Packet::new_checked(&mut big[..])
        .expect("echo")
        .fill_checksum();
    let frags: Vec<Vec<u8>> = big
        .chunks(1480)
        .enumerate()
        .map(|(i, c)| {
            let last = (i + 1) * 1480 >= big.len();
            ipv4_frame(
                PEER4,
                IP4,
                IpProtocol::Icmp,
                (0x77, (i * 185) as u16, !last),
                c,
            )
        })
        .collect();
    // IPv6: fragment header (next 58), two fragments of an echo request.
    let mut big6 = echo(128, 0x4242, 3, &[0x5a; 1592]);
    Icmpv6Packet::new_checked(&mut big6[..])
        .expect("echo")
        .fill_checksum(&PEER6, &IP6);
    let frag6: Vec<Vec<u8>> = big6
        .chunks(1232)
        .enumerate()
        .map(|(i, c)| {
            let more = (i + 1) * 1232 < big6.len();
            let off = (i * 1232) as u16;
            let mut p = vec![58, 0];
            p.extend_from_slice(&(off | u16::from(more)).to_be_bytes());
            p.extend_from_slice(&0x6006u32.to_be_bytes());
            p.extend_from_slice(c);
            ipv6_frame(PEER6, IP6, IpProtocol::Ipv6Frag, &p)
        })
        .collect();

    let simple: [(u8, &[u8]); 10] = [
        (0, &arp_req),
        (0, &echo4),
        (0, &echo6),
        (0, &udp_echo),
        (0, &udp_closed),
        (0, &udp6_echo),
        (0, &udp6_closed),
        (0, &off_link),
        (0, &neighbor_solicit(IP6)),
        (CFG_ANSWER, &udp_echo),
    ];
    for (config, frame) in simple {
        seeds.push(Input::new(config).frame(0, frame).into_bytes());
    }
    // Everything in one input, with the harness answering resolution.
    let mut all = Input::new(CFG_ANSWER);
    for f in [
        &arp_req,
        &echo4,
        &echo6,
        &udp_echo,
        &udp_closed,
        &udp6_echo,
        &off_link,
    ] {
        all = all.frame(F_BATCH, f);
    }
    seeds.push(all.wait(3, 4).into_bytes());
    // Fragments: in order, reversed, and only the first (reassembly expiry).
    let mut fwd = Input::new(0);
    let mut rev = Input::new(CFG_ANSWER);
    for f in &frags {
        fwd = fwd.frame(0, f);
    }
    for f in frags.iter().rev() {
        rev = rev.frame(0, f);
    }
    seeds.push(fwd.into_bytes());
    seeds.push(rev.into_bytes());
    seeds.push(Input::new(0).frame(0, &frags[0]).wait(11, 2).into_bytes());
    let mut v6 = Input::new(CFG_ANSWER);
    for f in &frag6 {
        v6 = v6.frame(0, f);
    }
    seeds.push(v6.into_bytes());
    // RFC 5227: probing with a probe and an ARP from another host for our
    // address during it (conflict), and after it (defence).
    seeds.push(
        Input::new(CFG_PROBE)
            .frame(0, &probe)
            .wait(6, 3)
            .frame(0, &arp_req)
            .into_bytes(),
    );
    let claim = arp_frame(
        EthernetAddress::BROADCAST,
        ArpOperation::Reply,
        PEER_MAC,
        IP4,
        EthernetAddress::UNSPECIFIED,
        IP4,
    );
    seeds.push(
        Input::new(CFG_PROBE)
            .wait(JUMP, 8)
            .frame(0, &claim)
            .wait(JUMP, 4)
            .into_bytes(),
    );
    // DHCP: an OFFER and an ACK to port 68 (wrong xid: the fuzzer's to find),
    // with time for the client's retransmits.
    seeds.push(
        Input::new(CFG_DHCP | CFG_ANSWER)
            .frame(0, &dhcp_reply(2, 0))
            .frame(0, &dhcp_reply(5, 0))
            .wait(JUMP, 8)
            .into_bytes(),
    );
    // Timers only: ARP retransmits towards the gateway for an echo request
    // from off-link, never answered.
    seeds.push(Input::new(0).frame(0, &off_link).wait(JUMP, 8).into_bytes());
    seeds.extend(tcp_seeds());
    seeds.extend(ip_medium_seeds(&[
        &echo4, &echo6, &udp_echo, &udp6_echo, &arp_req,
    ]));
    seeds
}

/// Seeds on an IP-medium device ([`CFG_IP`]): `frames` one by one with
/// nothing answering resolution (none is needed there), then all of them
/// with probing and a DHCPv4 client on and the timers run.
fn ip_medium_seeds(frames: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut seeds: Vec<Vec<u8>> = frames
        .iter()
        .map(|f| Input::new(CFG_IP).frame(0, f).into_bytes())
        .collect();
    let mut all = Input::new(CFG_IP | CFG_PROBE | CFG_DHCP);
    for f in frames {
        all = all.frame(F_BATCH, f);
    }
    seeds.push(all.wait(JUMP, 8).into_bytes());
    seeds
}

/// Options of a crafted TCP segment.
#[derive(Debug, Clone, Copy, Default)]
pub struct SegOpts {
    /// MSS option.
    pub mss: Option<u16>,
    /// Window scale option.
    pub window_scale: Option<u8>,
    /// SACK-permitted option.
    pub sack_permitted: bool,
    /// Timestamps option (TSval, TSecr).
    pub timestamp: Option<(u32, u32)>,
    /// SACK blocks.
    pub sack: [Option<(u32, u32)>; MAX_SACK_BLOCKS],
}

/// A TCP segment (checksum left to the IP layer's fix).
pub fn tcp_segment(
    (src_port, dst_port): (u16, u16),
    seq: u32,
    ack: Option<u32>,
    control: TcpFlags,
    window: u16,
    opts: SegOpts,
    payload: &[u8],
) -> Vec<u8> {
    let repr = TcpRepr {
        src_port,
        dst_port,
        control,
        seq_number: TcpSeqNumber(seq),
        ack_number: ack.map(TcpSeqNumber),
        window_len: window,
        window_scale: opts.window_scale,
        max_seg_size: opts.mss,
        sack_permitted: opts.sack_permitted,
        sack_ranges: opts.sack,
        timestamp: opts.timestamp,
        urgent_at: None,
        payload,
    };
    let mut m = vec![0u8; repr.buffer_len()];
    let (src, dst) = (IpAddr::V4(PEER4), IpAddr::V4(IP4));
    repr.emit(
        &mut TcpPacket::new_unchecked(&mut m[..]),
        &src,
        &dst,
        ChecksumMode::Check,
    );
    m
}

/// A TCP segment from PEER4 to IP4 as a frame.
pub fn tcp4_frame(segment: &[u8]) -> Vec<u8> {
    ipv4_frame(PEER4, IP4, IpProtocol::Tcp, (0x7c, 0, false), segment)
}

/// The interface's side of one connection, read off a run's sent segments:
/// its initial sequence number (of the SYN or SYN-ACK) and the sequence
/// number after everything it sent.
fn our_side(out: &Outcome, local_port: u16, remote_port: u16) -> Option<(u32, u32)> {
    let segs = out
        .tcp
        .iter()
        .filter(|s| s.src_port == local_port && s.dst_port == remote_port);
    let iss = segs
        .clone()
        .find(|s| s.control.contains(TcpFlags::SYN))?
        .seq;
    // Modular maximum: sequence numbers wrap.
    let nxt = segs
        .map(|s| {
            let ctl = usize::from(s.control.intersects(TcpFlags::SYN | TcpFlags::FIN));
            TcpSeqNumber(s.seq) + s.len + ctl
        })
        .reduce(|a, b| if b > a { b } else { a })?;
    Some((iss, nxt.0))
}

/// Runs a seed prefix (the interface is deterministic for a given input,
/// so what it sent is what it will send when the whole seed replays).
fn replay(input: &Input) -> Outcome {
    run(&input.0).expect("non-empty input")
}

/// TCP inputs: SYNs with and without options, a SYN flood into cookies, whole
/// connections to the listener and from the client with out-of-order data,
/// SACK, FIN, RST and the timers in between.
pub fn tcp_seeds() -> Vec<Vec<u8>> {
    let mut seeds = Vec::new();
    let all_opts = SegOpts {
        mss: Some(1460),
        window_scale: Some(7),
        sack_permitted: true,
        timestamp: Some((1000, 0)),
        ..SegOpts::default()
    };
    let syn = |port: u16, opts: SegOpts| {
        tcp4_frame(&tcp_segment(
            (port, TCP_PORT),
            0x1000_0000,
            None,
            TcpFlags::SYN,
            65535,
            opts,
            &[],
        ))
    };
    // 0, 1: a bare SYN, and one with every option (v4 and v6).
    seeds.push(
        Input::new(CFG_ANSWER)
            .frame(0, &syn(1234, SegOpts::default()))
            .into_bytes(),
    );
    let mut syn6 = tcp_segment(
        (1235, TCP_PORT),
        7,
        None,
        TcpFlags::SYN,
        1000,
        all_opts,
        &[],
    );
    let s6 = IpAddr::V6(PEER6);
    let d6 = IpAddr::V6(IP6);
    TcpPacket::new_unchecked(&mut syn6[..]).fill_checksum(&s6, &d6);
    seeds.push(
        Input::new(CFG_ANSWER)
            .frame(0, &syn(1235, all_opts))
            .frame(0, &ipv6_frame(PEER6, IP6, IpProtocol::Tcp, &syn6))
            .wait(JUMP, 8)
            .into_bytes(),
    );

    // 2: a SYN flood: two fill the SYN queue, the third gets a cookie, whose
    // ACK completes a connection without state.
    let mut flood = Input::new(CFG_ANSWER);
    for port in [2001, 2002, 2003] {
        flood = flood.frame(0, &syn(port, all_opts));
    }
    let cookie = our_side(&replay(&flood), TCP_PORT, 2003).map(|(iss, _)| iss);
    let ack = |port: u16, seq: u32, ack: u32, ctl: TcpFlags, opts: SegOpts, data: &[u8]| {
        tcp4_frame(&tcp_segment(
            (port, TCP_PORT),
            seq,
            Some(ack),
            ctl,
            65535,
            opts,
            data,
        ))
    };
    if let Some(c) = cookie {
        let ts = SegOpts {
            timestamp: Some((1001, 0)),
            ..SegOpts::default()
        };
        flood = flood.frame(
            0,
            &ack(
                2003,
                0x1000_0001,
                c.wrapping_add(1),
                TcpFlags::empty(),
                ts,
                &[],
            ),
        );
    }
    seeds.push(flood.wait(JUMP, 8).into_bytes());

    // 3: a whole connection to the listener: handshake, data in two
    // segments delivered out of order, a FIN, then our echo acknowledged
    // with SACK blocks, and time for every timer.
    let opts = SegOpts {
        mss: Some(536),
        window_scale: Some(2),
        sack_permitted: true,
        ..SegOpts::default()
    };
    let port = 3000;
    let irs = 0x1000_0000u32;
    // The SYN-ACK leaves on the poll after the SYN's.
    let mut conn = Input::new(CFG_ANSWER).frame(0, &syn(port, opts)).wait(0, 1);
    if let Some((iss, _)) = our_side(&replay(&conn), TCP_PORT, port) {
        let a = iss.wrapping_add(1);
        let none = SegOpts::default();
        conn = conn
            .frame(0, &ack(port, irs + 1, a, TcpFlags::empty(), none, &[]))
            .frame(
                0,
                &ack(port, irs + 101, a, TcpFlags::PSH, none, &[b'b'; 100]),
            )
            .frame(
                0,
                &ack(port, irs + 1, a, TcpFlags::empty(), none, &[b'a'; 100]),
            )
            .wait(2, 2);
        if let Some((_, nxt)) = our_side(&replay(&conn), TCP_PORT, port) {
            // Acknowledge the first echoed bytes, SACK the rest.
            let sack = SegOpts {
                sack: [Some((a.wrapping_add(50), nxt)), None, None, None],
                ..SegOpts::default()
            };
            conn = conn
                .frame(
                    0,
                    &ack(
                        port,
                        irs + 201,
                        a.wrapping_add(10),
                        TcpFlags::empty(),
                        sack,
                        &[],
                    ),
                )
                .frame(
                    0,
                    &ack(
                        port,
                        irs + 201,
                        a.wrapping_add(10),
                        TcpFlags::empty(),
                        sack,
                        &[],
                    ),
                )
                .wait(7, 2)
                .frame(0, &ack(port, irs + 201, nxt, TcpFlags::FIN, none, &[]))
                .wait(JUMP, 4);
            if let Some((_, fin)) = our_side(&replay(&conn), TCP_PORT, port) {
                conn = conn.frame(0, &ack(port, irs + 202, fin, TcpFlags::empty(), none, &[]));
            }
        }
    }
    seeds.push(conn.wait(JUMP, 8).into_bytes());

    // 4-6: the client: SYN-ACK, then (4) the data acknowledged in pieces
    // with SACK, our FIN acknowledged and the peer's FIN (TIME-WAIT), (5) a
    // zero window (persist), (6) a reset in the window.
    let client = Input::new(CFG_ANSWER).wait(1, 2);
    let syn_sent = replay(&client);
    if let Some((iss, _)) = our_side(&syn_sent, CLIENT_PORT, PEER_PORT) {
        let peer_isn = 0x3000_0000u32;
        let to_client = |seq: u32, ack: u32, ctl: TcpFlags, window: u16, opts: SegOpts| {
            tcp4_frame(&tcp_segment(
                (PEER_PORT, CLIENT_PORT),
                seq,
                Some(ack),
                ctl,
                window,
                opts,
                &[],
            ))
        };
        let synack = |window: u16| {
            to_client(
                peer_isn,
                iss.wrapping_add(1),
                TcpFlags::SYN,
                window,
                SegOpts {
                    mss: Some(1000),
                    sack_permitted: true,
                    ..SegOpts::default()
                },
            )
        };
        let seq = peer_isn + 1;
        let none = SegOpts::default();
        let base = iss.wrapping_add(1);

        let mut data = client.clone().frame(0, &synack(65535)).wait(0, 1);
        let sack = SegOpts {
            sack: [Some((base + 2000, base + 4000)), None, None, None],
            ..SegOpts::default()
        };
        for _ in 0..3 {
            data = data.frame(
                0,
                &to_client(seq, base + 1000, TcpFlags::empty(), 65535, sack),
            );
        }
        data = data.wait(3, 2);
        // Acknowledge all that was sent until the FIN has been.
        for _ in 0..6 {
            let Some((_, nxt)) = our_side(&replay(&data), CLIENT_PORT, PEER_PORT) else {
                break;
            };
            data = data
                .frame(0, &to_client(seq, nxt, TcpFlags::empty(), 65535, none))
                .wait(3, 2);
            if nxt.wrapping_sub(base) > TCP_TX as u32 {
                data = data.frame(0, &to_client(seq, nxt, TcpFlags::FIN, 65535, none));
                break;
            }
        }
        seeds.push(data.wait(JUMP, 8).into_bytes());

        let zero = client
            .clone()
            .frame(0, &synack(0))
            .wait(7, 8)
            .frame(0, &to_client(seq, base, TcpFlags::empty(), 4000, none))
            .wait(JUMP, 8);
        seeds.push(zero.into_bytes());

        let reset = client
            .clone()
            .frame(0, &synack(65535))
            .wait(6, 2)
            .frame(0, &to_client(seq, base, TcpFlags::RST, 0, none))
            .wait(JUMP, 8);
        seeds.push(reset.into_bytes());
    }

    // 7: resets: to a closed port, to a half-open connection, and a
    // segment for a closed port that earns one.
    let rst = |port: u16, dst: u16, ctl: TcpFlags, ack: Option<u32>| {
        tcp4_frame(&tcp_segment(
            (port, dst),
            0x1000_0001,
            ack,
            ctl,
            0,
            SegOpts::default(),
            &[],
        ))
    };
    seeds.push(
        Input::new(CFG_ANSWER)
            .frame(0, &rst(4000, 9999, TcpFlags::RST, None))
            .frame(0, &rst(4001, 9999, TcpFlags::empty(), Some(5)))
            .frame(0, &syn(4002, SegOpts::default()))
            .frame(0, &rst(4002, TCP_PORT, TcpFlags::RST, None))
            .wait(JUMP, 4)
            .into_bytes(),
    );
    seeds
}

/// Seeds from a capture's Ethernet frames: as captured, then rewritten to
/// reach us with fixed checksums.
pub fn capture_seeds(frames: &[Vec<u8>]) -> Vec<Vec<u8>> {
    const PER_SEED: usize = 16;
    let mut seeds = Vec::new();
    for (i, chunk) in frames.chunks(PER_SEED).take(2).enumerate() {
        let mut plain = Input::new(0);
        let mut deep = Input::new(CFG_ANSWER | (i as u8) << 4);
        for f in chunk {
            // The harness cuts a frame to the link's largest anyway; a
            // capture's offloaded 64 KiB segments would only make the seed
            // long (and slow to mutate) for nothing.
            let f = &f[..f
                .len()
                .min(DeviceCapabilities::ethernet(MTU).max_frame_len())];
            plain = plain.frame(F_BATCH, f);
            deep = deep.frame(F_DEEP, f);
        }
        seeds.push(plain.wait(3, 1).into_bytes());
        seeds.push(deep.wait(JUMP, 2).into_bytes());
    }
    seeds
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The crafted seeds reach what they aim at: a harness that silently
    /// drops everything would pass every invariant.
    #[test]
    fn crafted_seeds_reach_deep() {
        let seeds = crafted_seeds();
        let o: Vec<Outcome> = seeds.iter().map(|s| run(s).expect("input")).collect();
        // ARP request for our IP: answered.
        assert_eq!(o[0].arp_replies, 1);
        // UDP to port 7 with the harness answering ARP: echoed.
        assert_eq!(o[9].sent[2], 1);
        // Everything at once: echo replies v4 and v6, UDP echoes v4 and v6.
        assert!(o[10].sent[1] >= 1 && o[10].sent[3] >= 2 && o[10].sent[4] >= 1);
        // Fragments reassembled (reply fragments are not counted in `sent`).
        assert_eq!(o[12].stats.reassembled, 1);
        // The first fragment alone expires after 30 s.
        assert_eq!(o[13].stats.dropped(rstcp::iface::DropReason::Reassembly), 1);
        // DHCP: the client's DISCOVERs go out.
        assert!(o[17].sent[2] >= 2);
    }

    /// On an IP medium the replies leave with nothing resolved (no
    /// harness answering ARP or NDP), and no ARP leaves at all.
    #[test]
    fn ip_medium_seeds_reach_deep() {
        let seeds = crafted_seeds();
        let o: Vec<Outcome> = seeds[seeds.len() - 6..]
            .iter()
            .map(|s| run(s).expect("input"))
            .collect();
        assert!(o[0].sent[1] >= 1, "ICMPv4 echo reply: {:?}", o[0].sent);
        assert!(o[1].sent[3] >= 1, "ICMPv6 echo reply: {:?}", o[1].sent);
        assert!(o[2].sent[2] >= 1, "UDP echo: {:?}", o[2].sent);
        assert!(o[3].sent[4] >= 1, "UDP over IPv6 echo: {:?}", o[3].sent);
        // The ARP request lost its header: not an IP packet, counted.
        assert_eq!(o[4].stats.dropped(rstcp::iface::DropReason::Malformed), 1);
        // The client's SYN left without resolution, and the DHCP client's
        // messages were refused, counted.
        assert!(o.iter().all(|o| o.sent[0] == 0 && o.arp_replies == 0));
        assert!(o[5].tcp.iter().any(|s| s.src_port == CLIENT_PORT));
        assert!(o[5].stats.dropped(rstcp::iface::DropReason::Unsupported) >= 1);
    }

    /// The TCP seeds open, use and close connections as they say.
    #[test]
    fn tcp_seeds_reach_deep() {
        let o: Vec<Outcome> = tcp_seeds().iter().map(|s| run(s).expect("input")).collect();
        assert_eq!(o.len(), 8, "a seed was not built");
        let from = |o: &Outcome, port: u16, ctl: TcpFlags| {
            o.tcp
                .iter()
                .filter(|s| s.src_port == port && s.control.contains(ctl))
                .count()
        };
        // A SYN-ACK for the bare SYN and for both with options.
        assert!(from(&o[0], TCP_PORT, TcpFlags::SYN) >= 1);
        assert!(from(&o[1], TCP_PORT, TcpFlags::SYN) >= 2);
        // Flood: the third SYN got a cookie, whose ACK was a connection.
        assert_eq!(o[2].listener.cookies_sent, 1);
        assert_eq!(o[2].listener.cookies_accepted, 1);
        assert_eq!(o[2].accepted, 1);
        // The echo connection: the 200 bytes (reassembled) came back, then
        // our FIN after the peer's.
        assert_eq!(o[3].accepted, 1);
        let echoed: usize = o[3]
            .tcp
            .iter()
            .filter(|s| s.src_port == TCP_PORT && s.dst_port == 3000)
            .map(|s| s.len)
            .max()
            .unwrap_or(0);
        assert_eq!(echoed, 200);
        assert!(from(&o[3], TCP_PORT, TcpFlags::FIN) >= 1);
        // The client: data, our FIN acknowledged, the peer's FIN: TIME-WAIT,
        // then closed and connected again.
        let states = &o[4].client_states;
        assert!(states.contains(&State::TimeWait), "{states:?}");
        assert!(from(&o[4], CLIENT_PORT, TcpFlags::SYN) >= 2);
        // Zero window: one-byte window probes.
        assert!(o[5]
            .tcp
            .iter()
            .any(|s| s.src_port == CLIENT_PORT && s.len == 1));
        // A reset in the window closes the client, which connects again.
        let states = &o[6].client_states;
        assert_eq!(
            states[..3],
            [State::SynSent, State::Established, State::Closed]
        );
        // A segment to a closed port earns a reset.
        assert!(from(&o[7], 9999, TcpFlags::RST) >= 1);
    }
}
