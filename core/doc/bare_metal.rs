use rstcp::iface::{Config, Interface, InterfaceStorage};
use rstcp::phy::Device;
use rstcp::socket::tcp::{self, HalfOpen};
use rstcp::socket::{IndexSlot, SocketHandle, SocketSet, SocketStorage};
use rstcp::storage::RingBuffer;
use rstcp::time::{Duration, Instant};
use rstcp::wire::{EthernetAddress, Ipv4Addr, Ipv4Cidr};

/// A TCP echo server (RFC 862) on 192.168.69.1 port 7, with no heap: every
/// buffer is an array lent to the stack. `device` is the NIC's driver (it
/// implements `rstcp::phy::Device`), `clock` reads a hardware timer,
/// `sleep` waits for the NIC's interrupt or until the delay is over (`None`:
/// no timer due), e.g. with WFI, and `seed` comes from a hardware RNG (it
/// seeds TCP's initial sequence numbers and the ephemeral ports).
fn run<D: Device>(
    device: &mut D,
    clock: impl Fn() -> Instant,
    sleep: impl Fn(Option<Duration>),
    seed: u64,
) -> ! {
    // All the memory, lent below (a `static` on a board with a small stack):
    // packets waiting for ARP, socket slots and their index, the listener's
    // queues, a receive and a send ring for each of two connections.
    let mut pending = [0u8; 2048];
    let mut slots = [SocketStorage::EMPTY; 3];
    let mut index = [IndexSlot::default(); 6];
    let mut syn_queue = [None::<HalfOpen>; 4];
    let mut pool = [None::<SocketHandle>; 2];
    let mut backlog = [None::<SocketHandle>; 2];
    let mut rings = [[0u8; 1024]; 4];
    let mut open = [None::<SocketHandle>; 2];
    let mut scratch = [0u8; 512];

    let mut config = Config::new(EthernetAddress([0x02, 0, 0, 0, 0, 0x01]));
    config.random_seed = seed;
    let mut storage = InterfaceStorage::none();
    storage.pending = (&mut pending[..]).into();
    let mut iface = Interface::new(config, storage, clock());
    // Used once RFC 5227 probing (~6 s) found no other host with it.
    let cidr = Ipv4Cidr::new(Ipv4Addr::new(192, 168, 69, 1), 24).unwrap();
    iface.add_ipv4_address(cidr, clock()).unwrap();

    let mut sockets = SocketSet::new(&mut slots[..], &mut index[..], seed);
    let listener = tcp::Listener::new(&mut syn_queue[..], &mut pool[..], &mut backlog[..]);
    let listener = sockets.add(listener).unwrap();
    sockets.listen(listener, 7).unwrap();
    // The listener completes handshakes into sockets lent to it up front.
    let [rx0, tx0, rx1, tx1] = &mut rings;
    for (rx, tx) in [(rx0, tx0), (rx1, tx1)] {
        let socket = tcp::Socket::new(RingBuffer::new(&mut rx[..]), RingBuffer::new(&mut tx[..]));
        let socket = sockets.add(socket).unwrap();
        let l = sockets.get_mut::<tcp::Listener>(listener).unwrap();
        l.provide(socket).unwrap();
    }

    loop {
        // Frames in and out. True: frames moved, so poll again before
        // sleeping (a poll takes at most a burst, and what arrived may give
        // the sockets more to send).
        let busy = iface.poll(clock(), device, &mut sockets);

        while let Some(h) = sockets.get_mut::<tcp::Listener>(listener).unwrap().accept() {
            if let Some(free) = open.iter_mut().find(|o| o.is_none()) {
                *free = Some(h);
            }
        }
        for entry in open.iter_mut() {
            let Some(h) = *entry else { continue };
            let socket = sockets.get_mut::<tcp::Socket>(h).unwrap();
            // Echo what arrived, as much as the send ring has room for.
            let room = socket.send(|free| (0, free.len())).unwrap_or(0);
            let room = room.min(scratch.len());
            let n = socket.recv_slice(&mut scratch[..room]).unwrap_or(0);
            let _ = socket.send_slice(&scratch[..n]);
            if socket.recv_finished() {
                socket.close(); // our FIN, after the echo
            }
            if !socket.is_open() {
                // Closed: lend it back for the next client.
                let l = sockets.get_mut::<tcp::Listener>(listener).unwrap();
                l.provide(h).unwrap();
                *entry = None;
            }
        }

        if !busy {
            // Zero when a socket has data queued, `None` when no timer runs.
            sleep(iface.poll_delay(clock(), &sockets));
        }
    }
}
