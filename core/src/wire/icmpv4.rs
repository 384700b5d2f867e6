//! ICMP for IPv4 (RFC 792, with the RFC 1191 next-hop MTU).
//!
//! Every ICMPv4 message has the same 8-byte header: type, code, checksum and
//! four type-specific bytes; what follows is either echo data or, for error
//! messages, the quoted start of the datagram that caused the error. The
//! quote is kept as bytes (zero copy) and read through
//! [`Ipv4Packet::new_checked_header`], since it is normally cut after the
//! original header plus 8 bytes.

use super::be;

use super::checksum;
use super::ip::enum_with_unknown;
use super::ipv4::Ipv4Packet;
use super::{ChecksumMode, Error, Ipv4Addr, Result};

enum_with_unknown! {
    /// The ICMPv4 message type (RFC 792; IANA "ICMP Type Numbers").
    pub enum Icmpv4Message(u8) {
        /// Echo Reply (RFC 792).
        EchoReply = 0,
        /// Destination Unreachable (RFC 792).
        DstUnreachable = 3,
        /// Source Quench (RFC 792, deprecated by RFC 6633).
        SourceQuench = 4,
        /// Redirect (RFC 792).
        Redirect = 5,
        /// Echo Request (RFC 792).
        EchoRequest = 8,
        /// Router Advertisement (RFC 1256).
        RouterAdvert = 9,
        /// Router Solicitation (RFC 1256).
        RouterSolicit = 10,
        /// Time Exceeded (RFC 792).
        TimeExceeded = 11,
        /// Parameter Problem (RFC 792).
        ParamProblem = 12,
        /// Timestamp (RFC 792).
        Timestamp = 13,
        /// Timestamp Reply (RFC 792).
        TimestampReply = 14,
    }
}

enum_with_unknown! {
    /// The code of a Destination Unreachable message (RFC 792, RFC 1122 §3.2.2.1, RFC 1812 §5.2.7.1).
    pub enum Icmpv4DstUnreachable(u8) {
        /// Net unreachable.
        NetUnreachable = 0,
        /// Host unreachable.
        HostUnreachable = 1,
        /// Protocol unreachable.
        ProtoUnreachable = 2,
        /// Port unreachable.
        PortUnreachable = 3,
        /// Fragmentation needed and DF set (RFC 1191 carries the next-hop MTU).
        FragRequired = 4,
        /// Source route failed.
        SrcRouteFailed = 5,
        /// Destination network unknown.
        DstNetUnknown = 6,
        /// Destination host unknown.
        DstHostUnknown = 7,
        /// Source host isolated.
        SrcHostIsolated = 8,
        /// Communication with the destination network administratively prohibited.
        NetProhibited = 9,
        /// Communication with the destination host administratively prohibited.
        HostProhibited = 10,
        /// Network unreachable for the type of service.
        NetUnreachToS = 11,
        /// Host unreachable for the type of service.
        HostUnreachToS = 12,
        /// Communication administratively prohibited (RFC 1812).
        CommProhibited = 13,
        /// Host precedence violation (RFC 1812).
        HostPrecedenceViolation = 14,
        /// Precedence cutoff in effect (RFC 1812).
        PrecedenceCutoff = 15,
    }
}

enum_with_unknown! {
    /// The code of a Time Exceeded message (RFC 792).
    pub enum Icmpv4TimeExceeded(u8) {
        /// Time to live exceeded in transit.
        TtlExpired = 0,
        /// Fragment reassembly time exceeded.
        FragExpired = 1,
    }
}

enum_with_unknown! {
    /// The code of a Redirect message (RFC 792).
    pub enum Icmpv4Redirect(u8) {
        /// Redirect datagrams for the network.
        Net = 0,
        /// Redirect datagrams for the host.
        Host = 1,
        /// Redirect datagrams for the type of service and network.
        TosNet = 2,
        /// Redirect datagrams for the type of service and host.
        TosHost = 3,
    }
}

enum_with_unknown! {
    /// The code of a Parameter Problem message (RFC 792, RFC 1122 §3.2.2.5, RFC 1812 §5.2.7.3).
    pub enum Icmpv4ParamProblem(u8) {
        /// The pointer indicates the octet in error.
        PointerIndicatesError = 0,
        /// A required option is missing.
        MissingOption = 1,
        /// Bad length.
        BadLength = 2,
    }
}

/// Byte ranges of the header (RFC 792).
mod field {
    use crate::wire::{Field, Rest};

    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: Field = 2..4;
    /// The four type-specific bytes, as a whole (zeroed for unused parts).
    pub const REST_OF_HEADER: Field = 4..8;
    // Echo (RFC 792 "Echo or Echo Reply Message").
    pub const ECHO_IDENT: Field = 4..6;
    pub const ECHO_SEQNO: Field = 6..8;
    // Destination Unreachable, code 4 (RFC 1191 §4).
    pub const NEXT_HOP_MTU: Field = 6..8;
    // Parameter Problem (RFC 792).
    pub const POINTER: usize = 4;
    // Redirect (RFC 792).
    pub const GATEWAY: Field = 4..8;
    pub const DATA: Rest = 8..;
}

/// The length of the ICMPv4 header (type, code, checksum, four bytes).
pub const HEADER_LEN: usize = 8;

/// A read/write view of an ICMPv4 message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Icmpv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Icmpv4Packet<T> {
    /// Wraps a buffer without checking it; accessors may panic on a short one.
    pub const fn new_unchecked(buffer: T) -> Icmpv4Packet<T> {
        Icmpv4Packet { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len) has accepted it.
    pub fn new_checked(buffer: T) -> Result<Icmpv4Packet<T>> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that the 8-byte header is present; every accessor reads only
    /// the header or the bytes after it.
    pub fn check_len(&self) -> Result<()> {
        if self.buffer.as_ref().len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The message type.
    pub fn msg_type(&self) -> Icmpv4Message {
        Icmpv4Message::from(self.buffer.as_ref()[field::TYPE])
    }

    /// The message code (its meaning depends on the type).
    pub fn msg_code(&self) -> u8 {
        self.buffer.as_ref()[field::CODE]
    }

    /// The checksum field.
    pub fn checksum(&self) -> u16 {
        be::read_u16(&self.buffer.as_ref()[field::CHECKSUM])
    }

    /// The identifier of an Echo or Echo Reply.
    pub fn echo_ident(&self) -> u16 {
        be::read_u16(&self.buffer.as_ref()[field::ECHO_IDENT])
    }

    /// The sequence number of an Echo or Echo Reply.
    pub fn echo_seq_no(&self) -> u16 {
        be::read_u16(&self.buffer.as_ref()[field::ECHO_SEQNO])
    }

    /// The next-hop MTU of a "fragmentation needed" message (RFC 1191 §4;
    /// zero from a router that predates it).
    pub fn next_hop_mtu(&self) -> u16 {
        be::read_u16(&self.buffer.as_ref()[field::NEXT_HOP_MTU])
    }

    /// The pointer of a Parameter Problem: the offset of the octet in error
    /// in the quoted datagram.
    pub fn pointer(&self) -> u8 {
        self.buffer.as_ref()[field::POINTER]
    }

    /// The gateway address of a Redirect.
    pub fn gateway(&self) -> Ipv4Addr {
        let b = &self.buffer.as_ref()[field::GATEWAY];
        Ipv4Addr::new(b[0], b[1], b[2], b[3])
    }

    /// The four type-specific header bytes as one word.
    pub fn rest_of_header(&self) -> u32 {
        be::read_u32(&self.buffer.as_ref()[field::REST_OF_HEADER])
    }

    /// The bytes after the header: echo data, or the quoted datagram of an
    /// error message (with any RFC 4884 extension structure after it).
    pub fn data(&self) -> &[u8] {
        self.buffer.as_ref().get(field::DATA).unwrap_or(&[])
    }

    /// The quoted datagram of an error message, read as an IPv4 header
    /// (plus whatever part of its payload was quoted).
    pub fn quoted_packet(&self) -> Result<Ipv4Packet<&[u8]>> {
        Ipv4Packet::new_checked_header(self.data())
    }

    /// True when the checksum over the whole message verifies (RFC 792).
    pub fn verify_checksum(&self) -> bool {
        checksum::sum(self.buffer.as_ref()) == 0xffff
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Icmpv4Packet<T> {
    /// Sets the message type.
    pub fn set_msg_type(&mut self, value: Icmpv4Message) {
        self.buffer.as_mut()[field::TYPE] = value.into()
    }

    /// Sets the message code.
    pub fn set_msg_code(&mut self, value: u8) {
        self.buffer.as_mut()[field::CODE] = value
    }

    /// Sets the checksum field to a given value.
    pub fn set_checksum(&mut self, value: u16) {
        be::write_u16(&mut self.buffer.as_mut()[field::CHECKSUM], value)
    }

    /// Sets the Echo identifier.
    pub fn set_echo_ident(&mut self, value: u16) {
        be::write_u16(&mut self.buffer.as_mut()[field::ECHO_IDENT], value)
    }

    /// Sets the Echo sequence number.
    pub fn set_echo_seq_no(&mut self, value: u16) {
        be::write_u16(&mut self.buffer.as_mut()[field::ECHO_SEQNO], value)
    }

    /// Sets the next-hop MTU (RFC 1191).
    pub fn set_next_hop_mtu(&mut self, value: u16) {
        be::write_u16(&mut self.buffer.as_mut()[field::NEXT_HOP_MTU], value)
    }

    /// Sets the Parameter Problem pointer.
    pub fn set_pointer(&mut self, value: u8) {
        self.buffer.as_mut()[field::POINTER] = value
    }

    /// Sets the Redirect gateway.
    pub fn set_gateway(&mut self, value: Ipv4Addr) {
        self.buffer.as_mut()[field::GATEWAY].copy_from_slice(&value.octets())
    }

    /// Sets the four type-specific header bytes as one word.
    pub fn set_rest_of_header(&mut self, value: u32) {
        be::write_u32(&mut self.buffer.as_mut()[field::REST_OF_HEADER], value)
    }

    /// The bytes after the header, writable.
    pub fn data_mut(&mut self) -> &mut [u8] {
        self.buffer.as_mut().get_mut(field::DATA).unwrap_or(&mut [])
    }

    /// Computes the checksum over the whole buffer and stores it.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let sum = checksum::sum(self.buffer.as_ref());
        self.set_checksum(checksum::finish(sum));
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for Icmpv4Packet<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

/// The high-level form of the ICMPv4 messages this crate handles.
///
/// Error messages carry the quoted datagram as bytes; read it with
/// [`quoted_packet`](Icmpv4Repr::quoted_packet). Fields a message type leaves
/// unused are not carried: parse ignores them and emit writes zeros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Icmpv4Repr<'a> {
    /// Echo Request (type 8).
    EchoRequest {
        /// Identifier, to match replies to requests.
        ident: u16,
        /// Sequence number.
        seq_no: u16,
        /// Data, returned unchanged in the reply.
        data: &'a [u8],
    },
    /// Echo Reply (type 0).
    EchoReply {
        /// Identifier from the request.
        ident: u16,
        /// Sequence number from the request.
        seq_no: u16,
        /// Data from the request.
        data: &'a [u8],
    },
    /// Destination Unreachable (type 3).
    DstUnreachable {
        /// The code.
        reason: Icmpv4DstUnreachable,
        /// Next-hop MTU for `FragRequired` (RFC 1191 §4); zero otherwise.
        next_hop_mtu: u16,
        /// The quoted datagram (its IPv4 header and the start of its data).
        data: &'a [u8],
    },
    /// Time Exceeded (type 11).
    TimeExceeded {
        /// The code.
        reason: Icmpv4TimeExceeded,
        /// The quoted datagram.
        data: &'a [u8],
    },
    /// Parameter Problem (type 12).
    ParamProblem {
        /// The code.
        reason: Icmpv4ParamProblem,
        /// Offset of the octet in error in the quoted datagram.
        pointer: u8,
        /// The quoted datagram.
        data: &'a [u8],
    },
    /// Redirect (type 5).
    Redirect {
        /// The code.
        reason: Icmpv4Redirect,
        /// The better first hop for the quoted datagram's destination.
        gateway: Ipv4Addr,
        /// The quoted datagram.
        data: &'a [u8],
    },
}

impl<'a> Icmpv4Repr<'a> {
    /// Parses and validates a message.
    ///
    /// Verifies the checksum (unless `Skip`) and, for error messages, that
    /// the quote holds a complete IPv4 header (RFC 792: "Internet Header +
    /// 64 bits of Original Data Datagram"; only the header is required here,
    /// so that a router quoting less data is still heard). Types this crate
    /// does not handle give `Unsupported`.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &Icmpv4Packet<&'a T>,
        checksum: ChecksumMode,
    ) -> Result<Icmpv4Repr<'a>> {
        packet.check_len()?;
        if checksum.is_check() && !packet.verify_checksum() {
            return Err(Error::Checksum);
        }
        let data: &'a [u8] = packet.buffer.as_ref().get(field::DATA).unwrap_or(&[]);
        let code = packet.msg_code();
        // RFC 792 gives Echo the code 0; like Linux we do not reject others.
        let repr = match packet.msg_type() {
            Icmpv4Message::EchoRequest => Icmpv4Repr::EchoRequest {
                ident: packet.echo_ident(),
                seq_no: packet.echo_seq_no(),
                data,
            },
            Icmpv4Message::EchoReply => Icmpv4Repr::EchoReply {
                ident: packet.echo_ident(),
                seq_no: packet.echo_seq_no(),
                data,
            },
            Icmpv4Message::DstUnreachable => {
                let reason = Icmpv4DstUnreachable::from(code);
                // RFC 1191 §4: the MTU field exists only for code 4; RFC 792
                // calls these bytes unused for every other code.
                let next_hop_mtu = if reason == Icmpv4DstUnreachable::FragRequired {
                    packet.next_hop_mtu()
                } else {
                    0
                };
                Icmpv4Repr::DstUnreachable {
                    reason,
                    next_hop_mtu,
                    data: check_quote(data)?,
                }
            }
            Icmpv4Message::TimeExceeded => Icmpv4Repr::TimeExceeded {
                reason: Icmpv4TimeExceeded::from(code),
                data: check_quote(data)?,
            },
            Icmpv4Message::ParamProblem => Icmpv4Repr::ParamProblem {
                reason: Icmpv4ParamProblem::from(code),
                pointer: packet.pointer(),
                data: check_quote(data)?,
            },
            Icmpv4Message::Redirect => Icmpv4Repr::Redirect {
                reason: Icmpv4Redirect::from(code),
                gateway: packet.gateway(),
                data: check_quote(data)?,
            },
            _ => return Err(Error::Unsupported("icmpv4 message type")),
        };
        Ok(repr)
    }

    /// The data after the header (echo data or the quote).
    pub const fn data(&self) -> &'a [u8] {
        match *self {
            Icmpv4Repr::EchoRequest { data, .. }
            | Icmpv4Repr::EchoReply { data, .. }
            | Icmpv4Repr::DstUnreachable { data, .. }
            | Icmpv4Repr::TimeExceeded { data, .. }
            | Icmpv4Repr::ParamProblem { data, .. }
            | Icmpv4Repr::Redirect { data, .. } => data,
        }
    }

    /// The quoted datagram of an error message as an IPv4 view.
    ///
    /// Echo messages quote nothing and give `Unsupported`.
    pub fn quoted_packet(&self) -> Result<Ipv4Packet<&'a [u8]>> {
        match self {
            Icmpv4Repr::EchoRequest { .. } | Icmpv4Repr::EchoReply { .. } => {
                Err(Error::Unsupported("icmpv4 quote in an echo message"))
            }
            _ => Ipv4Packet::new_checked_header(self.data()),
        }
    }

    /// The length of the whole message `emit` writes: header and data.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN + self.data().len()
    }

    /// Writes the message into `packet`, whose buffer must be exactly
    /// [`buffer_len`](Self::buffer_len) bytes (the checksum covers all of it).
    ///
    /// The checksum is computed when `checksum` is `Check` and left alone
    /// otherwise.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        packet: &mut Icmpv4Packet<T>,
        checksum: ChecksumMode,
    ) {
        // Unused header bytes are zero (RFC 792), so clear them first.
        packet.set_rest_of_header(0);
        let (msg_type, code) = match *self {
            Icmpv4Repr::EchoRequest { ident, seq_no, .. } => {
                packet.set_echo_ident(ident);
                packet.set_echo_seq_no(seq_no);
                (Icmpv4Message::EchoRequest, 0)
            }
            Icmpv4Repr::EchoReply { ident, seq_no, .. } => {
                packet.set_echo_ident(ident);
                packet.set_echo_seq_no(seq_no);
                (Icmpv4Message::EchoReply, 0)
            }
            Icmpv4Repr::DstUnreachable {
                reason,
                next_hop_mtu,
                ..
            } => {
                if reason == Icmpv4DstUnreachable::FragRequired {
                    packet.set_next_hop_mtu(next_hop_mtu);
                }
                (Icmpv4Message::DstUnreachable, reason.into())
            }
            Icmpv4Repr::TimeExceeded { reason, .. } => (Icmpv4Message::TimeExceeded, reason.into()),
            Icmpv4Repr::ParamProblem {
                reason, pointer, ..
            } => {
                packet.set_pointer(pointer);
                (Icmpv4Message::ParamProblem, reason.into())
            }
            Icmpv4Repr::Redirect {
                reason, gateway, ..
            } => {
                packet.set_gateway(gateway);
                (Icmpv4Message::Redirect, reason.into())
            }
        };
        packet.set_msg_type(msg_type);
        packet.set_msg_code(code);
        let data = self.data();
        packet.data_mut()[..data.len()].copy_from_slice(data);
        if checksum.is_check() {
            packet.fill_checksum();
        }
    }
}

/// An error message must quote at least a whole IPv4 header.
fn check_quote(data: &[u8]) -> Result<&[u8]> {
    let quoted = Ipv4Packet::new_checked_header(data)?;
    if quoted.version() != 4 {
        return Err(Error::Malformed("icmpv4 quoted ip version"));
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::wire::IpProtocol;
    use std::vec;
    use std::vec::Vec;

    // e1000g.pcap frame 1: an Echo Request (ident 0x1af5, seq 0, 56 bytes of data).
    const ECHO_REQUEST: [u8; 64] = [
        0x08, 0x00, 0x32, 0xe2, 0x1a, 0xf5, 0x00, 0x00, 0xed, 0x76, 0x0d, 0x4b, 0xb9, 0x63, 0x0b,
        0x00, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
        0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24,
        0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33,
        0x34, 0x35, 0x36, 0x37,
    ];

    // mpls-traceroute.pcap frame 14: Port Unreachable quoting a UDP probe's
    // IPv4 header and the first 8 bytes of its 20-byte UDP datagram.
    const PORT_UNREACHABLE: [u8; 36] = [
        0x03, 0x03, 0xd4, 0xfb, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x28, 0xa5, 0x52, 0x00,
        0x00, 0x01, 0x11, 0xf7, 0x69, 0x0c, 0x04, 0x04, 0x04, 0x0c, 0x01, 0x01, 0x01, 0xa5, 0x4b,
        0x82, 0xa1, 0x00, 0x14, 0x00, 0x00,
    ];

    /// mpls-traceroute.pcap frame 2 (148 bytes): Time Exceeded quoting a UDP
    /// probe, zero padded to 128 bytes, then an RFC 4950 MPLS extension.
    fn time_exceeded() -> Vec<u8> {
        let mut v = vec![
            0x0b, 0x00, 0xcd, 0x04, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x28, 0xa5, 0x4c,
            0x00, 0x00, 0x01, 0x11, 0xf7, 0x6f, 0x0c, 0x04, 0x04, 0x04, 0x0c, 0x01, 0x01, 0x01,
            0xa5, 0x4b, 0x82, 0x9b, 0x00, 0x14, 0x00, 0x00,
        ];
        v.resize(136, 0);
        v.extend_from_slice(&[
            0x20, 0x00, 0xc5, 0x5f, 0x00, 0x08, 0x01, 0x01, 0x18, 0x96, 0x01, 0x01,
        ]);
        v
    }

    fn emit_to_vec(repr: &Icmpv4Repr) -> Vec<u8> {
        let mut buf = vec![0xa5u8; repr.buffer_len()];
        repr.emit(
            &mut Icmpv4Packet::new_unchecked(&mut buf[..]),
            ChecksumMode::Check,
        );
        buf
    }

    fn assert_round_trip(repr: &Icmpv4Repr) {
        let buf = emit_to_vec(repr);
        let packet = Icmpv4Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(Icmpv4Repr::parse(&packet, ChecksumMode::Check), Ok(*repr));
    }

    #[test]
    fn real_echo_request() {
        let packet = Icmpv4Packet::new_checked(&ECHO_REQUEST[..]).unwrap();
        assert_eq!(packet.msg_type(), Icmpv4Message::EchoRequest);
        assert_eq!(packet.msg_code(), 0);
        assert_eq!(packet.checksum(), 0x32e2);
        assert!(packet.verify_checksum());
        assert_eq!(packet.echo_ident(), 0x1af5);
        assert_eq!(packet.echo_seq_no(), 0);
        assert_eq!(packet.data(), &ECHO_REQUEST[8..]);
        let repr = Icmpv4Repr::parse(&packet, ChecksumMode::Check).unwrap();
        assert_eq!(
            repr,
            Icmpv4Repr::EchoRequest {
                ident: 0x1af5,
                seq_no: 0,
                data: &ECHO_REQUEST[8..],
            }
        );
        assert_eq!(repr.buffer_len(), 64);
        assert_eq!(emit_to_vec(&repr), ECHO_REQUEST);
        assert!(repr.quoted_packet().is_err());

        // e1000g.pcap frame 2 is the reply: same bytes with type 0, checksum 0x3ae2.
        let reply = Icmpv4Repr::EchoReply {
            ident: 0x1af5,
            seq_no: 0,
            data: &ECHO_REQUEST[8..],
        };
        let mut expected = ECHO_REQUEST;
        expected[0] = 0x00;
        expected[2] = 0x3a;
        assert_eq!(emit_to_vec(&reply), expected);
        assert_round_trip(&reply);
    }

    #[test]
    fn real_port_unreachable() {
        let packet = Icmpv4Packet::new_checked(&PORT_UNREACHABLE[..]).unwrap();
        assert_eq!(packet.msg_type(), Icmpv4Message::DstUnreachable);
        assert_eq!(packet.msg_code(), 3);
        assert_eq!(packet.checksum(), 0xd4fb);
        assert!(packet.verify_checksum());
        assert_eq!(packet.rest_of_header(), 0);
        assert_eq!(packet.data(), &PORT_UNREACHABLE[8..]);
        let repr = Icmpv4Repr::parse(&packet, ChecksumMode::Check).unwrap();
        assert_eq!(
            repr,
            Icmpv4Repr::DstUnreachable {
                reason: Icmpv4DstUnreachable::PortUnreachable,
                next_hop_mtu: 0,
                data: &PORT_UNREACHABLE[8..],
            }
        );
        let quoted = repr.quoted_packet().unwrap();
        assert_eq!(quoted.total_len(), 40);
        assert_eq!(quoted.ident(), 0xa552);
        assert_eq!(quoted.hop_limit(), 1);
        assert_eq!(quoted.next_header(), IpProtocol::Udp);
        assert_eq!(quoted.src_addr(), Ipv4Addr::new(12, 4, 4, 4));
        assert_eq!(quoted.dst_addr(), Ipv4Addr::new(12, 1, 1, 1));
        assert!(quoted.verify_checksum());
        // The first 8 bytes of the UDP header: ports 42315 → 33441, length 20.
        assert_eq!(
            quoted.payload(),
            &[0xa5, 0x4b, 0x82, 0xa1, 0x00, 0x14, 0x00, 0x00]
        );
        assert_eq!(packet.quoted_packet().unwrap(), quoted);
        assert_eq!(emit_to_vec(&repr), PORT_UNREACHABLE);
    }

    #[test]
    fn real_time_exceeded_with_extension() {
        let buf = time_exceeded();
        let packet = Icmpv4Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(packet.msg_type(), Icmpv4Message::TimeExceeded);
        assert_eq!(packet.msg_code(), 0);
        assert_eq!(packet.checksum(), 0xcd04);
        assert!(packet.verify_checksum());
        let repr = Icmpv4Repr::parse(&packet, ChecksumMode::Check).unwrap();
        assert_eq!(
            repr,
            Icmpv4Repr::TimeExceeded {
                reason: Icmpv4TimeExceeded::TtlExpired,
                data: &buf[8..],
            }
        );
        let quoted = repr.quoted_packet().unwrap();
        assert_eq!(quoted.ident(), 0xa54c);
        assert_eq!(quoted.payload().len(), 20);
        assert_eq!(emit_to_vec(&repr), buf);
    }

    #[test]
    fn frag_required_redirect_param_problem() {
        let quote = &PORT_UNREACHABLE[8..];
        // RFC 1191 §4: code 4 with the next-hop MTU in the low 16 bits.
        let repr = Icmpv4Repr::DstUnreachable {
            reason: Icmpv4DstUnreachable::FragRequired,
            next_hop_mtu: 1400,
            data: quote,
        };
        let buf = emit_to_vec(&repr);
        assert_eq!(&buf[..2], &[3, 4]);
        assert_eq!(&buf[4..8], &[0, 0, 0x05, 0x78]);
        let packet = Icmpv4Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(packet.next_hop_mtu(), 1400);
        assert_round_trip(&repr);

        let repr = Icmpv4Repr::Redirect {
            reason: Icmpv4Redirect::Host,
            gateway: Ipv4Addr::new(10, 0, 0, 254),
            data: quote,
        };
        let buf = emit_to_vec(&repr);
        assert_eq!(&buf[..2], &[5, 1]);
        assert_eq!(&buf[4..8], &[10, 0, 0, 254]);
        assert_eq!(
            Icmpv4Packet::new_checked(&buf[..]).unwrap().gateway(),
            Ipv4Addr::new(10, 0, 0, 254)
        );
        assert_round_trip(&repr);

        let repr = Icmpv4Repr::ParamProblem {
            reason: Icmpv4ParamProblem::PointerIndicatesError,
            pointer: 9,
            data: quote,
        };
        let buf = emit_to_vec(&repr);
        assert_eq!(&buf[..2], &[12, 0]);
        assert_eq!(&buf[4..8], &[9, 0, 0, 0]);
        assert_eq!(Icmpv4Packet::new_checked(&buf[..]).unwrap().pointer(), 9);
        assert_round_trip(&repr);

        // Unused bytes of a non-code-4 Destination Unreachable are dropped.
        let mut buf = PORT_UNREACHABLE;
        buf[6] = 0x12;
        let mut p = Icmpv4Packet::new_unchecked(&mut buf[..]);
        p.fill_checksum();
        let p = Icmpv4Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(
            Icmpv4Repr::parse(&p, ChecksumMode::Check).unwrap(),
            Icmpv4Repr::DstUnreachable {
                reason: Icmpv4DstUnreachable::PortUnreachable,
                next_hop_mtu: 0,
                data: quote,
            }
        );
    }

    #[test]
    fn errors() {
        for len in 0..8 {
            assert_eq!(
                Icmpv4Packet::new_checked(&ECHO_REQUEST[..len]).err(),
                Some(Error::Truncated)
            );
        }
        // Any truncation of the echo breaks the checksum.
        for len in 8..64 {
            let p = Icmpv4Packet::new_checked(&ECHO_REQUEST[..len]).unwrap();
            assert_eq!(
                Icmpv4Repr::parse(&p, ChecksumMode::Check),
                Err(Error::Checksum)
            );
        }
        // A quote shorter than an IPv4 header (checksum fixed up) is Truncated.
        for len in 8..28 {
            let mut buf = PORT_UNREACHABLE[..len].to_vec();
            Icmpv4Packet::new_unchecked(&mut buf[..]).fill_checksum();
            let p = Icmpv4Packet::new_checked(&buf[..]).unwrap();
            assert_eq!(
                Icmpv4Repr::parse(&p, ChecksumMode::Check),
                Err(Error::Truncated),
                "len {len}"
            );
        }
        // A quote with a bad IHL or version.
        let mut buf = PORT_UNREACHABLE;
        buf[8] = 0x43;
        Icmpv4Packet::new_unchecked(&mut buf[..]).fill_checksum();
        let p = Icmpv4Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(
            Icmpv4Repr::parse(&p, ChecksumMode::Check),
            Err(Error::Malformed("ipv4 header length"))
        );
        buf[8] = 0x65;
        Icmpv4Packet::new_unchecked(&mut buf[..]).fill_checksum();
        let p = Icmpv4Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(
            Icmpv4Repr::parse(&p, ChecksumMode::Check),
            Err(Error::Malformed("icmpv4 quoted ip version"))
        );
        // Bad checksum, and Skip ignoring it.
        let mut buf = ECHO_REQUEST;
        buf[2] ^= 1;
        let p = Icmpv4Packet::new_checked(&buf[..]).unwrap();
        assert!(!p.verify_checksum());
        assert_eq!(
            Icmpv4Repr::parse(&p, ChecksumMode::Check),
            Err(Error::Checksum)
        );
        assert!(Icmpv4Repr::parse(&p, ChecksumMode::Skip).is_ok());
        // Unhandled types.
        for t in [13u8, 9, 42, 255] {
            let mut buf = ECHO_REQUEST;
            buf[0] = t;
            Icmpv4Packet::new_unchecked(&mut buf[..]).fill_checksum();
            let p = Icmpv4Packet::new_checked(&buf[..]).unwrap();
            assert_eq!(
                Icmpv4Repr::parse(&p, ChecksumMode::Check),
                Err(Error::Unsupported("icmpv4 message type"))
            );
        }
    }

    #[test]
    fn never_panics() {
        let te = time_exceeded();
        let samples: [&[u8]; 3] = [&ECHO_REQUEST, &PORT_UNREACHABLE, &te];
        let check = |bytes: &[u8]| {
            if let Ok(p) = Icmpv4Packet::new_checked(bytes) {
                let _ = (p.verify_checksum(), p.data(), p.rest_of_header());
                if let Ok(q) = p.quoted_packet() {
                    let _ = (q.payload(), q.options_iter().count(), q.verify_checksum());
                }
                for mode in [ChecksumMode::Check, ChecksumMode::Skip] {
                    if let Ok(repr) = Icmpv4Repr::parse(&p, mode) {
                        assert_round_trip(&repr);
                        let _ = repr.quoted_packet();
                    }
                }
            }
        };
        for sample in samples {
            for len in 0..=sample.len() {
                check(&sample[..len]);
            }
            for i in 0..sample.len() {
                for f in [|b: u8| b ^ 0xff, |_| 0x00, |b: u8| b ^ 0x01] {
                    let mut m = sample.to_vec();
                    m[i] = f(m[i]);
                    check(&m);
                }
            }
        }
    }
}
