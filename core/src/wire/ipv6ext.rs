//! IPv6 extension headers (RFC 8200 §4) and the walk over their chain.
//!
//! Views and reprs for Hop-by-Hop and Destination Options (§4.3, §4.6), the
//! Routing header (§4.4), the Fragment header (§4.5) and the Authentication
//! Header (RFC 4302), then [`Ipv6ExtChain`]/[`walk`], which steps from the
//! fixed header's Next Header to the upper-layer protocol.

use byteorder::{ByteOrder, NetworkEndian};

use super::ip::enum_with_unknown;
use super::{Error, IpProtocol, Result};

/// Read the generic "Hdr Ext Len" in 8-octet units, not counting the first 8
/// (RFC 8200 §4.3, §4.4, §4.6). Needs 2 bytes.
fn generic_header_len(data: &[u8]) -> Result<usize> {
    let units = *data.get(1).ok_or(Error::Truncated)?;
    // At most (255 + 1) * 8 = 2048: no overflow.
    Ok((usize::from(units) + 1) * 8)
}

/// The Hdr Ext Len value that makes a header `len` bytes long (`len` rounded
/// up to 8), clamped to the field's range for oversized input.
fn generic_ext_len_for(len: usize) -> u8 {
    let units = len.div_ceil(8).saturating_sub(1);
    u8::try_from(units).unwrap_or(u8::MAX)
}

/// Fill `buf` with Pad1/PadN options so an options area is a multiple of 8
/// (RFC 8200 §4.2: Pad1 for one byte, PadN for two or more).
fn write_padding(buf: &mut [u8]) {
    match buf.len() {
        0 => {}
        1 => buf[0] = OPT_PAD1,
        n => {
            buf[0] = OPT_PADN;
            // n is at most 7 here (the padding to the next multiple of 8).
            buf[1] = u8::try_from(n - 2).unwrap_or(u8::MAX);
            for b in &mut buf[2..] {
                *b = 0;
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Options (Hop-by-Hop and Destination Options share the format)
// ---------------------------------------------------------------------------

const OPT_PAD1: u8 = 0;
const OPT_PADN: u8 = 1;

mod opt_field {
    pub const NEXT_HEADER: usize = 0;
    pub const LENGTH: usize = 1;
    /// Options start after the two fixed bytes and run to the header's end.
    pub const OPTIONS_START: usize = 2;
}

enum_with_unknown! {
    /// An option type in a Hop-by-Hop or Destination Options header
    /// (IANA "Destination Options and Hop-by-Hop Options").
    pub enum Ipv6OptionType(u8) {
        /// One byte of padding (RFC 8200 §4.2).
        Pad1 = 0x00,
        /// Two or more bytes of padding (RFC 8200 §4.2).
        PadN = 0x01,
        /// Tunnel Encapsulation Limit (RFC 2473 §5.1).
        TunnelEncapLimit = 0x04,
        /// Router Alert (RFC 2711): MLD and RSVP carry it in Hop-by-Hop.
        RouterAlert = 0x05,
        /// Jumbo Payload (RFC 2675).
        Jumbo = 0xc2,
        /// Home Address (RFC 6275 §6.3).
        HomeAddress = 0xc9,
    }
}

/// What a node does with an option it does not recognise, from the two high
/// bits of the option type (RFC 8200 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Ipv6OptionFailureAction {
    /// `00`: skip over this option and continue processing the header.
    Skip,
    /// `01`: discard the packet.
    Discard,
    /// `10`: discard the packet and send an ICMP Parameter Problem, Code 2,
    /// whatever the destination address.
    DiscardSendIcmp,
    /// `11`: discard the packet and send an ICMP Parameter Problem, Code 2,
    /// only if the destination was not a multicast address.
    DiscardSendIcmpUnlessMulticast,
}

impl Ipv6OptionType {
    /// The action for a node that does not recognise this option
    /// (RFC 8200 §4.2: the two highest-order bits).
    pub fn failure_action(self) -> Ipv6OptionFailureAction {
        match u8::from(self) >> 6 {
            0 => Ipv6OptionFailureAction::Skip,
            1 => Ipv6OptionFailureAction::Discard,
            2 => Ipv6OptionFailureAction::DiscardSendIcmp,
            _ => Ipv6OptionFailureAction::DiscardSendIcmpUnlessMulticast,
        }
    }

    /// True when the option data may change en route to the final
    /// destination (RFC 8200 §4.2: the third-highest bit), so an
    /// Authentication Header computes over zeros in its place.
    pub fn may_change_en_route(self) -> bool {
        u8::from(self) & 0x20 != 0
    }
}

/// One option inside a Hop-by-Hop or Destination Options header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Ipv6Option<'a> {
    /// One byte of padding (type 0, no length byte).
    Pad1,
    /// Padding: the number of data bytes after the length (contents are
    /// ignored on receipt, RFC 8200 §4.2, and written as zeros).
    PadN(u8),
    /// Any other option, by type and data.
    Other {
        /// The option type (action bits included).
        kind: Ipv6OptionType,
        /// The option data (`Opt Data Len` bytes).
        data: &'a [u8],
    },
}

impl Ipv6Option<'_> {
    /// The option type byte.
    pub fn kind(&self) -> Ipv6OptionType {
        match self {
            Ipv6Option::Pad1 => Ipv6OptionType::Pad1,
            Ipv6Option::PadN(_) => Ipv6OptionType::PadN,
            Ipv6Option::Other { kind, .. } => *kind,
        }
    }

    /// Bytes this option takes on the wire.
    pub fn buffer_len(&self) -> usize {
        match self {
            Ipv6Option::Pad1 => 1,
            Ipv6Option::PadN(n) => 2 + usize::from(*n),
            Ipv6Option::Other { data, .. } => 2 + data.len(),
        }
    }

    /// Write this option at the start of `buf`; returns the bytes written.
    /// Fails with `Truncated` if `buf` is too short, and with
    /// `Malformed("option length")` if the data exceeds 255 bytes.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let len = self.buffer_len();
        let out = buf.get_mut(..len).ok_or(Error::Truncated)?;
        match self {
            Ipv6Option::Pad1 => out[0] = OPT_PAD1,
            Ipv6Option::PadN(n) => {
                out[0] = OPT_PADN;
                out[1] = *n;
                for b in &mut out[2..] {
                    *b = 0;
                }
            }
            Ipv6Option::Other { kind, data } => {
                out[0] = u8::from(*kind);
                out[1] = u8::try_from(data.len()).map_err(|_| Error::Malformed("option length"))?;
                out[2..].copy_from_slice(data);
            }
        }
        Ok(len)
    }
}

/// Iterator over the options of a Hop-by-Hop or Destination Options header.
///
/// Yields `Err(Malformed("option length"))` once, then stops, if an option
/// runs past the end of the header.
#[derive(Debug, Clone)]
pub struct Ipv6OptionsIter<'a> {
    data: &'a [u8],
    failed: bool,
}

impl<'a> Ipv6OptionsIter<'a> {
    /// Iterate over an options area (the bytes after Next Header and Hdr Ext Len).
    pub fn new(data: &'a [u8]) -> Ipv6OptionsIter<'a> {
        Ipv6OptionsIter {
            data,
            failed: false,
        }
    }
}

impl<'a> Iterator for Ipv6OptionsIter<'a> {
    type Item = Result<Ipv6Option<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let (&kind, rest) = self.data.split_first()?;
        // RFC 8200 §4.2: Pad1 is the one option without length and data.
        if kind == OPT_PAD1 {
            self.data = rest;
            return Some(Ok(Ipv6Option::Pad1));
        }
        let parsed = rest
            .split_first()
            .and_then(|(&len, rest)| rest.split_at_checked(usize::from(len)));
        let Some((data, rest)) = parsed else {
            self.failed = true;
            return Some(Err(Error::Malformed("option length")));
        };
        self.data = rest;
        Some(Ok(if kind == OPT_PADN {
            // data.len() came from a u8.
            Ipv6Option::PadN(u8::try_from(data.len()).unwrap_or(u8::MAX))
        } else {
            Ipv6Option::Other {
                kind: Ipv6OptionType::from(kind),
                data,
            }
        }))
    }
}

/// A view of a Hop-by-Hop (RFC 8200 §4.3) or Destination Options (§4.6) header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv6OptionsHeader<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6OptionsHeader<T> {
    /// Wrap a buffer without checking anything.
    pub const fn new_unchecked(buffer: T) -> Self {
        Ipv6OptionsHeader { buffer }
    }

    /// Wrap a buffer after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self> {
        let header = Self::new_unchecked(buffer);
        header.check_len()?;
        Ok(header)
    }

    /// Ensure the buffer holds the whole header its Hdr Ext Len announces.
    pub fn check_len(&self) -> Result<()> {
        let data = self.buffer.as_ref();
        if generic_header_len(data)? > data.len() {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Give back the wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The Next Header field.
    pub fn next_header(&self) -> IpProtocol {
        IpProtocol::from(self.buffer.as_ref()[opt_field::NEXT_HEADER])
    }

    /// The raw Hdr Ext Len field (8-octet units beyond the first 8).
    pub fn hdr_ext_len(&self) -> u8 {
        self.buffer.as_ref()[opt_field::LENGTH]
    }

    /// The header length in bytes: `(Hdr Ext Len + 1) * 8`.
    pub fn header_len(&self) -> usize {
        (usize::from(self.hdr_ext_len()) + 1) * 8
    }

    /// The options area (after the two fixed bytes, to the header's end).
    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[opt_field::OPTIONS_START..self.header_len()]
    }

    /// Iterate over the options.
    pub fn iter(&self) -> Ipv6OptionsIter<'_> {
        Ipv6OptionsIter::new(self.options())
    }

    /// The bytes after this header (the next header onwards).
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv6OptionsHeader<T> {
    /// Set the Next Header field.
    pub fn set_next_header(&mut self, value: IpProtocol) {
        self.buffer.as_mut()[opt_field::NEXT_HEADER] = value.into()
    }

    /// Set the raw Hdr Ext Len field.
    pub fn set_hdr_ext_len(&mut self, value: u8) {
        self.buffer.as_mut()[opt_field::LENGTH] = value
    }

    /// The options area, mutable.
    pub fn options_mut(&mut self) -> &mut [u8] {
        let end = self.header_len();
        &mut self.buffer.as_mut()[opt_field::OPTIONS_START..end]
    }

    /// The bytes after this header, mutable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let start = self.header_len();
        &mut self.buffer.as_mut()[start..]
    }
}

/// A parsed Hop-by-Hop or Destination Options header; borrows its options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ipv6OptionsRepr<'a> {
    /// The header after this one.
    pub next_header: IpProtocol,
    /// The encoded options (padding included), each validated by `parse`.
    /// `emit` pads with Pad1/PadN to a multiple of 8 if needed.
    pub options: &'a [u8],
}

impl<'a> Ipv6OptionsRepr<'a> {
    /// Parse a header; every option must fit inside it.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(header: &Ipv6OptionsHeader<&'a T>) -> Result<Self> {
        header.check_len()?;
        let data = header.buffer.as_ref();
        let end = generic_header_len(data)?;
        let options = data
            .get(opt_field::OPTIONS_START..end)
            .ok_or(Error::Truncated)?;
        for option in Ipv6OptionsIter::new(options) {
            option?;
        }
        Ok(Ipv6OptionsRepr {
            next_header: header.next_header(),
            options,
        })
    }

    /// Iterate over the options.
    pub fn iter(&self) -> Ipv6OptionsIter<'a> {
        Ipv6OptionsIter::new(self.options)
    }

    /// The header length `emit` writes: options plus 2, rounded up to 8.
    pub fn buffer_len(&self) -> usize {
        (opt_field::OPTIONS_START + self.options.len()).div_ceil(8) * 8
    }

    /// Write the header; padding is appended when the options do not fill a
    /// multiple of 8. Options longer than the format allows (2046 bytes) are
    /// cut at the limit.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, header: &mut Ipv6OptionsHeader<T>) {
        let len = self.buffer_len().min(2048);
        header.set_next_header(self.next_header);
        header.set_hdr_ext_len(generic_ext_len_for(len));
        let area = header.options_mut();
        let n = self.options.len().min(area.len());
        area[..n].copy_from_slice(&self.options[..n]);
        write_padding(&mut area[n..]);
    }
}

// ---------------------------------------------------------------------------
// Routing header
// ---------------------------------------------------------------------------

mod rt_field {
    pub const NEXT_HEADER: usize = 0;
    pub const LENGTH: usize = 1;
    pub const TYPE: usize = 2;
    pub const SEG_LEFT: usize = 3;
    pub const DATA_START: usize = 4;
}

enum_with_unknown! {
    /// The Routing Type of a Routing header (IANA "Routing Types").
    pub enum Ipv6RoutingType(u8) {
        /// Type 0 source route: deprecated by RFC 5095 (treated as unknown).
        Type0 = 0,
        /// Nimrod (deprecated).
        Nimrod = 1,
        /// Type 2 for Mobile IPv6 (RFC 6275 §6.4).
        Type2 = 2,
        /// RPL source route (RFC 6554).
        Rpl = 3,
        /// Segment Routing Header (RFC 8754).
        Srh = 4,
    }
}

/// A view of a Routing header (RFC 8200 §4.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv6RoutingHeader<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6RoutingHeader<T> {
    /// Wrap a buffer without checking anything.
    pub const fn new_unchecked(buffer: T) -> Self {
        Ipv6RoutingHeader { buffer }
    }

    /// Wrap a buffer after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self> {
        let header = Self::new_unchecked(buffer);
        header.check_len()?;
        Ok(header)
    }

    /// Ensure the buffer holds the whole header its Hdr Ext Len announces
    /// (always at least 8 bytes, so the four fixed fields are present).
    pub fn check_len(&self) -> Result<()> {
        let data = self.buffer.as_ref();
        if generic_header_len(data)? > data.len() {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Give back the wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The Next Header field.
    pub fn next_header(&self) -> IpProtocol {
        IpProtocol::from(self.buffer.as_ref()[rt_field::NEXT_HEADER])
    }

    /// The raw Hdr Ext Len field.
    pub fn hdr_ext_len(&self) -> u8 {
        self.buffer.as_ref()[rt_field::LENGTH]
    }

    /// The header length in bytes: `(Hdr Ext Len + 1) * 8`.
    pub fn header_len(&self) -> usize {
        (usize::from(self.hdr_ext_len()) + 1) * 8
    }

    /// The Routing Type.
    pub fn routing_type(&self) -> Ipv6RoutingType {
        Ipv6RoutingType::from(self.buffer.as_ref()[rt_field::TYPE])
    }

    /// Segments Left: route segments still to visit.
    pub fn segments_left(&self) -> u8 {
        self.buffer.as_ref()[rt_field::SEG_LEFT]
    }

    /// The type-specific data (after the four fixed bytes, to the header's end).
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[rt_field::DATA_START..self.header_len()]
    }

    /// The bytes after this header.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv6RoutingHeader<T> {
    /// Set the Next Header field.
    pub fn set_next_header(&mut self, value: IpProtocol) {
        self.buffer.as_mut()[rt_field::NEXT_HEADER] = value.into()
    }

    /// Set the raw Hdr Ext Len field.
    pub fn set_hdr_ext_len(&mut self, value: u8) {
        self.buffer.as_mut()[rt_field::LENGTH] = value
    }

    /// Set the Routing Type.
    pub fn set_routing_type(&mut self, value: Ipv6RoutingType) {
        self.buffer.as_mut()[rt_field::TYPE] = value.into()
    }

    /// Set Segments Left.
    pub fn set_segments_left(&mut self, value: u8) {
        self.buffer.as_mut()[rt_field::SEG_LEFT] = value
    }

    /// The type-specific data, mutable.
    pub fn data_mut(&mut self) -> &mut [u8] {
        let end = self.header_len();
        &mut self.buffer.as_mut()[rt_field::DATA_START..end]
    }

    /// The bytes after this header, mutable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let start = self.header_len();
        &mut self.buffer.as_mut()[start..]
    }
}

/// A parsed Routing header, generic over the routing type: type-specific
/// data is carried as bytes. What to do with it (RFC 8200 §4.4: ignore an
/// unrecognised type when Segments Left is 0, else Parameter Problem; RFC
/// 5095: type 0 is unrecognised) is the receiver's decision, not the parser's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ipv6RoutingRepr<'a> {
    /// The header after this one.
    pub next_header: IpProtocol,
    /// The Routing Type.
    pub routing_type: Ipv6RoutingType,
    /// Segments Left.
    pub segments_left: u8,
    /// The type-specific data; `emit` zero-pads it to a multiple of 8.
    pub data: &'a [u8],
}

impl<'a> Ipv6RoutingRepr<'a> {
    /// Parse a Routing header.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(header: &Ipv6RoutingHeader<&'a T>) -> Result<Self> {
        header.check_len()?;
        let data = header.buffer.as_ref();
        let end = generic_header_len(data)?;
        let type_data = data
            .get(rt_field::DATA_START..end)
            .ok_or(Error::Truncated)?;
        Ok(Ipv6RoutingRepr {
            next_header: header.next_header(),
            routing_type: header.routing_type(),
            segments_left: header.segments_left(),
            data: type_data,
        })
    }

    /// The header length `emit` writes: data plus 4, rounded up to 8.
    pub fn buffer_len(&self) -> usize {
        (rt_field::DATA_START + self.data.len()).div_ceil(8) * 8
    }

    /// Write the header (data longer than the format allows is cut).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, header: &mut Ipv6RoutingHeader<T>) {
        let len = self.buffer_len().min(2048);
        header.set_next_header(self.next_header);
        header.set_hdr_ext_len(generic_ext_len_for(len));
        header.set_routing_type(self.routing_type);
        header.set_segments_left(self.segments_left);
        let area = header.data_mut();
        let n = self.data.len().min(area.len());
        area[..n].copy_from_slice(&self.data[..n]);
        for b in &mut area[n..] {
            *b = 0;
        }
    }
}

// ---------------------------------------------------------------------------
// Fragment header
// ---------------------------------------------------------------------------

mod frag_field {
    use crate::wire::Field;

    pub const NEXT_HEADER: usize = 0;
    pub const RESERVED: usize = 1;
    /// Fragment Offset (13 bits), Res (2 bits), M flag (1 bit).
    pub const OFFSET_M: Field = 2..4;
    pub const IDENT: Field = 4..8;
}

/// Length of the Fragment header (RFC 8200 §4.5).
pub const FRAGMENT_HEADER_LEN: usize = 8;

/// A view of a Fragment header (RFC 8200 §4.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv6FragmentHeader<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6FragmentHeader<T> {
    /// Wrap a buffer without checking anything.
    pub const fn new_unchecked(buffer: T) -> Self {
        Ipv6FragmentHeader { buffer }
    }

    /// Wrap a buffer after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self> {
        let header = Self::new_unchecked(buffer);
        header.check_len()?;
        Ok(header)
    }

    /// Ensure the 8-byte header is present.
    pub fn check_len(&self) -> Result<()> {
        if self.buffer.as_ref().len() < FRAGMENT_HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Give back the wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The Next Header field (of the original packet's fragmentable part).
    pub fn next_header(&self) -> IpProtocol {
        IpProtocol::from(self.buffer.as_ref()[frag_field::NEXT_HEADER])
    }

    fn offset_m(&self) -> u16 {
        NetworkEndian::read_u16(&self.buffer.as_ref()[frag_field::OFFSET_M])
    }

    /// The fragment offset in bytes (the field counts 8-octet units).
    pub fn frag_offset(&self) -> u16 {
        self.offset_m() & 0xfff8
    }

    /// The M flag: more fragments follow.
    pub fn more_frags(&self) -> bool {
        self.offset_m() & 1 != 0
    }

    /// The Identification field.
    pub fn ident(&self) -> u32 {
        NetworkEndian::read_u32(&self.buffer.as_ref()[frag_field::IDENT])
    }

    /// The bytes after this header.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[FRAGMENT_HEADER_LEN..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv6FragmentHeader<T> {
    /// Set the Next Header field.
    pub fn set_next_header(&mut self, value: IpProtocol) {
        self.buffer.as_mut()[frag_field::NEXT_HEADER] = value.into()
    }

    /// Zero both reserved fields (RFC 8200 §4.5: zero on transmission).
    pub fn clear_reserved(&mut self) {
        self.buffer.as_mut()[frag_field::RESERVED] = 0;
        let value = self.offset_m() & !0b110;
        NetworkEndian::write_u16(&mut self.buffer.as_mut()[frag_field::OFFSET_M], value)
    }

    /// Set the fragment offset in bytes (the low three bits are dropped: the
    /// field counts 8-octet units).
    pub fn set_frag_offset(&mut self, value: u16) {
        let value = (self.offset_m() & 0b111) | (value & 0xfff8);
        NetworkEndian::write_u16(&mut self.buffer.as_mut()[frag_field::OFFSET_M], value)
    }

    /// Set the M flag.
    pub fn set_more_frags(&mut self, value: bool) {
        let value = (self.offset_m() & !1) | u16::from(value);
        NetworkEndian::write_u16(&mut self.buffer.as_mut()[frag_field::OFFSET_M], value)
    }

    /// Set the Identification field.
    pub fn set_ident(&mut self, value: u32) {
        NetworkEndian::write_u32(&mut self.buffer.as_mut()[frag_field::IDENT], value)
    }

    /// The bytes after this header, mutable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[FRAGMENT_HEADER_LEN..]
    }
}

/// A parsed Fragment header. The reserved fields are ignored on receipt and
/// written as zero (RFC 8200 §4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ipv6FragmentRepr {
    /// The first header of the fragmentable part.
    pub next_header: IpProtocol,
    /// Offset of this fragment's data in the original packet, in bytes (a
    /// multiple of 8; `emit` drops the low three bits).
    pub frag_offset: u16,
    /// More fragments follow.
    pub more_frags: bool,
    /// The Identification shared by every fragment of the packet.
    pub ident: u32,
}

impl Ipv6FragmentRepr {
    /// Parse a Fragment header.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(header: &Ipv6FragmentHeader<&T>) -> Result<Self> {
        header.check_len()?;
        Ok(Ipv6FragmentRepr {
            next_header: header.next_header(),
            frag_offset: header.frag_offset(),
            more_frags: header.more_frags(),
            ident: header.ident(),
        })
    }

    /// True for a packet that is not actually fragmented: offset 0 and no
    /// more fragments (RFC 6946 "atomic fragment").
    pub fn is_atomic(&self) -> bool {
        self.frag_offset == 0 && !self.more_frags
    }

    /// The header length `emit` writes (8).
    pub const fn buffer_len(&self) -> usize {
        FRAGMENT_HEADER_LEN
    }

    /// Write every field, reserved ones as zero.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, header: &mut Ipv6FragmentHeader<T>) {
        header.set_next_header(self.next_header);
        header.clear_reserved();
        header.set_frag_offset(self.frag_offset);
        header.set_more_frags(self.more_frags);
        header.set_ident(self.ident);
    }
}

// ---------------------------------------------------------------------------
// Authentication Header
// ---------------------------------------------------------------------------

mod ah_field {
    use crate::wire::Field;

    pub const NEXT_HEADER: usize = 0;
    pub const PAYLOAD_LEN: usize = 1;
    pub const RESERVED: Field = 2..4;
    pub const SPI: Field = 4..8;
    pub const SEQ: Field = 8..12;
    pub const ICV_START: usize = 12;
}

/// Length of the AH fixed part, before the ICV (RFC 4302 §2).
pub const AUTH_HEADER_MIN_LEN: usize = ah_field::ICV_START;

/// A view of an IP Authentication Header (RFC 4302 §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv6AuthHeader<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6AuthHeader<T> {
    /// Wrap a buffer without checking anything.
    pub const fn new_unchecked(buffer: T) -> Self {
        Ipv6AuthHeader { buffer }
    }

    /// Wrap a buffer after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self> {
        let header = Self::new_unchecked(buffer);
        header.check_len()?;
        Ok(header)
    }

    /// Ensure the buffer holds the whole header its Payload Len announces,
    /// and that the length covers at least the 12 fixed bytes.
    pub fn check_len(&self) -> Result<()> {
        let data = self.buffer.as_ref();
        let units = *data.get(ah_field::PAYLOAD_LEN).ok_or(Error::Truncated)?;
        // RFC 4302 §2.2: length in 32-bit words, minus 2.
        let len = (usize::from(units) + 2) * 4;
        if len < AUTH_HEADER_MIN_LEN {
            return Err(Error::Malformed("ah payload len"));
        }
        if len > data.len() {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Give back the wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The Next Header field.
    pub fn next_header(&self) -> IpProtocol {
        IpProtocol::from(self.buffer.as_ref()[ah_field::NEXT_HEADER])
    }

    /// The raw Payload Len field (32-bit words, minus 2).
    pub fn payload_len(&self) -> u8 {
        self.buffer.as_ref()[ah_field::PAYLOAD_LEN]
    }

    /// The header length in bytes: `(Payload Len + 2) * 4`.
    pub fn header_len(&self) -> usize {
        (usize::from(self.payload_len()) + 2) * 4
    }

    /// The Reserved field.
    pub fn reserved(&self) -> u16 {
        NetworkEndian::read_u16(&self.buffer.as_ref()[ah_field::RESERVED])
    }

    /// The Security Parameters Index.
    pub fn spi(&self) -> u32 {
        NetworkEndian::read_u32(&self.buffer.as_ref()[ah_field::SPI])
    }

    /// The Sequence Number.
    pub fn seq_number(&self) -> u32 {
        NetworkEndian::read_u32(&self.buffer.as_ref()[ah_field::SEQ])
    }

    /// The Integrity Check Value (with any padding), to the header's end.
    pub fn icv(&self) -> &[u8] {
        let end = self.header_len();
        self.buffer
            .as_ref()
            .get(ah_field::ICV_START..end)
            .unwrap_or(&[])
    }

    /// The bytes after this header.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv6AuthHeader<T> {
    /// Set the Next Header field.
    pub fn set_next_header(&mut self, value: IpProtocol) {
        self.buffer.as_mut()[ah_field::NEXT_HEADER] = value.into()
    }

    /// Set the raw Payload Len field.
    pub fn set_payload_len(&mut self, value: u8) {
        self.buffer.as_mut()[ah_field::PAYLOAD_LEN] = value
    }

    /// Set the Reserved field.
    pub fn set_reserved(&mut self, value: u16) {
        NetworkEndian::write_u16(&mut self.buffer.as_mut()[ah_field::RESERVED], value)
    }

    /// Set the Security Parameters Index.
    pub fn set_spi(&mut self, value: u32) {
        NetworkEndian::write_u32(&mut self.buffer.as_mut()[ah_field::SPI], value)
    }

    /// Set the Sequence Number.
    pub fn set_seq_number(&mut self, value: u32) {
        NetworkEndian::write_u32(&mut self.buffer.as_mut()[ah_field::SEQ], value)
    }

    /// The Integrity Check Value, mutable.
    pub fn icv_mut(&mut self) -> &mut [u8] {
        let end = self.header_len();
        self.buffer
            .as_mut()
            .get_mut(ah_field::ICV_START..end)
            .unwrap_or(&mut [])
    }

    /// The bytes after this header, mutable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let start = self.header_len();
        &mut self.buffer.as_mut()[start..]
    }
}

/// A parsed Authentication Header. The ICV is carried, not verified: that
/// needs the security association.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ipv6AuthRepr<'a> {
    /// The header after this one.
    pub next_header: IpProtocol,
    /// Security Parameters Index.
    pub spi: u32,
    /// Sequence Number.
    pub seq_number: u32,
    /// Integrity Check Value (with padding); `emit` zero-pads it to a
    /// multiple of 8 bytes of header.
    pub icv: &'a [u8],
}

impl<'a> Ipv6AuthRepr<'a> {
    /// Parse an AH in an IPv6 packet.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(header: &Ipv6AuthHeader<&'a T>) -> Result<Self> {
        header.check_len()?;
        // RFC 4302 §2.2: over IPv6 the header is a multiple of 8 octets.
        if header.header_len() % 8 != 0 {
            return Err(Error::Malformed("ah payload len"));
        }
        // RFC 4302 §2.4: SPI 0 is reserved for local use and never sent.
        if header.spi() == 0 {
            return Err(Error::Malformed("ah spi"));
        }
        let data: &'a [u8] = header.buffer.as_ref();
        let icv = data
            .get(ah_field::ICV_START..header.header_len())
            .ok_or(Error::Truncated)?;
        Ok(Ipv6AuthRepr {
            next_header: header.next_header(),
            spi: header.spi(),
            seq_number: header.seq_number(),
            icv,
        })
    }

    /// The header length `emit` writes: ICV plus 12, rounded up to 8.
    pub fn buffer_len(&self) -> usize {
        (AUTH_HEADER_MIN_LEN + self.icv.len()).div_ceil(8) * 8
    }

    /// Write every field (Reserved as zero, RFC 4302 §2.3); an ICV longer
    /// than the format allows is cut.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, header: &mut Ipv6AuthHeader<T>) {
        // Payload Len is a u8 of words minus 2: at most 257 words = 1028 bytes,
        // of which 1024 is the largest multiple of 8.
        let len = self.buffer_len().min(1024);
        header.set_next_header(self.next_header);
        header.set_payload_len(u8::try_from(len / 4 - 2).unwrap_or(u8::MAX));
        header.set_reserved(0);
        header.set_spi(self.spi);
        header.set_seq_number(self.seq_number);
        let area = header.icv_mut();
        let n = self.icv.len().min(area.len());
        area[..n].copy_from_slice(&self.icv[..n]);
        for b in &mut area[n..] {
            *b = 0;
        }
    }
}

// ---------------------------------------------------------------------------
// The chain walk
// ---------------------------------------------------------------------------

/// The most extension headers [`Ipv6ExtChain`] walks before giving up. A
/// legitimate chain has at most one of each and two Destination Options
/// (RFC 8200 §4.1), i.e. about 7; more is an attack on the walker.
pub const MAX_EXT_HEADERS: usize = 8;

/// A view of one extension header, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ipv6ExtView<'a> {
    /// Hop-by-Hop Options.
    HopByHop(Ipv6OptionsHeader<&'a [u8]>),
    /// Destination Options.
    DestOpts(Ipv6OptionsHeader<&'a [u8]>),
    /// Routing header.
    Routing(Ipv6RoutingHeader<&'a [u8]>),
    /// Fragment header.
    Fragment(Ipv6FragmentHeader<&'a [u8]>),
    /// Authentication Header.
    Auth(Ipv6AuthHeader<&'a [u8]>),
}

/// One extension header met by [`Ipv6ExtChain`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv6ExtHeader<'a> {
    /// The header's protocol number (what the previous Next Header said).
    pub kind: IpProtocol,
    /// Offset of the header from the end of the fixed IPv6 header.
    pub offset: usize,
    /// Length of the header in bytes.
    pub length: usize,
    /// A checked view of exactly this header's bytes.
    pub view: Ipv6ExtView<'a>,
}

/// True for the protocol numbers the walk steps over.
fn is_walked(proto: IpProtocol) -> bool {
    matches!(
        proto,
        IpProtocol::HopByHop
            | IpProtocol::Ipv6Opts
            | IpProtocol::Ipv6Route
            | IpProtocol::Ipv6Frag
            | IpProtocol::Ah
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChainState {
    Walking,
    Done,
    Failed,
}

/// Iterator over the extension headers after the IPv6 fixed header.
///
/// Yields each Hop-by-Hop, Routing, Fragment, Destination Options and AH
/// header in order. It stops (returns `None`) at the upper layer, at No Next
/// Header (59), at ESP (50, whose contents are encrypted) and after a
/// non-first fragment's Fragment header (what follows is the middle of the
/// original payload, not a header). After that,
/// [`upper`](Self::upper)/[`upper_offset`](Self::upper_offset) say where it
/// stopped. On error it yields one `Err` and then stops.
///
/// Other numbers listed as extension headers by RFC 7045 (Mobility 135,
/// HIP 139, Shim6 140, experimental 253/254) are reported as the upper layer:
/// a node that does not process them treats them as an unrecognised Next
/// Header (RFC 8200 §4), which is the receiver's call.
#[derive(Debug, Clone)]
pub struct Ipv6ExtChain<'a> {
    bytes: &'a [u8],
    next: IpProtocol,
    offset: usize,
    count: usize,
    state: ChainState,
    fragment: Option<Ipv6ExtFragment>,
}

/// The first Fragment header met by the walk, and where it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ipv6ExtFragment {
    /// Offset of the Fragment header from the end of the fixed header: the
    /// bytes before it are the per-fragment (unfragmentable) headers.
    pub header_offset: usize,
    /// The Fragment header's contents.
    pub repr: Ipv6FragmentRepr,
}

impl<'a> Ipv6ExtChain<'a> {
    /// Start a walk: `first_next_header` is the fixed header's Next Header,
    /// `bytes` what follows the fixed header (its payload).
    pub fn new(first_next_header: IpProtocol, bytes: &'a [u8]) -> Ipv6ExtChain<'a> {
        Ipv6ExtChain {
            bytes,
            next: first_next_header,
            offset: 0,
            count: 0,
            state: ChainState::Walking,
            fragment: None,
        }
    }

    /// The protocol where the walk stopped: the upper layer, `Ipv6NoNxt`,
    /// `Esp`, or the Next Header of a non-first fragment. `None` until the
    /// iterator has returned `None` without an error.
    pub fn upper(&self) -> Option<IpProtocol> {
        (self.state == ChainState::Done).then_some(self.next)
    }

    /// Offset (from the end of the fixed header) where the walk stopped.
    pub fn upper_offset(&self) -> usize {
        self.offset
    }

    /// The bytes from [`upper_offset`](Self::upper_offset) to the end.
    pub fn upper_payload(&self) -> &'a [u8] {
        self.bytes.get(self.offset..).unwrap_or(&[])
    }

    /// The first Fragment header met so far.
    pub fn fragment(&self) -> Option<Ipv6ExtFragment> {
        self.fragment
    }

    fn step(&mut self) -> Result<Option<Ipv6ExtHeader<'a>>> {
        let kind = self.next;
        if !is_walked(kind) {
            // Upper layer, No Next Header (RFC 8200 §4.7) or ESP (RFC 4303:
            // encrypted, nothing more to read).
            return Ok(None);
        }
        // RFC 8200 §4.3: Hop-by-Hop, when present, immediately follows the
        // fixed header.
        if kind == IpProtocol::HopByHop && self.count != 0 {
            return Err(Error::Malformed("hop-by-hop not first"));
        }
        if self.count >= MAX_EXT_HEADERS {
            return Err(Error::Malformed("too many extension headers"));
        }
        let rest = self.bytes.get(self.offset..).ok_or(Error::Truncated)?;
        let (length, next, view, stop) = match kind {
            IpProtocol::HopByHop | IpProtocol::Ipv6Opts => {
                let len = generic_header_len(rest)?;
                let bytes = rest.get(..len).ok_or(Error::Truncated)?;
                let header = Ipv6OptionsHeader::new_checked(bytes)?;
                let next = header.next_header();
                let view = if kind == IpProtocol::HopByHop {
                    Ipv6ExtView::HopByHop(header)
                } else {
                    Ipv6ExtView::DestOpts(header)
                };
                (len, next, view, false)
            }
            IpProtocol::Ipv6Route => {
                let len = generic_header_len(rest)?;
                let bytes = rest.get(..len).ok_or(Error::Truncated)?;
                let header = Ipv6RoutingHeader::new_checked(bytes)?;
                (
                    len,
                    header.next_header(),
                    Ipv6ExtView::Routing(header),
                    false,
                )
            }
            IpProtocol::Ipv6Frag => {
                let bytes = rest.get(..FRAGMENT_HEADER_LEN).ok_or(Error::Truncated)?;
                let header = Ipv6FragmentHeader::new_checked(bytes)?;
                let repr = Ipv6FragmentRepr::parse(&header)?;
                if self.fragment.is_none() {
                    self.fragment = Some(Ipv6ExtFragment {
                        header_offset: self.offset,
                        repr,
                    });
                }
                // RFC 8200 §4.5: only the first fragment (offset 0) starts
                // with the fragmentable part's headers.
                let stop = repr.frag_offset != 0;
                (
                    FRAGMENT_HEADER_LEN,
                    repr.next_header,
                    Ipv6ExtView::Fragment(header),
                    stop,
                )
            }
            _ => {
                let header = Ipv6AuthHeader::new_checked(rest)?;
                let len = header.header_len();
                let bytes = rest.get(..len).ok_or(Error::Truncated)?;
                let header = Ipv6AuthHeader::new_unchecked(bytes);
                (len, header.next_header(), Ipv6ExtView::Auth(header), false)
            }
        };
        let item = Ipv6ExtHeader {
            kind,
            offset: self.offset,
            length,
            view,
        };
        // Each header is at least 8 bytes (12 for AH), so the walk always
        // advances; `length` was checked against the buffer, so no overflow.
        self.offset += length;
        self.next = next;
        self.count += 1;
        if stop {
            self.state = ChainState::Done;
        }
        Ok(Some(item))
    }
}

impl<'a> Iterator for Ipv6ExtChain<'a> {
    type Item = Result<Ipv6ExtHeader<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.state != ChainState::Walking {
            return None;
        }
        match self.step() {
            Ok(Some(item)) => Some(Ok(item)),
            Ok(None) => {
                self.state = ChainState::Done;
                None
            }
            Err(e) => {
                self.state = ChainState::Failed;
                Some(Err(e))
            }
        }
    }
}

/// The summary of a whole extension-header walk (see [`walk`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtWalk {
    /// The extension headers walked, in order.
    pub headers: heapless::Vec<IpProtocol, MAX_EXT_HEADERS>,
    /// Where the walk stopped: the upper-layer protocol, `Ipv6NoNxt`, `Esp`,
    /// or the Next Header of a non-first fragment.
    pub upper: IpProtocol,
    /// Offset of the upper layer from the end of the fixed header.
    pub upper_offset: usize,
    /// The first Fragment header, if any.
    pub fragment: Option<Ipv6ExtFragment>,
}

impl ExtWalk {
    /// True when the walk stopped at a non-first fragment: the bytes at
    /// `upper_offset` are the middle of a payload, not an `upper` header.
    pub fn is_non_first_fragment(&self) -> bool {
        self.fragment.is_some_and(|f| f.repr.frag_offset != 0)
    }

    /// True when an upper-layer header can be read at `upper_offset`: not No
    /// Next Header, not ESP, not a non-first fragment.
    pub fn has_upper_header(&self) -> bool {
        !matches!(self.upper, IpProtocol::Ipv6NoNxt | IpProtocol::Esp)
            && !self.is_non_first_fragment()
    }

    /// The bytes from `upper_offset` in the walked buffer.
    pub fn upper_payload<'b>(&self, bytes: &'b [u8]) -> &'b [u8] {
        bytes.get(self.upper_offset..).unwrap_or(&[])
    }
}

/// Walk the whole extension-header chain after the fixed header.
pub fn walk(first_next_header: IpProtocol, bytes: &[u8]) -> Result<ExtWalk> {
    let mut chain = Ipv6ExtChain::new(first_next_header, bytes);
    let mut headers = heapless::Vec::new();
    for header in chain.by_ref() {
        // The chain stops at MAX_EXT_HEADERS, so the push cannot fail.
        headers
            .push(header?.kind)
            .map_err(|_| Error::Malformed("too many extension headers"))?;
    }
    let upper = chain.upper().ok_or(Error::Malformed("extension headers"))?;
    Ok(ExtWalk {
        headers,
        upper,
        upper_offset: chain.upper_offset(),
        fragment: chain.fragment(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Each constant is the bytes after the 40-byte fixed header of a real
    // packet (the fixed header's Next Header is named beside it).

    /// tcpdump's `icmpv6.pcap`, MLDv2 report from fe80::215:17ff:fecc:e546 to
    /// ff02::16. First header: Hop-by-Hop (Router Alert "MLD", PadN).
    const HBH_MLD: [u8; 36] = [
        0x3a, 0x00, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00, // HBH: nh 58, len 0, RA 0, PadN 0
        0x8f, 0x00, 0x1f, 0xc5, 0x00, 0x00, 0x00, 0x01, // MLDv2 report, 1 record
        0x04, 0x00, 0x00, 0x00, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
        0x00, 0x00, 0x0d, 0xb8, 0x11, 0x22, 0x33, 0x44, // record for ff02::db8:1122:3344
    ];

    /// Linux 6.x on `lo`: UDP to ::1 after a Destination Options header
    /// (option 0x1e with data ab cd, then PadN). First header: DestOpts.
    const DSTOPTS_UDP: [u8; 29] = [
        0x11, 0x00, 0x1e, 0x02, 0xab, 0xcd, 0x01, 0x00, // DestOpts: nh 17, len 0
        0xab, 0x0b, 0x27, 0x0e, 0x00, 0x15, 0x2d, 0x5f, // UDP
        b'h', b'e', b'l', b'l', b'o', b' ', b'd', b's', b't', b'o', b'p', b't', b's',
    ];

    /// tcpdump's `ipv6-routing-header.pcap`, frame 1: an echo request with a
    /// (deprecated) type 0 Routing header via 2200::210:2:0:0:4. First: Routing.
    const RT0_ICMP: [u8; 32] = [
        0x3a, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, // nh 58, len 2, type 0, seg left 1
        0x22, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x10, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x04, //
        0x80, 0x00, 0xd3, 0xab, 0x00, 0x00, 0x00, 0x00, // echo request
    ];

    /// tcpdump's `ipv6-srh-tlv-pad1-padn-5.pcap`: SRH (type 4), then No Next
    /// Header. First: Routing.
    const SRH_NONXT: [u8; 32] = [
        0x3b, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, // nh 59, len 3, type 4, seg left 0
        0xca, 0xfe, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x02, //
        0x00, 0x04, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, // Pad1 TLV, PadN TLV
    ];

    /// tcpdump's `OSPFv3_with_AH.pcap`, frame 1: OSPFv3 Hello under AH
    /// (SPI 0x100, seq 19, 96-bit ICV). First: AH.
    const AH_OSPF: [u8; 60] = [
        0x59, 0x04, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
        0x13, // AH: nh 89, len 4
        0x21, 0xd3, 0xa9, 0x5c, 0x5f, 0xfd, 0x4d, 0x18, 0x46, 0x22, 0xb9, 0xf8, // ICV
        0x03, 0x01, 0x00, 0x24, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x01, 0xfb, 0x86, 0x00,
        0x00, //
        0x00, 0x00, 0x00, 0x05, 0x01, 0x00, 0x00, 0x13, 0x00, 0x0a, 0x00, 0x28, 0x00, 0x00, 0x00,
        0x00, //
        0x00, 0x00, 0x00, 0x00, //
    ];

    /// Linux 6.x on a 1280-MTU `lo`: the two fragments of a 2048-byte UDP
    /// datagram (ident 0x7836663f), fragment headers and the start of the
    /// data. The payload is bytes 0, 1, 2... in both; rebuilt by `fragment()`.
    const FRAG1_HEAD: [u8; 16] = [
        0x11, 0x00, 0x00, 0x01, 0x78, 0x36, 0x66, 0x3f, // nh 17, offset 0, M
        0x85, 0x4a, 0x27, 0x0f, 0x08, 0x08, 0x41, 0x85, // UDP 34122 -> 9999, len 2056
    ];
    const FRAG2_HEAD: [u8; 8] = [0x11, 0x00, 0x04, 0xd0, 0x78, 0x36, 0x66, 0x3f]; // offset 1232

    /// A real fragment: payload_len 1240 (first) or 832 (second).
    fn fragment(first: bool) -> ([u8; 1240], usize) {
        let mut buf = [0u8; 1240];
        if first {
            buf[..16].copy_from_slice(&FRAG1_HEAD);
            for (i, b) in buf[16..].iter_mut().enumerate() {
                *b = i as u8;
            }
            (buf, 1240)
        } else {
            buf[..8].copy_from_slice(&FRAG2_HEAD);
            for (i, b) in buf[8..832].iter_mut().enumerate() {
                *b = (1224 + i) as u8;
            }
            (buf, 832)
        }
    }

    fn options(bytes: &[u8]) -> heapless::Vec<Ipv6Option<'_>, 16> {
        Ipv6OptionsIter::new(bytes).map(|o| o.unwrap()).collect()
    }

    #[test]
    fn hop_by_hop_router_alert() {
        let header = Ipv6OptionsHeader::new_checked(&HBH_MLD[..]).unwrap();
        assert_eq!(header.next_header(), IpProtocol::Icmpv6);
        assert_eq!(header.hdr_ext_len(), 0);
        assert_eq!(header.header_len(), 8);
        assert_eq!(header.options(), &HBH_MLD[2..8]);
        assert_eq!(header.payload(), &HBH_MLD[8..]);
        let opts = options(header.options());
        assert_eq!(
            &opts[..],
            &[
                Ipv6Option::Other {
                    kind: Ipv6OptionType::RouterAlert,
                    data: &[0, 0]
                },
                Ipv6Option::PadN(0)
            ]
        );
        let repr = Ipv6OptionsRepr::parse(&header).unwrap();
        assert_eq!(
            repr,
            Ipv6OptionsRepr {
                next_header: IpProtocol::Icmpv6,
                options: &HBH_MLD[2..8]
            }
        );
        assert_eq!(repr.iter().count(), 2);
        assert_eq!(repr.buffer_len(), 8);
        let mut out = [0xffu8; 8];
        repr.emit(&mut Ipv6OptionsHeader::new_unchecked(&mut out[..]));
        assert_eq!(out, HBH_MLD[..8]);
    }

    #[test]
    fn destination_options_unknown_option() {
        let header = Ipv6OptionsHeader::new_checked(&DSTOPTS_UDP[..]).unwrap();
        assert_eq!(header.next_header(), IpProtocol::Udp);
        assert_eq!(header.header_len(), 8);
        let opts = options(header.options());
        assert_eq!(
            &opts[..],
            &[
                Ipv6Option::Other {
                    kind: Ipv6OptionType::Unknown(0x1e),
                    data: &[0xab, 0xcd]
                },
                Ipv6Option::PadN(0)
            ]
        );
        assert_eq!(
            opts[0].kind().failure_action(),
            Ipv6OptionFailureAction::Skip
        );
        assert!(!opts[0].kind().may_change_en_route());
        let repr = Ipv6OptionsRepr::parse(&header).unwrap();
        let mut out = [0u8; 8];
        repr.emit(&mut Ipv6OptionsHeader::new_unchecked(&mut out[..]));
        assert_eq!(out, DSTOPTS_UDP[..8]);
    }

    #[test]
    fn option_type_bits() {
        use Ipv6OptionFailureAction::*;
        let cases = [
            (0x05, Skip, false),
            (0x3e, Skip, true),
            (0x40, Discard, false),
            (0x80, DiscardSendIcmp, false),
            (0xc2, DiscardSendIcmpUnlessMulticast, false),
            (0xff, DiscardSendIcmpUnlessMulticast, true),
        ];
        for (kind, action, change) in cases {
            let kind = Ipv6OptionType::from(kind);
            assert_eq!(
                (kind.failure_action(), kind.may_change_en_route()),
                (action, change),
                "{kind:?}"
            );
        }
        assert_eq!(Ipv6OptionType::from(0xc2), Ipv6OptionType::Jumbo);
    }

    #[test]
    fn options_emit_pads_to_eight() {
        let mut opts = [0u8; 4];
        let n = Ipv6Option::Other {
            kind: Ipv6OptionType::RouterAlert,
            data: &[0, 0],
        }
        .emit(&mut opts)
        .unwrap();
        assert_eq!(n, 4);
        assert_eq!(Ipv6Option::Pad1.emit(&mut []), Err(Error::Truncated));
        let repr = Ipv6OptionsRepr {
            next_header: IpProtocol::Icmpv6,
            options: &opts,
        };
        assert_eq!(repr.buffer_len(), 8);
        let mut out = [0xffu8; 8];
        repr.emit(&mut Ipv6OptionsHeader::new_unchecked(&mut out[..]));
        assert_eq!(out, [0x3a, 0x00, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00]);
        // Five bytes of options leave one byte: Pad1.
        let repr = Ipv6OptionsRepr {
            next_header: IpProtocol::Udp,
            options: &[0x1e, 0x03, 1, 2, 3],
        };
        let mut out = [0xffu8; 8];
        repr.emit(&mut Ipv6OptionsHeader::new_unchecked(&mut out[..]));
        assert_eq!(out, [0x11, 0x00, 0x1e, 0x03, 1, 2, 3, 0x00]);
        assert_eq!(
            Ipv6OptionsRepr::parse(&Ipv6OptionsHeader::new_checked(&out[..]).unwrap())
                .unwrap()
                .options,
            &out[2..]
        );
    }

    #[test]
    fn bad_option_lengths() {
        // Router Alert claiming 7 data bytes in a 6-byte area.
        let bytes = [0x3a, 0x00, 0x05, 0x07, 0x00, 0x00, 0x00, 0x00];
        let header = Ipv6OptionsHeader::new_checked(&bytes[..]).unwrap();
        assert_eq!(
            Ipv6OptionsRepr::parse(&header),
            Err(Error::Malformed("option length"))
        );
        let mut iter = header.iter();
        assert_eq!(iter.next(), Some(Err(Error::Malformed("option length"))));
        assert_eq!(iter.next(), None);
        // A length byte missing at the very end.
        let bytes = [0x3a, 0x00, 0x01, 0x03, 0x00, 0x00, 0x00, 0x01];
        let header = Ipv6OptionsHeader::new_checked(&bytes[..]).unwrap();
        assert_eq!(
            Ipv6OptionsRepr::parse(&header),
            Err(Error::Malformed("option length"))
        );
        // Hdr Ext Len past the buffer.
        let mut bytes = HBH_MLD;
        bytes[1] = 5;
        assert_eq!(
            Ipv6OptionsHeader::new_checked(&bytes[..]),
            Err(Error::Truncated)
        );
        for len in 0..8 {
            assert_eq!(
                Ipv6OptionsHeader::new_checked(&HBH_MLD[..len]),
                Err(Error::Truncated)
            );
        }
    }

    #[test]
    fn routing_type0_real() {
        let header = Ipv6RoutingHeader::new_checked(&RT0_ICMP[..]).unwrap();
        assert_eq!(header.next_header(), IpProtocol::Icmpv6);
        assert_eq!(header.hdr_ext_len(), 2);
        assert_eq!(header.header_len(), 24);
        assert_eq!(header.routing_type(), Ipv6RoutingType::Type0);
        assert_eq!(header.segments_left(), 1);
        assert_eq!(header.data(), &RT0_ICMP[4..24]);
        assert_eq!(header.payload(), &RT0_ICMP[24..]);
        let repr = Ipv6RoutingRepr::parse(&header).unwrap();
        assert_eq!(
            repr,
            Ipv6RoutingRepr {
                next_header: IpProtocol::Icmpv6,
                routing_type: Ipv6RoutingType::Type0,
                segments_left: 1,
                data: &RT0_ICMP[4..24],
            }
        );
        assert_eq!(repr.buffer_len(), 24);
        let mut out = [0xffu8; 24];
        repr.emit(&mut Ipv6RoutingHeader::new_unchecked(&mut out[..]));
        assert_eq!(out, RT0_ICMP[..24]);
        for len in 0..24 {
            assert_eq!(
                Ipv6RoutingHeader::new_checked(&RT0_ICMP[..len]),
                Err(Error::Truncated)
            );
        }
    }

    #[test]
    fn routing_srh_real() {
        let header = Ipv6RoutingHeader::new_checked(&SRH_NONXT[..]).unwrap();
        assert_eq!(header.next_header(), IpProtocol::Ipv6NoNxt);
        assert_eq!(header.header_len(), 32);
        assert_eq!(header.routing_type(), Ipv6RoutingType::Srh);
        assert_eq!(header.segments_left(), 0);
        assert_eq!(header.payload(), &[] as &[u8]);
        let repr = Ipv6RoutingRepr::parse(&header).unwrap();
        let mut out = [0u8; 32];
        repr.emit(&mut Ipv6RoutingHeader::new_unchecked(&mut out[..]));
        assert_eq!(out, SRH_NONXT);
        // Data not ending on a multiple of 8 is zero-padded.
        let repr = Ipv6RoutingRepr {
            data: &[1, 2],
            ..repr
        };
        assert_eq!(repr.buffer_len(), 8);
        let mut out = [0xffu8; 8];
        repr.emit(&mut Ipv6RoutingHeader::new_unchecked(&mut out[..]));
        assert_eq!(out, [0x3b, 0x00, 0x04, 0x00, 1, 2, 0, 0]);
    }

    #[test]
    fn fragment_headers_real() {
        let (first, len) = fragment(true);
        let header = Ipv6FragmentHeader::new_checked(&first[..len]).unwrap();
        assert_eq!(header.next_header(), IpProtocol::Udp);
        assert_eq!(header.frag_offset(), 0);
        assert!(header.more_frags());
        assert_eq!(header.ident(), 0x7836_663f);
        assert_eq!(header.payload().len(), 1232);
        let repr = Ipv6FragmentRepr::parse(&header).unwrap();
        assert_eq!(
            repr,
            Ipv6FragmentRepr {
                next_header: IpProtocol::Udp,
                frag_offset: 0,
                more_frags: true,
                ident: 0x7836_663f
            }
        );
        assert!(!repr.is_atomic());
        let mut out = [0xffu8; 8];
        repr.emit(&mut Ipv6FragmentHeader::new_unchecked(&mut out[..]));
        assert_eq!(out, FRAG1_HEAD[..8]);

        let (second, len) = fragment(false);
        let header = Ipv6FragmentHeader::new_checked(&second[..len]).unwrap();
        let repr = Ipv6FragmentRepr::parse(&header).unwrap();
        assert_eq!(
            repr,
            Ipv6FragmentRepr {
                next_header: IpProtocol::Udp,
                frag_offset: 1232,
                more_frags: false,
                ident: 0x7836_663f
            }
        );
        // 1232 + 824 data bytes = the 2056-byte UDP datagram.
        assert_eq!(usize::from(repr.frag_offset) + header.payload().len(), 2056);
        let mut out = [0u8; 8];
        repr.emit(&mut Ipv6FragmentHeader::new_unchecked(&mut out[..]));
        assert_eq!(out, FRAG2_HEAD);
        for len in 0..8 {
            assert_eq!(
                Ipv6FragmentHeader::new_checked(&FRAG2_HEAD[..len]),
                Err(Error::Truncated)
            );
        }
    }

    #[test]
    fn fragment_reserved_bits_ignored_and_cleared() {
        let mut bytes = FRAG2_HEAD;
        bytes[1] = 0xff;
        bytes[3] |= 0b110;
        let repr =
            Ipv6FragmentRepr::parse(&Ipv6FragmentHeader::new_checked(&bytes[..]).unwrap()).unwrap();
        assert_eq!((repr.frag_offset, repr.more_frags), (1232, false));
        let mut out = bytes;
        repr.emit(&mut Ipv6FragmentHeader::new_unchecked(&mut out[..]));
        assert_eq!(out, FRAG2_HEAD);
    }

    #[test]
    fn auth_header_real() {
        let header = Ipv6AuthHeader::new_checked(&AH_OSPF[..]).unwrap();
        assert_eq!(header.next_header(), IpProtocol::Unknown(89));
        assert_eq!(header.payload_len(), 4);
        assert_eq!(header.header_len(), 24);
        assert_eq!(header.reserved(), 0);
        assert_eq!(header.spi(), 0x100);
        assert_eq!(header.seq_number(), 19);
        assert_eq!(header.icv(), &AH_OSPF[12..24]);
        assert_eq!(header.payload(), &AH_OSPF[24..]);
        let repr = Ipv6AuthRepr::parse(&header).unwrap();
        assert_eq!(
            repr,
            Ipv6AuthRepr {
                next_header: IpProtocol::Unknown(89),
                spi: 0x100,
                seq_number: 19,
                icv: &AH_OSPF[12..24]
            }
        );
        assert_eq!(repr.buffer_len(), 24);
        let mut out = [0xffu8; 24];
        repr.emit(&mut Ipv6AuthHeader::new_unchecked(&mut out[..]));
        assert_eq!(out, AH_OSPF[..24]);
        for len in 0..24 {
            assert_eq!(
                Ipv6AuthHeader::new_checked(&AH_OSPF[..len]),
                Err(Error::Truncated)
            );
        }
    }

    #[test]
    fn auth_header_bad_fields() {
        let mut bytes = AH_OSPF;
        bytes[1] = 0; // 8 bytes: shorter than the fixed part
        assert_eq!(
            Ipv6AuthHeader::new_checked(&bytes[..]),
            Err(Error::Malformed("ah payload len"))
        );
        bytes[1] = 3; // 20 bytes: not a multiple of 8 over IPv6
        let header = Ipv6AuthHeader::new_checked(&bytes[..]).unwrap();
        assert_eq!(
            Ipv6AuthRepr::parse(&header),
            Err(Error::Malformed("ah payload len"))
        );
        let mut bytes = AH_OSPF;
        bytes[4..8].copy_from_slice(&[0; 4]);
        let header = Ipv6AuthHeader::new_checked(&bytes[..]).unwrap();
        assert_eq!(
            Ipv6AuthRepr::parse(&header),
            Err(Error::Malformed("ah spi"))
        );
        bytes[1] = 200;
        assert_eq!(
            Ipv6AuthHeader::new_checked(&bytes[..]),
            Err(Error::Truncated)
        );
    }

    #[test]
    fn walk_real_chains() {
        let w = walk(IpProtocol::HopByHop, &HBH_MLD).unwrap();
        assert_eq!(&w.headers[..], &[IpProtocol::HopByHop]);
        assert_eq!(
            (w.upper, w.upper_offset, w.fragment),
            (IpProtocol::Icmpv6, 8, None)
        );
        assert!(w.has_upper_header());
        assert_eq!(w.upper_payload(&HBH_MLD), &HBH_MLD[8..]);

        let w = walk(IpProtocol::Ipv6Opts, &DSTOPTS_UDP).unwrap();
        assert_eq!(&w.headers[..], &[IpProtocol::Ipv6Opts]);
        assert_eq!((w.upper, w.upper_offset), (IpProtocol::Udp, 8));

        let w = walk(IpProtocol::Ipv6Route, &RT0_ICMP).unwrap();
        assert_eq!(&w.headers[..], &[IpProtocol::Ipv6Route]);
        assert_eq!((w.upper, w.upper_offset), (IpProtocol::Icmpv6, 24));

        let w = walk(IpProtocol::Ipv6Route, &SRH_NONXT).unwrap();
        assert_eq!((w.upper, w.upper_offset), (IpProtocol::Ipv6NoNxt, 32));
        assert!(!w.has_upper_header());

        let w = walk(IpProtocol::Ah, &AH_OSPF).unwrap();
        assert_eq!(&w.headers[..], &[IpProtocol::Ah]);
        assert_eq!((w.upper, w.upper_offset), (IpProtocol::Unknown(89), 24));

        // No extension header at all.
        let w = walk(IpProtocol::Udp, &DSTOPTS_UDP[8..]).unwrap();
        assert!(w.headers.is_empty());
        assert_eq!((w.upper, w.upper_offset), (IpProtocol::Udp, 0));
    }

    #[test]
    fn walk_fragments() {
        let (first, len) = fragment(true);
        let w = walk(IpProtocol::Ipv6Frag, &first[..len]).unwrap();
        assert_eq!(&w.headers[..], &[IpProtocol::Ipv6Frag]);
        assert_eq!((w.upper, w.upper_offset), (IpProtocol::Udp, 8));
        let frag = w.fragment.unwrap();
        assert_eq!(frag.header_offset, 0);
        assert_eq!((frag.repr.frag_offset, frag.repr.more_frags), (0, true));
        assert!(!w.is_non_first_fragment());
        assert!(w.has_upper_header());

        let (second, len) = fragment(false);
        let w = walk(IpProtocol::Ipv6Frag, &second[..len]).unwrap();
        assert_eq!((w.upper, w.upper_offset), (IpProtocol::Udp, 8));
        assert!(w.is_non_first_fragment());
        assert!(!w.has_upper_header());

        // A non-first fragment's data is not read as headers even when it
        // looks like one (a 0x00 Next Header would otherwise be an HBH).
        let mut buf = FRAG2_HEAD;
        buf[0] = 0; // next header: Hop-by-Hop, after a Fragment header
        let w = walk(IpProtocol::Ipv6Frag, &buf).unwrap();
        assert_eq!((w.upper, w.upper_offset), (IpProtocol::HopByHop, 8));
    }

    #[test]
    fn chain_iterator_gives_views() {
        // HBH (MLD's) -> DestOpts -> Fragment (first) -> UDP, stitched from
        // the real headers above.
        let mut buf = [0u8; 32];
        buf[..8].copy_from_slice(&HBH_MLD[..8]);
        buf[0] = 60;
        buf[8..16].copy_from_slice(&DSTOPTS_UDP[..8]);
        buf[8] = 44;
        buf[16..32].copy_from_slice(&FRAG1_HEAD);
        let mut chain = Ipv6ExtChain::new(IpProtocol::HopByHop, &buf);
        let h = chain.next().unwrap().unwrap();
        assert_eq!((h.kind, h.offset, h.length), (IpProtocol::HopByHop, 0, 8));
        assert!(
            matches!(h.view, Ipv6ExtView::HopByHop(ref v) if v.next_header() == IpProtocol::Ipv6Opts)
        );
        assert_eq!(chain.upper(), None);
        let h = chain.next().unwrap().unwrap();
        assert_eq!((h.kind, h.offset, h.length), (IpProtocol::Ipv6Opts, 8, 8));
        assert!(matches!(h.view, Ipv6ExtView::DestOpts(_)));
        let h = chain.next().unwrap().unwrap();
        assert_eq!((h.kind, h.offset, h.length), (IpProtocol::Ipv6Frag, 16, 8));
        assert!(matches!(h.view, Ipv6ExtView::Fragment(ref v) if v.ident() == 0x7836_663f));
        assert!(chain.next().is_none());
        assert!(chain.next().is_none());
        assert_eq!(chain.upper(), Some(IpProtocol::Udp));
        assert_eq!(chain.upper_offset(), 24);
        assert_eq!(chain.upper_payload(), &FRAG1_HEAD[8..]);
        assert_eq!(chain.fragment().unwrap().header_offset, 16);
        let w = walk(IpProtocol::HopByHop, &buf).unwrap();
        assert_eq!(
            &w.headers[..],
            &[
                IpProtocol::HopByHop,
                IpProtocol::Ipv6Opts,
                IpProtocol::Ipv6Frag
            ]
        );
    }

    #[test]
    fn walk_stops_at_esp() {
        let mut buf = [0u8; 24];
        buf[..8].copy_from_slice(&DSTOPTS_UDP[..8]);
        buf[0] = 50;
        let w = walk(IpProtocol::Ipv6Opts, &buf).unwrap();
        assert_eq!((w.upper, w.upper_offset), (IpProtocol::Esp, 8));
        assert!(!w.has_upper_header());
    }

    #[test]
    fn walk_rejects_late_hop_by_hop() {
        let mut buf = [0u8; 16];
        buf[..8].copy_from_slice(&DSTOPTS_UDP[..8]);
        buf[0] = 0;
        buf[8..].copy_from_slice(&HBH_MLD[..8]);
        assert_eq!(
            walk(IpProtocol::Ipv6Opts, &buf),
            Err(Error::Malformed("hop-by-hop not first"))
        );
        let mut chain = Ipv6ExtChain::new(IpProtocol::Ipv6Opts, &buf);
        assert!(chain.next().unwrap().is_ok());
        assert_eq!(
            chain.next().unwrap().unwrap_err(),
            Error::Malformed("hop-by-hop not first")
        );
        assert!(chain.next().is_none());
        assert_eq!(chain.upper(), None);
    }

    /// `n` Destination Options headers, then UDP.
    fn dstopts_chain(n: usize) -> [u8; 80] {
        let mut buf = [0u8; 80];
        for i in 0..n {
            buf[i * 8..i * 8 + 8].copy_from_slice(&DSTOPTS_UDP[..8]);
            buf[i * 8] = if i + 1 == n { 17 } else { 60 };
        }
        buf
    }

    #[test]
    fn walk_header_bound() {
        let buf = dstopts_chain(MAX_EXT_HEADERS);
        let w = walk(IpProtocol::Ipv6Opts, &buf).unwrap();
        assert_eq!(w.headers.len(), MAX_EXT_HEADERS);
        assert_eq!((w.upper, w.upper_offset), (IpProtocol::Udp, 64));
        let buf = dstopts_chain(MAX_EXT_HEADERS + 1);
        assert_eq!(
            walk(IpProtocol::Ipv6Opts, &buf),
            Err(Error::Malformed("too many extension headers"))
        );
    }

    #[test]
    fn walk_every_truncation() {
        let (first, _) = fragment(true);
        let cases: [(IpProtocol, &[u8], usize); 6] = [
            (IpProtocol::HopByHop, &HBH_MLD, 8),
            (IpProtocol::Ipv6Opts, &DSTOPTS_UDP, 8),
            (IpProtocol::Ipv6Route, &RT0_ICMP, 24),
            (IpProtocol::Ipv6Route, &SRH_NONXT, 32),
            (IpProtocol::Ah, &AH_OSPF, 24),
            (IpProtocol::Ipv6Frag, &first[..16], 8),
        ];
        for (first, bytes, ext_len) in cases {
            for len in 0..bytes.len() {
                let result = walk(first, &bytes[..len]);
                if len < ext_len {
                    assert_eq!(result, Err(Error::Truncated), "{first} len {len}");
                } else {
                    // The upper layer is not the walk's business.
                    assert_eq!(result.unwrap().upper_offset, ext_len);
                }
            }
        }
    }

    /// Parse the repr of `view`, emit it into a fresh buffer, parse again.
    fn round_trip(view: &Ipv6ExtView<'_>) {
        let mut out = [0u8; 2048];
        match view {
            Ipv6ExtView::HopByHop(h) | Ipv6ExtView::DestOpts(h) => {
                let _ = (
                    h.next_header(),
                    h.header_len(),
                    h.options(),
                    h.payload(),
                    h.iter().count(),
                );
                if let Ok(repr) = Ipv6OptionsRepr::parse(h) {
                    let out = &mut out[..repr.buffer_len()];
                    repr.emit(&mut Ipv6OptionsHeader::new_unchecked(&mut *out));
                    assert_eq!(
                        Ipv6OptionsRepr::parse(&Ipv6OptionsHeader::new_checked(&*out).unwrap()),
                        Ok(repr)
                    );
                }
            }
            Ipv6ExtView::Routing(h) => {
                let _ = (
                    h.next_header(),
                    h.header_len(),
                    h.routing_type(),
                    h.segments_left(),
                    h.data(),
                );
                if let Ok(repr) = Ipv6RoutingRepr::parse(h) {
                    let out = &mut out[..repr.buffer_len()];
                    repr.emit(&mut Ipv6RoutingHeader::new_unchecked(&mut *out));
                    assert_eq!(
                        Ipv6RoutingRepr::parse(&Ipv6RoutingHeader::new_checked(&*out).unwrap()),
                        Ok(repr)
                    );
                }
            }
            Ipv6ExtView::Fragment(h) => {
                let _ = (
                    h.next_header(),
                    h.frag_offset(),
                    h.more_frags(),
                    h.ident(),
                    h.payload(),
                );
                if let Ok(repr) = Ipv6FragmentRepr::parse(h) {
                    let out = &mut out[..repr.buffer_len()];
                    repr.emit(&mut Ipv6FragmentHeader::new_unchecked(&mut *out));
                    assert_eq!(
                        Ipv6FragmentRepr::parse(&Ipv6FragmentHeader::new_checked(&*out).unwrap()),
                        Ok(repr)
                    );
                }
            }
            Ipv6ExtView::Auth(h) => {
                let _ = (
                    h.next_header(),
                    h.header_len(),
                    h.spi(),
                    h.seq_number(),
                    h.icv(),
                    h.payload(),
                );
                if let Ok(repr) = Ipv6AuthRepr::parse(h) {
                    let out = &mut out[..repr.buffer_len()];
                    repr.emit(&mut Ipv6AuthHeader::new_unchecked(&mut *out));
                    assert_eq!(
                        Ipv6AuthRepr::parse(&Ipv6AuthHeader::new_checked(&*out).unwrap()),
                        Ok(repr)
                    );
                }
            }
        }
    }

    fn check_no_panic(first: IpProtocol, bytes: &[u8]) {
        let mut chain = Ipv6ExtChain::new(first, bytes);
        let mut n = 0;
        for header in chain.by_ref() {
            n += 1;
            assert!(n <= MAX_EXT_HEADERS + 1);
            if let Ok(header) = header {
                assert!(header.offset + header.length <= bytes.len());
                round_trip(&header.view);
            }
        }
        assert!(chain.upper_offset() <= bytes.len());
        let _ = (chain.upper(), chain.upper_payload(), walk(first, bytes));
        // Each view on its own, over the whole buffer.
        if let Ok(h) = Ipv6OptionsHeader::new_checked(bytes) {
            round_trip(&Ipv6ExtView::DestOpts(h));
        }
        if let Ok(h) = Ipv6RoutingHeader::new_checked(bytes) {
            round_trip(&Ipv6ExtView::Routing(h));
        }
        if let Ok(h) = Ipv6FragmentHeader::new_checked(bytes) {
            round_trip(&Ipv6ExtView::Fragment(h));
        }
        if let Ok(h) = Ipv6AuthHeader::new_checked(bytes) {
            round_trip(&Ipv6ExtView::Auth(h));
        }
    }

    #[test]
    fn never_panics_and_round_trips() {
        let (first, _) = fragment(true);
        let (second, _) = fragment(false);
        let chain = dstopts_chain(MAX_EXT_HEADERS);
        let cases: [(IpProtocol, &[u8]); 9] = [
            (IpProtocol::HopByHop, &HBH_MLD),
            (IpProtocol::Ipv6Opts, &DSTOPTS_UDP),
            (IpProtocol::Ipv6Route, &RT0_ICMP),
            (IpProtocol::Ipv6Route, &SRH_NONXT),
            (IpProtocol::Ah, &AH_OSPF),
            (IpProtocol::Ipv6Frag, &first[..40]),
            (IpProtocol::Ipv6Frag, &second[..40]),
            (IpProtocol::Ipv6Opts, &chain),
            (IpProtocol::Ipv6Opts, &chain[..70]),
        ];
        for (first, bytes) in cases {
            for len in 0..=bytes.len() {
                check_no_panic(first, &bytes[..len]);
            }
            let mut buf = [0u8; 80];
            let buf = &mut buf[..bytes.len()];
            for i in 0..bytes.len() {
                for value in [0x00, bytes[i] ^ 0xff, 0x3c, 0x00] {
                    buf.copy_from_slice(bytes);
                    buf[i] = value;
                    check_no_panic(first, buf);
                    for kind in [
                        IpProtocol::HopByHop,
                        IpProtocol::Ipv6Route,
                        IpProtocol::Ipv6Frag,
                        IpProtocol::Ah,
                    ] {
                        check_no_panic(kind, buf);
                    }
                }
            }
        }
    }
}
