//! The `dns` target: a DNS message as a server's answer, read by the wire
//! module and judged by the stub resolver.

use std::hint::black_box;
use std::task::Poll;

use rstcp::dns::{QueryType, Resolver, ResolverConfig};
use rstcp::wire::dns::{DnsMessage, QueryRepr, MAX_NAME_LEN};
use rstcp::wire::{IpAddr, IpEndpoint, Ipv4Addr};

const SERVER: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 69, 100));

/// Every accessor and iterator of a parsed message, every name shown and
/// copied out, the query round trip; then the message as the answer to a
/// query for its own first question (ID patched in), which the resolver
/// must judge without panicking.
pub fn dns(data: &[u8]) {
    if let Ok(q) = QueryRepr::parse(data) {
        let mut buf = vec![0u8; q.buffer_len()];
        let n = q.emit(&mut buf).expect("buffer_len is enough");
        assert_eq!(QueryRepr::parse(&buf[..n]), Ok(q), "DNS query round trip");
    }
    let Ok(msg) = DnsMessage::parse(data) else {
        resolve(data, "a.lan");
        return;
    };
    let h = msg.header();
    black_box((h.id(), h.flags(), h.opcode(), h.rcode(), h.truncated()));
    let mut wire = [0u8; MAX_NAME_LEN];
    for q in msg.questions() {
        black_box((q.qtype, q.qclass, q.name.to_string()));
        let n = q
            .name
            .to_wire(&mut wire)
            .expect("a checked name fits 255 bytes");
        assert!(
            q.name.eq_wire(&wire[..n]),
            "DNS name equals its own wire form"
        );
    }
    for r in msg.answers().chain(msg.other_records()) {
        black_box((r.rtype, r.class, r.ttl, r.data, r.name.to_string()));
        r.name
            .to_wire(&mut wire)
            .expect("a checked name fits 255 bytes");
    }
    // A question of plain labels becomes the query the message answers.
    let name = msg
        .questions()
        .next()
        .map(|q| q.name.to_string())
        .filter(|n| {
            n.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        })
        .unwrap_or_else(|| "a.lan".into());
    resolve(data, &name);
}

fn resolve(data: &[u8], name: &str) {
    let mut slots = [None, None];
    let mut r = Resolver::new(&mut slots[..], ResolverConfig::default(), 1);
    r.set_servers(&[SERVER]);
    let now = rstcp::time::Instant::ZERO;
    let mut ids = Vec::new();
    let mut handles = Vec::new();
    for t in [QueryType::A, QueryType::Aaaa] {
        if let Ok(h) = r.start_query(name, t) {
            handles.push(h);
        }
    }
    r.dispatch(now, |_, d| {
        ids.push(QueryRepr::parse(d).expect("the resolver's query parses").id);
        true
    });
    for id in ids {
        let mut m = data.to_vec();
        if let Some(head) = m.get_mut(..2) {
            head.copy_from_slice(&id.to_be_bytes());
        }
        r.process(IpEndpoint::new(SERVER, 53), &m);
    }
    for h in handles {
        if let Poll::Ready(Ok(a)) = r.result(h) {
            assert!(!a.addresses.is_empty(), "a resolved query has an address");
        }
    }
}

/// Hand-made answers: an A, a CNAME chain to an AAAA, NXDOMAIN.
pub fn seeds() -> Vec<Vec<u8>> {
    let q = |qtype: u8| {
        let mut m = vec![0, 0, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0];
        m.extend_from_slice(b"\x04host\x03lan\x00\x00");
        m.extend_from_slice(&[qtype, 0, 1]);
        m
    };
    let mut a = q(1);
    a[7] = 1;
    a.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 30, 0, 4, 10, 0, 0, 1]);
    let mut aaaa = q(28);
    aaaa[7] = 2;
    aaaa.extend_from_slice(&[
        0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 30, 0, 6, 3, b'w', b'w', b'w', 0xc0, 17,
    ]);
    aaaa.extend_from_slice(&[0xc0, 40, 0, 28, 0, 1, 0, 0, 0, 30, 0, 16]);
    aaaa.extend_from_slice(&[0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    let mut nx = q(1);
    nx[3] = 0x83;
    vec![a, aaaa, nx]
}
