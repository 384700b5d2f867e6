//! Unit tests of the IGMP host engine (`igmp.rs`).

extern crate std;
use super::*;
use crate::wire::ipv4::Ipv4Option;
use std::vec;
use std::vec::Vec;

const A: Ipv4Addr = Ipv4Addr::new(239, 1, 2, 3);
const B: Ipv4Addr = Ipv4Addr::new(239, 1, 2, 4);
const C: Ipv4Addr = Ipv4Addr::new(239, 1, 2, 5);
const D: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 251);
const ANY: Ipv4Addr = Ipv4Addr::UNSPECIFIED;
const US: Duration = Duration::from_micros(1);

fn secs(s: i64) -> Instant {
    Instant::from_secs(s)
}

/// One message as it went on the wire.
#[derive(Debug)]
struct Sent {
    at: Instant,
    dst: Ipv4Addr,
    bytes: Vec<u8>,
}

impl Sent {
    /// Parses the bytes back, checksum verified.
    fn repr(&self) -> IgmpRepr<'_> {
        let packet = IgmpPacket::new_checked(&self.bytes[..]).expect("valid length");
        IgmpRepr::parse(&packet, ChecksumMode::Check).expect("valid message")
    }

    /// The records of a v3 report, which never carry sources or aux data.
    fn records(&self) -> Vec<(IgmpRecordType, Ipv4Addr)> {
        assert_eq!(self.dst, ALL_IGMPV3_ROUTERS, "RFC 3376 §4.2.14");
        let IgmpRepr::MembershipReportV3 { records } = self.repr() else {
            panic!("not a v3 report: {:?}", self.repr());
        };
        let mut out: Vec<_> = records
            .iter()
            .map(|r| {
                let r = r.expect("validated");
                assert!(r.sources.is_empty() && r.aux_data.is_empty());
                (r.record_type, r.group_addr)
            })
            .collect();
        out.sort_by_key(|&(t, g)| (u8::from(t), g));
        out
    }
}

/// Dispatches once at `now`; the message sent, if any.
fn send<const N: usize>(igmp: &mut Igmp<N>, now: Instant) -> Option<Sent> {
    let mut out = None;
    let r: Result<(), ()> = igmp.dispatch(now, |o| {
        let mut bytes = vec![0u8; o.repr.buffer_len()];
        o.repr.emit(
            &mut IgmpPacket::new_unchecked(&mut bytes[..]),
            ChecksumMode::Check,
        );
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
fn run<const N: usize>(igmp: &mut Igmp<N>, from: Instant, until: Instant) -> Vec<Sent> {
    super::super::membership::on_time::run(igmp, from, until, |m| m.poll_at(), send)
}

fn v3_query(code: u8, group: Ipv4Addr) -> IgmpRepr<'static> {
    IgmpRepr::MembershipQueryV3 {
        max_resp_code: code,
        group_addr: group,
        s_flag: false,
        qrv: 2,
        qqic: 125,
        sources: IgmpSources::default(),
    }
}

fn old_query(code: u8, group: Ipv4Addr) -> IgmpRepr<'static> {
    IgmpRepr::MembershipQuery {
        max_resp_code: code,
        group_addr: group,
    }
}

/// Joins `groups` at `now` and sends all their unsolicited reports.
fn joined<const N: usize>(groups: &[Ipv4Addr], now: Instant) -> Igmp<N> {
    let mut igmp = Igmp::new();
    for (i, &g) in groups.iter().enumerate() {
        igmp.join(g, now, 0x1234_5678 + i as u32).unwrap();
    }
    run(&mut igmp, now, now + Duration::from_secs(100));
    assert_eq!(igmp.poll_at(), None);
    igmp
}

#[test]
fn rfc3376_5_1_join_sends_change_to_exclude_twice_within_unsolicited_interval() {
    let t0 = secs(10);
    let mut igmp: Igmp<4> = Igmp::new();
    igmp.join(A, t0, 7).unwrap();
    assert!(igmp.is_joined(A));
    assert_eq!(igmp.groups().collect::<Vec<_>>(), vec![A]);
    // §5.1: the first report goes at once.
    assert_eq!(igmp.poll_at(), Some(t0));
    let sent = run(&mut igmp, t0, secs(100));
    assert_eq!(sent.len(), 2, "Robustness Variable = 2 reports");
    assert_eq!(sent[0].at, t0);
    assert!(sent[1].at >= t0 && sent[1].at <= t0 + Duration::from_secs(1));
    for s in &sent {
        assert_eq!(s.records(), vec![(IgmpRecordType::ChangeToExclude, A)]);
        // Type 0x22, reserved, one record: type 4, no aux, no sources, A.
        assert_eq!(s.bytes.len(), 16);
        assert_eq!(s.bytes[0], 0x22);
        assert_eq!(s.bytes[4..8], [0, 0, 0, 1]);
        assert_eq!(s.bytes[8..16], [4, 0, 0, 0, 239, 1, 2, 3]);
    }
    assert_eq!(igmp.poll_at(), None);
    assert_eq!(igmp.version(secs(100)), IgmpVersion::V3);
}

#[test]
fn rfc3376_5_1_retransmission_delay_is_random_within_one_second() {
    let mut gaps = Vec::new();
    for seed in 0..40u32 {
        let mut igmp: Igmp<1> = Igmp::new();
        igmp.join(A, Instant::ZERO, seed.wrapping_mul(0x9e37_79b9))
            .unwrap();
        let sent = run(&mut igmp, Instant::ZERO, secs(10));
        assert_eq!(sent.len(), 2);
        let gap = sent[1].at - sent[0].at;
        assert!(gap <= Duration::from_secs(1), "seed {seed}: {gap}");
        gaps.push(gap);
    }
    gaps.sort();
    gaps.dedup();
    assert!(gaps.len() > 30, "the delay depends on the seed: {gaps:?}");
    assert!(*gaps.last().unwrap() > Duration::from_millis(500));
}

#[test]
fn rfc3376_5_1_leave_sends_change_to_include_twice_then_forgets_the_group() {
    let mut igmp: Igmp<4> = joined(&[A], secs(0));
    let t1 = secs(30);
    assert!(igmp.leave(A, t1, 99));
    assert!(!igmp.is_joined(A));
    assert_eq!(igmp.groups().count(), 0);
    assert_eq!(igmp.poll_at(), Some(t1));
    let sent = run(&mut igmp, t1, secs(100));
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].at, t1);
    assert!(sent[1].at <= t1 + Duration::from_secs(1));
    for s in &sent {
        assert_eq!(s.records(), vec![(IgmpRecordType::ChangeToInclude, A)]);
    }
    assert_eq!(igmp.poll_at(), None);
    assert!(!igmp.leave(A, secs(101), 1), "left already");
    assert!(!igmp.leave(B, secs(101), 1), "never joined");
    // The slot is free again: four other groups fit.
    for g in [B, C, D, Ipv4Addr::new(239, 9, 9, 9)] {
        igmp.join(g, secs(102), 3).unwrap();
    }
}

#[test]
fn rfc3376_5_1_pending_changes_share_a_report_and_a_new_change_replaces_the_old() {
    let t0 = secs(1);
    let mut igmp: Igmp<4> = Igmp::new();
    igmp.join(A, t0, 5).unwrap();
    let first = send(&mut igmp, t0).unwrap();
    assert_eq!(first.records(), vec![(IgmpRecordType::ChangeToExclude, A)]);
    // B joins before A's retransmission: the next report is at once and
    // carries A's last change and B's first.
    let t1 = t0 + US;
    igmp.join(B, t1, 6).unwrap();
    assert_eq!(igmp.poll_at(), Some(t1));
    let sent = run(&mut igmp, t1, secs(10));
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[0].records(),
        vec![
            (IgmpRecordType::ChangeToExclude, A),
            (IgmpRecordType::ChangeToExclude, B)
        ]
    );
    assert_eq!(
        sent[1].records(),
        vec![(IgmpRecordType::ChangeToExclude, B)]
    );

    // A leave before the join was reported replaces it: only TO_IN goes.
    let t2 = secs(20);
    igmp.join(C, t2, 8).unwrap();
    assert!(igmp.leave(C, t2, 9));
    let sent = run(&mut igmp, t2, secs(30));
    assert_eq!(sent.len(), 2);
    for s in &sent {
        assert_eq!(s.records(), vec![(IgmpRecordType::ChangeToInclude, C)]);
    }
    // Joining a group being left joins it again, with a fresh count.
    let t3 = secs(40);
    assert!(igmp.leave(A, t3, 1));
    igmp.join(A, t3 + US, 2).unwrap();
    assert!(igmp.is_joined(A));
    let sent = run(&mut igmp, t3, secs(50));
    assert_eq!(sent.len(), 2);
    for s in &sent {
        assert_eq!(s.records(), vec![(IgmpRecordType::ChangeToExclude, A)]);
    }
}

#[test]
fn rfc3376_5_2_general_query_answered_once_within_max_resp_time_with_every_group() {
    let mut igmp: Igmp<4> = joined(&[A, B, D], secs(0));
    let q = secs(50);
    // Max Resp Code 100: 10 s.
    igmp.process_query(q, &v3_query(100, ANY), ALL_SYSTEMS, 11);
    let due = igmp.poll_at().unwrap();
    assert!(due >= q && due <= q + Duration::from_secs(10));
    // A second General Query does not add a second response (§5.2
    // rules 1 and 2: the earlier one stands).
    igmp.process_query(q + US, &v3_query(100, ANY), ALL_SYSTEMS, 12);
    let sent = run(&mut igmp, q, secs(200));
    assert_eq!(sent.len(), 1);
    assert!(sent[0].at <= q + Duration::from_secs(10));
    assert_eq!(
        sent[0].records(),
        vec![
            (IgmpRecordType::ModeIsExclude, D),
            (IgmpRecordType::ModeIsExclude, A),
            (IgmpRecordType::ModeIsExclude, B),
        ]
    );
    assert_eq!(sent[0].bytes.len(), 8 + 3 * 8);
}

#[test]
fn rfc3376_4_1_1_max_resp_code_is_decoded_as_floating_point() {
    // 0xff: exponent 7, mantissa 15: 31 << 10 = 31744 tenths = 3174.4 s,
    // where a linear reading would give 25.5 s.
    let limit = Duration::from_millis(3_174_400);
    let mut longest = Duration::ZERO;
    for seed in 1..=20u32 {
        let mut igmp: Igmp<1> = joined(&[A], secs(0));
        igmp.process_query(secs(100), &v3_query(0xff, ANY), ALL_SYSTEMS, seed);
        let delay = igmp.poll_at().unwrap() - secs(100);
        assert!(delay <= limit);
        longest = longest.max(delay);
    }
    assert!(longest > Duration::from_secs(26), "{longest}");
}

#[test]
fn rfc3376_5_2_group_specific_query_answers_that_group_only() {
    let mut igmp: Igmp<4> = joined(&[A, B], secs(0));
    let q = secs(50);
    // Sent to the group, as §4.1.12 says; Max Resp Code 10: 1 s.
    igmp.process_query(q, &v3_query(10, A), A, 3);
    let sent = run(&mut igmp, q, secs(100));
    assert_eq!(sent.len(), 1);
    assert!(sent[0].at <= q + Duration::from_secs(1));
    assert_eq!(sent[0].records(), vec![(IgmpRecordType::ModeIsExclude, A)]);

    // A group we are not in: nothing.
    igmp.process_query(secs(101), &v3_query(10, C), C, 4);
    assert_eq!(igmp.poll_at(), None);

    // Group-and-source-specific: answered with the group's state.
    let sources = [10, 0, 0, 1, 10, 0, 0, 2];
    let gss = IgmpRepr::MembershipQueryV3 {
        max_resp_code: 10,
        group_addr: B,
        s_flag: false,
        qrv: 2,
        qqic: 125,
        sources: IgmpSources::new(&sources).unwrap(),
    };
    igmp.process_query(secs(110), &gss, B, 5);
    let sent = run(&mut igmp, secs(110), secs(200));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].records(), vec![(IgmpRecordType::ModeIsExclude, B)]);
}

#[test]
fn rfc3376_5_2_rule_1_pending_general_response_covers_a_group_query() {
    let mut igmp: Igmp<4> = joined(&[A, B], secs(0));
    let q = secs(50);
    // General: due within 0.1 s. Group-specific 0.1 s later: whatever
    // its delay, the general response is due no later.
    igmp.process_query(q, &v3_query(1, ANY), ALL_SYSTEMS, 3);
    igmp.process_query(q + Duration::from_millis(100), &v3_query(100, A), A, 4);
    let sent = run(&mut igmp, q, secs(100));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].records().len(), 2);

    // Rule 4: a second group query keeps the earlier of the two times.
    igmp.process_query(secs(200), &v3_query(100, A), A, 5);
    let first = igmp.poll_at().unwrap();
    igmp.process_query(secs(200) + US, &v3_query(255, A), A, 6);
    assert_eq!(igmp.poll_at(), Some(first));
    assert_eq!(run(&mut igmp, secs(200) + US, secs(300)).len(), 1);
}

#[test]
fn rfc3376_9_1_general_query_not_to_all_systems_is_ignored() {
    let mut igmp: Igmp<4> = joined(&[A], secs(0));
    let unicast = Ipv4Addr::new(192, 168, 1, 10);
    igmp.process_query(secs(10), &v3_query(100, ANY), unicast, 1);
    igmp.process_query(secs(10), &old_query(100, ANY), unicast, 1);
    igmp.process_query(secs(10), &old_query(0, ANY), unicast, 1);
    assert_eq!(igmp.poll_at(), None);
    assert_eq!(
        igmp.version(secs(11)),
        IgmpVersion::V3,
        "no forged downgrade"
    );
    // A v3 General Query with sources is meaningless: ignored too.
    let sources = [10, 0, 0, 1];
    let bad = IgmpRepr::MembershipQueryV3 {
        max_resp_code: 100,
        group_addr: ANY,
        s_flag: false,
        qrv: 2,
        qqic: 125,
        sources: IgmpSources::new(&sources).unwrap(),
    };
    igmp.process_query(secs(12), &bad, ALL_SYSTEMS, 1);
    // A group-specific query for a unicast "group", and non-queries.
    igmp.process_query(secs(12), &v3_query(100, unicast), unicast, 1);
    igmp.process_query(
        secs(12),
        &IgmpRepr::MembershipReportV2 { group_addr: A },
        A,
        1,
    );
    assert_eq!(igmp.poll_at(), None);
}

#[test]
fn rfc3376_7_2_1_v2_querier_switches_to_v2_reports_and_back_to_v3_after_260s() {
    let mut igmp: Igmp<4> = joined(&[A], secs(0));
    let q = secs(100);
    igmp.process_query(q, &old_query(100, ANY), ALL_SYSTEMS, 21);
    assert_eq!(igmp.version(q), IgmpVersion::V2);
    // RFC 2236 §3: the answer is a v2 report sent to the group itself.
    let sent = run(&mut igmp, q, secs(149));
    assert_eq!(sent.len(), 1);
    assert!(sent[0].at <= q + Duration::from_secs(10));
    assert_eq!(sent[0].dst, A);
    assert_eq!(
        sent[0].repr(),
        IgmpRepr::MembershipReportV2 { group_addr: A }
    );
    assert_eq!(sent[0].bytes, [0x16, 0, 0xf8, 0xfa, 239, 1, 2, 3]);

    // A join in v2 mode: two v2 reports, at once and within 10 s.
    let j = secs(150);
    igmp.join(B, j, 22).unwrap();
    let sent = run(&mut igmp, j, secs(200));
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].at, j);
    assert!(sent[1].at <= j + Duration::from_secs(10));
    for s in &sent {
        assert_eq!(s.dst, B);
        assert_eq!(s.repr(), IgmpRepr::MembershipReportV2 { group_addr: B });
    }

    // §8.12: 2 × 125 s + 10 s after the query, back to v3.
    let back = q + Duration::from_secs(260);
    assert_eq!(igmp.version(back - US), IgmpVersion::V2);
    assert_eq!(igmp.version(back), IgmpVersion::V3);
    igmp.join(C, back, 23).unwrap();
    let sent = run(&mut igmp, back, back + Duration::from_secs(10));
    assert_eq!(sent.len(), 2);
    for s in &sent {
        assert_eq!(s.records(), vec![(IgmpRecordType::ChangeToExclude, C)]);
    }
}

#[test]
fn rfc3376_7_2_1_a_mode_change_cancels_pending_reports() {
    // v3 → v2: the second v3 report of a join is not sent.
    let mut igmp: Igmp<4> = Igmp::new();
    igmp.join(A, secs(0), 1).unwrap();
    assert!(send(&mut igmp, secs(0)).is_some());
    assert!(igmp.poll_at().is_some());
    igmp.process_query(secs(0) + US, &old_query(100, ANY), ALL_SYSTEMS, 2);
    let sent = run(&mut igmp, secs(0) + US, secs(100));
    assert_eq!(sent.len(), 1, "only the answer to the v2 query");
    assert_eq!(sent[0].dst, A);

    // v2 → v3 at the timeout: a v2 repeat due after it is not sent.
    let j = secs(260) - US;
    igmp.join(B, j, 3).unwrap();
    assert_eq!(send(&mut igmp, j).unwrap().dst, B);
    let repeat = igmp.poll_at().unwrap();
    assert!(
        repeat >= secs(260),
        "the seed puts the repeat after the switch"
    );
    assert!(run(&mut igmp, j, secs(400)).is_empty());
    assert_eq!(igmp.version(secs(400)), IgmpVersion::V3);
}

#[test]
fn rfc2236_3_another_hosts_report_suppresses_ours() {
    let mut igmp: Igmp<4> = Igmp::new();
    igmp.process_query(secs(0), &old_query(100, ANY), ALL_SYSTEMS, 1);
    // Unsolicited: the first report goes, the repeat is suppressed.
    igmp.join(A, secs(1), 2).unwrap();
    assert_eq!(send(&mut igmp, secs(1)).unwrap().dst, A);
    assert!(igmp.poll_at().is_some());
    igmp.process_report(A);
    assert_eq!(igmp.poll_at(), None);
    // Solicited: the answer to a query is suppressed.
    igmp.process_query(secs(20), &old_query(100, ANY), ALL_SYSTEMS, 3);
    assert!(igmp.poll_at().is_some());
    igmp.process_report(B); // another group: no effect
    assert!(igmp.poll_at().is_some());
    igmp.process_report(A);
    assert_eq!(igmp.poll_at(), None);
    assert!(run(&mut igmp, secs(20), secs(100)).is_empty());
    // Someone else reported last: leaving sends nothing (RFC 2236 §3 MAY).
    assert!(igmp.leave(A, secs(101), 4));
    assert_eq!(igmp.poll_at(), None);
    assert!(!igmp.is_joined(A));
}

#[test]
fn rfc2236_3_last_reporter_sends_leave_group_to_all_routers() {
    let mut igmp: Igmp<4> = Igmp::new();
    igmp.process_query(secs(0), &old_query(100, ANY), ALL_SYSTEMS, 1);
    igmp.join(A, secs(1), 2).unwrap();
    assert_eq!(run(&mut igmp, secs(1), secs(20)).len(), 2);
    assert!(igmp.leave(A, secs(30), 3));
    assert!(!igmp.is_joined(A));
    let sent = run(&mut igmp, secs(30), secs(100));
    assert_eq!(sent.len(), 1, "one Leave Group");
    assert_eq!(sent[0].at, secs(30));
    assert_eq!(sent[0].dst, ALL_ROUTERS);
    assert_eq!(sent[0].repr(), IgmpRepr::LeaveGroup { group_addr: A });
    assert_eq!(igmp.poll_at(), None);
}

#[test]
fn rfc3376_appendix_a_v3_hosts_do_not_suppress() {
    let mut igmp: Igmp<4> = Igmp::new();
    igmp.join(A, secs(0), 1).unwrap();
    igmp.process_report(A);
    assert_eq!(run(&mut igmp, secs(0), secs(10)).len(), 2);
    igmp.process_query(secs(20), &v3_query(100, ANY), ALL_SYSTEMS, 2);
    igmp.process_report(A);
    assert_eq!(run(&mut igmp, secs(20), secs(40)).len(), 1);
}

#[test]
fn rfc2236_3_timer_restarted_only_if_max_resp_time_is_shorter() {
    let mut igmp: Igmp<4> = Igmp::new();
    igmp.process_query(secs(0), &old_query(100, ANY), ALL_SYSTEMS, 1);
    igmp.join(A, secs(1), 2).unwrap();
    assert_eq!(run(&mut igmp, secs(1), secs(20)).len(), 2);

    let q = secs(100);
    igmp.process_query(q, &old_query(100, ANY), ALL_SYSTEMS, 3);
    let t1 = igmp.poll_at().unwrap();
    assert!(
        t1 > q + Duration::from_millis(100),
        "the seed leaves > 0.1 s"
    );
    // 25.5 s is not shorter than what is left: the timer stands.
    igmp.process_query(q, &old_query(255, A), A, 4);
    assert_eq!(igmp.poll_at(), Some(t1));
    // Exactly what is left is not shorter either.
    let left = t1 - q;
    let tenths = u8::try_from(left.total_millis().div_ceil(100)).unwrap();
    if Duration::from_millis(u64::from(tenths) * 100) == left {
        igmp.process_query(q, &old_query(tenths, A), A, 5);
        assert_eq!(igmp.poll_at(), Some(t1));
    }
    // 0.1 s is shorter: restarted within 0.1 s.
    igmp.process_query(q, &old_query(1, A), A, 6);
    let t2 = igmp.poll_at().unwrap();
    assert!(t2 <= q + Duration::from_millis(100));
    let sent = run(&mut igmp, q, secs(200));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].at, t2);
}

#[test]
fn rfc1112_v1_querier_gives_v1_reports_and_no_leave() {
    let mut igmp: Igmp<4> = Igmp::new();
    igmp.process_query(secs(0), &old_query(0, ANY), ALL_SYSTEMS, 1);
    assert_eq!(igmp.version(secs(0)), IgmpVersion::V1);
    igmp.join(A, secs(1), 2).unwrap();
    let sent = run(&mut igmp, secs(1), secs(30));
    assert_eq!(sent.len(), 2);
    assert!(sent[1].at <= secs(11));
    for s in &sent {
        assert_eq!(s.dst, A);
        assert_eq!(s.repr(), IgmpRepr::MembershipReportV1 { group_addr: A });
    }
    // A v2 query does not leave v1 mode (§7.2.1: v1 wins), and in v1
    // mode every query is general with 10 s to answer.
    igmp.join(B, secs(40), 3).unwrap();
    run(&mut igmp, secs(40), secs(60));
    igmp.process_query(secs(100), &old_query(1, B), B, 4);
    assert_eq!(igmp.version(secs(100)), IgmpVersion::V1);
    let sent = run(&mut igmp, secs(100), secs(150));
    assert_eq!(sent.len(), 2, "both groups answer");
    for s in &sent {
        assert!(s.at <= secs(110));
        assert!(matches!(s.repr(), IgmpRepr::MembershipReportV1 { .. }));
    }
    // No leave message in v1.
    assert!(igmp.leave(A, secs(160), 5));
    assert_eq!(igmp.poll_at(), None);
    // The v1 timer (from 0 s) ends at 260 s; the v2 one (from 100 s) runs on.
    assert_eq!(igmp.version(secs(260) - US), IgmpVersion::V1);
    assert_eq!(igmp.version(secs(260)), IgmpVersion::V2);
    assert_eq!(igmp.version(secs(360)), IgmpVersion::V3);
}

#[test]
fn rfc3376_5_all_systems_group_is_implicit_and_never_reported() {
    let mut igmp: Igmp<1> = Igmp::new();
    assert!(igmp.is_joined(ALL_SYSTEMS));
    igmp.join(ALL_SYSTEMS, secs(0), 1).unwrap();
    assert_eq!(igmp.poll_at(), None);
    assert_eq!(igmp.groups().count(), 0);
    assert!(!igmp.leave(ALL_SYSTEMS, secs(0), 1));
    assert!(igmp.is_joined(ALL_SYSTEMS));
    // General and group-specific queries, v3 and v2: nothing to say.
    igmp.process_query(secs(1), &v3_query(10, ANY), ALL_SYSTEMS, 2);
    igmp.process_query(secs(1), &v3_query(10, ALL_SYSTEMS), ALL_SYSTEMS, 2);
    assert!(run(&mut igmp, secs(1), secs(20)).is_empty());
    igmp.process_query(secs(30), &old_query(10, ANY), ALL_SYSTEMS, 3);
    assert!(run(&mut igmp, secs(30), secs(50)).is_empty());
    // It takes no slot: the one slot still holds a real group, and a
    // general query reports that group only.
    igmp.join(A, secs(60), 4).unwrap();
    let sent = run(&mut igmp, secs(60), secs(75));
    assert_eq!(sent.len(), 2, "two unsolicited reports");
    igmp.process_query(secs(80), &old_query(10, ANY), ALL_SYSTEMS, 5);
    let sent = run(&mut igmp, secs(80), secs(100));
    assert_eq!(sent.len(), 1, "one answer");
    assert_eq!(
        sent[0].repr(),
        IgmpRepr::MembershipReportV2 { group_addr: A }
    );
}

#[test]
fn join_refuses_non_multicast_and_a_full_table() {
    let mut igmp: Igmp<2> = Igmp::new();
    for bad in [
        Ipv4Addr::new(10, 0, 0, 1),
        Ipv4Addr::BROADCAST,
        ANY,
        Ipv4Addr::new(240, 0, 0, 1),
    ] {
        assert_eq!(igmp.join(bad, secs(0), 1), Err(IgmpError::NotMulticast));
    }
    igmp.join(A, secs(0), 1).unwrap();
    igmp.join(B, secs(0), 2).unwrap();
    assert_eq!(igmp.join(C, secs(0), 3), Err(IgmpError::Full));
    assert!(!igmp.is_joined(C));
    // Joined already, or implicit: no slot needed.
    assert_eq!(igmp.join(A, secs(0), 4), Ok(()));
    assert_eq!(igmp.join(ALL_SYSTEMS, secs(0), 5), Ok(()));
    let sent = run(&mut igmp, secs(0), secs(10));
    assert_eq!(sent.len(), 2, "a second join of A is no state change");
    // A group being left gives its slot to a new one.
    assert!(igmp.leave(A, secs(20), 6));
    assert_eq!(igmp.join(C, secs(20), 7), Ok(()));
    let mut groups: Vec<_> = igmp.groups().collect();
    groups.sort();
    assert_eq!(groups, vec![B, C]);
    assert_eq!(igmp.join(A, secs(20), 8), Err(IgmpError::Full));
    let sent = run(&mut igmp, secs(20), secs(30));
    assert!(sent
        .iter()
        .all(|s| s.records() == vec![(IgmpRecordType::ChangeToExclude, C)]));
}

#[test]
fn dispatch_error_keeps_the_report() {
    // v3 join.
    let mut igmp: Igmp<2> = Igmp::new();
    igmp.join(A, secs(0), 1).unwrap();
    let mut calls = 0;
    let r = igmp.dispatch(secs(0), |o| {
        calls += 1;
        assert_eq!(o.dst, ALL_IGMPV3_ROUTERS);
        Err("queue full")
    });
    assert_eq!(r, Err("queue full"));
    assert_eq!(calls, 1);
    assert_eq!(igmp.poll_at(), Some(secs(0)));
    let sent = run(&mut igmp, secs(0), secs(10));
    assert_eq!(sent.len(), 2, "still two reports");

    // v3 query response.
    igmp.process_query(secs(20), &v3_query(10, ANY), ALL_SYSTEMS, 2);
    let due = igmp.poll_at().unwrap();
    assert_eq!(igmp.dispatch(due, |_| Err(())), Err(()));
    assert_eq!(igmp.poll_at(), Some(due));
    assert_eq!(run(&mut igmp, due, secs(40)).len(), 1);

    // v2 report and Leave Group.
    igmp.process_query(secs(50), &old_query(10, ANY), ALL_SYSTEMS, 3);
    let due = igmp.poll_at().unwrap();
    assert_eq!(igmp.dispatch(due, |_| Err(())), Err(()));
    assert_eq!(igmp.poll_at(), Some(due));
    assert_eq!(send(&mut igmp, due).unwrap().dst, A);
    assert!(igmp.leave(A, secs(60), 4));
    assert_eq!(igmp.dispatch(secs(60), |_| Err(())), Err(()));
    let leave = send(&mut igmp, secs(60)).unwrap();
    assert_eq!(leave.repr(), IgmpRepr::LeaveGroup { group_addr: A });
    assert_eq!(igmp.poll_at(), None);
}

#[test]
fn rfc3376_4_1_6_learned_qrv_and_qqic_set_retransmissions_and_older_querier_timeout() {
    let mut igmp: Igmp<2> = Igmp::new();
    let q = IgmpRepr::MembershipQueryV3 {
        max_resp_code: 100,
        group_addr: ANY,
        s_flag: false,
        qrv: 3,
        qqic: 60,
        sources: IgmpSources::default(),
    };
    igmp.process_query(secs(0), &q, ALL_SYSTEMS, 1);
    igmp.join(A, secs(1), 2).unwrap();
    let changes = run(&mut igmp, secs(1), secs(19))
        .iter()
        .filter(|s| s.records() == [(IgmpRecordType::ChangeToExclude, A)])
        .count();
    assert_eq!(changes, 3, "QRV 3");
    // §8.12 with the learned values: 3 × 60 s + 10 s = 190 s.
    igmp.process_query(secs(20), &old_query(100, ANY), ALL_SYSTEMS, 3);
    assert_eq!(igmp.version(secs(210) - US), IgmpVersion::V2);
    assert_eq!(igmp.version(secs(210)), IgmpVersion::V3);
}

#[test]
fn rfc2236_2_datagram_has_ttl_1_router_alert_and_internetwork_control() {
    assert_eq!(router_alert_option(), [0x94, 0x04, 0x00, 0x00]);
    let mut igmp: Igmp<2> = Igmp::new();
    igmp.join(A, secs(0), 1).unwrap();
    let src = Ipv4Addr::new(192, 168, 1, 10);
    let mut buf = [0u8; 64];
    let mut len = 0;
    igmp.dispatch(secs(0), |o| {
        assert_eq!(o.datagram_len(), 24 + 16);
        assert_eq!(
            o.emit_datagram(src, 7, &mut buf[..39], ChecksumMode::Check),
            Err(WireError::Truncated)
        );
        len = o.emit_datagram(src, 7, &mut buf, ChecksumMode::Check)?;
        Ok::<(), WireError>(())
    })
    .unwrap();
    assert_eq!(len, 40);
    let packet = Ipv4Packet::new_checked(&buf[..len]).unwrap();
    let ip = Ipv4Repr::parse(&packet, ChecksumMode::Check).unwrap();
    assert_eq!(buf[0], 0x46, "version 4, IHL 6");
    assert_eq!(buf[1], 0xc0, "TOS 0xc0");
    assert_eq!(ip.hop_limit, 1);
    assert_eq!(ip.next_header, IpProtocol::Igmp);
    assert_eq!((ip.src_addr, ip.dst_addr), (src, ALL_IGMPV3_ROUTERS));
    assert!(ip.dont_frag && !ip.more_frags);
    assert_eq!(ip.ident, 7);
    assert_eq!(ip.payload_len, 16);
    let options: Vec<_> = packet.options_iter().map(Result::unwrap).collect();
    assert_eq!(options.len(), 1);
    assert_eq!(options[0].kind, Ipv4Option::ROUTER_ALERT);
    assert_eq!(options[0].data, [0, 0]);
    let igmp_packet = IgmpPacket::new_checked(packet.payload()).unwrap();
    let repr = IgmpRepr::parse(&igmp_packet, ChecksumMode::Check).unwrap();
    assert!(matches!(repr, IgmpRepr::MembershipReportV3 { records } if records.len() == 1));
    // ipv4_repr says the same (payload = the IGMP message only).
    let out = IgmpOutput {
        dst: A,
        repr: IgmpRepr::MembershipReportV2 { group_addr: A },
    };
    let r = out.ipv4_repr(src, 9);
    assert_eq!((r.hop_limit, r.dscp, r.payload_len), (1, IPV4_DSCP, 8));
    // Offloaded header checksum: left zero, the IGMP one still computed.
    let mut buf = [0xffu8; 32];
    assert_eq!(
        out.emit_datagram(ANY, 9, &mut buf, ChecksumMode::Skip),
        Ok(32)
    );
    assert_eq!(buf[10..12], [0, 0]);
    let igmp_packet = IgmpPacket::new_checked(&buf[24..]).unwrap();
    assert!(igmp_packet.verify_checksum());
}

#[test]
fn poll_at_is_the_earliest_timer() {
    let mut igmp: Igmp<4> = joined(&[A, B], secs(0));
    assert_eq!(igmp.poll_at(), None);
    igmp.process_query(secs(10), &v3_query(100, A), A, 1);
    let group = igmp.poll_at().unwrap();
    igmp.join(C, secs(11), 2).unwrap();
    assert_eq!(igmp.poll_at(), Some(group.min(secs(11))));
}
