//! Hop-by-Hop and Destination Options headers (RFC 8200 §4.3, §4.6): they
//! share one format, a list of TLV options.

use super::*;

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
