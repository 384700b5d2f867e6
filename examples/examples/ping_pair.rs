//! Two rstcp interfaces joined by an in-memory wire, pinging each other.
//!
//! This is the polling loop every rstcp program has, in its smallest form:
//! read the clock, `poll` each interface with its device, use the sockets,
//! then sleep until the earliest `poll_delay`. The stack itself never reads
//! the clock and never sleeps.
//!
//! ```text
//! cargo run --release -p rstcp-examples --example ping_pair [-- --pcap FILE]
//! ```

use std::path::PathBuf;
use std::time::Instant as StdInstant;

use clap::Parser;

use rstcp::iface::fragment::ReassemblySlot;
use rstcp::iface::{Config, Interface, InterfaceStorage};
use rstcp::phy::DeviceCapabilities;
use rstcp::socket::icmp::IcmpSocket;
use rstcp::socket::SocketSet;
use rstcp::storage::{PacketBuffer, PacketMetadata};
use rstcp::time::{Duration, Instant};
use rstcp::wire::{EthernetAddress, IpAddr, Ipv4Addr, Ipv4Cidr, Ipv6Addr, Ipv6Cidr};
use rstcp_pcap::PcapTap;
use rstcp_testkit::loopback::Link;
use rstcp_testkit::sim::echo_request;

/// Two rstcp interfaces on an in-memory wire: A pings B over IPv4 (one
/// request fragmented both ways) and IPv6, then both print their counters.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Record every frame A sends and receives into this pcap file.
    #[arg(long, value_name = "FILE")]
    pcap: Option<PathBuf>,
}

fn host(mac: [u8; 6], v4: Ipv4Addr, v6: Ipv6Addr) -> (Interface<'static>, SocketSet<'static>) {
    let mut config = Config::new(EthernetAddress(mac));
    // RFC 5227 probing takes ~5 s before an address is used; a private
    // in-memory wire has no one to conflict with.
    config.ipv4_probe = false;
    config.random_seed = u64::from(mac[5]) * 0x9e37_79b9;
    let storage = InterfaceStorage {
        // Room to reassemble one 64 KiB datagram, and to queue replies.
        reassembly: vec![ReassemblySlot::new(vec![0; ReassemblySlot::MAX_BUFFER_LEN])].into(),
        pending: vec![0; 32 * 1024].into(),
    };
    let mut iface = Interface::new(config, storage, Instant::ZERO);
    iface
        .add_ipv4_address(Ipv4Cidr::new(v4, 24).unwrap(), Instant::ZERO)
        .unwrap();
    iface
        .add_ipv6_address(Ipv6Cidr::new(v6, 64).unwrap())
        .unwrap();
    (iface, SocketSet::new(vec![], vec![], u64::from(mac[5])))
}

fn main() {
    let pcap = Args::parse().pcap;
    let mut tap = pcap
        .as_ref()
        .map(|_| PcapTap::new(Vec::new()).expect("pcap header"));
    let mut wire = Link::new(DeviceCapabilities::ethernet(1500), 64);
    let (mut a, mut a_sockets) = host(
        [2, 0, 0, 0, 0, 1],
        Ipv4Addr::new(192, 168, 69, 1),
        "fd00::1".parse().unwrap(),
    );
    let (mut b, mut b_sockets) = host(
        [2, 0, 0, 0, 0, 2],
        Ipv4Addr::new(192, 168, 69, 2),
        "fd00::2".parse().unwrap(),
    );

    // A ping socket on A: echo requests go out with identifier 0x1234.
    let buffer = || PacketBuffer::new(vec![PacketMetadata::EMPTY; 8], vec![0; 64 * 1024]);
    let ping = a_sockets.add(IcmpSocket::new(buffer(), buffer())).unwrap();
    a_sockets.bind_icmp(ping, 0x1234).unwrap();

    let targets: [(IpAddr, usize); 4] = [
        (IpAddr::V4(Ipv4Addr::new(192, 168, 69, 2)), 56),
        (IpAddr::V4(Ipv4Addr::new(192, 168, 69, 2)), 10_000), // fragmented both ways
        (IpAddr::V6("fd00::2".parse().unwrap()), 56),
        (IpAddr::V6("fd00::2".parse().unwrap()), 56),
    ];
    let start = StdInstant::now();
    let clock = || Instant::from_micros(start.elapsed().as_micros() as i64);
    let mut sent_at = Vec::new();
    let mut answered = 0;
    while answered < targets.len() {
        let now = clock();
        // One request per 100 ms, like ping -i 0.1.
        if sent_at.len() < targets.len() && now >= Instant::from_millis(100 * sent_at.len() as i64)
        {
            let (to, size) = targets[sent_at.len()];
            let request = echo_request(to, 0, sent_at.len() as u16 + 1, &vec![0xa5; size]);
            a_sockets
                .get_mut::<IcmpSocket>(ping)
                .unwrap()
                .send_slice(&request, to)
                .unwrap();
            println!("PING {to}: {size} data bytes");
            sent_at.push(now);
        }
        let mut busy = match tap.as_mut() {
            Some(tap) => a.poll(now, &mut tap.attach(wire.a()), &mut a_sockets),
            None => a.poll(now, &mut wire.a(), &mut a_sockets),
        };
        busy |= b.poll(now, &mut wire.b(), &mut b_sockets);

        let socket = a_sockets.get_mut::<IcmpSocket>(ping).unwrap();
        while let Ok((reply, from)) = socket.recv() {
            let seq = u16::from_be_bytes([reply[6], reply[7]]);
            let rtt = now - sent_at[usize::from(seq) - 1];
            println!(
                "{} bytes from {from}: icmp_seq={seq} time={:.3} ms",
                reply.len() - 8,
                rtt.total_micros() as f64 / 1000.0
            );
            answered += 1;
        }
        // Frames in flight: poll again at once. (A real device wakes the
        // loop instead: a TAP fd becomes readable, a NIC raises an IRQ.)
        if busy {
            continue;
        }
        // Sleep until something is due, but wake for the next request.
        let delay = [a.poll_delay(now, &a_sockets), b.poll_delay(now, &b_sockets)]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(Duration::from_millis(10))
            .min(Duration::from_millis(10));
        std::thread::sleep(delay.into());
    }
    let (sa, sb) = (a.stats(), b.stats());
    println!(
        "--- A sent {} frames ({} fragments), B sent {} frames ({} fragments), drops: {} / {}",
        sa.tx_frames,
        sa.fragments_sent,
        sb.tx_frames,
        sb.fragments_sent,
        sa.dropped_total(),
        sb.dropped_total()
    );
    if let (Some(path), Some(tap)) = (pcap, tap) {
        let frames = tap.stats().rx_frames + tap.stats().tx_frames;
        std::fs::write(&path, tap.into_inner()).expect("write the pcap");
        println!("wrote {frames} frames to {}", path.display());
    }
}
