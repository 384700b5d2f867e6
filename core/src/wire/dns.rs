//! DNS messages (RFC 1035 §4) as a stub resolver sees them: the query it
//! writes, and the answers it reads.
//!
//! A response comes from the network and is untrusted: [`DnsMessage::parse`]
//! walks every question and record once, following name compression
//! pointers (RFC 1035 §4.1.4) under two bounds, so no message can make it
//! loop or read past the buffer:
//!
//! - a pointer must point strictly before the previous one (or before the
//!   name it starts from): the targets decrease, so every walk ends;
//! - a name is at most 255 bytes uncompressed (RFC 1035 §2.3.4).
//!
//! After `parse` succeeds the iterators ([`DnsMessage::questions`],
//! [`DnsMessage::answers`]) cannot fail. Nothing is copied: names and
//! records borrow the message.

use super::be;
use core::fmt;

use super::{Error, Ipv4Addr, Ipv6Addr, Result};

pub use super::icmpv6::ndp::encode_name;

/// The DNS server port (RFC 1035 §4.2).
pub const PORT: u16 = 53;

/// The length of the fixed header (RFC 1035 §4.1.1).
pub const HEADER_LEN: usize = 12;

/// The longest name, in wire form uncompressed (RFC 1035 §2.3.4).
pub const MAX_NAME_LEN: usize = 255;

/// The class of every record a resolver asks for: Internet (RFC 1035 §3.2.4).
pub const CLASS_IN: u16 = 1;

/// A UDP message is at most 512 bytes without EDNS (RFC 1035 §2.3.4);
/// a longer answer comes truncated (TC set).
pub const MAX_UDP_LEN: usize = 512;

/// Byte ranges of the header (RFC 1035 §4.1.1).
mod field {
    use crate::wire::Field;

    pub const ID: Field = 0..2;
    pub const FLAGS: Field = 2..4;
    pub const QDCOUNT: Field = 4..6;
    pub const ANCOUNT: Field = 6..8;
    pub const NSCOUNT: Field = 8..10;
    pub const ARCOUNT: Field = 10..12;
}

/// Bits of the flags field (RFC 1035 §4.1.1).
mod flag {
    pub const QR: u16 = 0x8000;
    pub const OPCODE: u16 = 0x7800;
    pub const TC: u16 = 0x0200;
    pub const RD: u16 = 0x0100;
    pub const RA: u16 = 0x0080;
    pub const RCODE: u16 = 0x000f;
}

/// The record types a stub resolver acts on (RFC 1035 §3.2.2, RFC 3596 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RecordType {
    /// An IPv4 address.
    A,
    /// An alias: the canonical name.
    Cname,
    /// An IPv6 address (RFC 3596).
    Aaaa,
    /// Any other type, by number.
    Other(u16),
}

impl From<u16> for RecordType {
    fn from(v: u16) -> RecordType {
        match v {
            1 => RecordType::A,
            5 => RecordType::Cname,
            28 => RecordType::Aaaa,
            v => RecordType::Other(v),
        }
    }
}

impl From<RecordType> for u16 {
    fn from(t: RecordType) -> u16 {
        match t {
            RecordType::A => 1,
            RecordType::Cname => 5,
            RecordType::Aaaa => 28,
            RecordType::Other(v) => v,
        }
    }
}

/// The response code (RFC 1035 §4.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Rcode {
    /// No error.
    NoError,
    /// The server could not read the query.
    FormatError,
    /// The server failed: another server may answer.
    ServerFailure,
    /// The name does not exist (authoritative).
    NameError,
    /// The server does not do this kind of query.
    NotImplemented,
    /// The server refuses to answer us.
    Refused,
    /// Any other code.
    Other(u8),
}

impl From<u8> for Rcode {
    fn from(v: u8) -> Rcode {
        match v {
            0 => Rcode::NoError,
            1 => Rcode::FormatError,
            2 => Rcode::ServerFailure,
            3 => Rcode::NameError,
            4 => Rcode::NotImplemented,
            5 => Rcode::Refused,
            v => Rcode::Other(v),
        }
    }
}

/// A read/write view of a DNS message's fixed header; the sections after
/// it are read by [`DnsMessage`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> DnsPacket<T> {
    /// Wraps a buffer without checking it; accessors may panic on a short one.
    pub const fn new_unchecked(buffer: T) -> DnsPacket<T> {
        DnsPacket { buffer }
    }

    /// Wraps a buffer that holds at least the header.
    pub fn new_checked(buffer: T) -> Result<DnsPacket<T>> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks the buffer holds the fixed header.
    pub fn check_len(&self) -> Result<()> {
        if self.buffer.as_ref().len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn u16_at(&self, f: super::Field) -> u16 {
        be::read_u16(&self.buffer.as_ref()[f])
    }

    /// The transaction ID, which matches an answer to its query.
    pub fn id(&self) -> u16 {
        self.u16_at(field::ID)
    }

    /// The flags field, whole.
    pub fn flags(&self) -> u16 {
        self.u16_at(field::FLAGS)
    }

    /// QR: a response (true) or a query.
    pub fn is_response(&self) -> bool {
        self.flags() & flag::QR != 0
    }

    /// The kind of query (0: a standard query).
    pub fn opcode(&self) -> u8 {
        ((self.flags() & flag::OPCODE) >> 11) as u8
    }

    /// TC: the message was cut to fit the transport.
    pub fn truncated(&self) -> bool {
        self.flags() & flag::TC != 0
    }

    /// RD: the query asks the server to recurse.
    pub fn recursion_desired(&self) -> bool {
        self.flags() & flag::RD != 0
    }

    /// RA: the server recurses.
    pub fn recursion_available(&self) -> bool {
        self.flags() & flag::RA != 0
    }

    /// The response code.
    pub fn rcode(&self) -> Rcode {
        Rcode::from((self.flags() & flag::RCODE) as u8)
    }

    /// Entries in the question section.
    pub fn question_count(&self) -> u16 {
        self.u16_at(field::QDCOUNT)
    }

    /// Records in the answer section.
    pub fn answer_count(&self) -> u16 {
        self.u16_at(field::ANCOUNT)
    }

    /// Records in the authority section.
    pub fn authority_count(&self) -> u16 {
        self.u16_at(field::NSCOUNT)
    }

    /// Records in the additional section.
    pub fn additional_count(&self) -> u16 {
        self.u16_at(field::ARCOUNT)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> DnsPacket<T> {
    fn set_u16_at(&mut self, f: super::Field, v: u16) {
        be::write_u16(&mut self.buffer.as_mut()[f], v)
    }

    /// Sets the transaction ID.
    pub fn set_id(&mut self, id: u16) {
        self.set_u16_at(field::ID, id)
    }

    /// Sets the flags field, whole.
    pub fn set_flags(&mut self, flags: u16) {
        self.set_u16_at(field::FLAGS, flags)
    }

    /// Sets the four section counts.
    pub fn set_counts(&mut self, qd: u16, an: u16, ns: u16, ar: u16) {
        self.set_u16_at(field::QDCOUNT, qd);
        self.set_u16_at(field::ANCOUNT, an);
        self.set_u16_at(field::NSCOUNT, ns);
        self.set_u16_at(field::ARCOUNT, ar);
    }
}

/// One step of a name walk: the labels of a possibly compressed name,
/// each checked before it is handed out.
#[derive(Debug, Clone)]
struct Walk<'a> {
    msg: &'a [u8],
    pos: usize,
    /// Every pointer must point strictly before this (RFC 1035 §4.1.4
    /// "a prior occurance"); lowered at each jump, so jumps cannot loop.
    limit: usize,
    /// Uncompressed length so far, length bytes included.
    len: usize,
    /// Where the name ends in place: just past the first pointer, or past
    /// the root label.
    end: Option<usize>,
    done: bool,
}

impl<'a> Walk<'a> {
    fn new(msg: &'a [u8], start: usize) -> Walk<'a> {
        Walk {
            msg,
            pos: start,
            limit: start,
            len: 0,
            end: None,
            done: false,
        }
    }

    fn step(&mut self) -> Result<Option<&'a [u8]>> {
        loop {
            let b = *self.msg.get(self.pos).ok_or(Error::Truncated)?;
            match b & 0xc0 {
                0x00 => {
                    let l = usize::from(b);
                    self.len += 1 + l;
                    if self.len > MAX_NAME_LEN {
                        return Err(Error::Malformed("dns name length"));
                    }
                    let start = self.pos + 1;
                    if l == 0 {
                        self.end.get_or_insert(start);
                        return Ok(None);
                    }
                    let label = self.msg.get(start..start + l).ok_or(Error::Truncated)?;
                    self.pos = start + l;
                    return Ok(Some(label));
                }
                0xc0 => {
                    let lo = *self.msg.get(self.pos + 1).ok_or(Error::Truncated)?;
                    let target = usize::from(b & 0x3f) << 8 | usize::from(lo);
                    // Nothing before the header's end is a name.
                    if target < HEADER_LEN || target >= self.limit {
                        return Err(Error::Malformed("dns compression pointer"));
                    }
                    self.end.get_or_insert(self.pos + 2);
                    self.limit = target;
                    self.pos = target;
                }
                // 01 and 10: RFC 6891 §5 retired the extended label types.
                _ => return Err(Error::Unsupported("dns label type")),
            }
        }
    }
}

impl<'a> Iterator for Walk<'a> {
    type Item = Result<&'a [u8]>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(label)) => Some(Ok(label)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Checks the name at `start` and returns it with the offset just past it.
fn read_name(msg: &[u8], start: usize) -> Result<(Name<'_>, usize)> {
    let mut walk = Walk::new(msg, start);
    for label in walk.by_ref() {
        label?;
    }
    // A walk that ended without error saw the root label, so `end` is set.
    let end = walk.end.ok_or(Error::Truncated)?;
    Ok((Name { msg, start }, end))
}

/// A domain name inside a checked message, possibly compressed.
#[derive(Clone, Copy)]
pub struct Name<'a> {
    msg: &'a [u8],
    start: usize,
}

impl<'a> Name<'a> {
    /// The labels, in order, without the root; pointers followed.
    pub fn labels(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        // Checked when the message was parsed: no error can come up here.
        Walk::new(self.msg, self.start).map_while(|l| l.ok())
    }

    /// True when this is the name `wire` (uncompressed wire form, as
    /// [`encode_name`] writes it), ASCII case ignored (RFC 1035 §2.3.3).
    pub fn eq_wire(&self, wire: &[u8]) -> bool {
        let mut rest = wire;
        for label in self.labels() {
            let Some((&len, tail)) = rest.split_first() else {
                return false;
            };
            let Some((other, tail)) = tail.split_at_checked(usize::from(len)) else {
                return false;
            };
            if len == 0 || !label.eq_ignore_ascii_case(other) {
                return false;
            }
            rest = tail;
        }
        rest == [0]
    }

    /// True when both names are the same, ASCII case ignored.
    pub fn eq_name(&self, other: &Name<'_>) -> bool {
        let mut a = self.labels();
        let mut b = other.labels();
        loop {
            match (a.next(), b.next()) {
                (None, None) => return true,
                (Some(x), Some(y)) if x.eq_ignore_ascii_case(y) => {}
                _ => return false,
            }
        }
    }

    /// Writes the name uncompressed into `buf` and returns its length
    /// (at most [`MAX_NAME_LEN`]); `Truncated` if `buf` is too short.
    pub fn to_wire(&self, buf: &mut [u8]) -> Result<usize> {
        let mut at = 0;
        for label in self.labels() {
            let out = buf
                .get_mut(at..at + 1 + label.len())
                .ok_or(Error::Truncated)?;
            out[0] = label.len() as u8;
            out[1..].copy_from_slice(label);
            at += 1 + label.len();
        }
        *buf.get_mut(at).ok_or(Error::Truncated)? = 0;
        Ok(at + 1)
    }
}

impl fmt::Display for Name<'_> {
    /// Dotted, with bytes other than graphic ASCII (and dots inside a
    /// label) escaped as `\DDD` (RFC 4343 §2.1), so a hostile label cannot
    /// forge a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for label in self.labels() {
            if !first {
                f.write_str(".")?;
            }
            first = false;
            for &b in label {
                if b.is_ascii_graphic() && b != b'.' && b != b'\\' {
                    write!(f, "{}", char::from(b))?;
                } else {
                    write!(f, "\\{b:03}")?;
                }
            }
        }
        if first {
            f.write_str(".")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({self})")
    }
}

impl PartialEq for Name<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.eq_name(other)
    }
}

/// An entry of the question section (RFC 1035 §4.1.2).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Question<'a> {
    /// The name asked about.
    pub name: Name<'a>,
    /// The type asked for.
    pub qtype: RecordType,
    /// The class (1: Internet).
    pub qclass: u16,
}

/// What a resource record holds, for the types a resolver reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RecordData<'a> {
    /// An IPv4 address (RFC 1035 §3.4.1).
    A(Ipv4Addr),
    /// An IPv6 address (RFC 3596 §2.2).
    Aaaa(Ipv6Addr),
    /// The canonical name of an alias (RFC 1035 §3.3.1).
    Cname(Name<'a>),
    /// Any other type's data, unread.
    Other(&'a [u8]),
}

/// A resource record (RFC 1035 §4.1.3).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Record<'a> {
    /// The owner name.
    pub name: Name<'a>,
    /// The type (for A, AAAA and CNAME the same as `data`'s).
    pub rtype: RecordType,
    /// The class (1: Internet).
    pub class: u16,
    /// Seconds the record may be cached. RFC 2181 §8: a value with the
    /// top bit set is read as 0.
    pub ttl: u32,
    /// The data.
    pub data: RecordData<'a>,
}

fn read_u16(msg: &[u8], at: usize) -> Result<u16> {
    let b = msg.get(at..at + 2).ok_or(Error::Truncated)?;
    Ok(be::read_u16(b))
}

fn read_question(msg: &[u8], at: usize) -> Result<(Question<'_>, usize)> {
    let (name, at) = read_name(msg, at)?;
    let qtype = RecordType::from(read_u16(msg, at)?);
    let qclass = read_u16(msg, at + 2)?;
    Ok((
        Question {
            name,
            qtype,
            qclass,
        },
        at + 4,
    ))
}

fn read_record(msg: &[u8], at: usize) -> Result<(Record<'_>, usize)> {
    let (name, at) = read_name(msg, at)?;
    let rtype = RecordType::from(read_u16(msg, at)?);
    let class = read_u16(msg, at + 2)?;
    let ttl_bytes = msg.get(at + 4..at + 8).ok_or(Error::Truncated)?;
    let ttl = be::read_u32(ttl_bytes);
    let ttl = if ttl > i32::MAX as u32 { 0 } else { ttl };
    let rdlen = usize::from(read_u16(msg, at + 8)?);
    let start = at + 10;
    let end = start + rdlen;
    let rdata = msg.get(start..end).ok_or(Error::Truncated)?;
    let data = match (rtype, class) {
        (RecordType::A, CLASS_IN) => {
            let b: [u8; 4] = rdata
                .try_into()
                .map_err(|_| Error::Malformed("dns A length"))?;
            RecordData::A(Ipv4Addr::from(b))
        }
        (RecordType::Aaaa, CLASS_IN) => {
            let b: [u8; 16] = rdata
                .try_into()
                .map_err(|_| Error::Malformed("dns AAAA length"))?;
            RecordData::Aaaa(Ipv6Addr::from(b))
        }
        (RecordType::Cname, _) => {
            // The name lies inside the data but may point anywhere before it.
            let (cname, name_end) = read_name(msg, start)?;
            if name_end != end {
                return Err(Error::Malformed("dns CNAME length"));
            }
            RecordData::Cname(cname)
        }
        _ => RecordData::Other(rdata),
    };
    Ok((
        Record {
            name,
            rtype,
            class,
            ttl,
            data,
        },
        end,
    ))
}

/// A checked DNS message: its header and where each section starts.
#[derive(Debug, Clone, Copy)]
pub struct DnsMessage<'a> {
    msg: &'a [u8],
    answers_at: usize,
    authority_at: usize,
}

impl<'a> DnsMessage<'a> {
    /// Checks the whole message: the header, then every question and every
    /// record of the answer, authority and additional sections (their names,
    /// lengths, and the data of A, AAAA and CNAME records). Bytes past the
    /// last record are ignored. Each entry takes at least 5 bytes, so the
    /// walk ends within the buffer whatever the counts say.
    pub fn parse(msg: &'a [u8]) -> Result<DnsMessage<'a>> {
        let header = DnsPacket::new_checked(msg)?;
        let mut at = HEADER_LEN;
        for _ in 0..header.question_count() {
            at = read_question(msg, at)?.1;
        }
        let answers_at = at;
        for _ in 0..header.answer_count() {
            at = read_record(msg, at)?.1;
        }
        let authority_at = at;
        let rest = u32::from(header.authority_count()) + u32::from(header.additional_count());
        for _ in 0..rest {
            at = read_record(msg, at)?.1;
        }
        Ok(DnsMessage {
            msg,
            answers_at,
            authority_at,
        })
    }

    /// The header.
    pub fn header(&self) -> DnsPacket<&'a [u8]> {
        DnsPacket::new_unchecked(self.msg)
    }

    /// The questions.
    pub fn questions(&self) -> impl Iterator<Item = Question<'a>> + 'a {
        let msg = self.msg;
        let mut at = HEADER_LEN;
        (0..self.header().question_count()).map_while(move |_| {
            let (q, next) = read_question(msg, at).ok()?;
            at = next;
            Some(q)
        })
    }

    /// The records of the answer section.
    pub fn answers(&self) -> impl Iterator<Item = Record<'a>> + 'a {
        let msg = self.msg;
        let mut at = self.answers_at;
        (0..self.header().answer_count()).map_while(move |_| {
            let (r, next) = read_record(msg, at).ok()?;
            at = next;
            Some(r)
        })
    }

    /// The records of the authority and additional sections.
    pub fn other_records(&self) -> impl Iterator<Item = Record<'a>> + 'a {
        let msg = self.msg;
        let mut at = self.authority_at;
        let h = self.header();
        let n = u32::from(h.authority_count()) + u32::from(h.additional_count());
        (0..n).map_while(move |_| {
            let (r, next) = read_record(msg, at).ok()?;
            at = next;
            Some(r)
        })
    }
}

/// A standard query for one name and type (RFC 1035 §4.1), recursion
/// desired, as a stub resolver sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryRepr<'a> {
    /// The transaction ID.
    pub id: u16,
    /// The name, uncompressed wire form ([`encode_name`]).
    pub name: &'a [u8],
    /// The type asked for.
    pub qtype: RecordType,
}

impl<'a> QueryRepr<'a> {
    /// Reads a query: one question, no records, QR clear, standard opcode.
    pub fn parse(msg: &'a [u8]) -> Result<QueryRepr<'a>> {
        let m = DnsMessage::parse(msg)?;
        let h = m.header();
        if h.is_response() || h.opcode() != 0 {
            return Err(Error::Unsupported("dns message kind"));
        }
        if h.question_count() != 1
            || h.answer_count() != 0
            || h.authority_count() != 0
            || h.additional_count() != 0
        {
            return Err(Error::Unsupported("dns query sections"));
        }
        // The name is handed out in place: it is not compressed, since a
        // pointer cannot point into the header.
        let name_end = read_name(msg, HEADER_LEN)?.1;
        let q = m.questions().next().ok_or(Error::Truncated)?;
        if q.qclass != CLASS_IN {
            return Err(Error::Unsupported("dns class"));
        }
        Ok(QueryRepr {
            id: h.id(),
            name: &msg[HEADER_LEN..name_end],
            qtype: q.qtype,
        })
    }

    /// Bytes [`emit`](Self::emit) writes.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.name.len() + 4
    }

    /// Writes the query at the start of `buf`; `Truncated` if it is shorter
    /// than [`buffer_len`](Self::buffer_len).
    pub fn emit(&self, buf: &mut [u8]) -> Result<usize> {
        let len = self.buffer_len();
        let out = buf.get_mut(..len).ok_or(Error::Truncated)?;
        let mut p = DnsPacket::new_unchecked(&mut out[..HEADER_LEN]);
        p.set_id(self.id);
        p.set_flags(flag::RD);
        p.set_counts(1, 0, 0, 0);
        let q = &mut out[HEADER_LEN..];
        let (name, rest) = q.split_at_mut(self.name.len());
        name.copy_from_slice(self.name);
        be::write_u16(&mut rest[0..2], self.qtype.into());
        be::write_u16(&mut rest[2..4], CLASS_IN);
        Ok(len)
    }
}

#[cfg(test)]
mod tests;
