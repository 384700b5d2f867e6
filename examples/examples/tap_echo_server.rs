//! TCP and UDP echo on port 7 over a Linux TAP: the polling loop to copy
//! onto bare metal.
//!
//! Everything here is the core API and nothing else: one `Interface`, one
//! `SocketSet`, one `Device`, and a loop that polls, serves the sockets, and
//! sleeps until `poll_delay`. On a microcontroller, swap `TapDevice` for the
//! NIC driver's `Device`, the clock for a hardware timer, and `wait` for
//! "sleep until the NIC interrupt or the timer" (WFI). No runtime, no heap
//! after setup.
//!
//! ```text
//! sudo ip tuntap add tap7 mode tap user $USER && sudo ip link set tap7 up
//! sudo ip addr add 192.168.69.100/24 dev tap7
//! cargo run --release -p rstcp-examples --example tap_echo_server -- --tap tap7
//! cargo run --release -p rstcp-examples --example tap_echo_client -- 192.168.69.1:7
//! ```

use std::time::Instant as StdInstant;

use clap::Parser;

use rstcp::iface::fragment::ReassemblySlot;
use rstcp::iface::{Config, Interface, InterfaceStorage};
use rstcp::phy::wait::WaitDevice;
use rstcp::socket::tcp::{HalfOpen, TcpListener, TcpSocket};
use rstcp::socket::udp::{UdpMetadata, UdpSocket};
use rstcp::socket::SocketSet;
use rstcp::storage::{PacketBuffer, PacketMetadata, RingBuffer};
use rstcp::time::Instant;
use rstcp::wire::{EthernetAddress, Ipv4Addr, Ipv4Cidr, Ipv6Cidr};
use rstcp_tap::TapDevice;
use rstcp_testkit::echo::echo_tcp;

/// Connections served at once; each holds two 16 KiB rings.
const CONNECTIONS: usize = 8;

/// TCP and UDP echo on port 7 (192.168.69.1, fd00::1) over a TAP.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The TAP interface to open (created if it does not exist; needs root).
    #[arg(long, default_value = "tap7", value_name = "NAME")]
    tap: String,
    /// Plain frames with checksums computed in software, as on a device
    /// without offloads (default: the kernel's TSO and checksum offload).
    #[arg(long)]
    no_offload: bool,
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    // --no-offload: plain frames, checksums in software (as on a device
    // without offloads); else the kernel's TSO and checksum offload.
    let mut device = TapDevice::open_with_offload(&args.tap, !args.no_offload)?;
    device.set_up()?;
    let start = StdInstant::now();
    let clock = || Instant::from_micros(start.elapsed().as_micros() as i64);

    let mut config = Config::new(EthernetAddress([0x02, 0, 0, 0, 0, 0x01]));
    // Seeds ISNs, ephemeral ports and timers' jitter: use a hardware RNG on
    // a board.
    let seed = u64::from(std::process::id()) ^ start.elapsed().as_nanos() as u64;
    config.random_seed = seed;
    let storage = InterfaceStorage {
        reassembly: vec![ReassemblySlot::new(vec![0; ReassemblySlot::MAX_BUFFER_LEN])].into(),
        pending: vec![0; 16 * 1024].into(),
    };
    let mut iface = Interface::new(config, storage, clock());
    iface
        .add_ipv4_address(
            Ipv4Cidr::new(Ipv4Addr::new(192, 168, 69, 1), 24).unwrap(),
            clock(),
        )
        .expect("IPv4 address");
    iface
        .add_ipv6_address(Ipv6Cidr::new("fd00::1".parse().unwrap(), 64).unwrap())
        .expect("IPv6 address");

    let mut sockets = SocketSet::new(vec![], vec![], seed.rotate_left(32));
    // The listener completes handshakes into sockets we lend it up front.
    let listener = TcpListener::new(
        vec![None::<HalfOpen>; 16],
        vec![None; CONNECTIONS],
        vec![None; CONNECTIONS],
    );
    let listener = sockets.add(listener).unwrap();
    sockets.listen(listener, 7).unwrap();
    for _ in 0..CONNECTIONS {
        let ring = || RingBuffer::new(vec![0u8; 16 * 1024]);
        let s = sockets.add(TcpSocket::new(ring(), ring())).unwrap();
        sockets
            .get_mut::<TcpListener>(listener)
            .unwrap()
            .provide(s)
            .unwrap();
    }
    let packets = || {
        PacketBuffer::new(
            vec![PacketMetadata::<UdpMetadata>::EMPTY; 16],
            vec![0; 65536],
        )
    };
    let udp = sockets.add(UdpSocket::new(packets(), packets())).unwrap();
    sockets.bind_udp(udp, 7).unwrap();

    let mut open = Vec::with_capacity(CONNECTIONS);
    let mut scratch = vec![0u8; 65536];
    println!(
        "echo on 192.168.69.1:7 and [fd00::1]:7 (TCP and UDP) via {}",
        device.name()
    );
    loop {
        let now = clock();
        iface.poll(now, &mut device, &mut sockets);
        // IPv4 answers once RFC 5227 probing found no other owner (~5 s).
        while let Some(event) = iface.poll_event() {
            println!("{event:?}");
        }

        while let Some(h) = sockets.get_mut::<TcpListener>(listener).unwrap().accept() {
            open.push(h);
        }
        open.retain(|&h| {
            let socket = sockets.get_mut::<TcpSocket>(h).unwrap();
            echo_tcp(socket, &mut scratch);
            let done = !socket.is_open();
            if done {
                // Lend it back for the next connection.
                let listener = sockets.get_mut::<TcpListener>(listener).unwrap();
                listener.provide(h).unwrap();
            }
            !done
        });

        let socket = sockets.get_mut::<UdpSocket>(udp).unwrap();
        // Datagrams wait in the receive queue while the send queue is full; a
        // reply too big for what is left is dropped, as UDP may.
        while socket.can_recv() && socket.can_send() {
            let Ok((n, meta)) = socket.recv_slice(&mut scratch) else {
                break;
            };
            let _ = socket.send_slice(&scratch[..n], meta.endpoint.into());
        }

        // Sleep until a frame arrives or a timer (retransmit, delayed ACK,
        // ARP retry) is due.
        device.wait(iface.poll_delay(clock(), &sockets).map(Into::into))?;
    }
}
