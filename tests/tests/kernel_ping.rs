//! The stack against the Linux kernel over a TAP, the kernel in a network
//! namespace of its own: ARP/NDP resolution and echo both ways (small and
//! 8000-byte, i.e. fragmented), a kernel TCP client through the stack's
//! echo (1 MB, compared by hash), and a kernel UDP echo round trip.
//!
//! Needs root, /dev/net/tun, `ip` (iproute2) and `ping` (iputils-ping);
//! without them each test says why and passes, except under CI=true.

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, UdpSocket};
use std::process::Output;
use std::time::Duration as StdDuration;

use rstcp::socket::SocketHandle;
use rstcp::wire::icmpv4::{Icmpv4Packet, Icmpv4Repr};
use rstcp::wire::icmpv6::{Icmpv6Packet, Icmpv6Repr};
use rstcp::wire::{ChecksumMode, EthernetAddress, IpAddr};
use rstcp_tests::netns::{
    require_root, KernelTap, NetNs, KERNEL_V4, KERNEL_V6, STACK_V4, STACK_V6,
};
use rstcp_tests::sim::{Host, MAC_A};
use rstcp_tests::tap_stack::{echo_service, StackThread};

/// Echo port of the stack.
const ECHO: u16 = 7;

/// A namespace with the kernel on one end of a TAP and the stack (with TCP
/// and UDP echo on port 7) on the other. Fields drop in order: the stack
/// thread stops and closes the TAP before the namespace goes.
struct Rig {
    stack: StackThread,
    tap_name: String,
    ns: NetNs,
}

impl Rig {
    fn new() -> Rig {
        let ns = NetNs::new("rstcp-kp-").expect("namespace");
        let tap = KernelTap::new(&ns).expect("TAP in the namespace");
        let mut host = Host::new(MAC_A, STACK_V4, STACK_V6, 0x5eed, false);
        let service = echo_service(&mut host, ECHO, 4, 256 * 1024);
        Rig {
            stack: StackThread::spawn(tap.device, host, service),
            tap_name: tap.name,
            ns,
        }
    }

    /// `ping ARGS` in the namespace; asserts that every request was answered.
    fn kernel_ping(&self, args: &[&str]) {
        let out = self.ns.exec("ping", args).expect("run ping");
        let text = text(&out);
        assert!(out.status.success(), "ping {args:?} failed:\n{text}");
        assert!(text.contains(" 3 received"), "ping {args:?}:\n{text}");
    }

    /// The kernel side's MAC address.
    fn kernel_mac(&self) -> EthernetAddress {
        let out = self
            .ns
            .exec_ok("ip", &["-br", "link", "show", "dev", &self.tap_name])
            .unwrap();
        let text = text(&out);
        let mac = text.split_whitespace().nth(2).expect("a MAC in ip -br");
        let bytes: Vec<u8> = mac
            .split(':')
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect();
        EthernetAddress(bytes.try_into().unwrap())
    }

    /// The MAC the kernel resolved `addr` to, from its neighbor table.
    fn kernel_neighbor(&self, addr: &str) -> String {
        let out = self.ns.exec_ok("ip", &["neigh", "show", addr]).unwrap();
        text(&out)
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

// ----- the kernel pings the stack -------------------------------------------

#[test]
fn kernel_pings_the_stack_over_ipv4_after_arp() {
    if !require_root() {
        return;
    }
    let rig = Rig::new();
    rig.kernel_ping(&["-c", "3", "-i", "0.2", "-W", "2", "192.168.69.1"]);
    // The kernel learned our MAC from our ARP reply (RFC 826).
    let neigh = rig.kernel_neighbor("192.168.69.1");
    assert!(neigh.contains("02:00:00:00:00:0a"), "{neigh}");
    // And we learned the kernel's from its request.
    let mac = rig.kernel_mac();
    let now = rig.stack.now();
    let entry = rig
        .stack
        .with(|h| h.iface.arp_cache().get(&KERNEL_V4, now))
        .expect("the kernel in our ARP cache");
    assert_eq!(entry.hw, Some(mac));
}

#[test]
fn kernel_pings_the_stack_over_ipv6_after_ndp() {
    if !require_root() {
        return;
    }
    let rig = Rig::new();
    rig.kernel_ping(&["-6", "-c", "3", "-i", "0.2", "-W", "2", "fd00::1"]);
    let neigh = rig.kernel_neighbor("fd00::1");
    assert!(neigh.contains("02:00:00:00:00:0a"), "{neigh}");
}

#[test]
fn kernel_pings_the_stack_with_8000_bytes_over_ipv4() {
    if !require_root() {
        return;
    }
    let rig = Rig::new();
    // 8008 bytes of ICMP: six fragments each way at MTU 1500.
    rig.kernel_ping(&[
        "-c",
        "3",
        "-i",
        "0.2",
        "-W",
        "2",
        "-s",
        "8000",
        "192.168.69.1",
    ]);
}

#[test]
fn kernel_pings_the_stack_with_8000_bytes_over_ipv6() {
    if !require_root() {
        return;
    }
    let rig = Rig::new();
    rig.kernel_ping(&[
        "-6", "-c", "3", "-i", "0.2", "-W", "2", "-s", "8000", "fd00::1",
    ]);
}

// ----- the stack pings the kernel -------------------------------------------

/// An echo request with `data`, as the bytes an ICMP socket sends.
fn echo_request(to: IpAddr, ident: u16, seq_no: u16, data: &[u8]) -> Vec<u8> {
    match to {
        IpAddr::V4(_) => {
            let repr = Icmpv4Repr::EchoRequest {
                ident,
                seq_no,
                data,
            };
            let mut buf = vec![0; repr.buffer_len()];
            repr.emit(
                &mut Icmpv4Packet::new_unchecked(&mut buf[..]),
                ChecksumMode::Check,
            );
            buf
        }
        IpAddr::V6(dst) => {
            let repr = Icmpv6Repr::EchoRequest {
                ident,
                seq_no,
                data,
            };
            let mut buf = vec![0; repr.buffer_len()];
            // The checksum covers the source address, which the interface
            // picks: it fills the checksum in.
            repr.emit(
                &dst,
                &dst,
                &mut Icmpv6Packet::new_unchecked(&mut buf[..]),
                ChecksumMode::Skip,
            );
            buf
        }
    }
}

/// Sends three echo requests of `size` bytes from the stack to `to` and
/// checks that each comes back, from `to`, with its data.
fn stack_pings(rig: &Rig, to: IpAddr, size: usize) {
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
    let rig = Rig::new();
    stack_pings(&rig, IpAddr::V4(KERNEL_V4), 56);
    // Our ARP request resolved the kernel's MAC.
    let mac = rig.kernel_mac();
    let now = rig.stack.now();
    let entry = rig
        .stack
        .with(|h| h.iface.arp_cache().get(&KERNEL_V4, now))
        .expect("the kernel in our ARP cache");
    assert_eq!(entry.hw, Some(mac));
    let neigh = rig.kernel_neighbor("192.168.69.1");
    assert!(neigh.contains("02:00:00:00:00:0a"), "{neigh}");
}

#[test]
fn stack_pings_the_kernel_over_ipv6_after_ndp() {
    if !require_root() {
        return;
    }
    let rig = Rig::new();
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
    let rig = Rig::new();
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
    let rig = Rig::new();
    stack_pings(&rig, IpAddr::V6(KERNEL_V6), 8000);
}

// ----- kernel sockets against the stack's echo ------------------------------

/// Deterministic bytes that differ at every offset of a 1 MB stream, so a
/// lost, duplicated or reordered segment changes the hash.
fn pattern(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            // xorshift64
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn hash(bytes: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    h.write(bytes);
    h.finish()
}

#[test]
fn kernel_tcp_client_gets_1_mb_echoed_by_the_stack() {
    if !require_root() {
        return;
    }
    let rig = Rig::new();
    const LEN: usize = 1 << 20;
    let sent = pattern(LEN);
    let sent_hash = hash(&sent);
    let echoed = rig
        .ns
        .in_ns(move || -> std::io::Result<Vec<u8>> {
            let addr = SocketAddr::from(([192, 168, 69, 1], ECHO));
            let mut stream = TcpStream::connect_timeout(&addr, StdDuration::from_secs(5))?;
            stream.set_read_timeout(Some(StdDuration::from_secs(20)))?;
            let mut writer = stream.try_clone()?;
            // Write and read at once: the echo cannot hold 1 MB, so a
            // client that wrote everything first would deadlock.
            let write = std::thread::spawn(move || -> std::io::Result<()> {
                writer.write_all(&sent)?;
                writer.shutdown(Shutdown::Write)
            });
            let mut echoed = Vec::with_capacity(LEN);
            // Until the stack closes after echoing everything.
            stream.read_to_end(&mut echoed)?;
            write.join().expect("writer thread")?;
            Ok(echoed)
        })
        .join()
        .expect("client thread")
        .expect("enter the namespace")
        .expect("TCP transfer");
    assert_eq!(echoed.len(), LEN);
    assert_eq!(hash(&echoed), sent_hash, "1 MB came back changed");
}

#[test]
fn kernel_udp_datagrams_are_echoed_by_the_stack() {
    if !require_root() {
        return;
    }
    let rig = Rig::new();
    let results = rig
        .ns
        .in_ns(|| -> std::io::Result<Vec<(String, bool)>> {
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
                let data = pattern(size);
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
        .join()
        .expect("client thread")
        .expect("enter the namespace")
        .expect("UDP socket");
    for (what, echoed) in results {
        assert!(echoed, "no correct echo for {what}");
    }
}
