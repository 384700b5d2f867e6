//! The Routing header (RFC 8200 §4.4).

use super::*;

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
