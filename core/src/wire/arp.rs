//! The Address Resolution Protocol (RFC 826), as used to map IPv4 addresses
//! to Ethernet addresses.
//!
//! The view [`ArpPacket`] reads any hardware/protocol pair: the address fields
//! are sized by the `hlen`/`plen` header fields, which `check_len` validates.
//! [`ArpRepr`] is the one combination a stack on Ethernet needs, Ethernet/IPv4.
//!
//! An ARP packet carries no length of its own beyond `hlen`/`plen`; on
//! Ethernet it is padded to the 60-byte minimum frame, so the view accepts
//! (and ignores) trailing bytes.

use super::be;

use super::ethernet::EtherType;
use super::ip::enum_with_unknown;
use super::{Error, EthernetAddress, Ipv4Addr, Result};

enum_with_unknown! {
    /// The `ar$hrd` hardware address space (IANA "ARP Parameters", hardware types).
    pub enum ArpHardware(u16) {
        /// Ethernet (10Mb) and every IEEE 802 MAC-48 network since.
        Ethernet = 1,
    }
}

enum_with_unknown! {
    /// The `ar$op` opcode (RFC 826; IANA "ARP Parameters", operation codes).
    pub enum ArpOperation(u16) {
        /// `ares_op$REQUEST`: who has the target protocol address?
        Request = 1,
        /// `ares_op$REPLY`: the sender has it.
        Reply = 2,
    }
}

mod field {
    use crate::wire::Field;

    // RFC 826 "Packet format": the fixed part.
    pub const HTYPE: Field = 0..2;
    pub const PTYPE: Field = 2..4;
    pub const HLEN: usize = 4;
    pub const PLEN: usize = 5;
    pub const OPER: Field = 6..8;
    /// Where the variable-length addresses start.
    pub const ADDRS: usize = 8;

    // The four addresses follow in the order sha, spa, tha, tpa, sized by
    // hlen (n) and plen (m). Both are u8, so none of these can overflow.
    pub const fn sha(n: u8, _m: u8) -> Field {
        ADDRS..ADDRS + n as usize
    }
    pub const fn spa(n: u8, m: u8) -> Field {
        let start = ADDRS + n as usize;
        start..start + m as usize
    }
    pub const fn tha(n: u8, m: u8) -> Field {
        let start = ADDRS + n as usize + m as usize;
        start..start + n as usize
    }
    pub const fn tpa(n: u8, m: u8) -> Field {
        let start = ADDRS + 2 * n as usize + m as usize;
        start..start + m as usize
    }
}

/// Length of the fixed part (before the addresses).
pub const HEADER_LEN: usize = field::ADDRS;

/// Length of an Ethernet/IPv4 ARP packet: 8 + 2 × (6 + 4).
pub const ETHERNET_IPV4_LEN: usize = 28;

/// A read/write view of an ARP packet.
#[derive(Debug, Clone)]
pub struct ArpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> ArpPacket<T> {
    /// Wraps a buffer without checking its length.
    pub const fn new_unchecked(buffer: T) -> ArpPacket<T> {
        ArpPacket { buffer }
    }

    /// Wraps a buffer, checking that the fixed part and the four addresses fit.
    pub fn new_checked(buffer: T) -> Result<ArpPacket<T>> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks that the buffer holds the fixed part and the addresses that
    /// `hlen`/`plen` announce. Bytes after them (Ethernet padding) are allowed.
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN || len < self.packet_len() {
            Err(Error::Truncated)
        } else {
            Ok(())
        }
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// `ar$hrd`, the hardware address space.
    pub fn hardware_type(&self) -> ArpHardware {
        ArpHardware::from(be::read_u16(&self.buffer.as_ref()[field::HTYPE]))
    }

    /// `ar$pro`, the protocol address space (an EtherType).
    pub fn protocol_type(&self) -> EtherType {
        EtherType::from(be::read_u16(&self.buffer.as_ref()[field::PTYPE]))
    }

    /// `ar$hln`, the length of each hardware address in bytes.
    pub fn hardware_len(&self) -> u8 {
        self.buffer.as_ref()[field::HLEN]
    }

    /// `ar$pln`, the length of each protocol address in bytes.
    pub fn protocol_len(&self) -> u8 {
        self.buffer.as_ref()[field::PLEN]
    }

    /// `ar$op`.
    pub fn operation(&self) -> ArpOperation {
        ArpOperation::from(be::read_u16(&self.buffer.as_ref()[field::OPER]))
    }

    /// The ARP packet length from `hlen`/`plen`: 8 + 2 × (hlen + plen).
    /// Bytes beyond it are padding. 0 if the fixed part does not fit.
    pub fn packet_len(&self) -> usize {
        let b = self.buffer.as_ref();
        match (b.get(field::HLEN), b.get(field::PLEN)) {
            (Some(&n), Some(&m)) => field::tpa(n, m).end,
            _ => 0,
        }
    }

    /// Reads an address field; empty if it does not fit (never after `new_checked`).
    fn addr(&self, f: fn(u8, u8) -> core::ops::Range<usize>) -> &[u8] {
        let b = self.buffer.as_ref();
        match (b.get(field::HLEN), b.get(field::PLEN)) {
            (Some(&n), Some(&m)) => b.get(f(n, m)).unwrap_or(&[]),
            _ => &[],
        }
    }

    /// `ar$sha`, the sender hardware address (`hardware_len()` bytes).
    pub fn source_hardware_addr(&self) -> &[u8] {
        self.addr(field::sha)
    }

    /// `ar$spa`, the sender protocol address (`protocol_len()` bytes).
    pub fn source_protocol_addr(&self) -> &[u8] {
        self.addr(field::spa)
    }

    /// `ar$tha`, the target hardware address (`hardware_len()` bytes).
    pub fn target_hardware_addr(&self) -> &[u8] {
        self.addr(field::tha)
    }

    /// `ar$tpa`, the target protocol address (`protocol_len()` bytes).
    pub fn target_protocol_addr(&self) -> &[u8] {
        self.addr(field::tpa)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> ArpPacket<T> {
    /// Sets `ar$hrd`.
    pub fn set_hardware_type(&mut self, value: ArpHardware) {
        be::write_u16(&mut self.buffer.as_mut()[field::HTYPE], value.into());
    }

    /// Sets `ar$pro`.
    pub fn set_protocol_type(&mut self, value: EtherType) {
        be::write_u16(&mut self.buffer.as_mut()[field::PTYPE], value.into());
    }

    /// Sets `ar$hln`; set it (and `ar$pln`) before the addresses, which it sizes.
    pub fn set_hardware_len(&mut self, value: u8) {
        self.buffer.as_mut()[field::HLEN] = value;
    }

    /// Sets `ar$pln`.
    pub fn set_protocol_len(&mut self, value: u8) {
        self.buffer.as_mut()[field::PLEN] = value;
    }

    /// Sets `ar$op`.
    pub fn set_operation(&mut self, value: ArpOperation) {
        be::write_u16(&mut self.buffer.as_mut()[field::OPER], value.into());
    }

    /// Copies `value` into an address field; at most the field's length (from
    /// hlen/plen) is written, and nothing if the field does not fit the buffer.
    fn set_addr(&mut self, f: fn(u8, u8) -> core::ops::Range<usize>, value: &[u8]) {
        let b = self.buffer.as_mut();
        let range = match (b.get(field::HLEN), b.get(field::PLEN)) {
            (Some(&n), Some(&m)) => f(n, m),
            _ => return,
        };
        if let Some(dst) = b.get_mut(range) {
            for (d, s) in dst.iter_mut().zip(value) {
                *d = *s;
            }
        }
    }

    /// Sets `ar$sha` (must be `hardware_len()` bytes long).
    pub fn set_source_hardware_addr(&mut self, value: &[u8]) {
        self.set_addr(field::sha, value)
    }

    /// Sets `ar$spa` (must be `protocol_len()` bytes long).
    pub fn set_source_protocol_addr(&mut self, value: &[u8]) {
        self.set_addr(field::spa, value)
    }

    /// Sets `ar$tha` (must be `hardware_len()` bytes long).
    pub fn set_target_hardware_addr(&mut self, value: &[u8]) {
        self.set_addr(field::tha, value)
    }

    /// Sets `ar$tpa` (must be `protocol_len()` bytes long).
    pub fn set_target_protocol_addr(&mut self, value: &[u8]) {
        self.set_addr(field::tpa, value)
    }
}

/// The high-level form of an ARP packet this crate handles.
// No defmt derive: defmt 0.3 has no `Format` for `core::net::Ipv4Addr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ArpRepr {
    /// ARP for IPv4 over Ethernet: hardware type 1, protocol 0x0800, lengths 6 and 4.
    EthernetIpv4 {
        /// Request, reply, or another opcode (kept so a dump can show it).
        operation: ArpOperation,
        /// Sender hardware address.
        source_hardware_addr: EthernetAddress,
        /// Sender protocol address.
        source_protocol_addr: Ipv4Addr,
        /// Target hardware address (all zeros in a request, RFC 5227 §2.1.1).
        target_hardware_addr: EthernetAddress,
        /// Target protocol address.
        target_protocol_addr: Ipv4Addr,
    },
}

impl ArpRepr {
    /// Parses an Ethernet/IPv4 ARP packet.
    ///
    /// [`Error::Unsupported`] for any other hardware type, protocol or address lengths.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &ArpPacket<&T>) -> Result<ArpRepr> {
        packet.check_len()?;
        if packet.hardware_type() != ArpHardware::Ethernet {
            return Err(Error::Unsupported("arp hardware type"));
        }
        if packet.protocol_type() != EtherType::Ipv4 {
            return Err(Error::Unsupported("arp protocol type"));
        }
        if packet.hardware_len() != 6 || packet.protocol_len() != 4 {
            return Err(Error::Unsupported("arp address length"));
        }
        let mac = |b: &[u8]| EthernetAddress::from_bytes(b).ok_or(Error::Truncated);
        let ip = |b: &[u8]| -> Result<Ipv4Addr> {
            let o: [u8; 4] = b.try_into().map_err(|_| Error::Truncated)?;
            Ok(Ipv4Addr::from(o))
        };
        Ok(ArpRepr::EthernetIpv4 {
            operation: packet.operation(),
            source_hardware_addr: mac(packet.source_hardware_addr())?,
            source_protocol_addr: ip(packet.source_protocol_addr())?,
            target_hardware_addr: mac(packet.target_hardware_addr())?,
            target_protocol_addr: ip(packet.target_protocol_addr())?,
        })
    }

    /// The packet length `emit` writes (28 for Ethernet/IPv4).
    pub fn buffer_len(&self) -> usize {
        match self {
            ArpRepr::EthernetIpv4 { .. } => ETHERNET_IPV4_LEN,
        }
    }

    /// Writes every field. [`Error::Truncated`] if the buffer is shorter than
    /// `buffer_len()`; bytes after it are left alone.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut ArpPacket<T>) -> Result<()> {
        if packet.buffer.as_ref().len() < self.buffer_len() {
            return Err(Error::Truncated);
        }
        match *self {
            ArpRepr::EthernetIpv4 {
                operation,
                source_hardware_addr,
                source_protocol_addr,
                target_hardware_addr,
                target_protocol_addr,
            } => {
                packet.set_hardware_type(ArpHardware::Ethernet);
                packet.set_protocol_type(EtherType::Ipv4);
                packet.set_hardware_len(6);
                packet.set_protocol_len(4);
                packet.set_operation(operation);
                packet.set_source_hardware_addr(source_hardware_addr.as_bytes());
                packet.set_source_protocol_addr(&source_protocol_addr.octets());
                packet.set_target_hardware_addr(target_hardware_addr.as_bytes());
                packet.set_target_protocol_addr(&target_protocol_addr.octets());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    /// 802.1ad_QinQ.pcap frame 2 after its 22-byte tagged Ethernet header:
    /// "172.21.79.100 is at 00:80:ea:81:88:63", plus padding and FCS.
    const REPLY_IN_FRAME: [u8; 42] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x00, 0x80, 0xea, 0x81, 0x88, 0x63, 0xac,
        0x15, 0x4f, 0x64, 0x00, 0x20, 0xd2, 0x5a, 0xfb, 0x3f, 0xac, 0x15, 0x4f, 0x61, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    /// arp-oobr.pcap frame 1 (untagged, 60 bytes): "Who has 192.168.1.1? Tell 192.168.1.104".
    const REQUEST_FRAME: [u8; 60] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x1f, 0x29, 0xda, 0x2d, 0x79, 0x08, 0x06, 0x00,
        0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x00, 0x1f, 0x29, 0xda, 0x2d, 0x79, 0xc0, 0xa8,
        0x01, 0x68, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xa8, 0x01, 0x01, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    fn request_repr() -> ArpRepr {
        ArpRepr::EthernetIpv4 {
            operation: ArpOperation::Request,
            source_hardware_addr: EthernetAddress([0x00, 0x1f, 0x29, 0xda, 0x2d, 0x79]),
            source_protocol_addr: Ipv4Addr::new(192, 168, 1, 104),
            target_hardware_addr: EthernetAddress::UNSPECIFIED,
            target_protocol_addr: Ipv4Addr::new(192, 168, 1, 1),
        }
    }

    fn assert_round_trip(bytes: &[u8]) {
        if let Ok(repr) = ArpRepr::parse(&ArpPacket::new_unchecked(bytes)) {
            let mut buf = std::vec![0u8; repr.buffer_len()];
            repr.emit(&mut ArpPacket::new_unchecked(&mut buf[..]))
                .unwrap();
            assert_eq!(
                ArpRepr::parse(&ArpPacket::new_unchecked(&buf[..])),
                Ok(repr)
            );
            assert_eq!(&buf[..], &bytes[..ETHERNET_IPV4_LEN]);
        }
    }

    #[test]
    fn operation_values() {
        assert_eq!(ArpOperation::from(1), ArpOperation::Request);
        assert_eq!(ArpOperation::from(2), ArpOperation::Reply);
        assert_eq!(u16::from(ArpOperation::from(9)), 9);
        assert_eq!(u16::from(ArpHardware::from(6)), 6);
    }

    #[test]
    fn real_request_every_field() {
        let body = &REQUEST_FRAME[14..];
        let p = ArpPacket::new_checked(body).unwrap();
        assert_eq!(p.hardware_type(), ArpHardware::Ethernet);
        assert_eq!(p.protocol_type(), EtherType::Ipv4);
        assert_eq!(p.hardware_len(), 6);
        assert_eq!(p.protocol_len(), 4);
        assert_eq!(p.operation(), ArpOperation::Request);
        assert_eq!(p.packet_len(), 28);
        assert_eq!(
            p.source_hardware_addr(),
            &[0x00, 0x1f, 0x29, 0xda, 0x2d, 0x79]
        );
        assert_eq!(p.source_protocol_addr(), &[192, 168, 1, 104]);
        assert_eq!(p.target_hardware_addr(), &[0; 6]);
        assert_eq!(p.target_protocol_addr(), &[192, 168, 1, 1]);
        assert_eq!(ArpRepr::parse(&p), Ok(request_repr()));
        assert_eq!(request_repr().buffer_len(), 28);
        assert_round_trip(body);
    }

    #[test]
    fn real_reply_every_field() {
        let p = ArpPacket::new_checked(&REPLY_IN_FRAME[..]).unwrap();
        assert_eq!(p.hardware_type(), ArpHardware::Ethernet);
        assert_eq!(p.protocol_type(), EtherType::Ipv4);
        assert_eq!((p.hardware_len(), p.protocol_len()), (6, 4));
        assert_eq!(p.operation(), ArpOperation::Reply);
        assert_eq!(
            ArpRepr::parse(&p),
            Ok(ArpRepr::EthernetIpv4 {
                operation: ArpOperation::Reply,
                source_hardware_addr: EthernetAddress([0x00, 0x80, 0xea, 0x81, 0x88, 0x63]),
                source_protocol_addr: Ipv4Addr::new(172, 21, 79, 100),
                target_hardware_addr: EthernetAddress([0x00, 0x20, 0xd2, 0x5a, 0xfb, 0x3f]),
                target_protocol_addr: Ipv4Addr::new(172, 21, 79, 97),
            })
        );
        assert_round_trip(&REPLY_IN_FRAME);
    }

    #[test]
    fn emit_exact_bytes() {
        let mut buf = [0xeeu8; 46];
        request_repr()
            .emit(&mut ArpPacket::new_unchecked(&mut buf[..]))
            .unwrap();
        assert_eq!(&buf[..28], &REQUEST_FRAME[14..42]);
        // Padding past the ARP body is not touched.
        assert!(buf[28..].iter().all(|&b| b == 0xee));
        let mut short = [0u8; 27];
        assert_eq!(
            request_repr().emit(&mut ArpPacket::new_unchecked(&mut short[..])),
            Err(Error::Truncated)
        );
    }

    #[test]
    fn truncations() {
        let body = &REQUEST_FRAME[14..];
        for len in 0..28 {
            let b = &body[..len];
            assert_eq!(ArpPacket::new_checked(b).err(), Some(Error::Truncated));
            assert_eq!(
                ArpRepr::parse(&ArpPacket::new_unchecked(b)),
                Err(Error::Truncated)
            );
            // Address getters on an unchecked short view return what fits, or nothing.
            let p = ArpPacket::new_unchecked(b);
            assert!(p.target_protocol_addr().is_empty());
        }
        assert!(ArpPacket::new_checked(&body[..28]).is_ok());
    }

    #[test]
    fn other_lengths_and_types() {
        let mut b = [0u8; 8 + 2 * (8 + 16)];
        b[..8].copy_from_slice(&[0x00, 0x01, 0x86, 0xdd, 8, 16, 0x00, 0x01]);
        // Lengths 8/16 need 56 bytes: the view validates them from hlen/plen.
        assert_eq!(
            ArpPacket::new_checked(&b[..55]).err(),
            Some(Error::Truncated)
        );
        let p = ArpPacket::new_checked(&b[..]).unwrap();
        assert_eq!(p.source_hardware_addr().len(), 8);
        assert_eq!(p.target_protocol_addr().len(), 16);
        assert_eq!(p.packet_len(), 56);
        assert_eq!(
            ArpRepr::parse(&p),
            Err(Error::Unsupported("arp protocol type"))
        );

        let mut r = REPLY_IN_FRAME;
        r[1] = 6; // IEEE 802 hardware type
        assert_eq!(
            ArpRepr::parse(&ArpPacket::new_unchecked(&r[..])),
            Err(Error::Unsupported("arp hardware type"))
        );
        let mut r = REPLY_IN_FRAME;
        r[5] = 5; // plen 5 with ptype IPv4 (30 bytes: fits)
        assert_eq!(
            ArpRepr::parse(&ArpPacket::new_unchecked(&r[..])),
            Err(Error::Unsupported("arp address length"))
        );
        let mut r = REPLY_IN_FRAME;
        r[4] = 255; // hlen 255: 8 + 2 × 259 bytes needed
        assert_eq!(
            ArpRepr::parse(&ArpPacket::new_unchecked(&r[..])),
            Err(Error::Truncated)
        );
    }

    #[test]
    fn never_panics() {
        for packet in [&REQUEST_FRAME[14..], &REPLY_IN_FRAME[..]] {
            let exercise = |b: &[u8]| {
                let p = ArpPacket::new_unchecked(b);
                let _ = p.packet_len();
                let _ = (p.source_hardware_addr(), p.target_protocol_addr());
                if let Ok(p) = ArpPacket::new_checked(b) {
                    let _ = (p.hardware_type(), p.protocol_type(), p.operation());
                    let _ = (p.hardware_len(), p.protocol_len());
                    let _ = (p.source_protocol_addr(), p.target_hardware_addr());
                }
                assert_round_trip(b);
            };
            for len in 0..=packet.len() {
                exercise(&packet[..len]);
            }
            for i in 0..packet.len() {
                for m in [0x00u8, 0xff, 0x01, 0x06] {
                    let mut b = packet.to_vec();
                    b[i] = m;
                    exercise(&b);
                    b[i] = packet[i] ^ 0xff;
                    exercise(&b);
                }
            }
        }
    }

    #[test]
    fn setters_with_odd_lengths_do_not_panic() {
        let mut b = [0u8; 12];
        let mut p = ArpPacket::new_unchecked(&mut b[..]);
        p.set_hardware_len(200);
        p.set_source_hardware_addr(&[1, 2, 3]); // field does not fit: nothing written
        p.set_hardware_len(2);
        p.set_protocol_len(1);
        p.set_source_hardware_addr(&[1, 2, 3]); // longer than hlen: clipped
        p.set_source_protocol_addr(&[9]);
        assert_eq!(&b[8..12], &[1, 2, 9, 0]);
    }
}
