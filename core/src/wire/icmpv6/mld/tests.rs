//! Captured MLDv1/v2 messages parsed and emitted back; truncated, malformed
//! and mutated messages refused without a panic.

use super::*;
use crate::wire::icmpv6::tests::{addr, fuzz_one, hex};
use crate::wire::icmpv6::Icmpv6Repr;
use crate::wire::ChecksumMode;

/// MLDv2 Report with four EXCLUDE {} records (joins), from icmpv6.pcap.
const REPORT: [u8; 88] = hex(concat!(
    "8f002a0e0000000402000000ff0200000000000000000db81122334402000000ff020000",
    "0000000000000001ffcce54602000000ff0200000000000000000001ffa710ad02000000",
    "ff0200000000000000000001ff000002"
));
const REPORT_SRC: &str = "fe80::215:17ff:fecc:e546";

/// MLDv2 general Query (QRV 2, QQIC 60, 10 s), from icmpv6.pcap.
const QUERY: [u8; 28] = hex("8200623a2710000000000000000000000000000000000000023c0000");
const QUERY_SRC: &str = "fe80::b2a8:6eff:fe0c:d4e8";

/// MLDv2 Report from the unspecified address (sent during DAD), three
/// CHANGE_TO_EXCLUDE records, from dcb_ets.pcap.
const REPORT_DAD: [u8; 68] = hex(concat!(
    "8f007e8b0000000304000000ff0200000000000000000001ff46e88404000000ff020000",
    "00000000000000000000000204000000ff020000000000000000000000000202"
));

const ALL_MLDV2_ROUTERS: &str = "ff02::16";

fn parse<'a>(src: &str, dst: &str, bytes: &'a [u8]) -> Result<MldRepr<'a>> {
    let p = Icmpv6Packet::new_checked(bytes)?;
    match Icmpv6Repr::parse(&addr(src), &addr(dst), &p, ChecksumMode::Check)? {
        Icmpv6Repr::Mld(m) => Ok(m),
        other => panic!("not mld: {other:?}"),
    }
}

fn emit<'b>(src: &str, dst: &str, repr: &MldRepr<'_>, buf: &'b mut [u8]) -> &'b [u8] {
    let buf = &mut buf[..repr.buffer_len()];
    Icmpv6Repr::Mld(*repr).emit(
        &addr(src),
        &addr(dst),
        &mut Icmpv6Packet::new_unchecked(&mut *buf),
        ChecksumMode::Check,
    );
    buf
}

#[test]
fn real_v2_report() {
    let p = Icmpv6Packet::new_checked(&REPORT[..]).unwrap();
    assert_eq!(p.msg_type(), Icmpv6Message::MldV2Report);
    assert_eq!(p.checksum(), 0x2a0e);
    assert_eq!(p.report_num_records(), 4);
    assert_eq!(p.report_records(), &REPORT[8..]);
    let repr = parse(REPORT_SRC, ALL_MLDV2_ROUTERS, &REPORT).unwrap();
    assert_eq!(
        repr,
        MldRepr::ReportV2 {
            records: &REPORT[8..]
        }
    );
    let groups = [
        "ff02::db8:1122:3344",
        "ff02::1:ffcc:e546",
        "ff02::1:ffa7:10ad",
        "ff02::1:ff00:2",
    ];
    assert_eq!(repr.records().count(), 4);
    for (rec, g) in repr.records().zip(groups) {
        assert_eq!(rec.record_type, MldRecordType::ModeIsExclude);
        assert_eq!(rec.mcast_addr, addr(g));
        assert_eq!(rec.sources, &[] as &[u8]);
        assert_eq!(rec.aux_data, &[] as &[u8]);
    }
    let mut buf = [0u8; 128];
    assert_eq!(
        emit(REPORT_SRC, ALL_MLDV2_ROUTERS, &repr, &mut buf),
        &REPORT
    );

    let repr = parse("::", ALL_MLDV2_ROUTERS, &REPORT_DAD).unwrap();
    assert_eq!(repr.records().count(), 3);
    assert!(repr
        .records()
        .all(|r| r.record_type == MldRecordType::ChangeToExclude));
    assert_eq!(emit("::", ALL_MLDV2_ROUTERS, &repr, &mut buf), &REPORT_DAD);
}

#[test]
fn real_v2_query() {
    let p = Icmpv6Packet::new_checked(&QUERY[..]).unwrap();
    assert_eq!(p.max_resp_code(), 10000);
    assert_eq!(p.mcast_addr(), Ipv6Addr::UNSPECIFIED);
    assert!(!p.query_s_flag());
    assert_eq!(p.query_qrv(), 2);
    assert_eq!(p.query_qqic(), 60);
    assert_eq!(p.query_num_sources(), 0);
    let repr = parse(QUERY_SRC, "ff02::1", &QUERY).unwrap();
    assert_eq!(
        repr,
        MldRepr::QueryV2 {
            max_resp_code: 10000,
            mcast_addr: Ipv6Addr::UNSPECIFIED,
            s_flag: false,
            qrv: 2,
            qqic: 60,
            sources: &[],
        }
    );
    let mut buf = [0u8; 64];
    assert_eq!(emit(QUERY_SRC, "ff02::1", &repr, &mut buf), &QUERY);
}

#[test]
fn v1_messages_exact_bytes() {
    let g = addr("ff02::1:ff00:1234");
    let mut body = [0u8; 24];
    body[8..24].copy_from_slice(&g.octets());
    let (s, d) = ("fe80::1", "ff02::1:ff00:1234");
    for (repr, ty, delay) in [
        (MldRepr::ReportV1 { mcast_addr: g }, 131u8, 0u16),
        (MldRepr::Done { mcast_addr: g }, 132, 0),
        (
            MldRepr::QueryV1 {
                max_resp_delay: 1000,
                mcast_addr: g,
            },
            130,
            1000,
        ),
    ] {
        let mut buf = [0xffu8; 64];
        let out = emit(s, d, &repr, &mut buf);
        assert_eq!(out.len(), 24);
        assert_eq!(out[0], ty);
        assert_eq!(out[1], 0);
        assert_eq!(&out[4..6], &delay.to_be_bytes());
        assert_eq!(&out[6..], &body[6..]);
        assert_eq!(parse(s, d, out), Ok(repr));
    }
}

#[test]
fn sources_records_and_aux_data_round_trip() {
    let mut srcs = [0u8; 32];
    srcs[..16].copy_from_slice(&addr("2001:db8::1").octets());
    srcs[16..].copy_from_slice(&addr("2001:db8::2").octets());
    let q = MldRepr::QueryV2 {
        max_resp_code: 0x8123,
        mcast_addr: addr("ff15::42"),
        s_flag: true,
        qrv: 7,
        qqic: 125,
        sources: &srcs,
    };
    let mut buf = [0u8; 256];
    let out = emit("fe80::1", "ff15::42", &q, &mut buf);
    assert_eq!(out.len(), 60);
    assert_eq!(&out[24..28], &[0x0f, 125, 0, 2]);
    assert_eq!(parse("fe80::1", "ff15::42", out), Ok(q));
    assert!(q.sources().eq([addr("2001:db8::1"), addr("2001:db8::2")]));

    let rec_a = MldAddressRecord {
        record_type: MldRecordType::AllowNewSources,
        mcast_addr: addr("ff15::42"),
        sources: &srcs,
        aux_data: &[1, 2, 3, 4],
    };
    let rec_b = MldAddressRecord {
        record_type: MldRecordType::Unknown(9),
        mcast_addr: addr("ff15::43"),
        sources: &srcs[..16],
        aux_data: &[],
    };
    let mut records = [0u8; 128];
    let la = rec_a.buffer_len();
    assert_eq!(la, 20 + 32 + 4);
    rec_a.emit(&mut records[..la]);
    let lb = rec_b.buffer_len();
    rec_b.emit(&mut records[la..la + lb]);
    let r = MldRepr::ReportV2 {
        records: &records[..la + lb],
    };
    let out = emit("fe80::1", ALL_MLDV2_ROUTERS, &r, &mut buf);
    assert_eq!(&out[6..8], &[0, 2]);
    let back = parse("fe80::1", ALL_MLDV2_ROUTERS, out).unwrap();
    assert_eq!(back, r);
    assert!(back.records().eq([rec_a, rec_b]));
    assert!(rec_a
        .source_addrs()
        .eq([addr("2001:db8::1"), addr("2001:db8::2")]));
}

#[test]
fn malformed_and_truncated() {
    let (s, d) = (REPORT_SRC, ALL_MLDV2_ROUTERS);
    // Every truncation of the report: the header, or a record, is cut.
    for len in 0..REPORT.len() {
        let mut buf = [0u8; 88];
        buf[..len].copy_from_slice(&REPORT[..len]);
        if len >= 4 {
            Icmpv6Packet::new_unchecked(&mut buf[..len]).fill_checksum(&addr(s), &addr(d));
        }
        assert_eq!(parse(s, d, &buf[..len]), Err(Error::Truncated), "len {len}");
    }
    // A record whose Number of Sources or Aux Data Len runs past the end.
    for (at, v) in [(10usize, 1u8), (9, 1)] {
        let mut bad = REPORT;
        bad[at] = v;
        Icmpv6Packet::new_unchecked(&mut bad[..]).fill_checksum(&addr(s), &addr(d));
        let r = parse(s, d, &bad).unwrap_err();
        assert_eq!(r, Error::Truncated, "byte {at}");
    }
    // RFC 3810 §8.1.1: a query of 25-27 bytes is neither v1 nor v2.
    for len in 25..28 {
        let mut q = [0u8; 28];
        q[..len].copy_from_slice(&QUERY[..len]);
        Icmpv6Packet::new_unchecked(&mut q[..len])
            .fill_checksum(&addr(QUERY_SRC), &addr("ff02::1"));
        assert_eq!(
            parse(QUERY_SRC, "ff02::1", &q[..len]),
            Err(Error::Malformed("mld query length"))
        );
    }
    // Number of Sources beyond the buffer.
    let mut q = QUERY;
    q[27] = 1;
    Icmpv6Packet::new_unchecked(&mut q[..]).fill_checksum(&addr(QUERY_SRC), &addr("ff02::1"));
    assert_eq!(parse(QUERY_SRC, "ff02::1", &q), Err(Error::Truncated));
    // Bad checksum.
    let mut bad = QUERY;
    bad[25] = 61;
    assert_eq!(parse(QUERY_SRC, "ff02::1", &bad), Err(Error::Checksum));
    // The record iterator stops at a cut record instead of reading past it.
    assert_eq!(MldRecordIter::new(&REPORT[8..50]).count(), 2);
}

#[test]
fn never_panics_on_mutations() {
    fuzz_one(&addr(REPORT_SRC), &addr(ALL_MLDV2_ROUTERS), &REPORT);
    fuzz_one(&addr(QUERY_SRC), &addr("ff02::1"), &QUERY);
    fuzz_one(
        &Ipv6Addr::UNSPECIFIED,
        &addr(ALL_MLDV2_ROUTERS),
        &REPORT_DAD,
    );
}
