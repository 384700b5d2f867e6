//! Raw IP sockets: whole IP packets of one version and protocol, header
//! included, in both directions (like Linux `SOCK_RAW` with `IP_HDRINCL`).
//!
//! A raw socket is for protocols the stack does not implement itself (OSPF,
//! VRRP, a test harness). It receives a copy of every packet of its
//! `(IpVersion, IpProtocol)` and sends packets the application built whole.
//!
//! # How the interface drives a socket
//!
//! - Receive: for each IP packet that is for this host, call
//!   `accepts` with its version and upper-layer
//!   protocol (for IPv6, the protocol after any extension headers) and
//!   `process` with the whole packet on each socket
//!   that accepts. Whether the stack also handles the packet itself, or
//!   answers "protocol unreachable" (RFC 1122 §3.2.2.1) when no one does,
//!   is the interface's decision.
//! - Transmit: call `dispatch` when
//!   `poll_at` is due. The socket hands over only
//!   packets whose header is well formed, of its version and protocol, and
//!   whose length fields match the packet; others are dropped and counted.
//!   The interface routes the packet by its destination and sends it as is
//!   (the application fills the IPv4 header checksum). `Err` from the
//!   closure keeps the packet queued.

use core::fmt;

pub use super::error::{RecvError, SendError};
use crate::storage::{Empty, Full, PacketBuffer};
use crate::time::Instant;
use crate::wire::ipv4::Ipv4Packet;
use crate::wire::ipv6::Ipv6Packet;
use crate::wire::IpProtocol;

/// The largest IP packet without IPv6 jumbograms: the IPv4 total length
/// (RFC 791), and the IPv6 payload length plus its 40-byte header
/// (RFC 8200 §3).
pub const MAX_PACKET_V4: usize = 65_535;
/// See [`MAX_PACKET_V4`].
pub const MAX_PACKET_V6: usize = 65_535 + 40;

/// The IP version a raw socket carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum IpVersion {
    /// IPv4 (RFC 791).
    Ipv4,
    /// IPv6 (RFC 8200).
    Ipv6,
}

impl IpVersion {
    /// The version a packet claims in its first four bits, if it is 4 or 6.
    pub fn of_packet(packet: &[u8]) -> Option<IpVersion> {
        match packet.first().map(|b| b >> 4) {
            Some(4) => Some(IpVersion::Ipv4),
            Some(6) => Some(IpVersion::Ipv6),
            _ => None,
        }
    }
}

impl fmt::Display for IpVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpVersion::Ipv4 => f.write_str("IPv4"),
            IpVersion::Ipv6 => f.write_str("IPv6"),
        }
    }
}

/// A raw IP socket bound to one IP version and protocol.
#[derive(Debug)]
pub struct Socket<'a> {
    ip_version: IpVersion,
    ip_protocol: IpProtocol,
    rx_buffer: PacketBuffer<'a, ()>,
    tx_buffer: PacketBuffer<'a, ()>,
    rx_dropped_full: u64,
    tx_dropped_malformed: u64,
}

/// The former name of [`Socket`]: it stays for existing code (it is the same
/// type), but new code should say `raw::Socket`, the name the other
/// socket kinds follow.
pub type RawSocket<'a> = Socket<'a>;

impl<'a> RawSocket<'a> {
    /// A socket for the packets of `ip_version` carrying `ip_protocol`.
    pub fn new(
        ip_version: IpVersion,
        ip_protocol: IpProtocol,
        rx_buffer: PacketBuffer<'a, ()>,
        tx_buffer: PacketBuffer<'a, ()>,
    ) -> RawSocket<'a> {
        RawSocket {
            ip_version,
            ip_protocol,
            rx_buffer,
            tx_buffer,
            rx_dropped_full: 0,
            tx_dropped_malformed: 0,
        }
    }

    /// The IP version the socket carries.
    pub fn ip_version(&self) -> IpVersion {
        self.ip_version
    }

    /// The protocol the socket carries.
    pub fn ip_protocol(&self) -> IpProtocol {
        self.ip_protocol
    }

    /// Received packets dropped because the receive buffer was full.
    pub fn rx_dropped_full(&self) -> u64 {
        self.rx_dropped_full
    }

    /// Queued packets dropped at dispatch because they were malformed or not
    /// of the socket's version and protocol.
    pub fn tx_dropped_malformed(&self) -> u64 {
        self.tx_dropped_malformed
    }

    /// True when a packet can be queued (a free packet slot).
    pub fn can_send(&self) -> bool {
        !self.tx_buffer.is_full()
    }

    /// True when a packet is waiting.
    pub fn can_recv(&self) -> bool {
        !self.rx_buffer.is_empty()
    }

    /// Queues a packet of `size` bytes and lends it for writing (zero copy).
    /// Write the whole packet, IP header first; a packet that turns out
    /// malformed is dropped (and counted) when the interface takes it.
    pub fn send(&mut self, size: usize) -> Result<&mut [u8], SendError> {
        let max = match self.ip_version {
            IpVersion::Ipv4 => MAX_PACKET_V4,
            IpVersion::Ipv6 => MAX_PACKET_V6,
        };
        if size > max || size > self.tx_buffer.payload_capacity() {
            return Err(SendError::TooLarge);
        }
        self.tx_buffer
            .enqueue(size, ())
            .map_err(|Full| SendError::BufferFull)
    }

    /// Queues a copy of the packet `data`, after checking it as
    /// `dispatch` would.
    pub fn send_slice(&mut self, data: &[u8]) -> Result<(), SendError> {
        if !is_sendable(self.ip_version, self.ip_protocol, data) {
            return Err(SendError::Malformed);
        }
        self.send(data.len())?.copy_from_slice(data);
        Ok(())
    }

    /// Takes the oldest received packet (IP header included) and lends it.
    pub fn recv(&mut self) -> Result<&[u8], RecvError> {
        let ((), packet) = self
            .rx_buffer
            .dequeue()
            .map_err(|Empty| RecvError::Exhausted)?;
        Ok(&*packet)
    }

    /// Takes the oldest received packet and copies it into `data`;
    /// [`RecvError::Truncated`] (the start copied, the packet consumed)
    /// when `data` is too short.
    pub fn recv_slice(&mut self, data: &mut [u8]) -> Result<usize, RecvError> {
        let packet = self.recv()?;
        let n = packet.len().min(data.len());
        data[..n].copy_from_slice(&packet[..n]);
        if n < packet.len() {
            return Err(RecvError::Truncated);
        }
        Ok(n)
    }

    /// Lends the oldest received packet without taking it.
    pub fn peek(&self) -> Result<&[u8], RecvError> {
        let ((), packet) = self
            .rx_buffer
            .peek()
            .map_err(|Empty| RecvError::Exhausted)?;
        Ok(packet)
    }
}

/// The hooks the interface calls (see the module documentation).
// Until the interface is wired in (issue 3), only the tests call these.
#[allow(dead_code)]
impl<'a> RawSocket<'a> {
    /// Whether a packet of `ip_version` carrying `ip_protocol` is for this
    /// socket.
    pub(crate) fn accepts(&self, ip_version: IpVersion, ip_protocol: IpProtocol) -> bool {
        self.ip_version == ip_version && self.ip_protocol == ip_protocol
    }

    /// Queues a copy of a received packet, IP header included. `Err(Full)`
    /// when the receive buffer has no room: the packet is dropped and
    /// counted.
    pub(crate) fn process(&mut self, _now: Instant, packet: &[u8]) -> Result<(), Full> {
        let queued = self.rx_buffer.enqueue_slice(packet, ());
        if queued.is_err() {
            self.rx_dropped_full = self.rx_dropped_full.wrapping_add(1);
            net_debug!(
                "raw {}/{}: rx buffer full, dropped {} bytes",
                self.ip_version,
                self.ip_protocol,
                packet.len()
            );
        }
        queued
    }

    /// Offers the oldest queued packet to `f` and removes it only when `f`
    /// returns `Ok`. A malformed packet (see the module documentation) is
    /// dropped and counted without being offered. `Ok(())` when nothing
    /// is queued.
    pub(crate) fn dispatch<F, E>(&mut self, _now: Instant, f: F) -> Result<(), E>
    where
        F: FnOnce(&[u8]) -> Result<(), E>,
    {
        let (version, protocol) = (self.ip_version, self.ip_protocol);
        let mut malformed = false;
        let sent = self.tx_buffer.dequeue_with(|(), packet| {
            if is_sendable(version, protocol, packet) {
                f(packet)
            } else {
                malformed = true;
                Ok(())
            }
        });
        if malformed {
            self.tx_dropped_malformed = self.tx_dropped_malformed.wrapping_add(1);
            net_debug!(
                "raw {}/{}: dropped a malformed packet",
                self.ip_version,
                self.ip_protocol
            );
        }
        match sent {
            Err(Empty) | Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e),
        }
    }

    /// When the socket wants [`dispatch`](Self::dispatch) called: now if a
    /// packet is queued, otherwise never.
    pub(crate) fn poll_at(&self, now: Instant) -> Option<Instant> {
        if self.tx_buffer.is_empty() {
            None
        } else {
            Some(now)
        }
    }
}

/// True when `packet` is a well-formed header of `version` carrying
/// `protocol` whose length field covers exactly the packet (so that the
/// interface never sends trailing garbage or reads past the end).
fn is_sendable(version: IpVersion, protocol: IpProtocol, packet: &[u8]) -> bool {
    match version {
        IpVersion::Ipv4 => Ipv4Packet::new_checked(packet).is_ok_and(|p| {
            p.version() == 4
                && p.next_header() == protocol
                && usize::from(p.total_len()) == packet.len()
        }),
        IpVersion::Ipv6 => Ipv6Packet::new_checked(packet).is_ok_and(|p| {
            p.version() == 6 && p.next_header() == protocol && p.total_len() == packet.len()
        }),
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec;
    use std::vec::Vec;

    use super::*;
    use crate::storage::PacketMetadata;

    const VRRP: IpProtocol = IpProtocol::Unknown(112);

    fn buffer(packets: usize, bytes: usize) -> PacketBuffer<'static, ()> {
        PacketBuffer::new(vec![PacketMetadata::EMPTY; packets], vec![0u8; bytes])
    }

    fn socket(version: IpVersion) -> RawSocket<'static> {
        RawSocket::new(version, VRRP, buffer(4, 256), buffer(4, 256))
    }

    fn ipv4(protocol: u8, payload: &[u8]) -> Vec<u8> {
        let total = (20 + payload.len()) as u16;
        let mut p = vec![0x45, 0];
        p.extend_from_slice(&total.to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 0, 255, protocol, 0, 0]);
        p.extend_from_slice(&[10, 0, 0, 1, 224, 0, 0, 18]);
        p.extend_from_slice(payload);
        p
    }

    fn ipv6(next_header: u8, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x60, 0, 0, 0];
        p.extend_from_slice(&(payload.len() as u16).to_be_bytes());
        p.extend_from_slice(&[next_header, 255]);
        p.extend_from_slice(&[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        p.extend_from_slice(&[0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12]);
        p.extend_from_slice(payload);
        p
    }

    fn take_sent(s: &mut RawSocket) -> Option<Vec<u8>> {
        let mut out = None;
        let r: Result<(), ()> = s.dispatch(Instant::ZERO, |p| {
            out = Some(p.to_vec());
            Ok(())
        });
        assert_eq!(r, Ok(()));
        out
    }

    #[test]
    fn version_is_read_from_the_first_nibble() {
        assert_eq!(IpVersion::of_packet(&[0x45]), Some(IpVersion::Ipv4));
        assert_eq!(IpVersion::of_packet(&[0x60]), Some(IpVersion::Ipv6));
        assert_eq!(IpVersion::of_packet(&[0x50]), None);
        assert_eq!(IpVersion::of_packet(&[]), None);
    }

    #[test]
    fn accepts_only_its_version_and_protocol() {
        let s = socket(IpVersion::Ipv4);
        assert_eq!((s.ip_version(), s.ip_protocol()), (IpVersion::Ipv4, VRRP));
        assert!(s.accepts(IpVersion::Ipv4, VRRP));
        assert!(!s.accepts(IpVersion::Ipv6, VRRP));
        assert!(!s.accepts(IpVersion::Ipv4, IpProtocol::Udp));
    }

    #[test]
    fn received_packets_keep_their_header() {
        let mut s = socket(IpVersion::Ipv4);
        let packet = ipv4(112, b"advert");
        assert!(!s.can_recv());
        s.process(Instant::ZERO, &packet).unwrap();
        assert!(s.can_recv());
        assert_eq!(s.peek(), Ok(&packet[..]));
        assert_eq!(s.recv(), Ok(&packet[..]));
        assert_eq!(s.recv(), Err(RecvError::Exhausted));
    }

    #[test]
    fn recv_slice_truncates_and_consumes() {
        let mut s = socket(IpVersion::Ipv6);
        let first = ipv6(112, b"0123456789");
        let second = ipv6(112, b"");
        s.process(Instant::ZERO, &first).unwrap();
        s.process(Instant::ZERO, &second).unwrap();
        let mut small = [0u8; 40];
        assert_eq!(s.recv_slice(&mut small), Err(RecvError::Truncated));
        assert_eq!(&small[..], &first[..40]);
        assert_eq!(s.recv_slice(&mut small), Ok(40));
        assert_eq!(&small[..], &second[..]);
    }

    #[test]
    fn send_slice_checks_version_protocol_and_length() {
        let mut v4 = socket(IpVersion::Ipv4);
        assert_eq!(v4.send_slice(&ipv4(112, b"ok")), Ok(()));
        assert_eq!(v4.send_slice(&ipv4(17, b"udp")), Err(SendError::Malformed));
        assert_eq!(v4.send_slice(&ipv6(112, b"v6")), Err(SendError::Malformed));
        let mut padded = ipv4(112, b"x");
        padded.push(0);
        assert_eq!(
            v4.send_slice(&padded),
            Err(SendError::Malformed),
            "trailing byte"
        );
        let short = ipv4(112, b"xyz");
        assert_eq!(
            v4.send_slice(&short[..22]),
            Err(SendError::Malformed),
            "cut short"
        );
        assert_eq!(v4.send_slice(&[0x45; 10]), Err(SendError::Malformed));
        let mut v6 = socket(IpVersion::Ipv6);
        assert_eq!(v6.send_slice(&ipv6(112, b"ok")), Ok(()));
        assert_eq!(v6.send_slice(&ipv6(58, b"icmp")), Err(SendError::Malformed));
        assert_eq!(v6.send_slice(&ipv4(112, b"v4")), Err(SendError::Malformed));
    }

    #[test]
    fn dispatch_hands_over_valid_packets_and_drops_malformed_ones() {
        let mut s = socket(IpVersion::Ipv4);
        s.send(4).unwrap().copy_from_slice(b"junk");
        let good = ipv4(112, b"advert");
        s.send(good.len()).unwrap().copy_from_slice(&good);
        assert!(s.poll_at(Instant::ZERO).is_some());
        assert_eq!(take_sent(&mut s), None, "junk dropped, not offered");
        assert_eq!(s.tx_dropped_malformed(), 1);
        assert_eq!(take_sent(&mut s), Some(good));
        assert_eq!(s.poll_at(Instant::ZERO), None);
    }

    #[test]
    fn dispatch_error_keeps_the_packet() {
        let mut s = socket(IpVersion::Ipv6);
        let packet = ipv6(112, b"advert");
        s.send_slice(&packet).unwrap();
        assert_eq!(s.dispatch(Instant::ZERO, |_| Err("busy")), Err("busy"));
        assert_eq!(take_sent(&mut s), Some(packet));
    }

    #[test]
    fn buffer_limits() {
        let mut s = RawSocket::new(IpVersion::Ipv4, VRRP, buffer(1, 64), buffer(1, 64));
        assert_eq!(s.send(65).err(), Some(SendError::TooLarge));
        s.send_slice(&ipv4(112, b"a")).unwrap();
        assert!(!s.can_send());
        assert_eq!(s.send_slice(&ipv4(112, b"b")), Err(SendError::BufferFull));
        let packet = ipv4(112, b"r");
        assert_eq!(s.process(Instant::ZERO, &packet), Ok(()));
        assert_eq!(s.process(Instant::ZERO, &packet), Err(Full));
        assert_eq!(s.rx_dropped_full(), 1);
    }

    #[test]
    fn zero_capacity_buffers_never_panic() {
        let mut s = RawSocket::new(IpVersion::Ipv4, VRRP, buffer(0, 0), buffer(0, 0));
        assert_eq!(s.send_slice(&ipv4(112, b"")), Err(SendError::TooLarge));
        assert_eq!(s.process(Instant::ZERO, &ipv4(112, b"")), Err(Full));
        assert_eq!(s.recv(), Err(RecvError::Exhausted));
        assert_eq!(take_sent(&mut s), None);
    }

    #[test]
    fn a_60000_byte_packet_crosses_64k_buffers() {
        let mut s = RawSocket::new(IpVersion::Ipv4, VRRP, buffer(4, 65_536), buffer(4, 65_536));
        let big = ipv4(112, &vec![0xab; 60_000 - 20]);
        for _ in 0..3 {
            s.send_slice(&big).unwrap();
            assert_eq!(s.send_slice(&big), Err(SendError::BufferFull));
            assert_eq!(take_sent(&mut s).as_ref(), Some(&big));
            s.process(Instant::ZERO, &big).unwrap();
            assert_eq!(s.recv(), Ok(&big[..]));
        }
    }
}
