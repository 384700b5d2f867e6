//! Blocking UDP: [`UdpSocket`], shaped like `std::net::UdpSocket`.

use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use std::vec;

use super::error;
use super::options::SocketOptions;
use super::stack::{Core, Deadline, Expired, Shared, Stack, Watch};
use super::{endpoint_to_socket_addr, listen_to_socket_addr, ListenAddr};
use crate::socket::udp::{self, SendError, SocketError, UdpMetadata};
use crate::socket::SocketHandle;
use crate::storage::{PacketBuffer, PacketMetadata};
use crate::wire::IpEndpoint;

/// A UDP socket (like `std::net::UdpSocket`).
///
/// `send_to` blocks only while the socket's send buffer is full; `recv_from`
/// until a datagram arrives, the read timeout passes (`WouldBlock`, as std
/// on Unix) or, in nonblocking mode, fails with `WouldBlock` at once. After
/// [`connect`](Self::connect), `send`/`recv` talk to that peer only, and an
/// ICMP port unreachable from it fails the next call with
/// `ConnectionRefused`.
///
/// Dropping the socket frees it once datagrams already queued were sent.
pub struct UdpSocket {
    shared: Arc<Shared>,
    handle: SocketHandle,
    local: SocketAddr,
    options: SocketOptions,
}

/// For `send`/`recv` on a connected socket: fails when it is not
/// connected, or with the error an ICMP message from the peer left.
fn check_connected(s: &mut udp::UdpSocket<'_>) -> io::Result<()> {
    if s.remote_endpoint().is_none() {
        return Err(io::Error::new(
            ErrorKind::NotConnected,
            "the UDP socket is not connected",
        ));
    }
    match s.take_error() {
        Some(e) => Err(socket_error(e)),
        None => Ok(()),
    }
}

fn send_error(e: SendError) -> io::Error {
    let kind = match e {
        SendError::BroadcastNotEnabled => ErrorKind::PermissionDenied,
        _ => ErrorKind::InvalidInput,
    };
    io::Error::new(kind, e)
}

fn socket_error(e: SocketError) -> io::Error {
    let kind = match e {
        SocketError::ConnectionRefused => ErrorKind::ConnectionRefused,
        SocketError::HostUnreachable => ErrorKind::HostUnreachable,
        SocketError::NetworkUnreachable => ErrorKind::NetworkUnreachable,
        #[allow(unreachable_patterns)]
        _ => ErrorKind::Other,
    };
    io::Error::new(kind, e)
}

fn expired(e: Expired, what: &str) -> io::Error {
    match e {
        Expired::WouldBlock => error::would_block(what),
        Expired::TimedOut => error::timed_out(ErrorKind::WouldBlock, what),
    }
}

impl UdpSocket {
    /// A socket bound to `addr` (a port, or a `SocketAddr`; port 0 picks a
    /// free one). Fails with `AddrInUse` when the port is taken.
    pub fn bind(stack: &Stack, addr: impl ListenAddr) -> io::Result<UdpSocket> {
        let shared = stack.shared();
        let endpoint = addr.listen_endpoint();
        let (handle, ep) = shared.with(|core| {
            let buffer = |c: &Core| {
                PacketBuffer::new(
                    vec![PacketMetadata::<UdpMetadata>::EMPTY; c.config.udp_packets.max(1)],
                    vec![0u8; c.config.udp_buffer],
                )
            };
            let (rx, tx) = (buffer(core), buffer(core));
            let h = core.add(udp::UdpSocket::new(rx, tx))?;
            match core.sockets.bind_udp(h, endpoint) {
                Ok(ep) => Ok((h, ep)),
                Err(e) => {
                    core.remove(h);
                    Err(error::set(e, &std::format!("binding UDP {endpoint}")))
                }
            }
        })?;
        Ok(UdpSocket {
            shared: shared.clone(),
            handle,
            local: listen_to_socket_addr(ep, addr.is_ipv6()),
            options: SocketOptions::default(),
        })
    }

    pub(super) fn socket(
        core: &mut Core,
        h: SocketHandle,
    ) -> io::Result<&mut udp::UdpSocket<'static>> {
        core.sockets
            .get_mut::<udp::UdpSocket>(h)
            .ok_or_else(|| io::Error::other("the UDP socket is gone"))
    }

    pub(crate) fn handle(&self) -> SocketHandle {
        self.handle
    }

    #[cfg(feature = "async")]
    pub(super) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// The address bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }

    /// The connected peer.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        let mut core = self.shared.lock();
        Self::socket(&mut core, self.handle)?
            .remote_endpoint()
            .map(endpoint_to_socket_addr)
            .ok_or_else(|| {
                io::Error::new(ErrorKind::NotConnected, "the UDP socket is not connected")
            })
    }

    /// Sends and receives to and from `addr` only.
    pub fn connect(&self, addr: impl Into<SocketAddr>) -> io::Result<()> {
        let addr = addr.into();
        let h = self.handle;
        self.shared.with(|core| {
            Self::socket(core, h)?
                .connect(IpEndpoint::new(addr.ip(), addr.port()))
                .map_err(|e| io::Error::new(ErrorKind::InvalidInput, e))
        })
    }

    /// Queues one datagram to `addr`; returns its length.
    pub fn send_to(&self, buf: &[u8], addr: impl Into<SocketAddr>) -> io::Result<usize> {
        let addr = addr.into();
        let meta = UdpMetadata::from(IpEndpoint::new(addr.ip(), addr.port()));
        self.send_inner(buf, Some(meta))
    }

    /// Queues one datagram to the connected peer.
    pub fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.send_inner(buf, None)
    }

    fn send_inner(&self, buf: &[u8], meta: Option<UdpMetadata>) -> io::Result<usize> {
        let o = self.options.get();
        let r = self.shared.block(
            Deadline::new(o.nonblocking, o.write_timeout),
            Watch::Socket(self.handle),
            |core| self.try_send(core, buf, meta),
        )?;
        r.map_err(|e| expired(e, "send"))
    }

    /// One try at queueing a datagram (to `meta`'s endpoint, or to the
    /// connected peer): `None` when the send buffer has no room.
    pub(super) fn try_send(
        &self,
        core: &mut Core,
        buf: &[u8],
        meta: Option<UdpMetadata>,
    ) -> io::Result<Option<usize>> {
        let s = Self::socket(core, self.handle)?;
        let sent = match meta {
            Some(meta) => s.send_slice(buf, meta),
            None => {
                check_connected(s)?;
                s.send_slice_connected(buf)
            }
        };
        match sent {
            Ok(()) => {
                core.kick();
                Ok(Some(buf.len()))
            }
            Err(SendError::BufferFull) => Ok(None),
            Err(e) => Err(send_error(e)),
        }
    }

    /// Waits for a datagram; copies as much as fits into `buf` (the rest is
    /// lost, as with std) and returns that length and the sender.
    pub fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        self.recv_inner(buf, false)
    }

    /// [`recv_from`](Self::recv_from) on a connected socket.
    pub fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        self.recv_inner(buf, true).map(|(n, _)| n)
    }

    fn recv_inner(&self, buf: &mut [u8], connected: bool) -> io::Result<(usize, SocketAddr)> {
        let o = self.options.get();
        let r = self.shared.block(
            Deadline::new(o.nonblocking, o.read_timeout),
            Watch::Socket(self.handle),
            |core| self.try_recv(core, buf, connected),
        )?;
        r.map(|(n, _, meta)| (n, endpoint_to_socket_addr(meta.endpoint)))
            .map_err(|e| expired(e, "receive"))
    }

    /// One try at taking a datagram (from the connected peer only, when
    /// `connected`): the bytes copied into `buf` (the rest is dropped),
    /// the datagram's whole length, and where it came from and went to;
    /// `None` when none waits.
    pub(super) fn try_recv(
        &self,
        core: &mut Core,
        buf: &mut [u8],
        connected: bool,
    ) -> io::Result<Option<(usize, usize, UdpMetadata)>> {
        let s = Self::socket(core, self.handle)?;
        if connected {
            check_connected(s)?;
        }
        match s.recv() {
            Ok((data, meta)) => {
                let n = data.len().min(buf.len());
                buf[..n].copy_from_slice(&data[..n]);
                Ok(Some((n, data.len(), meta)))
            }
            Err(_) => Ok(None),
        }
    }

    /// How long a receive waits (`None`: forever). Zero is refused, as by
    /// std.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.options.set_read_timeout(timeout)
    }

    /// How long a send waits for buffer room (`None`: forever).
    pub fn set_write_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.options.set_write_timeout(timeout)
    }

    /// In nonblocking mode calls that would wait fail with `WouldBlock`.
    pub fn set_nonblocking(&self, nonblocking: bool) -> io::Result<()> {
        self.options.set_nonblocking(nonblocking)
    }

    /// Allows sending to the limited broadcast address (`SO_BROADCAST`).
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        let h = self.handle;
        self.shared.with(|core| {
            Self::socket(core, h)?.set_broadcast(on);
            Ok(())
        })
    }
}

impl Drop for UdpSocket {
    fn drop(&mut self) {
        let h = self.handle;
        self.shared.release(|core| {
            core.registry.forget(h);
            core.orphan(h);
        });
    }
}

impl core::fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("UdpSocket")
            .field("local", &self.local)
            .finish()
    }
}
