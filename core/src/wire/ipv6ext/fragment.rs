//! The Fragment header (RFC 8200 §4.5).

use crate::wire::be;

use super::*;

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
        be::read_u16(&self.buffer.as_ref()[frag_field::OFFSET_M])
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
        be::read_u32(&self.buffer.as_ref()[frag_field::IDENT])
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
        be::write_u16(&mut self.buffer.as_mut()[frag_field::OFFSET_M], value)
    }

    /// Set the fragment offset in bytes (the low three bits are dropped: the
    /// field counts 8-octet units).
    pub fn set_frag_offset(&mut self, value: u16) {
        let value = (self.offset_m() & 0b111) | (value & 0xfff8);
        be::write_u16(&mut self.buffer.as_mut()[frag_field::OFFSET_M], value)
    }

    /// Set the M flag.
    pub fn set_more_frags(&mut self, value: bool) {
        let value = (self.offset_m() & !1) | u16::from(value);
        be::write_u16(&mut self.buffer.as_mut()[frag_field::OFFSET_M], value)
    }

    /// Set the Identification field.
    pub fn set_ident(&mut self, value: u32) {
        be::write_u32(&mut self.buffer.as_mut()[frag_field::IDENT], value)
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
