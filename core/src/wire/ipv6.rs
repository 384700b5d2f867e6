//! IPv6 fixed header (RFC 8200 §3).
//!
//! The 40-byte fixed header only: extension headers are walked by
//! [`ipv6ext`](super::ipv6ext), which takes [`Ipv6Packet::next_header`] and
//! [`Ipv6Packet::payload`] as its input.

use super::be;

use super::{Error, IpProtocol, Ipv6Addr, Result};

mod field {
    use crate::wire::{Field, Rest};

    /// Version (4 bits), Traffic Class (8 bits), Flow Label (20 bits).
    pub const VER_TC_FLOW: Field = 0..4;
    pub const PAYLOAD_LEN: Field = 4..6;
    pub const NEXT_HEADER: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SRC_ADDR: Field = 8..24;
    pub const DST_ADDR: Field = 24..40;
    pub const PAYLOAD: Rest = 40..;
}

/// Length of the IPv6 fixed header (RFC 8200 §3).
pub const HEADER_LEN: usize = field::PAYLOAD.start;

/// The IPv6 minimum link MTU (RFC 8200 §5): every link must carry this much.
pub const MIN_MTU: usize = 1280;

/// A read/write view of an IPv6 packet (RFC 8200 §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv6Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6Packet<T> {
    /// Wrap a buffer without checking anything; accessors may panic on a
    /// short buffer. Use [`new_checked`](Self::new_checked) on untrusted bytes.
    pub const fn new_unchecked(buffer: T) -> Ipv6Packet<T> {
        Ipv6Packet { buffer }
    }

    /// Wrap a buffer after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Ipv6Packet<T>> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Wrap a buffer that must hold the fixed header but may hold less payload
    /// than `payload_len` says: the quote of an offending packet inside an
    /// ICMPv6 error (RFC 4443 §2.4 (c)) is cut to fit the minimum MTU.
    /// [`payload`](Self::payload) then returns what is present.
    pub fn new_checked_header(buffer: T) -> Result<Ipv6Packet<T>> {
        let packet = Self::new_unchecked(buffer);
        if packet.buffer.as_ref().len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(packet)
    }

    /// Ensure the fixed header is present and the buffer holds the
    /// `payload_len` bytes the header announces.
    ///
    /// Bytes beyond `40 + payload_len` (Ethernet minimum-frame padding) are
    /// allowed and ignored by [`payload`](Self::payload).
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        // RFC 8200 §3: Payload Length counts every byte after the fixed header.
        if HEADER_LEN + usize::from(self.payload_len()) > len {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Give back the wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn ver_tc_flow(&self) -> u32 {
        be::read_u32(&self.buffer.as_ref()[field::VER_TC_FLOW])
    }

    /// The Version field (6 for IPv6).
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[0] >> 4
    }

    /// The Traffic Class field (DSCP in the high six bits, ECN in the low two;
    /// RFC 2474, RFC 3168).
    pub fn traffic_class(&self) -> u8 {
        ((self.ver_tc_flow() >> 20) & 0xff) as u8
    }

    /// The Differentiated Services code point (RFC 2474 §3).
    pub fn dscp(&self) -> u8 {
        self.traffic_class() >> 2
    }

    /// The ECN field (RFC 3168 §5).
    pub fn ecn(&self) -> u8 {
        self.traffic_class() & 0b11
    }

    /// The 20-bit Flow Label (RFC 6437).
    pub fn flow_label(&self) -> u32 {
        self.ver_tc_flow() & 0x000f_ffff
    }

    /// The Payload Length field: bytes after the fixed header, extension
    /// headers included. Zero with a Jumbo Payload option (RFC 2675) is read
    /// as an empty payload.
    pub fn payload_len(&self) -> u16 {
        be::read_u16(&self.buffer.as_ref()[field::PAYLOAD_LEN])
    }

    /// The whole packet length the header announces (`40 + payload_len`).
    pub fn total_len(&self) -> usize {
        HEADER_LEN + usize::from(self.payload_len())
    }

    /// The Next Header field: the first extension header or the upper layer.
    pub fn next_header(&self) -> IpProtocol {
        IpProtocol::from(self.buffer.as_ref()[field::NEXT_HEADER])
    }

    /// The Hop Limit field.
    pub fn hop_limit(&self) -> u8 {
        self.buffer.as_ref()[field::HOP_LIMIT]
    }

    /// The source address.
    pub fn src_addr(&self) -> Ipv6Addr {
        let mut octets = [0u8; 16];
        octets.copy_from_slice(&self.buffer.as_ref()[field::SRC_ADDR]);
        Ipv6Addr::from(octets)
    }

    /// The destination address.
    pub fn dst_addr(&self) -> Ipv6Addr {
        let mut octets = [0u8; 16];
        octets.copy_from_slice(&self.buffer.as_ref()[field::DST_ADDR]);
        Ipv6Addr::from(octets)
    }

    /// The range of payload bytes actually present: up to `payload_len`, but
    /// never past the buffer (a quote may be cut short) and never including
    /// link-layer padding after the packet.
    fn payload_range(&self) -> core::ops::Range<usize> {
        let len = self.buffer.as_ref().len();
        let end = self.total_len().min(len);
        let start = HEADER_LEN.min(end);
        start..end
    }

    /// The bytes after the fixed header, `payload_len` of them (fewer when the
    /// view was made by [`new_checked_header`](Self::new_checked_header) over
    /// a cut quote).
    pub fn payload(&self) -> &[u8] {
        let range = self.payload_range();
        &self.buffer.as_ref()[range]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv6Packet<T> {
    fn set_ver_tc_flow(&mut self, value: u32) {
        be::write_u32(&mut self.buffer.as_mut()[field::VER_TC_FLOW], value)
    }

    /// Set the Version field (low four bits of `value`).
    pub fn set_version(&mut self, value: u8) {
        let word = (self.ver_tc_flow() & 0x0fff_ffff) | (u32::from(value & 0x0f) << 28);
        self.set_ver_tc_flow(word)
    }

    /// Set the Traffic Class field.
    pub fn set_traffic_class(&mut self, value: u8) {
        let word = (self.ver_tc_flow() & 0xf00f_ffff) | (u32::from(value) << 20);
        self.set_ver_tc_flow(word)
    }

    /// Set the Flow Label (low 20 bits of `value`).
    pub fn set_flow_label(&mut self, value: u32) {
        let word = (self.ver_tc_flow() & 0xfff0_0000) | (value & 0x000f_ffff);
        self.set_ver_tc_flow(word)
    }

    /// Set the Payload Length field.
    pub fn set_payload_len(&mut self, value: u16) {
        be::write_u16(&mut self.buffer.as_mut()[field::PAYLOAD_LEN], value)
    }

    /// Set the Next Header field.
    pub fn set_next_header(&mut self, value: IpProtocol) {
        self.buffer.as_mut()[field::NEXT_HEADER] = value.into()
    }

    /// Set the Hop Limit field.
    pub fn set_hop_limit(&mut self, value: u8) {
        self.buffer.as_mut()[field::HOP_LIMIT] = value
    }

    /// Set the source address.
    pub fn set_src_addr(&mut self, value: Ipv6Addr) {
        self.buffer.as_mut()[field::SRC_ADDR].copy_from_slice(&value.octets())
    }

    /// Set the destination address.
    pub fn set_dst_addr(&mut self, value: Ipv6Addr) {
        self.buffer.as_mut()[field::DST_ADDR].copy_from_slice(&value.octets())
    }

    /// The payload bytes, mutable (same extent as [`payload`](Self::payload)).
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let range = self.payload_range();
        &mut self.buffer.as_mut()[range]
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for Ipv6Packet<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

/// The fixed IPv6 header, parsed and validated (RFC 8200 §3).
///
/// The payload is not carried: `payload_len` says how long it is, and the
/// caller emits it after [`buffer_len`](Self::buffer_len) header bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ipv6Repr {
    /// Source address.
    pub src_addr: Ipv6Addr,
    /// Destination address.
    pub dst_addr: Ipv6Addr,
    /// The first extension header or the upper-layer protocol.
    pub next_header: IpProtocol,
    /// Bytes after the fixed header (extension headers included).
    pub payload_len: u16,
    /// Hop Limit.
    pub hop_limit: u8,
    /// Traffic Class (DSCP and ECN): kept so a forwarded or quoted header
    /// keeps its ECN marks.
    pub traffic_class: u8,
    /// Flow Label (20 bits; higher bits are dropped on emit).
    pub flow_label: u32,
}

impl Ipv6Repr {
    /// Parse a packet whose whole payload is present (made with
    /// [`Ipv6Packet::new_checked`] or not: the length is checked here).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Ipv6Packet<&T>) -> Result<Ipv6Repr> {
        packet.check_len()?;
        Self::parse_header(packet)
    }

    /// Parse the fixed header only, accepting a payload cut short: for the
    /// quote inside an ICMPv6 error (RFC 4443 §2.4 (c)).
    pub fn parse_quoted<T: AsRef<[u8]> + ?Sized>(packet: &Ipv6Packet<&T>) -> Result<Ipv6Repr> {
        if packet.buffer.as_ref().len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        Self::parse_header(packet)
    }

    fn parse_header<T: AsRef<[u8]> + ?Sized>(packet: &Ipv6Packet<&T>) -> Result<Ipv6Repr> {
        // RFC 8200 §3: Version = 6.
        if packet.version() != 6 {
            return Err(Error::Malformed("version"));
        }
        // RFC 4291 §2.7: multicast addresses must not be used as source.
        if packet.src_addr().is_multicast() {
            return Err(Error::Malformed("src_addr"));
        }
        Ok(Ipv6Repr {
            src_addr: packet.src_addr(),
            dst_addr: packet.dst_addr(),
            next_header: packet.next_header(),
            payload_len: packet.payload_len(),
            hop_limit: packet.hop_limit(),
            traffic_class: packet.traffic_class(),
            flow_label: packet.flow_label(),
        })
    }

    /// Bytes [`emit`](Self::emit) writes: the fixed header.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Write every fixed-header field (the payload is left alone).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Ipv6Packet<T>) {
        packet.set_version(6);
        packet.set_traffic_class(self.traffic_class);
        packet.set_flow_label(self.flow_label);
        packet.set_payload_len(self.payload_len);
        packet.set_next_header(self.next_header);
        packet.set_hop_limit(self.hop_limit);
        packet.set_src_addr(self.src_addr);
        packet.set_dst_addr(self.dst_addr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// From tcpdump's `ipv6-srh-tlv-pad1-padn-5.pcap`, frame 1: an SRH and No
    /// Next Header, with a non-zero traffic class and flow label.
    const SRH_PACKET: [u8; 72] = [
        0x67, 0x89, 0xab, 0xcd, 0x00, 0x20, 0x2b,
        0x40, // ver 6, tc 0x78, flow 0x9abcd, len 32, nh 43, hl 64
        0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x01, // 2001:db8:1::1
        0xca, 0xfe, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x02, // cafe:1::2
        0x3b, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00,
        0x00, // SRH: nh 59, len 3, type 4, seg left 0
        0xca, 0xfe, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x02, //
        0x00, 0x04, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, // Pad1, PadN TLVs
    ];

    /// Linux 6.x, captured on `lo`: a UDP datagram to ::1 with a Destination
    /// Options header (option 0x1e, data ab cd; PadN).
    const DSTOPTS_PACKET: [u8; 69] = [
        0x60, 0x02, 0x9f, 0x64, 0x00, 0x1d, 0x3c, 0x40, // flow 0x29f64, len 29, nh 60, hl 64
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x01, // ::1
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x01, // ::1
        0x11, 0x00, 0x1e, 0x02, 0xab, 0xcd, 0x01, 0x00, // Destination Options
        0xab, 0x0b, 0x27, 0x0e, 0x00, 0x15, 0x2d, 0x5f, // UDP 43787 -> 9998, len 21
        b'h', b'e', b'l', b'l', b'o', b' ', b'd', b's', b't', b'o', b'p', b't', b's',
    ];

    const LOOPBACK: Ipv6Addr = Ipv6Addr::LOCALHOST;

    fn srh_repr() -> Ipv6Repr {
        Ipv6Repr {
            src_addr: Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1),
            dst_addr: Ipv6Addr::new(0xcafe, 1, 0, 0, 0, 0, 0, 2),
            next_header: IpProtocol::Ipv6Route,
            payload_len: 32,
            hop_limit: 64,
            traffic_class: 0x78,
            flow_label: 0x9abcd,
        }
    }

    #[test]
    fn real_srh_packet_fields() {
        let packet = Ipv6Packet::new_checked(&SRH_PACKET[..]).unwrap();
        assert_eq!(packet.version(), 6);
        assert_eq!(packet.traffic_class(), 0x78);
        assert_eq!(packet.dscp(), 0x1e);
        assert_eq!(packet.ecn(), 0);
        assert_eq!(packet.flow_label(), 0x9abcd);
        assert_eq!(packet.payload_len(), 32);
        assert_eq!(packet.total_len(), 72);
        assert_eq!(packet.next_header(), IpProtocol::Ipv6Route);
        assert_eq!(packet.hop_limit(), 64);
        assert_eq!(
            packet.src_addr(),
            Ipv6Addr::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 1)
        );
        assert_eq!(
            packet.dst_addr(),
            Ipv6Addr::new(0xcafe, 1, 0, 0, 0, 0, 0, 2)
        );
        assert_eq!(packet.payload(), &SRH_PACKET[40..]);
        assert_eq!(Ipv6Repr::parse(&packet).unwrap(), srh_repr());
    }

    #[test]
    fn real_dstopts_packet_fields() {
        let packet = Ipv6Packet::new_checked(&DSTOPTS_PACKET[..]).unwrap();
        let repr = Ipv6Repr::parse(&packet).unwrap();
        assert_eq!(
            repr,
            Ipv6Repr {
                src_addr: LOOPBACK,
                dst_addr: LOOPBACK,
                next_header: IpProtocol::Ipv6Opts,
                payload_len: 29,
                hop_limit: 64,
                traffic_class: 0,
                flow_label: 0x29f64,
            }
        );
        assert_eq!(packet.payload(), &DSTOPTS_PACKET[40..]);
    }

    #[test]
    fn emit_gives_exact_bytes() {
        let mut buf = [0xffu8; 72];
        buf[40..].copy_from_slice(&SRH_PACKET[40..]);
        let repr = srh_repr();
        assert_eq!(repr.buffer_len(), 40);
        repr.emit(&mut Ipv6Packet::new_unchecked(&mut buf[..]));
        assert_eq!(buf, SRH_PACKET);

        let mut buf = [0u8; 69];
        buf[40..].copy_from_slice(&DSTOPTS_PACKET[40..]);
        let repr = Ipv6Repr::parse(&Ipv6Packet::new_checked(&DSTOPTS_PACKET[..]).unwrap()).unwrap();
        repr.emit(&mut Ipv6Packet::new_unchecked(&mut buf[..]));
        assert_eq!(buf, DSTOPTS_PACKET);
    }

    #[test]
    fn setters_touch_only_their_field() {
        let mut buf = SRH_PACKET;
        let mut packet = Ipv6Packet::new_unchecked(&mut buf[..]);
        packet.set_traffic_class(0xff);
        assert_eq!(
            (
                packet.version(),
                packet.traffic_class(),
                packet.flow_label()
            ),
            (6, 0xff, 0x9abcd)
        );
        packet.set_flow_label(0xfff_ffff);
        assert_eq!(
            (
                packet.version(),
                packet.traffic_class(),
                packet.flow_label()
            ),
            (6, 0xff, 0xfffff)
        );
        packet.set_version(4);
        assert_eq!(
            (
                packet.version(),
                packet.traffic_class(),
                packet.flow_label()
            ),
            (4, 0xff, 0xfffff)
        );
        packet.set_payload_len(1);
        packet.set_next_header(IpProtocol::Udp);
        packet.set_hop_limit(1);
        packet.set_src_addr(LOOPBACK);
        packet.set_dst_addr(Ipv6Addr::UNSPECIFIED);
        assert_eq!(packet.payload_len(), 1);
        assert_eq!(packet.next_header(), IpProtocol::Udp);
        assert_eq!(packet.hop_limit(), 1);
        assert_eq!(packet.src_addr(), LOOPBACK);
        assert_eq!(packet.dst_addr(), Ipv6Addr::UNSPECIFIED);
        packet.payload_mut()[0] = 0x42;
        assert_eq!(packet.payload(), &[0x42]);
    }

    #[test]
    fn every_truncation_is_truncated() {
        for len in 0..SRH_PACKET.len() {
            assert_eq!(
                Ipv6Packet::new_checked(&SRH_PACKET[..len]),
                Err(Error::Truncated),
                "len {len}"
            );
            let packet = Ipv6Packet::new_unchecked(&SRH_PACKET[..len]);
            if len >= HEADER_LEN {
                assert_eq!(Ipv6Repr::parse(&packet), Err(Error::Truncated));
                assert_eq!(Ipv6Repr::parse_quoted(&packet), Ok(srh_repr()));
            }
        }
    }

    #[test]
    fn payload_len_past_end_is_truncated() {
        let mut buf = SRH_PACKET;
        buf[5] = 33;
        assert_eq!(
            Ipv6Packet::new_checked(&buf[..]).unwrap_err(),
            Error::Truncated
        );
        buf[4] = 0xff;
        assert_eq!(
            Ipv6Packet::new_checked(&buf[..]).unwrap_err(),
            Error::Truncated
        );
    }

    #[test]
    fn bad_version_and_multicast_source() {
        let mut buf = SRH_PACKET;
        buf[0] = 0x47; // version 4
        let packet = Ipv6Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(Ipv6Repr::parse(&packet), Err(Error::Malformed("version")));
        let mut buf = SRH_PACKET;
        buf[8] = 0xff; // src ff01:db8:...
        let packet = Ipv6Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(Ipv6Repr::parse(&packet), Err(Error::Malformed("src_addr")));
    }

    #[test]
    fn link_padding_is_not_payload() {
        let mut buf = [0u8; 80];
        buf[..69].copy_from_slice(&DSTOPTS_PACKET);
        let packet = Ipv6Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(packet.payload(), &DSTOPTS_PACKET[40..]);
    }

    #[test]
    fn zero_payload_len_jumbogram_is_empty() {
        // tcpdump's ipv6_jumbogram_1.pcap: Payload Length 0, Hop-by-Hop with a
        // Jumbo Payload option; only the first 48 bytes kept here.
        let mut buf = [0u8; 48];
        buf[..8].copy_from_slice(&[0x60, 0, 0, 0, 0, 0, 0x00, 0xe3]);
        buf[40..].copy_from_slice(&[0x3a, 0x00, 0xc2, 0x04, 0x00, 0x01, 0x00, 0x00]);
        let packet = Ipv6Packet::new_checked(&buf[..]).unwrap();
        assert_eq!(packet.next_header(), IpProtocol::HopByHop);
        assert_eq!(packet.payload(), &[] as &[u8]);
        assert_eq!(Ipv6Repr::parse(&packet).unwrap().payload_len, 0);
    }

    /// The quote inside a real Linux ICMPv6 Port Unreachable (captured on a
    /// `lo` with MTU 1280): the offending UDP packet announces 2056 payload
    /// bytes, the quote stops after 1192 of them (RFC 4443 §2.4 (c)).
    #[test]
    fn cut_quote_reads_through_header_ctor() {
        let mut quote = [0u8; 1232];
        quote[..8].copy_from_slice(&[0x60, 0x04, 0x20, 0xb8, 0x08, 0x08, 0x11, 0x40]);
        quote[8..24].copy_from_slice(&LOOPBACK.octets());
        quote[24..40].copy_from_slice(&LOOPBACK.octets());
        quote[40..48].copy_from_slice(&[0x85, 0x4a, 0x27, 0x0f, 0x08, 0x08, 0x41, 0x85]);
        for (i, b) in quote[48..].iter_mut().enumerate() {
            *b = i as u8;
        }
        assert_eq!(Ipv6Packet::new_checked(&quote[..]), Err(Error::Truncated));
        let packet = Ipv6Packet::new_checked_header(&quote[..]).unwrap();
        assert_eq!(packet.payload_len(), 2056);
        assert_eq!(packet.next_header(), IpProtocol::Udp);
        assert_eq!(packet.payload(), &quote[40..]);
        assert_eq!(packet.payload().len(), 1192);
        assert_eq!(Ipv6Repr::parse(&packet), Err(Error::Truncated));
        let repr = Ipv6Repr::parse_quoted(&packet).unwrap();
        assert_eq!(
            (repr.payload_len, repr.flow_label, repr.hop_limit),
            (2056, 0x420b8, 64)
        );
        assert_eq!(
            Ipv6Packet::new_checked_header(&quote[..39]),
            Err(Error::Truncated)
        );
    }

    fn check_no_panic(buf: &[u8]) {
        for ctor in [Ipv6Packet::new_checked, Ipv6Packet::new_checked_header] {
            if let Ok(packet) = ctor(buf) {
                let _ = (
                    packet.version(),
                    packet.traffic_class(),
                    packet.flow_label(),
                    packet.payload_len(),
                );
                let _ = (
                    packet.next_header(),
                    packet.hop_limit(),
                    packet.src_addr(),
                    packet.dst_addr(),
                );
                let _ = (
                    packet.dscp(),
                    packet.ecn(),
                    packet.total_len(),
                    packet.payload(),
                );
                for parse in [Ipv6Repr::parse, Ipv6Repr::parse_quoted] {
                    if let Ok(repr) = parse(&packet) {
                        let mut out = [0u8; HEADER_LEN];
                        repr.emit(&mut Ipv6Packet::new_unchecked(&mut out[..]));
                        let again = Ipv6Repr::parse_quoted(&Ipv6Packet::new_unchecked(&out[..]));
                        assert_eq!(again, Ok(repr));
                    }
                }
            }
        }
    }

    #[test]
    fn never_panics_and_round_trips() {
        for packet in [&SRH_PACKET[..], &DSTOPTS_PACKET[..]] {
            for len in 0..=packet.len() {
                check_no_panic(&packet[..len]);
            }
            for i in 0..packet.len() {
                for value in [0x00, packet[i] ^ 0xff] {
                    let mut buf = [0u8; 72];
                    let buf = &mut buf[..packet.len()];
                    buf.copy_from_slice(packet);
                    buf[i] = value;
                    check_no_panic(buf);
                }
            }
        }
    }
}
