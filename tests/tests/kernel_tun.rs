//! rstcp over a TUN (an IP-medium device: bare IP packets, no Ethernet, no
//! ARP or Neighbor Discovery) against the Linux kernel in a namespace this
//! test makes: ping both ways in both families, and 100 MB over TCP each
//! way with every byte checked, plain and with the kernel's offloads
//! (`IFF_VNET_HDR`, TSO). The same transfer over a TAP runs beside it, so
//! `--nocapture` prints both times (a figure, not an assertion).
//!
//! Needs root, /dev/net/tun and `ip` (iproute2); without them each test
//! says why and passes, except under CI=true. Run with `--release`.

use std::io::{Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr};
use std::time::{Duration, Instant};

use rstcp::phy::Medium;
use rstcp::runtime::{ping, Stack, StackConfig, TcpStream};
use rstcp::wire::{Ipv4Cidr, Ipv6Cidr};
use rstcp_tests::bulk::{hash, Pattern};
use rstcp_tests::netns::{
    require_root, KernelTap, NetNs, KERNEL_V4, KERNEL_V6, STACK_V4, STACK_V6,
};
use rstcp_tests::sim::MAC_A;

const BULK: usize = 100 << 20;

/// The runtime over a TUN or TAP whose other side is the kernel in `ns`.
/// Fields drop in order: the stack stops before the namespace goes.
struct Rig {
    stack: Stack,
    ns: NetNs,
}

impl Rig {
    /// Probing as by default (RFC 5227, DAD): on a TUN there is none, so
    /// the stack is configured at once.
    fn new(tun: bool, offload: bool) -> Rig {
        let ns = NetNs::new("rstcp-tun-").expect("namespace");
        let dev = if tun {
            KernelTap::tun(&ns, offload).expect("TUN in the namespace")
        } else {
            KernelTap::with_offload(&ns, offload).expect("TAP in the namespace")
        };
        assert_eq!(
            dev.device.medium(),
            if tun { Medium::Ip } else { Medium::Ethernet }
        );
        if offload {
            assert!(dev.device.offloads().tx(), "{:?}", dev.device.offloads());
        }
        let mut c = StackConfig::new(MAC_A);
        c.ipv4 = vec![Ipv4Cidr::new(STACK_V4, 24).unwrap()];
        c.ipv6 = vec![Ipv6Cidr::new(STACK_V6, 64).unwrap()];
        if !tun {
            // The TAP comparison: skip what the TUN does not do either.
            c.ipv4_probe = false;
            c.dad_transmits = 0;
        }
        let stack = Stack::start(dev.device, c).expect("start the stack");
        stack
            .wait_configured(Duration::from_secs(3))
            .expect("configured without probing");
        Rig { stack, ns }
    }
}

#[test]
fn ping_goes_both_ways_over_a_tun() {
    if !require_root() {
        return;
    }
    let rig = Rig::new(true, false);
    for (kernel, stack) in [
        (IpAddr::V4(KERNEL_V4), STACK_V4.to_string()),
        (IpAddr::V6(KERNEL_V6), STACK_V6.to_string()),
    ] {
        let rtt = ping(&rig.stack, kernel, 1000, Duration::from_secs(3));
        assert!(rtt.is_ok(), "ping {kernel} from the stack: {rtt:?}");
        // The kernel pings us: echo answered by the interface, 3000 bytes
        // so that IPv4 and IPv6 fragments cross too.
        let out = rig
            .ns
            .exec(
                "ping",
                &["-c", "2", "-i", "0.2", "-W", "2", "-s", "3000", &stack],
            )
            .expect("run ping");
        assert!(
            out.status.success(),
            "kernel ping {stack}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Moves `BULK` bytes from the stack to a kernel socket and back again on
/// another connection, each checked by hash; gives the two times.
fn bulk_both_ways(rig: &Rig, to: IpAddr) -> (Duration, Duration) {
    let data = Pattern::bytes(0x7075_6e00, BULK);
    let expect = hash(&data);
    let listen = SocketAddr::new(to, 5201);
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    // The kernel's side: takes one upload and hashes it, then serves one
    // download of the same bytes.
    let kernel = rig.ns.in_ns(move || {
        let listener = std::net::TcpListener::bind(listen).expect("bind in the namespace");
        ready_tx.send(()).unwrap();
        let (mut up, _) = listener.accept().unwrap();
        let mut got = Vec::with_capacity(BULK);
        up.read_to_end(&mut got).unwrap();
        // Closed now: the stack's side reads to the end of the upload.
        drop(up);
        let (mut down, _) = listener.accept().unwrap();
        down.write_all(&Pattern::bytes(0x7075_6e00, BULK)).unwrap();
        down.shutdown(Shutdown::Write).unwrap();
        hash(&got)
    });
    ready_rx.recv().unwrap();

    let start = Instant::now();
    let mut s = TcpStream::connect(&rig.stack, listen).expect("connect");
    s.write_all(&data).unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).unwrap();
    let up = start.elapsed();
    drop(s);

    let start = Instant::now();
    let mut s = TcpStream::connect(&rig.stack, listen).expect("connect");
    let mut got = Vec::with_capacity(BULK);
    s.read_to_end(&mut got).unwrap();
    let down = start.elapsed();
    assert_eq!(got.len(), BULK, "{to}: download length");
    assert!(hash(&got) == expect, "{to}: download bytes differ");
    let uploaded = kernel.join().unwrap().expect("kernel thread");
    assert!(uploaded == expect, "{to}: upload bytes differ");
    (up, down)
}

fn report(what: &str, to: IpAddr, (up, down): (Duration, Duration)) {
    let mbit = |d: Duration| (BULK as f64 * 8.0) / d.as_secs_f64() / 1e6;
    eprintln!(
        "{what:<16} {to:<16} up {:>6.2} s ({:>6.0} Mbit/s)  down {:>6.2} s ({:>6.0} Mbit/s)",
        up.as_secs_f64(),
        mbit(up),
        down.as_secs_f64(),
        mbit(down)
    );
}

#[test]
fn a_hundred_megabytes_each_way_over_a_tun() {
    if !require_root() {
        return;
    }
    let rig = Rig::new(true, false);
    let to = IpAddr::V4(KERNEL_V4);
    report("tun", to, bulk_both_ways(&rig, to));
    let to = IpAddr::V6(KERNEL_V6);
    report("tun", to, bulk_both_ways(&rig, to));
}

#[test]
fn a_hundred_megabytes_each_way_over_a_tun_with_offloads() {
    if !require_root() {
        return;
    }
    let rig = Rig::new(true, true);
    let to = IpAddr::V4(KERNEL_V4);
    report("tun+offload", to, bulk_both_ways(&rig, to));
    let to = IpAddr::V6(KERNEL_V6);
    report("tun+offload", to, bulk_both_ways(&rig, to));
}

#[test]
fn the_same_hundred_megabytes_over_a_tap_for_comparison() {
    if !require_root() {
        return;
    }
    for offload in [false, true] {
        let rig = Rig::new(false, offload);
        let to = IpAddr::V4(KERNEL_V4);
        let what = if offload { "tap+offload" } else { "tap" };
        report(what, to, bulk_both_ways(&rig, to));
    }
}
