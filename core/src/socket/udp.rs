//! UDP sockets (RFC 768, with the host rules of RFC 1122 §4.1).
//!
//! A [`UdpSocket`] owns two [`PacketBuffer`]s of datagrams, one per
//! direction, in storage the application provides. The application writes
//! a datagram straight into the transmit buffer ([`UdpSocket::send`] lends
//! the slice) and the interface hands it to a device token from there; the
//! one copy of a received datagram is the interface's copy from the device
//! buffer into the receive buffer (`UdpSocket::process`), from which the
//! application reads in place ([`UdpSocket::recv`]).
//!
//! # How the interface drives a socket
//!
//! - Receive: for a UDP datagram from `src` to `dst`, deliver to every open
//!   socket whose `accepts` says yes (usually one; for
//!   broadcast or multicast, each), by calling
//!   `process`. If none accepts, answer with ICMP Port
//!   Unreachable (RFC 1122 §4.1.3.1), unless the datagram was a broadcast or
//!   multicast (RFC 1122 §3.2.2).
//! - Transmit: call `dispatch` whenever
//!   `poll_at` is due; its closure builds the UDP and IP
//!   headers around the payload (choosing the source address when the
//!   metadata leaves it `None`) and returns `Err` when the device has no
//!   transmit token or the neighbor is not resolved yet, which keeps the
//!   datagram queued.
//! - ICMP errors: for an error quoting a UDP datagram from `local` to
//!   `remote`, call `process_icmp_error` on
//!   the sockets for which `accepts(&remote, &local)` holds.

use core::fmt;

pub use super::error::{RecvError, SendError, SocketError};
use super::waker::SocketWakers;
use crate::storage::{Empty, Full, PacketBuffer};
use crate::time::Instant;
use crate::wire::{IpAddr, IpEndpoint, IpListenEndpoint, Ipv4Addr};

/// The largest UDP payload over IPv4: 65 535 minus the 20-byte IPv4 header
/// and the 8-byte UDP header (RFC 791 total length, RFC 768 length).
pub const MAX_PAYLOAD_V4: usize = 65_507;
/// The largest UDP payload over IPv6 without jumbograms: a 65 535-byte
/// payload length (RFC 8200 §3) minus the 8-byte UDP header.
pub const MAX_PAYLOAD_V6: usize = 65_527;

/// Where a datagram comes from or goes to, and how it is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct UdpMetadata {
    /// The remote endpoint: the source of a received datagram, the
    /// destination of one to send.
    pub endpoint: IpEndpoint,
    /// The local address: the destination of a received datagram (which
    /// tells a socket bound to "any" which of its addresses, or which
    /// broadcast/multicast group, was used); for one to send, the source to
    /// use, or `None` to let the interface choose.
    pub local_address: Option<IpAddr>,
    /// For a datagram to send, the hop limit (IPv4 TTL) to use instead of
    /// the socket's. `None` on received datagrams.
    pub hop_limit: Option<u8>,
}

impl From<IpEndpoint> for UdpMetadata {
    fn from(endpoint: IpEndpoint) -> UdpMetadata {
        UdpMetadata {
            endpoint,
            local_address: None,
            hop_limit: None,
        }
    }
}

/// Why [`Socket::bind`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum BindError {
    /// The socket is already bound; close it first.
    InvalidState,
    /// Port 0: the socket set picks an ephemeral port before calling bind.
    Unaddressable,
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BindError::InvalidState => f.write_str("socket already bound"),
            BindError::Unaddressable => f.write_str("cannot bind to port 0"),
        }
    }
}

impl core::error::Error for BindError {}

/// Why [`Socket::connect`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ConnectError {
    /// The socket is not bound yet.
    InvalidState,
    /// The remote address is unspecified, its port is 0, or its family is
    /// not that of the bound local address.
    Unaddressable,
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConnectError::InvalidState => f.write_str("socket not bound"),
            ConnectError::Unaddressable => f.write_str("remote endpoint unaddressable"),
        }
    }
}

impl core::error::Error for ConnectError {}

/// What a socket has seen since it was created (wrapping counters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct UdpCounters {
    /// Datagrams queued for the application.
    pub rx_datagrams: u64,
    /// Datagrams handed to the interface for transmission.
    pub tx_datagrams: u64,
    /// Datagrams dropped because the receive buffer was full.
    pub rx_dropped_full: u64,
}

/// A UDP socket: datagrams to and from one local port.
///
/// Its two queues are [`PacketBuffer`]s over memory the caller lends. Bind
/// it through the set ([`SocketSet::bind_udp`](crate::socket::SocketSet::bind_udp)),
/// or with [`bind`](Self::bind) before or after adding it: the set
/// registers the port either way.
///
/// # Example
///
/// ```
/// # use rstcp::iface::{Config, Interface, InterfaceStorage};
/// # use rstcp::socket::{IndexSlot, SocketSet, SocketStorage};
/// # use rstcp::time::Instant;
/// # use rstcp::wire::{EthernetAddress, Ipv4Addr, Ipv4Cidr};
/// # let mut config = Config::new(EthernetAddress([0x02, 0, 0, 0, 0, 0x01]));
/// # config.ipv4_probe = false;
/// # let mut iface = Interface::new(config, InterfaceStorage::none(), Instant::ZERO);
/// # let cidr = Ipv4Cidr::new(Ipv4Addr::new(192, 168, 69, 1), 24).unwrap();
/// # iface.add_ipv4_address(cidr, Instant::ZERO).unwrap();
/// # let mut slots = [SocketStorage::EMPTY; 4];
/// # let mut index = [IndexSlot::default(); 8];
/// # let mut sockets = SocketSet::new(&mut slots[..], &mut index[..], 0x5eed);
/// use rstcp::socket::udp::{self, UdpMetadata};
/// use rstcp::storage::{PacketBuffer, PacketMetadata};
/// use rstcp::wire::{IpAddr, IpEndpoint};
///
/// // Each queue: up to 4 datagrams, 1500 bytes in all.
/// let (mut rx_meta, mut rx) = ([PacketMetadata::<UdpMetadata>::EMPTY; 4], [0u8; 1500]);
/// let (mut tx_meta, mut tx) = ([PacketMetadata::<UdpMetadata>::EMPTY; 4], [0u8; 1500]);
/// let socket = udp::Socket::new(
///     PacketBuffer::new(&mut rx_meta[..], &mut rx[..]),
///     PacketBuffer::new(&mut tx_meta[..], &mut tx[..]),
/// );
/// let handle = sockets.add(socket).unwrap();
/// sockets.bind_udp(handle, 5000).unwrap();
///
/// let socket = sockets.get_mut::<udp::Socket>(handle).unwrap();
/// let to = IpEndpoint::new(IpAddr::V4(Ipv4Addr::new(192, 168, 69, 100)), 7);
/// // Queued; the next poll sends it (after ARP for a new neighbor).
/// socket.send_slice(b"hello", to.into()).unwrap();
///
/// // In the loop, after each poll: the datagrams that arrived.
/// let mut buf = [0u8; 1500];
/// while let Ok((n, meta)) = socket.recv_slice(&mut buf) {
///     let _reply_to: UdpMetadata = meta.endpoint.into();
///     let _data = &buf[..n];
/// }
/// ```
#[derive(Debug)]
pub struct Socket<'a> {
    endpoint: IpListenEndpoint,
    remote: Option<IpEndpoint>,
    rx_buffer: PacketBuffer<'a, UdpMetadata>,
    tx_buffer: PacketBuffer<'a, UdpMetadata>,
    hop_limit: Option<u8>,
    broadcast: bool,
    error: Option<SocketError>,
    /// The destination of the last datagram that left, for ICMP errors on
    /// a socket that is not connected (see `process_icmp_error`).
    last_destination: Option<IpEndpoint>,
    /// Where the datagrams in the transmit buffer go, as far as the
    /// interface needs to know: all to one address, or not.
    tx_destinations: Destinations,
    counters: UdpCounters,
    /// Tasks awaiting a datagram or room (feature `async`).
    wakers: SocketWakers,
}

/// The former name of [`Socket`]: it stays for existing code (it is the same
/// type), but new code should say `udp::Socket`, so that it is never
/// confused with the std-like `rstcp::runtime::UdpSocket` (a blocking handle on
/// the threaded runtime, `std` feature).
pub type UdpSocket<'a> = Socket<'a>;

/// Where the queued datagrams go (see
/// [`Socket::queued_for_one_destination`]). Conservative: once two
/// addresses were queued it stays `Several` until the buffer empties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Destinations {
    None,
    One(IpAddr),
    Several,
}

impl<'a> UdpSocket<'a> {
    /// A closed socket with the given receive and transmit buffers.
    pub fn new(
        rx_buffer: PacketBuffer<'a, UdpMetadata>,
        tx_buffer: PacketBuffer<'a, UdpMetadata>,
    ) -> UdpSocket<'a> {
        UdpSocket {
            endpoint: IpListenEndpoint::default(),
            remote: None,
            rx_buffer,
            tx_buffer,
            hop_limit: None,
            broadcast: false,
            error: None,
            last_destination: None,
            tx_destinations: Destinations::None,
            counters: UdpCounters::default(),
            wakers: SocketWakers::new(),
        }
    }

    /// Binds to a local port (and optionally one local address).
    ///
    /// Port 0 is refused: ephemeral ports are the socket set's job, which
    /// knows which ports are free (RFC 6056 port randomisation).
    ///
    /// A socket bound here, before [`SocketSet::add`](super::SocketSet::add)
    /// or through [`SocketSet::get_mut`](super::SocketSet::get_mut), is
    /// registered with the set by `add` or before the set's next lookup.
    /// Only [`SocketSet::bind_udp`](super::SocketSet::bind_udp) can say at
    /// once that another socket holds the port: bound here, the socket is
    /// closed when the set finds the conflict
    /// ([`SocketSet::bind_conflicts`](super::SocketSet::bind_conflicts)).
    pub fn bind<T: Into<IpListenEndpoint>>(&mut self, endpoint: T) -> Result<(), BindError> {
        let endpoint = endpoint.into();
        if endpoint.port == 0 {
            return Err(BindError::Unaddressable);
        }
        if self.is_open() {
            return Err(BindError::InvalidState);
        }
        self.endpoint = endpoint;
        Ok(())
    }

    /// Fixes the remote endpoint: from now on only datagrams from `remote`
    /// are accepted, ICMP errors about it are reported, and
    /// [`send_connected`](Self::send_connected) needs no destination.
    /// Connecting again replaces the remote.
    pub fn connect(&mut self, remote: IpEndpoint) -> Result<(), ConnectError> {
        if !self.is_open() {
            return Err(ConnectError::InvalidState);
        }
        if remote.addr.is_unspecified() || remote.port == 0 {
            return Err(ConnectError::Unaddressable);
        }
        if let Some(local) = self.endpoint.addr {
            if local.is_ipv4() != remote.addr.is_ipv4() {
                return Err(ConnectError::Unaddressable);
            }
        }
        self.remote = Some(remote);
        Ok(())
    }

    /// Forgets the remote endpoint: datagrams from anyone are accepted again.
    pub fn disconnect(&mut self) {
        self.remote = None;
    }

    /// Unbinds and disconnects, dropping every queued datagram and any
    /// pending error. The counters are kept.
    pub fn close(&mut self) {
        self.endpoint = IpListenEndpoint::default();
        self.remote = None;
        self.rx_buffer.reset();
        self.tx_buffer.reset();
        self.error = None;
        self.last_destination = None;
        self.wakers.wake_all();
    }

    /// True once bound.
    pub fn is_open(&self) -> bool {
        self.endpoint.is_specified()
    }

    /// Where the last datagram sent went: the peer an error from
    /// [`take_error`](Self::take_error) concerns on a socket that is not
    /// connected.
    pub fn last_destination(&self) -> Option<IpEndpoint> {
        self.last_destination
    }

    /// The local endpoint (port 0 while closed).
    pub fn endpoint(&self) -> IpListenEndpoint {
        self.endpoint
    }

    /// The remote endpoint when connected.
    pub fn remote_endpoint(&self) -> Option<IpEndpoint> {
        self.remote
    }

    /// The hop limit (IPv4 TTL) of outgoing datagrams; `None` for the
    /// interface's default.
    pub fn hop_limit(&self) -> Option<u8> {
        self.hop_limit
    }

    /// Sets the hop limit of outgoing datagrams. `Some(0)` is taken as
    /// `None`: RFC 1122 §3.2.1.7 forbids sending a datagram with TTL 0.
    pub fn set_hop_limit(&mut self, hop_limit: Option<u8>) {
        self.hop_limit = hop_limit.filter(|&h| h != 0);
    }

    /// Whether sending to a broadcast address is allowed.
    pub fn broadcast(&self) -> bool {
        self.broadcast
    }

    /// Allows or forbids sending to broadcast addresses, like
    /// `SO_BROADCAST`: off by default so that a mistyped address does not
    /// flood a link. The socket checks the limited broadcast address
    /// (255.255.255.255); the interface, which knows its subnets, checks
    /// directed broadcasts with [`broadcast`](Self::broadcast).
    pub fn set_broadcast(&mut self, enabled: bool) {
        self.broadcast = enabled;
    }

    /// Takes the error an ICMP message reported, if any. Each error is
    /// reported once.
    pub fn take_error(&mut self) -> Option<SocketError> {
        self.error.take()
    }

    /// The socket's counters.
    pub fn counters(&self) -> UdpCounters {
        self.counters
    }

    /// True when a datagram can be queued (a free packet slot).
    pub fn can_send(&self) -> bool {
        !self.tx_buffer.is_full()
    }

    /// True when a datagram is waiting.
    pub fn can_recv(&self) -> bool {
        !self.rx_buffer.is_empty()
    }

    /// Datagrams the receive buffer can hold.
    pub fn packet_recv_capacity(&self) -> usize {
        self.rx_buffer.packet_capacity()
    }

    /// Datagrams the transmit buffer can hold.
    pub fn packet_send_capacity(&self) -> usize {
        self.tx_buffer.packet_capacity()
    }

    /// Payload bytes the receive buffer can hold.
    pub fn payload_recv_capacity(&self) -> usize {
        self.rx_buffer.payload_capacity()
    }

    /// Payload bytes the transmit buffer can hold.
    pub fn payload_send_capacity(&self) -> usize {
        self.tx_buffer.payload_capacity()
    }

    /// Queues a datagram of `size` bytes to `meta.endpoint` and lends its
    /// payload for writing (zero copy: fill the whole slice).
    pub fn send(&mut self, size: usize, meta: UdpMetadata) -> Result<&mut [u8], SendError> {
        self.check_send(size, &meta)?;
        let dst = meta.endpoint.addr;
        let destinations = match self.tx_destinations {
            _ if self.tx_buffer.is_empty() => Destinations::One(dst),
            Destinations::One(a) if a == dst => Destinations::One(dst),
            _ => Destinations::Several,
        };
        let payload = self
            .tx_buffer
            .enqueue(size, meta)
            .map_err(|Full| SendError::BufferFull)?;
        self.tx_destinations = destinations;
        Ok(payload)
    }

    /// Queues a copy of `data` to `meta.endpoint`.
    pub fn send_slice(&mut self, data: &[u8], meta: UdpMetadata) -> Result<(), SendError> {
        self.send(data.len(), meta)?.copy_from_slice(data);
        Ok(())
    }

    /// [`send`](Self::send) to the connected remote.
    /// [`SendError::Unaddressable`] when not connected.
    pub fn send_connected(&mut self, size: usize) -> Result<&mut [u8], SendError> {
        let remote = self.remote.ok_or(SendError::Unaddressable)?;
        self.send(size, remote.into())
    }

    /// [`send_slice`](Self::send_slice) to the connected remote.
    pub fn send_slice_connected(&mut self, data: &[u8]) -> Result<(), SendError> {
        self.send_connected(data.len())?.copy_from_slice(data);
        Ok(())
    }

    fn check_send(&self, size: usize, meta: &UdpMetadata) -> Result<(), SendError> {
        let remote = meta.endpoint;
        if !self.is_open() || remote.port == 0 || remote.addr.is_unspecified() {
            return Err(SendError::Unaddressable);
        }
        // A datagram leaves with one source address, of the destination's
        // family.
        let v4 = remote.addr.is_ipv4();
        let local = meta.local_address.or(self.endpoint.addr);
        if local.is_some_and(|l| l.is_ipv4() != v4) {
            return Err(SendError::Unaddressable);
        }
        let max = if v4 { MAX_PAYLOAD_V4 } else { MAX_PAYLOAD_V6 };
        if size > max || size > self.tx_buffer.payload_capacity() {
            return Err(SendError::TooLarge);
        }
        if remote.addr == IpAddr::V4(Ipv4Addr::BROADCAST) && !self.broadcast {
            return Err(SendError::BroadcastNotEnabled);
        }
        Ok(())
    }

    /// Takes the oldest datagram and lends its payload, with where it came
    /// from.
    pub fn recv(&mut self) -> Result<(&[u8], UdpMetadata), RecvError> {
        let (meta, payload) = self
            .rx_buffer
            .dequeue()
            .map_err(|Empty| RecvError::Exhausted)?;
        Ok((&*payload, meta))
    }

    /// Takes the oldest datagram and copies it into `data`.
    ///
    /// When `data` is too short, its length is filled with the start of the
    /// datagram, the datagram is consumed all the same and the answer is
    /// [`RecvError::Truncated`] (a datagram is never split across calls).
    pub fn recv_slice(&mut self, data: &mut [u8]) -> Result<(usize, UdpMetadata), RecvError> {
        let (payload, meta) = self.recv()?;
        let n = payload.len().min(data.len());
        data[..n].copy_from_slice(&payload[..n]);
        if n < payload.len() {
            return Err(RecvError::Truncated);
        }
        Ok((n, meta))
    }

    /// Lends the oldest datagram without taking it.
    pub fn peek(&self) -> Result<(&[u8], &UdpMetadata), RecvError> {
        let (meta, payload) = self
            .rx_buffer
            .peek()
            .map_err(|Empty| RecvError::Exhausted)?;
        Ok((payload, meta))
    }

    /// Copies the oldest datagram into `data` without taking it; the length
    /// copied is at most `data.len()`.
    pub fn peek_slice(&self, data: &mut [u8]) -> Result<(usize, &UdpMetadata), RecvError> {
        let (payload, meta) = self.peek()?;
        let n = payload.len().min(data.len());
        data[..n].copy_from_slice(&payload[..n]);
        Ok((n, meta))
    }
}

/// The hooks the interface calls (see the module documentation).
// Until the interface is wired in (issue 3), only the tests call these.
#[allow(dead_code)]
impl<'a> UdpSocket<'a> {
    /// Whether a datagram from `src` to `dst` is for this socket: the
    /// socket is open, the port (and bound address, if any) match `dst`,
    /// and, when connected, `src` is the connected remote.
    pub(crate) fn accepts(&self, src: &IpEndpoint, dst: &IpEndpoint) -> bool {
        if !self.is_open() || !self.endpoint.accepts(&dst.addr, dst.port) {
            return false;
        }
        match self.remote {
            Some(remote) => remote == *src,
            None => true,
        }
    }

    /// Wakes `waker`'s task once a datagram or an error is waiting, or the
    /// socket is closed (feature `async`). One task at a time: a later,
    /// different waker replaces this one and wakes it.
    #[cfg(feature = "async")]
    pub fn register_recv_waker(&mut self, waker: &core::task::Waker) {
        self.wakers.register_recv(waker);
    }

    /// Wakes `waker`'s task once a queued datagram left (so there may be
    /// room for another), an error is waiting, or the socket is closed
    /// (feature `async`).
    #[cfg(feature = "async")]
    pub fn register_send_waker(&mut self, waker: &core::task::Waker) {
        self.wakers.register_send(waker);
    }

    /// Queues a received datagram (the one copy from the device buffer).
    ///
    /// `Err(Full)` when the receive buffer has no room: the datagram is
    /// dropped and counted, as UDP gives no delivery guarantee (RFC 768).
    pub(crate) fn process(
        &mut self,
        _now: Instant,
        src: IpEndpoint,
        dst_addr: IpAddr,
        payload: &[u8],
    ) -> Result<(), Full> {
        let meta = UdpMetadata {
            endpoint: src,
            local_address: Some(dst_addr),
            hop_limit: None,
        };
        match self.rx_buffer.enqueue_slice(payload, meta) {
            Ok(()) => {
                self.counters.rx_datagrams = self.counters.rx_datagrams.wrapping_add(1);
                self.wakers.wake_recv_if(true);
                net_trace!(
                    "udp {}: {} bytes from {}",
                    self.endpoint,
                    payload.len(),
                    src
                );
                Ok(())
            }
            Err(Full) => {
                self.counters.rx_dropped_full = self.counters.rx_dropped_full.wrapping_add(1);
                net_debug!(
                    "udp {}: rx buffer full, dropped {} bytes",
                    self.endpoint,
                    payload.len()
                );
                Err(Full)
            }
        }
    }

    /// Records an error an ICMP message reported about a datagram this
    /// socket sent to `remote`; returns whether it was recorded.
    ///
    /// RFC 1122 §4.1.3.3 says UDP MUST pass ICMP errors to the application,
    /// but an error on a socket that talks to many peers would surface on an
    /// unrelated later call (which is why Linux reports them only to
    /// connected sockets unless `IP_RECVERR` is set). So the error is kept
    /// when the socket is connected to `remote`, or, when it is not
    /// connected, when `remote` is the destination of the last datagram it
    /// sent: a client that uses `send` to one server without connecting
    /// still learns that nobody listens, and a server is not told about
    /// peers it is no longer talking to. A newer error replaces an older
    /// one not yet taken.
    pub(crate) fn process_icmp_error(&mut self, kind: SocketError, remote: IpEndpoint) -> bool {
        let concerned = match self.remote {
            Some(connected) => connected == remote,
            None => self.last_destination == Some(remote),
        };
        if concerned {
            net_debug!("udp {}: {} from {}", self.endpoint, kind, remote);
            self.error = Some(kind);
            // `take_error` has something for either side.
            self.wakers.wake_all();
        }
        concerned
    }

    /// Offers the oldest queued datagram to `f` with the local endpoint, and
    /// removes it only when `f` returns `Ok` (back-pressure: on `Err` it is
    /// offered again on the next call). `Ok(())` when nothing is queued.
    ///
    /// The metadata handed to `f` has the socket's defaults filled in: the
    /// hop limit (`None` still means the interface's default) and the bound
    /// local address when the datagram named none (`None` still means "the
    /// interface chooses", RFC 1122 §3.3.4.3).
    pub(crate) fn dispatch<F, E>(&mut self, _now: Instant, f: F) -> Result<(), E>
    where
        F: FnOnce(&UdpMetadata, IpListenEndpoint, &[u8]) -> Result<(), E>,
    {
        let local = self.endpoint;
        let hop_limit = self.hop_limit;
        let sent = self.tx_buffer.dequeue_with(|meta, payload| {
            meta.hop_limit = meta.hop_limit.or(hop_limit);
            meta.local_address = meta.local_address.or(local.addr);
            f(meta, local, payload).map(|()| meta.endpoint)
        });
        match sent {
            Err(Empty) => Ok(()),
            Ok(Err(e)) => Err(e),
            Ok(Ok(destination)) => {
                if self.tx_buffer.is_empty() {
                    self.tx_destinations = Destinations::None;
                }
                self.last_destination = Some(destination);
                self.counters.tx_datagrams = self.counters.tx_datagrams.wrapping_add(1);
                self.wakers.wake_send_if(true);
                Ok(())
            }
        }
    }

    /// The address every datagram in the transmit buffer goes to, when
    /// they all go to one (`None` when empty or mixed). The interface lets
    /// such a socket wait for that address's next hop without holding up
    /// datagrams to anyone else; a mixed queue's datagram for a hop that
    /// cannot take more is dropped instead (issue 10 item 23).
    pub(crate) fn queued_for_one_destination(&self) -> Option<IpAddr> {
        match self.tx_destinations {
            Destinations::One(a) if !self.tx_buffer.is_empty() => Some(a),
            _ => None,
        }
    }

    /// When the socket wants [`dispatch`](Self::dispatch) called: now if a
    /// datagram is queued, otherwise never (it has no timers).
    pub(crate) fn poll_at(&self, now: Instant) -> Option<Instant> {
        if self.tx_buffer.is_empty() {
            None
        } else {
            Some(now)
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec;
    use std::vec::Vec;

    use super::*;
    use crate::storage::PacketMetadata;
    use crate::wire::Ipv6Addr;

    const LOCAL: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 2);
    const PEER: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 7);
    const OTHER: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 9);

    fn buffer(packets: usize, bytes: usize) -> PacketBuffer<'static, UdpMetadata> {
        PacketBuffer::new(vec![PacketMetadata::EMPTY; packets], vec![0u8; bytes])
    }

    fn socket() -> UdpSocket<'static> {
        UdpSocket::new(buffer(4, 64), buffer(4, 64))
    }

    fn ep(addr: Ipv4Addr, port: u16) -> IpEndpoint {
        IpEndpoint::new(IpAddr::V4(addr), port)
    }

    /// Dispatches one datagram and returns what the interface saw.
    fn take_sent(s: &mut UdpSocket) -> Option<(UdpMetadata, IpListenEndpoint, Vec<u8>)> {
        let mut out = None;
        let r: Result<(), ()> = s.dispatch(Instant::ZERO, |meta, local, payload| {
            out = Some((*meta, local, payload.to_vec()));
            Ok(())
        });
        assert_eq!(r, Ok(()));
        out
    }

    /// The interface lets a socket wait for an unresolved hop only when
    /// nothing behind its head datagram goes elsewhere (issue 10 item 23).
    #[test]
    fn queued_destinations_are_tracked_until_the_buffer_empties() {
        let mut s = socket();
        s.bind(5000).unwrap();
        let (peer, other) = (IpAddr::V4(PEER), IpAddr::V4(OTHER));
        assert_eq!(s.queued_for_one_destination(), None);
        s.send_slice(b"a", ep(PEER, 53).into()).unwrap();
        s.send_slice(b"b", ep(PEER, 54).into()).unwrap();
        assert_eq!(s.queued_for_one_destination(), Some(peer));
        s.send_slice(b"c", ep(OTHER, 53).into()).unwrap();
        assert_eq!(s.queued_for_one_destination(), None);
        // Still mixed while anything is queued, even once only OTHER's is.
        take_sent(&mut s).unwrap();
        take_sent(&mut s).unwrap();
        assert_eq!(s.queued_for_one_destination(), None);
        take_sent(&mut s).unwrap();
        s.send_slice(b"d", ep(OTHER, 53).into()).unwrap();
        assert_eq!(s.queued_for_one_destination(), Some(other));
    }

    #[test]
    fn bind_refuses_port_zero_and_rebinding() {
        let mut s = socket();
        assert_eq!(s.bind(0), Err(BindError::Unaddressable));
        assert!(!s.is_open());
        assert_eq!(s.bind(68), Ok(()));
        assert!(s.is_open());
        assert_eq!(s.bind(69), Err(BindError::InvalidState));
        assert_eq!(s.endpoint().port, 68);
        s.close();
        assert_eq!(s.bind((LOCAL, 69)), Ok(()));
        assert_eq!(s.endpoint().addr, Some(IpAddr::V4(LOCAL)));
    }

    #[test]
    fn send_is_zero_copy_and_dispatch_sees_the_datagram() {
        let mut s = socket();
        s.bind(5000).unwrap();
        assert_eq!(s.poll_at(Instant::from_secs(1)), None);
        s.send(3, ep(PEER, 53).into())
            .unwrap()
            .copy_from_slice(b"abc");
        assert_eq!(
            s.poll_at(Instant::from_secs(1)),
            Some(Instant::from_secs(1))
        );
        let (meta, local, payload) = take_sent(&mut s).unwrap();
        assert_eq!(meta.endpoint, ep(PEER, 53));
        assert_eq!(local.port, 5000);
        assert_eq!(payload, b"abc");
        assert_eq!(s.counters().tx_datagrams, 1);
        assert_eq!(s.poll_at(Instant::ZERO), None);
        assert!(take_sent(&mut s).is_none());
    }

    #[test]
    fn dispatch_error_keeps_the_datagram_for_the_next_poll() {
        // Back-pressure: no transmit token (or an unresolved neighbor)
        // must not lose the datagram.
        let mut s = socket();
        s.bind(5000).unwrap();
        s.send_slice(b"one", ep(PEER, 53).into()).unwrap();
        let r = s.dispatch(Instant::ZERO, |_, _, _| Err("device busy"));
        assert_eq!(r, Err("device busy"));
        assert_eq!(s.counters().tx_datagrams, 0);
        assert!(s.poll_at(Instant::ZERO).is_some());
        assert_eq!(take_sent(&mut s).unwrap().2, b"one");
    }

    #[test]
    fn dispatch_fills_in_socket_defaults() {
        let mut s = socket();
        s.bind((LOCAL, 5000)).unwrap();
        s.set_hop_limit(Some(3));
        s.send_slice(b"x", ep(PEER, 53).into()).unwrap();
        let own = UdpMetadata {
            endpoint: ep(PEER, 53),
            local_address: None,
            hop_limit: Some(9),
        };
        s.send_slice(b"y", own).unwrap();
        let (meta, _, _) = take_sent(&mut s).unwrap();
        assert_eq!(meta.hop_limit, Some(3));
        assert_eq!(meta.local_address, Some(IpAddr::V4(LOCAL)));
        // A per-datagram hop limit wins over the socket's.
        assert_eq!(take_sent(&mut s).unwrap().0.hop_limit, Some(9));
        // RFC 1122 §3.2.1.7: never TTL 0.
        s.set_hop_limit(Some(0));
        assert_eq!(s.hop_limit(), None);
    }

    #[test]
    fn send_errors() {
        let mut s = UdpSocket::new(buffer(1, 64), buffer(1, 64));
        assert_eq!(
            s.send_slice(b"x", ep(PEER, 53).into()),
            Err(SendError::Unaddressable),
            "not bound"
        );
        s.bind((LOCAL, 5000)).unwrap();
        assert_eq!(
            s.send_slice(b"x", ep(PEER, 0).into()),
            Err(SendError::Unaddressable)
        );
        assert_eq!(
            s.send_slice(b"x", ep(Ipv4Addr::UNSPECIFIED, 53).into()),
            Err(SendError::Unaddressable)
        );
        let v6 = IpEndpoint::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 53);
        assert_eq!(
            s.send_slice(b"x", v6.into()),
            Err(SendError::Unaddressable),
            "bound to IPv4, sending to IPv6"
        );
        assert_eq!(
            s.send(65, ep(PEER, 53).into()).err(),
            Some(SendError::TooLarge)
        );
        assert_eq!(s.send_slice_connected(b"x"), Err(SendError::Unaddressable));
        s.send_slice(b"x", ep(PEER, 53).into()).unwrap();
        assert!(!s.can_send());
        assert_eq!(
            s.send_slice(b"y", ep(PEER, 53).into()),
            Err(SendError::BufferFull)
        );
    }

    #[test]
    fn datagram_size_limits_follow_the_ip_version() {
        let mut s = UdpSocket::new(buffer(2, 70_000), buffer(2, 70_000));
        s.bind(5000).unwrap();
        // RFC 791: 65 535 - 20 (IPv4) - 8 (UDP).
        assert_eq!(
            s.send(MAX_PAYLOAD_V4 + 1, ep(PEER, 53).into()).err(),
            Some(SendError::TooLarge)
        );
        assert_eq!(
            s.send(MAX_PAYLOAD_V4, ep(PEER, 53).into()).map(|p| p.len()),
            Ok(65_507)
        );
        // RFC 8200 §3: the payload length excludes the IPv6 header.
        let v6 = IpEndpoint::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 53);
        assert_eq!(
            s.send(MAX_PAYLOAD_V6 + 1, v6.into()).err(),
            Some(SendError::TooLarge)
        );
        s.close();
        s.bind(5000).unwrap();
        assert!(s.send(MAX_PAYLOAD_V6, v6.into()).is_ok());
    }

    #[test]
    fn limited_broadcast_needs_set_broadcast() {
        let mut s = socket();
        s.bind(68).unwrap();
        let bcast = ep(Ipv4Addr::BROADCAST, 67);
        assert_eq!(
            s.send_slice(b"discover", bcast.into()),
            Err(SendError::BroadcastNotEnabled)
        );
        s.set_broadcast(true);
        assert!(s.broadcast());
        assert_eq!(s.send_slice(b"discover", bcast.into()), Ok(()));
    }

    #[test]
    fn receive_copies_once_and_reports_the_source() {
        let mut s = socket();
        s.bind(5000).unwrap();
        assert!(!s.can_recv());
        assert_eq!(s.recv().err(), Some(RecvError::Exhausted));
        assert!(s.accepts(&ep(PEER, 53), &ep(LOCAL, 5000)));
        s.process(Instant::ZERO, ep(PEER, 53), IpAddr::V4(LOCAL), b"hello")
            .unwrap();
        assert!(s.can_recv());
        let (payload, meta) = s.peek().unwrap();
        assert_eq!(payload, b"hello");
        assert_eq!(meta.endpoint, ep(PEER, 53));
        let (payload, meta) = s.recv().unwrap();
        assert_eq!(payload, b"hello");
        assert_eq!(meta.local_address, Some(IpAddr::V4(LOCAL)));
        assert_eq!(s.counters().rx_datagrams, 1);
    }

    #[test]
    fn recv_slice_truncates_and_consumes() {
        let mut s = socket();
        s.bind(5000).unwrap();
        s.process(
            Instant::ZERO,
            ep(PEER, 53),
            IpAddr::V4(LOCAL),
            b"0123456789",
        )
        .unwrap();
        s.process(Instant::ZERO, ep(PEER, 53), IpAddr::V4(LOCAL), b"next")
            .unwrap();
        let mut small = [0u8; 4];
        assert_eq!(s.peek_slice(&mut small).map(|(n, _)| n), Ok(4));
        assert_eq!(s.recv_slice(&mut small), Err(RecvError::Truncated));
        assert_eq!(&small, b"0123");
        // The truncated datagram is gone; the next one is whole.
        let mut buf = [0u8; 16];
        let (n, meta) = s.recv_slice(&mut buf).unwrap();
        assert_eq!((&buf[..n], meta.endpoint), (&b"next"[..], ep(PEER, 53)));
    }

    #[test]
    fn receive_buffer_full_drops_and_counts() {
        let mut s = UdpSocket::new(buffer(1, 64), buffer(1, 64));
        s.bind(5000).unwrap();
        let src = ep(PEER, 53);
        assert_eq!(
            s.process(Instant::ZERO, src, IpAddr::V4(LOCAL), b"a"),
            Ok(())
        );
        assert_eq!(
            s.process(Instant::ZERO, src, IpAddr::V4(LOCAL), b"b"),
            Err(Full)
        );
        assert_eq!(s.counters().rx_dropped_full, 1);
        assert_eq!(s.recv().unwrap().0, b"a");
    }

    #[test]
    fn accepts_matches_port_and_bound_address() {
        let mut s = socket();
        assert!(!s.accepts(&ep(PEER, 53), &ep(LOCAL, 0)), "closed");
        s.bind((LOCAL, 5000)).unwrap();
        assert!(s.accepts(&ep(PEER, 53), &ep(LOCAL, 5000)));
        assert!(!s.accepts(&ep(PEER, 53), &ep(LOCAL, 5001)));
        assert!(!s.accepts(&ep(PEER, 53), &ep(OTHER, 5000)));
        // Bound to "any": every local address, either family.
        let mut any = socket();
        any.bind(5000).unwrap();
        assert!(any.accepts(&ep(PEER, 53), &ep(Ipv4Addr::BROADCAST, 5000)));
        let v6 = IpEndpoint::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 5000);
        assert!(any.accepts(&v6, &v6));
    }

    #[test]
    fn connected_socket_accepts_only_its_remote() {
        let mut s = socket();
        assert_eq!(s.connect(ep(PEER, 53)), Err(ConnectError::InvalidState));
        s.bind(5000).unwrap();
        assert_eq!(s.connect(ep(PEER, 0)), Err(ConnectError::Unaddressable));
        assert_eq!(
            s.connect(ep(Ipv4Addr::UNSPECIFIED, 53)),
            Err(ConnectError::Unaddressable)
        );
        s.connect(ep(PEER, 53)).unwrap();
        assert_eq!(s.remote_endpoint(), Some(ep(PEER, 53)));
        let local = ep(LOCAL, 5000);
        assert!(s.accepts(&ep(PEER, 53), &local));
        assert!(!s.accepts(&ep(PEER, 54), &local), "other port");
        assert!(!s.accepts(&ep(OTHER, 53), &local), "other host");
        s.send_slice_connected(b"q").unwrap();
        assert_eq!(take_sent(&mut s).unwrap().0.endpoint, ep(PEER, 53));
        s.disconnect();
        assert!(s.accepts(&ep(OTHER, 53), &local));
    }

    #[test]
    fn connect_refuses_a_remote_of_the_other_family() {
        let mut s = socket();
        s.bind((LOCAL, 5000)).unwrap();
        let v6 = IpEndpoint::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 53);
        assert_eq!(s.connect(v6), Err(ConnectError::Unaddressable));
    }

    #[test]
    fn icmp_error_reaches_a_connected_socket_once() {
        // RFC 1122 §4.1.3.3: UDP passes ICMP errors to the application.
        let mut s = socket();
        s.bind(5000).unwrap();
        s.connect(ep(PEER, 53)).unwrap();
        assert!(!s.process_icmp_error(SocketError::ConnectionRefused, ep(OTHER, 53)));
        assert_eq!(s.take_error(), None);
        assert!(s.process_icmp_error(SocketError::ConnectionRefused, ep(PEER, 53)));
        assert_eq!(s.take_error(), Some(SocketError::ConnectionRefused));
        assert_eq!(s.take_error(), None, "reported once");
        // A newer error replaces one not yet taken.
        s.process_icmp_error(SocketError::HostUnreachable, ep(PEER, 53));
        s.process_icmp_error(SocketError::NetworkUnreachable, ep(PEER, 53));
        assert_eq!(s.take_error(), Some(SocketError::NetworkUnreachable));
    }

    #[test]
    fn icmp_error_reaches_an_unconnected_socket_only_for_its_last_destination() {
        let mut s = socket();
        s.bind(5000).unwrap();
        // Nothing sent yet: no datagram of ours can have caused it.
        assert!(!s.process_icmp_error(SocketError::ConnectionRefused, ep(PEER, 53)));
        s.send_slice(b"q", ep(PEER, 53).into()).unwrap();
        // Queued but not yet sent: still not ours.
        assert!(!s.process_icmp_error(SocketError::ConnectionRefused, ep(PEER, 53)));
        take_sent(&mut s).unwrap();
        assert!(!s.process_icmp_error(SocketError::ConnectionRefused, ep(PEER, 54)));
        assert!(s.process_icmp_error(SocketError::ConnectionRefused, ep(PEER, 53)));
        assert_eq!(s.take_error(), Some(SocketError::ConnectionRefused));
        // A later datagram to someone else moves the attention away.
        s.send_slice(b"q", ep(OTHER, 53).into()).unwrap();
        take_sent(&mut s).unwrap();
        assert!(!s.process_icmp_error(SocketError::ConnectionRefused, ep(PEER, 53)));
        s.close();
        assert!(!s.process_icmp_error(SocketError::ConnectionRefused, ep(OTHER, 53)));
    }

    #[test]
    fn close_drops_queued_datagrams_and_errors() {
        let mut s = socket();
        s.bind(5000).unwrap();
        s.connect(ep(PEER, 53)).unwrap();
        s.send_slice_connected(b"q").unwrap();
        s.process(Instant::ZERO, ep(PEER, 53), IpAddr::V4(LOCAL), b"r")
            .unwrap();
        s.process_icmp_error(SocketError::ConnectionRefused, ep(PEER, 53));
        s.close();
        assert!(!s.is_open() && !s.can_recv());
        assert_eq!(s.remote_endpoint(), None);
        assert_eq!(s.poll_at(Instant::ZERO), None);
        assert_eq!(s.take_error(), None);
    }

    #[test]
    fn zero_capacity_buffers_never_panic() {
        let mut s = UdpSocket::new(buffer(0, 0), buffer(0, 0));
        s.bind(5000).unwrap();
        assert!(!s.can_send() && !s.can_recv());
        assert_eq!(
            s.send_slice(b"", ep(PEER, 53).into()),
            Err(SendError::BufferFull)
        );
        assert_eq!(
            s.send_slice(b"x", ep(PEER, 53).into()),
            Err(SendError::TooLarge)
        );
        assert_eq!(
            s.process(Instant::ZERO, ep(PEER, 53), IpAddr::V4(LOCAL), b""),
            Err(Full)
        );
        assert_eq!(s.recv().err(), Some(RecvError::Exhausted));
        assert!(take_sent(&mut s).is_none());
    }

    #[test]
    fn a_60000_byte_datagram_crosses_64k_buffers_both_ways() {
        let mut s = UdpSocket::new(buffer(4, 65_536), buffer(4, 65_536));
        s.bind(5000).unwrap();
        let big: Vec<u8> = (0..60_000u32).map(|i| (i % 251) as u8).collect();
        for _ in 0..3 {
            s.send_slice(&big, ep(PEER, 53).into()).unwrap();
            assert_eq!(
                s.send_slice(&big, ep(PEER, 53).into()),
                Err(SendError::BufferFull)
            );
            assert_eq!(take_sent(&mut s).unwrap().2, big);
            s.process(Instant::ZERO, ep(PEER, 53), IpAddr::V4(LOCAL), &big)
                .unwrap();
            assert_eq!(
                s.process(Instant::ZERO, ep(PEER, 53), IpAddr::V4(LOCAL), &big),
                Err(Full)
            );
            assert_eq!(s.recv().unwrap().0, &big[..]);
        }
    }

    #[cfg(feature = "async")]
    #[test]
    fn wakers_fire_on_a_datagram_a_departure_an_error_and_close() {
        use crate::socket::waker::counting::waker;
        let mut s = UdpSocket::new(buffer(1, 64), buffer(1, 64));
        s.bind(5000).unwrap();
        let (r, rc) = waker();
        let (w, wc) = waker();
        s.register_recv_waker(&r);
        s.process(Instant::ZERO, ep(PEER, 53), IpAddr::V4(LOCAL), b"hi")
            .unwrap();
        assert_eq!(rc.get(), 1);
        s.send_slice(b"a", ep(PEER, 53).into()).unwrap();
        assert!(!s.can_send(), "one slot: full");
        s.register_send_waker(&w);
        take_sent(&mut s).unwrap();
        assert_eq!(wc.get(), 1, "room again");
        s.register_recv_waker(&r);
        assert!(s.process_icmp_error(SocketError::ConnectionRefused, ep(PEER, 53)));
        assert_eq!(rc.get(), 2, "an error to take");
        s.register_recv_waker(&r);
        s.register_send_waker(&w);
        s.close();
        assert_eq!((rc.get(), wc.get()), (3, 2));
    }
}
