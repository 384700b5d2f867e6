//! Ethernet II frames (IEEE 802.3 clause 3, "DIX" type field) with stacked
//! VLAN tags (IEEE 802.1Q C-tag 0x8100, 802.1ad S-tag 0x88a8, and the legacy
//! pre-standard QinQ TPID 0x9100).
//!
//! The view [`EthernetFrame`] covers the fixed 14-byte header; everything after
//! it is [`EthernetFrame::payload`]. VLAN tags sit between the source address
//! and the real EtherType, each tag being a 2-byte TCI followed by the next
//! 2-byte type; [`EthernetFrame::vlan_tags`], [`EthernetFrame::inner_ethertype`]
//! and [`EthernetFrame::inner_payload`] walk them with bounds checks.
//!
//! Frames taken from captures may carry padding up to the 60-byte minimum and
//! sometimes the 4-byte FCS: the view does not know where the upper layer
//! ends, so it does not strip them; the upper layer's own length field does.

use super::be;
use core::fmt;

use super::ip::enum_with_unknown;
use super::{Error, EthernetAddress, Result};

enum_with_unknown! {
    /// The EtherType (or TPID) field (IEEE Registration Authority list).
    pub enum EtherType(u16) {
        /// IPv4 (RFC 894).
        Ipv4 = 0x0800,
        /// ARP (RFC 826).
        Arp = 0x0806,
        /// IPv6 (RFC 2464).
        Ipv6 = 0x86dd,
        /// IEEE 802.1Q customer VLAN tag (C-tag).
        Vlan = 0x8100,
        /// IEEE 802.1ad provider bridging service tag (S-tag, "QinQ").
        QinQ = 0x88a8,
        /// Pre-standard QinQ S-tag used by some vendors before 802.1ad.
        Vlan9100 = 0x9100,
    }
}

impl EtherType {
    /// True for the TPIDs that introduce a VLAN tag (0x8100, 0x88a8, 0x9100).
    pub const fn is_vlan(self) -> bool {
        matches!(
            self,
            EtherType::Vlan | EtherType::QinQ | EtherType::Vlan9100
        )
    }

    /// True when the value is an IEEE 802.3 length, not a type: values up to
    /// 1500 are lengths, 1536 (0x0600) and above are types (IEEE 802.3
    /// §3.2.6); the values between are undefined.
    pub fn is_length(self) -> bool {
        u16::from(self) < 0x0600
    }
}

impl fmt::Display for EtherType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EtherType::Ipv4 => f.write_str("IPv4"),
            EtherType::Arp => f.write_str("ARP"),
            EtherType::Ipv6 => f.write_str("IPv6"),
            EtherType::Vlan => f.write_str("802.1Q"),
            EtherType::QinQ => f.write_str("802.1ad"),
            EtherType::Vlan9100 => f.write_str("QinQ-9100"),
            EtherType::Unknown(n) => write!(f, "0x{n:04x}"),
        }
    }
}

mod field {
    use crate::wire::{Field, Rest};

    pub const DESTINATION: Field = 0..6;
    pub const SOURCE: Field = 6..12;
    pub const ETHERTYPE: Field = 12..14;
    pub const PAYLOAD: Rest = 14..;

    /// Inside a VLAN tag, relative to the tag's start (right after the TPID):
    /// the Tag Control Information, then the type of what follows.
    pub const TAG_TCI: Field = 0..2;
    pub const TAG_NEXT_TYPE: Field = 2..4;
}

/// Length of the untagged Ethernet II header: two addresses and a type.
pub const HEADER_LEN: usize = field::PAYLOAD.start;

/// Length of one VLAN tag (TCI plus the next type; the TPID is counted in the
/// field before it, which is the preceding "type").
pub const VLAN_TAG_LEN: usize = 4;

/// How many stacked VLAN tags the walk follows before it calls the frame
/// malformed. Real networks use one or two (802.1ad §6.9); the bound keeps the
/// walk short on hostile input.
pub const MAX_VLAN_TAGS: usize = 4;

/// How many VLAN tags an [`EthernetRepr`] carries: enough for 802.1ad QinQ.
pub const REPR_MAX_VLAN_TAGS: usize = 2;

/// One VLAN tag: its TPID and the three parts of its TCI (IEEE 802.1Q §9.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct VlanTag {
    /// Priority Code Point, 3 bits (802.1Q §6.9.3): 0 best effort … 7 network control.
    pub pcp: u8,
    /// Drop Eligible Indicator, 1 bit.
    pub dei: bool,
    /// VLAN identifier, 12 bits (0 means priority-tagged, 0xfff is reserved).
    pub id: u16,
    /// The tag protocol identifier that introduced this tag.
    pub tpid: EtherType,
}

impl VlanTag {
    /// Splits a TCI into its fields (IEEE 802.1Q §9.6: PCP 3 bits, DEI 1 bit, VID 12 bits).
    pub const fn from_tci(tpid: EtherType, tci: u16) -> VlanTag {
        VlanTag {
            pcp: (tci >> 13) as u8,
            dei: tci & 0x1000 != 0,
            id: tci & 0x0fff,
            tpid,
        }
    }

    /// The 16-bit TCI; out-of-range `pcp` and `id` bits are masked off.
    pub const fn tci(&self) -> u16 {
        (((self.pcp & 0x07) as u16) << 13) | ((self.dei as u16) << 12) | (self.id & 0x0fff)
    }
}

/// A read/write view of an Ethernet II frame.
#[derive(Debug, Clone)]
pub struct EthernetFrame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> EthernetFrame<T> {
    /// Wraps a buffer without checking its length.
    pub const fn new_unchecked(buffer: T) -> EthernetFrame<T> {
        EthernetFrame { buffer }
    }

    /// Wraps a buffer, checking that it holds the 14-byte header.
    pub fn new_checked(buffer: T) -> Result<EthernetFrame<T>> {
        let frame = Self::new_unchecked(buffer);
        frame.check_len()?;
        Ok(frame)
    }

    /// Checks that the fixed header fits. VLAN tags are not required to fit:
    /// the tag accessors return [`Error::Truncated`] themselves.
    pub fn check_len(&self) -> Result<()> {
        if self.buffer.as_ref().len() < HEADER_LEN {
            Err(Error::Truncated)
        } else {
            Ok(())
        }
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The length of the untagged header (always 14; tags are part of the payload here).
    pub const fn header_len(&self) -> usize {
        HEADER_LEN
    }

    /// The destination address.
    pub fn dst_addr(&self) -> EthernetAddress {
        let b = &self.buffer.as_ref()[field::DESTINATION];
        EthernetAddress([b[0], b[1], b[2], b[3], b[4], b[5]])
    }

    /// The source address.
    pub fn src_addr(&self) -> EthernetAddress {
        let b = &self.buffer.as_ref()[field::SOURCE];
        EthernetAddress([b[0], b[1], b[2], b[3], b[4], b[5]])
    }

    /// The outer type field (bytes 12..14): the TPID of the first VLAN tag if
    /// the frame is tagged, else the payload's EtherType.
    pub fn ethertype(&self) -> EtherType {
        EtherType::from(be::read_u16(&self.buffer.as_ref()[field::ETHERTYPE]))
    }

    /// Everything after the 14-byte header: VLAN tags (if any), the upper
    /// layer, and any padding or FCS the capture kept.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[field::PAYLOAD]
    }

    /// Iterates over the VLAN tags, outermost first.
    ///
    /// The iterator stops at the first type that is not a VLAN TPID, at a tag
    /// cut short by the end of the buffer, or after [`MAX_VLAN_TAGS`] tags; use
    /// [`inner_ethertype`](Self::inner_ethertype) to learn whether the stack
    /// was complete.
    pub fn vlan_tags(&self) -> VlanTags<'_> {
        VlanTags {
            buffer: self.buffer.as_ref(),
            type_at: field::ETHERTYPE.start,
            left: MAX_VLAN_TAGS,
        }
    }

    /// Walks the tag stack: the final EtherType and the offset of the inner payload.
    fn walk(&self) -> Result<(EtherType, usize)> {
        let buf = self.buffer.as_ref();
        let mut type_at = field::ETHERTYPE.start;
        let mut tags = 0;
        loop {
            let ty = read_type(buf, type_at).ok_or(Error::Truncated)?;
            let tag_at = type_at + 2;
            if !ty.is_vlan() {
                return Ok((ty, tag_at));
            }
            if tags == MAX_VLAN_TAGS {
                return Err(Error::Malformed("vlan tag count"));
            }
            if buf.len() < tag_at + VLAN_TAG_LEN {
                return Err(Error::Truncated);
            }
            tags += 1;
            type_at = tag_at + field::TAG_NEXT_TYPE.start;
        }
    }

    /// The EtherType after all VLAN tags.
    ///
    /// [`Error::Truncated`] if the buffer ends inside the tag stack,
    /// [`Error::Malformed`] if more than [`MAX_VLAN_TAGS`] tags are stacked.
    pub fn inner_ethertype(&self) -> Result<EtherType> {
        self.walk().map(|(ty, _)| ty)
    }

    /// The header length including all VLAN tags (errors as for
    /// [`inner_ethertype`](Self::inner_ethertype)).
    pub fn tagged_header_len(&self) -> Result<usize> {
        self.walk().map(|(_, len)| len)
    }

    /// The bytes after all VLAN tags (errors as for
    /// [`inner_ethertype`](Self::inner_ethertype)).
    pub fn inner_payload(&self) -> Result<&[u8]> {
        let (_, at) = self.walk()?;
        self.buffer.as_ref().get(at..).ok_or(Error::Truncated)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> EthernetFrame<T> {
    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, addr: EthernetAddress) {
        self.buffer.as_mut()[field::DESTINATION].copy_from_slice(addr.as_bytes());
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, addr: EthernetAddress) {
        self.buffer.as_mut()[field::SOURCE].copy_from_slice(addr.as_bytes());
    }

    /// Sets the outer type field (bytes 12..14).
    pub fn set_ethertype(&mut self, ty: EtherType) {
        be::write_u16(&mut self.buffer.as_mut()[field::ETHERTYPE], ty.into());
    }

    /// Everything after the 14-byte header, writable.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::PAYLOAD]
    }

    /// The bytes after all VLAN tags, writable (errors as for
    /// [`inner_ethertype`](EthernetFrame::inner_ethertype)).
    pub fn inner_payload_mut(&mut self) -> Result<&mut [u8]> {
        let (_, at) = self.walk()?;
        self.buffer.as_mut().get_mut(at..).ok_or(Error::Truncated)
    }
}

/// Reads the 2-byte type at `at`, or `None` past the end.
fn read_type(buf: &[u8], at: usize) -> Option<EtherType> {
    let b = buf.get(at..at.checked_add(2)?)?;
    Some(EtherType::from(be::read_u16(b)))
}

/// The VLAN tags of a frame, outermost first (see [`EthernetFrame::vlan_tags`]).
#[derive(Debug, Clone)]
pub struct VlanTags<'a> {
    buffer: &'a [u8],
    /// Offset of the type field that may introduce the next tag.
    type_at: usize,
    /// How many more tags the walk may yield.
    left: usize,
}

impl Iterator for VlanTags<'_> {
    type Item = VlanTag;

    fn next(&mut self) -> Option<VlanTag> {
        if self.left == 0 {
            return None;
        }
        let tpid = read_type(self.buffer, self.type_at)?;
        if !tpid.is_vlan() {
            return None;
        }
        let tag_at = self.type_at.checked_add(2)?;
        let tag = self.buffer.get(tag_at..tag_at.checked_add(VLAN_TAG_LEN)?)?;
        let tci = be::read_u16(&tag[field::TAG_TCI]);
        self.left -= 1;
        self.type_at = tag_at + field::TAG_NEXT_TYPE.start;
        Some(VlanTag::from_tci(tpid, tci))
    }
}

/// The high-level form of an Ethernet II header, VLAN tags included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EthernetRepr {
    /// Source address.
    pub src_addr: EthernetAddress,
    /// Destination address.
    pub dst_addr: EthernetAddress,
    /// The EtherType after all VLAN tags.
    pub ethertype: EtherType,
    /// VLAN tags, outermost first; each `tpid` must be a VLAN TPID.
    pub vlan: heapless::Vec<VlanTag, REPR_MAX_VLAN_TAGS>,
}

impl EthernetRepr {
    /// Parses the header and its VLAN tags.
    ///
    /// [`Error::Unsupported`] for more than [`REPR_MAX_VLAN_TAGS`] tags or an
    /// IEEE 802.3 length instead of an EtherType (LLC frames are not Ethernet II).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(frame: &EthernetFrame<&T>) -> Result<EthernetRepr> {
        frame.check_len()?;
        let ethertype = frame.inner_ethertype()?;
        // IEEE 802.3 §3.2.6: below 0x0600 the field is a length (802.2 LLC follows).
        if ethertype.is_length() {
            return Err(Error::Unsupported("ieee 802.3 length field"));
        }
        let mut vlan = heapless::Vec::new();
        for tag in frame.vlan_tags() {
            vlan.push(tag)
                .map_err(|_| Error::Unsupported("vlan tag count"))?;
        }
        Ok(EthernetRepr {
            src_addr: frame.src_addr(),
            dst_addr: frame.dst_addr(),
            ethertype,
            vlan,
        })
    }

    /// The header length `emit` writes: 14 bytes plus 4 per VLAN tag.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.vlan.len() * VLAN_TAG_LEN
    }

    /// Writes the header and tags; the payload starts at [`buffer_len`](Self::buffer_len).
    ///
    /// [`Error::Truncated`] if the buffer is shorter than `buffer_len()`;
    /// [`Error::Malformed`] if a tag's `tpid` is not a VLAN TPID (the frame
    /// would not read back as tagged).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, frame: &mut EthernetFrame<T>) -> Result<()> {
        if frame.buffer.as_ref().len() < self.buffer_len() {
            return Err(Error::Truncated);
        }
        if self.vlan.iter().any(|t| !t.tpid.is_vlan()) {
            return Err(Error::Malformed("vlan tpid"));
        }
        frame.set_dst_addr(self.dst_addr);
        frame.set_src_addr(self.src_addr);
        let buf = frame.buffer.as_mut();
        let mut type_at = field::ETHERTYPE.start;
        for tag in self.vlan.iter() {
            // The type field before a tag holds the tag's TPID (802.1Q §9.5).
            be::write_u16(&mut buf[type_at..type_at + 2], tag.tpid.into());
            let tag_at = type_at + 2;
            be::write_u16(&mut buf[tag_at..tag_at + 2], tag.tci());
            type_at = tag_at + field::TAG_NEXT_TYPE.start;
        }
        be::write_u16(&mut buf[type_at..type_at + 2], self.ethertype.into());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// 802.1ad_QinQ.pcap frame 1: S-tag 200, C-tag 2001, ARP request,
    /// 10 bytes of padding and a 4-byte FCS (zeros) kept by the capture.
    const QINQ_ARP: [u8; 64] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x20, 0xd2, 0x5a, 0xfb, 0x3f, 0x88, 0xa8, 0x00,
        0xc8, 0x81, 0x00, 0x07, 0xd1, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
        0x00, 0x20, 0xd2, 0x5a, 0xfb, 0x3f, 0xac, 0x15, 0x4f, 0x61, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0xac, 0x15, 0x4f, 0x64, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00,
    ];

    /// bfd_source_port_49152.pcap frame 1: one 802.1Q tag (PCP 7, VID 11), IPv4/UDP/BFD.
    const DOT1Q_BFD: [u8; 70] = [
        0xe4, 0x6d, 0x7f, 0x54, 0xb9, 0x08, 0x94, 0x43, 0x4d, 0xc0, 0x17, 0x85, 0x81, 0x00, 0xe0,
        0x0b, 0x08, 0x00, 0x45, 0xe0, 0x00, 0x34, 0x9d, 0x41, 0x40, 0x00, 0xff, 0x11, 0xb1, 0x7e,
        0x0b, 0x0b, 0x0b, 0x02, 0x0b, 0x0b, 0x0b, 0x01, 0xc0, 0x00, 0x0e, 0xc8, 0x00, 0x20, 0x00,
        0x00, 0x20, 0xc8, 0x03, 0x18, 0x80, 0x00, 0x00, 0x01, 0x80, 0x00, 0x00, 0x01, 0x00, 0x01,
        0x86, 0xa0, 0x00, 0x01, 0x86, 0xa0, 0x00, 0x00, 0x00, 0x00,
    ];

    /// arp-oobr.pcap frame 1: untagged ARP request padded to 60 bytes.
    const PLAIN_ARP: [u8; 60] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x1f, 0x29, 0xda, 0x2d, 0x79, 0x08, 0x06, 0x00,
        0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x00, 0x1f, 0x29, 0xda, 0x2d, 0x79, 0xc0, 0xa8,
        0x01, 0x68, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xa8, 0x01, 0x01, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    fn tags<T: AsRef<[u8]>>(f: &EthernetFrame<T>) -> Vec<VlanTag> {
        f.vlan_tags().collect()
    }

    fn assert_round_trip(bytes: &[u8]) {
        let f = EthernetFrame::new_unchecked(bytes);
        if let Ok(repr) = EthernetRepr::parse(&f) {
            let mut buf = std::vec![0u8; repr.buffer_len()];
            let mut out = EthernetFrame::new_unchecked(&mut buf[..]);
            repr.emit(&mut out).unwrap();
            let again = EthernetRepr::parse(&EthernetFrame::new_unchecked(&buf[..])).unwrap();
            assert_eq!(again, repr);
            // The header bytes themselves come back identical.
            assert_eq!(&buf[..], &bytes[..repr.buffer_len()]);
        }
    }

    #[test]
    fn ethertype_values() {
        for v in [0x0800u16, 0x0806, 0x86dd, 0x8100, 0x88a8, 0x9100, 0x1234] {
            assert_eq!(u16::from(EtherType::from(v)), v);
        }
        assert!(EtherType::Vlan9100.is_vlan() && EtherType::QinQ.is_vlan());
        assert!(!EtherType::Ipv4.is_vlan());
        assert!(EtherType::Unknown(0x05dc).is_length());
        assert!(!EtherType::Unknown(0x0600).is_length());
        assert_eq!(std::format!("{}", EtherType::Unknown(0x88cc)), "0x88cc");
    }

    #[test]
    fn untagged_real_frame() {
        let f = EthernetFrame::new_checked(&PLAIN_ARP[..]).unwrap();
        assert_eq!(f.dst_addr(), EthernetAddress::BROADCAST);
        assert_eq!(
            f.src_addr(),
            EthernetAddress([0x00, 0x1f, 0x29, 0xda, 0x2d, 0x79])
        );
        assert_eq!(f.ethertype(), EtherType::Arp);
        assert_eq!(f.header_len(), 14);
        assert_eq!(f.payload(), &PLAIN_ARP[14..]);
        assert_eq!(f.vlan_tags().count(), 0);
        assert_eq!(f.inner_ethertype(), Ok(EtherType::Arp));
        assert_eq!(f.tagged_header_len(), Ok(14));
        assert_eq!(f.inner_payload(), Ok(&PLAIN_ARP[14..]));
        let repr = EthernetRepr::parse(&f).unwrap();
        assert_eq!(repr.ethertype, EtherType::Arp);
        assert!(repr.vlan.is_empty());
        assert_eq!(repr.buffer_len(), 14);
        assert_round_trip(&PLAIN_ARP);
    }

    #[test]
    fn single_tag_real_frame() {
        let f = EthernetFrame::new_checked(&DOT1Q_BFD[..]).unwrap();
        assert_eq!(
            f.dst_addr(),
            EthernetAddress([0xe4, 0x6d, 0x7f, 0x54, 0xb9, 0x08])
        );
        assert_eq!(
            f.src_addr(),
            EthernetAddress([0x94, 0x43, 0x4d, 0xc0, 0x17, 0x85])
        );
        assert_eq!(f.ethertype(), EtherType::Vlan);
        assert_eq!(
            tags(&f),
            [VlanTag {
                pcp: 7,
                dei: false,
                id: 11,
                tpid: EtherType::Vlan
            }]
        );
        assert_eq!(f.inner_ethertype(), Ok(EtherType::Ipv4));
        assert_eq!(f.tagged_header_len(), Ok(18));
        let inner = f.inner_payload().unwrap();
        assert_eq!(inner.len(), 52);
        assert_eq!(inner[0], 0x45); // IPv4, IHL 5
        let repr = EthernetRepr::parse(&f).unwrap();
        assert_eq!(repr.vlan.len(), 1);
        assert_eq!(repr.buffer_len(), 18);
        assert_round_trip(&DOT1Q_BFD);
    }

    #[test]
    fn qinq_real_frame() {
        let f = EthernetFrame::new_checked(&QINQ_ARP[..]).unwrap();
        assert_eq!(f.dst_addr(), EthernetAddress::BROADCAST);
        assert_eq!(
            f.src_addr(),
            EthernetAddress([0x00, 0x20, 0xd2, 0x5a, 0xfb, 0x3f])
        );
        assert_eq!(f.ethertype(), EtherType::QinQ);
        assert_eq!(
            tags(&f),
            [
                VlanTag {
                    pcp: 0,
                    dei: false,
                    id: 200,
                    tpid: EtherType::QinQ
                },
                VlanTag {
                    pcp: 0,
                    dei: false,
                    id: 2001,
                    tpid: EtherType::Vlan
                },
            ]
        );
        assert_eq!(f.inner_ethertype(), Ok(EtherType::Arp));
        // The ARP body, padding and FCS: the view strips nothing.
        assert_eq!(f.inner_payload(), Ok(&QINQ_ARP[22..]));
        assert_eq!(f.payload().len(), 50);

        let repr = EthernetRepr::parse(&f).unwrap();
        let mut expected_tags = heapless::Vec::new();
        expected_tags.extend(tags(&f));
        assert_eq!(
            repr,
            EthernetRepr {
                src_addr: EthernetAddress([0x00, 0x20, 0xd2, 0x5a, 0xfb, 0x3f]),
                dst_addr: EthernetAddress::BROADCAST,
                ethertype: EtherType::Arp,
                vlan: expected_tags,
            }
        );
        assert_eq!(repr.buffer_len(), 22);
        assert_round_trip(&QINQ_ARP);
    }

    #[test]
    fn emit_exact_bytes() {
        let mut vlan = heapless::Vec::new();
        vlan.push(VlanTag {
            pcp: 0,
            dei: false,
            id: 200,
            tpid: EtherType::QinQ,
        })
        .unwrap();
        vlan.push(VlanTag {
            pcp: 0,
            dei: false,
            id: 2001,
            tpid: EtherType::Vlan,
        })
        .unwrap();
        let repr = EthernetRepr {
            src_addr: EthernetAddress([0x00, 0x20, 0xd2, 0x5a, 0xfb, 0x3f]),
            dst_addr: EthernetAddress::BROADCAST,
            ethertype: EtherType::Arp,
            vlan,
        };
        let mut buf = [0xaau8; 64];
        buf[22..].copy_from_slice(&QINQ_ARP[22..]);
        repr.emit(&mut EthernetFrame::new_unchecked(&mut buf[..]))
            .unwrap();
        assert_eq!(buf, QINQ_ARP);

        // Setters and payload_mut on an untagged frame.
        let mut buf = [0u8; 60];
        let mut f = EthernetFrame::new_checked(&mut buf[..]).unwrap();
        f.set_dst_addr(EthernetAddress::BROADCAST);
        f.set_src_addr(EthernetAddress([0x00, 0x1f, 0x29, 0xda, 0x2d, 0x79]));
        f.set_ethertype(EtherType::Arp);
        f.payload_mut().copy_from_slice(&PLAIN_ARP[14..]);
        assert_eq!(f.inner_payload_mut().unwrap().len(), 46);
        assert_eq!(buf, PLAIN_ARP);
    }

    #[test]
    fn dei_and_9100_and_three_tags() {
        // 0x9100 outer (PCP 5, DEI, VID 0xabc), 0x88a8, 0x8100 (VID 0), then IPv6.
        let mut b = [0u8; 30];
        b[12..14].copy_from_slice(&[0x91, 0x00]);
        b[14..18].copy_from_slice(&[0xba, 0xbc, 0x88, 0xa8]);
        b[18..22].copy_from_slice(&[0x00, 0x01, 0x81, 0x00]);
        b[22..26].copy_from_slice(&[0x00, 0x00, 0x86, 0xdd]);
        let f = EthernetFrame::new_checked(&b[..]).unwrap();
        let t = tags(&f);
        assert_eq!(t.len(), 3);
        assert_eq!(
            t[0],
            VlanTag {
                pcp: 5,
                dei: true,
                id: 0xabc,
                tpid: EtherType::Vlan9100
            }
        );
        assert_eq!(t[0].tci(), 0xbabc);
        assert_eq!(t[1].id, 1);
        assert_eq!(t[2].tpid, EtherType::Vlan);
        assert_eq!(f.inner_ethertype(), Ok(EtherType::Ipv6));
        assert_eq!(f.inner_payload().map(|p| p.len()), Ok(4));
        // The view walks three tags, the repr holds two.
        assert_eq!(
            EthernetRepr::parse(&f),
            Err(Error::Unsupported("vlan tag count"))
        );
    }

    #[test]
    fn too_many_tags_is_malformed() {
        let mut b = [0u8; 14 + 4 * 6];
        for i in 0..6 {
            let at = 12 + 4 * i;
            b[at..at + 2].copy_from_slice(&[0x81, 0x00]);
        }
        let f = EthernetFrame::new_checked(&b[..]).unwrap();
        // Exactly MAX_VLAN_TAGS tags is fine when the type after them is not a TPID.
        assert_eq!(f.vlan_tags().count(), MAX_VLAN_TAGS);
        assert_eq!(f.inner_ethertype(), Err(Error::Malformed("vlan tag count")));
        assert_eq!(f.inner_payload(), Err(Error::Malformed("vlan tag count")));
        assert_eq!(
            EthernetRepr::parse(&f),
            Err(Error::Malformed("vlan tag count"))
        );
        // Four tags then IPv4: accepted by the view.
        b[12 + 4 * 4..12 + 4 * 4 + 2].copy_from_slice(&[0x08, 0x00]);
        let f = EthernetFrame::new_checked(&b[..]).unwrap();
        assert_eq!(f.inner_ethertype(), Ok(EtherType::Ipv4));
        assert_eq!(f.tagged_header_len(), Ok(14 + 16));
    }

    #[test]
    fn truncations() {
        for len in 0..QINQ_ARP.len() {
            let b = &QINQ_ARP[..len];
            let f = EthernetFrame::new_unchecked(b);
            if len < 14 {
                assert_eq!(EthernetFrame::new_checked(b).err(), Some(Error::Truncated));
                assert_eq!(EthernetRepr::parse(&f), Err(Error::Truncated));
                // Tag accessors stay safe even on an unchecked short view.
                assert_eq!(f.vlan_tags().count(), 0);
                assert_eq!(f.inner_ethertype(), Err(Error::Truncated));
                continue;
            }
            let f = EthernetFrame::new_checked(b).unwrap();
            if len < 22 {
                // The buffer ends inside the tag stack.
                assert_eq!(f.inner_ethertype(), Err(Error::Truncated), "len {len}");
                assert_eq!(f.inner_payload(), Err(Error::Truncated));
                assert_eq!(EthernetRepr::parse(&f), Err(Error::Truncated));
                assert_eq!(f.vlan_tags().count(), if len < 18 { 0 } else { 1 });
            } else {
                assert_eq!(f.inner_ethertype(), Ok(EtherType::Arp));
                assert_eq!(f.inner_payload().map(|p| p.len()), Ok(len - 22));
            }
        }
    }

    #[test]
    fn length_field_and_emit_errors() {
        let mut b = PLAIN_ARP;
        b[12..14].copy_from_slice(&[0x00, 0x26]); // 802.3 length 38 (LLC follows)
        let f = EthernetFrame::new_checked(&b[..]).unwrap();
        assert_eq!(f.inner_ethertype(), Ok(EtherType::Unknown(0x26)));
        assert_eq!(
            EthernetRepr::parse(&f),
            Err(Error::Unsupported("ieee 802.3 length field"))
        );

        let repr = EthernetRepr::parse(&EthernetFrame::new_unchecked(&QINQ_ARP[..])).unwrap();
        let mut short = [0u8; 21];
        assert_eq!(
            repr.emit(&mut EthernetFrame::new_unchecked(&mut short[..])),
            Err(Error::Truncated)
        );
        let mut bad = repr.clone();
        bad.vlan[1].tpid = EtherType::Ipv4;
        let mut buf = [0u8; 22];
        assert_eq!(
            bad.emit(&mut EthernetFrame::new_unchecked(&mut buf[..])),
            Err(Error::Malformed("vlan tpid"))
        );
    }

    #[test]
    fn never_panics() {
        for frame in [&QINQ_ARP[..], &DOT1Q_BFD[..], &PLAIN_ARP[..]] {
            let exercise = |b: &[u8]| {
                let f = EthernetFrame::new_unchecked(b);
                let _ = f.vlan_tags().count();
                let _ = f.inner_ethertype();
                let _ = f.inner_payload();
                if let Ok(f) = EthernetFrame::new_checked(b) {
                    let _ = (f.dst_addr(), f.src_addr(), f.ethertype(), f.payload());
                }
                assert_round_trip(b);
            };
            for len in 0..=frame.len() {
                exercise(&frame[..len]);
            }
            for i in 0..frame.len() {
                for m in [0x00u8, 0xff, 0x81, 0x88, 0x91, 0x08] {
                    let mut b = frame.to_vec();
                    b[i] = m;
                    exercise(&b);
                    b[i] = frame[i] ^ 0xff;
                    exercise(&b);
                }
            }
        }
    }
}
