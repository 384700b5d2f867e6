//! The errors the datagram sockets (UDP, ICMP, raw IP) share, and the
//! error a peer or router reports with ICMP, for UDP and TCP alike.
//!
//! One type per meaning: a datagram socket's `send` fails with a
//! [`SendError`] and its `recv` with a [`RecvError`], whichever socket it
//! is; each socket's documentation says which variants it returns.

use core::fmt;

/// Why a datagram (a UDP payload, an ICMP message, a raw IP packet) could
/// not be queued for sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SendError {
    /// (UDP, ICMP) The socket is not bound, no destination was given to a
    /// socket that is not connected, the destination address is unspecified
    /// or its port is 0, or the addresses mix IPv4 and IPv6.
    Unaddressable,
    /// The transmit buffer has no room now; try after the interface has
    /// sent what is queued.
    BufferFull,
    /// Larger than the protocol can carry (UDP's `MAX_PAYLOAD_V4` /
    /// `MAX_PAYLOAD_V6`, ICMP's `MAX_MESSAGE_V4` / `MAX_MESSAGE_V6`, raw
    /// `MAX_PACKET_V4` / `MAX_PACKET_V6`) or than the whole transmit buffer:
    /// it can never be sent, waiting does not help.
    TooLarge,
    /// (ICMP) Shorter than the 8-byte ICMP header.
    TooShort,
    /// (UDP) The destination is the limited broadcast address and
    /// broadcast was not enabled on the socket (like `SO_BROADCAST`, whose
    /// absence makes Linux answer `EACCES`).
    BroadcastNotEnabled,
    /// (Raw, `send_slice` only) The header is malformed, its length fields
    /// do not match the packet, or its version or protocol is not the
    /// socket's.
    Malformed,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Unaddressable => f.write_str("destination unaddressable"),
            SendError::BufferFull => f.write_str("transmit buffer full"),
            SendError::TooLarge => f.write_str("datagram too large"),
            SendError::TooShort => f.write_str("shorter than an icmp header"),
            SendError::BroadcastNotEnabled => f.write_str("broadcast not enabled"),
            SendError::Malformed => f.write_str("malformed packet"),
        }
    }
}

impl core::error::Error for SendError {}

/// Why nothing (or not everything) was received from a datagram socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum RecvError {
    /// No datagram is queued.
    Exhausted,
    /// The datagram was longer than the buffer given to `recv_slice`: the
    /// buffer holds its start, the rest is lost, and the datagram is
    /// consumed (like `MSG_TRUNC` on Linux).
    Truncated,
}

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvError::Exhausted => f.write_str("no datagram queued"),
            RecvError::Truncated => f.write_str("datagram truncated"),
        }
    }
}

impl core::error::Error for RecvError {}

/// An asynchronous error a peer or router reported with ICMP (RFC 1122
/// §4.1.3.3 for UDP, §4.2.3.9 for TCP): kept by a UDP socket until the
/// application takes it, reported by a TCP connection still opening.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum SocketError {
    /// Port (or protocol) unreachable: nothing listens there
    /// (RFC 1122 §4.1.3.3; `ECONNREFUSED`).
    ConnectionRefused,
    /// Host unreachable (`EHOSTUNREACH`).
    HostUnreachable,
    /// Network unreachable (`ENETUNREACH`).
    NetworkUnreachable,
}

impl fmt::Display for SocketError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SocketError::ConnectionRefused => f.write_str("connection refused"),
            SocketError::HostUnreachable => f.write_str("host unreachable"),
            SocketError::NetworkUnreachable => f.write_str("network unreachable"),
        }
    }
}

impl core::error::Error for SocketError {}
