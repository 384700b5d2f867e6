//! embedded-io and embedded-nal (blocking) on the std runtime (issue 14):
//! clients written against the traits alone, generic over the stack,
//! talk to servers of the kernel (socat, dnsmasq) in a namespace made for
//! each test, the runtime on a TAP.
//!
//! Needs root, /dev/net/tun, iproute2 and socat (dnsmasq for `Dns`);
//! without them each test says why and passes, except under CI=true.

use std::net::{IpAddr, SocketAddr};
use std::thread;
use std::time::Duration;

use embedded_nal::{AddrType, Dns, TcpClientStack, TcpError, TcpErrorKind, UdpClientStack};
use rstcp::runtime::{Stack, StackConfig, TcpStream};
use rstcp::wire::{Ipv4Cidr, Ipv6Cidr};
use rstcp_tests::bulk::Pattern;
use rstcp_tests::dnsmasq;
use rstcp_tests::netns::{
    require_program, require_root, Background, DeviceKind, KernelTap, NetNs, KERNEL_V4, KERNEL_V6,
    STACK_V4, STACK_V6,
};
use rstcp_tests::sim::MAC_A;

struct Rig {
    stack: Stack,
    tap: String,
    ns: NetNs,
}

impl Rig {
    fn new() -> Rig {
        let ns = NetNs::new("rstcp-nal-").expect("namespace");
        let tap = KernelTap::new(&ns).expect("TAP in the namespace");
        let mut c = StackConfig::new(MAC_A);
        c.ipv4 = vec![Ipv4Cidr::new(STACK_V4, 24).unwrap()];
        c.ipv6 = vec![Ipv6Cidr::new(STACK_V6, 64).unwrap()];
        c.ipv4_probe = false;
        c.dad_transmits = 0;
        c.dns_servers = vec![IpAddr::V4(KERNEL_V4)];
        let stack = Stack::start(tap.device, c).expect("start the stack");
        Rig {
            stack,
            tap: tap.name,
            ns,
        }
    }

    /// socat echoing every connection or datagram on `listen`.
    fn socat(&self, listen: &str) -> Background {
        let s = self
            .ns
            .spawn("socat", &[listen, "PIPE"])
            .expect("start socat");
        thread::sleep(Duration::from_millis(300));
        s
    }
}

fn available() -> bool {
    require_root() && require_program("socat", "socat")
}

/// An embedded-nal TCP client: connect, send all, read back as much.
fn tcp_round_trip<S: TcpClientStack>(stack: &mut S, remote: SocketAddr, data: &[u8]) -> Vec<u8> {
    let mut socket = stack.socket().unwrap();
    nb::block!(stack.connect(&mut socket, remote)).unwrap();
    let mut sent = 0;
    while sent < data.len() {
        sent += nb::block!(stack.send(&mut socket, &data[sent..])).unwrap();
    }
    let mut got = vec![0u8; data.len()];
    let mut n = 0;
    while n < got.len() {
        n += nb::block!(stack.receive(&mut socket, &mut got[n..])).unwrap();
    }
    stack.close(socket).unwrap();
    got
}

/// An embedded-nal UDP client: one datagram out, one back.
fn udp_round_trip<S: UdpClientStack>(stack: &mut S, remote: SocketAddr, data: &[u8]) -> Vec<u8> {
    let mut socket = stack.socket().unwrap();
    stack.connect(&mut socket, remote).unwrap();
    nb::block!(stack.send(&mut socket, data)).unwrap();
    let mut buf = [0u8; 1500];
    let (n, from) = nb::block!(stack.receive(&mut socket, &mut buf)).unwrap();
    assert_eq!(from, remote);
    stack.close(socket).unwrap();
    buf[..n].to_vec()
}

#[test]
fn embedded_nal_tcp_and_udp_clients_echo_through_kernel_servers_v4_and_v6() {
    if !available() {
        return;
    }
    let mut rig = Rig::new();
    let _tcp4 = rig.socat("TCP4-LISTEN:7100,reuseaddr,fork");
    let _tcp6 = rig.socat("TCP6-LISTEN:7101,reuseaddr,fork,ipv6only=1");
    let _udp4 = rig.socat("UDP4-RECVFROM:7102,fork");
    let _udp6 = rig.socat("UDP6-RECVFROM:7103,fork,ipv6only=1");
    let data = Pattern::bytes(7, 200_000);
    for (port, ip) in [(7100, IpAddr::V4(KERNEL_V4)), (7101, IpAddr::V6(KERNEL_V6))] {
        let got = tcp_round_trip(&mut rig.stack, SocketAddr::new(ip, port), &data);
        assert!(got == data, "TCP echo over {ip} differs");
    }
    for (port, ip) in [(7102, IpAddr::V4(KERNEL_V4)), (7103, IpAddr::V6(KERNEL_V6))] {
        let got = udp_round_trip(&mut rig.stack, SocketAddr::new(ip, port), &data[..1000]);
        assert_eq!(got, &data[..1000], "UDP echo over {ip}");
    }
}

#[test]
fn embedded_nal_reports_a_closed_peer_and_a_refused_connection() {
    if !available() {
        return;
    }
    let mut rig = Rig::new();
    // A server that says one line and closes.
    let _once = rig
        .ns
        .spawn("socat", &["TCP4-LISTEN:7104,reuseaddr", "SYSTEM:echo hi"])
        .unwrap();
    thread::sleep(Duration::from_millis(300));
    let stack = &mut rig.stack;
    let mut socket = TcpClientStack::socket(stack).unwrap();
    let remote = SocketAddr::new(IpAddr::V4(KERNEL_V4), 7104);
    nb::block!(TcpClientStack::connect(stack, &mut socket, remote)).unwrap();
    let mut buf = [0u8; 16];
    let n = nb::block!(TcpClientStack::receive(stack, &mut socket, &mut buf)).unwrap();
    assert_eq!(&buf[..n], b"hi\n");
    let e = nb::block!(TcpClientStack::receive(stack, &mut socket, &mut buf)).unwrap_err();
    assert_eq!(e.kind(), TcpErrorKind::PipeClosed, "{e:?}");
    // Nobody on 7105: the kernel resets.
    let mut socket = TcpClientStack::socket(stack).unwrap();
    let remote = SocketAddr::new(IpAddr::V4(KERNEL_V4), 7105);
    let e = nb::block!(TcpClientStack::connect(stack, &mut socket, remote)).unwrap_err();
    assert_eq!(e.0.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[test]
fn embedded_nal_dns_resolves_through_dnsmasq() {
    if !available() || !require_program("dnsmasq", "dnsmasq-base") {
        return;
    }
    let mut rig = Rig::new();
    let records = [
        "--host-record=echo.lan,192.168.69.100,fd00::100",
        "--local=/lan/",
    ];
    let _dnsmasq = dnsmasq::spawn(&rig.ns, &rig.tap, &records).unwrap();
    let _tcp = rig.socat("TCP4-LISTEN:7106,reuseaddr,fork");
    fn resolve<D: Dns>(dns: &mut D, name: &str, t: AddrType) -> Result<IpAddr, D::Error> {
        nb::block!(dns.get_host_by_name(name, t.clone()))
    }
    let stack = &mut rig.stack;
    assert_eq!(
        resolve(stack, "echo.lan", AddrType::IPv4).unwrap(),
        IpAddr::V4(KERNEL_V4)
    );
    assert_eq!(
        resolve(stack, "echo.lan", AddrType::IPv6).unwrap(),
        IpAddr::V6(KERNEL_V6)
    );
    assert_eq!(
        resolve(stack, "echo.lan", AddrType::Either).unwrap(),
        IpAddr::V4(KERNEL_V4)
    );
    let e = resolve(stack, "nope.lan", AddrType::Either).unwrap_err();
    assert_eq!(e.0.kind(), std::io::ErrorKind::NotFound, "{e}");
    // A name, then TCP, all through the traits.
    let ip = resolve(stack, "echo.lan", AddrType::IPv4).unwrap();
    let got = tcp_round_trip(stack, SocketAddr::new(ip, 7106), b"resolved");
    assert_eq!(got, b"resolved");
}

/// An embedded-io client: writes, waits for readiness, reads back.
fn eio_round_trip<T>(io: &mut T, data: &[u8]) -> Vec<u8>
where
    T: embedded_io::Read + embedded_io::Write + embedded_io::ReadReady,
{
    assert!(
        !io.read_ready().unwrap(),
        "nothing sent yet, nothing to read"
    );
    io.write_all(data).unwrap();
    io.flush().unwrap();
    let mut got = vec![0u8; data.len()];
    io.read_exact(&mut got).unwrap();
    got
}

#[test]
fn embedded_io_read_write_and_readiness_on_a_tcp_stream() {
    if !available() {
        return;
    }
    let rig = Rig::new();
    let _tcp = rig.socat("TCP4-LISTEN:7107,reuseaddr,fork");
    let mut s = TcpStream::connect(&rig.stack, (KERNEL_V4, 7107)).unwrap();
    assert!(embedded_io::WriteReady::write_ready(&mut s).unwrap());
    let data = Pattern::bytes(7, 100_000);
    let got = eio_round_trip(&mut s, &data);
    assert!(got == data, "embedded-io echo differs");
    // An echo of a small write makes the stream readable.
    embedded_io::Write::write_all(&mut s, b"x").unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !embedded_io::ReadReady::read_ready(&mut s).unwrap() {
        assert!(std::time::Instant::now() < deadline, "never readable");
        thread::sleep(Duration::from_millis(5));
    }
    let mut b = [0u8; 1];
    assert_eq!(embedded_io::Read::read(&mut s, &mut b).unwrap(), 1);
}

/// The `nal_echo_client` example (embedded-nal's traits alone) resolves a
/// name through dnsmasq and gets its echo from socat.
#[test]
fn the_nal_echo_client_example_resolves_and_echoes() {
    if !available() || !require_program("dnsmasq", "dnsmasq-base") {
        return;
    }
    // The example opens a persistent TAP by name, as a user does.
    let ns = NetNs::new("rstcp-nalx-").expect("namespace");
    let tap = "rstnal0";
    ns.add_named_device(tap, DeviceKind::Tap)
        .expect("configure the namespace");
    let records = ["--host-record=echo.lan,192.168.69.100", "--local=/lan/"];
    let _dnsmasq = dnsmasq::spawn(&ns, tap, &records).unwrap();
    let _socat = ns
        .spawn("socat", &["TCP4-LISTEN:7108,reuseaddr,fork", "PIPE"])
        .unwrap();
    thread::sleep(Duration::from_millis(300));
    let exe = rstcp_tests::example_bins::example("nal_echo_client");
    let args = [
        "--tap",
        tap,
        "--ipv4",
        "192.168.69.1/24",
        "--no-probe",
        "--no-slaac",
        "--dns",
        "192.168.69.100",
        "echo.lan",
        "7108",
        "over embedded-nal",
    ];
    let out = ns
        .command(exe.to_str().unwrap(), &args)
        .output()
        .expect("run nal_echo_client");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert_eq!(stdout, "over embedded-nal\n");
}

/// The `eio_echo_client` example (embedded-io's `Read`/`Write` alone over
/// the runtime's `TcpStream`) gets its echo from socat, over IPv4 and IPv6.
#[test]
fn the_eio_echo_client_example_echoes() {
    if !available() {
        return;
    }
    // The example opens a persistent TAP by name, as a user does.
    let ns = NetNs::new("rstcp-eiox-").expect("namespace");
    let tap = "rsteio0";
    ns.add_named_device(tap, DeviceKind::Tap)
        .expect("configure the namespace");
    let _socat = ns
        .spawn(
            "socat",
            &["TCP6-LISTEN:7109,reuseaddr,fork,ipv6only=0", "PIPE"],
        )
        .unwrap();
    thread::sleep(Duration::from_millis(300));
    let exe = rstcp_tests::example_bins::example("eio_echo_client");
    for (host, text) in [
        ("192.168.69.100", "over embedded-io v4"),
        ("fd00::100", "over embedded-io v6"),
    ] {
        let args = [
            "--tap",
            tap,
            "--ipv4",
            "192.168.69.1/24",
            "--ipv6",
            "fd00::1/64",
            "--no-probe",
            "--no-slaac",
            host,
            "7109",
            text,
        ];
        let out = ns
            .command(exe.to_str().unwrap(), &args)
            .output()
            .expect("run eio_echo_client");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{host}: {stdout}{stderr}");
        assert_eq!(stdout, format!("{text}\n"));
    }
}
