//! A TCP bulk transfer in memory, one thread, for rstcp and for smoltcp
//! 0.14 in the same run, in three settings (the table of
//! docs/PERFORMANCE.md, "Loopback"):
//!
//! - **A, equal settings**: two interfaces on one in-memory Ethernet wire,
//!   MTU 1500, every checksum computed and verified by both stacks.
//! - **B, each stack's own loopback as shipped**: one interface talking to
//!   itself, as smoltcp's `loopback` example: smoltcp on its own
//!   `phy::Loopback` (MTU 65535, `ChecksumCapabilities::ignored()`: no
//!   checksum computed or verified, a `Vec` allocated per frame), rstcp on
//!   a loopback like Linux's `lo` (`DeviceCapabilities::loopback(1500)`,
//!   what `rstcp_testkit::loopback::Link::lo` declares: 64 KB TSO
//!   super-segments with partial checksums, passed whole and trusted).
//! - **C, the devices at their best on the same wire**: two interfaces on
//!   the wire of A; smoltcp with `phy::Loopback`'s settings, the fastest
//!   its devices have (65535-byte frames, checksums off), rstcp lo-like as
//!   in B; both stacks' sockets as they come.
//! - **D, C with Nagle off** on every socket of both stacks (smoltcp's
//!   `set_nagle_enabled(false)`, rstcp's `set_nodelay(true)`): smoltcp's
//!   best. With Nagle, smoltcp holds the 41 bytes a 64 KiB buffer leaves
//!   after one 65495-byte segment until their ACK, and the loop idles.
//!
//! Run with `cargo bench -p rstcp --features alloc --bench loopback`
//! (`LOOPBACK_MIB=1024` by default: 1 GiB is moved each time; `RUNS`,
//! default 5, each run every setting once, the stacks alternating, which
//! goes first alternating too). Every setting gives the stacks 64 KiB
//! socket buffers each way, the wall clock as `now`, and the same
//! application: keep the send buffer full from a 64 KiB block, read all
//! there is into a 64 KiB block (checked in order with one `memcmp`), poll
//! the sender then the receiver (one poll in B). Prints each transfer's
//! frames and rounds, then the medians.
//!
//! `LOOPBACK_STACK=rstcp` (or `smoltcp`), with `LOOPBACK_CASE=a`, `b`, `c`
//! or `d` (default `a`), runs one stack alone, for a profiler: `valgrind
//! --tool=callgrind` counts its instructions.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Instant as WallClock;

const MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0a];
const MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0b];
const IP_A: [u8; 4] = [10, 0, 0, 1];
const IP_B: [u8; 4] = [10, 0, 0, 2];
const PORT: u16 = 5001;
const BUFFER: usize = 64 * 1024;
/// Frames one direction of the wire holds.
const WIRE_FRAMES: usize = 64;
const FRAME: usize = 1514;
/// A frame longer than this carries data; shorter ones are ACKs and the
/// handshake.
const SHORT_FRAME: usize = 128;

/// One of the three settings of the module documentation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Case {
    /// Equal settings: MTU 1500, checksums, two interfaces.
    Equal,
    /// Each stack's own loopback, one interface.
    Own,
    /// The devices at their best, two interfaces.
    Best,
    /// As `Best`, Nagle off.
    NoNagle,
}

impl Case {
    const ALL: [Case; 4] = [Case::Equal, Case::Own, Case::Best, Case::NoNagle];

    fn label(self) -> &'static str {
        match self {
            Case::Equal => "A equal: MTU 1500, checksums",
            Case::Own => "B own loopback, one iface",
            Case::Best => "C best devices, two ifaces",
            Case::NoNagle => "D as C, Nagle off",
        }
    }

    /// rstcp's device capabilities.
    fn rstcp_caps(self) -> rstcp::phy::DeviceCapabilities {
        match self {
            Case::Equal => rstcp::phy::DeviceCapabilities::ethernet(1500),
            Case::Own | Case::Best | Case::NoNagle => {
                rstcp::phy::DeviceCapabilities::loopback(1500)
            }
        }
    }

    /// smoltcp's device capabilities on the bench's wire (in B it has its
    /// own device, whose capabilities are these of C).
    fn smoltcp_caps(self) -> smoltcp::phy::DeviceCapabilities {
        let mut caps = smoltcp::phy::DeviceCapabilities::default();
        caps.medium = smoltcp::phy::Medium::Ethernet;
        match self {
            Case::Equal => caps.max_transmission_unit = FRAME,
            Case::Own | Case::Best | Case::NoNagle => {
                // What smoltcp's phy::Loopback declares.
                caps.max_transmission_unit = 65535;
                caps.checksum = smoltcp::phy::ChecksumCapabilities::ignored();
            }
        }
        caps
    }
}

// ---------------------------------------------------------------------------
// The wire: queues of frames and a free list, shared by the ends.

/// A frame on the wire: a recycled buffer and how much of it the frame
/// fills. Buffers keep the length they grew to, so a recycled one is lent
/// as it is, not zeroed again (zeroing each frame was 15-19 % of a run's
/// instructions, the wire's cost, not the stacks'; smoltcp's own
/// `phy::Loopback` in B still zeroes a new `Vec` per frame, as shipped).
type Frame = (Vec<u8>, usize);

#[derive(Default)]
struct Wire {
    /// `queues[i]`: frames waiting for end `i`.
    queues: [VecDeque<Frame>; 2],
    free: Vec<Vec<u8>>,
    /// Frames sent: longer than [`SHORT_FRAME`] (data), and not.
    sent: [u64; 2],
}

impl Wire {
    fn buffer(&mut self) -> Vec<u8> {
        self.free.pop().unwrap_or_else(|| Vec::with_capacity(FRAME))
    }
}

#[derive(Clone)]
struct End {
    wire: Rc<RefCell<Wire>>,
    /// The queue this end receives from.
    side: usize,
    /// The queue it sends into: the other end's, or its own for a loopback.
    to: usize,
    rstcp_caps: rstcp::phy::DeviceCapabilities,
    smoltcp_caps: smoltcp::phy::DeviceCapabilities,
}

struct RxTok {
    wire: Rc<RefCell<Wire>>,
    frame: Frame,
}

struct TxTok {
    wire: Rc<RefCell<Wire>>,
    to: usize,
}

impl End {
    fn rx(&mut self) -> Option<(RxTok, TxTok)> {
        let frame = self.wire.borrow_mut().queues[self.side].pop_front()?;
        Some((
            RxTok {
                wire: self.wire.clone(),
                frame,
            },
            TxTok {
                wire: self.wire.clone(),
                to: self.to,
            },
        ))
    }

    fn tx(&mut self) -> Option<TxTok> {
        (self.wire.borrow().queues[self.to].len() < WIRE_FRAMES).then(|| TxTok {
            wire: self.wire.clone(),
            to: self.to,
        })
    }
}

impl RxTok {
    fn take<R>(mut self, f: impl FnOnce(&mut [u8]) -> R) -> R {
        let (buf, len) = &mut self.frame;
        let r = f(&mut buf[..*len]);
        self.wire.borrow_mut().free.push(self.frame.0);
        r
    }
}

impl TxTok {
    fn send<R>(self, len: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
        let mut buf = self.wire.borrow_mut().buffer();
        if buf.len() < len {
            buf.resize(len, 0);
        }
        let r = f(&mut buf[..len]);
        let mut w = self.wire.borrow_mut();
        w.sent[usize::from(len <= SHORT_FRAME)] += 1;
        // A reply token may overfill by one: the wire is a test harness.
        w.queues[self.to].push_back((buf, len));
        r
    }
}

impl rstcp::phy::Device for End {
    type RxToken<'a> = RxTok;
    type TxToken<'a> = TxTok;
    fn receive(&mut self, _: rstcp::time::Instant) -> Option<(RxTok, TxTok)> {
        self.rx()
    }
    fn transmit(&mut self, _: rstcp::time::Instant) -> Option<TxTok> {
        self.tx()
    }
    fn capabilities(&self) -> rstcp::phy::DeviceCapabilities {
        self.rstcp_caps
    }
}

impl rstcp::phy::RxToken for RxTok {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, f: F) -> R {
        self.take(f)
    }
}

impl rstcp::phy::TxToken for TxTok {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        self.send(len, f)
    }
}

impl smoltcp::phy::Device for End {
    type RxToken<'a> = RxTok;
    type TxToken<'a> = TxTok;
    fn receive(&mut self, _: smoltcp::time::Instant) -> Option<(RxTok, TxTok)> {
        self.rx()
    }
    fn transmit(&mut self, _: smoltcp::time::Instant) -> Option<TxTok> {
        self.tx()
    }
    fn capabilities(&self) -> smoltcp::phy::DeviceCapabilities {
        self.smoltcp_caps.clone()
    }
}

impl smoltcp::phy::RxToken for RxTok {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        self.take(|b| f(b))
    }
}

impl smoltcp::phy::TxToken for TxTok {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        self.send(len, f)
    }
}

/// smoltcp's own `phy::Loopback`, untouched, with the frames it sends
/// counted as the wire counts them.
struct CountedLoopback {
    inner: smoltcp::phy::Loopback,
    sent: [u64; 2],
}

struct CountedTx<'a, T> {
    inner: T,
    sent: &'a mut [u64; 2],
}

impl<T: smoltcp::phy::TxToken> smoltcp::phy::TxToken for CountedTx<'_, T> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        self.sent[usize::from(len <= SHORT_FRAME)] += 1;
        self.inner.consume(len, f)
    }
}

impl smoltcp::phy::Device for CountedLoopback {
    type RxToken<'a> = <smoltcp::phy::Loopback as smoltcp::phy::Device>::RxToken<'a>;
    type TxToken<'a> = CountedTx<'a, <smoltcp::phy::Loopback as smoltcp::phy::Device>::TxToken<'a>>;
    fn receive(
        &mut self,
        t: smoltcp::time::Instant,
    ) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let (rx, tx) = self.inner.receive(t)?;
        Some((
            rx,
            CountedTx {
                inner: tx,
                sent: &mut self.sent,
            },
        ))
    }
    fn transmit(&mut self, t: smoltcp::time::Instant) -> Option<Self::TxToken<'_>> {
        Some(CountedTx {
            inner: self.inner.transmit(t)?,
            sent: &mut self.sent,
        })
    }
    fn capabilities(&self) -> smoltcp::phy::DeviceCapabilities {
        self.inner.capabilities()
    }
}

/// Two ends of one wire (A sends to B), or with `alone` one end that
/// hears itself (`b` unused).
fn ends(case: Case, alone: bool) -> (End, End, Rc<RefCell<Wire>>) {
    let wire = Rc::new(RefCell::new(Wire::default()));
    let end = |side: usize, to: usize| End {
        wire: wire.clone(),
        side,
        to,
        rstcp_caps: case.rstcp_caps(),
        smoltcp_caps: case.smoltcp_caps(),
    };
    let (a, b) = if alone {
        (end(0, 0), end(1, 1))
    } else {
        (end(0, 1), end(1, 0))
    };
    (a, b, wire)
}

/// What one transfer measured.
struct Run {
    secs: f64,
    /// Frames sent: data (longer than [`SHORT_FRAME`]) and short ones.
    sent: [u64; 2],
    /// Rounds of the application loop (one poll of each interface).
    rounds: u64,
}

/// The block the sender sends from again and again, and the receiver's
/// check that bytes arrived in order: every byte is its stream offset mod
/// 251, so the block holds every 64 KiB window of the stream, at offset
/// `stream offset % 251`.
fn block() -> Vec<u8> {
    (0..BUFFER + 251).map(|i| (i % 251) as u8).collect()
}

/// Whether `data`, read at stream offset `received`, is what was sent: one
/// `memcmp` against the block, so the check costs the application a small
/// part of what it costs the stacks to move the bytes (a byte-by-byte
/// modulo check was most of the loop's instructions and hid the stacks).
fn check(block: &[u8], received: usize, data: &[u8]) -> bool {
    let from = received % 251;
    block[from..from + data.len()] == *data
}

// ---------------------------------------------------------------------------

// Each interface's poll in a function of its own, so a profile
// (`LOOPBACK_STACK`, callgrind's `--inclusive=yes`) shows the sender's and
// the receiver's work apart (B's one interface polls as the sender).

#[inline(never)]
fn rstcp_sender_poll(
    iface: &mut rstcp::iface::Interface,
    t: rstcp::time::Instant,
    dev: &mut End,
    sockets: &mut rstcp::socket::SocketSet,
) {
    // Distinct bodies, or the linker folds the two into one symbol.
    std::hint::black_box(0);
    iface.poll(t, dev, sockets);
}

#[inline(never)]
fn rstcp_receiver_poll(
    iface: &mut rstcp::iface::Interface,
    t: rstcp::time::Instant,
    dev: &mut End,
    sockets: &mut rstcp::socket::SocketSet,
) {
    // Distinct bodies, or the linker folds the two into one symbol.
    std::hint::black_box(1);
    iface.poll(t, dev, sockets);
}

#[inline(never)]
fn smoltcp_sender_poll<D: smoltcp::phy::Device>(
    iface: &mut smoltcp::iface::Interface,
    t: smoltcp::time::Instant,
    dev: &mut D,
    sockets: &mut smoltcp::iface::SocketSet,
) {
    // Distinct bodies, or the linker folds the two into one symbol.
    std::hint::black_box(2);
    iface.poll(t, dev, sockets);
}

#[inline(never)]
fn smoltcp_receiver_poll(
    iface: &mut smoltcp::iface::Interface,
    t: smoltcp::time::Instant,
    dev: &mut End,
    sockets: &mut smoltcp::iface::SocketSet,
) {
    // Distinct bodies, or the linker folds the two into one symbol.
    std::hint::black_box(3);
    iface.poll(t, dev, sockets);
}

/// The sender's side of the application: keep the send buffer full.
struct Sender {
    data: Vec<u8>,
    sent: usize,
}

impl Sender {
    /// The next bytes to offer (empty once `bytes` were sent).
    fn next(&self, bytes: usize) -> &[u8] {
        let from = self.sent % 251;
        let n = (bytes - self.sent).min(BUFFER);
        &self.data[from..from + n]
    }
}

fn rstcp_run(bytes: usize, case: Case) -> Run {
    use rstcp::iface::{Config, Interface, InterfaceStorage};
    use rstcp::socket::tcp::{HalfOpen, TcpListener, TcpSocket};
    use rstcp::socket::SocketSet;
    use rstcp::storage::RingBuffer;
    use rstcp::time::Instant;
    use rstcp::wire::{EthernetAddress, IpAddr, IpEndpoint, Ipv4Addr, Ipv4Cidr};

    let start = WallClock::now();
    let now = || Instant::from_micros(start.elapsed().as_micros() as i64);
    let host = |mac: [u8; 6], ip: [u8; 4]| {
        let mut config = Config::new(EthernetAddress(mac));
        config.ipv4_probe = false;
        config.dad_transmits = 0;
        config.random_seed = u64::from(mac[5]);
        let mut iface = Interface::new(config, InterfaceStorage::none(), now());
        let [a, b, c, d] = ip;
        iface
            .add_ipv4_address(Ipv4Cidr::new(Ipv4Addr::new(a, b, c, d), 24).unwrap(), now())
            .unwrap();
        (iface, SocketSet::new(vec![], vec![], u64::from(mac[5])))
    };
    let tcp = || {
        let mut s = TcpSocket::new(
            RingBuffer::new(vec![0u8; BUFFER]),
            RingBuffer::new(vec![0u8; BUFFER]),
        );
        s.set_nodelay(case == Case::NoNagle);
        s
    };
    let alone = case == Case::Own;
    let (mut dev_a, mut dev_b, wire) = ends(case, alone);
    let (mut iface_a, mut sockets_a) = host(MAC_A, IP_A);
    let (mut iface_b, mut sockets_b) = host(MAC_B, IP_B);
    // The server's interface: B, or A itself over a loopback.
    let (server_ip, server_sockets) = if alone {
        (IP_A, &mut sockets_a)
    } else {
        (IP_B, &mut sockets_b)
    };
    let listener = server_sockets
        .add(TcpListener::new(
            vec![None::<HalfOpen>; 1],
            vec![None; 1],
            vec![None; 1],
        ))
        .unwrap();
    server_sockets.listen(listener, PORT).unwrap();
    let pooled = server_sockets.add(tcp()).unwrap();
    server_sockets
        .get_mut::<TcpListener>(listener)
        .unwrap()
        .provide(pooled)
        .unwrap();
    let client = sockets_a.add(tcp()).unwrap();
    let [a, b, c, d] = server_ip;
    let remote = IpEndpoint::new(IpAddr::V4(Ipv4Addr::new(a, b, c, d)), PORT);
    iface_a
        .tcp_connect(now(), &mut sockets_a, client, remote, 0)
        .unwrap();

    let mut tx = Sender {
        data: block(),
        sent: 0,
    };
    let mut buf = vec![0u8; BUFFER];
    let mut received = 0usize;
    let mut server = None;
    let timed = WallClock::now();
    let mut rounds = 0u64;
    while received < bytes {
        rounds += 1;
        let s = sockets_a.get_mut::<TcpSocket>(client).unwrap();
        if tx.sent < bytes && s.can_send() {
            tx.sent += s.send_slice(tx.next(bytes)).unwrap_or(0);
        }
        let t = now();
        rstcp_sender_poll(&mut iface_a, t, &mut dev_a, &mut sockets_a);
        let server_sockets = if alone {
            &mut sockets_a
        } else {
            rstcp_receiver_poll(&mut iface_b, t, &mut dev_b, &mut sockets_b);
            &mut sockets_b
        };
        if server.is_none() {
            server = server_sockets
                .get_mut::<TcpListener>(listener)
                .unwrap()
                .accept();
        }
        if let Some(h) = server {
            let s = server_sockets.get_mut::<TcpSocket>(h).unwrap();
            while let Ok(n @ 1..) = s.recv_slice(&mut buf) {
                assert!(
                    check(&tx.data, received, &buf[..n]),
                    "rstcp: bytes out of order"
                );
                received += n;
            }
        }
    }
    let secs = timed.elapsed().as_secs_f64();
    let sent = wire.borrow().sent;
    Run { secs, sent, rounds }
}

fn smoltcp_run(bytes: usize, case: Case) -> Run {
    use smoltcp::iface::{Config, Interface, SocketSet};
    use smoltcp::phy::{Loopback, Medium};
    use smoltcp::socket::tcp;
    use smoltcp::time::Instant;
    use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr};

    let start = WallClock::now();
    let now = || Instant::from_micros(start.elapsed().as_micros() as i64);
    let (mut dev_a, mut dev_b, wire) = ends(case, false);
    let mut own = CountedLoopback {
        inner: Loopback::new(Medium::Ethernet),
        sent: [0; 2],
    };
    let alone = case == Case::Own;
    let host = |mac: [u8; 6], ip: [u8; 4], dev: &mut dyn FnMut(Config) -> Interface| {
        let mut config = Config::new(HardwareAddress::Ethernet(EthernetAddress(mac)));
        config.random_seed = u64::from(mac[5]);
        let mut iface = dev(config);
        let [a, b, c, d] = ip;
        iface.update_ip_addrs(|addrs| {
            addrs
                .push(IpCidr::new(IpAddress::v4(a, b, c, d), 24))
                .unwrap()
        });
        iface
    };
    let mut iface_a = if alone {
        host(MAC_A, IP_A, &mut |c| Interface::new(c, &mut own, now()))
    } else {
        host(MAC_A, IP_A, &mut |c| Interface::new(c, &mut dev_a, now()))
    };
    let mut iface_b = host(MAC_B, IP_B, &mut |c| Interface::new(c, &mut dev_b, now()));
    let tcp = || {
        let mut s = tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0u8; BUFFER]),
            tcp::SocketBuffer::new(vec![0u8; BUFFER]),
        );
        s.set_nagle_enabled(case != Case::NoNagle);
        s
    };
    let mut sockets_a = SocketSet::new(vec![]);
    let mut sockets_b = SocketSet::new(vec![]);
    let mut server = tcp();
    server.listen(PORT).unwrap();
    let (server_ip, server) = if alone {
        (IP_A, sockets_a.add(server))
    } else {
        (IP_B, sockets_b.add(server))
    };
    let client = sockets_a.add(tcp());
    let [a, b, c, d] = server_ip;
    sockets_a
        .get_mut::<tcp::Socket>(client)
        .connect(iface_a.context(), (IpAddress::v4(a, b, c, d), PORT), 49152)
        .unwrap();

    let mut tx = Sender {
        data: block(),
        sent: 0,
    };
    let mut buf = vec![0u8; BUFFER];
    let mut received = 0usize;
    let timed = WallClock::now();
    let mut rounds = 0u64;
    while received < bytes {
        rounds += 1;
        let s = sockets_a.get_mut::<tcp::Socket>(client);
        if tx.sent < bytes && s.can_send() {
            tx.sent += s.send_slice(tx.next(bytes)).unwrap_or(0);
        }
        let t = now();
        let server_sockets = if alone {
            smoltcp_sender_poll(&mut iface_a, t, &mut own, &mut sockets_a);
            &mut sockets_a
        } else {
            smoltcp_sender_poll(&mut iface_a, t, &mut dev_a, &mut sockets_a);
            smoltcp_receiver_poll(&mut iface_b, t, &mut dev_b, &mut sockets_b);
            &mut sockets_b
        };
        let s = server_sockets.get_mut::<tcp::Socket>(server);
        while let Ok(n @ 1..) = s.recv_slice(&mut buf) {
            assert!(
                check(&tx.data, received, &buf[..n]),
                "smoltcp: bytes out of order"
            );
            received += n;
        }
    }
    let secs = timed.elapsed().as_secs_f64();
    let sent = if alone { own.sent } else { wire.borrow().sent };
    Run { secs, sent, rounds }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn gbps(r: &Run, bytes: usize) -> f64 {
    bytes as f64 * 8.0 / r.secs / 1e9
}

/// One stack's line: rate, and what crossed the wire per round of the loop.
fn describe(r: &Run, bytes: usize) -> String {
    format!(
        "{:.3} s {:6.2} Gbit/s ({} data + {} short frames, {} rounds, {:.1} data/round, {:.1} data/short, {:.0} B/data frame)",
        r.secs,
        gbps(r, bytes),
        r.sent[0],
        r.sent[1],
        r.rounds,
        r.sent[0] as f64 / r.rounds as f64,
        r.sent[0] as f64 / r.sent[1].max(1) as f64,
        bytes as f64 / r.sent[0].max(1) as f64,
    )
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes
    // nothing and wants a quick run.
    let quick = !std::env::args().any(|a| a == "--bench");
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let mib = env("LOOPBACK_MIB", if quick { 4 } else { 1024 });
    let runs = env("RUNS", if quick { 1 } else { 5 }).max(1);
    let bytes = mib << 20;
    // `LOOPBACK_STACK=rstcp` (or `smoltcp`) runs one stack alone, for a
    // profiler: `valgrind --tool=callgrind` counts its instructions.
    let only = std::env::var("LOOPBACK_STACK").ok();
    if let Some(stack) = only {
        let case = match std::env::var("LOOPBACK_CASE").as_deref() {
            Ok("a") | Err(_) => Case::Equal,
            Ok("b") => Case::Own,
            Ok("c") => Case::Best,
            Ok("d") => Case::NoNagle,
            Ok(other) => panic!("LOOPBACK_CASE={other}: a, b, c or d"),
        };
        println!(
            "loopback: {mib} MiB over TCP, {stack} alone, {}, {runs} run(s)",
            case.label()
        );
        for i in 0..runs {
            let r = match stack.as_str() {
                "rstcp" => rstcp_run(bytes, case),
                "smoltcp" => smoltcp_run(bytes, case),
                other => panic!("LOOPBACK_STACK={other}: rstcp or smoltcp"),
            };
            println!("run {}: {stack} {}", i + 1, describe(&r, bytes));
        }
        return;
    }
    println!("loopback: {mib} MiB over TCP in memory, {runs} run(s) of each setting");
    let mut rates = [(); 4].map(|_| (Vec::new(), Vec::new()));
    for i in 0..runs {
        for (c, case) in Case::ALL.into_iter().enumerate() {
            // Which stack goes first alternates from run to run.
            let (a, b) = if i % 2 == 0 {
                let a = rstcp_run(bytes, case);
                (a, smoltcp_run(bytes, case))
            } else {
                let b = smoltcp_run(bytes, case);
                (rstcp_run(bytes, case), b)
            };
            println!("run {} {}: {:.2}x", i + 1, case.label(), b.secs / a.secs);
            println!("  rstcp   {}", describe(&a, bytes));
            println!("  smoltcp {}", describe(&b, bytes));
            rates[c].0.push(gbps(&a, bytes));
            rates[c].1.push(gbps(&b, bytes));
        }
    }
    println!();
    println!(
        "{:<32} {:>12} {:>12} {:>14}",
        format!("loopback {mib} MiB, median of {runs}"),
        "rstcp",
        "smoltcp",
        "rstcp/smoltcp"
    );
    for (case, (ours, theirs)) in Case::ALL.into_iter().zip(rates) {
        let (a, b) = (median(ours), median(theirs));
        println!(
            "{:<32} {:>7.2} Gb/s {:>7.2} Gb/s {:>13.2}x",
            case.label(),
            a,
            b,
            a / b
        );
    }
}
