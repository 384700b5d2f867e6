//! Echo and error messages from captures, emit/parse round trips, and the
//! helpers (`hex`, `addr`, `fuzz_one`) the NDP and MLD tests share.

use super::*;
use crate::wire::{ChecksumMode, Error, IpProtocol, Ipv6Addr};

/// Decodes a hex string at compile time (test vectors are transcribed
/// from tshark's hex output).
pub(crate) const fn hex<const N: usize>(s: &str) -> [u8; N] {
    let b = s.as_bytes();
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = nibble(b[2 * i]) << 4 | nibble(b[2 * i + 1]);
        i += 1;
    }
    out
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => panic!("bad hex"),
    }
}

pub(crate) fn addr(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

/// Echo request from ipv6-srh-ext-header.pcap (inner packet of the
/// IPv6-in-IPv6 tunnel): Linux ping, ident 0x06ee, seq 1, 56 data bytes.
const ECHO: [u8; 64] = hex(concat!(
    "8000635e06ee000103c5475a000000000a5e000000000000101112131415161718191a1b",
    "1c1d1e1f202122232425262728292a2b2c2d2e2f3031323334353637"
));
const ECHO_SRC: &str = "a:b:c:12::1";
const ECHO_DST: &str = "b2::2";

/// Parameter Problem code 3 (RFC 7112) from icmpv6-rfc7112.pcap, quoting
/// a first fragment with an incomplete header chain.
const PARAM: [u8; 72] = hex(concat!(
    "0403994c000000306000000000182c402001063000420110ae1f6bfffe469eda20010630",
    "0042011002a098fffe15ece7290000010000d6b16227605c7830305c7830305c7830305c"
));
const PARAM_SRC: &str = "2001:630:42:110:2a0:98ff:fe15:ece7";
const PARAM_DST: &str = "2001:630:42:110:ae1f:6bff:fe46:9eda";

#[test]
fn message_numbers_round_trip() {
    for v in 0..=255u8 {
        assert_eq!(u8::from(Icmpv6Message::from(v)), v);
        assert_eq!(u8::from(DstUnreachable::from(v)), v);
        assert_eq!(u8::from(TimeExceeded::from(v)), v);
        assert_eq!(u8::from(ParamProblem::from(v)), v);
    }
    assert_eq!(Icmpv6Message::from(143), Icmpv6Message::MldV2Report);
    assert!(Icmpv6Message::ParamProblem.is_error());
    assert!(!Icmpv6Message::EchoReply.is_error());
    assert!(Icmpv6Message::Redirect.is_ndisc());
    assert!(Icmpv6Message::MldDone.is_mld());
}

#[test]
fn real_echo_request_fields() {
    let p = Icmpv6Packet::new_checked(&ECHO[..]).unwrap();
    assert_eq!(p.msg_type(), Icmpv6Message::EchoRequest);
    assert_eq!(p.msg_code(), 0);
    assert_eq!(p.checksum(), 0x635e);
    assert_eq!(p.echo_ident(), 0x06ee);
    assert_eq!(p.echo_seq_no(), 1);
    assert_eq!(p.payload(), &ECHO[8..]);
    let (s, d) = (addr(ECHO_SRC), addr(ECHO_DST));
    assert!(p.verify_checksum(&s, &d));
    assert!(!p.verify_checksum(&d, &d));
    let repr = Icmpv6Repr::parse(&s, &d, &p, ChecksumMode::Check).unwrap();
    assert_eq!(
        repr,
        Icmpv6Repr::EchoRequest {
            ident: 0x06ee,
            seq_no: 1,
            data: &ECHO[8..],
        }
    );
    assert_eq!(repr.buffer_len(), 64);
    let mut buf = [0xa5u8; 64];
    repr.emit(
        &s,
        &d,
        &mut Icmpv6Packet::new_unchecked(&mut buf[..]),
        ChecksumMode::Check,
    );
    assert_eq!(buf, ECHO);
}

#[test]
fn real_param_problem_fields() {
    let p = Icmpv6Packet::new_checked(&PARAM[..]).unwrap();
    assert_eq!(p.msg_type(), Icmpv6Message::ParamProblem);
    assert_eq!(p.msg_code(), 3);
    assert_eq!(p.checksum(), 0x994c);
    assert_eq!(p.pointer(), 48);
    assert_eq!(p.quoted().len(), 64);
    // The quoted packet starts with its IPv6 header (version 6, fragment next).
    assert_eq!(p.quoted()[0] >> 4, 6);
    assert_eq!(p.quoted()[6], 44);
    let (s, d) = (addr(PARAM_SRC), addr(PARAM_DST));
    assert!(p.verify_checksum(&s, &d));
    let repr = Icmpv6Repr::parse(&s, &d, &p, ChecksumMode::Check).unwrap();
    assert_eq!(
        repr,
        Icmpv6Repr::ParamProblem {
            reason: ParamProblem::IncompleteHdrChain,
            pointer: 48,
            data: &PARAM[8..],
        }
    );
    let mut buf = [0u8; 72];
    repr.emit(
        &s,
        &d,
        &mut Icmpv6Packet::new_unchecked(&mut buf[..]),
        ChecksumMode::Check,
    );
    assert_eq!(buf, PARAM);
}

#[test]
fn emit_errors_and_reply_round_trip() {
    let (s, d) = (addr("fe80::1"), addr("2001:db8::2"));
    let quoted = &PARAM[8..];
    let reprs = [
        Icmpv6Repr::DstUnreachable {
            reason: DstUnreachable::PortUnreachable,
            data: quoted,
        },
        Icmpv6Repr::DstUnreachable {
            reason: DstUnreachable::Unknown(99),
            data: &[],
        },
        Icmpv6Repr::PktTooBig {
            mtu: 1280,
            data: quoted,
        },
        Icmpv6Repr::TimeExceeded {
            reason: TimeExceeded::HopLimitExceeded,
            data: quoted,
        },
        Icmpv6Repr::EchoReply {
            ident: 7,
            seq_no: 0xffff,
            data: b"hello",
        },
    ];
    for repr in reprs {
        let mut buf = [0xffu8; 128];
        let buf = &mut buf[..repr.buffer_len()];
        repr.emit(
            &s,
            &d,
            &mut Icmpv6Packet::new_unchecked(&mut *buf),
            ChecksumMode::Check,
        );
        let p = Icmpv6Packet::new_checked(&*buf).unwrap();
        assert!(p.verify_checksum(&s, &d));
        assert_eq!(Icmpv6Repr::parse(&s, &d, &p, ChecksumMode::Check), Ok(repr));
    }
    // Packet Too Big, exact bytes: type 2, code 0, MTU 1280, quoted data.
    let repr = Icmpv6Repr::PktTooBig {
        mtu: 1280,
        data: &[0x60, 0, 0, 0],
    };
    let mut buf = [0u8; 12];
    repr.emit(
        &s,
        &d,
        &mut Icmpv6Packet::new_unchecked(&mut buf[..]),
        ChecksumMode::Skip,
    );
    assert_eq!(buf, [2, 0, 0, 0, 0, 0, 5, 0, 0x60, 0, 0, 0]);
}

#[test]
fn truncated_and_bad_checksum() {
    let (s, d) = (addr(ECHO_SRC), addr(ECHO_DST));
    for len in 0..HEADER_LEN {
        assert_eq!(
            Icmpv6Packet::new_checked(&ECHO[..len]).err(),
            Some(Error::Truncated)
        );
    }
    // Every shorter echo is still a valid echo, but its checksum fails.
    for len in HEADER_LEN..ECHO.len() {
        let p = Icmpv6Packet::new_checked(&ECHO[..len]).unwrap();
        assert_eq!(
            Icmpv6Repr::parse(&s, &d, &p, ChecksumMode::Check),
            Err(Error::Checksum)
        );
        assert!(Icmpv6Repr::parse(&s, &d, &p, ChecksumMode::Skip).is_ok());
    }
    let mut bad = ECHO;
    bad[20] ^= 1;
    let p = Icmpv6Packet::new_checked(&bad[..]).unwrap();
    assert!(!p.verify_checksum(&s, &d));
    assert_eq!(
        Icmpv6Repr::parse(&s, &d, &p, ChecksumMode::Check),
        Err(Error::Checksum)
    );
    // NDP and MLD types need their fixed part (RFC 4861 §4.3, RFC 2710 §3).
    let mut ns = [0u8; 23];
    ns[0] = 135;
    assert_eq!(
        Icmpv6Packet::new_checked(&ns[..]).err(),
        Some(Error::Truncated)
    );
    let mut q = [0u8; 23];
    q[0] = 130;
    assert_eq!(
        Icmpv6Packet::new_checked(&q[..]).err(),
        Some(Error::Truncated)
    );
}

#[test]
fn accessors_never_panic_on_short_buffers() {
    // Any accessor, even one for another type's field, is safe.
    let p = Icmpv6Packet::new_unchecked(&[128u8][..]);
    assert_eq!(p.mtu(), 0);
    assert_eq!(p.echo_seq_no(), 0);
    assert_eq!(p.payload(), &[] as &[u8]);
    let mut b = [0u8; 3];
    let mut p = Icmpv6Packet::new_unchecked(&mut b[..]);
    p.set_pointer(5);
    p.fill_checksum(&Ipv6Addr::LOCALHOST, &Ipv6Addr::LOCALHOST);
}

/// Checks the brief's never-panic property on one real packet: every
/// prefix and single-byte mutation parses to Ok or Err, and an Ok repr
/// survives emit → parse.
pub(crate) fn fuzz_one(src: &Ipv6Addr, dst: &Ipv6Addr, bytes: &[u8]) {
    let check = |b: &[u8]| {
        let Ok(p) = Icmpv6Packet::new_checked(b) else {
            return;
        };
        let _ = (p.msg_type(), p.checksum(), p.mtu(), p.quoted());
        let _ = p.verify_checksum(src, dst);
        if let Ok(repr) = Icmpv6Repr::parse(src, dst, &p, ChecksumMode::Skip) {
            let mut out = [0u8; 2048];
            let out = &mut out[..repr.buffer_len()];
            repr.emit(
                src,
                dst,
                &mut Icmpv6Packet::new_unchecked(&mut *out),
                ChecksumMode::Check,
            );
            let p2 = Icmpv6Packet::new_checked(&*out).expect("emitted packet checks");
            assert_eq!(
                Icmpv6Repr::parse(src, dst, &p2, ChecksumMode::Check),
                Ok(repr),
                "round trip of {b:02x?}"
            );
        }
    };
    for len in 0..=bytes.len() {
        check(&bytes[..len]);
    }
    let mut m = [0u8; 2048];
    let m = &mut m[..bytes.len()];
    for i in 0..bytes.len() {
        for v in [bytes[i] ^ 0xff, 0x00, 0xff, 0x01, bytes[i] ^ 0x80] {
            m.copy_from_slice(bytes);
            m[i] = v;
            check(m);
        }
    }
}

#[test]
fn never_panics_on_mutations() {
    fuzz_one(&addr(ECHO_SRC), &addr(ECHO_DST), &ECHO);
    fuzz_one(&addr(PARAM_SRC), &addr(PARAM_DST), &PARAM);
}

#[test]
fn quoted_packet_is_an_ipv6_view_only_for_errors() {
    // Port unreachable quoting a UDP datagram from 2001:db8::1 to 2001:db8::2.
    let mut msg = [0u8; 8 + 48];
    msg[0] = 1; // destination unreachable
    msg[1] = 4; // port unreachable
    let ip = &mut msg[8..];
    ip[0] = 0x60;
    ip[4..6].copy_from_slice(&100u16.to_be_bytes()); // longer than quoted: cut
    ip[6] = 17;
    ip[7] = 64;
    ip[8..24].copy_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
    ip[24..40].copy_from_slice(&"2001:db8::2".parse::<Ipv6Addr>().unwrap().octets());
    let p = Icmpv6Packet::new_checked(&msg[..]).unwrap();
    let q = p.quoted_packet().unwrap();
    assert_eq!(q.next_header(), IpProtocol::Udp);
    assert_eq!(q.dst_addr(), "2001:db8::2".parse::<Ipv6Addr>().unwrap());
    assert_eq!(q.payload().len(), 8, "what is present of the cut payload");
    // A quote shorter than the IPv6 header is not a view.
    let short = Icmpv6Packet::new_checked(&msg[..8 + 39]).unwrap();
    assert_eq!(short.quoted_packet().unwrap_err(), Error::Truncated);
    // Echo messages quote nothing.
    msg[0] = 128;
    msg[1] = 0;
    let echo = Icmpv6Packet::new_checked(&msg[..]).unwrap();
    assert!(matches!(echo.quoted_packet(), Err(Error::Unsupported(_))));
}
