//! IGMP (RFC 1112 v1, RFC 2236 v2, RFC 3376 v3): host-side group membership.
//!
//! All versions share the first four bytes (type, max response code,
//! checksum over the whole message). Queries come in two shapes told apart
//! by length (RFC 3376 §7.1): 8 bytes is a v1/v2 query, 12 bytes or more a
//! v3 query with a source list. A v3 report carries group records, walked by
//! the bounds-checked [`IgmpGroupRecordIter`]. Source lists and records stay
//! borrowed bytes so that parsing never copies or allocates.

use byteorder::{ByteOrder, NetworkEndian};

use super::checksum;
use super::ip::enum_with_unknown;
use super::{ChecksumMode, Error, Ipv4Addr, Result};

enum_with_unknown! {
    /// The IGMP message type (RFC 3376 §4, IANA "IGMP Type Numbers").
    pub enum IgmpMessage(u8) {
        /// Membership Query, all versions (RFC 3376 §4.1).
        MembershipQuery = 0x11,
        /// Version 1 Membership Report (RFC 1112 appendix I).
        MembershipReportV1 = 0x12,
        /// Version 2 Membership Report (RFC 2236 §2.1).
        MembershipReportV2 = 0x16,
        /// Version 2 Leave Group (RFC 2236 §2.1).
        LeaveGroup = 0x17,
        /// Version 3 Membership Report (RFC 3376 §4.2).
        MembershipReportV3 = 0x22,
    }
}

enum_with_unknown! {
    /// The type of an IGMPv3 group record (RFC 3376 §4.2.12).
    pub enum IgmpRecordType(u8) {
        /// MODE_IS_INCLUDE (current state).
        ModeIsInclude = 1,
        /// MODE_IS_EXCLUDE (current state).
        ModeIsExclude = 2,
        /// CHANGE_TO_INCLUDE_MODE (filter mode change).
        ChangeToInclude = 3,
        /// CHANGE_TO_EXCLUDE_MODE (filter mode change).
        ChangeToExclude = 4,
        /// ALLOW_NEW_SOURCES (source list change).
        AllowNewSources = 5,
        /// BLOCK_OLD_SOURCES (source list change).
        BlockOldSources = 6,
    }
}

/// Byte ranges of the IGMP message (RFC 2236 §2, RFC 3376 §4.1 and §4.2).
mod field {
    use crate::wire::{Field, Rest};

    pub const TYPE: usize = 0;
    /// Max Response Time (v2) / Code (v3); unused and zero in reports.
    pub const MAX_RESP_CODE: usize = 1;
    pub const CHECKSUM: Field = 2..4;
    /// Group address of queries and v1/v2 reports and leaves.
    pub const GROUP_ADDR: Field = 4..8;
    // v3 query (RFC 3376 §4.1).
    /// Resv (4 bits), S flag (1 bit), QRV (3 bits).
    pub const S_QRV: usize = 8;
    pub const QQIC: usize = 9;
    pub const NUM_SOURCES: Field = 10..12;
    pub const SOURCES: Rest = 12..;
    // v3 report (RFC 3376 §4.2).
    pub const REPORT_RESERVED: Field = 4..6;
    pub const NUM_RECORDS: Field = 6..8;
    pub const RECORDS: Rest = 8..;

    // One group record (RFC 3376 §4.2.4).
    pub const RECORD_TYPE: usize = 0;
    pub const RECORD_AUX_LEN: usize = 1;
    pub const RECORD_NUM_SOURCES: Field = 2..4;
    pub const RECORD_GROUP: Field = 4..8;
}

/// The length of a v1/v2 message, and of the fixed part of every message.
pub const HEADER_LEN: usize = 8;
/// The length of a v3 query without sources.
pub const QUERY_V3_HEADER_LEN: usize = 12;
/// The length of a group record header, before sources and aux data.
pub const RECORD_HEADER_LEN: usize = 8;

const S_FLAG: u8 = 0x08;
const QRV_MASK: u8 = 0x07;

/// Decodes a v3 Max Resp Code (tenths of a second) or QQIC (seconds).
///
/// RFC 3376 §4.1.1 and §4.1.7: below 128 the code is the value; from 128 it
/// is a float with a 3-bit exponent and a 4-bit mantissa,
/// `(mant | 0x10) << (exp + 3)`. A v2 Max Response Time is always below 128
/// in practice and reads the same way.
pub const fn decode_time_code(code: u8) -> u32 {
    crate::wire::ip::decode_exponential(code as u16, 8)
}

fn addr_at(data: &[u8], range: core::ops::Range<usize>) -> Ipv4Addr {
    let b = &data[range];
    Ipv4Addr::new(b[0], b[1], b[2], b[3])
}

/// A list of IPv4 source addresses, kept as the bytes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct IgmpSources<'a> {
    bytes: &'a [u8],
}

impl<'a> IgmpSources<'a> {
    /// Wraps bytes holding whole addresses (a multiple of 4 bytes).
    pub fn new(bytes: &'a [u8]) -> Result<IgmpSources<'a>> {
        if !bytes.len().is_multiple_of(4) {
            return Err(Error::Malformed("igmp source list length"));
        }
        Ok(IgmpSources { bytes })
    }

    /// The number of addresses.
    pub const fn len(&self) -> usize {
        self.bytes.len() / 4
    }

    /// True when there are no addresses.
    pub const fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The raw bytes.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The addresses.
    pub fn iter(&self) -> impl Iterator<Item = Ipv4Addr> + 'a {
        self.bytes
            .chunks_exact(4)
            .map(|b| Ipv4Addr::new(b[0], b[1], b[2], b[3]))
    }
}

/// One IGMPv3 group record (RFC 3376 §4.2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct IgmpGroupRecord<'a> {
    /// The record type.
    pub record_type: IgmpRecordType,
    /// Auxiliary data (RFC 3376 §4.2.10: none is defined; receivers ignore it).
    pub aux_data: &'a [u8],
    /// The multicast address the record is about.
    pub group_addr: Ipv4Addr,
    /// The source addresses.
    pub sources: IgmpSources<'a>,
}

impl IgmpGroupRecord<'_> {
    /// The number of bytes the record takes on the wire.
    pub const fn buffer_len(&self) -> usize {
        RECORD_HEADER_LEN + self.sources.as_bytes().len() + self.aux_data.len()
    }

    /// Writes the record at the start of `buf` and returns its length.
    ///
    /// Fails with `Truncated` when `buf` is short, and with `Malformed` when
    /// the aux data is not whole 32-bit words (at most 255 of them) or there
    /// are more than 65535 sources.
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let aux_words = u8::try_from(self.aux_data.len() / 4)
            .ok()
            .filter(|_| self.aux_data.len().is_multiple_of(4))
            .ok_or(Error::Malformed("igmp aux data length"))?;
        let num_sources = u16::try_from(self.sources.len())
            .map_err(|_| Error::Malformed("igmp number of sources"))?;
        let len = self.buffer_len();
        let out = buf.get_mut(..len).ok_or(Error::Truncated)?;
        out[field::RECORD_TYPE] = self.record_type.into();
        out[field::RECORD_AUX_LEN] = aux_words;
        NetworkEndian::write_u16(&mut out[field::RECORD_NUM_SOURCES], num_sources);
        out[field::RECORD_GROUP].copy_from_slice(&self.group_addr.octets());
        let src_end = RECORD_HEADER_LEN + self.sources.as_bytes().len();
        out[RECORD_HEADER_LEN..src_end].copy_from_slice(self.sources.as_bytes());
        out[src_end..].copy_from_slice(self.aux_data);
        Ok(len)
    }
}

/// A bounds-checked walk over `count` group records.
///
/// Yields `Err(Truncated)` once if a record runs past the bytes, then stops.
#[derive(Debug, Clone)]
pub struct IgmpGroupRecordIter<'a> {
    rest: &'a [u8],
    remaining: u16,
}

impl<'a> IgmpGroupRecordIter<'a> {
    /// Walks `count` records at the start of `bytes`.
    pub const fn new(bytes: &'a [u8], count: u16) -> IgmpGroupRecordIter<'a> {
        IgmpGroupRecordIter {
            rest: bytes,
            remaining: count,
        }
    }

    /// The bytes after the records walked so far.
    pub const fn rest(&self) -> &'a [u8] {
        self.rest
    }

    fn parse_one(&mut self) -> Result<IgmpGroupRecord<'a>> {
        let header = self.rest.get(..RECORD_HEADER_LEN).ok_or(Error::Truncated)?;
        // RFC 3376 §4.2.6/§4.2.7: aux data length counts 32-bit words,
        // number of sources counts addresses. Both are small enough that the
        // sum cannot overflow a usize.
        let aux_len = usize::from(header[field::RECORD_AUX_LEN]) * 4;
        let src_len = usize::from(NetworkEndian::read_u16(&header[field::RECORD_NUM_SOURCES])) * 4;
        let total = RECORD_HEADER_LEN + src_len + aux_len;
        let (record, rest) = self.rest.split_at_checked(total).ok_or(Error::Truncated)?;
        let sources = record
            .get(RECORD_HEADER_LEN..RECORD_HEADER_LEN + src_len)
            .ok_or(Error::Truncated)?;
        let aux_data = record
            .get(RECORD_HEADER_LEN + src_len..)
            .ok_or(Error::Truncated)?;
        self.rest = rest;
        Ok(IgmpGroupRecord {
            record_type: IgmpRecordType::from(header[field::RECORD_TYPE]),
            aux_data,
            group_addr: addr_at(header, field::RECORD_GROUP),
            sources: IgmpSources { bytes: sources },
        })
    }
}

impl<'a> Iterator for IgmpGroupRecordIter<'a> {
    type Item = Result<IgmpGroupRecord<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        match self.parse_one() {
            Ok(record) => {
                self.remaining -= 1;
                Some(Ok(record))
            }
            Err(e) => {
                self.remaining = 0;
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

impl core::iter::FusedIterator for IgmpGroupRecordIter<'_> {}

/// A validated run of group records, kept as the bytes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct IgmpGroupRecords<'a> {
    bytes: &'a [u8],
    count: u16,
}

impl<'a> IgmpGroupRecords<'a> {
    /// Checks that `count` whole records start `bytes`, and keeps exactly
    /// their bytes (anything after them is dropped).
    pub fn new(bytes: &'a [u8], count: u16) -> Result<IgmpGroupRecords<'a>> {
        let mut iter = IgmpGroupRecordIter::new(bytes, count);
        for record in iter.by_ref() {
            record?;
        }
        let used = bytes.len() - iter.rest().len();
        Ok(IgmpGroupRecords {
            bytes: bytes.get(..used).unwrap_or(&[]),
            count,
        })
    }

    /// The number of records.
    pub const fn len(&self) -> u16 {
        self.count
    }

    /// True when there are no records.
    pub const fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The raw bytes of the records.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Walks the records (they were validated, so no item is an error).
    pub const fn iter(&self) -> IgmpGroupRecordIter<'a> {
        IgmpGroupRecordIter::new(self.bytes, self.count)
    }
}

/// A read/write view of an IGMP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgmpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> IgmpPacket<T> {
    /// Wraps a buffer without checking it; accessors may panic on a short one.
    pub const fn new_unchecked(buffer: T) -> IgmpPacket<T> {
        IgmpPacket { buffer }
    }

    /// Wraps a buffer after [`check_len`](Self::check_len) has accepted it.
    pub fn new_checked(buffer: T) -> Result<IgmpPacket<T>> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks every length the accessors rely on.
    ///
    /// Every message has 8 bytes. A query longer than 8 bytes is a v3 query
    /// and needs 12 plus its source list (RFC 3376 §7.1: 9 to 11 bytes is
    /// neither, and is malformed). A v3 report must hold all its records.
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        match self.msg_type() {
            IgmpMessage::MembershipQuery if len > HEADER_LEN => {
                if len < QUERY_V3_HEADER_LEN {
                    return Err(Error::Malformed("igmp query length"));
                }
                let needed = QUERY_V3_HEADER_LEN + usize::from(self.num_sources()) * 4;
                if needed > len {
                    return Err(Error::Truncated);
                }
            }
            IgmpMessage::MembershipReportV3 => {
                IgmpGroupRecords::new(self.records_bytes(), self.num_group_records())?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The message type.
    pub fn msg_type(&self) -> IgmpMessage {
        IgmpMessage::from(self.buffer.as_ref()[field::TYPE])
    }

    /// The Max Response Time (v2, tenths of a second) or Max Resp Code (v3,
    /// see [`decode_time_code`]); unused in reports.
    pub fn max_resp_code(&self) -> u8 {
        self.buffer.as_ref()[field::MAX_RESP_CODE]
    }

    /// The checksum field.
    pub fn checksum(&self) -> u16 {
        NetworkEndian::read_u16(&self.buffer.as_ref()[field::CHECKSUM])
    }

    /// The group address of a query, v1/v2 report or leave (zero in a
    /// general query).
    pub fn group_addr(&self) -> Ipv4Addr {
        addr_at(self.buffer.as_ref(), field::GROUP_ADDR)
    }

    /// True for a query in the v3 format (12 bytes or more).
    pub fn is_v3_query(&self) -> bool {
        self.msg_type() == IgmpMessage::MembershipQuery
            && self.buffer.as_ref().len() >= QUERY_V3_HEADER_LEN
    }

    fn v3_byte(&self, index: usize) -> u8 {
        self.buffer.as_ref().get(index).copied().unwrap_or(0)
    }

    /// The S flag of a v3 query: suppress router-side processing (RFC 3376 §4.1.5).
    /// False when the message is too short to have it.
    pub fn s_flag(&self) -> bool {
        self.v3_byte(field::S_QRV) & S_FLAG != 0
    }

    /// The Querier's Robustness Variable of a v3 query (RFC 3376 §4.1.6).
    pub fn qrv(&self) -> u8 {
        self.v3_byte(field::S_QRV) & QRV_MASK
    }

    /// The Querier's Query Interval Code of a v3 query (RFC 3376 §4.1.7).
    pub fn qqic(&self) -> u8 {
        self.v3_byte(field::QQIC)
    }

    /// The number of sources of a v3 query (zero when too short to have it).
    pub fn num_sources(&self) -> u16 {
        self.buffer
            .as_ref()
            .get(field::NUM_SOURCES)
            .map_or(0, NetworkEndian::read_u16)
    }

    /// The source list of a v3 query, clamped to the buffer.
    pub fn sources(&self) -> IgmpSources<'_> {
        let data = self.buffer.as_ref();
        let want = usize::from(self.num_sources()) * 4;
        let rest = data.get(field::SOURCES).unwrap_or(&[]);
        let bytes = rest.get(..want).unwrap_or(&rest[..rest.len() / 4 * 4]);
        IgmpSources { bytes }
    }

    /// The number of group records of a v3 report.
    pub fn num_group_records(&self) -> u16 {
        NetworkEndian::read_u16(&self.buffer.as_ref()[field::NUM_RECORDS])
    }

    fn records_bytes(&self) -> &[u8] {
        self.buffer.as_ref().get(field::RECORDS).unwrap_or(&[])
    }

    /// Walks the group records of a v3 report.
    pub fn group_records(&self) -> IgmpGroupRecordIter<'_> {
        IgmpGroupRecordIter::new(self.records_bytes(), self.num_group_records())
    }

    /// True when the checksum over the whole message verifies (RFC 2236 §2.3,
    /// RFC 3376 §4.1.2).
    pub fn verify_checksum(&self) -> bool {
        checksum::sum(self.buffer.as_ref()) == 0xffff
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> IgmpPacket<T> {
    /// Sets the message type.
    pub fn set_msg_type(&mut self, value: IgmpMessage) {
        self.buffer.as_mut()[field::TYPE] = value.into()
    }

    /// Sets the Max Resp Code byte.
    pub fn set_max_resp_code(&mut self, value: u8) {
        self.buffer.as_mut()[field::MAX_RESP_CODE] = value
    }

    /// Sets the checksum field to a given value.
    pub fn set_checksum(&mut self, value: u16) {
        NetworkEndian::write_u16(&mut self.buffer.as_mut()[field::CHECKSUM], value)
    }

    /// Sets the group address.
    pub fn set_group_addr(&mut self, value: Ipv4Addr) {
        self.buffer.as_mut()[field::GROUP_ADDR].copy_from_slice(&value.octets())
    }

    /// Sets the S flag and QRV of a v3 query (the reserved bits become zero).
    pub fn set_s_qrv(&mut self, s_flag: bool, qrv: u8) {
        let s = if s_flag { S_FLAG } else { 0 };
        self.buffer.as_mut()[field::S_QRV] = s | (qrv & QRV_MASK);
    }

    /// Sets the QQIC of a v3 query.
    pub fn set_qqic(&mut self, value: u8) {
        self.buffer.as_mut()[field::QQIC] = value
    }

    /// Sets the number of sources of a v3 query.
    pub fn set_num_sources(&mut self, value: u16) {
        NetworkEndian::write_u16(&mut self.buffer.as_mut()[field::NUM_SOURCES], value)
    }

    /// Sets the two reserved bytes of a v3 report.
    pub fn set_report_reserved(&mut self, value: u16) {
        NetworkEndian::write_u16(&mut self.buffer.as_mut()[field::REPORT_RESERVED], value)
    }

    /// Sets the number of group records of a v3 report.
    pub fn set_num_group_records(&mut self, value: u16) {
        NetworkEndian::write_u16(&mut self.buffer.as_mut()[field::NUM_RECORDS], value)
    }

    /// Computes the checksum over the whole buffer and stores it.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let sum = checksum::sum(self.buffer.as_ref());
        self.set_checksum(checksum::finish(sum));
    }
}

impl<T: AsRef<[u8]>> AsRef<[u8]> for IgmpPacket<T> {
    fn as_ref(&self) -> &[u8] {
        self.buffer.as_ref()
    }
}

/// The high-level form of an IGMP message.
///
/// Fields a version leaves unused (Max Resp Code of reports, reserved bits)
/// are not carried: parse ignores them and emit writes zeros. Bytes after the
/// end of a v1/v2 message are ignored (RFC 2236 §2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum IgmpRepr<'a> {
    /// An 8-byte v1 or v2 query (v1 when `max_resp_code` is zero, RFC 2236 §4).
    MembershipQuery {
        /// Max Response Time in tenths of a second.
        max_resp_code: u8,
        /// The group, or 0.0.0.0 for a general query.
        group_addr: Ipv4Addr,
    },
    /// A v3 query (RFC 3376 §4.1).
    MembershipQueryV3 {
        /// Max Resp Code (see [`decode_time_code`]).
        max_resp_code: u8,
        /// The group, or 0.0.0.0 for a general query.
        group_addr: Ipv4Addr,
        /// Suppress Router-Side Processing.
        s_flag: bool,
        /// Querier's Robustness Variable (three bits).
        qrv: u8,
        /// Querier's Query Interval Code.
        qqic: u8,
        /// Sources of a group-and-source-specific query.
        sources: IgmpSources<'a>,
    },
    /// A v1 report (RFC 1112).
    MembershipReportV1 {
        /// The group joined.
        group_addr: Ipv4Addr,
    },
    /// A v2 report (RFC 2236).
    MembershipReportV2 {
        /// The group joined.
        group_addr: Ipv4Addr,
    },
    /// A v2 Leave Group (RFC 2236).
    LeaveGroup {
        /// The group left.
        group_addr: Ipv4Addr,
    },
    /// A v3 report (RFC 3376 §4.2).
    MembershipReportV3 {
        /// The group records.
        records: IgmpGroupRecords<'a>,
    },
}

impl<'a> IgmpRepr<'a> {
    /// Parses and validates a message: lengths, checksum (unless `Skip`) and
    /// the group records of a v3 report. Other types give `Unsupported`.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &IgmpPacket<&'a T>,
        checksum: ChecksumMode,
    ) -> Result<IgmpRepr<'a>> {
        packet.check_len()?;
        if checksum.is_check() && !packet.verify_checksum() {
            return Err(Error::Checksum);
        }
        let data: &'a [u8] = packet.buffer.as_ref();
        let group_addr = packet.group_addr();
        let repr = match packet.msg_type() {
            IgmpMessage::MembershipQuery if packet.is_v3_query() => {
                let want = usize::from(packet.num_sources()) * 4;
                let sources = data
                    .get(field::SOURCES)
                    .and_then(|rest| rest.get(..want))
                    .ok_or(Error::Truncated)?;
                IgmpRepr::MembershipQueryV3 {
                    max_resp_code: packet.max_resp_code(),
                    group_addr,
                    s_flag: packet.s_flag(),
                    qrv: packet.qrv(),
                    qqic: packet.qqic(),
                    sources: IgmpSources { bytes: sources },
                }
            }
            IgmpMessage::MembershipQuery => IgmpRepr::MembershipQuery {
                max_resp_code: packet.max_resp_code(),
                group_addr,
            },
            IgmpMessage::MembershipReportV1 => IgmpRepr::MembershipReportV1 { group_addr },
            IgmpMessage::MembershipReportV2 => IgmpRepr::MembershipReportV2 { group_addr },
            IgmpMessage::LeaveGroup => IgmpRepr::LeaveGroup { group_addr },
            IgmpMessage::MembershipReportV3 => {
                let records = data.get(field::RECORDS).unwrap_or(&[]);
                IgmpRepr::MembershipReportV3 {
                    records: IgmpGroupRecords::new(records, packet.num_group_records())?,
                }
            }
            IgmpMessage::Unknown(_) => return Err(Error::Unsupported("igmp message type")),
        };
        Ok(repr)
    }

    /// The length of the message `emit` writes.
    pub const fn buffer_len(&self) -> usize {
        match self {
            IgmpRepr::MembershipQueryV3 { sources, .. } => {
                QUERY_V3_HEADER_LEN + sources.as_bytes().len()
            }
            IgmpRepr::MembershipReportV3 { records } => HEADER_LEN + records.as_bytes().len(),
            _ => HEADER_LEN,
        }
    }

    /// Writes the message into `packet`, whose buffer must be exactly
    /// [`buffer_len`](Self::buffer_len) bytes (the checksum covers all of it).
    ///
    /// A source list longer than 65535 addresses is cut to 65535 in the
    /// count field. The checksum is computed when `checksum` is `Check` and
    /// left alone otherwise.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        packet: &mut IgmpPacket<T>,
        checksum: ChecksumMode,
    ) {
        match *self {
            IgmpRepr::MembershipQuery {
                max_resp_code,
                group_addr,
            } => {
                packet.set_msg_type(IgmpMessage::MembershipQuery);
                packet.set_max_resp_code(max_resp_code);
                packet.set_group_addr(group_addr);
            }
            IgmpRepr::MembershipQueryV3 {
                max_resp_code,
                group_addr,
                s_flag,
                qrv,
                qqic,
                sources,
            } => {
                packet.set_msg_type(IgmpMessage::MembershipQuery);
                packet.set_max_resp_code(max_resp_code);
                packet.set_group_addr(group_addr);
                packet.set_s_qrv(s_flag, qrv);
                packet.set_qqic(qqic);
                packet.set_num_sources(u16::try_from(sources.len()).unwrap_or(u16::MAX));
                let bytes = sources.as_bytes();
                packet.buffer.as_mut()[QUERY_V3_HEADER_LEN..QUERY_V3_HEADER_LEN + bytes.len()]
                    .copy_from_slice(bytes);
            }
            IgmpRepr::MembershipReportV1 { group_addr } => {
                packet.set_msg_type(IgmpMessage::MembershipReportV1);
                packet.set_max_resp_code(0);
                packet.set_group_addr(group_addr);
            }
            IgmpRepr::MembershipReportV2 { group_addr } => {
                packet.set_msg_type(IgmpMessage::MembershipReportV2);
                packet.set_max_resp_code(0);
                packet.set_group_addr(group_addr);
            }
            IgmpRepr::LeaveGroup { group_addr } => {
                packet.set_msg_type(IgmpMessage::LeaveGroup);
                packet.set_max_resp_code(0);
                packet.set_group_addr(group_addr);
            }
            IgmpRepr::MembershipReportV3 { records } => {
                packet.set_msg_type(IgmpMessage::MembershipReportV3);
                packet.set_max_resp_code(0);
                packet.set_report_reserved(0);
                packet.set_num_group_records(records.len());
                let bytes = records.as_bytes();
                packet.buffer.as_mut()[HEADER_LEN..HEADER_LEN + bytes.len()].copy_from_slice(bytes);
            }
        }
        if checksum.is_check() {
            packet.fill_checksum();
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;
    use std::vec::Vec;

    // IGMP_V2.pcap frame 1: v2 general query, max resp 10 s.
    const V2_QUERY: [u8; 8] = [0x11, 0x64, 0xee, 0x9b, 0x00, 0x00, 0x00, 0x00];
    // IGMP_V2.pcap frame 2: v2 report for 239.255.255.250.
    const V2_REPORT: [u8; 8] = [0x16, 0x00, 0xfa, 0x04, 0xef, 0xff, 0xff, 0xfa];
    // IGMP_V2.pcap frame 5: leave 225.1.1.3.
    const V2_LEAVE: [u8; 8] = [0x17, 0x00, 0x06, 0xfb, 0xe1, 0x01, 0x01, 0x03];
    // IGMP_V1.pcap frame 2: v1 report for 224.0.0.252.
    const V1_REPORT: [u8; 8] = [0x12, 0x00, 0x0d, 0x03, 0xe0, 0x00, 0x00, 0xfc];
    // IGMP_V1.pcap frame 1: v1 query (max resp 0).
    const V1_QUERY: [u8; 8] = [0x11, 0x00, 0xee, 0xff, 0x00, 0x00, 0x00, 0x00];
    // igmpv3-queries.pcap frame 1: v3 general query, QRV 2, QQIC 125.
    const V3_QUERY: [u8; 12] = [
        0x11, 0x64, 0xec, 0x1e, 0x00, 0x00, 0x00, 0x00, 0x02, 0x7d, 0x00, 0x00,
    ];
    // eapon1.pcap frame 44: v3 report, one CHANGE_TO_EXCLUDE record for
    // 239.255.255.250 with no sources (a join "for any source").
    const V3_REPORT: [u8; 16] = [
        0x22, 0x00, 0xea, 0x03, 0x00, 0x00, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0xef, 0xff, 0xff,
        0xfa,
    ];

    // Hand-built v3 report (RFC 3376 §4.2): two records, the first with two
    // sources and one word of aux data, the second with none.
    const V3_REPORT_SOURCES: [u8; 36] = [
        0x22, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, // header, checksum filled by test
        0x05, 0x01, 0x00, 0x02, 0xe8, 0x01, 0x02,
        0x03, // ALLOW, aux 1 word, 2 sources, 232.1.2.3
        0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02, // 10.0.0.1, 10.0.0.2
        0xde, 0xad, 0xbe, 0xef, // aux data
        0x01, 0x00, 0x00, 0x00, 0xef, 0x00, 0x00, 0x07, // IS_IN, 239.0.0.7
    ];

    fn with_checksum(bytes: &[u8]) -> Vec<u8> {
        let mut v = bytes.to_vec();
        IgmpPacket::new_unchecked(&mut v[..]).fill_checksum();
        v
    }

    fn emit_to_vec(repr: &IgmpRepr) -> Vec<u8> {
        let mut buf = vec![0xa5u8; repr.buffer_len()];
        repr.emit(
            &mut IgmpPacket::new_unchecked(&mut buf[..]),
            ChecksumMode::Check,
        );
        buf
    }

    fn parse(bytes: &[u8]) -> Result<IgmpRepr<'_>> {
        IgmpRepr::parse(&IgmpPacket::new_checked(bytes)?, ChecksumMode::Check)
    }

    fn assert_round_trip(repr: &IgmpRepr) {
        let buf = emit_to_vec(repr);
        assert_eq!(parse(&buf).as_ref(), Ok(repr));
    }

    #[test]
    fn real_v1_v2_messages() {
        let p = IgmpPacket::new_checked(&V2_QUERY[..]).unwrap();
        assert_eq!(p.msg_type(), IgmpMessage::MembershipQuery);
        assert_eq!(p.max_resp_code(), 100);
        assert_eq!(decode_time_code(p.max_resp_code()), 100);
        assert_eq!(p.checksum(), 0xee9b);
        assert!(p.verify_checksum());
        assert_eq!(p.group_addr(), Ipv4Addr::UNSPECIFIED);
        assert!(!p.is_v3_query());
        assert_eq!(
            (p.s_flag(), p.qrv(), p.qqic(), p.num_sources()),
            (false, 0, 0, 0)
        );
        assert!(p.sources().is_empty());

        let cases: [(&[u8], IgmpRepr); 5] = [
            (
                &V2_QUERY,
                IgmpRepr::MembershipQuery {
                    max_resp_code: 100,
                    group_addr: Ipv4Addr::UNSPECIFIED,
                },
            ),
            (
                &V1_QUERY,
                IgmpRepr::MembershipQuery {
                    max_resp_code: 0,
                    group_addr: Ipv4Addr::UNSPECIFIED,
                },
            ),
            (
                &V2_REPORT,
                IgmpRepr::MembershipReportV2 {
                    group_addr: Ipv4Addr::new(239, 255, 255, 250),
                },
            ),
            (
                &V2_LEAVE,
                IgmpRepr::LeaveGroup {
                    group_addr: Ipv4Addr::new(225, 1, 1, 3),
                },
            ),
            (
                &V1_REPORT,
                IgmpRepr::MembershipReportV1 {
                    group_addr: Ipv4Addr::new(224, 0, 0, 252),
                },
            ),
        ];
        for (bytes, expected) in cases {
            assert!(IgmpPacket::new_checked(bytes).unwrap().verify_checksum());
            assert_eq!(parse(bytes), Ok(expected));
            assert_eq!(expected.buffer_len(), 8);
            assert_eq!(emit_to_vec(&expected), bytes);
        }
        let p = IgmpPacket::new_checked(&V2_LEAVE[..]).unwrap();
        assert_eq!(p.msg_type(), IgmpMessage::LeaveGroup);
        assert_eq!(p.checksum(), 0x06fb);
        assert_eq!(p.group_addr(), Ipv4Addr::new(225, 1, 1, 3));
    }

    #[test]
    fn real_v3_query() {
        let p = IgmpPacket::new_checked(&V3_QUERY[..]).unwrap();
        assert_eq!(p.msg_type(), IgmpMessage::MembershipQuery);
        assert!(p.is_v3_query());
        assert_eq!(p.max_resp_code(), 100);
        assert_eq!(p.checksum(), 0xec1e);
        assert!(p.verify_checksum());
        assert_eq!(p.group_addr(), Ipv4Addr::UNSPECIFIED);
        assert!(!p.s_flag());
        assert_eq!(p.qrv(), 2);
        assert_eq!(p.qqic(), 125);
        assert_eq!(p.num_sources(), 0);
        let repr = parse(&V3_QUERY).unwrap();
        assert_eq!(
            repr,
            IgmpRepr::MembershipQueryV3 {
                max_resp_code: 100,
                group_addr: Ipv4Addr::UNSPECIFIED,
                s_flag: false,
                qrv: 2,
                qqic: 125,
                sources: IgmpSources::default(),
            }
        );
        assert_eq!(emit_to_vec(&repr), V3_QUERY);
    }

    #[test]
    fn v3_query_with_sources() {
        let src = [10, 0, 0, 1, 10, 0, 0, 2];
        let repr = IgmpRepr::MembershipQueryV3 {
            max_resp_code: 0x8f,
            group_addr: Ipv4Addr::new(232, 1, 2, 3),
            s_flag: true,
            qrv: 7,
            qqic: 0xff,
            sources: IgmpSources::new(&src).unwrap(),
        };
        let buf = emit_to_vec(&repr);
        assert_eq!(buf.len(), 20);
        assert_eq!(&buf[8..12], &[0x0f, 0xff, 0x00, 0x02]);
        assert_eq!(&buf[12..], &src);
        let p = IgmpPacket::new_checked(&buf[..]).unwrap();
        assert!(p.s_flag());
        let addrs: Vec<_> = p.sources().iter().collect();
        assert_eq!(
            addrs,
            [Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2)]
        );
        assert_round_trip(&repr);
        // RFC 3376 §4.1.1 float: 0x8f = exp 0, mant 15 → 31 << 3 = 248.
        assert_eq!(decode_time_code(0x8f), 248);
        assert_eq!(decode_time_code(0xff), 31744);
        assert_eq!(decode_time_code(127), 127);
        assert_eq!(decode_time_code(128), 128);
    }

    #[test]
    fn real_v3_report() {
        let p = IgmpPacket::new_checked(&V3_REPORT[..]).unwrap();
        assert_eq!(p.msg_type(), IgmpMessage::MembershipReportV3);
        assert_eq!(p.checksum(), 0xea03);
        assert!(p.verify_checksum());
        assert_eq!(p.num_group_records(), 1);
        let records: Vec<_> = p.group_records().collect();
        assert_eq!(
            records,
            [Ok(IgmpGroupRecord {
                record_type: IgmpRecordType::ChangeToExclude,
                aux_data: &[],
                group_addr: Ipv4Addr::new(239, 255, 255, 250),
                sources: IgmpSources::default(),
            })]
        );
        let repr = parse(&V3_REPORT).unwrap();
        let IgmpRepr::MembershipReportV3 { records } = repr else {
            panic!("not a v3 report: {repr:?}");
        };
        assert_eq!(records.len(), 1);
        assert_eq!(records.as_bytes(), &V3_REPORT[8..]);
        assert_eq!(emit_to_vec(&repr), V3_REPORT);
    }

    #[test]
    fn v3_report_with_sources_and_aux() {
        let bytes = with_checksum(&V3_REPORT_SOURCES);
        let p = IgmpPacket::new_checked(&bytes[..]).unwrap();
        let records: Vec<_> = p.group_records().map(|r| r.unwrap()).collect();
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].record_type, IgmpRecordType::AllowNewSources);
        assert_eq!(records[0].group_addr, Ipv4Addr::new(232, 1, 2, 3));
        assert_eq!(
            records[0].sources.iter().collect::<Vec<_>>(),
            [Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::new(10, 0, 0, 2)]
        );
        assert_eq!(records[0].aux_data, &[0xde, 0xad, 0xbe, 0xef]);
        assert_eq!(records[1].record_type, IgmpRecordType::ModeIsInclude);
        assert_eq!(records[1].group_addr, Ipv4Addr::new(239, 0, 0, 7));
        assert!(records[1].sources.is_empty());
        let repr = parse(&bytes).unwrap();
        assert_eq!(emit_to_vec(&repr), bytes);
        assert_round_trip(&repr);

        // Records built with IgmpGroupRecord::emit give the same bytes.
        let mut scratch = [0u8; 28];
        let n0 = records[0].emit(&mut scratch).unwrap();
        let n1 = records[1].emit(&mut scratch[n0..]).unwrap();
        assert_eq!(n0 + n1, 28);
        assert_eq!(&scratch[..], &V3_REPORT_SOURCES[8..]);
        assert_eq!(records[0].emit(&mut [0u8; 19]), Err(Error::Truncated));
        let odd_aux = IgmpGroupRecord {
            aux_data: &[1, 2, 3],
            ..records[1]
        };
        assert_eq!(
            odd_aux.emit(&mut scratch),
            Err(Error::Malformed("igmp aux data length"))
        );
        assert_eq!(
            IgmpSources::new(&[1, 2, 3]),
            Err(Error::Malformed("igmp source list length"))
        );
    }

    #[test]
    fn trailing_bytes_are_ignored() {
        // RFC 2236 §2.5: a longer v2 message is accepted, the extra ignored.
        let mut long = V2_REPORT.to_vec();
        long.extend_from_slice(&[0, 0, 0, 0]);
        let long = with_checksum(&long);
        let repr = parse(&long).unwrap();
        assert_eq!(
            repr,
            IgmpRepr::MembershipReportV2 {
                group_addr: Ipv4Addr::new(239, 255, 255, 250)
            }
        );
        assert_round_trip(&repr);
        // Bytes after the last v3 record are not part of the records.
        let mut long = V3_REPORT.to_vec();
        long.extend_from_slice(&[9, 9, 9, 9]);
        let long = with_checksum(&long);
        let IgmpRepr::MembershipReportV3 { records } = parse(&long).unwrap() else {
            panic!("not a v3 report")
        };
        assert_eq!(records.as_bytes(), &V3_REPORT[8..]);
    }

    #[test]
    fn errors() {
        for len in 0..8 {
            assert_eq!(
                IgmpPacket::new_checked(&V2_QUERY[..len]).err(),
                Some(Error::Truncated)
            );
        }
        // 9..=11-byte queries are neither v2 nor v3 (RFC 3376 §7.1).
        for len in 9..12 {
            assert_eq!(
                IgmpPacket::new_checked(&V3_QUERY[..len]).err(),
                Some(Error::Malformed("igmp query length"))
            );
        }
        // A v3 query whose source count runs past the end.
        let mut q = V3_QUERY;
        q[11] = 1;
        assert_eq!(
            IgmpPacket::new_checked(&q[..]).err(),
            Some(Error::Truncated)
        );
        // Every truncation of a v3 report inside its records.
        let full = with_checksum(&V3_REPORT_SOURCES);
        for len in 8..full.len() {
            assert_eq!(
                IgmpPacket::new_checked(&full[..len]).err(),
                Some(Error::Truncated),
                "len {len}"
            );
        }
        // Bad record counts and lengths.
        for (index, value) in [(7usize, 3u8), (11, 3), (9, 2), (10, 0xff)] {
            let mut bad = full.clone();
            bad[index] = value;
            assert_eq!(
                IgmpPacket::new_checked(&bad[..]).err(),
                Some(Error::Truncated),
                "byte {index} = {value}"
            );
            let p = IgmpPacket::new_unchecked(&bad[..]);
            assert_eq!(p.group_records().last(), Some(Err(Error::Truncated)));
        }
        // Bad checksum, and Skip.
        let mut bad = V2_REPORT;
        bad[4] ^= 1;
        let p = IgmpPacket::new_checked(&bad[..]).unwrap();
        assert!(!p.verify_checksum());
        assert_eq!(parse(&bad), Err(Error::Checksum));
        assert!(IgmpRepr::parse(&p, ChecksumMode::Skip).is_ok());
        // Unknown type (mtrace 0x1f, DVMRP 0x13).
        for t in [0x1f, 0x13] {
            let mut m = V2_REPORT;
            m[0] = t;
            assert_eq!(
                parse(&with_checksum(&m)),
                Err(Error::Unsupported("igmp message type"))
            );
        }
    }

    #[test]
    fn never_panics() {
        let with_src = with_checksum(&V3_REPORT_SOURCES);
        let samples: [&[u8]; 5] = [&V2_QUERY, &V2_LEAVE, &V3_QUERY, &V3_REPORT, &with_src];
        let check = |bytes: &[u8]| {
            let p = IgmpPacket::new_unchecked(bytes);
            if bytes.len() >= 8 {
                // The walk is bounds-checked even without check_len.
                let _ = p.group_records().count();
                let _ = p.sources().iter().count();
            }
            if let Ok(p) = IgmpPacket::new_checked(bytes) {
                let _ = (p.s_flag(), p.qrv(), p.qqic(), p.verify_checksum());
                if p.msg_type() == IgmpMessage::MembershipReportV3 {
                    assert!(p.group_records().all(|r| r.is_ok()));
                }
                for mode in [ChecksumMode::Check, ChecksumMode::Skip] {
                    if let Ok(repr) = IgmpRepr::parse(&p, mode) {
                        assert_round_trip(&repr);
                    }
                }
            }
        };
        for sample in samples {
            for len in 0..=sample.len() {
                check(&sample[..len]);
            }
            for i in 0..sample.len() {
                for f in [|b: u8| b ^ 0xff, |_| 0x00, |b: u8| b ^ 0x01] {
                    let mut m = sample.to_vec();
                    m[i] = f(m[i]);
                    check(&m);
                }
            }
        }
    }
}
