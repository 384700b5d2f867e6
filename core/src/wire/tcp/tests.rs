//! Captured TCP segments read field by field and emitted back byte for byte;
//! sequence arithmetic, options, truncations and mutations.

use super::*;
use crate::wire::{Ipv4Addr, Ipv6Addr};

// dns_tcp.pcap frame 1: a Linux SYN, 192.168.1.11:33779 -> 209.87.249.18:53,
// seq 603899916, window 64240, checksum 0x0c41, options MSS 1460,
// SACK-permitted, TS (0x79e2ca9a, 0), NOP, WS 7.
const SYN_SRC: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 11));
const SYN_DST: IpAddr = IpAddr::V4(Ipv4Addr::new(209, 87, 249, 18));
const SYN: [u8; 40] = [
    0x83, 0xf3, 0x00, 0x35, 0x23, 0xfe, 0xc8, 0x0c, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0,
    0x0c, 0x41, 0x00, 0x00, // fixed header
    0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x79, 0xe2, 0xca, 0x9a, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x03, 0x03, 0x07,
];

// ssh.pcap frame 48: a pure ACK carrying one SACK block after fourteen NOPs
// (a middlebox blanked its timestamps), 223.132.53.222:22 ->
// 202.108.87.165:62146, seq 2455222326, ack 4082238874, window 340,
// checksum 0xe1f3.
const SACK_SRC: IpAddr = IpAddr::V4(Ipv4Addr::new(223, 132, 53, 222));
const SACK_DST: IpAddr = IpAddr::V4(Ipv4Addr::new(202, 108, 87, 165));
const SACK: [u8; 44] = [
    0x00, 0x16, 0xf2, 0xc2, 0x92, 0x57, 0xb8, 0x36, 0xf3, 0x52, 0x05, 0x9a, 0xb0, 0x10, 0x01, 0x54,
    0xe1, 0xf3, 0x00, 0x00, // fixed header
    0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x01, // NOPs
    0x05, 0x0a, 0xf3, 0x52, 0x05, 0xfa, 0xf3, 0x52, 0x05, 0xfb,
];

// bgp-malformed-hard-reset.pcap frame 1: PSH+ACK with timestamps and 21
// bytes of BGP, 1.0.0.1:34747 -> 1.0.0.2:179, seq 3093910375,
// ack 2688634272, window 128, checksum 0xf880.
const DATA_SRC: IpAddr = IpAddr::V4(Ipv4Addr::new(1, 0, 0, 1));
const DATA_DST: IpAddr = IpAddr::V4(Ipv4Addr::new(1, 0, 0, 2));
const DATA: [u8; 53] = [
    0x87, 0xbb, 0x00, 0xb3, 0xb8, 0x69, 0x53, 0x67, 0xa0, 0x41, 0x4d, 0xa0, 0x80, 0x18, 0x00, 0x80,
    0xf8, 0x80, 0x00, 0x00, // fixed header
    0x01, 0x01, 0x08, 0x0a, 0x47, 0x56, 0x5d, 0xaa, 0xff, 0xc6, 0x48, 0x99, // NOP NOP TS
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x00, 0x15, 0x03, 0x06, 0x09,
];

fn syn_repr() -> TcpRepr<'static> {
    TcpRepr {
        src_port: 33779,
        dst_port: 53,
        control: TcpFlags::SYN,
        seq_number: TcpSeqNumber(603899916),
        ack_number: None,
        window_len: 64240,
        window_scale: Some(7),
        max_seg_size: Some(1460),
        sack_permitted: true,
        sack_ranges: [None; 4],
        timestamp: Some((0x79e2ca9a, 0)),
        urgent_at: None,
        payload: &[],
    }
}

fn data_repr() -> TcpRepr<'static> {
    TcpRepr {
        src_port: 34747,
        dst_port: 179,
        control: TcpFlags::PSH,
        seq_number: TcpSeqNumber(3093910375),
        ack_number: Some(TcpSeqNumber(2688634272)),
        window_len: 128,
        window_scale: None,
        max_seg_size: None,
        sack_permitted: false,
        sack_ranges: [None; 4],
        timestamp: Some((0x47565daa, 0xffc64899)),
        urgent_at: None,
        payload: &DATA[32..],
    }
}

fn emit_into<'b>(repr: &TcpRepr<'_>, buf: &'b mut [u8], src: &IpAddr, dst: &IpAddr) -> &'b [u8] {
    let len = repr.buffer_len();
    let mut p = TcpPacket::new_unchecked(&mut buf[..len]);
    repr.emit(&mut p, src, dst, ChecksumMode::Check);
    &buf[..len]
}

#[test]
fn seq_numbers_compare_modulo_2_32() {
    let a = TcpSeqNumber(0xffff_fff0);
    let b = a + 0x20; // wraps to 0x10
    assert_eq!(b, TcpSeqNumber(0x10));
    assert!(a < b);
    assert!(b > a);
    assert_eq!(b - a, 0x20);
    assert_eq!(a - b, -0x20);
    assert_eq!(b - 0x20usize, a);
    assert_eq!(a.max(b), b);
    assert_eq!(a.min(b), a);
    let mut c = a;
    c += 16;
    assert_eq!(c, TcpSeqNumber(0));
    // Exactly half the space apart: neither is ahead.
    let far = TcpSeqNumber(0) + (1usize << 31);
    assert_eq!(TcpSeqNumber(0).partial_cmp(&far), None);
    assert_eq!(far.partial_cmp(&TcpSeqNumber(0)), None);
    assert!(TcpSeqNumber(0) < far - 1usize);
}

#[test]
fn real_syn_fields() {
    let p = TcpPacket::new_checked(&SYN[..]).unwrap();
    assert_eq!(p.src_port(), 33779);
    assert_eq!(p.dst_port(), 53);
    assert_eq!(p.seq_number(), TcpSeqNumber(603899916));
    assert_eq!(p.ack_number(), TcpSeqNumber(0));
    assert_eq!(p.header_len(), 40);
    assert_eq!(p.flags(), 0x02);
    assert_eq!(p.control(), TcpFlags::SYN);
    assert!(p.syn() && !p.ack() && !p.fin() && !p.rst());
    assert_eq!(p.reserved(), 0);
    assert_eq!(p.window_len(), 64240);
    assert_eq!(p.checksum(), 0x0c41);
    assert_eq!(p.urgent_at(), 0);
    assert_eq!(p.options(), &SYN[20..]);
    assert_eq!(p.payload(), &[] as &[u8]);
    assert_eq!(p.segment_len(), 1);
    assert!(p.verify_checksum(&SYN_SRC, &SYN_DST));
    let mut it = p.options_iter();
    assert_eq!(it.next(), Some(Ok(TcpOption::MaxSegmentSize(1460))));
    assert_eq!(it.next(), Some(Ok(TcpOption::SackPermitted)));
    assert_eq!(
        it.next(),
        Some(Ok(TcpOption::Timestamp {
            tsval: 0x79e2ca9a,
            tsecr: 0
        }))
    );
    assert_eq!(it.next(), Some(Ok(TcpOption::NoOperation)));
    assert_eq!(it.next(), Some(Ok(TcpOption::WindowScale(7))));
    assert_eq!(it.next(), None);
    let repr = TcpRepr::parse(&p, &SYN_SRC, &SYN_DST, ChecksumMode::Check).unwrap();
    assert_eq!(repr, syn_repr());
    assert_eq!(repr.header_len(), 40);
    assert_eq!(repr.buffer_len(), 40);
    assert_eq!(repr.segment_len(), 1);
}

#[test]
fn real_sack_fields() {
    let p = TcpPacket::new_checked(&SACK[..]).unwrap();
    assert_eq!(p.src_port(), 22);
    assert_eq!(p.dst_port(), 62146);
    assert_eq!(p.seq_number(), TcpSeqNumber(2455222326));
    assert_eq!(p.ack_number(), TcpSeqNumber(4082238874));
    assert_eq!(p.header_len(), 44);
    assert_eq!(p.control(), TcpFlags::ACK);
    assert_eq!(p.window_len(), 340);
    assert_eq!(p.checksum(), 0xe1f3);
    assert_eq!(p.urgent_at(), 0);
    assert!(p.payload().is_empty());
    assert!(p.verify_checksum(&SACK_SRC, &SACK_DST));
    let opts = p.options_iter();
    assert_eq!(opts.clone().count(), 15);
    assert_eq!(
        opts.last(),
        Some(Ok(TcpOption::SackRange([
            Some((0xf35205fa, 0xf35205fb)),
            None,
            None,
            None
        ])))
    );
    let repr = TcpRepr::parse(&p, &SACK_SRC, &SACK_DST, ChecksumMode::Check).unwrap();
    assert_eq!(
        repr,
        TcpRepr {
            src_port: 22,
            dst_port: 62146,
            control: TcpFlags::empty(),
            seq_number: TcpSeqNumber(2455222326),
            ack_number: Some(TcpSeqNumber(4082238874)),
            window_len: 340,
            window_scale: None,
            max_seg_size: None,
            sack_permitted: false,
            sack_ranges: [Some((0xf35205fa, 0xf35205fb)), None, None, None],
            timestamp: None,
            urgent_at: None,
            payload: &[],
        }
    );
    // Re-emitted word-aligned: NOP NOP SACK, 32-byte header.
    let mut buf = [0u8; 64];
    let out = emit_into(&repr, &mut buf, &SACK_SRC, &SACK_DST);
    assert_eq!(out.len(), 32);
    assert_eq!(
        &out[20..],
        &[1, 1, 5, 10, 0xf3, 0x52, 0x05, 0xfa, 0xf3, 0x52, 0x05, 0xfb]
    );
    let q = TcpPacket::new_checked(out).unwrap();
    assert_eq!(
        TcpRepr::parse(&q, &SACK_SRC, &SACK_DST, ChecksumMode::Check),
        Ok(repr)
    );
}

#[test]
fn real_data_segment_fields() {
    let p = TcpPacket::new_checked(&DATA[..]).unwrap();
    assert_eq!(p.src_port(), 34747);
    assert_eq!(p.dst_port(), 179);
    assert_eq!(p.seq_number(), TcpSeqNumber(3093910375));
    assert_eq!(p.ack_number(), TcpSeqNumber(2688634272));
    assert_eq!(p.header_len(), 32);
    assert_eq!(p.flags(), 0x18);
    assert_eq!(p.control(), TcpFlags::PSH | TcpFlags::ACK);
    assert_eq!(p.window_len(), 128);
    assert_eq!(p.checksum(), 0xf880);
    assert_eq!(p.urgent_at(), 0);
    assert_eq!(p.payload().len(), 21);
    assert_eq!(p.payload(), &DATA[32..]);
    assert_eq!(p.segment_len(), 21);
    assert!(p.verify_checksum(&DATA_SRC, &DATA_DST));
    let repr = TcpRepr::parse(&p, &DATA_SRC, &DATA_DST, ChecksumMode::Check).unwrap();
    assert_eq!(repr, data_repr());
    assert_eq!(repr.buffer_len(), 53);
}

#[test]
fn emit_reproduces_real_bytes() {
    let mut buf = [0u8; 64];
    assert_eq!(
        emit_into(&syn_repr(), &mut buf, &SYN_SRC, &SYN_DST),
        &SYN[..]
    );
    let mut buf = [0u8; 64];
    assert_eq!(
        emit_into(&data_repr(), &mut buf, &DATA_SRC, &DATA_DST),
        &DATA[..]
    );
}

#[test]
fn emit_over_ipv6_verifies() {
    let src = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1));
    let dst = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2));
    let mut buf = [0u8; 64];
    let out = emit_into(&data_repr(), &mut buf, &src, &dst);
    let p = TcpPacket::new_checked(out).unwrap();
    assert!(p.verify_checksum(&src, &dst));
    assert!(!p.verify_checksum(&DATA_SRC, &DATA_DST));
    assert_eq!(
        TcpRepr::parse(&p, &src, &dst, ChecksumMode::Check),
        Ok(data_repr())
    );
}

#[test]
fn emit_skip_leaves_checksum_alone() {
    let mut buf = [0xaau8; 53];
    let mut p = TcpPacket::new_unchecked(&mut buf[..]);
    data_repr().emit(&mut p, &DATA_SRC, &DATA_DST, ChecksumMode::Skip);
    assert_eq!(p.checksum(), 0);
    let mut p = TcpPacket::new_unchecked(&mut buf[..]);
    p.fill_checksum(&DATA_SRC, &DATA_DST);
    assert_eq!(&buf[..], &DATA[..]);
}

#[test]
fn setters_write_fields() {
    let mut buf = [0u8; 24];
    let mut p = TcpPacket::new_unchecked(&mut buf[..]);
    p.set_src_port(1);
    p.set_dst_port(2);
    p.set_seq_number(TcpSeqNumber(3));
    p.set_ack_number(TcpSeqNumber(4));
    p.set_header_len(24);
    p.set_control(TcpFlags::NS | TcpFlags::CWR | TcpFlags::ECE | TcpFlags::ACK);
    p.set_window_len(5);
    p.set_checksum(6);
    p.set_urgent_at(7);
    p.options_mut().copy_from_slice(&[1, 1, 1, 0]);
    assert!(p.payload_mut().is_empty());
    assert_eq!(p.control().bits(), 0x1d0);
    p.set_flags(0x01);
    assert_eq!(p.control(), TcpFlags::NS | TcpFlags::FIN);
    assert_eq!(
        buf,
        [0, 1, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0x61, 0x01, 0, 5, 0, 6, 0, 7, 1, 1, 1, 0]
    );
}

#[test]
fn flags_and_urgent_round_trip() {
    let repr = TcpRepr {
        control: TcpFlags::FIN | TcpFlags::NS | TcpFlags::ECE | TcpFlags::CWR,
        urgent_at: Some(3),
        payload: b"abcd",
        ..data_repr()
    };
    let mut buf = [0u8; 64];
    let out = emit_into(&repr, &mut buf, &DATA_SRC, &DATA_DST);
    let p = TcpPacket::new_checked(out).unwrap();
    assert_eq!(p.control().bits(), 0x1f1);
    assert_eq!(p.urgent_at(), 3);
    assert_eq!(p.segment_len(), 5);
    assert_eq!(
        TcpRepr::parse(&p, &DATA_SRC, &DATA_DST, ChecksumMode::Check),
        Ok(repr)
    );
}

#[test]
fn packed_layout_when_aligned_does_not_fit() {
    // TS (10) + WS (3) + three SACK blocks (26) = 39 bytes packed, but 44
    // word-aligned: emit must pack to keep every option.
    let mut opts = [0u8; 40];
    opts[..10].copy_from_slice(&[8, 10, 0, 0, 0, 1, 0, 0, 0, 2]);
    opts[10..13].copy_from_slice(&[3, 3, 14]);
    opts[13] = 5;
    opts[14] = 26;
    for (i, b) in opts[15..39].iter_mut().enumerate() {
        *b = i as u8;
    }
    let mut seg = [0u8; 60];
    seg[..20].copy_from_slice(&DATA[..20]);
    seg[20..].copy_from_slice(&opts);
    seg[12] = 0xf0; // data offset 15
    let mut p = TcpPacket::new_unchecked(&mut seg[..]);
    p.fill_checksum(&DATA_SRC, &DATA_DST);
    let p = TcpPacket::new_checked(&seg[..]).unwrap();
    let repr = TcpRepr::parse(&p, &DATA_SRC, &DATA_DST, ChecksumMode::Check).unwrap();
    assert_eq!(repr.sack_count(), 3);
    assert_eq!(repr.window_scale, Some(14));
    assert_eq!(repr.timestamp, Some((1, 2)));
    assert_eq!(repr.header_len(), 60);
    let mut buf = [0u8; 64];
    let out = emit_into(&repr, &mut buf, &DATA_SRC, &DATA_DST);
    let q = TcpPacket::new_checked(out).unwrap();
    assert_eq!(
        TcpRepr::parse(&q, &DATA_SRC, &DATA_DST, ChecksumMode::Check),
        Ok(repr)
    );

    // A hand-built repr with more than fits drops SACK blocks, never panics.
    let big = TcpRepr {
        max_seg_size: Some(1),
        window_scale: Some(1),
        sack_permitted: true,
        sack_ranges: [Some((1, 2)); 4],
        ..repr
    };
    assert!(big.header_len() <= MAX_HEADER_LEN);
    let out = emit_into(&big, &mut buf, &DATA_SRC, &DATA_DST);
    let q = TcpPacket::new_checked(out).unwrap();
    let again = TcpRepr::parse(&q, &DATA_SRC, &DATA_DST, ChecksumMode::Check).unwrap();
    assert_eq!(again.sack_count(), 2);
}

#[test]
fn unknown_options_are_skipped() {
    let opts = [30, 4, 0xaa, 0xbb, 2, 4, 0x05, 0xb4, 0, 9, 9, 9];
    let mut it = TcpOptions::new(&opts);
    assert_eq!(
        it.next(),
        Some(Ok(TcpOption::Unknown {
            kind: 30,
            data: &[0xaa, 0xbb]
        }))
    );
    assert_eq!(it.next(), Some(Ok(TcpOption::MaxSegmentSize(1460))));
    // After End of Option List the rest is padding, not options.
    assert_eq!(it.next(), Some(Ok(TcpOption::EndOfList)));
    assert_eq!(it.next(), None);
}

#[test]
fn bad_options_are_malformed() {
    let cases: [(&[u8], &str); 12] = [
        (&[30], "tcp option length"),
        (&[30, 0], "tcp option length"),
        (&[30, 1, 0, 0], "tcp option length"),
        (&[30, 5, 0, 0], "tcp option length"),
        (&[2, 3, 0, 1], "tcp mss option"),
        (&[2, 5, 0, 0, 0, 1, 1, 1], "tcp mss option"),
        (&[3, 4, 0, 1], "tcp window scale option"),
        (&[4, 3, 0, 1], "tcp sack-permitted option"),
        (&[5, 2, 1, 1], "tcp sack option"),
        (&[5, 9, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1], "tcp sack option"),
        (&[8, 8, 0, 0, 0, 0, 0, 0], "tcp timestamp option"),
        (&[1, 1, 8, 11, 0, 0, 0, 0, 0, 0, 0, 0], "tcp option length"),
    ];
    for (opts, what) in cases {
        let mut it = TcpOptions::new(opts);
        let err = it.find_map(|o| o.err());
        assert_eq!(err, Some(Error::Malformed(what)), "{opts:?}");
        assert_eq!(it.next(), None, "stops after an error");

        // The same through parse of a whole segment.
        let header_len = HEADER_LEN + opts.len().next_multiple_of(4);
        let mut seg = [0u8; 32];
        let seg = &mut seg[..header_len];
        seg[..20].copy_from_slice(&DATA[..20]);
        seg[12] = ((header_len / 4) as u8) << 4;
        seg[20..20 + opts.len()].copy_from_slice(opts);
        let mut p = TcpPacket::new_unchecked(&mut *seg);
        p.fill_checksum(&DATA_SRC, &DATA_DST);
        let p = TcpPacket::new_checked(&*seg).unwrap();
        assert_eq!(
            TcpRepr::parse(&p, &DATA_SRC, &DATA_DST, ChecksumMode::Check),
            Err(Error::Malformed(what))
        );
    }
    // Four SACK blocks (34 bytes) is the most; a 42-byte SACK cannot fit.
    let mut four = [0u8; 34];
    four[0] = 5;
    four[1] = 34;
    assert!(matches!(
        TcpOptions::new(&four).next(),
        Some(Ok(TcpOption::SackRange([
            Some(_),
            Some(_),
            Some(_),
            Some(_)
        ])))
    ));
}

#[test]
fn every_truncation_is_an_error() {
    for (seg, src, dst) in [
        (&SYN[..], SYN_SRC, SYN_DST),
        (&SACK[..], SACK_SRC, SACK_DST),
        (&DATA[..], DATA_SRC, DATA_DST),
    ] {
        let header_len = TcpPacket::new_checked(seg).unwrap().header_len();
        for n in 0..seg.len() {
            let r = TcpPacket::new_checked(&seg[..n]);
            if n < header_len {
                assert_eq!(r.err(), Some(Error::Truncated), "prefix {n}");
            } else {
                // The header is whole; the missing data shows in the checksum.
                let p = r.unwrap();
                assert_eq!(
                    TcpRepr::parse(&p, &src, &dst, ChecksumMode::Check),
                    Err(Error::Checksum),
                    "prefix {n}"
                );
            }
        }
    }
}

#[test]
fn bad_data_offset() {
    for doff in 0..5u8 {
        let mut seg = DATA;
        seg[12] = (doff << 4) | (seg[12] & 0x0f);
        assert_eq!(
            TcpPacket::new_checked(&seg[..]).err(),
            Some(Error::Malformed("tcp data offset"))
        );
    }
    // Data offset 15 (60 bytes) in a 53-byte segment points past the end.
    let mut seg = DATA;
    seg[12] = 0xf0;
    assert_eq!(
        TcpPacket::new_checked(&seg[..]).err(),
        Some(Error::Truncated)
    );
}

#[test]
fn bad_checksum_and_ports() {
    let mut seg = DATA;
    seg[40] ^= 0x10;
    let p = TcpPacket::new_checked(&seg[..]).unwrap();
    assert!(!p.verify_checksum(&DATA_SRC, &DATA_DST));
    assert_eq!(
        TcpRepr::parse(&p, &DATA_SRC, &DATA_DST, ChecksumMode::Check),
        Err(Error::Checksum)
    );
    assert!(TcpRepr::parse(&p, &DATA_SRC, &DATA_DST, ChecksumMode::Skip).is_ok());

    for (at, what) in [(0, "tcp source port"), (2, "tcp destination port")] {
        let mut seg = DATA;
        seg[at] = 0;
        seg[at + 1] = 0;
        let mut p = TcpPacket::new_unchecked(&mut seg[..]);
        p.fill_checksum(&DATA_SRC, &DATA_DST);
        let p = TcpPacket::new_checked(&seg[..]).unwrap();
        assert_eq!(
            TcpRepr::parse(&p, &DATA_SRC, &DATA_DST, ChecksumMode::Check),
            Err(Error::Malformed(what))
        );
    }
}

fn check_round_trip(seg: &[u8], src: &IpAddr, dst: &IpAddr, mode: ChecksumMode) {
    let Ok(p) = TcpPacket::new_checked(seg) else {
        return;
    };
    // Every accessor must be callable without a panic.
    let _ = (p.src_port(), p.dst_port(), p.seq_number(), p.ack_number());
    let _ = (p.flags(), p.control(), p.reserved(), p.window_len());
    let _ = (p.checksum(), p.urgent_at(), p.options(), p.payload());
    let _ = (p.segment_len(), p.verify_checksum(src, dst));
    for o in p.options_iter() {
        let _ = o;
    }
    if let Ok(repr) = TcpRepr::parse(&p, src, dst, mode) {
        let mut out = [0u8; 128];
        let again = emit_into(&repr, &mut out, src, dst);
        let q = TcpPacket::new_checked(again).unwrap();
        assert_eq!(TcpRepr::parse(&q, src, dst, ChecksumMode::Check), Ok(repr));
    }
}

#[test]
fn never_panics_and_round_trips() {
    for (seg, src, dst) in [
        (&SYN[..], SYN_SRC, SYN_DST),
        (&SACK[..], SACK_SRC, SACK_DST),
        (&DATA[..], DATA_SRC, DATA_DST),
    ] {
        for n in 0..=seg.len() {
            for mode in [ChecksumMode::Check, ChecksumMode::Skip] {
                check_round_trip(&seg[..n], &src, &dst, mode);
            }
        }
        let mut buf = [0u8; 64];
        let buf = &mut buf[..seg.len()];
        for i in 0..seg.len() {
            for m in [0xffu8, 0x00, 0x01, 0x80, 0x0f] {
                buf.copy_from_slice(seg);
                if m == 0 {
                    buf[i] = 0;
                } else {
                    buf[i] ^= m;
                }
                check_round_trip(buf, &src, &dst, ChecksumMode::Skip);
                // With a fixed-up checksum, Check mode reaches the option walk.
                let mut p = TcpPacket::new_unchecked(&mut *buf);
                if p.check_len().is_ok() {
                    p.fill_checksum(&src, &dst);
                }
                check_round_trip(buf, &src, &dst, ChecksumMode::Check);
            }
        }
    }
}
