//! A Linux TAP (or TUN) device for `rstcp`.
//!
//! [`TapDevice::open`] attaches to (or creates) a TAP interface through
//! `/dev/net/tun` with `TUNSETIFF` (`IFF_TAP | IFF_NO_PI`): every `read(2)`
//! on the fd returns one whole Ethernet frame the kernel sent to the
//! interface, every `write(2)` injects one. The device implements
//! [`rstcp::phy::Device`] over two buffers allocated once, so no frame
//! allocates, and [`rstcp::phy::wait::WaitDevice`] with `ppoll(2)` over the
//! TAP fd and an eventfd, so a thread can sleep until a frame, a deadline or
//! a wake from another thread.
//!
//! ```no_run
//! use rstcp::phy::wait::WaitDevice;
//! use rstcp_tap::TapDevice;
//!
//! let mut tap = TapDevice::open("tap0")?;
//! tap.set_up()?;
//! println!("{} has MTU {}", tap.name(), tap.mtu());
//! tap.wait(Some(std::time::Duration::from_millis(10)))?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! With the std runtime, a TAP is all a program needs to talk TCP (the
//! README's snippet, kept compiling here):
//!
//! ```no_run
//! use std::io::Write;
//! use rstcp::runtime::{Stack, StackConfig, TcpStream};
//!
//! let tap = rstcp_tap::TapDevice::open("tap7")?;
//! let mut config = StackConfig::new("02:00:00:77:77:77".parse().unwrap());
//! config.ipv4 = vec!["192.168.69.1/24".parse().unwrap()]; // none: DHCPv4
//! let stack = Stack::start(tap, config)?;
//! stack.wait_configured(std::time::Duration::from_secs(10))?;
//! let mut s = TcpStream::connect(&stack, ([192, 168, 69, 100], 7))?;
//! s.write_all(b"hello")?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! [`TapDevice::open_with_offload`] asks the kernel for its offloads
//! (`IFF_VNET_HDR`, `TUNSETOFFLOAD`): every frame then carries a virtio-net
//! header, the stack hands the kernel TCP super-segments of up to 64 KB to
//! cut (TSO) and leaves checksums to it, and the kernel hands over its own
//! super-segments uncut. [`TapDevice::offloads`] says what it agreed to;
//! [`TapDevice::open`] keeps plain frames (for programs that read or write
//! the frames themselves, or record them).
//!
//! [`TapDevice::open_tun`] opens a TUN instead (`IFF_TUN`): bare IP
//! packets, no Ethernet, and the stack runs without ARP or neighbour
//! resolution ([`rstcp::phy::Medium::Ip`]); with the std runtime give it a
//! static IPv4 address (DHCPv4 needs a broadcast link):
//!
//! ```no_run
//! use rstcp::runtime::{Stack, StackConfig};
//!
//! // Host side: ip addr add 10.7.0.1/24 dev tun7 && ip link set tun7 up
//! let tun = rstcp_tap::TapDevice::open_tun("tun7")?;
//! let mut config = StackConfig::new("02:00:00:77:77:77".parse().unwrap());
//! config.ipv4 = vec!["10.7.0.2/24".parse().unwrap()];
//! let stack = Stack::start(tun, config)?; // addresses usable at once
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Opening a TAP or TUN needs `CAP_NET_ADMIN` (root) unless the interface was
//! created beforehand for the user (`ip tuntap add NAME mode tap user U`).
//!
//! This is the only crate of the workspace with `unsafe`: each block is a
//! libc call with its `// SAFETY:` argument next to it.
#![forbid(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

mod device;
mod ifreq;
mod offload;
mod tun;
mod wake;

pub use device::{TapDevice, TapRxToken, TapStats, TapTxToken};
pub use ifreq::MAX_NAME_LEN;
pub use offload::TapOffloads;
pub use wake::EventWaker;
