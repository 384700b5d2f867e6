//! Async UDP over the std runtime (features `std` and `async`):
//! [`AsyncUdpSocket`], the runtime's [`UdpSocket`] for an executor, woken
//! by the core socket's wakers as [`AsyncTcpStream`](super::AsyncTcpStream)
//! is.

use core::future::poll_fn;
use core::task::{Context, Poll};
use std::io;
use std::net::SocketAddr;

use super::async_tcp::ready;
use super::stack::Stack;
use super::udp::UdpSocket;
use super::{endpoint_to_socket_addr, ListenAddr};
use crate::socket::udp::UdpMetadata;
use crate::wire::IpEndpoint;

/// A UDP socket for async code, on the std runtime's stack.
#[derive(Debug)]
pub struct AsyncUdpSocket {
    inner: UdpSocket,
}

/// A datagram received: bytes copied, its whole length, its metadata.
pub(super) type Received = (usize, usize, UdpMetadata);

impl AsyncUdpSocket {
    /// Binds to `addr` (port 0: an ephemeral port).
    pub fn bind(stack: &Stack, addr: impl ListenAddr) -> io::Result<Self> {
        UdpSocket::bind(stack, addr).map(|inner| AsyncUdpSocket { inner })
    }

    /// Only datagrams from `addr` from now on, and `send` goes there.
    pub fn connect(&self, addr: impl Into<SocketAddr>) -> io::Result<()> {
        self.inner.connect(addr)
    }

    /// The local address bound.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// Queues a datagram to `addr`, waiting for room in the send buffer.
    pub async fn send_to(&self, buf: &[u8], addr: impl Into<SocketAddr>) -> io::Result<usize> {
        let addr = addr.into();
        let meta = UdpMetadata::from(IpEndpoint::new(addr.ip(), addr.port()));
        poll_fn(|cx| self.poll_send(cx, buf, Some(meta))).await
    }

    /// Queues a datagram to the connected peer.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_send(cx, buf, None)).await
    }

    /// The next datagram (cut to `buf`) and its sender.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        let (n, _, meta) = poll_fn(|cx| self.poll_recv(cx, buf, false)).await?;
        Ok((n, endpoint_to_socket_addr(meta.endpoint)))
    }

    /// The next datagram from the connected peer, cut to `buf`.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        let (n, _, _) = poll_fn(|cx| self.poll_recv(cx, buf, true)).await?;
        Ok(n)
    }

    /// Queues a datagram (to `meta`'s endpoint, or the connected peer), or
    /// registers the task to be woken when one leaves and returns `Pending`.
    pub(super) fn poll_send(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        meta: Option<UdpMetadata>,
    ) -> Poll<io::Result<usize>> {
        let s = &self.inner;
        ready(s.shared().with(|core| {
            let r = s.try_send(core, buf, meta)?;
            if r.is_none() {
                UdpSocket::socket(core, s.handle())?.register_send_waker(cx.waker());
            }
            Ok(r)
        }))
    }

    /// Takes a datagram, or registers the task to be woken when one comes
    /// and returns `Pending`.
    pub(super) fn poll_recv(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
        connected: bool,
    ) -> Poll<io::Result<Received>> {
        let s = &self.inner;
        ready(s.shared().with(|core| {
            let r = s.try_recv(core, buf, connected)?;
            if r.is_none() {
                UdpSocket::socket(core, s.handle())?.register_recv_waker(cx.waker());
            }
            Ok(r)
        }))
    }
}
