//! A TCP bulk transfer between two interfaces joined by an in-memory
//! Ethernet wire, one thread, for rstcp and for smoltcp (the two-interface
//! form of smoltcp's `loopback` example), in the same run.
//!
//! Run with `cargo bench -p rstcp --features alloc --bench loopback`
//! (`LOOPBACK_MIB=1024` by default: 1 GiB each way it is measured; `RUNS`,
//! default 3, alternating the stacks). Both stacks get the same wire (one
//! `VecDeque` of recycled frame buffers each way, at most 64 frames), the
//! same MTU (1500), 64 KiB socket buffers each way, the wall clock as their
//! `now`, and the same application: keep the send buffer full from a
//! 64 KiB block, read all there is into a 64 KiB block, poll A then B.
//! Prints one line per run and the median ratio (above 1.0: rstcp faster).

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

// ---------------------------------------------------------------------------
// The wire: two queues of frames and a free list, shared by the two ends.

#[derive(Default)]
struct Wire {
    /// `queues[i]`: frames waiting for end `i`.
    queues: [VecDeque<Vec<u8>>; 2],
    free: Vec<Vec<u8>>,
    /// `sent[i]`: frames end `i` sent.
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
    side: usize,
}

struct RxTok {
    wire: Rc<RefCell<Wire>>,
    frame: Vec<u8>,
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
                to: 1 - self.side,
            },
        ))
    }

    fn tx(&mut self) -> Option<TxTok> {
        (self.wire.borrow().queues[1 - self.side].len() < WIRE_FRAMES).then(|| TxTok {
            wire: self.wire.clone(),
            to: 1 - self.side,
        })
    }
}

impl RxTok {
    fn take<R>(mut self, f: impl FnOnce(&mut [u8]) -> R) -> R {
        let r = f(&mut self.frame);
        self.wire.borrow_mut().free.push(self.frame);
        r
    }
}

impl TxTok {
    fn send<R>(self, len: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
        let mut buf = self.wire.borrow_mut().buffer();
        buf.resize(len, 0);
        let r = f(&mut buf);
        let mut w = self.wire.borrow_mut();
        w.sent[1 - self.to] += 1;
        // A reply token may overfill by one: the wire is a test harness.
        w.queues[self.to].push_back(buf);
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
        rstcp::phy::DeviceCapabilities::ethernet(1500)
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
        let mut caps = smoltcp::phy::DeviceCapabilities::default();
        caps.medium = smoltcp::phy::Medium::Ethernet;
        caps.max_transmission_unit = FRAME;
        caps
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

fn ends() -> (End, End, Rc<RefCell<Wire>>) {
    let wire = Rc::new(RefCell::new(Wire::default()));
    let a = End {
        wire: wire.clone(),
        side: 0,
    };
    let b = End {
        wire: wire.clone(),
        side: 1,
    };
    (a, b, wire)
}

/// What one transfer measured.
struct Run {
    secs: f64,
    /// Frames the sender (A) and the receiver (B) put on the wire.
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
// the receiver's work apart.

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
fn smoltcp_sender_poll(
    iface: &mut smoltcp::iface::Interface,
    t: smoltcp::time::Instant,
    dev: &mut End,
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

fn rstcp_run(bytes: usize) -> Run {
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
        TcpSocket::new(
            RingBuffer::new(vec![0u8; BUFFER]),
            RingBuffer::new(vec![0u8; BUFFER]),
        )
    };
    let (mut dev_a, mut dev_b, wire) = ends();
    let (mut iface_a, mut sockets_a) = host(MAC_A, IP_A);
    let (mut iface_b, mut sockets_b) = host(MAC_B, IP_B);
    let listener = sockets_b
        .add(TcpListener::new(
            vec![None::<HalfOpen>; 1],
            vec![None; 1],
            vec![None; 1],
        ))
        .unwrap();
    sockets_b.listen(listener, PORT).unwrap();
    let pooled = sockets_b.add(tcp()).unwrap();
    sockets_b
        .get_mut::<TcpListener>(listener)
        .unwrap()
        .provide(pooled)
        .unwrap();
    let client = sockets_a.add(tcp()).unwrap();
    let [a, b, c, d] = IP_B;
    let remote = IpEndpoint::new(IpAddr::V4(Ipv4Addr::new(a, b, c, d)), PORT);
    iface_a
        .tcp_connect(now(), &mut sockets_a, client, remote, 0)
        .unwrap();

    let data = block();
    let mut buf = vec![0u8; BUFFER];
    let (mut sent, mut received) = (0usize, 0usize);
    let mut server = None;
    let timed = WallClock::now();
    let mut rounds = 0u64;
    while received < bytes {
        rounds += 1;
        let s = sockets_a.get_mut::<TcpSocket>(client).unwrap();
        if sent < bytes && s.can_send() {
            let from = sent % 251;
            let n = (bytes - sent).min(BUFFER);
            sent += s.send_slice(&data[from..from + n]).unwrap_or(0);
        }
        let t = now();
        rstcp_sender_poll(&mut iface_a, t, &mut dev_a, &mut sockets_a);
        rstcp_receiver_poll(&mut iface_b, t, &mut dev_b, &mut sockets_b);
        if server.is_none() {
            server = sockets_b.get_mut::<TcpListener>(listener).unwrap().accept();
        }
        if let Some(h) = server {
            let s = sockets_b.get_mut::<TcpSocket>(h).unwrap();
            while let Ok(n @ 1..) = s.recv_slice(&mut buf) {
                assert!(
                    check(&data, received, &buf[..n]),
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

fn smoltcp_run(bytes: usize) -> Run {
    use smoltcp::iface::{Config, Interface, SocketSet};
    use smoltcp::socket::tcp;
    use smoltcp::time::Instant;
    use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr};

    let start = WallClock::now();
    let now = || Instant::from_micros(start.elapsed().as_micros() as i64);
    let (mut dev_a, mut dev_b, wire) = ends();
    let host = |mac: [u8; 6], ip: [u8; 4], dev: &mut End| {
        let mut config = Config::new(HardwareAddress::Ethernet(EthernetAddress(mac)));
        config.random_seed = u64::from(mac[5]);
        let mut iface = Interface::new(config, dev, now());
        let [a, b, c, d] = ip;
        iface.update_ip_addrs(|addrs| {
            addrs
                .push(IpCidr::new(IpAddress::v4(a, b, c, d), 24))
                .unwrap()
        });
        iface
    };
    let mut iface_a = host(MAC_A, IP_A, &mut dev_a);
    let mut iface_b = host(MAC_B, IP_B, &mut dev_b);
    let tcp = || {
        tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0u8; BUFFER]),
            tcp::SocketBuffer::new(vec![0u8; BUFFER]),
        )
    };
    let mut sockets_a = SocketSet::new(vec![]);
    let mut sockets_b = SocketSet::new(vec![]);
    let mut server = tcp();
    server.listen(PORT).unwrap();
    let server = sockets_b.add(server);
    let client = sockets_a.add(tcp());
    let [a, b, c, d] = IP_B;
    sockets_a
        .get_mut::<tcp::Socket>(client)
        .connect(iface_a.context(), (IpAddress::v4(a, b, c, d), PORT), 49152)
        .unwrap();

    let data = block();
    let mut buf = vec![0u8; BUFFER];
    let (mut sent, mut received) = (0usize, 0usize);
    let timed = WallClock::now();
    let mut rounds = 0u64;
    while received < bytes {
        rounds += 1;
        let s = sockets_a.get_mut::<tcp::Socket>(client);
        if sent < bytes && s.can_send() {
            let from = sent % 251;
            let n = (bytes - sent).min(BUFFER);
            sent += s.send_slice(&data[from..from + n]).unwrap_or(0);
        }
        let t = now();
        smoltcp_sender_poll(&mut iface_a, t, &mut dev_a, &mut sockets_a);
        smoltcp_receiver_poll(&mut iface_b, t, &mut dev_b, &mut sockets_b);
        let s = sockets_b.get_mut::<tcp::Socket>(server);
        while let Ok(n @ 1..) = s.recv_slice(&mut buf) {
            assert!(
                check(&data, received, &buf[..n]),
                "smoltcp: bytes out of order"
            );
            received += n;
        }
    }
    let secs = timed.elapsed().as_secs_f64();
    let sent = wire.borrow().sent;
    Run { secs, sent, rounds }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// One stack's line: rate, and what crossed the wire per round of the loop.
fn describe(r: &Run, bytes: usize) -> String {
    let gbps = bytes as f64 * 8.0 / r.secs / 1e9;
    format!(
        "{:.3} s {:.2} Gbit/s ({} data + {} ack frames, {} rounds, {:.1} data/round, {:.1} data/ack)",
        r.secs,
        gbps,
        r.sent[0],
        r.sent[1],
        r.rounds,
        r.sent[0] as f64 / r.rounds as f64,
        r.sent[0] as f64 / r.sent[1].max(1) as f64,
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
    let runs = env("RUNS", if quick { 1 } else { 3 }).max(1);
    let bytes = mib << 20;
    // `LOOPBACK_STACK=rstcp` (or `smoltcp`) runs one stack alone, for a
    // profiler: `valgrind --tool=callgrind` counts its instructions.
    let only = std::env::var("LOOPBACK_STACK").ok();
    if let Some(stack) = only {
        println!("loopback: {mib} MiB over TCP, {stack} alone, {runs} run(s)");
        for i in 0..runs {
            let r = match stack.as_str() {
                "rstcp" => rstcp_run(bytes),
                "smoltcp" => smoltcp_run(bytes),
                other => panic!("LOOPBACK_STACK={other}: rstcp or smoltcp"),
            };
            println!("run {}: {stack} {}", i + 1, describe(&r, bytes));
        }
        return;
    }
    println!("loopback: {mib} MiB over TCP between two interfaces in memory, {runs} run(s) each");
    let gbps = |r: &Run| bytes as f64 * 8.0 / r.secs / 1e9;
    let (mut ours, mut theirs) = (vec![], vec![]);
    for i in 0..runs {
        let a = rstcp_run(bytes);
        let b = smoltcp_run(bytes);
        println!("run {}: {:.2}x", i + 1, b.secs / a.secs);
        println!("  rstcp   {}", describe(&a, bytes));
        println!("  smoltcp {}", describe(&b, bytes));
        ours.push(gbps(&a));
        theirs.push(gbps(&b));
    }
    let (a, b) = (median(ours), median(theirs));
    println!();
    println!(
        "{:<24} {:>14} {:>14} {:>16}",
        "benchmark", "rstcp", "smoltcp", "rstcp/smoltcp"
    );
    println!(
        "{:<24} {:>9.2} Gb/s {:>9.2} Gb/s {:>15.2}x",
        format!("loopback_{mib}MiB"),
        a,
        b,
        a / b
    );
}
