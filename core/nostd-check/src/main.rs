//! A minimal TCP echo server (RFC 862, port 7) on the `rstcp` core, in a
//! binary that has no std at all: the proof that the core links without
//! std, and the program whose `.text` and static RAM the footprint table
//! measures (`examples/scripts/footprint.sh`, beside the same program on
//! smoltcp in `smoltcp-echo/`).
//!
//! Without arguments it runs its self-test: an ARP request and a SYN to
//! port 7 go in, a SYN-ACK must come out (exit status 0), and the
//! RFC 1071 example checksum must hold. With any argument it serves
//! length-prefixed Ethernet frames from stdin, writing its frames to
//! stdout, until stdin ends.
#![no_std]
#![no_main]

#[path = "common.rs"]
mod common;

use common::{Io, Tx, BUFFER, ECHO_PORT, OUR_IP, OUR_MAC};
use core::mem::MaybeUninit;
use core::panic::PanicInfo;
use core::ptr::addr_of_mut;
use rstcp::iface::{Config, Interface, InterfaceStorage};
use rstcp::phy::{Device, DeviceCapabilities, RxToken, TxToken};
use rstcp::socket::tcp::{HalfOpen, TcpListener, TcpSocket};
use rstcp::socket::{IndexSlot, SocketHandle, SocketSet, SocketStorage};
use rstcp::storage::RingBuffer;
use rstcp::time::Instant;
use rstcp::wire::{checksum, EthernetAddress, Ipv4Addr, Ipv4Cidr};

#[panic_handler]
fn panic(_info: &PanicInfo) -> ! {
    loop {}
}

/// The host's precompiled `core` is built for unwinding and names this
/// symbol; with `panic = "abort"` nothing ever calls it.
#[no_mangle]
extern "C" fn rust_eh_personality() {}

struct Dev(Io);
struct Rx<'a>(&'a mut [u8]);
struct TxT<'a>(Tx<'a>);

impl Device for Dev {
    type RxToken<'a> = Rx<'a>;
    type TxToken<'a> = TxT<'a>;
    fn receive(&mut self, _: Instant) -> Option<(Rx<'_>, TxT<'_>)> {
        let len = self.0.next()?;
        let (rx, tx) = self.0.split(len);
        Some((Rx(rx), TxT(tx)))
    }
    fn transmit(&mut self, _: Instant) -> Option<TxT<'_>> {
        Some(TxT(self.0.tx()))
    }
    fn capabilities(&self) -> DeviceCapabilities {
        DeviceCapabilities::ethernet(1500)
    }
}

impl RxToken for Rx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, f: F) -> R {
        f(self.0)
    }
}

impl TxToken for TxT<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        self.0.send(len, f)
    }
}

/// Everything the server keeps, in static RAM (so the footprint's `.bss`
/// is the whole of it).
struct State {
    iface: Interface<'static>,
    sockets: SocketSet<'static>,
    listener: SocketHandle,
}

// Two sockets (the listener, one connection) and their index.
static mut SOCKETS: [SocketStorage<'static>; 2] = [SocketStorage::EMPTY, SocketStorage::EMPTY];
static mut INDEX: [IndexSlot; 4] = [IndexSlot::EMPTY; 4];
static mut RX: [u8; BUFFER] = [0; BUFFER];
static mut TX: [u8; BUFFER] = [0; BUFFER];
static mut SYN_QUEUE: [Option<HalfOpen>; 1] = [None];
static mut POOL: [Option<SocketHandle>; 1] = [None];
static mut ACCEPT: [Option<SocketHandle>; 1] = [None];
static mut STATE: MaybeUninit<State> = MaybeUninit::uninit();
static mut DEV: Dev = Dev(Io::new(false));

/// A static array as the `'static` slice the stack borrows.
///
/// # Safety
/// Once per array: the slice is the only way to it afterwards.
unsafe fn slice<T, const N: usize>(array: *mut [T; N]) -> &'static mut [T] {
    &mut *array
}

/// Sets the server up in `STATE`.
///
/// # Safety
/// Called once, before anything else touches the statics.
unsafe fn setup() -> &'static mut State {
    let mut config = Config::new(EthernetAddress(OUR_MAC));
    config.ipv4_probe = false;
    config.dad_transmits = 0;
    let mut iface = Interface::new(config, InterfaceStorage::none(), Instant::ZERO);
    let [a, b, c, d] = OUR_IP;
    if let Some(cidr) = Ipv4Cidr::new(Ipv4Addr::new(a, b, c, d), 24) {
        let _ = iface.add_ipv4_address(cidr, Instant::ZERO);
    }
    let mut sockets = SocketSet::new(slice(addr_of_mut!(SOCKETS)), slice(addr_of_mut!(INDEX)), 1);
    let listener = TcpListener::new(
        slice(addr_of_mut!(SYN_QUEUE)),
        slice(addr_of_mut!(POOL)),
        slice(addr_of_mut!(ACCEPT)),
    );
    let socket = TcpSocket::new(
        RingBuffer::new(slice(addr_of_mut!(RX))),
        RingBuffer::new(slice(addr_of_mut!(TX))),
    );
    let listener = sockets.add(listener).unwrap_or_else(|_| panic!());
    let socket = sockets.add(socket).unwrap_or_else(|_| panic!());
    let _ = sockets.listen(listener, ECHO_PORT);
    if let Some(l) = sockets.get_mut::<TcpListener>(listener) {
        let _ = l.provide(socket);
    }
    (*addr_of_mut!(STATE)).write(State {
        iface,
        sockets,
        listener,
    })
}

/// Called by the C runtime's start code.
#[no_mangle]
pub extern "C" fn main(argc: i32, _argv: *const *const u8) -> i32 {
    // RFC 1071 §3 example words: the folded sum is 0xddf2.
    if checksum::sum(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]) != 0xddf2 {
        return 1;
    }
    // SAFETY: single-threaded; the statics are set up once, here, and only
    // reached through these references afterwards.
    let (state, dev) = unsafe { (setup(), &mut *addr_of_mut!(DEV)) };
    dev.0.stdin = argc > 1;
    let mut conn = None;
    let mut buf = [0u8; 256];
    // A clock that ticks per poll: the server needs no real time to echo.
    let mut now = Instant::ZERO;
    for _ in 0..if dev.0.stdin { u32::MAX } else { 4 } {
        let busy = state.iface.poll(now, dev, &mut state.sockets);
        now += rstcp::time::Duration::from_millis(1);
        if conn.is_none() {
            conn = state
                .sockets
                .get_mut::<TcpListener>(state.listener)
                .and_then(|l| l.accept());
        }
        if let Some(h) = conn {
            if let Some(s) = state.sockets.get_mut::<TcpSocket>(h) {
                while s.can_send() {
                    match s.recv_slice(&mut buf) {
                        Ok(n @ 1..) => {
                            let _ = s.send_slice(&buf[..n]);
                        }
                        _ => break,
                    }
                }
            }
        }
        if !busy && dev.0.eof {
            break;
        }
    }
    if dev.0.syn_acked || dev.0.stdin {
        0
    } else {
        2
    }
}
