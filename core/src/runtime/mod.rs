//! A std runtime: the stack on its own thread, and blocking sockets shaped
//! like `std::net`'s.
//!
//! [`Stack::start`] takes a [`WaitDevice`](crate::phy::wait::WaitDevice) (a
//! TAP device, or the in-memory [`phy::pipe`](crate::phy::pipe) in tests)
//! and a [`StackConfig`], and runs the interface's poll loop on a thread of
//! its own. [`TcpStream`], [`TcpListener`] and [`UdpSocket`] then work as
//! their `std::net` namesakes do, with the stack passed where std would use
//! the kernel's; [`ping`] (and [`ping_seq`]) measures one echo round trip;
//! [`lookup_host`] resolves a name through the DNS servers the network gave
//! (or [`StackConfig::dns_servers`]), and `connect` takes `("host", port)`
//! ([`ToStackAddrs`]). Errors are
//! `std::io::Error`s of the kinds std uses (`ConnectionRefused`,
//! `ConnectionReset`, `TimedOut`, `AddrInUse`, `WouldBlock`, `NotConnected`,
//! `BrokenPipe`).
//!
//! ```no_run
//! # use std::io::Write;
//! # use rstcp::runtime::{Stack, StackConfig, TcpStream};
//! # let (device, _peer) = rstcp::phy::pipe::pair();
//! # let config = StackConfig::new(rstcp::wire::EthernetAddress([2, 0, 0, 0, 0, 1]));
//! let stack = Stack::start(device, config)?;
//! stack.wait_configured(std::time::Duration::from_secs(10))?;
//! let mut stream = TcpStream::connect(&stack, ([192, 168, 69, 2], 7))?;
//! stream.write_all(b"hello")?;
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! # How it runs
//!
//! The stack's thread loops: poll the interface, wake the user calls
//! waiting on it, sleep in the device's `wait` until a frame, the
//! interface's next deadline or a wake. User calls share the interface and
//! sockets with it behind one mutex; a call that changes a socket wakes the
//! thread through the device's [`Waker`](crate::phy::wait::Waker), and a
//! call that must wait sleeps on a condition variable of its own, which the
//! thread notifies after a poll that changed that call's socket. Sockets the application drops are freed by the thread
//! once their connection is over; nothing accumulates over thousands of
//! connections.

mod addresses;
#[cfg(any(
    feature = "futures-io",
    feature = "tokio",
    feature = "embedded-io-async"
))]
mod async_io;
#[cfg(feature = "embedded-nal-async")]
mod async_nal;
#[cfg(feature = "async")]
mod async_tcp;
#[cfg(feature = "async")]
mod async_udp;
mod batch;
mod config;
mod dns;
mod drive;
#[cfg(feature = "embedded-io")]
mod eio;
mod error;
#[cfg(feature = "embedded-nal")]
mod nal;
mod options;
mod outbox;
mod ping;
mod poller;
mod registry;
mod send;
mod stack;
mod tcp;
mod udp;

pub use self::addresses::{Address, AddressSource};
#[cfg(feature = "async")]
pub use self::async_tcp::{AsyncTcpListener, AsyncTcpStream};
#[cfg(feature = "async")]
pub use self::async_udp::AsyncUdpSocket;
pub use self::config::StackConfig;
pub use self::dns::{lookup_host, lookup_host_family, AddrFamily, ToStackAddrs};
#[cfg(feature = "embedded-nal")]
pub use self::nal::{NalError, NalTcpSocket, NalUdpSocket};
pub use self::ping::{ping, ping_seq};
pub use self::poller::{Event, Interest, Poller, Source};
pub use self::stack::Stack;
pub use self::tcp::{TcpListener, TcpStream};
pub use self::udp::UdpSocket;

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::wire::{IpEndpoint, IpListenEndpoint};

/// What a socket can be bound to: a port on every local address, or a
/// `SocketAddr` (its address unspecified for every local address).
pub trait ListenAddr {
    /// The endpoint to bind.
    fn listen_endpoint(&self) -> IpListenEndpoint;
    /// True for an IPv6 `SocketAddr` (reported back by `local_addr`).
    fn is_ipv6(&self) -> bool {
        false
    }
}

impl ListenAddr for u16 {
    fn listen_endpoint(&self) -> IpListenEndpoint {
        IpListenEndpoint::from(*self)
    }
}

impl ListenAddr for SocketAddr {
    fn listen_endpoint(&self) -> IpListenEndpoint {
        let addr = (!self.ip().is_unspecified()).then_some(self.ip());
        IpListenEndpoint {
            addr,
            port: self.port(),
        }
    }

    fn is_ipv6(&self) -> bool {
        self.is_ipv6()
    }
}

pub(crate) fn endpoint_to_socket_addr(ep: IpEndpoint) -> SocketAddr {
    SocketAddr::new(ep.addr, ep.port)
}

/// A listening endpoint as a `SocketAddr`: "any address" is shown as the
/// unspecified address of the family asked for.
pub(crate) fn listen_to_socket_addr(ep: IpListenEndpoint, v6: bool) -> SocketAddr {
    let any = if v6 {
        Ipv6Addr::UNSPECIFIED.into()
    } else {
        Ipv4Addr::UNSPECIFIED.into()
    };
    SocketAddr::new(ep.addr.unwrap_or(any), ep.port)
}
