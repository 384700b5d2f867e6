//! Links the `rstcp` core into a binary that has no std at all, and runs it.
//!
//! Exit status 0 means the core's code ran and gave the expected answers.
#![no_std]
#![no_main]

use core::panic::PanicInfo;
use rstcp::wire::checksum;

#[panic_handler]
fn panic(_info: &PanicInfo) -> ! {
    loop {}
}

/// Called by the C runtime's start code.
#[no_mangle]
pub extern "C" fn main(_argc: i32, _argv: *const *const u8) -> i32 {
    // RFC 1071 §3 example words: the folded sum is 0xddf2.
    let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
    if checksum::sum(&data) != 0xddf2 {
        return 1;
    }
    0
}
