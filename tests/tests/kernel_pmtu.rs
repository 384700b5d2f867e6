//! Path MTU discovery against the Linux kernel (RFC 8201, RFC 1191): the
//! stack's TAP ends in a router namespace whose far link, to a kernel peer
//! in a namespace of its own, carries 1280 bytes. The peer advertises an
//! MSS for a 1500-byte path (`advmss`), so the stack's first full-sized
//! segments are too big for the far link: the router answers with ICMPv6
//! Packet Too Big / ICMPv4 Fragmentation Needed, and the stack must honour
//! them for the transfers to complete.
//!
//! Checked: 100 MB each way at once over IPv6 and over IPv4, byte-exact
//! (hashes of the two streams); the router sent the reports (its own ICMP
//! counters); the stack's path MTU to the peer is the far link's; UDP
//! datagrams of 4000 bytes reach the peer (fragmented by the stack to the
//! path MTU over IPv6, where routers do not fragment).
//!
//! Needs root, /dev/net/tun and `ip`; without them the test says why and
//! passes, except under CI=true.

use std::io;
use std::net::{IpAddr, Shutdown, SocketAddr};
use std::thread;
use std::time::{Duration, Instant};

use rstcp::runtime::{Stack, StackConfig, TcpStream, UdpSocket};
use rstcp::wire::{Ipv4Addr, Ipv4Cidr, Ipv6Addr, Ipv6Cidr};
use rstcp_tests::bulk::{exchange, mbps, read_hashing, write_stream, Pattern, StreamHash};
use rstcp_tests::netns::{
    require_root, KernelTap, NetNs, KERNEL_V4, KERNEL_V6, STACK_V4, STACK_V6,
};
use rstcp_tests::sim::MAC_A;

/// The far link's MTU (the IPv6 minimum).
const FAR_MTU: usize = 1280;
const PEER_V4: Ipv4Addr = Ipv4Addr::new(10, 9, 0, 2);
const PEER_V6: Ipv6Addr = Ipv6Addr::new(0xfd01, 0, 0, 0, 0, 0, 0, 2);
const BULK: usize = 100 << 20;

/// Fields drop in order: the stack stops before the namespaces go.
struct Rig {
    stack: Stack,
    router: NetNs,
    peer: NetNs,
}

impl Rig {
    fn new() -> io::Result<Rig> {
        let router = NetNs::new("rstcp-pmtu-r-")?;
        let peer = NetNs::new("rstcp-pmtu-p-")?;
        // No duplicate address detection on the links made below: the
        // routers' link-local addresses are usable at once (RFC 4862 §5.4
        // would hold them tentative for a second).
        for ns in [&router, &peer] {
            ns.exec_ok("sysctl", &["-qw", "net.ipv6.conf.all.accept_dad=0"])?;
            ns.exec_ok("sysctl", &["-qw", "net.ipv6.conf.default.accept_dad=0"])?;
        }
        let tap = KernelTap::new(&router)?;
        // The far link: 1280 bytes both ends.
        let mtu = FAR_MTU.to_string();
        router.exec_ok(
            "ip",
            &[
                "link",
                "add",
                "far",
                "mtu",
                &mtu,
                "type",
                "veth",
                "peer",
                "name",
                "far",
                "mtu",
                &mtu,
                "netns",
                peer.name(),
            ],
        )?;
        router.exec_ok("ip", &["addr", "add", "10.9.0.1/24", "dev", "far"])?;
        router.exec_ok("ip", &["addr", "add", "fd01::1/64", "dev", "far", "nodad"])?;
        router.exec_ok("ip", &["link", "set", "far", "up"])?;
        router.exec_ok("sysctl", &["-qw", "net.ipv4.ip_forward=1"])?;
        router.exec_ok("sysctl", &["-qw", "net.ipv6.conf.all.forwarding=1"])?;
        peer.exec_ok("ip", &["link", "set", "lo", "up"])?;
        peer.exec_ok("ip", &["addr", "add", "10.9.0.2/24", "dev", "far"])?;
        peer.exec_ok("ip", &["addr", "add", "fd01::2/64", "dev", "far", "nodad"])?;
        peer.exec_ok("ip", &["link", "set", "far", "up"])?;
        // The peer advertises the MSS of a 1500-byte path (as a host whose
        // own link is wider than a hop further on): the stack's segments
        // then exceed the far link and only path MTU discovery gets them
        // through.
        peer.exec_ok(
            "ip",
            &[
                "route",
                "add",
                "192.168.69.0/24",
                "via",
                "10.9.0.1",
                "advmss",
                "1460",
            ],
        )?;
        peer.exec_ok(
            "ip",
            &[
                "-6",
                "route",
                "add",
                "fd00::/64",
                "via",
                "fd01::1",
                "advmss",
                "1440",
            ],
        )?;
        let mut c = StackConfig::new(MAC_A);
        c.ipv4 = vec![Ipv4Cidr::new(STACK_V4, 24).unwrap()];
        c.ipv6 = vec![Ipv6Cidr::new(STACK_V6, 64).unwrap()];
        c.ipv4_gateway = Some(KERNEL_V4);
        c.ipv6_gateway = Some(KERNEL_V6);
        c.ipv4_probe = false;
        c.dhcpv4 = false;
        c.slaac = false;
        c.dad_transmits = 0;
        let stack = Stack::start(tap.device, c)?;
        stack.wait_configured(Duration::from_secs(10))?;
        // Every hop up and resolved before the test measures anything: the
        // peer reaches the stack through the router (a small ping fits
        // every link, so nothing about the path MTU is learnt here).
        for target in [STACK_V6.to_string(), STACK_V4.to_string()] {
            let reached = (0..10).any(|_| {
                peer.exec("ping", &["-c", "1", "-W", "1", &target])
                    .is_ok_and(|o| o.status.success())
            });
            if !reached {
                return Err(io::Error::other(format!("the peer cannot reach {target}")));
            }
        }
        Ok(Rig {
            stack,
            router,
            peer,
        })
    }

    /// The router's count of an ICMP counter in /proc/net/snmp or snmp6.
    fn router_counter(&self, file: &str, name: &str) -> u64 {
        let out = self.router.exec_ok("cat", &[file]).unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        if file.ends_with("snmp6") {
            return text
                .lines()
                .find_map(|l| {
                    let mut w = l.split_whitespace();
                    (w.next() == Some(name)).then(|| w.next()?.parse().ok())?
                })
                .unwrap_or(0);
        }
        // snmp: a header line of names, then a line of values, per protocol.
        let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("Icmp:")).collect();
        let (Some(names), Some(values)) = (lines.first(), lines.get(1)) else {
            return 0;
        };
        names
            .split_whitespace()
            .zip(values.split_whitespace())
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0)
    }
}

/// The stack's end of a bulk exchange: writes `send` bytes of the stream
/// for `seed` while hashing what it reads until the peer closes.
fn stack_exchange(stream: TcpStream, send: usize, seed: u64) -> io::Result<StreamHash> {
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    thread::scope(|scope| {
        let writer = scope.spawn(|| -> io::Result<()> {
            write_stream(&mut &stream, send, seed)?;
            stream.shutdown(Shutdown::Write)
        });
        let mut received = StreamHash::default();
        let read = read_hashing(&mut &stream, &mut received);
        writer.join().expect("writer")?;
        read.map(|()| received)
    })
}

/// 100 MB each way between the stack and a kernel server on the peer at
/// `addr`, at once; panics unless both streams arrive intact.
fn bulk_both_ways(rig: &Rig, addr: SocketAddr) {
    let listener = rig
        .peer
        .run(move || std::net::TcpListener::bind(addr).unwrap());
    let server = thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        exchange(s, BULK, 2).unwrap()
    });
    let start = Instant::now();
    let stream = TcpStream::connect(&rig.stack, addr).unwrap();
    let got = stack_exchange(stream, BULK, 1).unwrap();
    let peer = server.join().unwrap();
    let elapsed = start.elapsed();
    assert_eq!(
        peer.received.finish(),
        Pattern::hash(1, BULK),
        "{addr}: the stack's 100 MB arrived intact"
    );
    assert_eq!(
        got.finish(),
        Pattern::hash(2, BULK),
        "{addr}: the peer's 100 MB arrived intact"
    );
    eprintln!(
        "{addr}: 2 x 100 MB in {:.1} s ({:.0} Mbit/s each way)",
        elapsed.as_secs_f64(),
        mbps(BULK, elapsed)
    );
}

/// Sends 4000-byte UDP datagrams to the peer until one arrives whole
/// (at most 5, 200 ms apart); how many were sent.
fn udp_4000(rig: &Rig, peer: IpAddr) -> usize {
    let addr = SocketAddr::new(peer, 9000);
    let local: SocketAddr = match peer {
        IpAddr::V4(_) => "0.0.0.0:9000".parse().unwrap(),
        IpAddr::V6(_) => "[::]:9000".parse().unwrap(),
    };
    let rx = rig
        .peer
        .run(move || std::net::UdpSocket::bind(local).unwrap());
    rx.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let tx = UdpSocket::bind(&rig.stack, 9001).unwrap();
    let data: Vec<u8> = Pattern::bytes(9, 4000);
    let mut buf = vec![0u8; 8192];
    for sent in 1..=5 {
        tx.send_to(&data, addr).unwrap();
        if let Ok(n) = rx.recv(&mut buf) {
            assert_eq!(&buf[..n], &data[..], "a whole datagram");
            return sent;
        }
    }
    panic!(
        "no 4000-byte datagram reached {peer}; router sent {} Packet Too Big; stack {:?}",
        rig.router_counter("/proc/net/snmp6", "Icmp6OutPktTooBigs"),
        rig.stack.stats()
    );
}

#[test]
fn path_mtu_discovery_through_a_1280_byte_hop_v6_and_v4() {
    if !require_root() {
        return;
    }
    let rig = Rig::new().expect("namespaces, TAP and stack");
    let ptb_before = rig.router_counter("/proc/net/snmp6", "Icmp6OutPktTooBigs");
    bulk_both_ways(&rig, SocketAddr::new(IpAddr::V6(PEER_V6), 5001));
    let ptb = rig.router_counter("/proc/net/snmp6", "Icmp6OutPktTooBigs") - ptb_before;
    assert!(ptb > 0, "the router sent no Packet Too Big");
    assert_eq!(rig.stack.path_mtu(IpAddr::V6(PEER_V6)), FAR_MTU);

    let unreach_before = rig.router_counter("/proc/net/snmp", "OutDestUnreachs");
    bulk_both_ways(&rig, SocketAddr::new(IpAddr::V4(PEER_V4), 5000));
    let unreach = rig.router_counter("/proc/net/snmp", "OutDestUnreachs") - unreach_before;
    assert!(unreach > 0, "the router sent no Fragmentation Needed");
    assert_eq!(rig.stack.path_mtu(IpAddr::V4(PEER_V4)), FAR_MTU);
    eprintln!("router: {ptb} Packet Too Big, {unreach} Fragmentation Needed");

    // The path MTU is known: 4000-byte datagrams go fragmented to it.
    assert_eq!(udp_4000(&rig, IpAddr::V6(PEER_V6)), 1);
    assert_eq!(udp_4000(&rig, IpAddr::V4(PEER_V4)), 1);
}

#[test]
fn udp_alone_learns_the_path_mtu_over_ipv6() {
    if !require_root() {
        return;
    }
    let rig = Rig::new().expect("namespaces, TAP and stack");
    let peer = IpAddr::V6(PEER_V6);
    assert!(rig.stack.path_mtu(peer) > FAR_MTU);
    // The first datagram's 1500-byte fragments bounce; the Packet Too Big
    // quotes our bound port, the cache learns, the next ones arrive.
    let sent = udp_4000(&rig, peer);
    assert!(sent >= 2, "the first datagram cannot have fit: {sent}");
    assert_eq!(rig.stack.path_mtu(peer), FAR_MTU);
}
