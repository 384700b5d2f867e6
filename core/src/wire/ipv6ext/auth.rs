//! The Authentication Header (RFC 4302).

use byteorder::{ByteOrder, NetworkEndian};

use super::*;

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
        if !header.header_len().is_multiple_of(8) {
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
