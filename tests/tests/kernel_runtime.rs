//! The std runtime against the Linux kernel over a TAP, the kernel in a
//! network namespace of its own: `rstcp::runtime` sockets on one side,
//! `std::net` sockets of the kernel on the other.
//!
//! Needs root, /dev/net/tun and `ip` (iproute2); without them each test says
//! why and passes, except under CI=true. The DHCP test also needs `dnsmasq`
//! (Debian: dnsmasq-base).

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr};
use std::thread;
use std::time::Duration;

use rstcp::runtime::{ping, Stack, StackConfig, TcpListener, TcpStream, UdpSocket};
use rstcp::wire::{Ipv4Cidr, Ipv6Cidr};
use rstcp_tests::bulk::{hash, Pattern};
use rstcp_tests::dnsmasq;
use rstcp_tests::netns::{
    require_root, KernelTap, NetNs, KERNEL_V4, KERNEL_V6, STACK_V4, STACK_V6,
};
use rstcp_tests::sim::MAC_A;

/// The runtime over a TAP whose other side is the kernel in `ns`. Fields
/// drop in order: the stack stops (closing the TAP) before the namespace
/// goes.
struct Rig {
    stack: Stack,
    /// The TAP's interface name in the namespace.
    tap: String,
    ns: NetNs,
}

fn config() -> StackConfig {
    let mut c = StackConfig::new(MAC_A);
    c.ipv4 = vec![Ipv4Cidr::new(STACK_V4, 24).unwrap()];
    c.ipv6 = vec![Ipv6Cidr::new(STACK_V6, 64).unwrap()];
    // The namespace holds only the kernel's address: skip 5 s of probes,
    // and DAD's second or two (RFC 4862 §5.4: tests that use the stack
    // at once do not call `wait_configured`; kernel_autoconf.rs tests DAD).
    c.ipv4_probe = false;
    c.dad_transmits = 0;
    c
}

impl Rig {
    fn new(config: StackConfig) -> Rig {
        Rig::with_offload(config, false)
    }

    /// [`new`](Self::new), the TAP with the kernel's offloads when
    /// `offload` (virtio-net header on every frame, super-frames both ways).
    fn with_offload(config: StackConfig, offload: bool) -> Rig {
        let ns = NetNs::new("rstcp-rt-").expect("namespace");
        let tap = KernelTap::with_offload(&ns, offload).expect("TAP in the namespace");
        let stack = Stack::start(tap.device, config).expect("start the stack");
        Rig {
            stack,
            tap: tap.name,
            ns,
        }
    }
}

/// Deterministic bytes that are not a short repeating pattern (a shifted
/// or dropped segment changes the hash).
fn data(len: usize) -> Vec<u8> {
    Pattern::bytes(0x0123_4567_89ab_cdef, len)
}

/// Writes `sent` on one thread while reading everything back on this one.
fn round_trip(stream: &TcpStream, sent: &[u8]) -> Vec<u8> {
    thread::scope(|scope| {
        scope.spawn(|| {
            let mut w = stream;
            w.write_all(sent).unwrap();
            stream.shutdown(Shutdown::Write).unwrap();
        });
        let mut got = Vec::new();
        let mut r = stream;
        r.read_to_end(&mut got).unwrap();
        got
    })
}

/// A kernel TCP echo server on `addr` in the namespace, for one connection.
fn kernel_echo_server(rig: &Rig, addr: SocketAddr) -> thread::JoinHandle<()> {
    let listener = rig
        .ns
        .run(move || std::net::TcpListener::bind(addr).unwrap());
    thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        echo(s);
    })
}

/// Writes back what `s` reads until the peer closes its side.
fn echo(mut s: impl Read + Write) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = s.read(&mut buf).unwrap();
        if n == 0 {
            return;
        }
        s.write_all(&buf[..n]).unwrap();
    }
}

#[test]
fn runtime_client_echoes_a_megabyte_through_a_kernel_server_v4_and_v6() {
    if !require_root() {
        return;
    }
    let rig = Rig::new(config());
    for (port, kernel) in [(5000, IpAddr::V4(KERNEL_V4)), (5001, IpAddr::V6(KERNEL_V6))] {
        let addr = SocketAddr::new(kernel, port);
        let server = kernel_echo_server(&rig, addr);
        let stream = TcpStream::connect(&rig.stack, addr).unwrap();
        let sent = data(1 << 20);
        let got = round_trip(&stream, &sent);
        assert_eq!(got.len(), sent.len(), "{addr}");
        assert_eq!(hash(&got), hash(&sent), "{addr}");
        server.join().unwrap();
    }
}

#[test]
fn kernel_client_echoes_a_megabyte_through_a_runtime_server() {
    if require_root() {
        kernel_client_echoes_through_a_runtime_server(false, 1 << 20);
    }
}

/// With the TAP's offloads the kernel hands the runtime super-frames,
/// virtio-net header first, read straight into the runtime's batch
/// (`FrameIo`), and takes TSO super-frames back: every byte still arrives.
#[test]
fn kernel_client_echoes_through_a_runtime_server_with_offloads() {
    if require_root() {
        kernel_client_echoes_through_a_runtime_server(true, 8 << 20);
    }
}

/// The kernel connects to a runtime echo server over a TAP (`offload` as
/// for [`Rig::with_offload`]) and gets `len` bytes back intact.
fn kernel_client_echoes_through_a_runtime_server(offload: bool, len: usize) {
    let rig = Rig::with_offload(config(), offload);
    let listener = TcpListener::bind(&rig.stack, 7, 4).unwrap();
    let server = thread::spawn(move || {
        let (s, peer) = listener.accept().unwrap();
        assert_eq!(peer.ip(), IpAddr::V4(KERNEL_V4));
        echo(s);
    });
    let sent = data(len);
    let expect = hash(&sent);
    let got = rig.ns.run(move || {
        let s = std::net::TcpStream::connect((STACK_V4, 7)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        thread::scope(|scope| {
            scope.spawn(|| {
                (&s).write_all(&sent).unwrap();
                s.shutdown(Shutdown::Write).unwrap();
            });
            let mut got = Vec::new();
            (&s).read_to_end(&mut got).unwrap();
            got
        })
    });
    assert_eq!(got.len(), len, "offload {offload}");
    assert_eq!(hash(&got), expect, "offload {offload}");
    server.join().unwrap();
}

#[test]
fn a_closed_kernel_port_is_refused() {
    if !require_root() {
        return;
    }
    let rig = Rig::new(config());
    let err = TcpStream::connect(&rig.stack, (IpAddr::V4(KERNEL_V4), 9)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
}

#[test]
fn runtime_pings_the_kernel_v4_and_v6() {
    if !require_root() {
        return;
    }
    let rig = Rig::new(config());
    let t = Duration::from_secs(5);
    ping(&rig.stack, IpAddr::V4(KERNEL_V4), 56, t).unwrap();
    ping(&rig.stack, IpAddr::V6(KERNEL_V6), 56, t).unwrap();
    ping(&rig.stack, IpAddr::V4(KERNEL_V4), 3000, t).unwrap();
}

#[test]
fn udp_round_trip_with_a_kernel_echo() {
    if !require_root() {
        return;
    }
    let rig = Rig::new(config());
    let kernel = rig
        .ns
        .run(|| std::net::UdpSocket::bind((KERNEL_V4, 5353)).unwrap());
    let echo = thread::spawn(move || {
        let mut buf = [0u8; 2048];
        let (n, from) = kernel.recv_from(&mut buf).unwrap();
        kernel.send_to(&buf[..n], from).unwrap();
        from
    });
    let s = UdpSocket::bind(&rig.stack, 0).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.send_to(b"over the tap", (IpAddr::V4(KERNEL_V4), 5353))
        .unwrap();
    let mut buf = [0u8; 64];
    let (n, from) = s.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"over the tap");
    assert_eq!(from, SocketAddr::new(IpAddr::V4(KERNEL_V4), 5353));
    let seen = echo.join().unwrap();
    // The kernel saw our address and the port we were given.
    let port = s.local_addr().unwrap().port();
    assert_eq!(seen, SocketAddr::new(IpAddr::V4(STACK_V4), port));
}

#[test]
fn stopping_the_stack_ends_the_kernels_connection() {
    if !require_root() {
        return;
    }
    let rig = Rig::new(config());
    let listener = TcpListener::bind(&rig.stack, 7, 1).unwrap();
    let kernel = rig
        .ns
        .run(|| std::net::TcpStream::connect((STACK_V4, 7)).unwrap());
    let (_ours, _) = listener.accept().unwrap();
    kernel
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    rig.stack.stop().unwrap();
    // Our FIN (or, after the grace period, our reset) ends the kernel's read.
    let mut buf = [0u8; 4];
    match (&kernel).read(&mut buf) {
        Ok(0) => {}
        Ok(n) => panic!("{n} unexpected bytes"),
        Err(e) => assert_eq!(e.kind(), ErrorKind::ConnectionReset, "{e}"),
    }
}

/// True when `dnsmasq` runs; otherwise says why the test is skipped (and
/// fails under CI=true).
fn require_dnsmasq() -> bool {
    let ok = std::process::Command::new("dnsmasq")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return true;
    }
    let why = "no dnsmasq (apt-get install dnsmasq-base)";
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("kernel test cannot run under CI=true: {why}");
    }
    eprintln!("skipped: {why}");
    false
}

#[test]
fn dhcp_from_dnsmasq_configures_the_runtime() {
    if !require_root() || !require_dnsmasq() {
        return;
    }
    let mut c = config();
    c.ipv4.clear();
    let rig = Rig::new(c);
    let leases = std::env::temp_dir().join(format!("rstcp-rt-{}.leases", std::process::id()));
    let leases_arg = format!("--dhcp-leasefile={}", leases.display());
    let dhcp = [
        "--port=0",
        "--dhcp-range=192.168.69.50,192.168.69.60,255.255.255.0,1h",
        "--dhcp-option=option:router,192.168.69.100",
        "--dhcp-option=option:dns-server,192.168.69.100",
        &leases_arg,
    ];
    let _dnsmasq = dnsmasq::spawn(&rig.ns, &rig.tap, &dhcp).expect("start dnsmasq");
    // DORA, then the client's RFC 5227 probe of the address (seconds).
    rig.stack.wait_configured(Duration::from_secs(30)).unwrap();
    let lease = rig.stack.dhcp_lease().expect("a lease");
    let addr = lease.address.address();
    assert!(
        (50..=60).contains(&addr.octets()[3]) && lease.address.prefix_len() == 24,
        "{lease:?}"
    );
    assert_eq!(lease.router, Some(KERNEL_V4));
    assert_eq!(&lease.dns_servers[..], &[KERNEL_V4]);
    assert!(rig
        .stack
        .addresses()
        .iter()
        .any(|a| a.cidr == rstcp::wire::IpCidr::V4(lease.address)));
    // The leased address works: the kernel answers our ping, and reaches
    // a listener of ours at it.
    ping(
        &rig.stack,
        IpAddr::V4(KERNEL_V4),
        56,
        Duration::from_secs(5),
    )
    .unwrap();
    let listener = TcpListener::bind(&rig.stack, 7, 1).unwrap();
    let _kernel = rig
        .ns
        .run(move || std::net::TcpStream::connect((addr, 7)).unwrap());
    let (_ours, peer) = listener.accept().unwrap();
    assert_eq!(peer.ip(), IpAddr::V4(KERNEL_V4));
    let _ = std::fs::remove_file(&leases);
}
