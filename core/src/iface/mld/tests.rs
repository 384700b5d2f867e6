//! Unit tests of the MLD listener engine (`mld.rs`).

extern crate std;
use super::*;
use crate::wire::icmpv6::Icmpv6Packet;
use crate::wire::ipv6ext::{Ipv6ExtView, Ipv6Option};
use std::vec;
use std::vec::Vec;

const A: Ipv6Addr = Ipv6Addr::new(0xff1e, 0, 0, 0, 0, 0, 0, 0xa);
const B: Ipv6Addr = Ipv6Addr::new(0xff1e, 0, 0, 0, 0, 0, 0, 0xb);
const SN: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 1, 0xff00, 0x0001);
const ANY: Ipv6Addr = Ipv6Addr::UNSPECIFIED;
const QUERIER: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0x99);
const LL: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);

fn secs(s: i64) -> Instant {
    Instant::from_secs(s)
}

/// One message as it went on the wire (the whole IPv6 packet).
#[derive(Debug)]
struct Sent {
    at: Instant,
    dst: Ipv6Addr,
    bytes: Vec<u8>,
}

impl Sent {
    /// The ICMPv6 message, after checking the IPv6 framing every MLD
    /// message must have (RFC 3810 §5: hop limit 1, Router Alert).
    fn repr(&self) -> MldRepr<'_> {
        let ip = Ipv6Packet::new_checked(&self.bytes[..]).expect("valid IPv6");
        let repr = Ipv6Repr::parse(&ip).expect("valid IPv6");
        assert_eq!(repr.hop_limit, 1, "RFC 3810 §5: hop limit 1");
        assert_eq!(repr.src_addr, LL, "RFC 3810 §5.2.13: link-local source");
        assert_eq!(repr.dst_addr, self.dst);
        assert_eq!(repr.next_header, IpProtocol::HopByHop);
        let body = &self.bytes[40..];
        let mut chain = crate::wire::ipv6ext::Ipv6ExtChain::new(repr.next_header, body);
        let hbh = chain.next().expect("hop-by-hop").expect("valid");
        let Ipv6ExtView::HopByHop(opts) = hbh.view else {
            panic!("not hop-by-hop")
        };
        let alert = opts.iter().any(|o| {
            matches!(o, Ok(Ipv6Option::Other { kind, data }) if u8::from(kind) == 5 && data == [0, 0])
        });
        assert!(alert, "RFC 2711 Router Alert, value 0 (MLD)");
        let icmp = &body[8..];
        let packet = Icmpv6Packet::new_checked(icmp).expect("valid ICMPv6");
        let Icmpv6Repr::Mld(mld) =
            Icmpv6Repr::parse(&LL, &self.dst, &packet, ChecksumMode::Check).expect("checksum")
        else {
            panic!("not MLD")
        };
        mld
    }

    /// The records of a v2 report, which never carry sources or aux data.
    fn records(&self) -> Vec<(MldRecordType, Ipv6Addr)> {
        assert_eq!(self.dst, ALL_MLDV2_ROUTERS, "RFC 3810 §5.2.14");
        let repr = self.repr();
        let MldRepr::ReportV2 { .. } = repr else {
            panic!("not a v2 report: {repr:?}");
        };
        let mut out: Vec<_> = repr
            .records()
            .map(|r| {
                assert!(r.sources.is_empty() && r.aux_data.is_empty());
                (r.record_type, r.mcast_addr)
            })
            .collect();
        out.sort_by_key(|&(t, g)| (u8::from(t), g));
        out
    }
}

/// Dispatches once at `now`; the message sent, if any.
fn send<const N: usize>(mld: &mut Mld<N>, now: Instant) -> Option<Sent> {
    let mut out = None;
    let r: Result<(), ()> = mld.dispatch(now, |o| {
        let mut bytes = vec![0u8; o.datagram_len()];
        let n = o
            .emit_datagram(LL, &mut bytes, ChecksumMode::Check)
            .unwrap();
        assert_eq!(n, bytes.len());
        out = Some(Sent {
            at: now,
            dst: o.dst,
            bytes,
        });
        Ok(())
    });
    assert_eq!(r, Ok(()));
    out
}

/// Runs the machine on time from `from` to `until` included: every message
/// sent (see `membership::on_time::run`).
fn run<const N: usize>(mld: &mut Mld<N>, from: Instant, until: Instant) -> Vec<Sent> {
    super::super::membership::on_time::run(mld, from, until, |m| m.poll_at(), send)
}

fn v2_query(code: u16, group: Ipv6Addr) -> MldRepr<'static> {
    MldRepr::QueryV2 {
        max_resp_code: code,
        mcast_addr: group,
        s_flag: false,
        qrv: 2,
        qqic: 125,
        sources: &[],
    }
}

fn v1_query(delay_ms: u16, group: Ipv6Addr) -> MldRepr<'static> {
    MldRepr::QueryV1 {
        max_resp_delay: delay_ms,
        mcast_addr: group,
    }
}

/// Joins `groups` at `now` and sends all their unsolicited reports.
fn joined<const N: usize>(groups: &[Ipv6Addr], now: Instant) -> Mld<N> {
    let mut mld = Mld::new();
    for (i, &g) in groups.iter().enumerate() {
        mld.join(g, now, 0x1234_5678 + i as u32).unwrap();
    }
    run(&mut mld, now, now + Duration::from_secs(100));
    assert_eq!(mld.poll_at(), None);
    mld
}

#[test]
fn rfc3810_6_1_join_sends_change_to_exclude_robustness_times_within_one_second() {
    for seed in 0..20u32 {
        let t0 = secs(10);
        let mut mld: Mld<4> = Mld::new();
        mld.join(SN, t0, seed).unwrap();
        assert!(mld.is_joined(&SN));
        assert_eq!(mld.poll_at(), Some(t0), "§6.1: the first report at once");
        let sent = run(&mut mld, t0, secs(100));
        assert_eq!(sent.len(), 2, "Robustness Variable = 2 reports");
        assert_eq!(sent[0].at, t0);
        assert!(sent[1].at <= t0 + Duration::from_secs(1), "§9.11: 1 s");
        for s in &sent {
            assert_eq!(s.records(), vec![(MldRecordType::ChangeToExclude, SN)]);
            // 40 IPv6 + 8 hop-by-hop + 8 report header + one 20-byte record.
            assert_eq!(s.bytes.len(), 76);
        }
    }
}

#[test]
fn rfc3810_6_1_retransmission_times_are_random() {
    let second = |seed| {
        let mut mld: Mld<4> = Mld::new();
        mld.join(A, secs(0), seed).unwrap();
        run(&mut mld, secs(0), secs(10))[1].at
    };
    let times: std::collections::BTreeSet<_> = (0..10).map(second).collect();
    assert!(times.len() > 5, "jitter, not a fixed delay: {times:?}");
}

#[test]
fn rfc3810_6_1_joins_at_once_share_one_report() {
    let mut mld: Mld<4> = Mld::new();
    mld.join(A, secs(0), 1).unwrap();
    mld.join(B, secs(0), 2).unwrap();
    let sent = run(&mut mld, secs(0), secs(10));
    assert_eq!(sent.len(), 2);
    for s in &sent {
        assert_eq!(
            s.records(),
            vec![
                (MldRecordType::ChangeToExclude, A),
                (MldRecordType::ChangeToExclude, B)
            ]
        );
    }
}

#[test]
fn rfc3810_6_1_leave_sends_change_to_include_then_forgets() {
    let mut mld: Mld<4> = joined(&[A], secs(0));
    assert!(mld.leave(A, secs(20), 3));
    assert!(!mld.is_joined(&A));
    assert!(!mld.leave(A, secs(20), 3), "left once");
    let sent = run(&mut mld, secs(20), secs(100));
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].at, secs(20));
    assert!(sent[1].at <= secs(21));
    for s in &sent {
        assert_eq!(s.records(), vec![(MldRecordType::ChangeToInclude, A)]);
    }
    assert_eq!(mld.groups().count(), 0);
}

#[test]
fn a_group_joined_twice_is_left_after_its_last_user() {
    // Two addresses with the same interface ID share a solicited-node group.
    let mut mld: Mld<4> = joined(&[SN], secs(0));
    mld.join(SN, secs(5), 1).unwrap();
    assert_eq!(mld.poll_at(), None, "no state change, no report");
    assert!(mld.leave(SN, secs(6), 2));
    assert!(mld.is_joined(&SN));
    assert_eq!(mld.poll_at(), None);
    assert!(mld.leave(SN, secs(7), 2));
    assert!(!mld.is_joined(&SN));
    let sent = run(&mut mld, secs(7), secs(20));
    assert_eq!(
        sent[0].records(),
        vec![(MldRecordType::ChangeToInclude, SN)]
    );
}

#[test]
fn rfc3810_6_all_nodes_and_interface_local_groups_are_never_reported() {
    let mut mld: Mld<4> = Mld::new();
    mld.join(ALL_NODES, secs(0), 1).unwrap();
    let interface_local = Ipv6Addr::new(0xff01, 0, 0, 0, 0, 0, 0, 7);
    mld.join(interface_local, secs(0), 1).unwrap();
    assert!(mld.is_joined(&ALL_NODES) && mld.is_joined(&interface_local));
    assert_eq!(mld.poll_at(), None, "nothing to report");
    // A General Query lists only the reportable groups.
    mld.join(A, secs(0), 1).unwrap();
    run(&mut mld, secs(0), secs(10));
    mld.process(secs(20), QUERIER, 1, &v2_query(1000, ANY), 5)
        .unwrap();
    let sent = run(&mut mld, secs(20), secs(30));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].records(), vec![(MldRecordType::ModeIsExclude, A)]);
    // A query for ff02::1 itself is not answered.
    mld.process(secs(40), QUERIER, 1, &v2_query(1000, ALL_NODES), 5)
        .unwrap();
    assert_eq!(mld.poll_at(), None);
    assert!(!mld.leave(ALL_NODES, secs(50), 1));
}

#[test]
fn join_refuses_unicast_and_a_full_table() {
    let mut mld: Mld<2> = Mld::new();
    assert_eq!(mld.join(LL, secs(0), 1), Err(MldError::NotMulticast));
    mld.join(A, secs(0), 1).unwrap();
    mld.join(B, secs(0), 1).unwrap();
    assert_eq!(mld.join(SN, secs(0), 1), Err(MldError::Full));
}

#[test]
fn rfc3810_5_1_3_max_resp_code_decodes_linear_and_exponential_forms() {
    assert_eq!(decode_max_resp_code(0), 0);
    assert_eq!(decode_max_resp_code(10_000), 10_000);
    assert_eq!(decode_max_resp_code(0x7fff), 32_767);
    // 1 | exp 0 | mant 0: 0x1000 << 3 = 32768, continuing the linear range.
    assert_eq!(decode_max_resp_code(0x8000), 32_768);
    // exp 1, mant 0x234: (0x1234) << 4.
    assert_eq!(decode_max_resp_code(0x9234), 0x1234 << 4);
    // The largest: (0x1fff) << 10 = 8 387 584 ms.
    assert_eq!(decode_max_resp_code(0xffff), 8_387_584);
    // §5.1.9: QQIC, the same with 4-bit mantissa.
    assert_eq!(decode_qqic(125), 125);
    assert_eq!(decode_qqic(0x80), 128);
    assert_eq!(decode_qqic(0xff), 31_744);
}

#[test]
fn rfc3810_6_2_general_query_answered_within_the_max_response_delay() {
    for seed in 0..20u32 {
        let mut mld: Mld<4> = joined(&[A, SN], secs(0));
        let t = secs(50);
        mld.process(t, QUERIER, 1, &v2_query(2000, ANY), seed)
            .unwrap();
        let sent = run(&mut mld, t, secs(100));
        assert_eq!(sent.len(), 1, "one report for all groups");
        assert!(sent[0].at <= t + Duration::from_secs(2), "seed {seed}");
        assert_eq!(
            sent[0].records(),
            vec![
                (MldRecordType::ModeIsExclude, SN),
                (MldRecordType::ModeIsExclude, A)
            ]
        );
    }
}

#[test]
fn rfc3810_6_2_exponential_max_resp_code_spreads_the_response_beyond_32_s() {
    // 0x9000: (0x1000) << 4 = 65.536 s.
    let latest = (0..40u32)
        .map(|seed| {
            let mut mld: Mld<4> = joined(&[A], secs(0));
            mld.process(secs(10), QUERIER, 1, &v2_query(0x9000, ANY), seed)
                .unwrap();
            let at = mld.poll_at().unwrap();
            assert!(at <= secs(10) + Duration::from_millis(65_536));
            at
        })
        .max()
        .unwrap();
    assert!(latest > secs(10 + 33), "read as exponential: {latest}");
}

#[test]
fn rfc3810_6_2_address_specific_query_answers_that_group_only() {
    let mut mld: Mld<4> = joined(&[A, B], secs(0));
    mld.process(secs(10), QUERIER, 1, &v2_query(1000, B), 9)
        .unwrap();
    let sent = run(&mut mld, secs(10), secs(20));
    assert_eq!(sent.len(), 1);
    assert!(sent[0].at <= secs(11));
    assert_eq!(sent[0].records(), vec![(MldRecordType::ModeIsExclude, B)]);
    // Not joined: no answer.
    let other = Ipv6Addr::new(0xff1e, 0, 0, 0, 0, 0, 0, 0xc);
    mld.process(secs(30), QUERIER, 1, &v2_query(1000, other), 9)
        .unwrap();
    assert_eq!(mld.poll_at(), None);
}

#[test]
fn rfc3810_6_2_rules_pending_general_response_covers_later_queries() {
    let mut mld: Mld<4> = joined(&[A], secs(0));
    // Rule 1: a general response due no later than the new one covers it.
    mld.process(secs(10), QUERIER, 1, &v2_query(0, ANY), 1)
        .unwrap();
    assert_eq!(mld.poll_at(), Some(secs(10)));
    mld.process(secs(10), QUERIER, 1, &v2_query(5000, A), 1)
        .unwrap();
    let sent = run(&mut mld, secs(10), secs(20));
    assert_eq!(sent.len(), 1, "the specific query is covered");
    // Rule 2: a new General Query never delays a pending one past its delay.
    for seed in 0..10 {
        let mut mld: Mld<4> = joined(&[A], secs(0));
        mld.process(secs(10), QUERIER, 1, &v2_query(10_000, ANY), seed)
            .unwrap();
        let first = mld.poll_at().unwrap();
        mld.process(secs(10), QUERIER, 1, &v2_query(1000, ANY), seed)
            .unwrap();
        let second = mld.poll_at().unwrap();
        assert!(second <= first && second <= secs(11));
    }
}

#[test]
fn rfc3810_5_1_14_invalid_queries_are_refused_and_change_nothing() {
    let mut mld: Mld<4> = joined(&[A], secs(0));
    let global = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
    assert_eq!(
        mld.process(secs(10), global, 1, &v2_query(1000, ANY), 1),
        Err(MldInvalid::NotLinkLocal)
    );
    assert_eq!(
        mld.process(secs(10), ANY, 1, &v2_query(1000, ANY), 1),
        Err(MldInvalid::NotLinkLocal)
    );
    assert_eq!(
        mld.process(secs(10), QUERIER, 2, &v2_query(1000, ANY), 1),
        Err(MldInvalid::HopLimit)
    );
    assert_eq!(
        mld.process(secs(10), QUERIER, 1, &v2_query(1000, LL), 1),
        Err(MldInvalid::NotMulticast)
    );
    // An invalid v1 query does not move the listener to v1 either.
    assert_eq!(
        mld.process(secs(10), QUERIER, 64, &v1_query(1000, ANY), 1),
        Err(MldInvalid::HopLimit)
    );
    assert_eq!(mld.poll_at(), None);
    assert_eq!(mld.version(secs(10)), MldVersion::V2);
}

#[test]
fn rfc3810_8_2_1_v1_query_switches_to_v1_reports_until_the_timeout() {
    let mut mld: Mld<4> = joined(&[A], secs(0));
    let t = secs(100);
    mld.process(t, QUERIER, 1, &v1_query(1000, ANY), 3).unwrap();
    assert_eq!(mld.version(t), MldVersion::V1);
    // RFC 2710 §4: a v1 report to the group within the delay.
    let sent = run(&mut mld, t, t + Duration::from_secs(5));
    assert_eq!(sent.len(), 1);
    assert!(sent[0].at <= t + Duration::from_secs(1));
    assert_eq!(sent[0].dst, A);
    assert_eq!(sent[0].repr(), MldRepr::ReportV1 { mcast_addr: A });
    // A join in v1 mode: v1 reports, the first at once.
    let t2 = secs(120);
    mld.join(B, t2, 4).unwrap();
    let sent = run(&mut mld, t2, secs(150));
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].at, t2);
    assert!(sent
        .iter()
        .all(|s| s.repr() == MldRepr::ReportV1 { mcast_addr: B }));
    // A leave after our report: a Done to ff02::2.
    mld.leave(B, secs(160), 5);
    let sent = run(&mut mld, secs(160), secs(170));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].dst, ALL_ROUTERS);
    assert_eq!(sent[0].repr(), MldRepr::Done { mcast_addr: B });
    // §9.12: 2 × 125 s + 10 s = 260 s after the query, back to MLDv2.
    assert_eq!(mld.version(t + Duration::from_secs(259)), MldVersion::V1);
    assert_eq!(mld.version(t + Duration::from_secs(260)), MldVersion::V2);
    let t3 = t + Duration::from_secs(261);
    mld.process(t3, QUERIER, 1, &v2_query(1000, ANY), 6)
        .unwrap();
    let sent = run(&mut mld, t3, t3 + Duration::from_secs(5));
    assert_eq!(sent[0].records(), vec![(MldRecordType::ModeIsExclude, A)]);
}

#[test]
fn rfc2710_4_another_listeners_v1_report_suppresses_ours() {
    let mut mld: Mld<4> = joined(&[A], secs(0));
    mld.process(secs(10), QUERIER, 1, &v1_query(10_000, ANY), 3)
        .unwrap();
    assert!(mld.poll_at().is_some());
    let other = MldRepr::ReportV1 { mcast_addr: A };
    mld.process(secs(10), QUERIER, 1, &other, 1).unwrap();
    assert_eq!(mld.poll_at(), None, "suppressed");
    // Not the last reporter: leaving sends no Done.
    mld.leave(A, secs(11), 1);
    assert_eq!(mld.poll_at(), None);
}

#[test]
fn a_full_device_queue_retries_the_same_report() {
    let mut mld: Mld<4> = Mld::new();
    mld.join(A, secs(0), 1).unwrap();
    let r: Result<(), ()> = mld.dispatch(secs(0), |_| Err(()));
    assert_eq!(r, Err(()));
    let sent = run(&mut mld, secs(0), secs(10));
    assert_eq!(sent.len(), 2, "none lost");
}

#[test]
fn emit_datagram_refuses_a_short_buffer() {
    let mut mld: Mld<4> = Mld::new();
    mld.join(A, secs(0), 1).unwrap();
    let r: Result<(), WireError> = mld.dispatch(secs(0), |o| {
        let mut buf = [0u8; 60];
        o.emit_datagram(LL, &mut buf, ChecksumMode::Check)
            .map(|_| ())
    });
    assert_eq!(r, Err(WireError::Truncated));
}
