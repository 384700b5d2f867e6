//! embedded-nal-async on the std runtime (feature `embedded-nal-async`):
//! [`TcpConnect`], [`UdpStack`] and [`Dns`] on [`Stack`], so a client
//! written for embedded-nal-async (reqwless, rust-mqtt, …) runs on rstcp
//! unchanged, its connections being [`AsyncTcpStream`]s and its UDP
//! sockets [`AsyncUdpSocket`]s.
//!
//! [`Dns`] answers address literals at once (`"192.168.69.100"`,
//! `"[fd00::1]"`) and looks names up with the runtime's resolver
//! ([`lookup_host_family`]), which blocks the calling task's thread for the
//! lookup: an async resolver over [`AsyncUdpSocket`] would not.

use core::net::{IpAddr, SocketAddr};
use std::io;

use core::future::poll_fn;
use embedded_nal_async::{AddrType, ConnectedUdp, Dns, TcpConnect, UdpStack, UnconnectedUdp};

use super::async_tcp::AsyncTcpStream;
use super::async_udp::AsyncUdpSocket;
use super::dns::{lookup_host_family, AddrFamily};
use super::endpoint_to_socket_addr;
use super::stack::Stack;
use crate::socket::udp::UdpMetadata;
use crate::wire::IpEndpoint;

impl TcpConnect for Stack {
    type Error = io::Error;
    type Connection<'a> = AsyncTcpStream;

    async fn connect(&self, remote: SocketAddr) -> io::Result<AsyncTcpStream> {
        AsyncTcpStream::connect(self, remote).await
    }
}

impl Dns for Stack {
    type Error = io::Error;

    async fn get_host_by_name(&self, host: &str, addr_type: AddrType) -> io::Result<IpAddr> {
        let family = match addr_type {
            AddrType::IPv4 => AddrFamily::V4,
            AddrType::IPv6 => AddrFamily::V6,
            AddrType::Either => AddrFamily::Any,
        };
        // A literal is answered at once; a name is asked of the stack's
        // DNS servers by the runtime's resolver, which holds this task's
        // thread for the lookup (the stack's own thread keeps running).
        lookup_host_family(self, host, family)?
            .into_iter()
            .next()
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    std::format!("{host} has no {addr_type:?} address"),
                )
            })
    }

    async fn get_host_by_address(&self, addr: IpAddr, _result: &mut [u8]) -> io::Result<usize> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            std::format!("no reverse lookup of {addr}"),
        ))
    }
}

/// `local` with its address filled in when unspecified: the source the
/// interface would choose toward `remote` (or, with none, the first usable
/// address of the family), as `UdpStack` asks the stack to fix it.
fn fill_local(stack: &Stack, local: SocketAddr, remote: Option<IpAddr>) -> io::Result<SocketAddr> {
    if !local.ip().is_unspecified() {
        return Ok(local);
    }
    let toward = remote.unwrap_or(local.ip());
    let core = stack.shared().lock();
    match core.iface.inner.source_for(&toward) {
        Some(ip) => Ok(SocketAddr::new(ip, local.port())),
        None => Err(io::Error::new(
            io::ErrorKind::AddrNotAvailable,
            std::format!("no local address to reach {toward}"),
        )),
    }
}

impl UdpStack for Stack {
    type Error = io::Error;
    type Connected = AsyncUdpSocket;
    type UniquelyBound = AsyncUdpSocket;
    type MultiplyBound = AsyncUdpSocket;

    async fn connect_from(
        &self,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> io::Result<(SocketAddr, AsyncUdpSocket)> {
        let local = fill_local(self, local, Some(remote.ip()))?;
        let socket = AsyncUdpSocket::bind(self, local)?;
        socket.connect(remote)?;
        Ok((socket.local_addr()?, socket))
    }

    async fn bind_single(&self, local: SocketAddr) -> io::Result<(SocketAddr, AsyncUdpSocket)> {
        let local = fill_local(self, local, None)?;
        let socket = AsyncUdpSocket::bind(self, local)?;
        Ok((socket.local_addr()?, socket))
    }

    /// Bound to the port on every local address (the address of `local`
    /// is not used): each datagram received says which address it came to.
    async fn bind_multiple(&self, local: SocketAddr) -> io::Result<AsyncUdpSocket> {
        AsyncUdpSocket::bind(self, local.port())
    }
}

impl ConnectedUdp for AsyncUdpSocket {
    type Error = io::Error;

    async fn send(&mut self, data: &[u8]) -> io::Result<()> {
        AsyncUdpSocket::send(self, data).await.map(drop)
    }

    /// The datagram's whole length, which may exceed `buffer`'s (the rest
    /// is dropped), as the trait asks.
    async fn receive_into(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let (_, len, _) = poll_fn(|cx| self.poll_recv(cx, buffer, true)).await?;
        Ok(len)
    }
}

impl UnconnectedUdp for AsyncUdpSocket {
    type Error = io::Error;

    async fn send(&mut self, local: SocketAddr, remote: SocketAddr, data: &[u8]) -> io::Result<()> {
        let mut meta = UdpMetadata::from(IpEndpoint::new(remote.ip(), remote.port()));
        // An unspecified local address lets the interface choose (RFC 1122
        // §3.3.4.3).
        meta.local_address = (!local.ip().is_unspecified()).then(|| local.ip());
        poll_fn(|cx| self.poll_send(cx, data, Some(meta)))
            .await
            .map(drop)
    }

    async fn receive_into(
        &mut self,
        buffer: &mut [u8],
    ) -> io::Result<(usize, SocketAddr, SocketAddr)> {
        let (_, len, meta) = poll_fn(|cx| self.poll_recv(cx, buffer, false)).await?;
        let bound = self.local_addr()?;
        let local = meta.local_address.map_or(bound, |a| {
            endpoint_to_socket_addr(IpEndpoint::new(a, bound.port()))
        });
        Ok((len, local, endpoint_to_socket_addr(meta.endpoint)))
    }
}
