//! ICMPv6 (RFC 4443): the common header, error and echo messages.
//!
//! The view [`Icmpv6Packet`] covers the whole ICMPv6 message (the IPv6
//! payload). Neighbor Discovery (RFC 4861) and MLD (RFC 2710, RFC 3810) share
//! this header; their type-specific accessors and representations live in
//! [`ndp`](super::ndp) and [`mld`](super::mld), and [`Icmpv6Repr`] dispatches
//! to them.
//!
//! Every accessor reads through bounds-checked helpers: `check_len` validates
//! the length that the message's own type needs, and an accessor for a field
//! that the buffer does not hold (an NDP field read on an echo message, say)
//! returns zero instead of panicking.

use core::fmt;

use super::checksum;
use super::ip::enum_with_unknown;
use super::ipv6::Ipv6Packet;
use super::mld::MldRepr;
use super::ndp::NdiscRepr;
use super::{ChecksumMode, Error, Field, IpProtocol, Ipv6Addr, Result};

enum_with_unknown! {
    /// ICMPv6 message type (IANA "ICMPv6 Parameters", RFC 4443 §2.1).
    pub enum Icmpv6Message(u8) {
        /// Destination Unreachable (RFC 4443 §3.1).
        DstUnreachable = 1,
        /// Packet Too Big (RFC 4443 §3.2).
        PktTooBig = 2,
        /// Time Exceeded (RFC 4443 §3.3).
        TimeExceeded = 3,
        /// Parameter Problem (RFC 4443 §3.4).
        ParamProblem = 4,
        /// Echo Request (RFC 4443 §4.1).
        EchoRequest = 128,
        /// Echo Reply (RFC 4443 §4.2).
        EchoReply = 129,
        /// Multicast Listener Query (RFC 2710 §3.6, RFC 3810 §5.1).
        MldQuery = 130,
        /// MLDv1 Multicast Listener Report (RFC 2710 §3.7).
        MldReport = 131,
        /// MLDv1 Multicast Listener Done (RFC 2710 §3.8).
        MldDone = 132,
        /// Router Solicitation (RFC 4861 §4.1).
        RouterSolicit = 133,
        /// Router Advertisement (RFC 4861 §4.2).
        RouterAdvert = 134,
        /// Neighbor Solicitation (RFC 4861 §4.3).
        NeighborSolicit = 135,
        /// Neighbor Advertisement (RFC 4861 §4.4).
        NeighborAdvert = 136,
        /// Redirect (RFC 4861 §4.5).
        Redirect = 137,
        /// Router Renumbering (RFC 2894).
        RouterRenumbering = 138,
        /// Node Information Query (RFC 4620).
        NodeInfoQuery = 139,
        /// Node Information Response (RFC 4620).
        NodeInfoResponse = 140,
        /// Version 2 Multicast Listener Report (RFC 3810 §5.2).
        MldV2Report = 143,
        /// Extended Echo Request (RFC 8335).
        ExtendedEchoRequest = 160,
        /// Extended Echo Reply (RFC 8335).
        ExtendedEchoReply = 161,
    }
}

impl Icmpv6Message {
    /// True for an error message (RFC 4443 §2.1: types 0-127 are errors,
    /// 128-255 informational). A node must never answer an error with an error
    /// (RFC 4443 §2.4(e)), so the interface asks this before replying.
    pub fn is_error(&self) -> bool {
        u8::from(*self) < 128
    }

    /// True for the Neighbor Discovery messages (RFC 4861 §4).
    pub fn is_ndisc(&self) -> bool {
        matches!(
            self,
            Icmpv6Message::RouterSolicit
                | Icmpv6Message::RouterAdvert
                | Icmpv6Message::NeighborSolicit
                | Icmpv6Message::NeighborAdvert
                | Icmpv6Message::Redirect
        )
    }

    /// True for the MLD messages (RFC 2710 §3, RFC 3810 §5).
    pub fn is_mld(&self) -> bool {
        matches!(
            self,
            Icmpv6Message::MldQuery
                | Icmpv6Message::MldReport
                | Icmpv6Message::MldDone
                | Icmpv6Message::MldV2Report
        )
    }
}

impl fmt::Display for Icmpv6Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Icmpv6Message::DstUnreachable => f.write_str("destination unreachable"),
            Icmpv6Message::PktTooBig => f.write_str("packet too big"),
            Icmpv6Message::TimeExceeded => f.write_str("time exceeded"),
            Icmpv6Message::ParamProblem => f.write_str("parameter problem"),
            Icmpv6Message::EchoRequest => f.write_str("echo request"),
            Icmpv6Message::EchoReply => f.write_str("echo reply"),
            Icmpv6Message::MldQuery => f.write_str("multicast listener query"),
            Icmpv6Message::MldReport => f.write_str("multicast listener report"),
            Icmpv6Message::MldDone => f.write_str("multicast listener done"),
            Icmpv6Message::RouterSolicit => f.write_str("router solicitation"),
            Icmpv6Message::RouterAdvert => f.write_str("router advertisement"),
            Icmpv6Message::NeighborSolicit => f.write_str("neighbor solicitation"),
            Icmpv6Message::NeighborAdvert => f.write_str("neighbor advertisement"),
            Icmpv6Message::Redirect => f.write_str("redirect"),
            Icmpv6Message::RouterRenumbering => f.write_str("router renumbering"),
            Icmpv6Message::NodeInfoQuery => f.write_str("node information query"),
            Icmpv6Message::NodeInfoResponse => f.write_str("node information response"),
            Icmpv6Message::MldV2Report => f.write_str("multicast listener report v2"),
            Icmpv6Message::ExtendedEchoRequest => f.write_str("extended echo request"),
            Icmpv6Message::ExtendedEchoReply => f.write_str("extended echo reply"),
            Icmpv6Message::Unknown(n) => write!(f, "type {n}"),
        }
    }
}

enum_with_unknown! {
    /// Destination Unreachable code (RFC 4443 §3.1, RFC 6554, RFC 8883).
    pub enum DstUnreachable(u8) {
        /// No route to destination.
        NoRoute = 0,
        /// Communication with destination administratively prohibited.
        AdminProhibit = 1,
        /// Beyond scope of source address.
        BeyondScope = 2,
        /// Address unreachable.
        AddrUnreachable = 3,
        /// Port unreachable.
        PortUnreachable = 4,
        /// Source address failed ingress/egress policy.
        FailedPolicy = 5,
        /// Reject route to destination.
        RejectRoute = 6,
        /// Error in Source Routing Header (RFC 6554).
        SrcRoutingHeader = 7,
        /// Headers too long (RFC 8883).
        HeadersTooLong = 8,
    }
}

enum_with_unknown! {
    /// Time Exceeded code (RFC 4443 §3.3).
    pub enum TimeExceeded(u8) {
        /// Hop limit exceeded in transit.
        HopLimitExceeded = 0,
        /// Fragment reassembly time exceeded.
        FragReassemblyExceeded = 1,
    }
}

enum_with_unknown! {
    /// Parameter Problem code (RFC 4443 §3.4, RFC 7112 §5).
    pub enum ParamProblem(u8) {
        /// Erroneous header field encountered.
        ErroneousHdrField = 0,
        /// Unrecognized Next Header type encountered.
        UnrecognizedNxtHdr = 1,
        /// Unrecognized IPv6 option encountered.
        UnrecognizedOption = 2,
        /// IPv6 first fragment has incomplete header chain (RFC 7112).
        IncompleteHdrChain = 3,
    }
}

/// Byte ranges of the ICMPv6 header (RFC 4443 §2.1) and of the first word of
/// the error and echo bodies (RFC 4443 §3, §4).
mod field {
    use crate::wire::{Field, Rest};

    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: Field = 2..4;

    /// RFC 4443 §3.2: the MTU of the next-hop link.
    pub const MTU: Field = 4..8;
    /// RFC 4443 §3.4: the offset of the offending octet.
    pub const POINTER: Field = 4..8;
    /// RFC 4443 §4.1: echo identifier and sequence number.
    pub const ECHO_IDENT: Field = 4..6;
    pub const ECHO_SEQNO: Field = 6..8;

    /// Error messages carry "as much of invoking packet as possible" here,
    /// echo messages their data.
    pub const BODY: Rest = 8..;
}

/// The length of the ICMPv6 header every message defined by RFC 4443, RFC 4861
/// and RFC 3810 starts with: type, code, checksum and one 32-bit word.
pub const HEADER_LEN: usize = 8;

/// The largest ICMPv6 error message that fits the IPv6 minimum MTU
/// (RFC 4443 §2.4(c): 1280 bytes minus the 40-byte IPv6 header). The caller
/// cuts the quoted packet so that `buffer_len()` stays within this.
pub const MAX_ERROR_LEN: usize = 1280 - 40;

// ---------------------------------------------------------------------------
// Bounds-checked field access, shared with ndp.rs and mld.rs.
//
// A read past the end yields zeros and a write past the end is dropped, so an
// accessor can never panic, whatever type-specific field it is asked for.

pub(crate) fn get_u8(buf: &[u8], at: usize) -> u8 {
    buf.get(at).copied().unwrap_or(0)
}

pub(crate) fn get_u16(buf: &[u8], f: Field) -> u16 {
    match buf.get(f) {
        Some(&[a, b]) => u16::from_be_bytes([a, b]),
        _ => 0,
    }
}

pub(crate) fn get_u32(buf: &[u8], f: Field) -> u32 {
    match buf.get(f) {
        Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

pub(crate) fn get_addr(buf: &[u8], f: Field) -> Ipv6Addr {
    match buf.get(f).and_then(|s| <[u8; 16]>::try_from(s).ok()) {
        Some(octets) => Ipv6Addr::from(octets),
        None => Ipv6Addr::UNSPECIFIED,
    }
}

pub(crate) fn set_u8(buf: &mut [u8], at: usize, value: u8) {
    if let Some(b) = buf.get_mut(at) {
        *b = value;
    }
}

pub(crate) fn set_bytes(buf: &mut [u8], at: usize, data: &[u8]) {
    if let Some(dst) = buf.get_mut(at..at.saturating_add(data.len())) {
        dst.copy_from_slice(data);
    }
}

pub(crate) fn set_u16(buf: &mut [u8], f: Field, value: u16) {
    set_bytes(buf, f.start, &value.to_be_bytes());
}

pub(crate) fn set_u32(buf: &mut [u8], f: Field, value: u32) {
    set_bytes(buf, f.start, &value.to_be_bytes());
}

pub(crate) fn set_addr(buf: &mut [u8], f: Field, value: &Ipv6Addr) {
    set_bytes(buf, f.start, &value.octets());
}

/// An iterator over the IPv6 addresses packed back to back in a byte slice
/// (RDNSS servers, MLD sources). A trailing partial address is not yielded.
#[derive(Debug, Clone)]
pub struct Ipv6AddrIter<'a> {
    chunks: core::slice::ChunksExact<'a, u8>,
}

impl<'a> Ipv6AddrIter<'a> {
    /// Iterates over the whole 16-byte words of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Ipv6AddrIter {
            chunks: bytes.chunks_exact(16),
        }
    }
}

impl Iterator for Ipv6AddrIter<'_> {
    type Item = Ipv6Addr;

    fn next(&mut self) -> Option<Ipv6Addr> {
        let chunk = self.chunks.next()?;
        <[u8; 16]>::try_from(chunk).ok().map(Ipv6Addr::from)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.chunks.size_hint()
    }
}

/// A zero-copy view of an ICMPv6 message (the whole IPv6 payload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Icmpv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Icmpv6Packet<T> {
    /// Wraps a buffer without checking its length.
    pub const fn new_unchecked(buffer: T) -> Icmpv6Packet<T> {
        Icmpv6Packet { buffer }
    }

    /// Wraps a buffer and checks that it holds the fixed part its type needs.
    pub fn new_checked(buffer: T) -> Result<Icmpv6Packet<T>> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that the buffer holds the common header and the fixed part of
    /// the message its type field names.
    ///
    /// Every message RFC 4443 defines has at least 8 bytes (§3, §4), so this
    /// is required of any type; the NDP and MLD types need more (see
    /// [`min_len`](Self::min_len)). Variable parts (options, sources,
    /// records) are validated by the `Repr` parsers.
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN || len < Self::min_len(self.msg_type()) {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// The length of the fixed part of a message of type `msg_type`.
    pub fn min_len(msg_type: Icmpv6Message) -> usize {
        match msg_type {
            // RFC 4861 §4.1-§4.5: the body before the options.
            t if t.is_ndisc() => super::ndp::fixed_len(t),
            // RFC 2710 §3 / RFC 3810 §5.1: queries, v1 reports and dones carry
            // a multicast address (24); a v2 report's fixed part is 8 bytes.
            t if t.is_mld() => super::mld::fixed_len(t),
            _ => HEADER_LEN,
        }
    }

    /// Consumes the view, returning the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The message type (RFC 4443 §2.1).
    pub fn msg_type(&self) -> Icmpv6Message {
        Icmpv6Message::from(get_u8(self.buffer.as_ref(), field::TYPE))
    }

    /// The message code, whose meaning depends on the type.
    pub fn msg_code(&self) -> u8 {
        get_u8(self.buffer.as_ref(), field::CODE)
    }

    /// The checksum field.
    pub fn checksum(&self) -> u16 {
        get_u16(self.buffer.as_ref(), field::CHECKSUM)
    }

    /// The echo identifier (RFC 4443 §4.1).
    pub fn echo_ident(&self) -> u16 {
        get_u16(self.buffer.as_ref(), field::ECHO_IDENT)
    }

    /// The echo sequence number (RFC 4443 §4.1).
    pub fn echo_seq_no(&self) -> u16 {
        get_u16(self.buffer.as_ref(), field::ECHO_SEQNO)
    }

    /// The next-hop MTU of a Packet Too Big message (RFC 4443 §3.2).
    pub fn mtu(&self) -> u32 {
        get_u32(self.buffer.as_ref(), field::MTU)
    }

    /// The offending-octet offset of a Parameter Problem message (RFC 4443 §3.4).
    pub fn pointer(&self) -> u32 {
        get_u32(self.buffer.as_ref(), field::POINTER)
    }

    /// The bytes after the 8-byte header: the quoted invoking packet of an
    /// error message (RFC 4443 §2.4(c)), the data of an echo message.
    pub fn payload(&self) -> &[u8] {
        self.buffer.as_ref().get(field::BODY).unwrap_or(&[])
    }

    /// The invoking packet an error message quotes (RFC 4443 §3): an IPv6
    /// header and as much of its payload as fit. Same bytes as `payload`.
    pub fn quoted(&self) -> &[u8] {
        self.payload()
    }

    /// The quoted invoking packet of an error message as an IPv6 view, so a
    /// socket can match it to the flow it concerns (RFC 4443 §2.4(d)).
    ///
    /// [`Error::Unsupported`] for a message that is not an error; the quote
    /// is usually cut short, so only its 40-byte header must be present.
    pub fn quoted_packet(&self) -> Result<Ipv6Packet<&[u8]>> {
        if !self.msg_type().is_error() {
            return Err(Error::Unsupported("icmpv6 message without a quoted packet"));
        }
        Ipv6Packet::new_checked_header(self.quoted())
    }

    /// The one's-complement sum of the pseudo-header (RFC 4443 §2.3: the
    /// upper-layer packet length is the ICMPv6 message length, next header 58)
    /// and the message, checksum field included.
    fn full_sum(&self, src: &Ipv6Addr, dst: &Ipv6Addr) -> u16 {
        let data = self.buffer.as_ref();
        let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
        checksum::combine(&[
            checksum::pseudo_header_v6(src, dst, IpProtocol::Icmpv6, len),
            checksum::sum(data),
        ])
    }

    /// True when the checksum covers the pseudo-header and message correctly
    /// (RFC 4443 §2.3). `src` and `dst` are the IPv6 header addresses (the
    /// final destination when a Routing header is present, RFC 8200 §8.1).
    pub fn verify_checksum(&self, src: &Ipv6Addr, dst: &Ipv6Addr) -> bool {
        self.full_sum(src, dst) == 0xffff
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Icmpv6Packet<&'a T> {
    /// The whole message with the buffer's lifetime, so that a `Repr` can
    /// borrow from it.
    pub(crate) fn bytes(&self) -> &'a [u8] {
        self.buffer.as_ref()
    }

    /// [`payload`](Icmpv6Packet::payload) with the buffer's lifetime.
    pub(crate) fn body(&self) -> &'a [u8] {
        self.bytes().get(field::BODY).unwrap_or(&[])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Icmpv6Packet<T> {
    /// Sets the message type.
    pub fn set_msg_type(&mut self, value: Icmpv6Message) {
        set_u8(self.buffer.as_mut(), field::TYPE, value.into());
    }

    /// Sets the message code.
    pub fn set_msg_code(&mut self, value: u8) {
        set_u8(self.buffer.as_mut(), field::CODE, value);
    }

    /// Sets the checksum field as is.
    pub fn set_checksum(&mut self, value: u16) {
        set_u16(self.buffer.as_mut(), field::CHECKSUM, value);
    }

    /// Sets the echo identifier.
    pub fn set_echo_ident(&mut self, value: u16) {
        set_u16(self.buffer.as_mut(), field::ECHO_IDENT, value);
    }

    /// Sets the echo sequence number.
    pub fn set_echo_seq_no(&mut self, value: u16) {
        set_u16(self.buffer.as_mut(), field::ECHO_SEQNO, value);
    }

    /// Sets the MTU of a Packet Too Big message.
    pub fn set_mtu(&mut self, value: u32) {
        set_u32(self.buffer.as_mut(), field::MTU, value);
    }

    /// Sets the pointer of a Parameter Problem message.
    pub fn set_pointer(&mut self, value: u32) {
        set_u32(self.buffer.as_mut(), field::POINTER, value);
    }

    /// Zeroes the 32-bit word after the checksum ("Unused", RFC 4443 §3.1, §3.3).
    pub fn clear_reserved(&mut self) {
        set_u32(self.buffer.as_mut(), 4..8, 0);
    }

    /// The bytes after the 8-byte header, mutable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        self.buffer.as_mut().get_mut(field::BODY).unwrap_or(&mut [])
    }

    /// Computes and stores the checksum (RFC 4443 §2.3).
    pub fn fill_checksum(&mut self, src: &Ipv6Addr, dst: &Ipv6Addr) {
        self.set_checksum(0);
        let sum = self.full_sum(src, dst);
        self.set_checksum(checksum::finish(sum));
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for Icmpv6Packet<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> AsMut<[u8]> for Icmpv6Packet<T> {
    fn as_mut(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }
}

/// A parsed ICMPv6 message.
///
/// `data` of an error message is the quoted invoking packet; the integrator
/// reads its IPv6 header with `Ipv6Packet::new_checked_header`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Icmpv6Repr<'a> {
    /// Destination Unreachable (RFC 4443 §3.1).
    DstUnreachable {
        /// Why the packet was not delivered.
        reason: DstUnreachable,
        /// The quoted invoking packet.
        data: &'a [u8],
    },
    /// Packet Too Big (RFC 4443 §3.2).
    PktTooBig {
        /// The MTU of the next-hop link.
        mtu: u32,
        /// The quoted invoking packet.
        data: &'a [u8],
    },
    /// Time Exceeded (RFC 4443 §3.3).
    TimeExceeded {
        /// Which limit ran out.
        reason: TimeExceeded,
        /// The quoted invoking packet.
        data: &'a [u8],
    },
    /// Parameter Problem (RFC 4443 §3.4).
    ParamProblem {
        /// What kind of problem.
        reason: ParamProblem,
        /// Offset of the offending octet in the invoking packet.
        pointer: u32,
        /// The quoted invoking packet.
        data: &'a [u8],
    },
    /// Echo Request (RFC 4443 §4.1).
    EchoRequest {
        /// Identifier, to match replies.
        ident: u16,
        /// Sequence number, to match replies.
        seq_no: u16,
        /// Arbitrary data, echoed back.
        data: &'a [u8],
    },
    /// Echo Reply (RFC 4443 §4.2).
    EchoReply {
        /// Identifier of the request.
        ident: u16,
        /// Sequence number of the request.
        seq_no: u16,
        /// The request's data.
        data: &'a [u8],
    },
    /// A Neighbor Discovery message (RFC 4861).
    Ndisc(NdiscRepr<'a>),
    /// A Multicast Listener Discovery message (RFC 2710, RFC 3810).
    Mld(MldRepr<'a>),
}

impl<'a> Icmpv6Repr<'a> {
    /// Parses and validates an ICMPv6 message sent from `src` to `dst`.
    ///
    /// The checksum is verified first when `checksum` is `Check`. Codes of
    /// the error messages are kept as received (unknown ones included);
    /// the "Unused" word of Destination Unreachable and Time Exceeded is
    /// ignored as RFC 4443 §3.1/§3.3 ask of a receiver.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        src: &Ipv6Addr,
        dst: &Ipv6Addr,
        packet: &Icmpv6Packet<&'a T>,
        checksum: ChecksumMode,
    ) -> Result<Icmpv6Repr<'a>> {
        packet.check_len()?;
        if checksum.is_check() && !packet.verify_checksum(src, dst) {
            return Err(Error::Checksum);
        }
        let data = packet.body();
        match packet.msg_type() {
            Icmpv6Message::DstUnreachable => Ok(Icmpv6Repr::DstUnreachable {
                reason: DstUnreachable::from(packet.msg_code()),
                data,
            }),
            // RFC 4443 §3.2: the code is set to 0 and ignored by the receiver.
            Icmpv6Message::PktTooBig => Ok(Icmpv6Repr::PktTooBig {
                mtu: packet.mtu(),
                data,
            }),
            Icmpv6Message::TimeExceeded => Ok(Icmpv6Repr::TimeExceeded {
                reason: TimeExceeded::from(packet.msg_code()),
                data,
            }),
            Icmpv6Message::ParamProblem => Ok(Icmpv6Repr::ParamProblem {
                reason: ParamProblem::from(packet.msg_code()),
                pointer: packet.pointer(),
                data,
            }),
            // RFC 4443 §4.1/§4.2: code 0; a receiver has no use for another.
            Icmpv6Message::EchoRequest => Ok(Icmpv6Repr::EchoRequest {
                ident: packet.echo_ident(),
                seq_no: packet.echo_seq_no(),
                data,
            }),
            Icmpv6Message::EchoReply => Ok(Icmpv6Repr::EchoReply {
                ident: packet.echo_ident(),
                seq_no: packet.echo_seq_no(),
                data,
            }),
            t if t.is_ndisc() => NdiscRepr::parse(packet).map(Icmpv6Repr::Ndisc),
            t if t.is_mld() => MldRepr::parse(packet).map(Icmpv6Repr::Mld),
            _ => Err(Error::Unsupported("icmpv6 message type")),
        }
    }

    /// The length of the whole ICMPv6 message `emit` writes.
    pub fn buffer_len(&self) -> usize {
        match self {
            Icmpv6Repr::DstUnreachable { data, .. }
            | Icmpv6Repr::PktTooBig { data, .. }
            | Icmpv6Repr::TimeExceeded { data, .. }
            | Icmpv6Repr::ParamProblem { data, .. }
            | Icmpv6Repr::EchoRequest { data, .. }
            | Icmpv6Repr::EchoReply { data, .. } => HEADER_LEN.saturating_add(data.len()),
            Icmpv6Repr::Ndisc(ndisc) => ndisc.buffer_len(),
            Icmpv6Repr::Mld(mld) => mld.buffer_len(),
        }
    }

    /// Writes the message into `packet`, which must be exactly
    /// [`buffer_len`](Self::buffer_len) bytes long (the checksum covers the
    /// whole buffer). The checksum is computed when `checksum` is `Check`.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        src: &Ipv6Addr,
        dst: &Ipv6Addr,
        packet: &mut Icmpv6Packet<T>,
        checksum: ChecksumMode,
    ) {
        let (msg_type, code, data) = match *self {
            Icmpv6Repr::DstUnreachable { reason, data } => {
                packet.clear_reserved();
                (Icmpv6Message::DstUnreachable, reason.into(), data)
            }
            Icmpv6Repr::PktTooBig { mtu, data } => {
                packet.set_mtu(mtu);
                (Icmpv6Message::PktTooBig, 0, data)
            }
            Icmpv6Repr::TimeExceeded { reason, data } => {
                packet.clear_reserved();
                (Icmpv6Message::TimeExceeded, reason.into(), data)
            }
            Icmpv6Repr::ParamProblem {
                reason,
                pointer,
                data,
            } => {
                packet.set_pointer(pointer);
                (Icmpv6Message::ParamProblem, reason.into(), data)
            }
            Icmpv6Repr::EchoRequest {
                ident,
                seq_no,
                data,
            } => {
                packet.set_echo_ident(ident);
                packet.set_echo_seq_no(seq_no);
                (Icmpv6Message::EchoRequest, 0, data)
            }
            Icmpv6Repr::EchoReply {
                ident,
                seq_no,
                data,
            } => {
                packet.set_echo_ident(ident);
                packet.set_echo_seq_no(seq_no);
                (Icmpv6Message::EchoReply, 0, data)
            }
            Icmpv6Repr::Ndisc(ref ndisc) => {
                ndisc.emit(packet);
                if checksum.is_check() {
                    packet.fill_checksum(src, dst);
                }
                return;
            }
            Icmpv6Repr::Mld(ref mld) => {
                mld.emit(packet);
                if checksum.is_check() {
                    packet.fill_checksum(src, dst);
                }
                return;
            }
        };
        packet.set_msg_type(msg_type);
        packet.set_msg_code(code);
        set_bytes(packet.payload_mut(), 0, data);
        if checksum.is_check() {
            packet.fill_checksum(src, dst);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Decodes a hex string at compile time (test vectors are transcribed
    /// from tshark's hex output).
    pub(crate) const fn hex<const N: usize>(s: &str) -> [u8; N] {
        let b = s.as_bytes();
        let mut out = [0u8; N];
        let mut i = 0;
        while i < N {
            out[i] = nibble(b[2 * i]) << 4 | nibble(b[2 * i + 1]);
            i += 1;
        }
        out
    }

    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("bad hex"),
        }
    }

    pub(crate) fn addr(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    /// Echo request from ipv6-srh-ext-header.pcap (inner packet of the
    /// IPv6-in-IPv6 tunnel): Linux ping, ident 0x06ee, seq 1, 56 data bytes.
    const ECHO: [u8; 64] = hex(concat!(
        "8000635e06ee000103c5475a000000000a5e000000000000101112131415161718191a1b",
        "1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637"
    ));
    const ECHO_SRC: &str = "a:b:c:12::1";
    const ECHO_DST: &str = "b2::2";

    /// Parameter Problem code 3 (RFC 7112) from icmpv6-rfc7112.pcap, quoting
    /// a first fragment with an incomplete header chain.
    const PARAM: [u8; 72] = hex(concat!(
        "0403994c000000306000000000182c402001063000420110ae1f6bfffe469eda20010630",
        "0042011002a098fffe15ece7290000010000d6b16227605c7830305c7830305c7830305c"
    ));
    const PARAM_SRC: &str = "2001:630:42:110:2a0:98ff:fe15:ece7";
    const PARAM_DST: &str = "2001:630:42:110:ae1f:6bff:fe46:9eda";

    #[test]
    fn message_numbers_round_trip() {
        for v in 0..=255u8 {
            assert_eq!(u8::from(Icmpv6Message::from(v)), v);
            assert_eq!(u8::from(DstUnreachable::from(v)), v);
            assert_eq!(u8::from(TimeExceeded::from(v)), v);
            assert_eq!(u8::from(ParamProblem::from(v)), v);
        }
        assert_eq!(Icmpv6Message::from(143), Icmpv6Message::MldV2Report);
        assert!(Icmpv6Message::ParamProblem.is_error());
        assert!(!Icmpv6Message::EchoReply.is_error());
        assert!(Icmpv6Message::Redirect.is_ndisc());
        assert!(Icmpv6Message::MldDone.is_mld());
    }

    #[test]
    fn real_echo_request_fields() {
        let p = Icmpv6Packet::new_checked(&ECHO[..]).unwrap();
        assert_eq!(p.msg_type(), Icmpv6Message::EchoRequest);
        assert_eq!(p.msg_code(), 0);
        assert_eq!(p.checksum(), 0x635e);
        assert_eq!(p.echo_ident(), 0x06ee);
        assert_eq!(p.echo_seq_no(), 1);
        assert_eq!(p.payload(), &ECHO[8..]);
        let (s, d) = (addr(ECHO_SRC), addr(ECHO_DST));
        assert!(p.verify_checksum(&s, &d));
        assert!(!p.verify_checksum(&d, &d));
        let repr = Icmpv6Repr::parse(&s, &d, &p, ChecksumMode::Check).unwrap();
        assert_eq!(
            repr,
            Icmpv6Repr::EchoRequest {
                ident: 0x06ee,
                seq_no: 1,
                data: &ECHO[8..],
            }
        );
        assert_eq!(repr.buffer_len(), 64);
        let mut buf = [0xa5u8; 64];
        repr.emit(
            &s,
            &d,
            &mut Icmpv6Packet::new_unchecked(&mut buf[..]),
            ChecksumMode::Check,
        );
        assert_eq!(buf, ECHO);
    }

    #[test]
    fn real_param_problem_fields() {
        let p = Icmpv6Packet::new_checked(&PARAM[..]).unwrap();
        assert_eq!(p.msg_type(), Icmpv6Message::ParamProblem);
        assert_eq!(p.msg_code(), 3);
        assert_eq!(p.checksum(), 0x994c);
        assert_eq!(p.pointer(), 48);
        assert_eq!(p.quoted().len(), 64);
        // The quoted packet starts with its IPv6 header (version 6, fragment next).
        assert_eq!(p.quoted()[0] >> 4, 6);
        assert_eq!(p.quoted()[6], 44);
        let (s, d) = (addr(PARAM_SRC), addr(PARAM_DST));
        assert!(p.verify_checksum(&s, &d));
        let repr = Icmpv6Repr::parse(&s, &d, &p, ChecksumMode::Check).unwrap();
        assert_eq!(
            repr,
            Icmpv6Repr::ParamProblem {
                reason: ParamProblem::IncompleteHdrChain,
                pointer: 48,
                data: &PARAM[8..],
            }
        );
        let mut buf = [0u8; 72];
        repr.emit(
            &s,
            &d,
            &mut Icmpv6Packet::new_unchecked(&mut buf[..]),
            ChecksumMode::Check,
        );
        assert_eq!(buf, PARAM);
    }

    #[test]
    fn emit_errors_and_reply_round_trip() {
        let (s, d) = (addr("fe80::1"), addr("2001:db8::2"));
        let quoted = &PARAM[8..];
        let reprs = [
            Icmpv6Repr::DstUnreachable {
                reason: DstUnreachable::PortUnreachable,
                data: quoted,
            },
            Icmpv6Repr::DstUnreachable {
                reason: DstUnreachable::Unknown(99),
                data: &[],
            },
            Icmpv6Repr::PktTooBig {
                mtu: 1280,
                data: quoted,
            },
            Icmpv6Repr::TimeExceeded {
                reason: TimeExceeded::HopLimitExceeded,
                data: quoted,
            },
            Icmpv6Repr::EchoReply {
                ident: 7,
                seq_no: 0xffff,
                data: b"hello",
            },
        ];
        for repr in reprs {
            let mut buf = [0xffu8; 128];
            let buf = &mut buf[..repr.buffer_len()];
            repr.emit(
                &s,
                &d,
                &mut Icmpv6Packet::new_unchecked(&mut *buf),
                ChecksumMode::Check,
            );
            let p = Icmpv6Packet::new_checked(&*buf).unwrap();
            assert!(p.verify_checksum(&s, &d));
            assert_eq!(Icmpv6Repr::parse(&s, &d, &p, ChecksumMode::Check), Ok(repr));
        }
        // Packet Too Big, exact bytes: type 2, code 0, MTU 1280, quoted data.
        let repr = Icmpv6Repr::PktTooBig {
            mtu: 1280,
            data: &[0x60, 0, 0, 0],
        };
        let mut buf = [0u8; 12];
        repr.emit(
            &s,
            &d,
            &mut Icmpv6Packet::new_unchecked(&mut buf[..]),
            ChecksumMode::Skip,
        );
        assert_eq!(buf, [2, 0, 0, 0, 0, 0, 5, 0, 0x60, 0, 0, 0]);
    }

    #[test]
    fn truncated_and_bad_checksum() {
        let (s, d) = (addr(ECHO_SRC), addr(ECHO_DST));
        for len in 0..HEADER_LEN {
            assert_eq!(
                Icmpv6Packet::new_checked(&ECHO[..len]).err(),
                Some(Error::Truncated)
            );
        }
        // Every shorter echo is still a valid echo, but its checksum fails.
        for len in HEADER_LEN..ECHO.len() {
            let p = Icmpv6Packet::new_checked(&ECHO[..len]).unwrap();
            assert_eq!(
                Icmpv6Repr::parse(&s, &d, &p, ChecksumMode::Check),
                Err(Error::Checksum)
            );
            assert!(Icmpv6Repr::parse(&s, &d, &p, ChecksumMode::Skip).is_ok());
        }
        let mut bad = ECHO;
        bad[20] ^= 1;
        let p = Icmpv6Packet::new_checked(&bad[..]).unwrap();
        assert!(!p.verify_checksum(&s, &d));
        assert_eq!(
            Icmpv6Repr::parse(&s, &d, &p, ChecksumMode::Check),
            Err(Error::Checksum)
        );
        // NDP and MLD types need their fixed part (RFC 4861 §4.3, RFC 2710 §3).
        let mut ns = [0u8; 23];
        ns[0] = 135;
        assert_eq!(
            Icmpv6Packet::new_checked(&ns[..]).err(),
            Some(Error::Truncated)
        );
        let mut q = [0u8; 23];
        q[0] = 130;
        assert_eq!(
            Icmpv6Packet::new_checked(&q[..]).err(),
            Some(Error::Truncated)
        );
    }

    #[test]
    fn accessors_never_panic_on_short_buffers() {
        // Any accessor, even one for another type's field, is safe.
        let p = Icmpv6Packet::new_unchecked(&[128u8][..]);
        assert_eq!(p.mtu(), 0);
        assert_eq!(p.echo_seq_no(), 0);
        assert_eq!(p.payload(), &[] as &[u8]);
        let mut b = [0u8; 3];
        let mut p = Icmpv6Packet::new_unchecked(&mut b[..]);
        p.set_pointer(5);
        p.fill_checksum(&Ipv6Addr::LOCALHOST, &Ipv6Addr::LOCALHOST);
    }

    /// Checks the brief's never-panic property on one real packet: every
    /// prefix and single-byte mutation parses to Ok or Err, and an Ok repr
    /// survives emit → parse.
    pub(crate) fn fuzz_one(src: &Ipv6Addr, dst: &Ipv6Addr, bytes: &[u8]) {
        let check = |b: &[u8]| {
            let Ok(p) = Icmpv6Packet::new_checked(b) else {
                return;
            };
            let _ = (p.msg_type(), p.checksum(), p.mtu(), p.quoted());
            let _ = p.verify_checksum(src, dst);
            if let Ok(repr) = Icmpv6Repr::parse(src, dst, &p, ChecksumMode::Skip) {
                let mut out = [0u8; 2048];
                let out = &mut out[..repr.buffer_len()];
                repr.emit(
                    src,
                    dst,
                    &mut Icmpv6Packet::new_unchecked(&mut *out),
                    ChecksumMode::Check,
                );
                let p2 = Icmpv6Packet::new_checked(&*out).expect("emitted packet checks");
                assert_eq!(
                    Icmpv6Repr::parse(src, dst, &p2, ChecksumMode::Check),
                    Ok(repr),
                    "round trip of {b:02x?}"
                );
            }
        };
        for len in 0..=bytes.len() {
            check(&bytes[..len]);
        }
        let mut m = [0u8; 2048];
        let m = &mut m[..bytes.len()];
        for i in 0..bytes.len() {
            for v in [bytes[i] ^ 0xff, 0x00, 0xff, 0x01, bytes[i] ^ 0x80] {
                m.copy_from_slice(bytes);
                m[i] = v;
                check(m);
            }
        }
    }

    #[test]
    fn never_panics_on_mutations() {
        fuzz_one(&addr(ECHO_SRC), &addr(ECHO_DST), &ECHO);
        fuzz_one(&addr(PARAM_SRC), &addr(PARAM_DST), &PARAM);
    }

    #[test]
    fn quoted_packet_is_an_ipv6_view_only_for_errors() {
        // Port unreachable quoting a UDP datagram from 2001:db8::1 to 2001:db8::2.
        let mut msg = [0u8; 8 + 48];
        msg[0] = 1; // destination unreachable
        msg[1] = 4; // port unreachable
        let ip = &mut msg[8..];
        ip[0] = 0x60;
        ip[4..6].copy_from_slice(&100u16.to_be_bytes()); // longer than quoted: cut
        ip[6] = 17;
        ip[7] = 64;
        ip[8..24].copy_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
        ip[24..40].copy_from_slice(&"2001:db8::2".parse::<Ipv6Addr>().unwrap().octets());
        let p = Icmpv6Packet::new_checked(&msg[..]).unwrap();
        let q = p.quoted_packet().unwrap();
        assert_eq!(q.next_header(), IpProtocol::Udp);
        assert_eq!(q.dst_addr(), "2001:db8::2".parse::<Ipv6Addr>().unwrap());
        assert_eq!(q.payload().len(), 8, "what is present of the cut payload");
        // A quote shorter than the IPv6 header is not a view.
        let short = Icmpv6Packet::new_checked(&msg[..8 + 39]).unwrap();
        assert_eq!(short.quoted_packet().unwrap_err(), Error::Truncated);
        // Echo messages quote nothing.
        msg[0] = 128;
        msg[1] = 0;
        let echo = Icmpv6Packet::new_checked(&msg[..]).unwrap();
        assert!(matches!(echo.quoted_packet(), Err(Error::Unsupported(_))));
    }
}
