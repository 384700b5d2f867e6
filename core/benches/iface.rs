//! Whole-interface receive-path benchmarks, each side by side with smoltcp
//! on the same frame bytes.
//!
//! Run with `cargo bench -p rstcp --features alloc --bench iface` (the
//! Loopback-free device below needs no `alloc`, but 10 000 sockets want `Vec`
//! storage). After criterion's own report a table prints each pair's mean
//! time and the ratio smoltcp / rstcp (above 1.0 means rstcp is faster).
//!
//! Each iteration hands one pre-built frame to `poll` through a device that
//! lends the same bytes every time (no copy) and writes whatever the stack
//! transmits into one fixed buffer, so the time is the stack's alone.

use criterion::{black_box, Criterion};
use std::alloc::{GlobalAlloc, Layout, System};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts allocations, to check (outside criterion) that a warmed-up poll
/// allocates nothing in either stack.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// The interface under test (both stacks get the same addresses).
const OUR_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
const OUR_IP: [u8; 4] = [192, 168, 69, 1];
/// The host the frames come from.
const PEER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];
const PEER_IP: [u8; 4] = [192, 168, 69, 2];
/// First bound UDP port; N sockets take FIRST_PORT..FIRST_PORT + N.
const FIRST_PORT: u16 = 10_000;
/// Per-socket buffers, the same for both stacks: packets and bytes each way.
const SOCKET_PACKETS: usize = 4;
const SOCKET_BYTES: usize = 512;

// ---------------------------------------------------------------------------
// Frames, built by hand with valid checksums.

fn checksum(parts: &[&[u8]]) -> u16 {
    use rstcp::wire::checksum::{combine, finish, sum};
    let sums: Vec<u16> = parts.iter().map(|p| sum(p)).collect();
    finish(combine(&sums))
}

/// Ethernet (peer → us) + IPv4 (peer → us, no options) around `l4`.
fn ipv4_frame(protocol: u8, l4: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(14 + 20 + l4.len());
    f.extend_from_slice(&OUR_MAC);
    f.extend_from_slice(&PEER_MAC);
    f.extend_from_slice(&0x0800u16.to_be_bytes());
    let total = (20 + l4.len()) as u16;
    let mut ip = [0u8; 20];
    ip[0] = 0x45;
    ip[2..4].copy_from_slice(&total.to_be_bytes());
    ip[4..6].copy_from_slice(&0x1234u16.to_be_bytes());
    ip[6] = 0x40; // DF
    ip[8] = 64;
    ip[9] = protocol;
    ip[12..16].copy_from_slice(&PEER_IP);
    ip[16..20].copy_from_slice(&OUR_IP);
    let c = checksum(&[&ip]);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    f.extend_from_slice(&ip);
    f.extend_from_slice(l4);
    f
}

/// A UDP datagram with a 64-byte payload from port 5353 to `dst_port`.
fn udp_frame(dst_port: u16) -> Vec<u8> {
    let payload: Vec<u8> = (0..64u8).collect();
    let len = (8 + payload.len()) as u16;
    let mut u = Vec::with_capacity(len as usize);
    u.extend_from_slice(&5353u16.to_be_bytes());
    u.extend_from_slice(&dst_port.to_be_bytes());
    u.extend_from_slice(&len.to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(&payload);
    let mut pseudo = [0u8; 12];
    pseudo[0..4].copy_from_slice(&PEER_IP);
    pseudo[4..8].copy_from_slice(&OUR_IP);
    pseudo[9] = 17;
    pseudo[10..12].copy_from_slice(&len.to_be_bytes());
    let c = match checksum(&[&pseudo, &u]) {
        0 => 0xffff,
        c => c,
    };
    u[6..8].copy_from_slice(&c.to_be_bytes());
    ipv4_frame(17, &u)
}

/// An ICMP echo request with 56 data bytes (what `ping` sends).
fn echo_request_frame() -> Vec<u8> {
    let mut m = vec![8, 0, 0, 0, 0x12, 0x34, 0x00, 0x01];
    m.extend((0..56u8).map(|i| i.wrapping_mul(7)));
    let c = checksum(&[&m]);
    m[2..4].copy_from_slice(&c.to_be_bytes());
    ipv4_frame(1, &m)
}

/// An ARP request from the peer for our address: both stacks learn the
/// peer's MAC from it, so nothing they send later needs resolution.
fn arp_request_frame() -> Vec<u8> {
    let mut f = Vec::with_capacity(42);
    f.extend_from_slice(&[0xff; 6]);
    f.extend_from_slice(&PEER_MAC);
    f.extend_from_slice(&0x0806u16.to_be_bytes());
    f.extend_from_slice(&[0, 1, 0x08, 0, 6, 4, 0, 1]);
    f.extend_from_slice(&PEER_MAC);
    f.extend_from_slice(&PEER_IP);
    f.extend_from_slice(&[0; 6]);
    f.extend_from_slice(&OUR_IP);
    f
}

// ---------------------------------------------------------------------------
// One device for both stacks: it lends a fixed frame (once per `arm`) and
// writes every transmit into one fixed buffer, counting frames by EtherType.

struct FixedDevice {
    frame: Vec<u8>,
    armed: bool,
    tx: Vec<u8>,
    tx_len: usize,
    tx_ipv4: usize,
    tx_arp: usize,
}

impl FixedDevice {
    fn new(frame: Vec<u8>) -> FixedDevice {
        FixedDevice {
            frame,
            armed: false,
            tx: vec![0; 1514],
            tx_len: 0,
            tx_ipv4: 0,
            tx_arp: 0,
        }
    }

    /// The next poll receives the frame (once).
    fn arm(&mut self) {
        self.armed = true;
    }

    fn last_tx(&self) -> &[u8] {
        &self.tx[..self.tx_len]
    }

    fn rx(&mut self) -> Option<(Rx<'_>, Tx<'_>)> {
        if !std::mem::take(&mut self.armed) {
            return None;
        }
        let tx = Tx {
            buf: &mut self.tx,
            len: &mut self.tx_len,
            ipv4: &mut self.tx_ipv4,
            arp: &mut self.tx_arp,
        };
        Some((Rx(&mut self.frame), tx))
    }

    fn tx(&mut self) -> Tx<'_> {
        Tx {
            buf: &mut self.tx,
            len: &mut self.tx_len,
            ipv4: &mut self.tx_ipv4,
            arp: &mut self.tx_arp,
        }
    }
}

struct Rx<'a>(&'a mut [u8]);

struct Tx<'a> {
    buf: &'a mut [u8],
    len: &'a mut usize,
    ipv4: &'a mut usize,
    arp: &'a mut usize,
}

impl Tx<'_> {
    fn send<R>(self, len: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
        let r = f(&mut self.buf[..len]);
        *self.len = len;
        match (self.buf.get(12), self.buf.get(13)) {
            (Some(8), Some(0)) => *self.ipv4 += 1,
            (Some(8), Some(6)) => *self.arp += 1,
            _ => {}
        }
        r
    }
}

impl rstcp::phy::Device for FixedDevice {
    type RxToken<'a> = Rx<'a>;
    type TxToken<'a> = Tx<'a>;

    fn receive(&mut self, _now: rstcp::time::Instant) -> Option<(Rx<'_>, Tx<'_>)> {
        self.rx()
    }

    fn transmit(&mut self, _now: rstcp::time::Instant) -> Option<Tx<'_>> {
        Some(self.tx())
    }

    fn capabilities(&self) -> rstcp::phy::DeviceCapabilities {
        rstcp::phy::DeviceCapabilities::ethernet(1500)
    }
}

impl rstcp::phy::RxToken for Rx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, f: F) -> R {
        f(self.0)
    }
}

impl rstcp::phy::TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        self.send(len, f)
    }
}

impl smoltcp::phy::Device for FixedDevice {
    type RxToken<'a> = Rx<'a>;
    type TxToken<'a> = Tx<'a>;

    fn receive(&mut self, _now: smoltcp::time::Instant) -> Option<(Rx<'_>, Tx<'_>)> {
        self.rx()
    }

    fn transmit(&mut self, _now: smoltcp::time::Instant) -> Option<Tx<'_>> {
        Some(self.tx())
    }

    fn capabilities(&self) -> smoltcp::phy::DeviceCapabilities {
        // Software checksums both ways (the default), as for rstcp; smoltcp's
        // MTU counts the Ethernet header.
        let mut caps = smoltcp::phy::DeviceCapabilities::default();
        caps.medium = smoltcp::phy::Medium::Ethernet;
        caps.max_transmission_unit = 1514;
        caps
    }
}

impl smoltcp::phy::RxToken for Rx<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(self.0)
    }
}

impl smoltcp::phy::TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        self.send(len, f)
    }
}

// ---------------------------------------------------------------------------
// The two stacks, set up the same way: one IPv4 address, N UDP sockets,
// the peer's MAC learnt from one ARP request, fixed time.

mod ours {
    use super::*;
    use rstcp::iface::{Config, Interface, InterfaceStorage};
    use rstcp::socket::udp::{UdpMetadata, UdpSocket};
    use rstcp::socket::{SocketHandle, SocketSet};
    use rstcp::storage::{PacketBuffer, PacketMetadata};
    use rstcp::time::Instant;
    use rstcp::wire::{EthernetAddress, Ipv4Addr, Ipv4Cidr};

    pub const NOW: Instant = Instant::from_secs(1);

    pub struct Stack {
        pub iface: Interface<'static>,
        pub sockets: SocketSet<'static>,
    }

    impl Stack {
        /// `ports`: one UDP socket bound to each.
        pub fn new(ports: std::ops::Range<u16>, dev: &mut FixedDevice) -> Stack {
            let mut config = Config::new(EthernetAddress(OUR_MAC));
            config.ipv4_probe = false;
            config.random_seed = 0x5eed;
            let mut iface = Interface::new(config, InterfaceStorage::none(), Instant::ZERO);
            let [a, b, c, d] = OUR_IP;
            iface
                .add_ipv4_address(
                    Ipv4Cidr::new(Ipv4Addr::new(a, b, c, d), 24).unwrap(),
                    Instant::ZERO,
                )
                .unwrap();
            let mut sockets = SocketSet::new(vec![], vec![], 0x5eed);
            let buf = || {
                PacketBuffer::new(
                    vec![PacketMetadata::<UdpMetadata>::EMPTY; SOCKET_PACKETS],
                    vec![0u8; SOCKET_BYTES],
                )
            };
            for port in ports {
                let h = sockets.add(UdpSocket::new(buf(), buf())).unwrap();
                sockets.bind_udp(h, port).unwrap();
            }
            let mut stack = Stack { iface, sockets };
            let frame = std::mem::replace(&mut dev.frame, arp_request_frame());
            dev.arm();
            stack.poll(dev);
            dev.frame = frame;
            stack
        }

        pub fn poll(&mut self, dev: &mut FixedDevice) -> bool {
            self.iface.poll(NOW, dev, &mut self.sockets)
        }

        /// The handle of the socket bound to `port` (handles follow ports).
        pub fn handle(&self, port: u16) -> SocketHandle {
            self.sockets
                .iter()
                .find(|(_, s)| match s {
                    rstcp::socket::Socket::Udp(u) => u.endpoint().port == port,
                    _ => false,
                })
                .map(|(h, _)| h)
                .unwrap()
        }

        /// Receives one datagram on `h`: its length, or 0 when none came.
        pub fn recv(&mut self, h: SocketHandle) -> usize {
            let s = self.sockets.get_mut::<UdpSocket>(h).unwrap();
            s.recv().map_or(0, |(d, _)| d.len())
        }
    }
}

mod theirs {
    use super::*;
    use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
    use smoltcp::socket::udp;
    use smoltcp::time::Instant;
    use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr};

    pub const NOW: Instant = Instant::from_micros_const(1_000_000);

    pub struct Stack {
        pub iface: Interface,
        pub sockets: SocketSet<'static>,
        handles: Vec<(u16, SocketHandle)>,
    }

    impl Stack {
        pub fn new(ports: std::ops::Range<u16>, dev: &mut FixedDevice) -> Stack {
            let mut config = Config::new(HardwareAddress::Ethernet(EthernetAddress(OUR_MAC)));
            config.random_seed = 0x5eed;
            let mut iface = Interface::new(config, dev, Instant::ZERO);
            let [a, b, c, d] = OUR_IP;
            iface.update_ip_addrs(|addrs| {
                addrs
                    .push(IpCidr::new(IpAddress::v4(a, b, c, d), 24))
                    .unwrap()
            });
            let mut sockets = SocketSet::new(vec![]);
            let buf = || {
                udp::PacketBuffer::new(
                    vec![udp::PacketMetadata::EMPTY; SOCKET_PACKETS],
                    vec![0u8; SOCKET_BYTES],
                )
            };
            let mut handles = Vec::new();
            for port in ports {
                let mut s = udp::Socket::new(buf(), buf());
                s.bind(port).unwrap();
                handles.push((port, sockets.add(s)));
            }
            let mut stack = Stack {
                iface,
                sockets,
                handles,
            };
            let frame = std::mem::replace(&mut dev.frame, arp_request_frame());
            dev.arm();
            stack.poll(dev);
            dev.frame = frame;
            stack
        }

        pub fn poll(&mut self, dev: &mut FixedDevice) -> bool {
            self.iface.poll(NOW, dev, &mut self.sockets) != smoltcp::iface::PollResult::None
        }

        pub fn handle(&self, port: u16) -> SocketHandle {
            self.handles.iter().find(|(p, _)| *p == port).unwrap().1
        }

        pub fn recv(&mut self, h: SocketHandle) -> usize {
            let s = self.sockets.get_mut::<udp::Socket>(h);
            s.recv().map_or(0, |(d, _)| d.len())
        }
    }
}

// ---------------------------------------------------------------------------
// The benchmarks.

/// Allocations made by `f` run `n` times.
fn allocations(n: usize, mut f: impl FnMut()) -> usize {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..n {
        f();
    }
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

/// `RSTCP_PROFILE=<group>:<stack>` (stack `rstcp` or `smoltcp`) runs that
/// one step 100 000 times with no criterion around it, for
/// `valgrind --tool=callgrind`, whose instruction counts stay stable on a
/// loaded machine where wall-clock time does not; every other group is
/// skipped. Returns true when criterion must not run this group.
#[inline(never)]
fn profiled<'s>(group: &str, a: &'s mut dyn FnMut(), b: &'s mut dyn FnMut()) -> bool {
    let Ok(want) = std::env::var("RSTCP_PROFILE") else {
        return false;
    };
    let (g, stack) = want.split_once(':').unwrap_or((&want, "rstcp"));
    if g != group {
        // Another group's turn: skip this one entirely.
        return true;
    }
    let step = if stack == "smoltcp" { b } else { a };
    for _ in 0..100_000 {
        step();
    }
    true
}

/// One UDP datagram to the middle one of `n` bound sockets, received.
/// Returns the allocations each stack made in 1000 warmed-up iterations.
fn udp_rx(c: &mut Criterion, n: u16) -> (usize, usize) {
    let ports = FIRST_PORT..FIRST_PORT + n;
    let target = FIRST_PORT + n / 2;
    let frame = udp_frame(target);

    let mut dev_a = FixedDevice::new(frame.clone());
    let mut a = ours::Stack::new(ports.clone(), &mut dev_a);
    let ha = a.handle(target);
    let mut dev_b = FixedDevice::new(frame.clone());
    let mut b = theirs::Stack::new(ports, &mut dev_b);
    let hb = b.handle(target);

    // Delivered, once, to the right socket; nothing sent; the frame intact.
    for (name, dev) in [("rstcp", &mut dev_a), ("smoltcp", &mut dev_b)] {
        assert_eq!(dev.tx_arp, 1, "{name}: one ARP reply to the warm-up");
        dev.arm();
    }
    assert!(a.poll(&mut dev_a));
    assert_eq!(a.recv(ha), 64, "rstcp must deliver the datagram");
    assert_eq!(a.recv(ha), 0, "rstcp must deliver it once");
    assert!(b.poll(&mut dev_b));
    assert_eq!(b.recv(hb), 64, "smoltcp must deliver the datagram");
    assert_eq!(b.recv(hb), 0, "smoltcp must deliver it once");
    for dev in [&dev_a, &dev_b] {
        assert_eq!(
            (dev.tx_arp, dev.tx_ipv4),
            (1, 0),
            "nothing sent but the warm-up's ARP reply"
        );
        assert_eq!(dev.frame, frame);
    }

    let mut step_a = || {
        dev_a.arm();
        a.poll(&mut dev_a);
        black_box(a.recv(ha))
    };
    let mut step_b = || {
        dev_b.arm();
        b.poll(&mut dev_b);
        black_box(b.recv(hb))
    };
    let allocs = (
        allocations(1000, || {
            step_a();
        }),
        allocations(1000, || {
            step_b();
        }),
    );

    if profiled(
        &format!("udp_rx_{n}_sockets"),
        &mut || {
            step_a();
        },
        &mut || {
            step_b();
        },
    ) {
        return allocs;
    }
    let mut g = c.benchmark_group(format!("udp_rx_{n}_sockets"));
    g.bench_function("rstcp", |bn| bn.iter(&mut step_a));
    g.bench_function("smoltcp", |bn| bn.iter(&mut step_b));
    g.finish();
    for dev in [&dev_a, &dev_b] {
        assert_eq!(
            (dev.tx_arp, dev.tx_ipv4),
            (1, 0),
            "nothing sent while timed"
        );
    }
    allocs
}

/// A poll with nothing received among `n` bound sockets: what `poll` costs
/// before any frame, i.e. the per-poll walk over the sockets for data to send
/// (both stacks do it). Subtracted from `udp_rx`, it leaves the receive path.
fn poll_idle(c: &mut Criterion, n: u16) -> (usize, usize) {
    let ports = FIRST_PORT..FIRST_PORT + n;
    let mut dev_a = FixedDevice::new(udp_frame(FIRST_PORT));
    let mut a = ours::Stack::new(ports.clone(), &mut dev_a);
    let mut dev_b = FixedDevice::new(udp_frame(FIRST_PORT));
    let mut b = theirs::Stack::new(ports, &mut dev_b);
    assert!(!a.poll(&mut dev_a) && !b.poll(&mut dev_b), "idle");

    let mut step_a = || black_box(a.poll(&mut dev_a));
    let mut step_b = || black_box(b.poll(&mut dev_b));
    let allocs = (
        allocations(1000, || {
            step_a();
        }),
        allocations(1000, || {
            step_b();
        }),
    );
    if profiled(
        &format!("poll_idle_{n}_sockets"),
        &mut || {
            step_a();
        },
        &mut || {
            step_b();
        },
    ) {
        return allocs;
    }
    let mut g = c.benchmark_group(format!("poll_idle_{n}_sockets"));
    g.bench_function("rstcp", |bn| bn.iter(&mut step_a));
    g.bench_function("smoltcp", |bn| bn.iter(&mut step_b));
    g.finish();
    allocs
}

/// The ICMP part of an echo reply: type, code, checksum, ident, seq, data.
fn echo_reply_of(tx: &[u8]) -> Option<&[u8]> {
    let ok = tx.len() > 34
        && tx[0..6] == PEER_MAC
        && tx[6..12] == OUR_MAC
        && tx[12..14] == [8, 0]
        && tx[23] == 1
        && tx[26..30] == OUR_IP
        && tx[30..34] == PEER_IP
        && tx[34] == 0;
    ok.then(|| &tx[34..])
}

/// An echo request in, the reply written into the device's transmit buffer.
fn icmp_echo_rx_tx(c: &mut Criterion) -> (usize, usize) {
    let frame = echo_request_frame();
    let mut dev_a = FixedDevice::new(frame.clone());
    let mut a = ours::Stack::new(0..0, &mut dev_a);
    let mut dev_b = FixedDevice::new(frame.clone());
    let mut b = theirs::Stack::new(0..0, &mut dev_b);

    dev_a.arm();
    a.poll(&mut dev_a);
    dev_b.arm();
    b.poll(&mut dev_b);
    let mut expected = frame[34..].to_vec();
    expected[0] = 0;
    let sum = rstcp::wire::checksum::finish(rstcp::wire::checksum::sum(&{
        let mut z = expected.clone();
        z[2..4].copy_from_slice(&[0, 0]);
        z
    }));
    expected[2..4].copy_from_slice(&sum.to_be_bytes());
    for (name, dev) in [("rstcp", &dev_a), ("smoltcp", &dev_b)] {
        assert_eq!(
            (dev.tx_arp, dev.tx_ipv4),
            (1, 1),
            "{name}: the warm-up's ARP reply, then one echo reply"
        );
        assert_eq!(
            echo_reply_of(dev.last_tx()),
            Some(&expected[..]),
            "{name}: the echo reply"
        );
    }

    let mut step_a = || {
        dev_a.arm();
        black_box(a.poll(&mut dev_a))
    };
    let mut step_b = || {
        dev_b.arm();
        black_box(b.poll(&mut dev_b))
    };
    let allocs = (
        allocations(1000, || {
            step_a();
        }),
        allocations(1000, || {
            step_b();
        }),
    );

    if profiled(
        "icmp_echo_rx_tx",
        &mut || {
            step_a();
        },
        &mut || {
            step_b();
        },
    ) {
        return allocs;
    }
    let mut g = c.benchmark_group("icmp_echo_rx_tx");
    g.bench_function("rstcp", |bn| bn.iter(&mut step_a));
    g.bench_function("smoltcp", |bn| bn.iter(&mut step_b));
    g.finish();
    for (name, dev) in [("rstcp", &dev_a), ("smoltcp", &dev_b)] {
        assert_eq!(dev.tx_arp, 1, "{name}: no ARP while timed");
        assert!(dev.tx_ipv4 > 1000, "{name}: a reply per request");
        assert_eq!(echo_reply_of(dev.last_tx()), Some(&expected[..]));
    }
    allocs
}

// ---------------------------------------------------------------------------
// The table.

/// Reads criterion's mean point estimate (ns) for one benchmark.
fn mean_ns(group: &str, name: &str) -> Option<f64> {
    let dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let path = dir
        .join("criterion")
        .join(group)
        .join(name)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let mean = &text[text.find("\"mean\"")?..];
    let pe = &mean[mean.find("\"point_estimate\":")? + "\"point_estimate\":".len()..];
    let end = pe.find([',', '}'])?;
    pe[..end].trim().parse().ok()
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let runs = [
        ("udp_rx_10_sockets", udp_rx(&mut c, 10)),
        ("udp_rx_10000_sockets", udp_rx(&mut c, 10_000)),
        ("icmp_echo_rx_tx", icmp_echo_rx_tx(&mut c)),
        ("poll_idle_10_sockets", poll_idle(&mut c, 10)),
        ("poll_idle_10000_sockets", poll_idle(&mut c, 10_000)),
    ];
    c.final_summary();

    println!();
    println!(
        "{:<24} {:>12} {:>12} {:>14}   allocations/1000 polls (rstcp, smoltcp)",
        "benchmark", "rstcp", "smoltcp", "smoltcp/rstcp"
    );
    for (g, (alloc_a, alloc_b)) in runs {
        match (mean_ns(g, "rstcp"), mean_ns(g, "smoltcp")) {
            (Some(a), Some(b)) => println!(
                "{g:<24} {a:>10.1}ns {b:>10.1}ns {:>13.2}x   {alloc_a}, {alloc_b}",
                b / a
            ),
            _ => println!("{g:<24} (no estimate: run without a filter)"),
        }
    }
    println!(
        "socket slot size: rstcp {} B, smoltcp {} B",
        std::mem::size_of::<rstcp::socket::SocketStorage>(),
        std::mem::size_of::<smoltcp::iface::SocketStorage>()
    );
}
