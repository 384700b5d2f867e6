//! The `iface` target: a whole [`Interface`] fed untrusted frames.
//!
//! Every frame on the wire is the attacker's. The body builds one interface
//! (IPv4 192.168.69.1/24, IPv6 fd00::1/64, default gateways, a UDP echo
//! socket on port 7, a ping socket, a raw socket for IPv4/TCP and, if the
//! input asks, a DHCPv4 client), injects the input's frames one by one with
//! time passing between polls, and after every poll checks that:
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
//!   checked ([`ChecksumMode::Check`]), down to ICMP, IGMP and UDP.
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
//!              (from PEER_MAC), bit 3 burst size 2, bits 4-7 random seed
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
//! After the last record the body keeps polling at `poll_at` a few times so
//! that pending timers (ARP retransmits, reassembly expiry, probes, DHCP)
//! run even on inputs without time records.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicU8, Ordering};

use rstcp::iface::fragment::ReassemblySlot;
use rstcp::iface::{Config, Interface, InterfaceStorage};
use rstcp::phy::loopback::{Link, QueueStats, Side};
use rstcp::phy::{Device, DeviceCapabilities, RxToken, TxToken};
use rstcp::socket::dhcpv4::{Dhcpv4Client, Dhcpv4Config};
use rstcp::socket::icmp::IcmpSocket;
use rstcp::socket::raw::{IpVersion, RawSocket};
use rstcp::socket::udp::{UdpMetadata, UdpSocket};
use rstcp::socket::{SocketHandle, SocketSet};
use rstcp::storage::packet_buffer::{PacketBuffer, PacketMetadata};
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
use rstcp::wire::tcp::TcpPacket;
use rstcp::wire::udp::{UdpPacket, UdpRepr};
use rstcp::wire::{
    ChecksumMode, EthernetAddress, IpAddr, IpProtocol, Ipv4Addr, Ipv4Cidr, Ipv6Addr, Ipv6Cidr,
};

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
/// Frames per direction of the link.
const LINK_CAPACITY: usize = 64;
/// Polls at `poll_at` after the last record.
const FINAL_POLLS: usize = 12;

/// Config byte bits.
pub const CFG_PROBE: u8 = 1 << 0;
/// Run a DHCPv4 client.
pub const CFG_DHCP: u8 = 1 << 1;
/// Answer the interface's ARP requests and neighbor solicitations.
pub const CFG_ANSWER: u8 = 1 << 2;
/// Take at most two frames per poll.
pub const CFG_BURST: u8 = 1 << 3;

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

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

/// A global allocator that counts this thread's allocations while the
/// `iface` body polls. A binary that installs it (the cargo-fuzz target,
/// `tests/fuzz_seeds.rs`) gets the no-allocation check; without it the check
/// is skipped.
pub struct CountingAlloc;

// SAFETY: every call is forwarded unchanged to the system allocator; the
// wrapper only touches const-initialised thread-locals, which never allocate.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn count() {
    // `try_with`: the thread may be tearing down its locals.
    if COUNTING.try_with(Cell::get).unwrap_or(false) {
        let _ = ALLOCS.try_with(|a| a.set(a.get() + 1));
    }
}

/// Runs `f` and returns how many allocations it made on this thread.
fn allocations<R>(f: impl FnOnce() -> R) -> (R, u64) {
    ALLOCS.with(|a| a.set(0));
    COUNTING.with(|c| c.set(true));
    let r = f();
    COUNTING.with(|c| c.set(false));
    (r, ALLOCS.with(Cell::get))
}

/// True when [`CountingAlloc`] is the global allocator (probed once).
fn counting_installed() -> bool {
    static STATE: AtomicU8 = AtomicU8::new(0);
    match STATE.load(Ordering::Relaxed) {
        1 => true,
        2 => false,
        _ => {
            let ((), n) = allocations(|| drop(black_box(Box::new(0u64))));
            STATE.store(if n > 0 { 1 } else { 2 }, Ordering::Relaxed);
            n > 0
        }
    }
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
    /// UDP over IPv4, ICMPv6, UDP over IPv6).
    pub sent: [u64; 5],
}

/// Runs the body over `data`; `None` for an empty input.
pub fn run(data: &[u8]) -> Option<Outcome> {
    let (&config, mut rest) = data.split_first()?;
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
    Some(Outcome {
        stats: h.iface.stats().clone(),
        sent: h.sent,
    })
}

/// One interface on end A of a link, its sockets, and what the checks need.
struct Harness {
    link: Link,
    iface: Interface<'static>,
    sockets: SocketSet<'static>,
    now: Instant,
    udp: SocketHandle,
    icmp: SocketHandle,
    raw: SocketHandle,
    dhcp: Option<SocketHandle>,
    answer: bool,
    check_allocs: bool,
    /// Frames put on B→A.
    injected: u64,
    /// The A→B counters after the warm-up.
    base: QueueStats,
    /// Upper bound of the frames the echo socket's datagrams become.
    app_frames: u64,
    /// Transmitted frames by kind (see [`Outcome::sent`]).
    sent: [u64; 5],
    /// Reused buffers (the harness may allocate; `poll` may not).
    scratch: Vec<u8>,
    replies: Vec<Vec<u8>>,
}

impl Harness {
    fn new(config: u8) -> Harness {
        let mut cfg = Config::new(MAC);
        cfg.random_seed = 0x5eed_0000 | u64::from(config >> 4);
        cfg.ipv4_probe = config & CFG_PROBE != 0;
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

        let mut sockets = SocketSet::new(Vec::with_capacity(8), Vec::with_capacity(32), 0x50c);
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

        let mut link = Link::new(caps(config), LINK_CAPACITY);
        warm_up(&mut link);
        let base = *link.stats(Side::A);
        Harness {
            link,
            iface,
            sockets,
            now,
            udp,
            icmp,
            raw,
            dhcp,
            answer: config & CFG_ANSWER != 0,
            check_allocs: counting_installed(),
            injected: 0,
            base,
            app_frames: 0,
            sent: [0; 5],
            scratch: Vec::with_capacity(64 * 1024),
            replies: Vec::new(),
        }
    }

    /// Puts a frame on the wire to the interface, rewritten as `flags` say.
    fn inject(&mut self, frame: &[u8], flags: u8) {
        let max = self.link.a().capabilities().max_frame_len();
        let frame = &frame[..frame.len().min(max)];
        self.scratch.clear();
        self.scratch.extend_from_slice(frame);
        rewrite(&mut self.scratch, flags);
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
        let mut b = self.link.b();
        while let Some((rx, _)) = b.receive(self.now) {
            rx.consume(|frame| {
                if let Some(kind) = check_tx(frame) {
                    sent[kind] += 1;
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
        let tried = stats.tx_frames + refused + stats.rx_frames + self.app_frames;
        assert!(
            stats.dropped_total() <= stats.rx_frames + tried,
            "dropped_total {} > rx_frames {} + tried {tried}: {:?}",
            stats.dropped_total(),
            stats.rx_frames,
            stats.drops().filter(|d| d.1 > 0).collect::<Vec<_>>()
        );
    }

    /// The user's side: echo UDP, read pings and raw packets, apply DHCP.
    fn use_sockets(&mut self) {
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
        let icmp = self.sockets.get_mut::<IcmpSocket>(self.icmp).expect("icmp");
        while let Ok((data, from)) = icmp.recv() {
            black_box((data, from));
        }
        let raw = self.sockets.get_mut::<RawSocket>(self.raw).expect("raw");
        while let Ok(data) = raw.recv() {
            // The raw socket hands over what the interface accepted as IPv4.
            assert!(
                Ipv4Packet::new_checked(data).is_ok(),
                "raw socket delivered a packet that is not IPv4"
            );
        }
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

fn caps(config: u8) -> DeviceCapabilities {
    let mut caps = DeviceCapabilities::ethernet(MTU);
    if config & CFG_BURST != 0 {
        caps.max_burst_size = Some(2);
    }
    caps
}

/// Fills the link's buffer free list to the most buffers that can ever be in
/// circulation (both queues, both receive slots, one reply), so that the
/// device never allocates during a poll: a device cost the check must not
/// blame on the interface.
fn warm_up(link: &mut Link) {
    let now = Instant::ZERO;
    let frame = [0u8; 14];
    let send = |end: &mut rstcp::phy::loopback::LinkEnd<'_>| {
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
fn check_tx(frame: &[u8]) -> Option<usize> {
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
        EtherType::Ipv4 => check_tx_ipv4(payload),
        EtherType::Ipv6 => check_tx_ipv6(payload),
        other => panic!("tx: EtherType {other:?}"),
    }
}

fn check_tx_ipv4(bytes: &[u8]) -> Option<usize> {
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
            check_tx_tcp(payload, &src, &dst);
            None
        }
        other => panic!("tx: IPv4 protocol {other:?}"),
    }
}

/// A segment the interface sent (a reset for a segment no socket took):
/// well-formed, checksum right.
fn check_tx_tcp(bytes: &[u8], src: &IpAddr, dst: &IpAddr) {
    let p = TcpPacket::new_checked(bytes).expect("tx: TCP length");
    rstcp::wire::tcp::TcpRepr::parse(&p, src, dst, ChecksumMode::Check)
        .expect("tx: TcpRepr (checksum)");
}

fn check_tx_ipv6(bytes: &[u8]) -> Option<usize> {
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
            check_tx_tcp(upper, &src, &dst);
            None
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
fn answer_resolution(frame: &[u8]) -> Option<Vec<u8>> {
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
    let dst_mac = if dst.is_broadcast() {
        EthernetAddress::BROADCAST
    } else {
        MAC
    };
    let mut f = ethernet(dst_mac, PEER_MAC, EtherType::Ipv4);
    let at = f.len();
    f.resize(at + 20 + payload.len(), 0);
    {
        let mut ip = Ipv4Packet::new_unchecked(&mut f[at..]);
        ip.set_version(4);
        ip.set_header_len(20);
        ip.set_total_len((20 + payload.len()) as u16);
        ip.set_ident(frag.0);
        ip.set_frag_offset(frag.1 * 8);
        ip.set_more_frags(frag.2);
        ip.set_hop_limit(64);
        ip.set_next_header(proto);
        ip.set_src_addr(src);
        ip.set_dst_addr(dst);
        ip.payload_mut().copy_from_slice(payload);
    }
    fix_ipv4(&mut f[at..], F_FIX);
    f
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
        assert_eq!(o[0].sent[0], 1);
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
}
