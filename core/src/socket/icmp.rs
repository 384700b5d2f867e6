//! ICMP "ping" sockets: echo requests out, echo replies (and the errors
//! they provoked) in, for ICMPv4 (RFC 792) and ICMPv6 (RFC 4443 §4).
//!
//! The application writes the whole ICMP message (type, code, identifier,
//! sequence number, data; the checksum field may be left zero) and names the
//! destination; the message goes over IPv4 or IPv6 according to the
//! destination's family. **The interface computes the ICMP checksum on
//! transmit** (for ICMPv6 it covers the pseudo-header, RFC 4443 §2.3, whose
//! source address only the interface knows), so the application never has
//! to. Like a Linux ping socket, the socket writes its bound identifier into
//! every echo request it sends, so replies can be matched to it.
//!
//! The application receives whole ICMP messages (no IP header) with the
//! address they came from: the echo replies carrying the socket's
//! identifier, and the error messages (Destination Unreachable, Time
//! Exceeded, Parameter Problem, Packet Too Big) whose quoted packet is one
//! of its echo requests, which is how `ping` and `traceroute` learn about
//! failures.
//!
//! # How the interface drives a socket
//!
//! - Receive: for an ICMPv4 message from `src` to `dst`, call
//!   `accepts_v4` on each open ICMP socket and
//!   `process` on those that accept (the interface
//!   still answers echo requests itself, RFC 1122 §3.2.2.6). Likewise with
//!   `accepts_v6` for ICMPv6. The checksum has
//!   been verified before.
//! - Transmit: call `dispatch` when
//!   `poll_at` is due; its closure wraps the message
//!   in an IP header to the destination (protocol 1 or 58 by family), fills
//!   in the checksum, and returns `Err` to keep the message queued when the
//!   device or the neighbor is not ready.

use core::fmt;

pub use super::error::{RecvError, SendError};
use super::waker::SocketWakers;
use crate::storage::{Empty, Full, PacketBuffer};
use crate::time::Instant;
use crate::wire::icmpv4::{Icmpv4Message, Icmpv4Packet};
use crate::wire::icmpv6::{Icmpv6Message, Icmpv6Packet};
use crate::wire::{IpAddr, IpProtocol, Ipv4Addr, Ipv6Addr};

/// The ICMP header every message starts with: type, code, checksum and four
/// type-specific bytes (RFC 792, RFC 4443 §2.1).
pub const HEADER_LEN: usize = 8;
/// The largest ICMPv4 message: the 65 535-byte total length minus the
/// 20-byte IPv4 header (RFC 791).
pub const MAX_MESSAGE_V4: usize = 65_515;
/// The largest ICMPv6 message without jumbograms: the payload length field
/// (RFC 8200 §3).
pub const MAX_MESSAGE_V6: usize = 65_535;

/// What an ICMP socket is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum IcmpEndpoint {
    /// Not bound: the socket receives and sends nothing.
    #[default]
    Unspecified,
    /// The echo identifier of this socket's requests and of the replies it
    /// wants (RFC 792, RFC 4443 §4.1: "an identifier to aid in matching
    /// Echoes and Replies").
    Ident(u16),
}

/// Why [`Socket::bind`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum BindError {
    /// The socket is already bound; close it first.
    InvalidState,
    /// [`IcmpEndpoint::Unspecified`] is not something to bind to.
    Unaddressable,
}

impl fmt::Display for BindError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BindError::InvalidState => f.write_str("socket already bound"),
            BindError::Unaddressable => f.write_str("no identifier to bind to"),
        }
    }
}

impl core::error::Error for BindError {}

/// An ICMP socket: whole ICMP messages to and from one echo identifier.
///
/// Each queued message carries its remote address: the destination of one
/// to send, the source of one received.
#[derive(Debug)]
pub struct Socket<'a> {
    endpoint: IcmpEndpoint,
    rx_buffer: PacketBuffer<'a, IpAddr>,
    tx_buffer: PacketBuffer<'a, IpAddr>,
    hop_limit: Option<u8>,
    rx_dropped_full: u64,
    /// Tasks awaiting a reply or room (feature `async`).
    wakers: SocketWakers,
}

/// The former name of [`Socket`]: it stays for existing code (it is the same
/// type), but new code should say `icmp::Socket`, the name the other
/// socket kinds follow.
pub type IcmpSocket<'a> = Socket<'a>;

impl<'a> IcmpSocket<'a> {
    /// An unbound socket with the given receive and transmit buffers.
    pub fn new(
        rx_buffer: PacketBuffer<'a, IpAddr>,
        tx_buffer: PacketBuffer<'a, IpAddr>,
    ) -> IcmpSocket<'a> {
        IcmpSocket {
            endpoint: IcmpEndpoint::Unspecified,
            rx_buffer,
            tx_buffer,
            hop_limit: None,
            rx_dropped_full: 0,
            wakers: SocketWakers::new(),
        }
    }

    /// Binds to an echo identifier. Choosing one that no other socket uses
    /// is the socket set's job (a ping socket's identifier plays the part of
    /// a port).
    ///
    /// Bound here, the socket is registered with its set by
    /// [`SocketSet::add`](super::SocketSet::add) or before the set's next
    /// lookup, as [`UdpSocket::bind`](super::udp::UdpSocket::bind) explains;
    /// [`SocketSet::bind_icmp`](super::SocketSet::bind_icmp) reports a
    /// conflict at once.
    pub fn bind(&mut self, endpoint: IcmpEndpoint) -> Result<(), BindError> {
        if endpoint == IcmpEndpoint::Unspecified {
            return Err(BindError::Unaddressable);
        }
        if self.is_open() {
            return Err(BindError::InvalidState);
        }
        self.endpoint = endpoint;
        Ok(())
    }

    /// Unbinds, dropping every queued message.
    pub fn close(&mut self) {
        self.endpoint = IcmpEndpoint::Unspecified;
        self.rx_buffer.reset();
        self.tx_buffer.reset();
        self.wakers.wake_all();
    }

    /// True once bound.
    pub fn is_open(&self) -> bool {
        self.endpoint != IcmpEndpoint::Unspecified
    }

    /// What the socket is bound to.
    pub fn endpoint(&self) -> IcmpEndpoint {
        self.endpoint
    }

    /// The hop limit (IPv4 TTL) of outgoing messages; `None` for the
    /// interface's default.
    pub fn hop_limit(&self) -> Option<u8> {
        self.hop_limit
    }

    /// Sets the hop limit of outgoing messages (`traceroute` raises it one
    /// probe at a time). `Some(0)` is taken as `None`: RFC 1122 §3.2.1.7
    /// forbids sending with TTL 0.
    pub fn set_hop_limit(&mut self, hop_limit: Option<u8>) {
        self.hop_limit = hop_limit.filter(|&h| h != 0);
    }

    /// Received messages dropped because the receive buffer was full.
    pub fn rx_dropped_full(&self) -> u64 {
        self.rx_dropped_full
    }

    /// True when a message can be queued (a free packet slot).
    pub fn can_send(&self) -> bool {
        !self.tx_buffer.is_full()
    }

    /// True when a message is waiting.
    pub fn can_recv(&self) -> bool {
        !self.rx_buffer.is_empty()
    }

    /// Queues an ICMP message of `size` bytes to `dst` and lends it for
    /// writing (zero copy). Write the whole message from its type byte on;
    /// the checksum is filled in by the interface, and the identifier of an
    /// echo request by the socket.
    pub fn send(&mut self, size: usize, dst: IpAddr) -> Result<&mut [u8], SendError> {
        if !self.is_open() || dst.is_unspecified() {
            return Err(SendError::Unaddressable);
        }
        if size < HEADER_LEN {
            return Err(SendError::TooShort);
        }
        let max = match dst {
            IpAddr::V4(_) => MAX_MESSAGE_V4,
            IpAddr::V6(_) => MAX_MESSAGE_V6,
        };
        if size > max || size > self.tx_buffer.payload_capacity() {
            return Err(SendError::TooLarge);
        }
        self.tx_buffer
            .enqueue(size, dst)
            .map_err(|Full| SendError::BufferFull)
    }

    /// Queues a copy of the ICMP message `data` to `dst`.
    pub fn send_slice(&mut self, data: &[u8], dst: IpAddr) -> Result<(), SendError> {
        self.send(data.len(), dst)?.copy_from_slice(data);
        Ok(())
    }

    /// Takes the oldest received message and lends it, with its source.
    pub fn recv(&mut self) -> Result<(&[u8], IpAddr), RecvError> {
        let (src, message) = self
            .rx_buffer
            .dequeue()
            .map_err(|Empty| RecvError::Exhausted)?;
        Ok((&*message, src))
    }

    /// Takes the oldest received message and copies it into `data`;
    /// [`RecvError::Truncated`] (the start copied, the message consumed)
    /// when `data` is too short.
    pub fn recv_slice(&mut self, data: &mut [u8]) -> Result<(usize, IpAddr), RecvError> {
        let (message, src) = self.recv()?;
        let n = message.len().min(data.len());
        data[..n].copy_from_slice(&message[..n]);
        if n < message.len() {
            return Err(RecvError::Truncated);
        }
        Ok((n, src))
    }

    /// Lends the oldest received message without taking it.
    pub fn peek(&self) -> Result<(&[u8], IpAddr), RecvError> {
        let (src, message) = self
            .rx_buffer
            .peek()
            .map_err(|Empty| RecvError::Exhausted)?;
        Ok((message, *src))
    }
}

/// The hooks the interface calls (see the module documentation).
// Until the interface is wired in (issue 3), only the tests call these.
#[allow(dead_code)]
impl<'a> IcmpSocket<'a> {
    fn ident(&self) -> Option<u16> {
        match self.endpoint {
            IcmpEndpoint::Ident(id) => Some(id),
            IcmpEndpoint::Unspecified => None,
        }
    }

    /// Whether the ICMPv4 message `packet` from `src` to `dst` is for this
    /// socket: an echo reply with its identifier, or an error message
    /// (Destination Unreachable, Time Exceeded, Parameter Problem) quoting
    /// an echo request with its identifier that was sent from `dst`
    /// (RFC 792: the error goes back to the source of the datagram it
    /// quotes, and quotes at least 64 bits of its data, enough for the
    /// identifier).
    pub(crate) fn accepts_v4(
        &self,
        _src: Ipv4Addr,
        dst: Ipv4Addr,
        packet: &Icmpv4Packet<&[u8]>,
    ) -> bool {
        let Some(id) = self.ident() else {
            return false;
        };
        match packet.msg_type() {
            Icmpv4Message::EchoReply => packet.echo_ident() == id,
            Icmpv4Message::DstUnreachable
            | Icmpv4Message::TimeExceeded
            | Icmpv4Message::ParamProblem => {
                let Ok(quoted) = packet.quoted_packet() else {
                    return false;
                };
                if quoted.version() != 4
                    || quoted.next_header() != IpProtocol::Icmp
                    || quoted.src_addr() != dst
                {
                    return false;
                }
                // A non-first fragment carries no ICMP header to read.
                if quoted.frag_offset() != 0 {
                    return false;
                }
                Icmpv4Packet::new_checked(quoted.payload()).is_ok_and(|request| {
                    request.msg_type() == Icmpv4Message::EchoRequest && request.echo_ident() == id
                })
            }
            _ => false,
        }
    }

    /// [`accepts_v4`](Self::accepts_v4) for ICMPv6: an echo reply with the
    /// socket's identifier, or an error message (RFC 4443 §3) quoting an
    /// echo request with it that was sent from `dst`. A quote whose echo
    /// request follows extension headers is not matched.
    pub(crate) fn accepts_v6(
        &self,
        _src: Ipv6Addr,
        dst: Ipv6Addr,
        packet: &Icmpv6Packet<&[u8]>,
    ) -> bool {
        let Some(id) = self.ident() else {
            return false;
        };
        let msg_type = packet.msg_type();
        if msg_type == Icmpv6Message::EchoReply {
            return packet.echo_ident() == id;
        }
        if !msg_type.is_error() {
            return false;
        }
        let Ok(quoted) = packet.quoted_packet() else {
            return false;
        };
        if quoted.version() != 6
            || quoted.next_header() != IpProtocol::Icmpv6
            || quoted.src_addr() != dst
        {
            return false;
        }
        Icmpv6Packet::new_checked(quoted.payload()).is_ok_and(|request| {
            request.msg_type() == Icmpv6Message::EchoRequest && request.echo_ident() == id
        })
    }

    /// Wakes `waker`'s task once a message is waiting or the socket is
    /// closed (feature `async`). One task at a time: a later, different
    /// waker replaces this one and wakes it.
    #[cfg(feature = "async")]
    pub fn register_recv_waker(&mut self, waker: &core::task::Waker) {
        self.wakers.register_recv(waker);
    }

    /// Wakes `waker`'s task once a queued message left (room for another)
    /// or the socket is closed (feature `async`).
    #[cfg(feature = "async")]
    pub fn register_send_waker(&mut self, waker: &core::task::Waker) {
        self.wakers.register_send(waker);
    }

    /// Queues a copy of an accepted ICMP message (from its type byte on)
    /// received from `src`. `Err(Full)` when the receive buffer has no
    /// room: the message is dropped and counted.
    pub(crate) fn process(
        &mut self,
        _now: Instant,
        src: IpAddr,
        message: &[u8],
    ) -> Result<(), Full> {
        let queued = self.rx_buffer.enqueue_slice(message, src);
        self.wakers.wake_recv_if(queued.is_ok());
        if queued.is_err() {
            self.rx_dropped_full = self.rx_dropped_full.wrapping_add(1);
            net_debug!(
                "icmp: rx buffer full, dropped {} bytes from {}",
                message.len(),
                src
            );
        }
        queued
    }

    /// Offers the oldest queued message to `f` as `(destination, hop limit,
    /// message)` and removes it only when `f` returns `Ok`. `Ok(())` when
    /// nothing is queued.
    ///
    /// Before `f` sees an echo request (type 8 to an IPv4 destination,
    /// type 128 to an IPv6 one), the socket writes its identifier into it,
    /// as Linux ping sockets do, so that the replies come back to it. `f`
    /// must fill in the checksum (RFC 792; RFC 4443 §2.3 with the
    /// pseudo-header) as it copies the message into the frame.
    pub(crate) fn dispatch<F, E>(&mut self, _now: Instant, f: F) -> Result<(), E>
    where
        F: FnOnce(IpAddr, Option<u8>, &[u8]) -> Result<(), E>,
    {
        let ident = self.ident();
        let hop_limit = self.hop_limit;
        let sent = self.tx_buffer.dequeue_with(|dst, message| {
            if let Some(id) = ident {
                stamp_ident(*dst, message, id);
            }
            f(*dst, hop_limit, message)
        });
        match sent {
            Err(Empty) => Ok(()),
            Ok(Ok(())) => {
                self.wakers.wake_send_if(true);
                Ok(())
            }
            Ok(Err(e)) => Err(e),
        }
    }

    /// When the socket wants [`dispatch`](Self::dispatch) called: now if a
    /// message is queued, otherwise never.
    pub(crate) fn poll_at(&self, now: Instant) -> Option<Instant> {
        if self.tx_buffer.is_empty() {
            None
        } else {
            Some(now)
        }
    }
}

/// Writes `id` into `message` if it is an echo request of `dst`'s family.
fn stamp_ident(dst: IpAddr, message: &mut [u8], id: u16) {
    match dst {
        IpAddr::V4(_) => {
            if let Ok(mut request) = Icmpv4Packet::new_checked(message) {
                if request.msg_type() == Icmpv4Message::EchoRequest {
                    request.set_echo_ident(id);
                }
            }
        }
        IpAddr::V6(_) => {
            if let Ok(mut request) = Icmpv6Packet::new_checked(message) {
                if request.msg_type() == Icmpv6Message::EchoRequest {
                    request.set_echo_ident(id);
                }
            }
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

    const ME: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
    const PEER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
    const ROUTER: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 254);
    const ME6: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
    const PEER6: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 2);

    fn buffer(packets: usize, bytes: usize) -> PacketBuffer<'static, IpAddr> {
        PacketBuffer::new(vec![PacketMetadata::EMPTY; packets], vec![0u8; bytes])
    }

    fn socket(id: u16) -> IcmpSocket<'static> {
        let mut s = IcmpSocket::new(buffer(4, 256), buffer(4, 256));
        s.bind(IcmpEndpoint::Ident(id)).unwrap();
        s
    }

    /// An echo message (checksum left zero: these tests do not verify it).
    fn echo(msg_type: u8, ident: u16, seq: u16, data: &[u8]) -> Vec<u8> {
        let mut m = vec![msg_type, 0, 0, 0];
        m.extend_from_slice(&ident.to_be_bytes());
        m.extend_from_slice(&seq.to_be_bytes());
        m.extend_from_slice(data);
        m
    }

    /// A 20-byte IPv4 header followed by `payload`.
    fn ipv4(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, payload: &[u8]) -> Vec<u8> {
        let total = (20 + payload.len()) as u16;
        let mut p = vec![0x45, 0];
        p.extend_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 0, 64, protocol, 0, 0]);
        p.extend_from_slice(&src.octets());
        p.extend_from_slice(&dst.octets());
        p.extend_from_slice(payload);
        p
    }

    /// A 40-byte IPv6 header followed by `payload`.
    fn ipv6(src: Ipv6Addr, dst: Ipv6Addr, next_header: u8, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x60, 0, 0, 0];
        p.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        p.extend_from_slice(&[next_header, 64]);
        p.extend_from_slice(&src.octets());
        p.extend_from_slice(&dst.octets());
        p.extend_from_slice(payload);
        p
    }

    /// An ICMP error of `msg_type` quoting the first 8 data bytes of `packet`.
    fn error(msg_type: u8, code: u8, quoted: &[u8], header_len: usize) -> Vec<u8> {
        let mut m = vec![msg_type, code, 0, 0, 0, 0, 0, 0];
        let cut = quoted.len().min(header_len + 8);
        m.extend_from_slice(&quoted[..cut]);
        m
    }

    fn accepts4(s: &IcmpSocket, src: Ipv4Addr, message: &[u8]) -> bool {
        s.accepts_v4(src, ME, &Icmpv4Packet::new_checked(message).unwrap())
    }

    fn accepts6(s: &IcmpSocket, src: Ipv6Addr, message: &[u8]) -> bool {
        s.accepts_v6(src, ME6, &Icmpv6Packet::new_checked(message).unwrap())
    }

    fn take_sent(s: &mut IcmpSocket) -> Option<(IpAddr, Option<u8>, Vec<u8>)> {
        let mut out = None;
        let r: Result<(), ()> = s.dispatch(Instant::ZERO, |dst, hop, m| {
            out = Some((dst, hop, m.to_vec()));
            Ok(())
        });
        assert_eq!(r, Ok(()));
        out
    }

    #[test]
    fn bind_needs_an_identifier_and_happens_once() {
        let mut s = IcmpSocket::new(buffer(1, 64), buffer(1, 64));
        assert_eq!(
            s.bind(IcmpEndpoint::Unspecified),
            Err(BindError::Unaddressable)
        );
        // RFC 792 allows any identifier, zero included.
        assert_eq!(s.bind(IcmpEndpoint::Ident(0)), Ok(()));
        assert_eq!(s.bind(IcmpEndpoint::Ident(1)), Err(BindError::InvalidState));
        s.close();
        assert!(!s.is_open());
        assert_eq!(s.bind(IcmpEndpoint::Ident(1)), Ok(()));
        assert_eq!(s.endpoint(), IcmpEndpoint::Ident(1));
    }

    #[test]
    fn send_errors() {
        let mut s = IcmpSocket::new(buffer(1, 64), buffer(1, 64));
        let req = echo(8, 0, 1, b"ping");
        assert_eq!(
            s.send_slice(&req, PEER.into()),
            Err(SendError::Unaddressable),
            "unbound"
        );
        s.bind(IcmpEndpoint::Ident(7)).unwrap();
        assert_eq!(
            s.send_slice(&req, Ipv4Addr::UNSPECIFIED.into()),
            Err(SendError::Unaddressable)
        );
        assert_eq!(
            s.send_slice(&req[..7], PEER.into()),
            Err(SendError::TooShort)
        );
        assert_eq!(s.send(65, PEER.into()).err(), Some(SendError::TooLarge));
        assert_eq!(s.send_slice(&req, PEER.into()), Ok(()));
        assert!(!s.can_send());
        assert_eq!(s.send_slice(&req, PEER.into()), Err(SendError::BufferFull));
    }

    #[test]
    fn message_size_limits_follow_the_ip_version() {
        let mut s = IcmpSocket::new(buffer(2, 70_000), buffer(2, 70_000));
        s.bind(IcmpEndpoint::Ident(7)).unwrap();
        assert_eq!(
            s.send(MAX_MESSAGE_V4 + 1, PEER.into()).err(),
            Some(SendError::TooLarge)
        );
        assert!(s.send(MAX_MESSAGE_V6, PEER6.into()).is_ok());
    }

    #[test]
    fn dispatch_stamps_the_identifier_on_echo_requests_only() {
        let mut s = socket(0x1234);
        s.set_hop_limit(Some(5));
        s.send_slice(&echo(8, 0, 1, b"v4"), PEER.into()).unwrap();
        s.send_slice(&echo(128, 0, 2, b"v6"), PEER6.into()).unwrap();
        // A timestamp request is not an echo: left as written.
        let ts = echo(13, 0x9999, 3, &[0; 12]);
        s.send_slice(&ts, PEER.into()).unwrap();
        let (dst, hop, m) = take_sent(&mut s).unwrap();
        assert_eq!((dst, hop), (IpAddr::V4(PEER), Some(5)));
        assert_eq!(m, echo(8, 0x1234, 1, b"v4"));
        let (dst, _, m) = take_sent(&mut s).unwrap();
        assert_eq!(dst, IpAddr::V6(PEER6));
        assert_eq!(m, echo(128, 0x1234, 2, b"v6"));
        assert_eq!(take_sent(&mut s).unwrap().2, ts);
        assert!(take_sent(&mut s).is_none());
        assert_eq!(s.poll_at(Instant::ZERO), None);
    }

    #[test]
    fn dispatch_error_keeps_the_message() {
        let mut s = socket(1);
        s.send_slice(&echo(8, 0, 1, b""), PEER.into()).unwrap();
        assert_eq!(
            s.poll_at(Instant::from_secs(2)),
            Some(Instant::from_secs(2))
        );
        assert_eq!(s.dispatch(Instant::ZERO, |_, _, _| Err(())), Err(()));
        assert!(take_sent(&mut s).is_some());
    }

    #[test]
    fn echo_replies_are_matched_by_identifier() {
        let s = socket(0x42);
        assert!(accepts4(&s, PEER, &echo(0, 0x42, 1, b"x")));
        assert!(!accepts4(&s, PEER, &echo(0, 0x43, 1, b"x")), "other ident");
        assert!(!accepts4(&s, PEER, &echo(8, 0x42, 1, b"x")), "a request");
        assert!(accepts6(&s, PEER6, &echo(129, 0x42, 1, b"x")));
        assert!(!accepts6(&s, PEER6, &echo(129, 0x43, 1, b"x")));
        assert!(!accepts6(&s, PEER6, &echo(128, 0x42, 1, b"x")));
        let closed = IcmpSocket::new(buffer(1, 64), buffer(1, 64));
        assert!(!accepts4(&closed, PEER, &echo(0, 0, 1, b"x")));
    }

    #[test]
    fn icmpv4_errors_about_our_echo_requests_are_delivered() {
        // RFC 792: the error quotes our IP header and 64 bits of the echo
        // request, identifier included.
        let s = socket(0x42);
        let ours = ipv4(ME, PEER, 1, &echo(8, 0x42, 9, b"payload"));
        let unreachable = error(3, 1, &ours, 20);
        assert!(accepts4(&s, ROUTER, &unreachable));
        assert!(
            accepts4(&s, ROUTER, &error(11, 0, &ours, 20)),
            "time exceeded"
        );
        assert!(
            accepts4(&s, ROUTER, &error(12, 0, &ours, 20)),
            "param problem"
        );
        assert!(!accepts4(&s, ROUTER, &error(5, 0, &ours, 20)), "redirect");
        let theirs = ipv4(ME, PEER, 1, &echo(8, 0x43, 9, b"payload"));
        assert!(!accepts4(&s, ROUTER, &error(3, 1, &theirs, 20)));
        let udp = ipv4(ME, PEER, 17, &[0, 0x42, 0, 53, 0, 8, 0, 0]);
        assert!(!accepts4(&s, ROUTER, &error(3, 3, &udp, 20)), "not icmp");
        let other_source = ipv4(PEER, ROUTER, 1, &echo(8, 0x42, 9, b""));
        assert!(!accepts4(&s, ROUTER, &error(3, 1, &other_source, 20)));
        // A quote cut before the identifier cannot be matched.
        let cut = error(3, 1, &ours[..24], 20);
        assert!(!accepts4(&s, ROUTER, &cut));
        // A quote without even an IP header neither.
        assert!(!accepts4(&s, ROUTER, &error(3, 1, &ours[..12], 20)));
    }

    #[test]
    fn icmpv6_errors_about_our_echo_requests_are_delivered() {
        let s = socket(0x42);
        let ours = ipv6(ME6, PEER6, 58, &echo(128, 0x42, 9, b"payload"));
        assert!(accepts6(&s, PEER6, &error(1, 4, &ours, 40)), "unreachable");
        let mut too_big = error(2, 0, &ours, 40);
        too_big[4..8].copy_from_slice(&1280u32.to_be_bytes());
        assert!(accepts6(&s, PEER6, &too_big), "packet too big");
        assert!(
            accepts6(&s, PEER6, &error(3, 0, &ours, 40)),
            "time exceeded"
        );
        let theirs = ipv6(ME6, PEER6, 58, &echo(128, 0x43, 9, b""));
        assert!(!accepts6(&s, PEER6, &error(1, 4, &theirs, 40)));
        let udp = ipv6(ME6, PEER6, 17, &[0, 0x42, 0, 53, 0, 8, 0, 0]);
        assert!(!accepts6(&s, PEER6, &error(1, 4, &udp, 40)));
        let other_source = ipv6(PEER6, ME6, 58, &echo(128, 0x42, 9, b""));
        assert!(!accepts6(&s, PEER6, &error(1, 4, &other_source, 40)));
        assert!(!accepts6(&s, PEER6, &error(1, 4, &ours[..44], 40)), "cut");
        // An informational message that is not a reply quotes nothing.
        assert!(!accepts6(&s, PEER6, &error(130, 0, &ours, 40)));
    }

    #[test]
    fn received_messages_are_whole_and_truncation_consumes() {
        let mut s = socket(0x42);
        let reply = echo(0, 0x42, 1, b"0123456789");
        s.process(Instant::ZERO, PEER.into(), &reply).unwrap();
        s.process(Instant::ZERO, PEER6.into(), &echo(129, 0x42, 2, b""))
            .unwrap();
        assert!(s.can_recv());
        assert_eq!(s.peek(), Ok((&reply[..], IpAddr::V4(PEER))));
        let mut small = [0u8; 8];
        assert_eq!(s.recv_slice(&mut small), Err(RecvError::Truncated));
        assert_eq!(&small[..], &reply[..8]);
        let mut big = [0u8; 64];
        assert_eq!(s.recv_slice(&mut big), Ok((8, IpAddr::V6(PEER6))));
        assert_eq!(s.recv().err(), Some(RecvError::Exhausted));
    }

    #[test]
    fn full_receive_buffer_drops_and_counts() {
        let mut s = IcmpSocket::new(buffer(1, 64), buffer(1, 64));
        s.bind(IcmpEndpoint::Ident(1)).unwrap();
        let reply = echo(0, 1, 1, b"");
        assert_eq!(s.process(Instant::ZERO, PEER.into(), &reply), Ok(()));
        assert_eq!(s.process(Instant::ZERO, PEER.into(), &reply), Err(Full));
        assert_eq!(s.rx_dropped_full(), 1);
    }

    #[test]
    fn zero_capacity_buffers_never_panic() {
        let mut s = IcmpSocket::new(buffer(0, 0), buffer(0, 0));
        s.bind(IcmpEndpoint::Ident(1)).unwrap();
        assert_eq!(
            s.send_slice(&echo(8, 1, 1, b""), PEER.into()),
            Err(SendError::TooLarge)
        );
        assert_eq!(
            s.process(Instant::ZERO, PEER.into(), &echo(0, 1, 1, b"")),
            Err(Full)
        );
        assert_eq!(s.recv().err(), Some(RecvError::Exhausted));
        assert!(take_sent(&mut s).is_none());
    }

    #[test]
    fn hop_limit_zero_means_default() {
        let mut s = socket(1);
        s.set_hop_limit(Some(0));
        assert_eq!(s.hop_limit(), None);
    }

    #[cfg(feature = "async")]
    #[test]
    fn wakers_fire_on_a_reply_and_a_departure() {
        use crate::socket::waker::counting::waker;
        let mut s = IcmpSocket::new(buffer(1, 64), buffer(1, 64));
        s.bind(IcmpEndpoint::Ident(7)).unwrap();
        let (r, rc) = waker();
        let (w, wc) = waker();
        s.register_recv_waker(&r);
        s.process(Instant::ZERO, PEER.into(), &echo(0, 7, 1, b"pong"))
            .unwrap();
        assert_eq!(rc.get(), 1);
        s.send_slice(&echo(8, 0, 1, b"ping"), PEER.into()).unwrap();
        s.register_send_waker(&w);
        let r: Result<(), ()> = s.dispatch(Instant::ZERO, |_, _, _| Ok(()));
        assert_eq!(r, Ok(()));
        assert_eq!(wc.get(), 1);
    }
}
