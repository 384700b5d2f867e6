//! The view of an ICMPv6 message: the common header, the error and echo
//! fields, the checksum, and the fixed part each message type needs.

use super::access::{get_u16, get_u32, get_u8, set_u16, set_u32, set_u8};
use super::message::Icmpv6Message;
use crate::wire::checksum;
use crate::wire::ipv6::Ipv6Packet;
use crate::wire::{Error, IpProtocol, Ipv6Addr, Result};

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
            t if t.is_ndisc() => ndisc_fixed_len(t),
            // RFC 2710 §3 / RFC 3810 §5.1: queries, v1 reports and dones carry
            // a multicast address (24); a v2 report's fixed part is 8 bytes.
            t if t.is_mld() => mld_fixed_len(t),
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

// The fixed parts of the NDP and MLD messages live beside the view rather than
// in ndp.rs and mld.rs: `check_len` needs them, and those files stand on the
// view (they re-export these as `ndp::fixed_len`, `mld::fixed_len`).

/// The fixed part of an NDP message of type `msg_type` (where its options
/// start, RFC 4861 §4.1-§4.5), or 8 for a type that is not NDP.
pub fn ndisc_fixed_len(msg_type: Icmpv6Message) -> usize {
    match msg_type {
        Icmpv6Message::RouterAdvert => 16,
        Icmpv6Message::NeighborSolicit | Icmpv6Message::NeighborAdvert => 24,
        Icmpv6Message::Redirect => 40,
        _ => 8,
    }
}

/// Length of an MLDv1 message and of the fixed part of a v1/v2 Query
/// (RFC 2710 §3, RFC 3810 §5.1).
pub const MLDV1_LEN: usize = 24;
/// Length of the fixed part of an MLDv2 Report (RFC 3810 §5.2).
pub const REPORT_V2_LEN: usize = 8;

/// The fixed part an MLD message of type `msg_type` needs.
pub fn mld_fixed_len(msg_type: Icmpv6Message) -> usize {
    match msg_type {
        Icmpv6Message::MldV2Report => REPORT_V2_LEN,
        _ => MLDV1_LEN,
    }
}
