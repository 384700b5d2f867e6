//! TCP and UDP echo (RFC 862) on port 7 over a Linux TAP: the polling loop
//! to copy onto bare metal.
//!
//! Everything the stack uses is memory lent to it up front: plain arrays,
//! no `Vec`, no heap, nothing from `std` below `main`. `Server::new` builds
//! an `Interface` and a `SocketSet` over those arrays, and `Server::turn`,
//! generic over the [`Device`], is one turn of the loop: poll, then serve
//! the sockets. Only `main` knows it runs on Linux: it parses the flags
//! (clap), opens the TAP, reads the clock and sleeps in `wait`. On a
//! microcontroller, keep `Memory`, `Server` and the loop, and swap:
//!
//! - `TapDevice` for the NIC driver's `Device`;
//! - the clock for a hardware timer (`Instant::from_micros`);
//! - `device.wait(delay)` for "sleep until the NIC interrupt or a timer
//!   set to `delay`" (WFI);
//! - `Memory` on `main`'s stack for a `static` (`static_cell`, or a
//!   `static mut` handed out once), and the seed for a hardware RNG.
//!
//! ```text
//! sudo ip tuntap add tap7 mode tap user $USER && sudo ip link set tap7 up
//! sudo ip addr add 192.168.69.100/24 dev tap7
//! sudo ip addr add fd00::100/64 dev tap7
//! cargo run --release -p rstcp-examples --example tap_echo_server -- --tap tap7
//! cargo run --release -p rstcp-examples --example tap_echo_client -- 192.168.69.1:7
//! ```

use std::time::Instant as StdInstant;

use clap::Parser;
use rstcp::iface::fragment::ReassemblySlot;
use rstcp::iface::{Config, Interface, InterfaceStorage};
use rstcp::phy::wait::WaitDevice;
use rstcp::phy::Device;
use rstcp::socket::tcp::{HalfOpen, TcpListener, TcpSocket};
use rstcp::socket::udp::{UdpMetadata, UdpSocket};
use rstcp::socket::{IndexSlot, SocketHandle, SocketSet, SocketStorage};
use rstcp::storage::{PacketBuffer, PacketMetadata, RingBuffer};
use rstcp::time::Instant;
use rstcp::wire::{EthernetAddress, Ipv4Addr, Ipv4Cidr, Ipv6Addr, Ipv6Cidr};
use rstcp_tap::TapDevice;

/// Connections served at once.
const CONNECTIONS: usize = 8;
/// Each connection's receive ring and send ring.
const RING: usize = 16 * 1024;
/// Sockets: the connections, the listener, the UDP socket.
const SOCKETS: usize = CONNECTIONS + 2;
/// Datagrams each UDP queue holds, and their bytes.
const DATAGRAMS: usize = 16;
const UDP_BYTES: usize = 16 * 1024;
/// Where an echo passes through: the largest datagram echoed (a longer
/// one is dropped).
const SCRATCH: usize = 8 * 1024;

/// The port the echo service listens on (RFC 862).
const ECHO_PORT: u16 = 7;
const IPV4: Ipv4Addr = Ipv4Addr::new(192, 168, 69, 1);
const IPV6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1);

/// Every byte the stack will ever use, lent to it by `Server::new`. About
/// 370 KiB: the rings are most of it.
pub struct Memory<'a> {
    /// One IP reassembly buffer: a fragmented datagram of up to 64 KiB...
    reassembly: [u8; ReassemblySlot::MAX_BUFFER_LEN],
    /// ...and the slot over it, which `Server::new` points at it.
    slots: [ReassemblySlot<'a>; 1],
    /// Packets waiting for ARP or Neighbor Discovery to resolve their hop.
    pending: [u8; 16 * 1024],
    sockets: [SocketStorage<'a>; SOCKETS],
    /// The socket index: at least twice the socket count (see `SocketSet::new`).
    index: [IndexSlot; 2 * SOCKETS],
    /// The listener's SYN queue, its pool of lent sockets, its backlog.
    syn_queue: [Option<HalfOpen>; 16],
    pool: [Option<SocketHandle>; CONNECTIONS],
    backlog: [Option<SocketHandle>; CONNECTIONS],
    /// Receive and send ring of each connection.
    rings: [[u8; RING]; 2 * CONNECTIONS],
    udp_rx_meta: [PacketMetadata<UdpMetadata>; DATAGRAMS],
    udp_rx: [u8; UDP_BYTES],
    udp_tx_meta: [PacketMetadata<UdpMetadata>; DATAGRAMS],
    udp_tx: [u8; UDP_BYTES],
}

impl Default for Memory<'_> {
    /// All of it zeroed and free.
    fn default() -> Self {
        Memory {
            reassembly: [0; ReassemblySlot::MAX_BUFFER_LEN],
            slots: [ReassemblySlot::new(&mut [][..])],
            pending: [0; 16 * 1024],
            sockets: [SocketStorage::EMPTY; SOCKETS],
            index: [IndexSlot::default(); 2 * SOCKETS],
            syn_queue: [None; 16],
            pool: [None; CONNECTIONS],
            backlog: [None; CONNECTIONS],
            rings: [[0; RING]; 2 * CONNECTIONS],
            udp_rx_meta: [PacketMetadata::EMPTY; DATAGRAMS],
            udp_rx: [0; UDP_BYTES],
            udp_tx_meta: [PacketMetadata::EMPTY; DATAGRAMS],
            udp_tx: [0; UDP_BYTES],
        }
    }
}

/// The echo server: the interface, its sockets and the handles to them.
pub struct Server<'a> {
    iface: Interface<'a>,
    sockets: SocketSet<'a>,
    listener: SocketHandle,
    udp: SocketHandle,
    /// Connections the listener handed over, being served.
    open: [Option<SocketHandle>; CONNECTIONS],
    /// Where an echo passes from the receive queue to the send queue.
    scratch: [u8; SCRATCH],
}

impl<'a> Server<'a> {
    /// The interface at 192.168.69.1/24 and fd00::1/64 with MAC `mac`, a
    /// TCP listener and a UDP socket on port 7, all in `memory`, which
    /// they borrow for good.
    pub fn new(
        memory: &'a mut Memory<'a>,
        mac: EthernetAddress,
        probe: bool,
        seed: u64,
        now: Instant,
    ) -> Server<'a> {
        let Memory {
            reassembly,
            slots,
            pending,
            sockets,
            index,
            syn_queue,
            pool,
            backlog,
            rings,
            udp_rx_meta,
            udp_rx,
            udp_tx_meta,
            udp_tx,
        } = memory;
        slots[0] = ReassemblySlot::new(&mut reassembly[..]);
        let mut config = Config::new(mac);
        // Seeds ISNs, ephemeral ports and the timers' jitter.
        config.random_seed = seed;
        // RFC 5227: before answering on 192.168.69.1, ask the link (~6 s)
        // whether another host has it.
        config.ipv4_probe = probe;
        let storage = InterfaceStorage {
            reassembly: (&mut slots[..]).into(),
            pending: (&mut pending[..]).into(),
        };
        let mut iface = Interface::new(config, storage, now);
        iface
            .add_ipv4_address(Ipv4Cidr::new(IPV4, 24).unwrap(), now)
            .expect("IPv4 address");
        iface
            .add_ipv6_address(Ipv6Cidr::new(IPV6, 64).unwrap())
            .expect("IPv6 address");

        let mut sockets = SocketSet::new(&mut sockets[..], &mut index[..], seed.rotate_left(32));
        // The listener completes handshakes into sockets lent to it up
        // front: a connection never waits for memory.
        let listener = TcpListener::new(&mut syn_queue[..], &mut pool[..], &mut backlog[..]);
        let listener = sockets.add(listener).unwrap();
        sockets.listen(listener, ECHO_PORT).unwrap();
        let mut rings = rings.iter_mut();
        while let (Some(rx), Some(tx)) = (rings.next(), rings.next()) {
            let socket = TcpSocket::new(RingBuffer::new(&mut rx[..]), RingBuffer::new(&mut tx[..]));
            let socket = sockets.add(socket).unwrap();
            sockets
                .get_mut::<TcpListener>(listener)
                .unwrap()
                .provide(socket)
                .unwrap();
        }
        let udp = UdpSocket::new(
            PacketBuffer::new(&mut udp_rx_meta[..], &mut udp_rx[..]),
            PacketBuffer::new(&mut udp_tx_meta[..], &mut udp_tx[..]),
        );
        let udp = sockets.add(udp).unwrap();
        sockets.bind_udp(udp, ECHO_PORT).unwrap();
        Server {
            iface,
            sockets,
            listener,
            udp,
            open: [None; CONNECTIONS],
            scratch: [0; SCRATCH],
        }
    }

    /// One turn of the loop at `now`: frames in and out, then the echo.
    /// Returns what `poll` returned.
    ///
    /// The rule every rstcp loop follows: **while this returns true, call
    /// it again before sleeping.** True means frames moved. A poll takes
    /// at most the device's burst of received frames, so more may be
    /// waiting; and what arrived (data, ACKs opening the window) may have
    /// given the sockets more to send, which the next poll sends. A NIC
    /// raised its interrupt once for all those frames, so a loop that
    /// slept now would leave them waiting for the next timer. Once a poll
    /// moved nothing, `poll_delay` says how long the loop may sleep.
    pub fn turn<D: Device>(&mut self, now: Instant, device: &mut D) -> bool {
        let busy = self.iface.poll(now, device, &mut self.sockets);
        self.serve_tcp();
        self.serve_udp();
        busy
    }

    /// Takes the new connections and echoes on each open one; a closed
    /// connection's socket goes back to the listener for the next client.
    fn serve_tcp(&mut self) {
        let listener = self.listener;
        while let Some(h) = self
            .sockets
            .get_mut::<TcpListener>(listener)
            .unwrap()
            .accept()
        {
            // The pool has CONNECTIONS sockets, so there is always a free
            // entry for one it handed over.
            if let Some(free) = self.open.iter_mut().find(|o| o.is_none()) {
                *free = Some(h);
            }
        }
        for entry in self.open.iter_mut() {
            let Some(h) = *entry else { continue };
            let socket = self.sockets.get_mut::<TcpSocket>(h).unwrap();
            echo(socket, &mut self.scratch);
            if !socket.is_open() {
                *entry = None;
                let listener = self.sockets.get_mut::<TcpListener>(listener).unwrap();
                listener.provide(h).unwrap();
            }
        }
    }

    /// Sends every datagram back where it came from.
    fn serve_udp(&mut self) {
        let socket = self.sockets.get_mut::<UdpSocket>(self.udp).unwrap();
        // A datagram waits in the receive queue while the send queue is
        // full; a reply too big for the room left is dropped, as UDP may.
        while socket.can_recv() && socket.can_send() {
            let Ok((n, meta)) = socket.recv_slice(&mut self.scratch) else {
                break;
            };
            let _ = socket.send_slice(&self.scratch[..n], meta.endpoint.into());
        }
    }
}

/// Echoes what `socket` received (RFC 862), as much as its send ring has
/// room for, through `scratch`; closes our side once the peer closed its
/// side and everything was echoed. What does not fit stays in the receive
/// ring, whose shrinking window slows the peer down.
fn echo(socket: &mut TcpSocket<'_>, scratch: &mut [u8]) {
    while socket.can_recv() {
        // The room in the send ring (its contiguous free part).
        let room = socket.send(|free| (0, free.len())).unwrap_or(0);
        let room = room.min(scratch.len());
        let n = socket.recv_slice(&mut scratch[..room]).unwrap_or(0);
        if n == 0 {
            break;
        }
        // The room was measured above: it all fits.
        let _ = socket.send_slice(&scratch[..n]);
    }
    if socket.recv_finished() {
        // After what is queued, like shutdown(SHUT_WR).
        socket.close();
    }
}

/// TCP and UDP echo on port 7 (192.168.69.1, fd00::1) over a TAP.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The TAP interface to open (created if it does not exist; needs root).
    #[arg(long, default_value = "tap7", value_name = "NAME")]
    tap: String,
    /// The stack's MAC address.
    #[arg(long, default_value = "02:00:00:77:77:77")]
    mac: EthernetAddress,
    /// Answer on 192.168.69.1 at once, without RFC 5227 probing (about
    /// 6 s) for another host that has it. Only on a link you control.
    #[arg(long)]
    no_probe: bool,
    /// Plain frames with checksums computed in software, as on a device
    /// without offloads (default: the kernel's TSO and checksum offload).
    #[arg(long)]
    no_offload: bool,
    /// Open `--tap NAME` as a TUN: bare IP packets, no Ethernet, ARP or
    /// Neighbor Discovery; the interface learns it from the device at its
    /// first poll and uses its addresses at once (no probing, no DAD).
    #[arg(long)]
    tun: bool,
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let mut device = if args.tun {
        TapDevice::open_tun_with_offload(&args.tap, !args.no_offload)?
    } else {
        TapDevice::open_with_offload(&args.tap, !args.no_offload)?
    };
    device.set_up()?;
    let start = StdInstant::now();
    let clock = || Instant::from_micros(start.elapsed().as_micros() as i64);
    let seed = u64::from(std::process::id()) ^ start.elapsed().as_nanos() as u64;

    // On main's stack here; a `static` on a board (too big for its stack).
    let mut memory = Memory::default();
    let mut server = Server::new(&mut memory, args.mac, !args.no_probe, seed, clock());
    println!(
        "echo on {IPV4}:{ECHO_PORT} and [{IPV6}]:{ECHO_PORT} (TCP and UDP) via {}",
        device.name()
    );
    loop {
        // The rule (see `Server::turn`): poll until a poll moves nothing.
        while server.turn(clock(), &mut device) {}
        // Address probing done, a neighbor that never answered, ...: the
        // interface queues events for whoever wants to log them.
        while let Some(event) = server.iface.poll_event() {
            println!("{event:?}");
        }
        // Then sleep until a frame arrives or a timer (retransmission,
        // delayed ACK, ARP retry, address probe) is due.
        let delay = server.iface.poll_delay(clock(), &server.sockets);
        device.wait(delay.map(Into::into))?;
    }
}
