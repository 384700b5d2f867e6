//! Reading a server's response to one of our queries: does it answer it
//! (RFC 5452 §9.1), and which addresses does it give (CNAME chains
//! followed, RFC 1034 §5.3.3)?

use heapless::Vec;

use crate::wire::dns::{DnsMessage, Rcode, RecordData, RecordType, MAX_NAME_LEN};
use crate::wire::IpAddr;

use super::{QueryType, ResolveError, MAX_ADDRESSES};

/// At most this many CNAMEs are followed: a chain longer than that is
/// refused as a loop (RFC 1034 §3.6.2: aliases should not chain at all).
pub(super) const MAX_CNAME_HOPS: usize = 8;

/// The addresses of an answer, and the shortest TTL among the records that
/// gave them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Answer {
    /// The addresses, in the server's order, at most [`MAX_ADDRESSES`].
    pub addresses: Vec<IpAddr, MAX_ADDRESSES>,
    /// Seconds the answer may be kept (the smallest TTL on the way,
    /// CNAMEs included).
    pub ttl: u32,
}

/// What a response to our query means.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Not our answer (another ID, question, or not a response): ignore it.
    NotOurs,
    /// The name resolved.
    Resolved(Answer),
    /// The lookup is over without an address: the name does not exist, or
    /// has no record of the type asked for.
    Failed(ResolveError),
    /// This server could not answer: ask the next one at once.
    TryNext,
}

/// Judges `msg` as the response to query `id` for `name` (wire form) and
/// `qtype`.
pub(super) fn judge(msg: &[u8], id: u16, name: &[u8], qtype: QueryType) -> Verdict {
    let Ok(m) = DnsMessage::parse(msg) else {
        return Verdict::NotOurs;
    };
    let h = m.header();
    // RFC 5452 §9.1: the ID and the question must be the ones we sent.
    if !h.is_response() || h.id() != id || h.opcode() != 0 || h.question_count() != 1 {
        return Verdict::NotOurs;
    }
    let Some(q) = m.questions().next() else {
        return Verdict::NotOurs;
    };
    if !q.name.eq_wire(name) || q.qtype != qtype.record_type() || q.qclass != 1 {
        return Verdict::NotOurs;
    }
    match h.rcode() {
        Rcode::NoError => {}
        // RFC 2308 §2.1: an authoritative "no such name" ends the lookup.
        Rcode::NameError => return Verdict::Failed(ResolveError::NoSuchName),
        // Another server may do better (RFC 1035 §7.2).
        _ => return Verdict::TryNext,
    }
    let mut target = [0u8; MAX_NAME_LEN];
    let Some(t) = target.get_mut(..name.len()) else {
        return Verdict::NotOurs;
    };
    t.copy_from_slice(name);
    let mut target_len = name.len();
    let mut answer = Answer {
        addresses: Vec::new(),
        ttl: u32::MAX,
    };
    for _ in 0..=MAX_CNAME_HOPS {
        let mut alias = None;
        for r in m.answers() {
            if !r.name.eq_wire(&target[..target_len]) {
                continue;
            }
            let addr = match (r.data, qtype) {
                (RecordData::A(a), QueryType::A) => IpAddr::V4(a),
                (RecordData::Aaaa(a), QueryType::Aaaa) => IpAddr::V6(a),
                (RecordData::Cname(c), _) => {
                    alias = Some((c, r.ttl));
                    continue;
                }
                _ => continue,
            };
            // Past MAX_ADDRESSES the rest are dropped: a caller needs one.
            if answer.addresses.push(addr).is_ok() {
                answer.ttl = answer.ttl.min(r.ttl);
            }
        }
        if !answer.addresses.is_empty() {
            return Verdict::Resolved(answer);
        }
        let Some((c, ttl)) = alias else { break };
        answer.ttl = answer.ttl.min(ttl);
        match c.to_wire(&mut target) {
            Ok(n) => target_len = n,
            Err(_) => break,
        }
    }
    if h.truncated() {
        // Cut before the records we need: only TCP would give them
        // (RFC 7766), which this resolver does not speak.
        return Verdict::TryNext;
    }
    // RFC 2308 §2.2: NOERROR with no record of the type ("NODATA").
    Verdict::Failed(ResolveError::NoAddress)
}

impl QueryType {
    pub(super) fn record_type(self) -> RecordType {
        match self {
            QueryType::A => RecordType::A,
            QueryType::Aaaa => RecordType::Aaaa,
        }
    }
}
