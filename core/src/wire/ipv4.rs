//! IPv4 (RFC 791): the header view, its options walk, and the header repr.
//!
//! The view reads the header as it is on the wire, options included; the
//! repr is what the stack needs to route and deliver a datagram (addresses,
//! protocol, payload length, TTL, DS field and fragment fields). Options are
//! walked and must be well-formed for [`Ipv4Repr::parse`] to succeed, but
//! their content is not carried: [`Ipv4Repr::emit`] always writes a 20-byte
//! header.

use super::be;

use super::checksum;
use super::{ChecksumMode, Error, IpProtocol, Ipv4Addr, Result};

/// Byte ranges of the fixed header (RFC 791 §3.1, figure 4).
mod field {
    use crate::wire::Field;

    /// Version (high nibble) and IHL (low nibble, in 32-bit words).
    pub const VER_IHL: usize = 0;
    /// DSCP (high six bits, RFC 2474) and ECN (low two bits, RFC 3168).
    pub const DS_ECN: usize = 1;
    pub const LENGTH: Field = 2..4;
    pub const IDENT: Field = 4..6;
    /// Flags (high three bits) and fragment offset (low 13 bits, 8-byte units).
    pub const FLG_OFF: Field = 6..8;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: Field = 10..12;
    pub const SRC_ADDR: Field = 12..16;
    pub const DST_ADDR: Field = 16..20;
}

/// The length of a header without options (IHL = 5).
pub const HEADER_LEN: usize = 20;

/// The largest header: IHL is four bits, so at most 15 words.
pub const MAX_HEADER_LEN: usize = 60;

// RFC 791 §3.1 "Flags": bit 0 reserved, bit 1 DF, bit 2 MF, then 13 bits of offset.
const FLAG_RESERVED: u16 = 0x8000;
const FLAG_DF: u16 = 0x4000;
const FLAG_MF: u16 = 0x2000;
const OFFSET_MASK: u16 = 0x1fff;

/// A read/write view of an IPv4 datagram (header, options and payload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    /// Wraps a buffer without checking it; accessors may panic on a short one.
    pub const fn new_unchecked(buffer: T) -> Ipv4Packet<T> {
        Ipv4Packet { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len) has accepted it.
    pub fn new_checked(buffer: T) -> Result<Ipv4Packet<T>> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Wraps the original datagram quoted inside an ICMP error message.
    ///
    /// RFC 792 quotes "the internet header plus the first 64 bits of the
    /// original datagram's data", so the quote is normally shorter than its
    /// own total length field says. Only the full header (IHL words) must be
    /// present; [`payload`](Self::payload) then returns what is there, up to
    /// the total length.
    pub fn new_checked_header(buffer: T) -> Result<Ipv4Packet<T>> {
        let packet = Self::new_unchecked(buffer);
        packet.check_header_len()?;
        if usize::from(packet.total_len()) < packet.header_len() {
            return Err(Error::Malformed("ipv4 total length"));
        }
        Ok(packet)
    }

    /// The checks shared by both constructors: the header itself is present.
    fn check_header_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        // RFC 791 §3.1: "the minimum value for a correct header is 5".
        if self.header_len() < HEADER_LEN {
            return Err(Error::Malformed("ipv4 header length"));
        }
        if self.header_len() > len {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Checks every length the accessors rely on.
    ///
    /// The buffer must hold the fixed header, IHL must be at least 5, and
    /// `header_len <= total_len <= buffer length`. Bytes past the total length
    /// (Ethernet padding) are allowed and ignored by [`payload`](Self::payload).
    pub fn check_len(&self) -> Result<()> {
        self.check_header_len()?;
        let total = usize::from(self.total_len());
        if total < self.header_len() {
            return Err(Error::Malformed("ipv4 total length"));
        }
        if total > self.buffer.as_ref().len() {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The version field (4 for IPv4).
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VER_IHL] >> 4
    }

    /// The header length in bytes (IHL × 4), options included.
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[field::VER_IHL] & 0x0f) * 4
    }

    /// The Differentiated Services Code Point (RFC 2474 §3).
    pub fn dscp(&self) -> u8 {
        self.buffer.as_ref()[field::DS_ECN] >> 2
    }

    /// The ECN codepoint (RFC 3168 §5).
    pub fn ecn(&self) -> u8 {
        self.buffer.as_ref()[field::DS_ECN] & 0x03
    }

    /// The total length of the datagram (header and data) in bytes.
    pub fn total_len(&self) -> u16 {
        be::read_u16(&self.buffer.as_ref()[field::LENGTH])
    }

    /// The identification field, shared by all fragments of a datagram.
    pub fn ident(&self) -> u16 {
        be::read_u16(&self.buffer.as_ref()[field::IDENT])
    }

    fn flags_offset(&self) -> u16 {
        be::read_u16(&self.buffer.as_ref()[field::FLG_OFF])
    }

    /// The reserved flag (RFC 791 §3.1: "must be zero").
    pub fn flags_reserved(&self) -> bool {
        self.flags_offset() & FLAG_RESERVED != 0
    }

    /// The Don't Fragment flag.
    pub fn dont_frag(&self) -> bool {
        self.flags_offset() & FLAG_DF != 0
    }

    /// The More Fragments flag.
    pub fn more_frags(&self) -> bool {
        self.flags_offset() & FLAG_MF != 0
    }

    /// The fragment offset in bytes (the field counts 8-byte units).
    pub fn frag_offset(&self) -> u16 {
        // 13 bits × 8 is at most 65528: no overflow.
        (self.flags_offset() & OFFSET_MASK) * 8
    }

    /// The time to live, which IPv4 routers use as a hop limit.
    pub fn hop_limit(&self) -> u8 {
        self.buffer.as_ref()[field::TTL]
    }

    /// The protocol of the payload.
    pub fn next_header(&self) -> IpProtocol {
        IpProtocol::from(self.buffer.as_ref()[field::PROTOCOL])
    }

    /// The header checksum field.
    pub fn checksum(&self) -> u16 {
        be::read_u16(&self.buffer.as_ref()[field::CHECKSUM])
    }

    /// The source address.
    pub fn src_addr(&self) -> Ipv4Addr {
        let b = &self.buffer.as_ref()[field::SRC_ADDR];
        Ipv4Addr::new(b[0], b[1], b[2], b[3])
    }

    /// The destination address.
    pub fn dst_addr(&self) -> Ipv4Addr {
        let b = &self.buffer.as_ref()[field::DST_ADDR];
        Ipv4Addr::new(b[0], b[1], b[2], b[3])
    }

    /// The header bytes, clamped to the buffer so it never panics.
    fn header_bytes(&self) -> &[u8] {
        let data = self.buffer.as_ref();
        let end = self.header_len().min(data.len());
        &data[..end]
    }

    /// True when the header checksum verifies (RFC 791 §3.1: the one's
    /// complement sum over the header, checksum included, is all ones).
    pub fn verify_checksum(&self) -> bool {
        checksum::sum(self.header_bytes()) == 0xffff
    }

    /// The option bytes, between the fixed header and `header_len`.
    pub fn options(&self) -> &[u8] {
        self.header_bytes().get(HEADER_LEN..).unwrap_or(&[])
    }

    /// Walks the options (see [`Ipv4Options`]).
    pub fn options_iter(&self) -> Ipv4Options<'_> {
        Ipv4Options::new(self.options())
    }

    /// The range of the payload: from `header_len` to `total_len`, clamped to
    /// the buffer (which only matters for a view built by `new_checked_header`).
    fn payload_range(&self) -> core::ops::Range<usize> {
        let len = self.buffer.as_ref().len();
        let start = self.header_len().min(len);
        let end = usize::from(self.total_len()).clamp(start, len);
        start..end
    }

    /// The payload: the bytes from `header_len` to `total_len`.
    ///
    /// Anything after `total_len` (Ethernet pads frames to 60 bytes) is not
    /// part of the datagram and is left out.
    pub fn payload(&self) -> &[u8] {
        let range = self.payload_range();
        &self.buffer.as_ref()[range]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv4Packet<T> {
    /// Sets the version field.
    pub fn set_version(&mut self, value: u8) {
        let b = &mut self.buffer.as_mut()[field::VER_IHL];
        *b = (*b & 0x0f) | (value << 4);
    }

    /// Sets the header length in bytes (stored as IHL = bytes / 4).
    pub fn set_header_len(&mut self, value: usize) {
        let b = &mut self.buffer.as_mut()[field::VER_IHL];
        *b = (*b & 0xf0) | ((value / 4) as u8 & 0x0f);
    }

    /// Sets the DSCP (six bits).
    pub fn set_dscp(&mut self, value: u8) {
        let b = &mut self.buffer.as_mut()[field::DS_ECN];
        *b = (*b & 0x03) | (value << 2);
    }

    /// Sets the ECN codepoint (two bits).
    pub fn set_ecn(&mut self, value: u8) {
        let b = &mut self.buffer.as_mut()[field::DS_ECN];
        *b = (*b & 0xfc) | (value & 0x03);
    }

    /// Sets the total length.
    pub fn set_total_len(&mut self, value: u16) {
        be::write_u16(&mut self.buffer.as_mut()[field::LENGTH], value)
    }

    /// Sets the identification field.
    pub fn set_ident(&mut self, value: u16) {
        be::write_u16(&mut self.buffer.as_mut()[field::IDENT], value)
    }

    fn set_flags_offset(&mut self, value: u16) {
        be::write_u16(&mut self.buffer.as_mut()[field::FLG_OFF], value)
    }

    fn set_flag(&mut self, flag: u16, on: bool) {
        let v = self.flags_offset();
        self.set_flags_offset(if on { v | flag } else { v & !flag });
    }

    /// Sets the reserved flag (only useful to build test packets).
    pub fn set_flags_reserved(&mut self, value: bool) {
        self.set_flag(FLAG_RESERVED, value)
    }

    /// Sets the Don't Fragment flag.
    pub fn set_dont_frag(&mut self, value: bool) {
        self.set_flag(FLAG_DF, value)
    }

    /// Sets the More Fragments flag.
    pub fn set_more_frags(&mut self, value: bool) {
        self.set_flag(FLAG_MF, value)
    }

    /// Sets the fragment offset in bytes; the low three bits are dropped, as
    /// the field counts 8-byte units (RFC 791 §3.1).
    pub fn set_frag_offset(&mut self, value: u16) {
        let v = self.flags_offset();
        self.set_flags_offset((v & !OFFSET_MASK) | (value / 8));
    }

    /// Sets the time to live.
    pub fn set_hop_limit(&mut self, value: u8) {
        self.buffer.as_mut()[field::TTL] = value
    }

    /// Sets the protocol of the payload.
    pub fn set_next_header(&mut self, value: IpProtocol) {
        self.buffer.as_mut()[field::PROTOCOL] = value.into()
    }

    /// Sets the checksum field to a given value.
    pub fn set_checksum(&mut self, value: u16) {
        be::write_u16(&mut self.buffer.as_mut()[field::CHECKSUM], value)
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, value: Ipv4Addr) {
        self.buffer.as_mut()[field::SRC_ADDR].copy_from_slice(&value.octets())
    }

    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, value: Ipv4Addr) {
        self.buffer.as_mut()[field::DST_ADDR].copy_from_slice(&value.octets())
    }

    /// Computes the header checksum and stores it.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let sum = checksum::sum(self.header_bytes());
        self.set_checksum(checksum::finish(sum));
    }

    /// The option bytes, writable.
    pub fn options_mut(&mut self) -> &mut [u8] {
        let len = self.buffer.as_ref().len();
        let end = self.header_len().min(len);
        let start = HEADER_LEN.min(end);
        &mut self.buffer.as_mut()[start..end]
    }

    /// The payload, writable (from `header_len` to `total_len`).
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let range = self.payload_range();
        &mut self.buffer.as_mut()[range]
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for Ipv4Packet<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

/// One IPv4 option, as found by [`Ipv4Options`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4Option<'a> {
    /// The option type octet (copied flag, class and number together).
    pub kind: u8,
    /// The option data, after the type and length octets (empty for NOP).
    pub data: &'a [u8],
}

impl Ipv4Option<'_> {
    /// End of Option List (RFC 791 §3.1).
    pub const END: u8 = 0;
    /// No Operation (RFC 791 §3.1).
    pub const NOP: u8 = 1;
    /// Record Route (RFC 791 §3.1).
    pub const RECORD_ROUTE: u8 = 7;
    /// Internet Timestamp (RFC 791 §3.1).
    pub const TIMESTAMP: u8 = 68;
    /// Loose Source and Record Route (RFC 791 §3.1).
    pub const LSRR: u8 = 131;
    /// Strict Source and Record Route (RFC 791 §3.1).
    pub const SSRR: u8 = 137;
    /// Router Alert (RFC 2113), sent by IGMP (RFC 2236 §2, RFC 3376 §4).
    pub const ROUTER_ALERT: u8 = 148;

    /// The copied flag: the option must be copied into every fragment.
    pub const fn copied(&self) -> bool {
        self.kind & 0x80 != 0
    }

    /// The option class (0 control, 2 debugging and measurement).
    pub const fn class(&self) -> u8 {
        (self.kind >> 5) & 0x03
    }

    /// The option number within its class.
    pub const fn number(&self) -> u8 {
        self.kind & 0x1f
    }
}

/// A bounds-checked walk over IPv4 option bytes.
///
/// RFC 791 §3.1: End of Option List (0) ends the list (what follows is
/// padding), No Operation (1) is a single octet, every other option is
/// type-length-value with a length octet that counts the type and length
/// octets too, so it is at least 2 and must not run past the options area.
/// A bad length yields one `Err(Malformed("ipv4 option length"))`, then the
/// walk stops.
#[derive(Debug, Clone)]
pub struct Ipv4Options<'a> {
    rest: &'a [u8],
}

impl<'a> Ipv4Options<'a> {
    /// Walks the given option bytes (the area after the fixed header).
    pub const fn new(options: &'a [u8]) -> Ipv4Options<'a> {
        Ipv4Options { rest: options }
    }
}

impl<'a> Iterator for Ipv4Options<'a> {
    type Item = Result<Ipv4Option<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        let (&kind, after_kind) = self.rest.split_first()?;
        match kind {
            Ipv4Option::END => {
                self.rest = &[];
                None
            }
            Ipv4Option::NOP => {
                self.rest = after_kind;
                Some(Ok(Ipv4Option { kind, data: &[] }))
            }
            _ => {
                let len = after_kind.first().map(|&l| usize::from(l));
                let option = len
                    .filter(|&l| l >= 2)
                    .and_then(|l| self.rest.split_at_checked(l));
                match option {
                    Some((whole, rest)) => {
                        self.rest = rest;
                        Some(Ok(Ipv4Option {
                            kind,
                            data: whole.get(2..).unwrap_or(&[]),
                        }))
                    }
                    None => {
                        self.rest = &[];
                        Some(Err(Error::Malformed("ipv4 option length")))
                    }
                }
            }
        }
    }
}

impl core::iter::FusedIterator for Ipv4Options<'_> {}

/// The high-level form of an IPv4 header.
///
/// Options are validated on parse but not carried; `emit` writes a 20-byte
/// header. The reserved flag is ignored on receipt (as Linux does) and
/// written as zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ipv4Repr {
    /// Source address.
    pub src_addr: Ipv4Addr,
    /// Destination address.
    pub dst_addr: Ipv4Addr,
    /// The protocol of the payload.
    pub next_header: IpProtocol,
    /// Length of the payload in bytes (total length minus header length).
    pub payload_len: usize,
    /// Time to live.
    pub hop_limit: u8,
    /// Differentiated Services Code Point (six bits).
    pub dscp: u8,
    /// ECN codepoint (two bits).
    pub ecn: u8,
    /// Identification, shared by all fragments of a datagram.
    pub ident: u16,
    /// Don't Fragment.
    pub dont_frag: bool,
    /// More Fragments.
    pub more_frags: bool,
    /// Fragment offset in bytes (a multiple of 8).
    pub frag_offset: u16,
}

impl Ipv4Repr {
    /// Parses and validates a header.
    ///
    /// Checks the lengths, the version, the checksum (unless `Skip`) and the
    /// option syntax. DF and MF together are accepted: the view reports what
    /// is on the wire and receive policy belongs to the interface.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &Ipv4Packet<&T>,
        checksum: ChecksumMode,
    ) -> Result<Ipv4Repr> {
        packet.check_len()?;
        // check_len proved the fixed header present: read every field from
        // one 20-byte array, with no bounds check per field.
        let Some(h) = packet.buffer.as_ref().first_chunk::<HEADER_LEN>() else {
            return Err(Error::Truncated);
        };
        // RFC 791 §3.1: "The Version field indicates the format of the internet header".
        if h[field::VER_IHL] >> 4 != 4 {
            return Err(Error::Malformed("ipv4 version"));
        }
        let header_len = usize::from(h[field::VER_IHL] & 0x0f) * 4;
        if checksum.is_check() {
            // The common 20-byte header sums from the array, without the
            // general loop's set-up (RFC 1071: over the whole header).
            let verified = if header_len == HEADER_LEN {
                checksum::sum_header20(h) == 0xffff
            } else {
                packet.verify_checksum()
            };
            if !verified {
                return Err(Error::Checksum);
            }
        }
        // Most headers have no options: skip setting up the walk.
        if header_len > HEADER_LEN {
            for option in packet.options_iter() {
                option?;
            }
        }
        let flags_offset = u16::from_be_bytes([h[6], h[7]]);
        let total_len = u16::from_be_bytes([h[2], h[3]]);
        Ok(Ipv4Repr {
            src_addr: Ipv4Addr::new(h[12], h[13], h[14], h[15]),
            dst_addr: Ipv4Addr::new(h[16], h[17], h[18], h[19]),
            next_header: IpProtocol::from(h[field::PROTOCOL]),
            // check_len guarantees header_len <= total_len.
            payload_len: usize::from(total_len).saturating_sub(header_len),
            hop_limit: h[field::TTL],
            dscp: h[field::DS_ECN] >> 2,
            ecn: h[field::DS_ECN] & 0x03,
            ident: u16::from_be_bytes([h[4], h[5]]),
            dont_frag: flags_offset & FLAG_DF != 0,
            more_frags: flags_offset & FLAG_MF != 0,
            // 13 bits × 8 is at most 65528: no overflow.
            frag_offset: (flags_offset & OFFSET_MASK) * 8,
        })
    }

    /// The header length `emit` writes (always 20: no options). The datagram
    /// needs `buffer_len() + payload_len` bytes.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes a 20-byte header into `packet`, whose buffer must hold at least
    /// [`buffer_len`](Self::buffer_len) bytes.
    ///
    /// The total length saturates at 65535 for a `payload_len` that cannot be
    /// represented; DSCP, ECN and fragment offset keep only the bits their
    /// fields have. The checksum is computed when `checksum` is `Check` and
    /// left alone otherwise.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        packet: &mut Ipv4Packet<T>,
        checksum: ChecksumMode,
    ) {
        // The whole header in one array, written with one copy, so that the
        // fields cost no bounds check each (RFC 791 §3.1, figure 4).
        let mut h = [0u8; HEADER_LEN];
        h[field::VER_IHL] = 0x40 | (HEADER_LEN / 4) as u8;
        h[field::DS_ECN] = (self.dscp << 2) | (self.ecn & 0x03);
        let total = self.payload_len.saturating_add(HEADER_LEN);
        h[field::LENGTH].copy_from_slice(&u16::try_from(total).unwrap_or(u16::MAX).to_be_bytes());
        h[field::IDENT].copy_from_slice(&self.ident.to_be_bytes());
        let mut flags_offset = (self.frag_offset / 8) & OFFSET_MASK;
        if self.dont_frag {
            flags_offset |= FLAG_DF;
        }
        if self.more_frags {
            flags_offset |= FLAG_MF;
        }
        h[field::FLG_OFF].copy_from_slice(&flags_offset.to_be_bytes());
        h[field::TTL] = self.hop_limit;
        h[field::PROTOCOL] = self.next_header.into();
        h[field::SRC_ADDR].copy_from_slice(&self.src_addr.octets());
        h[field::DST_ADDR].copy_from_slice(&self.dst_addr.octets());
        let buf = packet.buffer.as_mut();
        if checksum.is_check() {
            let c = checksum::finish(checksum::sum_header20(&h));
            h[field::CHECKSUM].copy_from_slice(&c.to_be_bytes());
        } else if let Some(old) = buf.get(field::CHECKSUM) {
            // Left alone: the field keeps what the buffer held.
            h[field::CHECKSUM].copy_from_slice(old);
        }
        buf[..HEADER_LEN].copy_from_slice(&h);
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;
    use std::vec::Vec;

    // IGMP_V2.pcap frame 1 (IP part of an Ethernet frame): an IGMPv2 general
    // query, total length 28, followed by 18 bytes of Ethernet padding.
    const IGMP_QUERY_PADDED: [u8; 46] = [
        0x45, 0x00, 0x00, 0x1c, 0x65, 0x51, 0x00, 0x00, 0x01, 0x02, 0xb2, 0xe3, 0xc0, 0xa8, 0x01,
        0x02, 0xe0, 0x00, 0x00, 0x01, 0x11, 0x64, 0xee, 0x9b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00,
    ];

    // IGMP_V2.pcap frame 2: an IGMPv2 report with a Router Alert option (IHL 6).
    const IGMP_REPORT_RA: [u8; 32] = [
        0x46, 0x00, 0x00, 0x20, 0x8c, 0x62, 0x00, 0x00, 0x01, 0x02, 0xe6, 0x92, 0xc0, 0xa8, 0x01,
        0x40, 0xef, 0xff, 0xff, 0xfa, 0x94, 0x04, 0x00, 0x00, 0x16, 0x00, 0xfa, 0x04, 0xef, 0xff,
        0xff, 0xfa,
    ];

    // afs.pcap frame 126: the header of a middle fragment (DF and MF both set,
    // offset 1480) of a 1500-byte UDP datagram. The payload is not reproduced
    // here: the header checksum does not cover it, so tests pad with zeros.
    const FRAGMENT_HEADER: [u8; 20] = [
        0x45, 0x00, 0x05, 0xdc, 0x02, 0x3d, 0x60, 0xb9, 0xfe, 0x11, 0x2b, 0x45, 0x83, 0x97, 0x01,
        0x92, 0x83, 0x97, 0x20, 0x15,
    ];

    fn fragment() -> Vec<u8> {
        let mut v = vec![0u8; 1500];
        v[..20].copy_from_slice(&FRAGMENT_HEADER);
        v
    }

    /// Emits `repr` with the original payload and checks that it parses back equal.
    fn assert_round_trip(repr: &Ipv4Repr, payload: &[u8]) {
        let mut buf = vec![0u8; repr.buffer_len() + repr.payload_len];
        let mut packet = Ipv4Packet::new_unchecked(&mut buf[..]);
        repr.emit(&mut packet, ChecksumMode::Check);
        packet.payload_mut().copy_from_slice(payload);
        let packet = Ipv4Packet::new_checked(&buf[..]).expect("emitted packet is valid");
        assert_eq!(Ipv4Repr::parse(&packet, ChecksumMode::Check), Ok(*repr));
    }

    #[test]
    fn real_query_with_padding() {
        let packet = Ipv4Packet::new_checked(&IGMP_QUERY_PADDED[..]).unwrap();
        assert_eq!(packet.version(), 4);
        assert_eq!(packet.header_len(), 20);
        assert_eq!(packet.dscp(), 0);
        assert_eq!(packet.ecn(), 0);
        assert_eq!(packet.total_len(), 28);
        assert_eq!(packet.ident(), 0x6551);
        assert!(!packet.flags_reserved());
        assert!(!packet.dont_frag());
        assert!(!packet.more_frags());
        assert_eq!(packet.frag_offset(), 0);
        assert_eq!(packet.hop_limit(), 1);
        assert_eq!(packet.next_header(), IpProtocol::Igmp);
        assert_eq!(packet.checksum(), 0xb2e3);
        assert!(packet.verify_checksum());
        assert_eq!(packet.src_addr(), Ipv4Addr::new(192, 168, 1, 2));
        assert_eq!(packet.dst_addr(), Ipv4Addr::new(224, 0, 0, 1));
        assert_eq!(packet.options(), &[] as &[u8]);
        assert_eq!(packet.options_iter().count(), 0);
        // The payload stops at total_len: the Ethernet padding is left out.
        assert_eq!(
            packet.payload(),
            &[0x11, 0x64, 0xee, 0x9b, 0x00, 0x00, 0x00, 0x00]
        );
        let repr = Ipv4Repr::parse(&packet, ChecksumMode::Check).unwrap();
        assert_eq!(
            repr,
            Ipv4Repr {
                src_addr: Ipv4Addr::new(192, 168, 1, 2),
                dst_addr: Ipv4Addr::new(224, 0, 0, 1),
                next_header: IpProtocol::Igmp,
                payload_len: 8,
                hop_limit: 1,
                dscp: 0,
                ecn: 0,
                ident: 0x6551,
                dont_frag: false,
                more_frags: false,
                frag_offset: 0,
            }
        );
        // emit writes exactly the captured header (and payload copy completes it).
        let mut buf = [0xaau8; 28];
        let mut out = Ipv4Packet::new_unchecked(&mut buf[..]);
        repr.emit(&mut out, ChecksumMode::Check);
        out.payload_mut().copy_from_slice(packet.payload());
        assert_eq!(&buf[..], &IGMP_QUERY_PADDED[..28]);
    }

    #[test]
    fn real_router_alert_option() {
        let packet = Ipv4Packet::new_checked(&IGMP_REPORT_RA[..]).unwrap();
        assert_eq!(packet.header_len(), 24);
        assert_eq!(packet.total_len(), 32);
        assert_eq!(packet.ident(), 0x8c62);
        assert_eq!(packet.hop_limit(), 1);
        assert_eq!(packet.next_header(), IpProtocol::Igmp);
        assert_eq!(packet.checksum(), 0xe692);
        assert!(packet.verify_checksum());
        assert_eq!(packet.src_addr(), Ipv4Addr::new(192, 168, 1, 64));
        assert_eq!(packet.dst_addr(), Ipv4Addr::new(239, 255, 255, 250));
        assert_eq!(packet.options(), &[0x94, 0x04, 0x00, 0x00]);
        let mut options = packet.options_iter();
        let ra = options.next().unwrap().unwrap();
        assert_eq!(ra.kind, Ipv4Option::ROUTER_ALERT);
        assert_eq!(ra.data, &[0x00, 0x00]);
        assert!(ra.copied());
        assert_eq!(ra.class(), 0);
        assert_eq!(ra.number(), 20);
        assert_eq!(options.next(), None);
        assert_eq!(
            packet.payload(),
            &[0x16, 0x00, 0xfa, 0x04, 0xef, 0xff, 0xff, 0xfa]
        );
        let repr = Ipv4Repr::parse(&packet, ChecksumMode::Check).unwrap();
        assert_eq!(repr.payload_len, 8);
        assert_eq!(repr.ident, 0x8c62);
        // Options are dropped by emit; the repr still round-trips.
        assert_round_trip(&repr, packet.payload());
    }

    #[test]
    fn real_fragment_with_df_and_mf() {
        let buf = fragment();
        let packet = Ipv4Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(packet.total_len(), 1500);
        assert_eq!(packet.ident(), 0x023d);
        assert!(!packet.flags_reserved());
        assert!(packet.dont_frag());
        assert!(packet.more_frags());
        assert_eq!(packet.frag_offset(), 1480);
        assert_eq!(packet.hop_limit(), 254);
        assert_eq!(packet.next_header(), IpProtocol::Udp);
        assert_eq!(packet.checksum(), 0x2b45);
        assert!(packet.verify_checksum());
        assert_eq!(packet.src_addr(), Ipv4Addr::new(131, 151, 1, 146));
        assert_eq!(packet.dst_addr(), Ipv4Addr::new(131, 151, 32, 21));
        assert_eq!(packet.payload().len(), 1480);
        let repr = Ipv4Repr::parse(&packet, ChecksumMode::Check).unwrap();
        assert!(repr.dont_frag && repr.more_frags);
        assert_eq!(repr.frag_offset, 1480);
        assert_eq!(repr.payload_len, 1480);
        let mut out = vec![0u8; 1500];
        let mut p = Ipv4Packet::new_unchecked(&mut out[..]);
        repr.emit(&mut p, ChecksumMode::Check);
        assert_eq!(&out[..20], &FRAGMENT_HEADER);
    }

    #[test]
    fn every_truncation_is_truncated() {
        for len in 0..28 {
            assert_eq!(
                Ipv4Packet::new_checked(&IGMP_QUERY_PADDED[..len]).err(),
                Some(Error::Truncated),
                "len {len}"
            );
        }
        for len in 0..32 {
            assert_eq!(
                Ipv4Packet::new_checked(&IGMP_REPORT_RA[..len]).err(),
                Some(Error::Truncated),
                "len {len}"
            );
        }
    }

    #[test]
    fn bad_lengths() {
        let mut buf = IGMP_QUERY_PADDED;
        buf[0] = 0x44; // IHL 4
        assert_eq!(
            Ipv4Packet::new_checked(&buf[..]).err(),
            Some(Error::Malformed("ipv4 header length"))
        );
        let mut buf = IGMP_QUERY_PADDED;
        buf[3] = 19; // total length below the header length
        assert_eq!(
            Ipv4Packet::new_checked(&buf[..]).err(),
            Some(Error::Malformed("ipv4 total length"))
        );
        let mut buf = IGMP_QUERY_PADDED;
        buf[3] = 47; // one past the buffer
        assert_eq!(
            Ipv4Packet::new_checked(&buf[..]).err(),
            Some(Error::Truncated)
        );
        let mut buf = IGMP_QUERY_PADDED;
        buf[0] = 0x4f; // 60-byte header in a 46-byte buffer
        assert_eq!(
            Ipv4Packet::new_checked(&buf[..]).err(),
            Some(Error::Truncated)
        );
    }

    #[test]
    fn bad_version_and_checksum() {
        let mut buf = IGMP_QUERY_PADDED;
        buf[0] = 0x65;
        let packet = Ipv4Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(
            Ipv4Repr::parse(&packet, ChecksumMode::Skip),
            Err(Error::Malformed("ipv4 version"))
        );
        let mut buf = IGMP_QUERY_PADDED;
        buf[8] = 2; // TTL changed, checksum now wrong
        let packet = Ipv4Packet::new_checked(&buf[..]).unwrap();
        assert!(!packet.verify_checksum());
        assert_eq!(
            Ipv4Repr::parse(&packet, ChecksumMode::Check),
            Err(Error::Checksum)
        );
        assert!(Ipv4Repr::parse(&packet, ChecksumMode::Skip).is_ok());
    }

    #[test]
    fn bad_option_lengths() {
        // Router Alert with length 0, 1, and 5 (runs past the 4-byte area).
        for bad in [0u8, 1, 5, 0xff] {
            let mut buf = IGMP_REPORT_RA;
            buf[21] = bad;
            let mut packet = Ipv4Packet::new_unchecked(&mut buf[..]);
            packet.fill_checksum();
            let packet = Ipv4Packet::new_checked(&buf[..]).unwrap();
            assert_eq!(
                Ipv4Repr::parse(&packet, ChecksumMode::Check),
                Err(Error::Malformed("ipv4 option length")),
                "length {bad}"
            );
            let mut it = packet.options_iter();
            assert_eq!(it.next(), Some(Err(Error::Malformed("ipv4 option length"))));
            assert_eq!(it.next(), None);
        }
        // A TLV kind as the last byte has no length octet at all.
        assert_eq!(
            Ipv4Options::new(&[1, 1, 1, 7]).collect::<Vec<_>>(),
            vec![
                Ok(Ipv4Option { kind: 1, data: &[] }),
                Ok(Ipv4Option { kind: 1, data: &[] }),
                Ok(Ipv4Option { kind: 1, data: &[] }),
                Err(Error::Malformed("ipv4 option length")),
            ]
        );
    }

    #[test]
    fn option_walk_nop_eol() {
        // NOP, Record Route (len 7, one empty slot), EOL, garbage after EOL.
        let opts = [1, 7, 7, 4, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff];
        let got: Vec<_> = Ipv4Options::new(&opts).collect();
        assert_eq!(
            got,
            vec![
                Ok(Ipv4Option { kind: 1, data: &[] }),
                Ok(Ipv4Option {
                    kind: Ipv4Option::RECORD_ROUTE,
                    data: &[4, 0, 0, 0, 0]
                }),
            ]
        );
        // A two-byte option with no data is fine.
        assert_eq!(
            Ipv4Options::new(&[0x88, 2]).collect::<Vec<_>>(),
            vec![Ok(Ipv4Option {
                kind: 0x88,
                data: &[]
            })]
        );
    }

    #[test]
    fn quoted_header_constructor() {
        // mpls-traceroute.pcap frame 14: the 28 bytes an ICMP Port Unreachable
        // quotes of a 40-byte UDP datagram (header + 8 bytes).
        let quote = [
            0x45, 0x00, 0x00, 0x28, 0xa5, 0x52, 0x00, 0x00, 0x01, 0x11, 0xf7, 0x69, 0x0c, 0x04,
            0x04, 0x04, 0x0c, 0x01, 0x01, 0x01, 0xa5, 0x4b, 0x82, 0xa1, 0x00, 0x14, 0x00, 0x00,
        ];
        assert_eq!(
            Ipv4Packet::new_checked(&quote[..]).err(),
            Some(Error::Truncated)
        );
        let packet = Ipv4Packet::new_checked_header(&quote[..]).unwrap();
        assert_eq!(packet.total_len(), 40);
        assert_eq!(packet.next_header(), IpProtocol::Udp);
        assert!(packet.verify_checksum());
        assert_eq!(packet.src_addr(), Ipv4Addr::new(12, 4, 4, 4));
        assert_eq!(packet.dst_addr(), Ipv4Addr::new(12, 1, 1, 1));
        assert_eq!(packet.payload(), &quote[20..]);
        for len in 0..20 {
            assert_eq!(
                Ipv4Packet::new_checked_header(&quote[..len]).err(),
                Some(Error::Truncated)
            );
        }
        assert_eq!(
            Ipv4Packet::new_checked_header(&quote[..20])
                .unwrap()
                .payload(),
            &[] as &[u8]
        );
    }

    #[test]
    fn setters() {
        let mut buf = [0u8; 24];
        let mut p = Ipv4Packet::new_unchecked(&mut buf[..]);
        p.set_version(4);
        p.set_header_len(24);
        p.set_dscp(46);
        p.set_ecn(1);
        p.set_total_len(24);
        p.set_ident(0xbeef);
        p.set_flags_reserved(true);
        p.set_dont_frag(true);
        p.set_more_frags(true);
        p.set_frag_offset(65528);
        p.set_hop_limit(64);
        p.set_next_header(IpProtocol::Tcp);
        p.set_src_addr(Ipv4Addr::new(10, 0, 0, 1));
        p.set_dst_addr(Ipv4Addr::new(10, 0, 0, 2));
        p.options_mut().copy_from_slice(&[1, 1, 1, 0]);
        p.fill_checksum();
        let p = Ipv4Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(p.version(), 4);
        assert_eq!(p.header_len(), 24);
        assert_eq!((p.dscp(), p.ecn()), (46, 1));
        assert_eq!(p.ident(), 0xbeef);
        assert!(p.flags_reserved() && p.dont_frag() && p.more_frags());
        assert_eq!(p.frag_offset(), 65528);
        assert_eq!(p.hop_limit(), 64);
        assert_eq!(p.next_header(), IpProtocol::Tcp);
        assert!(p.verify_checksum());
        assert_eq!(p.options_iter().count(), 3);
        assert_eq!(p.payload(), &[] as &[u8]);
    }

    /// Every prefix and single-byte mutation: Ok or Err, never a panic, and
    /// when parse succeeds the round trip holds.
    #[test]
    fn never_panics() {
        let frag = fragment();
        let samples: [&[u8]; 3] = [&IGMP_QUERY_PADDED, &IGMP_REPORT_RA, &frag[..64]];
        let check = |bytes: &[u8]| {
            for ctor in [Ipv4Packet::new_checked, Ipv4Packet::new_checked_header] {
                if let Ok(p) = ctor(bytes) {
                    let _ = (p.verify_checksum(), p.options(), p.payload());
                    let _ = p.options_iter().count();
                }
            }
            if let Ok(p) = Ipv4Packet::new_checked(bytes) {
                for mode in [ChecksumMode::Check, ChecksumMode::Skip] {
                    if let Ok(repr) = Ipv4Repr::parse(&p, mode) {
                        assert_round_trip(&repr, p.payload());
                    }
                }
            }
        };
        for sample in samples {
            for len in 0..=sample.len() {
                check(&sample[..len]);
            }
            for i in 0..sample.len() {
                for f in [
                    |b: u8| b ^ 0xff,
                    |_| 0x00,
                    |b: u8| b ^ 0x01,
                    |b: u8| b ^ 0x80,
                ] {
                    let mut m = sample.to_vec();
                    m[i] = f(m[i]);
                    check(&m);
                }
            }
        }
    }
}
