//! Multicast Listener Discovery: MLDv1 (RFC 2710) and MLDv2 (RFC 3810).
//!
//! MLD messages are ICMPv6 messages, so the view is [`Icmpv6Packet`]; this
//! file adds the MLD accessors to it, a bounds-checked view of the MLDv2
//! multicast address records ([`MldAddressRecord`], [`MldRecordIter`]) and
//! [`MldRepr`]. Source lists and records stay borrowed bytes (zero copy);
//! iterate over them with [`Ipv6AddrIter`] and [`MldRecordIter`].
//!
//! The checks that need the IP header (link-local source, hop limit 1, the
//! Router Alert option, RFC 3810 §5.1.14, §5.2.13) belong to the interface.

use super::access::{
    get_addr, get_u16, get_u8, set_addr, set_bytes, set_u16, set_u8, Ipv6AddrIter,
};
use super::message::Icmpv6Message;
use super::packet::Icmpv6Packet;
use crate::wire::ip::enum_with_unknown;
use crate::wire::{Error, Ipv6Addr, Result};

enum_with_unknown! {
    /// MLDv2 multicast address record type (RFC 3810 §5.2.12).
    pub enum MldRecordType(u8) {
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

/// Byte ranges of the MLD messages, offsets from the start of the ICMPv6
/// message (RFC 2710 §3, RFC 3810 §5.1, §5.2), and of one address record.
mod field {
    use crate::wire::Field;

    // Query (v1 and v2), v1 Report and Done.
    pub const MAX_RESP_CODE: Field = 4..6;
    pub const MCAST_ADDR: Field = 8..24;
    // v2 Query (RFC 3810 §5.1): Resv(4) S(1) QRV(3), QQIC, N, sources.
    pub const SQRV: usize = 24;
    pub const QQIC: usize = 25;
    pub const NUM_SOURCES: Field = 26..28;
    pub const QUERY_SOURCES: usize = 28;
    // v2 Report (RFC 3810 §5.2): reserved, M, records.
    pub const NUM_RECORDS: Field = 6..8;
    pub const RECORDS: usize = 8;

    // Address record (RFC 3810 §5.2.4-§5.2.8).
    pub const REC_TYPE: usize = 0;
    pub const REC_AUX_LEN: usize = 1;
    pub const REC_NUM_SOURCES: Field = 2..4;
    pub const REC_MCAST_ADDR: Field = 4..20;
    pub const REC_SOURCES: usize = 20;
}

pub use super::packet::{mld_fixed_len as fixed_len, MLDV1_LEN, REPORT_V2_LEN};

/// Length of the fixed part of an MLDv2 Query (RFC 3810 §5.1).
pub const QUERY_V2_LEN: usize = 28;
/// Length of the fixed part of an address record (RFC 3810 §5.2).
pub const RECORD_LEN: usize = 20;

const S_FLAG: u8 = 0x08;
const QRV_MASK: u8 = 0x07;

/// How many whole 16-byte addresses `bytes` holds, capped at what a 16-bit
/// count can say, and the length they span.
fn source_span(bytes: &[u8]) -> (u16, usize) {
    let n = u16::try_from(bytes.len() / 16).unwrap_or(u16::MAX);
    (n, usize::from(n) * 16)
}

/// MLD accessors on the ICMPv6 view. `Icmpv6Packet::check_len` guarantees
/// the 24-byte (Query, v1) or 8-byte (v2 Report) fixed part; the v2 Query
/// fields beyond it read as zero on a shorter buffer.
impl<T: AsRef<[u8]>> Icmpv6Packet<T> {
    /// Maximum Response Code of a Query (RFC 3810 §5.1.3; in MLDv1 the
    /// Maximum Response Delay in milliseconds, RFC 2710 §3.4).
    pub fn max_resp_code(&self) -> u16 {
        get_u16(self.as_ref(), field::MAX_RESP_CODE)
    }

    /// Multicast Address of a Query, v1 Report or Done.
    pub fn mcast_addr(&self) -> Ipv6Addr {
        get_addr(self.as_ref(), field::MCAST_ADDR)
    }

    /// S flag of a v2 Query: suppress router-side processing (RFC 3810 §5.1.7).
    pub fn query_s_flag(&self) -> bool {
        get_u8(self.as_ref(), field::SQRV) & S_FLAG != 0
    }

    /// Querier's Robustness Variable of a v2 Query (RFC 3810 §5.1.8).
    pub fn query_qrv(&self) -> u8 {
        get_u8(self.as_ref(), field::SQRV) & QRV_MASK
    }

    /// Querier's Query Interval Code of a v2 Query (RFC 3810 §5.1.9).
    pub fn query_qqic(&self) -> u8 {
        get_u8(self.as_ref(), field::QQIC)
    }

    /// Number of Sources of a v2 Query (RFC 3810 §5.1.10).
    pub fn query_num_sources(&self) -> u16 {
        get_u16(self.as_ref(), field::NUM_SOURCES)
    }

    /// The source addresses of a v2 Query, as far as the buffer holds them.
    pub fn query_sources(&self) -> &[u8] {
        let rest = self.as_ref().get(field::QUERY_SOURCES..).unwrap_or(&[]);
        let want = usize::from(self.query_num_sources()) * 16;
        rest.get(..want).unwrap_or(rest)
    }

    /// Number of Multicast Address Records of a v2 Report (RFC 3810 §5.2.3).
    pub fn report_num_records(&self) -> u16 {
        get_u16(self.as_ref(), field::NUM_RECORDS)
    }

    /// The bytes after the v2 Report header: the address records.
    pub fn report_records(&self) -> &[u8] {
        self.as_ref().get(field::RECORDS..).unwrap_or(&[])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Icmpv6Packet<T> {
    /// Sets the Maximum Response Code (Delay in MLDv1).
    pub fn set_max_resp_code(&mut self, value: u16) {
        set_u16(self.as_mut(), field::MAX_RESP_CODE, value);
    }

    /// Sets the Multicast Address.
    pub fn set_mcast_addr(&mut self, value: &Ipv6Addr) {
        set_addr(self.as_mut(), field::MCAST_ADDR, value);
    }

    /// Sets the S flag and QRV of a v2 Query (the reserved bits to zero).
    pub fn set_query_s_qrv(&mut self, s_flag: bool, qrv: u8) {
        let s = if s_flag { S_FLAG } else { 0 };
        set_u8(self.as_mut(), field::SQRV, s | (qrv & QRV_MASK));
    }

    /// Sets the QQIC of a v2 Query.
    pub fn set_query_qqic(&mut self, value: u8) {
        set_u8(self.as_mut(), field::QQIC, value);
    }

    /// Sets the Number of Sources of a v2 Query.
    pub fn set_query_num_sources(&mut self, value: u16) {
        set_u16(self.as_mut(), field::NUM_SOURCES, value);
    }

    /// Sets the Number of Multicast Address Records of a v2 Report.
    pub fn set_report_num_records(&mut self, value: u16) {
        set_u16(self.as_mut(), field::NUM_RECORDS, value);
    }
}

/// One MLDv2 multicast address record (RFC 3810 §5.2.4-§5.2.11), decoded in
/// place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MldAddressRecord<'a> {
    /// Record Type.
    pub record_type: MldRecordType,
    /// The multicast address the record is about.
    pub mcast_addr: Ipv6Addr,
    /// Source addresses, 16 bytes each.
    pub sources: &'a [u8],
    /// Auxiliary Data, a multiple of 4 bytes (RFC 3810 §5.2.10: MLDv2
    /// defines none and receivers ignore it).
    pub aux_data: &'a [u8],
}

impl<'a> MldAddressRecord<'a> {
    /// Decodes the record at the start of `bytes`, returning it and the rest.
    /// Truncated when Number of Sources or Aux Data Len point past the end.
    pub fn parse(bytes: &'a [u8]) -> Result<(MldAddressRecord<'a>, &'a [u8])> {
        let (head, rest) = bytes.split_at_checked(RECORD_LEN).ok_or(Error::Truncated)?;
        let num_sources = usize::from(get_u16(head, field::REC_NUM_SOURCES));
        // RFC 3810 §5.2.6: Aux Data Len counts 32-bit words.
        let aux_len = usize::from(get_u8(head, field::REC_AUX_LEN)) * 4;
        let (sources, rest) = rest
            .split_at_checked(num_sources * 16)
            .ok_or(Error::Truncated)?;
        let (aux_data, rest) = rest.split_at_checked(aux_len).ok_or(Error::Truncated)?;
        Ok((
            MldAddressRecord {
                record_type: MldRecordType::from(get_u8(head, field::REC_TYPE)),
                mcast_addr: get_addr(head, field::REC_MCAST_ADDR),
                sources,
                aux_data,
            },
            rest,
        ))
    }

    /// The source addresses.
    pub fn source_addrs(&self) -> Ipv6AddrIter<'a> {
        Ipv6AddrIter::new(self.sources)
    }

    /// The whole source addresses and aux data words `emit` writes, capped at
    /// what the count fields can say: (sources, their length, aux words, their length).
    fn spans(&self) -> (u16, usize, u8, usize) {
        let (n, src_len) = source_span(self.sources);
        let words = u8::try_from(self.aux_data.len() / 4).unwrap_or(u8::MAX);
        (n, src_len, words, usize::from(words) * 4)
    }

    /// The bytes `emit` writes. Trailing bytes of `sources` short of an
    /// address, or of `aux_data` short of a word, are not sent.
    pub fn buffer_len(&self) -> usize {
        let (_, src_len, _, aux_len) = self.spans();
        RECORD_LEN + src_len + aux_len
    }

    /// Writes the record at the start of `buf` (which should hold
    /// `buffer_len()` bytes; what does not fit is dropped).
    pub fn emit(&self, buf: &mut [u8]) {
        let (n, src_len, words, aux_len) = self.spans();
        set_u8(buf, field::REC_TYPE, self.record_type.into());
        set_u8(buf, field::REC_AUX_LEN, words);
        set_u16(buf, field::REC_NUM_SOURCES, n);
        set_addr(buf, field::REC_MCAST_ADDR, &self.mcast_addr);
        set_bytes(
            buf,
            field::REC_SOURCES,
            self.sources.get(..src_len).unwrap_or(&[]),
        );
        set_bytes(
            buf,
            field::REC_SOURCES + src_len,
            self.aux_data.get(..aux_len).unwrap_or(&[]),
        );
    }
}

/// An iterator over MLDv2 address records packed back to back.
///
/// Stops at the end of the bytes or at the first record that does not fit
/// (so it never reads out of bounds); over the records of a parsed
/// [`MldRepr::ReportV2`] it yields every record.
#[derive(Debug, Clone)]
pub struct MldRecordIter<'a> {
    rest: &'a [u8],
}

impl<'a> MldRecordIter<'a> {
    /// Iterates over the records in `records`.
    pub fn new(records: &'a [u8]) -> Self {
        MldRecordIter { rest: records }
    }
}

impl<'a> Iterator for MldRecordIter<'a> {
    type Item = MldAddressRecord<'a>;

    fn next(&mut self) -> Option<MldAddressRecord<'a>> {
        match MldAddressRecord::parse(self.rest) {
            Ok((record, rest)) => {
                self.rest = rest;
                Some(record)
            }
            Err(_) => {
                self.rest = &[];
                None
            }
        }
    }
}

/// The number of whole records at the start of `records` (at most 65535) and
/// the length they span.
fn record_span(records: &[u8]) -> (u16, usize) {
    let mut count: u16 = 0;
    let mut rest = records;
    while count < u16::MAX {
        match MldAddressRecord::parse(rest) {
            Ok((_, r)) => {
                rest = r;
                count += 1;
            }
            Err(_) => break,
        }
    }
    (count, records.len() - rest.len())
}

/// A parsed MLD message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MldRepr<'a> {
    /// MLDv1 Query (RFC 2710 §3.6): a 24-byte Query.
    QueryV1 {
        /// Maximum Response Delay, milliseconds.
        max_resp_delay: u16,
        /// The group queried, or unspecified for a general query.
        mcast_addr: Ipv6Addr,
    },
    /// MLDv2 Query (RFC 3810 §5.1): a Query of 28 bytes or more.
    QueryV2 {
        /// Maximum Response Code (RFC 3810 §5.1.3).
        max_resp_code: u16,
        /// The group queried, or unspecified for a general query.
        mcast_addr: Ipv6Addr,
        /// Suppress Router-Side Processing.
        s_flag: bool,
        /// Querier's Robustness Variable (3 bits).
        qrv: u8,
        /// Querier's Query Interval Code.
        qqic: u8,
        /// Source addresses, 16 bytes each.
        sources: &'a [u8],
    },
    /// MLDv1 Report (RFC 2710 §3.7).
    ReportV1 {
        /// The group reported.
        mcast_addr: Ipv6Addr,
    },
    /// MLDv1 Done (RFC 2710 §3.8).
    Done {
        /// The group left.
        mcast_addr: Ipv6Addr,
    },
    /// MLDv2 Report (RFC 3810 §5.2).
    ReportV2 {
        /// The address records, back to back (see [`MldRecordIter`]).
        records: &'a [u8],
    },
}

impl<'a> MldRepr<'a> {
    /// Parses an MLD message whose checksum the caller has checked (see
    /// `Icmpv6Repr::parse`). The Code and reserved fields are ignored
    /// (RFC 2710 §3, RFC 3810 §5.1.1); bytes after the last source or
    /// record are too (RFC 3810 §5.1.12, §5.2.11).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Icmpv6Packet<&'a T>) -> Result<MldRepr<'a>> {
        packet.check_len()?;
        let bytes = packet.bytes();
        match packet.msg_type() {
            Icmpv6Message::MldQuery => {
                // RFC 3810 §8.1.1: 24 bytes is MLDv1, 28 or more MLDv2, and a
                // query of any other length is ignored.
                match bytes.len() {
                    MLDV1_LEN => Ok(MldRepr::QueryV1 {
                        max_resp_delay: packet.max_resp_code(),
                        mcast_addr: packet.mcast_addr(),
                    }),
                    len if len >= QUERY_V2_LEN => {
                        let n = usize::from(packet.query_num_sources());
                        let sources = bytes
                            .get(QUERY_V2_LEN..)
                            .and_then(|s| s.get(..n * 16))
                            .ok_or(Error::Truncated)?;
                        Ok(MldRepr::QueryV2 {
                            max_resp_code: packet.max_resp_code(),
                            mcast_addr: packet.mcast_addr(),
                            s_flag: packet.query_s_flag(),
                            qrv: packet.query_qrv(),
                            qqic: packet.query_qqic(),
                            sources,
                        })
                    }
                    _ => Err(Error::Malformed("mld query length")),
                }
            }
            Icmpv6Message::MldReport => Ok(MldRepr::ReportV1 {
                mcast_addr: packet.mcast_addr(),
            }),
            Icmpv6Message::MldDone => Ok(MldRepr::Done {
                mcast_addr: packet.mcast_addr(),
            }),
            Icmpv6Message::MldV2Report => {
                let all = bytes.get(field::RECORDS..).unwrap_or(&[]);
                let mut rest = all;
                for _ in 0..packet.report_num_records() {
                    rest = MldAddressRecord::parse(rest)?.1;
                }
                let len = all.len() - rest.len();
                Ok(MldRepr::ReportV2 {
                    records: all.get(..len).unwrap_or(&[]),
                })
            }
            _ => Err(Error::Unsupported("not an mld message")),
        }
    }

    /// The ICMPv6 message type of this message.
    pub fn msg_type(&self) -> Icmpv6Message {
        match self {
            MldRepr::QueryV1 { .. } | MldRepr::QueryV2 { .. } => Icmpv6Message::MldQuery,
            MldRepr::ReportV1 { .. } => Icmpv6Message::MldReport,
            MldRepr::Done { .. } => Icmpv6Message::MldDone,
            MldRepr::ReportV2 { .. } => Icmpv6Message::MldV2Report,
        }
    }

    /// The source addresses of a v2 Query (empty for other messages).
    pub fn sources(&self) -> Ipv6AddrIter<'a> {
        match *self {
            MldRepr::QueryV2 { sources, .. } => Ipv6AddrIter::new(sources),
            _ => Ipv6AddrIter::new(&[]),
        }
    }

    /// The address records of a v2 Report (none for other messages).
    pub fn records(&self) -> MldRecordIter<'a> {
        match *self {
            MldRepr::ReportV2 { records } => MldRecordIter::new(records),
            _ => MldRecordIter::new(&[]),
        }
    }

    /// The length of the whole ICMPv6 message `emit` writes. Only whole
    /// sources and records are sent (at most 65535 of each).
    pub fn buffer_len(&self) -> usize {
        match self {
            MldRepr::QueryV1 { .. } | MldRepr::ReportV1 { .. } | MldRepr::Done { .. } => MLDV1_LEN,
            MldRepr::QueryV2 { sources, .. } => QUERY_V2_LEN + source_span(sources).1,
            MldRepr::ReportV2 { records } => REPORT_V2_LEN + record_span(records).1,
        }
    }

    /// Writes the message (type, code 0, zeroed reserved fields, body) into
    /// `packet`, which should be [`buffer_len`](Self::buffer_len) bytes long.
    /// The checksum is left to the caller (`Icmpv6Repr::emit`).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Icmpv6Packet<T>) {
        packet.set_msg_type(self.msg_type());
        packet.set_msg_code(0);
        packet.clear_reserved();
        match *self {
            MldRepr::QueryV1 {
                max_resp_delay: code,
                mcast_addr,
            }
            | MldRepr::QueryV2 {
                max_resp_code: code,
                mcast_addr,
                ..
            } => {
                packet.set_max_resp_code(code);
                packet.set_mcast_addr(&mcast_addr);
            }
            MldRepr::ReportV1 { mcast_addr } | MldRepr::Done { mcast_addr } => {
                packet.set_mcast_addr(&mcast_addr);
            }
            MldRepr::ReportV2 { .. } => {}
        }
        match *self {
            MldRepr::QueryV2 {
                s_flag,
                qrv,
                qqic,
                sources,
                ..
            } => {
                let (n, len) = source_span(sources);
                packet.set_query_s_qrv(s_flag, qrv);
                packet.set_query_qqic(qqic);
                packet.set_query_num_sources(n);
                let data = sources.get(..len).unwrap_or(&[]);
                set_bytes(packet.as_mut(), field::QUERY_SOURCES, data);
            }
            MldRepr::ReportV2 { records } => {
                let (n, len) = record_span(records);
                packet.set_report_num_records(n);
                let data = records.get(..len).unwrap_or(&[]);
                set_bytes(packet.as_mut(), field::RECORDS, data);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests;
