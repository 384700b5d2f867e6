//! The TCP echo server of `rstcp-nostd-check`, on smoltcp 0.14: same
//! device, frames, buffers, loop and self-test (exit status 0 when the SYN
//! to port 7 is answered with a SYN-ACK).
#![no_std]
#![no_main]

#[path = "../../src/common.rs"]
mod common;

use common::{Io, Tx, BUFFER, ECHO_PORT, OUR_IP, OUR_MAC};
use core::mem::MaybeUninit;
use core::panic::PanicInfo;
use core::ptr::addr_of_mut;
use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet, SocketStorage};
use smoltcp::phy::{Device, DeviceCapabilities, Medium, RxToken, TxToken};
use smoltcp::socket::tcp;
use smoltcp::time::{Duration, Instant};
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr};

#[panic_handler]
fn panic(_info: &PanicInfo) -> ! {
    loop {}
}

/// See rstcp-nostd-check.
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
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = common::FRAME;
        caps
    }
}

impl RxToken for Rx<'_> {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(self.0)
    }
}

impl TxToken for TxT<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        self.0.send(len, f)
    }
}

struct State {
    iface: Interface,
    sockets: SocketSet<'static>,
    server: SocketHandle,
}

static mut SOCKETS: [SocketStorage<'static>; 1] = [SocketStorage::EMPTY];
static mut RX: [u8; BUFFER] = [0; BUFFER];
static mut TX: [u8; BUFFER] = [0; BUFFER];
static mut STATE: MaybeUninit<State> = MaybeUninit::uninit();
static mut DEV: Dev = Dev(Io::new(false));

/// # Safety
/// Once per array: the slice is the only way to it afterwards.
unsafe fn slice<T, const N: usize>(array: *mut [T; N]) -> &'static mut [T] {
    &mut *array
}

/// # Safety
/// Called once, before anything else touches the statics.
unsafe fn setup(dev: &mut Dev) -> &'static mut State {
    let config = Config::new(HardwareAddress::Ethernet(EthernetAddress(OUR_MAC)));
    let mut iface = Interface::new(config, dev, Instant::ZERO);
    let [a, b, c, d] = OUR_IP;
    iface.update_ip_addrs(|addrs| {
        let _ = addrs.push(IpCidr::new(IpAddress::v4(a, b, c, d), 24));
    });
    let mut sockets = SocketSet::new(slice(addr_of_mut!(SOCKETS)));
    let mut socket = tcp::Socket::new(
        tcp::SocketBuffer::new(slice(addr_of_mut!(RX))),
        tcp::SocketBuffer::new(slice(addr_of_mut!(TX))),
    );
    let _ = socket.listen(ECHO_PORT);
    let server = sockets.add(socket);
    (*addr_of_mut!(STATE)).write(State {
        iface,
        sockets,
        server,
    })
}

/// Called by the C runtime's start code.
#[no_mangle]
pub extern "C" fn main(argc: i32, _argv: *const *const u8) -> i32 {
    // SAFETY: single-threaded; the statics are set up once, here.
    let dev = unsafe { &mut *addr_of_mut!(DEV) };
    dev.0.stdin = argc > 1;
    let state = unsafe { setup(dev) };
    let mut buf = [0u8; 256];
    let mut now = Instant::ZERO;
    for _ in 0..if dev.0.stdin { u32::MAX } else { 4 } {
        let busy =
            state.iface.poll(now, dev, &mut state.sockets) != smoltcp::iface::PollResult::None;
        now += Duration::from_millis(1);
        let s = state.sockets.get_mut::<tcp::Socket>(state.server);
        if !s.is_open() {
            let _ = s.listen(ECHO_PORT);
        }
        while s.can_send() {
            match s.recv_slice(&mut buf) {
                Ok(n @ 1..) => {
                    let _ = s.send_slice(&buf[..n]);
                }
                _ => break,
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
