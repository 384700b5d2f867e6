//! UDP (RFC 768): the datagram view and the header repr.
//!
//! The repr carries only the ports: the length is derived from the payload
//! and the checksum from the pseudo-header, so neither is state a caller
//! should hold. The payload stays in the buffer ([`UdpPacket::payload`]); on
//! emit the caller writes it in place through a closure, before the checksum
//! pass, so a datagram is built with a single copy of its data.

use super::be;

use super::checksum;
use super::{ChecksumMode, Error, IpAddr, IpProtocol, Result};

/// Byte ranges of the header (RFC 768, "Format").
mod field {
    use crate::wire::{Field, Rest};

    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
    /// Header plus data, in bytes.
    pub const LENGTH: Field = 4..6;
    pub const CHECKSUM: Field = 6..8;
    pub const PAYLOAD: Rest = 8..;
}

/// The length of the UDP header.
pub const HEADER_LEN: usize = 8;

/// A read/write view of a UDP datagram (header and payload).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UdpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> UdpPacket<T> {
    /// Wraps a buffer without checking it; accessors may panic on a short one.
    pub const fn new_unchecked(buffer: T) -> UdpPacket<T> {
        UdpPacket { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len) has accepted it.
    pub fn new_checked(buffer: T) -> Result<UdpPacket<T>> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks every length the accessors rely on.
    ///
    /// The buffer must hold the header and `8 <= length <= buffer length`.
    /// Bytes past the length field (link padding) are allowed and ignored.
    pub fn check_len(&self) -> Result<()> {
        let buf_len = self.buffer.as_ref().len();
        if buf_len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let len = usize::from(self.len());
        // RFC 768: "the minimum value of the length is eight".
        if len < HEADER_LEN {
            return Err(Error::Malformed("udp length"));
        }
        if len > buf_len {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The source port (0 when the sender expects no reply, RFC 768).
    pub fn src_port(&self) -> u16 {
        be::read_u16(&self.buffer.as_ref()[field::SRC_PORT])
    }

    /// The destination port.
    pub fn dst_port(&self) -> u16 {
        be::read_u16(&self.buffer.as_ref()[field::DST_PORT])
    }

    /// The length field: header plus data, in bytes.
    pub fn len(&self) -> u16 {
        be::read_u16(&self.buffer.as_ref()[field::LENGTH])
    }

    /// True when the length field says there is no data (length 8).
    pub fn is_empty(&self) -> bool {
        usize::from(self.len()) <= HEADER_LEN
    }

    /// The checksum field (0 over IPv4 means "not computed").
    pub fn checksum(&self) -> u16 {
        be::read_u16(&self.buffer.as_ref()[field::CHECKSUM])
    }

    /// The bytes the length field covers, clamped to the buffer so that
    /// this never panics even on an unchecked view.
    fn datagram(&self) -> &[u8] {
        let buf = self.buffer.as_ref();
        let end = usize::from(self.len()).min(buf.len());
        buf.get(..end).unwrap_or(buf)
    }

    /// The data: bytes 8 to `length`; anything past the length field is not
    /// part of the datagram (RFC 768) and is left out.
    pub fn payload(&self) -> &[u8] {
        self.datagram().get(field::PAYLOAD).unwrap_or(&[])
    }

    /// True when the checksum verifies against the pseudo-header of `src`
    /// and `dst` (RFC 768 "Fields"; RFC 8200 §8.1 for IPv6).
    ///
    /// Over IPv4 a zero field means the sender computed no checksum, which is
    /// accepted. Over IPv6 the checksum is mandatory and a zero field is
    /// invalid (RFC 8200 §8.1), so it fails.
    pub fn verify_checksum(&self, src: &IpAddr, dst: &IpAddr) -> bool {
        if self.checksum() == 0 {
            return matches!(src, IpAddr::V4(_));
        }
        let data = self.datagram();
        let ph = checksum::pseudo_header(src, dst, IpProtocol::Udp, u32::from(self.len()));
        checksum::combine(&[ph, checksum::sum(data)]) == 0xffff
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> UdpPacket<T> {
    /// Sets the source port.
    pub fn set_src_port(&mut self, value: u16) {
        be::write_u16(&mut self.buffer.as_mut()[field::SRC_PORT], value)
    }

    /// Sets the destination port.
    pub fn set_dst_port(&mut self, value: u16) {
        be::write_u16(&mut self.buffer.as_mut()[field::DST_PORT], value)
    }

    /// Sets the length field (header plus data, in bytes).
    pub fn set_len(&mut self, value: u16) {
        be::write_u16(&mut self.buffer.as_mut()[field::LENGTH], value)
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, value: u16) {
        be::write_u16(&mut self.buffer.as_mut()[field::CHECKSUM], value)
    }

    /// The data, writable: bytes 8 to `length`.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let end = usize::from(self.len());
        let buf = self.buffer.as_mut();
        let end = end.min(buf.len());
        buf.get_mut(HEADER_LEN..end).unwrap_or(&mut [])
    }

    /// Computes the checksum over the pseudo-header and the bytes the length
    /// field covers, and stores it.
    ///
    /// RFC 768: a computed value of zero is transmitted as all ones, because
    /// zero on the wire means "no checksum".
    pub fn fill_checksum(&mut self, src: &IpAddr, dst: &IpAddr) {
        self.set_checksum(0);
        let ph = checksum::pseudo_header(src, dst, IpProtocol::Udp, u32::from(self.len()));
        let sum = checksum::combine(&[ph, checksum::sum(self.datagram())]);
        let value = match checksum::finish(sum) {
            0 => 0xffff,
            v => v,
        };
        self.set_checksum(value);
    }
}

/// The semantic content of a UDP header: its two ports.
///
/// The payload is not carried (it stays in the packet buffer), so
/// [`buffer_len`](Self::buffer_len) is the header length only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct UdpRepr {
    /// The source port (0: no reply expected).
    pub src_port: u16,
    /// The destination port (never 0).
    pub dst_port: u16,
}

impl UdpRepr {
    /// Reads and validates a datagram received from `src` for `dst`.
    ///
    /// Checks the lengths, the destination port and, with
    /// [`ChecksumMode::Check`], the checksum (see
    /// [`UdpPacket::verify_checksum`] for the zero-checksum rules).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &UdpPacket<&T>,
        src: &IpAddr,
        dst: &IpAddr,
        checksum: ChecksumMode,
    ) -> Result<UdpRepr> {
        packet.check_len()?;
        // Port 0 is reserved (IANA); nothing can listen on it, so a datagram
        // addressed to it is bogus rather than merely undeliverable.
        if packet.dst_port() == 0 {
            return Err(Error::Malformed("udp destination port"));
        }
        if checksum.is_check() && !packet.verify_checksum(src, dst) {
            return Err(Error::Checksum);
        }
        Ok(UdpRepr {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
        })
    }

    /// The length of the header [`emit`](Self::emit) writes: 8.
    pub const fn header_len(&self) -> usize {
        HEADER_LEN
    }

    /// The bytes this repr itself needs (the header; add the payload length
    /// for a whole datagram).
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header and, through `emit_payload`, the data, then the
    /// checksum when `checksum` is [`ChecksumMode::Check`].
    ///
    /// `emit_payload` receives exactly `payload_len` bytes of the buffer to
    /// fill in place; the checksum is computed after it returns, so the data
    /// is written once and summed once. With [`ChecksumMode::Skip`] the
    /// checksum field is left as it is (hardware offload).
    ///
    /// # Panics
    /// If the buffer is shorter than `8 + payload_len`, or the datagram would
    /// not fit the 16-bit length field: both are caller bugs, not data.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        packet: &mut UdpPacket<T>,
        src: &IpAddr,
        dst: &IpAddr,
        payload_len: usize,
        emit_payload: impl FnOnce(&mut [u8]),
        checksum: ChecksumMode,
    ) {
        let total = HEADER_LEN + payload_len;
        let len = u16::try_from(total).expect("udp datagram longer than 65535 bytes");
        packet.set_src_port(self.src_port);
        packet.set_dst_port(self.dst_port);
        packet.set_len(len);
        emit_payload(&mut packet.buffer.as_mut()[HEADER_LEN..total]);
        if checksum.is_check() {
            packet.fill_checksum(src, dst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Ipv4Addr, Ipv6Addr};

    // dns_udp.pcap frame 1: a DNS query for www.tcpdump.org,
    // 192.168.1.11:43966 -> 209.87.249.18:53, length 64, checksum 0x7824.
    const V4_SRC: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 11));
    const V4_DST: IpAddr = IpAddr::V4(Ipv4Addr::new(209, 87, 249, 18));
    const V4_DGRAM: [u8; 64] = [
        0xab, 0xbe, 0x00, 0x35, 0x00, 0x40, 0x78, 0x24, // header
        0x59, 0x34, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x77, 0x77,
        0x77, 0x07, 0x74, 0x63, 0x70, 0x64, 0x75, 0x6d, 0x70, 0x03, 0x6f, 0x72, 0x67, 0x00, 0x00,
        0x01, 0x00, 0x01, 0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00,
        0x0a, 0x00, 0x08, 0x42, 0xf5, 0xd0, 0x09, 0x96, 0xf9, 0x0b, 0x13,
    ];

    // dhcpv6-ia-na.pcap frame 1: a DHCPv6 Solicit,
    // [fe80::201:2ff:fe03:405]:546 -> [ff02::1:2]:547, length 56, checksum 0x1123.
    const V6_SRC: IpAddr = IpAddr::V6(Ipv6Addr::new(0xfe80, 0, 0, 0, 0x201, 0x2ff, 0xfe03, 0x405));
    const V6_DST: IpAddr = IpAddr::V6(Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 1, 2));
    const V6_DGRAM: [u8; 56] = [
        0x02, 0x22, 0x02, 0x23, 0x00, 0x38, 0x11, 0x23, // header
        0x01, 0x90, 0xb4, 0x5c, 0x00, 0x01, 0x00, 0x0a, 0x00, 0x03, 0x00, 0x01, 0x00, 0x01, 0x02,
        0x03, 0x04, 0x05, 0x00, 0x06, 0x00, 0x04, 0x00, 0x17, 0x00, 0x18, 0x00, 0x08, 0x00, 0x02,
        0x00, 0x00, 0x00, 0x03, 0x00, 0x0c, 0x02, 0x03, 0x04, 0x05, 0x00, 0x00, 0x0e, 0x10, 0x00,
        0x00, 0x15, 0x18,
    ];

    fn emit_into<'b>(
        repr: &UdpRepr,
        buf: &'b mut [u8],
        src: &IpAddr,
        dst: &IpAddr,
        payload: &[u8],
    ) -> &'b [u8] {
        let total = repr.buffer_len() + payload.len();
        let mut packet = UdpPacket::new_unchecked(&mut buf[..total]);
        repr.emit(
            &mut packet,
            src,
            dst,
            payload.len(),
            |p| p.copy_from_slice(payload),
            ChecksumMode::Check,
        );
        &buf[..total]
    }

    #[test]
    fn real_ipv4_datagram_fields() {
        let p = UdpPacket::new_checked(&V4_DGRAM[..]).unwrap();
        assert_eq!(p.src_port(), 43966);
        assert_eq!(p.dst_port(), 53);
        assert_eq!(p.len(), 64);
        assert!(!p.is_empty());
        assert_eq!(p.checksum(), 0x7824);
        assert_eq!(p.payload(), &V4_DGRAM[8..]);
        assert_eq!(&p.payload()[..4], &[0x59, 0x34, 0x01, 0x20]); // DNS id 0x5934
        assert!(p.verify_checksum(&V4_SRC, &V4_DST));
        let repr = UdpRepr::parse(&p, &V4_SRC, &V4_DST, ChecksumMode::Check).unwrap();
        assert_eq!(
            repr,
            UdpRepr {
                src_port: 43966,
                dst_port: 53
            }
        );
        assert_eq!(repr.header_len(), 8);
        assert_eq!(repr.buffer_len(), 8);
    }

    #[test]
    fn real_ipv6_datagram_fields() {
        let p = UdpPacket::new_checked(&V6_DGRAM[..]).unwrap();
        assert_eq!(p.src_port(), 546);
        assert_eq!(p.dst_port(), 547);
        assert_eq!(p.len(), 56);
        assert_eq!(p.checksum(), 0x1123);
        assert_eq!(p.payload(), &V6_DGRAM[8..]);
        assert!(p.verify_checksum(&V6_SRC, &V6_DST));
        let repr = UdpRepr::parse(&p, &V6_SRC, &V6_DST, ChecksumMode::Check).unwrap();
        assert_eq!(
            repr,
            UdpRepr {
                src_port: 546,
                dst_port: 547
            }
        );
    }

    #[test]
    fn emit_reproduces_real_bytes() {
        let mut buf = [0u8; 128];
        let repr = UdpRepr {
            src_port: 43966,
            dst_port: 53,
        };
        assert_eq!(
            emit_into(&repr, &mut buf, &V4_SRC, &V4_DST, &V4_DGRAM[8..]),
            &V4_DGRAM[..]
        );
        let repr = UdpRepr {
            src_port: 546,
            dst_port: 547,
        };
        assert_eq!(
            emit_into(&repr, &mut buf, &V6_SRC, &V6_DST, &V6_DGRAM[8..]),
            &V6_DGRAM[..]
        );
    }

    #[test]
    fn emit_skip_leaves_checksum_alone() {
        let mut buf = [0xaau8; 12];
        let repr = UdpRepr {
            src_port: 1,
            dst_port: 2,
        };
        let mut p = UdpPacket::new_unchecked(&mut buf[..]);
        repr.emit(
            &mut p,
            &V4_SRC,
            &V4_DST,
            4,
            |d| d.fill(7),
            ChecksumMode::Skip,
        );
        assert_eq!(buf, [0, 1, 0, 2, 0, 12, 0xaa, 0xaa, 7, 7, 7, 7]);
    }

    #[test]
    fn payload_excludes_bytes_past_length() {
        let mut buf = [0u8; 80];
        buf[..64].copy_from_slice(&V4_DGRAM);
        buf[64..].fill(0xee); // link-layer padding
        let p = UdpPacket::new_checked(&buf[..]).unwrap();
        assert_eq!(p.payload(), &V4_DGRAM[8..]);
        assert!(p.verify_checksum(&V4_SRC, &V4_DST));
        let mut p = UdpPacket::new_unchecked(&mut buf[..]);
        assert_eq!(p.payload_mut().len(), 56);
    }

    #[test]
    fn zero_checksum_rules() {
        let mut buf = V4_DGRAM;
        buf[6] = 0;
        buf[7] = 0;
        let p = UdpPacket::new_checked(&buf[..]).unwrap();
        // RFC 768: zero over IPv4 means "no checksum".
        assert!(p.verify_checksum(&V4_SRC, &V4_DST));
        assert!(UdpRepr::parse(&p, &V4_SRC, &V4_DST, ChecksumMode::Check).is_ok());

        let mut buf = V6_DGRAM;
        buf[6] = 0;
        buf[7] = 0;
        let p = UdpPacket::new_checked(&buf[..]).unwrap();
        // RFC 8200 §8.1: zero over IPv6 is invalid.
        assert!(!p.verify_checksum(&V6_SRC, &V6_DST));
        assert_eq!(
            UdpRepr::parse(&p, &V6_SRC, &V6_DST, ChecksumMode::Check),
            Err(Error::Checksum)
        );
        assert!(UdpRepr::parse(&p, &V6_SRC, &V6_DST, ChecksumMode::Skip).is_ok());
    }

    #[test]
    fn computed_zero_is_sent_as_all_ones() {
        // Pick a payload word so that the sum over everything is 0xffff: the
        // complement is then 0, which must go on the wire as 0xffff.
        let src = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
        let dst = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));
        let mut buf = [0u8; 10];
        let mut p = UdpPacket::new_unchecked(&mut buf[..]);
        p.set_src_port(1000);
        p.set_dst_port(2000);
        p.set_len(10);
        let ph = checksum::pseudo_header(&src, &dst, IpProtocol::Udp, 10);
        let partial = checksum::combine(&[ph, checksum::sum(&p.into_inner()[..8])]);
        let word = !partial; // partial + word == 0xffff
        buf[8..10].copy_from_slice(&word.to_be_bytes());
        let mut p = UdpPacket::new_unchecked(&mut buf[..]);
        p.fill_checksum(&src, &dst);
        assert_eq!(p.checksum(), 0xffff);
        assert!(p.verify_checksum(&src, &dst));
    }

    #[test]
    fn bad_checksum_is_rejected() {
        let mut buf = V4_DGRAM;
        buf[20] ^= 0x01;
        let p = UdpPacket::new_checked(&buf[..]).unwrap();
        assert!(!p.verify_checksum(&V4_SRC, &V4_DST));
        assert_eq!(
            UdpRepr::parse(&p, &V4_SRC, &V4_DST, ChecksumMode::Check),
            Err(Error::Checksum)
        );
        // Wrong pseudo-header (another destination) fails too.
        let p = UdpPacket::new_checked(&V4_DGRAM[..]).unwrap();
        let other = IpAddr::V4(Ipv4Addr::new(209, 87, 249, 19));
        assert!(!p.verify_checksum(&V4_SRC, &other));
    }

    #[test]
    fn every_truncation_is_an_error() {
        for n in 0..V4_DGRAM.len() {
            let r = UdpPacket::new_checked(&V4_DGRAM[..n]);
            assert_eq!(r.err(), Some(Error::Truncated), "prefix {n}");
        }
    }

    #[test]
    fn bad_length_fields() {
        for len in 0..8u16 {
            let mut buf = V4_DGRAM;
            buf[4..6].copy_from_slice(&len.to_be_bytes());
            assert_eq!(
                UdpPacket::new_checked(&buf[..]).err(),
                Some(Error::Malformed("udp length"))
            );
        }
        let mut buf = V4_DGRAM;
        buf[4..6].copy_from_slice(&65u16.to_be_bytes());
        assert_eq!(
            UdpPacket::new_checked(&buf[..]).err(),
            Some(Error::Truncated)
        );
        // A shorter length is fine: the rest is padding.
        buf[4..6].copy_from_slice(&8u16.to_be_bytes());
        let p = UdpPacket::new_checked(&buf[..]).unwrap();
        assert!(p.is_empty());
        assert_eq!(p.payload(), &[] as &[u8]);
    }

    #[test]
    fn destination_port_zero_is_malformed() {
        let mut buf = [0u8; 8];
        let repr = UdpRepr {
            src_port: 9,
            dst_port: 0,
        };
        let bytes = emit_into(&repr, &mut buf, &V4_SRC, &V4_DST, &[]);
        let p = UdpPacket::new_checked(bytes).unwrap();
        assert_eq!(
            UdpRepr::parse(&p, &V4_SRC, &V4_DST, ChecksumMode::Check),
            Err(Error::Malformed("udp destination port"))
        );
    }

    fn check_round_trip(bytes: &[u8], src: &IpAddr, dst: &IpAddr, mode: ChecksumMode) {
        let Ok(p) = UdpPacket::new_checked(bytes) else {
            return;
        };
        // Every accessor must be callable without a panic.
        let _ = (
            p.src_port(),
            p.dst_port(),
            p.len(),
            p.checksum(),
            p.is_empty(),
        );
        let _ = p.verify_checksum(src, dst);
        let payload = p.payload();
        if let Ok(repr) = UdpRepr::parse(&p, src, dst, mode) {
            let mut out = [0u8; 128];
            let again = emit_into(&repr, &mut out, src, dst, payload);
            let q = UdpPacket::new_checked(again).unwrap();
            assert_eq!(UdpRepr::parse(&q, src, dst, ChecksumMode::Check), Ok(repr));
            assert_eq!(q.payload(), payload);
        }
    }

    #[test]
    fn never_panics_and_round_trips() {
        for (dgram, src, dst) in [
            (&V4_DGRAM[..], V4_SRC, V4_DST),
            (&V6_DGRAM[..], V6_SRC, V6_DST),
        ] {
            for n in 0..=dgram.len() {
                for mode in [ChecksumMode::Check, ChecksumMode::Skip] {
                    check_round_trip(&dgram[..n], &src, &dst, mode);
                }
            }
            let mut buf = [0u8; 64];
            let buf = &mut buf[..dgram.len()];
            for i in 0..dgram.len() {
                for m in [0xffu8, 0x00, 0x01, 0x80] {
                    buf.copy_from_slice(dgram);
                    if m == 0x00 {
                        buf[i] = 0;
                    } else {
                        buf[i] ^= m;
                    }
                    for mode in [ChecksumMode::Check, ChecksumMode::Skip] {
                        check_round_trip(buf, &src, &dst, mode);
                    }
                }
            }
        }
    }

    #[test]
    fn mixed_families_never_verify() {
        let p = UdpPacket::new_checked(&V6_DGRAM[..]).unwrap();
        assert!(!p.verify_checksum(&V4_SRC, &V6_DST));
    }
}
