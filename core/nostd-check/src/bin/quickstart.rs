//! The bare-metal quick start of the README and the crate docs
//! (`core/doc/bare_metal.rs`, included below word for word), linked
//! without std and run over a stand-in NIC: a link with nobody on it, and
//! a clock that moves 1 ms per wait. The run exits 0 after 10 s of that
//! clock, in which the server probed its address (RFC 5227) and started
//! listening, and 1 if the stand-in saw no frame at all.
#![no_std]
#![no_main]

use core::cell::Cell;
use core::panic::PanicInfo;

include!("../../../doc/bare_metal.rs");

extern "C" {
    fn exit(status: i32) -> !;
}

#[panic_handler]
fn panic(_info: &PanicInfo) -> ! {
    // SAFETY: libc's exit, with no Rust state to tear down.
    unsafe { exit(101) }
}

/// The host's prebuilt `core` keeps unwinding tables that name this symbol;
/// with `panic = "abort"` nothing ever calls it (a board's target, whose
/// `core` is built for abort, does not need it).
#[no_mangle]
extern "C" fn rust_eh_personality() {}

/// The stand-in NIC: frames sent are counted and dropped, none arrive.
struct Nic {
    sent: u32,
    frame: [u8; 1514],
}

/// The transmit token of [`Nic`].
struct Tx<'a>(&'a mut Nic);

impl rstcp::phy::TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        self.0.sent += 1;
        f(&mut self.0.frame[..len])
    }
}

/// Never lent: nothing arrives.
struct Rx;

impl rstcp::phy::RxToken for Rx {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, f: F) -> R {
        f(&mut [])
    }
}

impl Device for Nic {
    type RxToken<'a> = Rx;
    type TxToken<'a> = Tx<'a>;

    fn receive(&mut self, _now: Instant) -> Option<(Rx, Tx<'_>)> {
        None
    }

    fn transmit(&mut self, _now: Instant) -> Option<Tx<'_>> {
        Some(Tx(self))
    }

    fn capabilities(&self) -> rstcp::phy::DeviceCapabilities {
        rstcp::phy::DeviceCapabilities::ethernet(1500)
    }
}

/// Called by the C runtime's start code.
#[no_mangle]
pub extern "C" fn main(_argc: i32, _argv: *const *const u8) -> i32 {
    let mut nic = Nic {
        sent: 0,
        frame: [0; 1514],
    };
    let sent: *const u32 = &nic.sent;
    let now = Cell::new(Instant::ZERO);
    let sleep = |delay: Option<Duration>| {
        now.set(
            now.get()
                + delay
                    .unwrap_or(Duration::from_secs(1))
                    .min(Duration::from_millis(1)),
        );
        if now.get() >= Instant::from_secs(10) {
            // SAFETY: `nic` lives for the whole of `main` (run never
            // returns); reading its counter races with nothing (one thread).
            let frames = unsafe { *sent };
            unsafe { exit(if frames > 0 { 0 } else { 1 }) }
        }
    };
    run(&mut nic, || now.get(), sleep, 0x5eed)
}
