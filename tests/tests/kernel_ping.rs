//! The stack against the Linux kernel over a TAP, the kernel in a network
//! namespace of its own: ARP/NDP resolution and echo both ways (small and
//! 8000-byte, i.e. fragmented), a kernel TCP client through the stack's
//! echo (1 MB, compared by hash), and a kernel UDP echo round trip.
//!
//! Needs root, /dev/net/tun, `ip` (iproute2) and `ping` (iputils-ping);
//! without them each test says why and passes, except under CI=true.

use std::net::{SocketAddr, UdpSocket};
use std::time::Duration as StdDuration;

use rstcp::socket::SocketHandle;
use rstcp::wire::IpAddr;
use rstcp_tests::bulk::Pattern;
use rstcp_tests::netns::{require_root, KERNEL_V4, KERNEL_V6};
use rstcp_tests::sim::echo_request;
use rstcp_tests::tap_stack::{echo_service, KernelRig};

/// Echo port of the stack.
const ECHO: u16 = 7;
/// The stream the kernel clients send.
const SEED: u64 = 0x6b70;

/// The stack with TCP and UDP echo on port 7, the kernel in a namespace.
fn rig() -> KernelRig {
    KernelRig::new("rstcp-kp-", KernelRig::host(), |h| {
        echo_service(h, ECHO, 4, 256 * 1024)
    })
}

/// Asserts that the stack's ARP cache holds the kernel's MAC.
fn stack_knows_the_kernel_over_ipv4(rig: &KernelRig) {
    let mac = rig.kernel_mac();
    let now = rig.stack.now();
    let entry = rig
        .stack
        .with(|h| h.iface.arp_cache().get(&KERNEL_V4, now))
        .expect("the kernel in our ARP cache");
    assert_eq!(entry.hw, Some(mac));
}

// ----- the kernel pings the stack -------------------------------------------

#[test]
fn kernel_pings_the_stack_over_ipv4_after_arp() {
    if !require_root() {
        return;
    }
    let rig = rig();
    rig.kernel_ping("192.168.69.1", 56);
    // The kernel learned our MAC from our ARP reply (RFC 826).
    let neigh = rig.kernel_neighbor("192.168.69.1");
    assert!(neigh.contains("02:00:00:00:00:0a"), "{neigh}");
    // And we learned the kernel's from its request.
    stack_knows_the_kernel_over_ipv4(&rig);
}

#[test]
fn kernel_pings_the_stack_over_ipv6_after_ndp() {
    if !require_root() {
        return;
    }
    let rig = rig();
    rig.kernel_ping("fd00::1", 56);
    let neigh = rig.kernel_neighbor("fd00::1");
    assert!(neigh.contains("02:00:00:00:00:0a"), "{neigh}");
}

#[test]
fn kernel_pings_the_stack_with_8000_bytes_over_ipv4() {
    if !require_root() {
        return;
    }
    let rig = rig();
    // 8008 bytes of ICMP: six fragments each way at MTU 1500.
    rig.kernel_ping("192.168.69.1", 8000);
}

#[test]
fn kernel_pings_the_stack_with_8000_bytes_over_ipv6() {
    if !require_root() {
        return;
    }
    let rig = rig();
    rig.kernel_ping("fd00::1", 8000);
}

// ----- the stack pings the kernel -------------------------------------------

/// Sends three echo requests of `size` bytes from the stack to `to` and
/// checks that each comes back, from `to`, with its data.
fn stack_pings(rig: &KernelRig, to: IpAddr, size: usize) {
    const IDENT: u16 = 0x4242;
    let ping: SocketHandle = rig.stack.with(|h| h.icmp(IDENT, 64 * 1024));
    for seq in 1..=3u16 {
        let data: Vec<u8> = (0..size).map(|i| (i as u8) ^ (seq as u8)).collect();
        let request = echo_request(to, IDENT, seq, &data);
        rig.stack.with(|h| {
            h.icmp_socket(ping)
                .send_slice(&request, to)
                .expect("room for the request")
        });
        let (reply, from) = rig
            .stack
            .wait_for(StdDuration::from_secs(3), |h| {
                h.icmp_socket(ping)
                    .recv()
                    .ok()
                    .map(|(r, f)| (r.to_vec(), f))
            })
            .unwrap_or_else(|| panic!("no echo reply from {to} for seq {seq} ({size} bytes)"));
        assert_eq!(from, to);
        // Type 0 (ICMPv4) or 129 (ICMPv6) echo reply; same ident, seq, data.
        assert!(reply[0] == 0 || reply[0] == 129, "type {}", reply[0]);
        assert_eq!(u16::from_be_bytes([reply[4], reply[5]]), IDENT);
        assert_eq!(u16::from_be_bytes([reply[6], reply[7]]), seq);
        assert_eq!(&reply[8..], &data[..], "echoed data, seq {seq}");
    }
}

#[test]
fn stack_pings_the_kernel_over_ipv4_after_arp() {
    if !require_root() {
        return;
    }
    let rig = rig();
    stack_pings(&rig, IpAddr::V4(KERNEL_V4), 56);
    // Our ARP request resolved the kernel's MAC.
    stack_knows_the_kernel_over_ipv4(&rig);
    let neigh = rig.kernel_neighbor("192.168.69.1");
    assert!(neigh.contains("02:00:00:00:00:0a"), "{neigh}");
}

#[test]
fn stack_pings_the_kernel_over_ipv6_after_ndp() {
    if !require_root() {
        return;
    }
    let rig = rig();
    stack_pings(&rig, IpAddr::V6(KERNEL_V6), 56);
    let mac = rig.kernel_mac();
    let now = rig.stack.now();
    let entry = rig
        .stack
        .with(|h| h.iface.neighbor_cache().get(&KERNEL_V6, now))
        .expect("the kernel in our neighbor cache");
    assert_eq!(entry.hw, Some(mac));
}

#[test]
fn stack_pings_the_kernel_with_8000_bytes_over_ipv4() {
    if !require_root() {
        return;
    }
    let rig = rig();
    stack_pings(&rig, IpAddr::V4(KERNEL_V4), 8000);
    let fragments = rig.stack.with(|h| h.iface.stats().fragments_sent);
    // Three requests of 8008 bytes: six fragments each at MTU 1500.
    assert!(fragments >= 18, "{fragments} fragments sent");
}

#[test]
fn stack_pings_the_kernel_with_8000_bytes_over_ipv6() {
    if !require_root() {
        return;
    }
    let rig = rig();
    stack_pings(&rig, IpAddr::V6(KERNEL_V6), 8000);
}

// ----- kernel sockets against the stack's echo ------------------------------

#[test]
fn kernel_tcp_client_gets_1_mb_echoed_by_the_stack() {
    if !require_root() {
        return;
    }
    let rig = rig();
    const LEN: usize = 1 << 20;
    // Written and read at once: the echo cannot hold 1 MB, so a client
    // that wrote everything first would deadlock. The stack closes after
    // echoing everything.
    let server = SocketAddr::from(([192, 168, 69, 1], ECHO));
    let echoed = rig.kernel_exchange(server, LEN, SEED, StdDuration::from_secs(20));
    assert_eq!(echoed.received.len(), LEN);
    assert_eq!(
        echoed.received.finish(),
        Pattern::hash(SEED, LEN),
        "1 MB came back changed"
    );
}

#[test]
fn kernel_udp_datagrams_are_echoed_by_the_stack() {
    if !require_root() {
        return;
    }
    let rig = rig();
    let results = rig
        .ns
        .run(|| -> std::io::Result<Vec<(String, bool)>> {
            let mut results = Vec::new();
            for (server, local, size) in [
                ("192.168.69.1:7", "0.0.0.0:0", 100),
                // Fragmented both ways.
                ("192.168.69.1:7", "0.0.0.0:0", 8000),
                ("[fd00::1]:7", "[::]:0", 100),
            ] {
                let socket = UdpSocket::bind(local)?;
                socket.connect(server)?;
                socket.set_read_timeout(Some(StdDuration::from_secs(1)))?;
                let data = Pattern::bytes(SEED, size);
                let mut buf = vec![0u8; 65536];
                // UDP may drop the first datagram while ARP/NDP resolves:
                // the kernel queues few packets per unresolved neighbor.
                let mut echoed = false;
                for _ in 0..3 {
                    socket.send(&data)?;
                    if let Ok(n) = socket.recv(&mut buf) {
                        echoed = buf[..n] == data[..];
                        break;
                    }
                }
                results.push((format!("{size} bytes to {server}"), echoed));
            }
            Ok(results)
        })
        .expect("UDP socket");
    for (what, echoed) in results {
        assert!(echoed, "no correct echo for {what}");
    }
}
