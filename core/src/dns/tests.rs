extern crate std;
use std::vec;
use std::vec::Vec;

use super::*;
use crate::socket::udp::UdpSocket;
use crate::storage::{PacketBuffer, PacketMetadata};
use crate::wire::dns::{QueryRepr, RecordType};
use crate::wire::{Ipv4Addr, Ipv6Addr};

const S1: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 69, 100));
const S2: IpAddr = IpAddr::V6(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 0x53));
const ADDR: Ipv4Addr = Ipv4Addr::new(192, 168, 69, 80);

fn resolver(slots: &mut [Option<Query>]) -> Resolver<'_> {
    let mut r = Resolver::new(slots, ResolverConfig::default(), 7);
    r.set_servers(&[S1, S2]);
    r
}

/// Dispatches at `now` and returns what left, to whom.
fn sent(r: &mut Resolver<'_>, now: Instant) -> Vec<(IpEndpoint, Vec<u8>)> {
    let mut out = Vec::new();
    r.dispatch(now, |to, d| {
        out.push((to, d.to_vec()));
        true
    });
    out
}

/// A record for the answer section: owner (wire form or a pointer),
/// type, TTL, data.
fn record(owner: &[u8], rtype: u16, ttl: u32, data: &[u8]) -> Vec<u8> {
    let mut r = owner.to_vec();
    r.extend_from_slice(&rtype.to_be_bytes());
    r.extend_from_slice(&1u16.to_be_bytes());
    r.extend_from_slice(&ttl.to_be_bytes());
    r.extend_from_slice(&(data.len() as u16).to_be_bytes());
    r.extend_from_slice(data);
    r
}

/// The server's response to `query`: its question, `rcode`, and the records.
fn response(query: &[u8], rcode: u8, records: &[Vec<u8>]) -> Vec<u8> {
    let mut m = query.to_vec();
    m[2] = 0x81;
    m[3] = 0x80 | rcode;
    m[6..8].copy_from_slice(&(records.len() as u16).to_be_bytes());
    for r in records {
        m.extend_from_slice(r);
    }
    m
}

/// The question's name, pointed at (it starts at offset 12).
const QNAME: &[u8] = &[0xc0, 12];

fn ready(r: &mut Resolver<'_>, q: QueryHandle) -> Result<Answer, ResolveError> {
    match r.result(q) {
        Poll::Ready(x) => x,
        Poll::Pending => panic!("still pending"),
    }
}

#[test]
fn an_a_query_is_answered() {
    let mut slots = [None, None];
    let mut r = resolver(&mut slots);
    let q = r.start_query("host.lan.", QueryType::A).unwrap();
    assert_eq!(r.poll_at(), Some(Instant::ZERO));
    let out = sent(&mut r, Instant::ZERO);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, IpEndpoint::new(S1, 53));
    let query = QueryRepr::parse(&out[0].1).unwrap();
    assert_eq!(query.name, b"\x04host\x03lan\x00");
    assert_eq!(query.qtype, RecordType::A);
    assert!(r.result(q).is_pending());
    let answer = response(&out[0].1, 0, &[record(QNAME, 1, 30, &ADDR.octets())]);
    r.process(IpEndpoint::new(S1, 53), &answer);
    let a = ready(&mut r, q).unwrap();
    assert_eq!(&a.addresses[..], &[IpAddr::V4(ADDR)]);
    assert_eq!(a.ttl, 30);
    // The result is handed out once and the slot is free again.
    assert_eq!(r.poll_at(), None);
    r.start_query("a", QueryType::A).unwrap();
    r.start_query("b", QueryType::A).unwrap();
}

#[test]
fn an_aaaa_query_follows_a_cname_chain() {
    let mut slots = [None];
    let mut r = resolver(&mut slots);
    let q = r.start_query("www.lan", QueryType::Aaaa).unwrap();
    let out = sent(&mut r, Instant::ZERO);
    assert_eq!(QueryRepr::parse(&out[0].1).unwrap().qtype, RecordType::Aaaa);
    let v6 = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 0x80);
    // www.lan CNAME web.lan; web.lan CNAME srv.lan; srv.lan AAAA, given
    // out of order as servers may.
    let answer = response(
        &out[0].1,
        0,
        &[
            record(b"\x03srv\x03lan\x00", 28, 50, &v6.octets()),
            record(QNAME, 5, 20, b"\x03web\x03lan\x00"),
            record(b"\x03web\x03lan\x00", 5, 600, b"\x03srv\x03lan\x00"),
            // Not on the chain: ignored.
            record(b"\x03xyz\x03lan\x00", 28, 1, &[9; 16]),
        ],
    );
    r.process(IpEndpoint::new(S1, 53), &answer);
    let a = ready(&mut r, q).unwrap();
    assert_eq!(&a.addresses[..], &[IpAddr::V6(v6)]);
    assert_eq!(a.ttl, 20);
}

#[test]
fn a_cname_loop_ends_with_no_address() {
    let mut slots = [None];
    let mut r = resolver(&mut slots);
    let q = r.start_query("a.lan", QueryType::A).unwrap();
    let out = sent(&mut r, Instant::ZERO);
    let answer = response(
        &out[0].1,
        0,
        &[
            record(QNAME, 5, 20, b"\x01b\x03lan\x00"),
            record(b"\x01b\x03lan\x00", 5, 20, b"\x01a\x03lan\x00"),
        ],
    );
    r.process(IpEndpoint::new(S1, 53), &answer);
    assert_eq!(ready(&mut r, q), Err(ResolveError::NoAddress));
}

#[test]
fn retries_go_round_the_servers_with_the_wait_doubled_then_time_out() {
    let mut slots = [None];
    let mut r = resolver(&mut slots);
    let q = r.start_query("host.lan", QueryType::A).unwrap();
    let s = Instant::from_secs;
    // RFC 1035 §4.2.1: each server in turn, then again with a longer wait.
    let mut log = Vec::new();
    for t in [0, 1, 2, 3, 4, 7, 8, 11, 12] {
        for (to, d) in sent(&mut r, s(t)) {
            let id = QueryRepr::parse(&d).unwrap().id;
            log.push((t, to.addr, id));
        }
        assert!(r.result(q).is_pending() || t == 12);
    }
    let id = log[0].2;
    assert_eq!(
        log,
        vec![(0, S1, id), (2, S2, id), (4, S1, id), (8, S2, id)]
    );
    assert_eq!(r.poll_at(), None);
    assert_eq!(ready(&mut r, q), Err(ResolveError::TimedOut));
}

#[test]
fn poll_at_says_when_the_next_server_is_due() {
    let mut slots = [None];
    let mut r = resolver(&mut slots);
    r.start_query("host.lan", QueryType::A).unwrap();
    sent(&mut r, Instant::from_secs(1));
    assert_eq!(r.poll_at(), Some(Instant::from_secs(3)));
    assert!(sent(&mut r, Instant::from_millis(2999)).is_empty());
    assert_eq!(sent(&mut r, Instant::from_secs(3)).len(), 1);
}

#[test]
fn a_datagram_not_taken_is_sent_at_the_next_dispatch() {
    let mut slots = [None];
    let mut r = resolver(&mut slots);
    r.start_query("host.lan", QueryType::A).unwrap();
    r.dispatch(Instant::ZERO, |_, _| false);
    assert_eq!(r.poll_at(), Some(Instant::ZERO));
    let out = sent(&mut r, Instant::from_millis(5));
    assert_eq!(out[0].0.addr, S1);
}

#[test]
fn forged_answers_are_ignored() {
    let mut slots = [None];
    let mut r = resolver(&mut slots);
    let q = r.start_query("host.lan", QueryType::A).unwrap();
    let out = sent(&mut r, Instant::ZERO);
    let good = response(&out[0].1, 0, &[record(QNAME, 1, 30, &[6, 6, 6, 6])]);
    let from = IpEndpoint::new(S1, 53);
    // Another ID.
    let mut m = good.clone();
    m[1] ^= 1;
    r.process(from, &m);
    // Another question (type AAAA).
    let mut m = good.clone();
    m[12 + 10] = 28;
    r.process(from, &m);
    // A query, not a response.
    let mut m = good.clone();
    m[2] = 0x01;
    r.process(from, &m);
    // Another port, another host, a server not asked yet.
    r.process(IpEndpoint::new(S1, 5353), &good);
    r.process(IpEndpoint::new(IpAddr::V4(ADDR), 53), &good);
    r.process(IpEndpoint::new(S2, 53), &good);
    // Garbage.
    r.process(from, &good[..20]);
    r.process(from, &[0xff; 300]);
    assert!(r.result(q).is_pending());
    r.process(from, &good);
    assert!(ready(&mut r, q).is_ok());
}

#[test]
fn a_failing_server_hands_over_at_once_and_a_late_answer_still_counts() {
    let mut slots = [None];
    let mut r = resolver(&mut slots);
    let q = r.start_query("host.lan", QueryType::A).unwrap();
    let out = sent(&mut r, Instant::ZERO);
    // SERVFAIL (RFC 1035 §4.1.1 code 2): the next server, now.
    r.process(IpEndpoint::new(S1, 53), &response(&out[0].1, 2, &[]));
    assert_eq!(r.poll_at(), Some(Instant::ZERO));
    let out2 = sent(&mut r, Instant::from_millis(10));
    assert_eq!(out2[0].0.addr, S2);
    // REFUSED from the first, late: already left behind, changes nothing.
    r.process(IpEndpoint::new(S1, 53), &response(&out[0].1, 5, &[]));
    assert_eq!(r.poll_at(), Some(Instant::from_millis(2010)));
    // The first server's late good answer is taken.
    let good = response(&out[0].1, 0, &[record(QNAME, 1, 30, &ADDR.octets())]);
    r.process(IpEndpoint::new(S1, 53), &good);
    assert_eq!(
        &ready(&mut r, q).unwrap().addresses[..],
        &[IpAddr::V4(ADDR)]
    );
}

#[test]
fn no_such_name_and_no_data_end_the_lookup() {
    let mut slots = [None, None];
    let mut r = resolver(&mut slots);
    let q1 = r.start_query("nope.lan", QueryType::A).unwrap();
    let q2 = r.start_query("v4only.lan", QueryType::Aaaa).unwrap();
    let out = sent(&mut r, Instant::ZERO);
    r.process(IpEndpoint::new(S1, 53), &response(&out[0].1, 3, &[]));
    // NODATA: NOERROR, and only a record of another type.
    let other = record(QNAME, 1, 30, &ADDR.octets());
    r.process(IpEndpoint::new(S1, 53), &response(&out[1].1, 0, &[other]));
    assert_eq!(ready(&mut r, q1), Err(ResolveError::NoSuchName));
    assert_eq!(ready(&mut r, q2), Err(ResolveError::NoAddress));
}

#[test]
fn a_truncated_answer_without_the_address_asks_the_next_server() {
    let mut slots = [None];
    let mut r = resolver(&mut slots);
    let q = r.start_query("big.lan", QueryType::A).unwrap();
    let out = sent(&mut r, Instant::ZERO);
    let mut m = response(&out[0].1, 0, &[]);
    m[2] |= 0x02;
    r.process(IpEndpoint::new(S1, 53), &m);
    assert!(r.result(q).is_pending());
    assert_eq!(sent(&mut r, Instant::ZERO)[0].0.addr, S2);
}

#[test]
fn starting_a_query_fails_with_a_reason() {
    let mut slots = [None];
    let mut r = Resolver::new(&mut slots[..], ResolverConfig::default(), 1);
    assert_eq!(
        r.start_query("a.lan", QueryType::A),
        Err(StartError::NoServers)
    );
    r.set_servers(&[IpAddr::V4(Ipv4Addr::UNSPECIFIED), S1, S1]);
    assert_eq!(r.servers(), &[S1]);
    assert_eq!(
        r.start_query("a..lan", QueryType::A),
        Err(StartError::InvalidName)
    );
    let long = "a".repeat(64);
    assert_eq!(
        r.start_query(&long, QueryType::A),
        Err(StartError::InvalidName)
    );
    let q = r.start_query("a.lan", QueryType::A).unwrap();
    assert_eq!(r.start_query("b.lan", QueryType::A), Err(StartError::Full));
    r.cancel(q);
    r.start_query("b.lan", QueryType::A).unwrap();
}

#[test]
fn poll_drives_a_udp_socket_of_the_set() {
    let buf = || PacketBuffer::new(vec![PacketMetadata::EMPTY; 4], vec![0u8; 1024]);
    let mut socket = UdpSocket::new(buf(), buf());
    socket.bind(49152).unwrap();
    let mut slots = [None];
    let mut r = resolver(&mut slots);
    let q = r.start_query("host.lan", QueryType::A).unwrap();
    r.poll(Instant::ZERO, &mut socket);
    let mut query = Vec::new();
    let sent: Result<(), ()> = socket.dispatch(Instant::ZERO, |meta, _, d| {
        assert_eq!(meta.endpoint, IpEndpoint::new(S1, 53));
        query = d.to_vec();
        Ok(())
    });
    sent.unwrap();
    let answer = response(&query, 0, &[record(QNAME, 1, 30, &ADDR.octets())]);
    let local = IpAddr::V4(Ipv4Addr::new(192, 168, 69, 1));
    socket
        .process(Instant::ZERO, IpEndpoint::new(S1, 53), local, &answer)
        .unwrap();
    r.poll(Instant::from_millis(1), &mut socket);
    assert_eq!(
        &ready(&mut r, q).unwrap().addresses[..],
        &[IpAddr::V4(ADDR)]
    );
}

#[test]
fn an_unreachable_server_is_passed_over_at_once() {
    let mut slots = [None, None];
    let mut r = resolver(&mut slots);
    let q = r.start_query("host.lan", QueryType::A).unwrap();
    sent(&mut r, Instant::ZERO);
    // Another address: nothing changes.
    r.server_failed(IpAddr::V4(ADDR));
    assert_eq!(r.poll_at(), Some(Instant::from_secs(2)));
    r.server_failed(S1);
    assert_eq!(r.poll_at(), Some(Instant::ZERO));
    let out = sent(&mut r, Instant::from_millis(3));
    assert_eq!(out[0].0.addr, S2);
    assert!(r.result(q).is_pending());
}

#[test]
fn poll_hears_a_port_unreachable_through_the_socket() {
    let buf = || PacketBuffer::new(vec![PacketMetadata::EMPTY; 4], vec![0u8; 1024]);
    let mut socket = UdpSocket::new(buf(), buf());
    socket.bind(49152).unwrap();
    let mut slots = [None];
    let mut r = resolver(&mut slots);
    r.start_query("host.lan", QueryType::A).unwrap();
    r.poll(Instant::ZERO, &mut socket);
    let sent: Result<(), ()> = socket.dispatch(Instant::ZERO, |_, _, _| Ok(()));
    sent.unwrap();
    let to = IpEndpoint::new(S1, 53);
    assert!(socket.process_icmp_error(crate::socket::error::SocketError::ConnectionRefused, to));
    r.poll(Instant::from_millis(1), &mut socket);
    assert_eq!(r.poll_at(), Some(Instant::from_millis(2001)));
    let sent: Result<(), ()> = socket.dispatch(Instant::ZERO, |meta, _, _| {
        assert_eq!(meta.endpoint, IpEndpoint::new(S2, 53));
        Ok(())
    });
    sent.unwrap();
}
