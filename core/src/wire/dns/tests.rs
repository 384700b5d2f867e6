use super::*;

/// `www.example.com` in wire form.
const WWW: &[u8] = b"\x03www\x07example\x03com\x00";

/// A recursive server's answer to `www.example.com A` (id 0x1234): a CNAME
/// to `web.example.com` and its A record, names compressed as servers do.
fn cname_answer() -> [u8; 79] {
    let mut m = [0u8; 79];
    let bytes: &[u8] = &[
        0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0, // header: response, RD RA
        // 12: question www.example.com A IN
        3, b'w', b'w', b'w', 7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0, 0,
        1, 0, 1, // 33: answer 1: ptr to 12, CNAME IN ttl 300, rdlen 6: "web" + ptr to 16
        0xc0, 12, 0, 5, 0, 1, 0, 0, 1, 44, 0, 6, 3, b'w', b'e', b'b', 0xc0, 16,
        // 51: answer 2: ptr to 45 (web.example.com), A IN ttl 60, 93.184.216.34
        0xc0, 45, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 93, 184, 216, 34,
        // 67: padding the parser must ignore
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];
    m.copy_from_slice(bytes);
    m
}

#[test]
fn query_emit_is_rfc1035_bytes_and_parses_back() {
    let q = QueryRepr {
        id: 0xbeef,
        name: WWW,
        qtype: RecordType::Aaaa,
    };
    let mut buf = [0u8; 64];
    let n = q.emit(&mut buf).unwrap();
    assert_eq!(n, q.buffer_len());
    let mut want = [0u8; 33];
    want[..12].copy_from_slice(&[0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    want[12..29].copy_from_slice(WWW);
    want[29..].copy_from_slice(&[0, 28, 0, 1]);
    assert_eq!(&buf[..n], &want);
    assert_eq!(QueryRepr::parse(&buf[..n]), Ok(q));
    assert_eq!(q.emit(&mut buf[..n - 1]), Err(Error::Truncated));
}

#[test]
fn compressed_answers_are_followed() {
    let m = cname_answer();
    let msg = DnsMessage::parse(&m).unwrap();
    let h = msg.header();
    assert!(h.is_response() && h.recursion_available() && !h.truncated());
    assert_eq!((h.id(), h.rcode()), (0x1234, Rcode::NoError));
    let q = msg.questions().next().unwrap();
    assert!(q.name.eq_wire(WWW));
    assert!(q.name.eq_wire(b"\x03WWW\x07Example\x03COM\x00"));
    assert!(!q.name.eq_wire(b"\x03www\x07example\x00"));
    assert_eq!(q.qtype, RecordType::A);
    let answers: heapless::Vec<Record<'_>, 4> = msg.answers().collect();
    assert_eq!(answers.len(), 2);
    assert!(answers[0].name.eq_wire(WWW));
    assert_eq!(answers[0].ttl, 300);
    let RecordData::Cname(cname) = answers[0].data else {
        panic!("{:?}", answers[0].data)
    };
    assert!(cname.eq_wire(b"\x03web\x07example\x03com\x00"));
    assert!(answers[1].name.eq_name(&cname));
    assert_eq!(
        answers[1].data,
        RecordData::A(Ipv4Addr::new(93, 184, 216, 34))
    );
    let mut wire = [0u8; MAX_NAME_LEN];
    let n = cname.to_wire(&mut wire).unwrap();
    assert_eq!(&wire[..n], b"\x03web\x07example\x03com\x00");
    let mut s: heapless::String<64> = heapless::String::new();
    core::fmt::write(&mut s, format_args!("{cname}")).unwrap();
    assert_eq!(s, "web.example.com");
}

#[test]
fn every_prefix_of_an_answer_is_refused_without_panic() {
    let m = cname_answer();
    // 67 bytes hold every record; a shorter buffer cuts one.
    for n in 0..67 {
        assert!(DnsMessage::parse(&m[..n]).is_err(), "{n} bytes parsed");
    }
    assert!(DnsMessage::parse(&m[..67]).is_ok());
}

#[test]
fn a_pointer_loop_is_refused() {
    let mut m = cname_answer();
    // The CNAME's tail pointer pointing at itself (49).
    m[50] = 49;
    assert_eq!(
        DnsMessage::parse(&m).unwrap_err(),
        Error::Malformed("dns compression pointer")
    );
    // Two pointers pointing at each other: the second goes forward.
    let mut m = cname_answer();
    m[33..35].copy_from_slice(&[0xc0, 51]);
    m[51..53].copy_from_slice(&[0xc0, 33]);
    assert_eq!(
        DnsMessage::parse(&m).unwrap_err(),
        Error::Malformed("dns compression pointer")
    );
    // Into the header.
    let mut m = cname_answer();
    m[34] = 2;
    assert_eq!(
        DnsMessage::parse(&m).unwrap_err(),
        Error::Malformed("dns compression pointer")
    );
}

#[test]
fn a_name_over_255_bytes_is_refused_even_when_compressed() {
    // A 500-byte message: header, then labels of 63 bytes, each name one
    // more label in front of a pointer to the previous one.
    let mut m = [0u8; 600];
    m[..12].copy_from_slice(&[0, 1, 0x81, 0x80, 0, 5, 0, 0, 0, 0, 0, 0]);
    let mut at = 12;
    let mut prev: Option<usize> = None;
    for _ in 0..5 {
        let start = at;
        m[at] = 63;
        m[at + 1..at + 64].fill(b'a');
        at += 64;
        match prev {
            None => {
                m[at] = 0;
                at += 1;
            }
            Some(p) => {
                m[at] = 0xc0 | (p >> 8) as u8;
                m[at + 1] = p as u8;
                at += 2;
            }
        }
        m[at..at + 4].copy_from_slice(&[0, 1, 0, 1]);
        at += 4;
        prev = Some(start);
    }
    // Four labels of 64 plus the root is 257 bytes: the fourth name fails.
    assert_eq!(
        DnsMessage::parse(&m[..at]).unwrap_err(),
        Error::Malformed("dns name length")
    );
    m[5] = 3;
    let msg = DnsMessage::parse(&m[..at]).unwrap();
    assert_eq!(msg.questions().count(), 3);
    assert_eq!(msg.questions().nth(2).unwrap().name.labels().count(), 3);
}

#[test]
fn counts_past_the_buffer_and_bad_lengths_are_typed_errors() {
    let mut m = cname_answer();
    m[6..8].copy_from_slice(&[0xff, 0xff]);
    assert_eq!(DnsMessage::parse(&m).unwrap_err(), Error::Truncated);
    let mut m = cname_answer();
    m[62] = 5; // the A record's length
    assert!(DnsMessage::parse(&m).is_err());
    let mut m = cname_answer();
    m[62] = 3;
    assert_eq!(
        DnsMessage::parse(&m[..66]).unwrap_err(),
        Error::Malformed("dns A length")
    );
    // The CNAME's data longer than its name.
    let mut m = cname_answer();
    m[44] = 7;
    assert!(DnsMessage::parse(&m).is_err());
    // An extended label type (RFC 6891 §5).
    let mut m = cname_answer();
    m[12] = 0x41;
    assert_eq!(
        DnsMessage::parse(&m).unwrap_err(),
        Error::Unsupported("dns label type")
    );
}

#[test]
fn hostile_labels_are_escaped_when_shown() {
    let mut m = [0u8; 12 + 8 + 4];
    m[5] = 1;
    m[12..20].copy_from_slice(b"\x02a.\x03\n\\\x01\x00");
    let msg = DnsMessage::parse(&m).unwrap();
    let mut s: heapless::String<64> = heapless::String::new();
    let name = msg.questions().next().unwrap().name;
    core::fmt::write(&mut s, format_args!("{name}")).unwrap();
    assert_eq!(s, "a\\046.\\010\\092\\001");
}

#[test]
fn a_response_is_not_a_query() {
    let mut buf = [0u8; 64];
    let q = QueryRepr {
        id: 1,
        name: WWW,
        qtype: RecordType::A,
    };
    let n = q.emit(&mut buf).unwrap();
    assert!(QueryRepr::parse(&buf[..n]).is_ok());
    buf[2] |= 0x80;
    assert_eq!(
        QueryRepr::parse(&buf[..n]),
        Err(Error::Unsupported("dns message kind"))
    );
}
