//! The DNS stub resolver (issue 14) against dnsmasq in a namespace made
//! for each test, the std runtime on a TAP:
//! - the server of the DHCPv4 lease (option 6): A and AAAA, a CNAME,
//!   NXDOMAIN, and `TcpStream::connect(("web.lan", port))`;
//! - the server of a Router Advertisement's RDNSS option (radvd), asked
//!   over IPv6;
//! - a configured server that never answers is passed over for the next;
//! - the examples: `ping web.lan` and `http_get http://web.lan:PORT/`.
//!
//! Needs root, /dev/net/tun, iproute2, dnsmasq and radvd; without them each
//! test says why and passes, except under CI=true.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::thread;
use std::time::Duration;

use rstcp::runtime::{lookup_host, Stack, StackConfig, TcpStream};
use rstcp::wire::{Ipv4Addr, Ipv4Cidr, Ipv6Cidr};
use rstcp_tests::dnsmasq;
use rstcp_tests::example_bins::example;
use rstcp_tests::netns::{
    require_program, require_root, Background, DeviceKind, KernelTap, NetNs, KERNEL_V4, KERNEL_V6,
    STACK_V4, STACK_V6,
};
use rstcp_tests::sim::MAC_A;

/// The names dnsmasq serves: web.lan (both families), www.lan an alias.
const RECORDS: [&str; 3] = [
    "--host-record=web.lan,192.168.69.100,fd00::100",
    "--cname=www.lan,web.lan",
    // Any other .lan name does not exist (NXDOMAIN), and nothing is
    // forwarded anywhere.
    "--local=/lan/",
];

fn available() -> bool {
    require_root() && require_program("dnsmasq", "dnsmasq-base")
}

/// The runtime over a TAP whose other side is the kernel in `ns`; the
/// stack stops before the namespace goes.
struct Rig {
    stack: Stack,
    tap: String,
    ns: NetNs,
}

impl Rig {
    fn new(config: StackConfig) -> Rig {
        let ns = NetNs::new("rstcp-dns-").expect("namespace");
        let tap = KernelTap::new(&ns).expect("TAP in the namespace");
        let stack = Stack::start(tap.device, config).expect("start the stack");
        Rig {
            stack,
            tap: tap.name,
            ns,
        }
    }

    /// dnsmasq on the TAP answering [`RECORDS`], with `extra` flags.
    fn dnsmasq(&self, extra: &[&str]) -> Background {
        let mut args = RECORDS.to_vec();
        args.extend(extra);
        let server = dnsmasq::spawn(&self.ns, &self.tap, &args).expect("start dnsmasq");
        // Listening within a moment; a query that beats it is retried.
        thread::sleep(Duration::from_millis(300));
        server
    }
}

fn config() -> StackConfig {
    let mut c = StackConfig::new(MAC_A);
    c.ipv4 = vec![Ipv4Cidr::new(STACK_V4, 24).unwrap()];
    c.ipv6 = vec![Ipv6Cidr::new(STACK_V6, 64).unwrap()];
    // The namespace holds only the kernel: skip probing and DAD.
    c.ipv4_probe = false;
    c.dad_transmits = 0;
    c
}

const WEB: [IpAddr; 2] = [IpAddr::V4(KERNEL_V4), IpAddr::V6(KERNEL_V6)];

/// A kernel TCP server on port 7000 that writes back one read and closes.
fn kernel_echo_once(ns: &NetNs, addr: SocketAddr) -> thread::JoinHandle<()> {
    let listener = ns.run(move || std::net::TcpListener::bind(addr).unwrap());
    thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 64];
        let n = s.read(&mut buf).unwrap();
        s.write_all(&buf[..n]).unwrap();
    })
}

#[test]
fn names_resolve_through_the_dhcpv4_leases_server_and_connect_takes_them() {
    if !available() {
        return;
    }
    let mut c = config();
    c.ipv4.clear();
    let rig = Rig::new(c);
    let leases = std::env::temp_dir().join(format!("rstcp-dns-{}.leases", std::process::id()));
    let leases = format!("--dhcp-leasefile={}", leases.display());
    let _dnsmasq = rig.dnsmasq(&[
        "--dhcp-range=192.168.69.50,192.168.69.60,255.255.255.0,1h",
        "--dhcp-option=option:dns-server,192.168.69.100",
        &leases,
    ]);
    rig.stack.wait_configured(Duration::from_secs(30)).unwrap();
    // RFC 2132 §3.8: the lease names the server.
    assert_eq!(rig.stack.dns_servers(), [IpAddr::V4(KERNEL_V4)]);
    assert_eq!(lookup_host(&rig.stack, "web.lan").unwrap(), WEB);
    // The alias (RFC 1034 §3.6.2), case ignored (RFC 1035 §2.3.3).
    assert_eq!(lookup_host(&rig.stack, "WWW.lan.").unwrap(), WEB);
    let e = lookup_host(&rig.stack, "nope.lan").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(e.to_string().contains("no such name"), "{e}");
    // An address literal needs no server.
    assert_eq!(
        lookup_host(&rig.stack, "[fd00::100]").unwrap(),
        [IpAddr::V6(KERNEL_V6)]
    );

    let server = kernel_echo_once(&rig.ns, SocketAddr::new(IpAddr::V4(KERNEL_V4), 7000));
    let mut s = TcpStream::connect(&rig.stack, ("www.lan", 7000)).unwrap();
    assert_eq!(
        s.peer_addr().unwrap(),
        "192.168.69.100:7000".parse().unwrap()
    );
    s.write_all(b"by name").unwrap();
    let mut got = Vec::new();
    s.read_to_end(&mut got).unwrap();
    assert_eq!(got, b"by name");
    server.join().unwrap();
    // "host:port" too; nobody listens on 7001: refused, not a DNS error.
    let e = TcpStream::connect(&rig.stack, "web.lan:7001").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConnectionRefused, "{e}");
}

#[test]
fn the_server_of_a_router_advertisements_rdnss_option_is_asked_over_ipv6() {
    if !available() || !require_program("radvd", "radvd") {
        return;
    }
    let rig = Rig::new(config());
    let _dnsmasq = rig.dnsmasq(&[]);
    let dir = std::env::temp_dir().join(format!("rstcp-dns-radvd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("radvd.conf");
    // RFC 8106 §5.1: the RDNSS option; no prefix for SLAAC is needed.
    std::fs::write(
        &conf,
        format!(
            "interface {} {{\n  AdvSendAdvert on;\n  MinRtrAdvInterval 3;\n  MaxRtrAdvInterval 4;\n  AdvDefaultLifetime 0;\n  RDNSS {} {{ }};\n}};\n",
            rig.tap, KERNEL_V6
        ),
    )
    .unwrap();
    // radvd refuses to advertise unless the node forwards.
    rig.ns
        .exec_ok("sysctl", &["-qw", "net.ipv6.conf.all.forwarding=1"])
        .expect("sysctl");
    let pid = dir.join("radvd.pid");
    let _radvd = rig
        .ns
        .spawn(
            "radvd",
            &[
                "-n",
                "-C",
                conf.to_str().unwrap(),
                "-p",
                pid.to_str().unwrap(),
            ],
        )
        .expect("start radvd");
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while rig.stack.dns_servers().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no RDNSS heard");
        thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(rig.stack.dns_servers(), [IpAddr::V6(KERNEL_V6)]);
    assert_eq!(lookup_host(&rig.stack, "web.lan").unwrap(), WEB);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_server_that_never_answers_is_passed_over_for_the_next() {
    if !available() {
        return;
    }
    let mut c = config();
    // Nobody holds .77: the first server's turn runs out, the next answers.
    c.dns_servers = vec![
        IpAddr::V4(Ipv4Addr::new(192, 168, 69, 77)),
        IpAddr::V4(KERNEL_V4),
    ];
    let rig = Rig::new(c);
    let _dnsmasq = rig.dnsmasq(&[]);
    let started = std::time::Instant::now();
    assert_eq!(lookup_host(&rig.stack, "web.lan").unwrap(), WEB);
    // The first server's whole turn (ResolverConfig::default, 2 s) went by.
    assert!(started.elapsed() >= Duration::from_secs(2));
}

#[test]
fn no_server_known_is_a_clear_error_at_once() {
    if !require_root() {
        return;
    }
    let rig = Rig::new(config());
    let e = lookup_host(&rig.stack, "web.lan").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotConnected, "{e}");
    assert!(e.to_string().contains("no DNS server"), "{e}");
}

/// The examples take names: `ping -c 2 web.lan` and `http_get
/// http://web.lan:8080/` with `--dns`.
#[test]
fn ping_and_http_get_take_host_names() {
    if !available() || !require_program("python3", "python3") {
        return;
    }
    // The examples open a persistent TAP by name, as a user does.
    let ns = NetNs::new("rstcp-dnsx-").expect("namespace");
    let tap = "rstdns0";
    ns.add_named_device(tap, DeviceKind::Tap)
        .expect("configure the namespace");
    let _dnsmasq = dnsmasq::spawn(&ns, tap, &RECORDS).expect("start dnsmasq");
    let dir = std::env::temp_dir().join(format!("rstcp-dns-http-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("file"), b"served by name\n").unwrap();
    let _http = ns
        .spawn(
            "python3",
            &[
                "-m",
                "http.server",
                "8080",
                "--bind",
                "192.168.69.100",
                "--directory",
                dir.to_str().unwrap(),
            ],
        )
        .expect("start python3 -m http.server");
    thread::sleep(Duration::from_millis(500));
    let net = [
        "--tap",
        tap,
        "--ipv4",
        "192.168.69.1/24",
        "--ipv6",
        "fd00::1/64",
        "--no-probe",
        "--dns",
        "192.168.69.100",
    ];
    let run = |name: &str, rest: &[&str]| {
        let mut a: Vec<&str> = net.to_vec();
        a.extend(rest);
        let out = ns
            .command(example(name).to_str().unwrap(), &a)
            .output()
            .expect("run the example");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        eprintln!("--- {name} {rest:?}: {}\n{stdout}{stderr}", out.status);
        (out.status.success(), stdout, stderr)
    };
    let (ok, stdout, _) = run("ping", &["-c", "2", "-i", "0.2", "web.lan"]);
    assert!(ok);
    assert!(
        stdout.starts_with("PING web.lan (192.168.69.100)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("--- web.lan ping statistics ---"),
        "{stdout}"
    );
    let (ok, stdout, _) = run("http_get", &["http://www.lan:8080/file"]);
    assert!(ok);
    assert_eq!(stdout, "served by name\n");
    let (ok, _, stderr) = run("http_get", &["http://nope.lan:8080/file"]);
    assert!(!ok);
    assert!(stderr.contains("no such name"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
