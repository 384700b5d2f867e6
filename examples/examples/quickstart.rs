//! The README's std snippet, as a program the tests build and run (so the
//! snippet cannot rot): a stack on the TAP `tap7` at 192.168.69.1 echoes
//! "hello" through a TCP echo server at 192.168.69.100:7 on the host side.
//!
//! The host side, once, as root (see the README):
//!
//! ```text
//! ip tuntap add dev tap7 mode tap user $USER
//! ip addr add 192.168.69.100/24 dev tap7
//! ip link set tap7 up
//! socat TCP-LISTEN:7,fork,reuseaddr EXEC:cat &
//! ```
//!
//! It takes no flags: it is the snippet, word for word (a test checks),
//! not a tool.

use std::io::{Read, Write};
use std::time::Duration;

use rstcp::runtime::{Stack, StackConfig, TcpStream};

fn main() -> std::io::Result<()> {
    // Opens the TAP the host side made (or creates it, as root) and brings
    // it up if it is not.
    let tap = rstcp_tap::TapDevice::open("tap7")?;
    tap.set_up()?;
    let mut config = StackConfig::new("02:00:00:77:77:77".parse().unwrap());
    config.ipv4 = vec!["192.168.69.1/24".parse().unwrap()]; // none: DHCPv4
    let stack = Stack::start(tap, config)?;
    // RFC 5227: about 6 s of asking the link whether 192.168.69.1 is taken.
    stack.wait_configured(Duration::from_secs(10))?;
    let mut s = TcpStream::connect(&stack, ([192, 168, 69, 100], 7))?;
    s.write_all(b"hello")?;
    let mut echo = [0u8; 5];
    s.read_exact(&mut echo)?;
    println!("{}", String::from_utf8_lossy(&echo));
    Ok(())
}
