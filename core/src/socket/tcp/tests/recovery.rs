//! Loss recovery driven with crafted segments (issue 10 items 7–10, 17, 18):
//! what a retransmission timeout remembers, what fast retransmit resends,
//! Karn's rule, cwnd after idle and while application-limited, and when a
//! fast retransmission is due.

extern crate std;
use super::support::*;

const MSS: usize = 1460;

fn ms(n: i64) -> Instant {
    Instant::from_millis(n)
}

/// Sends everything the socket lets out at `now`.
fn drain(s: &mut TcpSocket<'_>, now: Instant) -> Vec<Seg> {
    let mut v = Vec::new();
    while let Some(seg) = out(s, now) {
        v.push(seg);
    }
    v
}

/// A plain ACK (no options) of `ack`, window `window`.
fn ack(ack: TcpSeqNumber, window: u16) -> TcpRepr<'static> {
    let mut a = seg(TcpFlags::empty(), IRS + 1, Some(ack), &[]);
    a.window_len = window;
    a
}

/// An ACK of `una` SACKing `blocks` (sequence ranges).
fn sack_ack(
    una: TcpSeqNumber,
    window: u16,
    blocks: &[(TcpSeqNumber, TcpSeqNumber)],
) -> TcpRepr<'static> {
    let mut a = ack(una, window);
    for (slot, (l, r)) in a.sack_ranges.iter_mut().zip(blocks) {
        *slot = Some((l.0, r.0));
    }
    a
}

/// Established with SACK, no timestamps or scaling, MSS 1460, no delayed
/// ACK, Nagle off, `buf`-byte rings; the peer's window is `window`.
fn sack_socket(buf: usize, window: u16) -> TcpSocket<'static> {
    sack_socket_rtt(buf, window, Duration::ZERO)
}

/// [`sack_socket`] whose handshake took `rtt`; the clock then reads `rtt`.
fn sack_socket_rtt(buf: usize, window: u16, rtt: Duration) -> TcpSocket<'static> {
    let mut s = socket(buf);
    s.config.timestamps = false;
    s.config.window_scaling = false;
    s.config.ack_delay = None;
    s.set_nodelay(true);
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    let mut synack = seg(TcpFlags::SYN, IRS, Some(ISS + 1), &[]);
    synack.sack_permitted = true;
    synack.max_seg_size = Some(MSS as u16);
    synack.window_len = window;
    let t = Instant::ZERO + rtt;
    s.process(t, &synack);
    assert_eq!(s.state(), State::Established);
    out(&mut s, t).unwrap();
    s
}

/// Segment `i` (0-based) of full-sized data: its first sequence number.
fn at(i: usize) -> TcpSeqNumber {
    ISS + 1 + i * MSS
}

#[test]
fn late_duplicate_acks_after_a_timeout_start_no_second_recovery() {
    // Item 7, RFC 6582 §3.2 step 4 / RFC 6675 §5.1: the timeout records
    // the highest sequence sent; duplicate ACKs of the old flight are not
    // a new congestion signal.
    let mut s = established(64 * 1024);
    s.set_nodelay(true);
    s.send_slice(&[1u8; 4 * MSS]).unwrap();
    assert_eq!(drain(&mut s, Instant::ZERO).len(), 4);
    let rto = s.poll_at(Instant::ZERO).unwrap();
    let re = out(&mut s, rto).expect("timeout retransmission");
    assert_eq!(re.seq, ISS + 1);
    let ssthresh = s.stats().ssthresh;
    let t = rto + Duration::from_millis(1);
    for _ in 0..3 {
        s.process(t, &ack(ISS + 1, 65535));
    }
    assert_eq!(s.stats().fast_retransmits, 0, "no fast recovery");
    assert_eq!(s.stats().ssthresh, ssthresh, "no second reduction");
}

#[test]
fn without_sack_fast_retransmit_resends_only_the_lost_segment() {
    // Item 8, RFC 5681 §3.2 step 3: "retransmit the lost segment", not
    // everything after it (go-back-N).
    let mut s = established(64 * 1024);
    s.set_nodelay(true);
    s.send_slice(&[2u8; 12 * MSS]).unwrap();
    let first = drain(&mut s, Instant::ZERO);
    assert_eq!(first.len(), 10, "the initial window");
    let t = ms(1);
    for _ in 0..3 {
        s.process(t, &ack(ISS + 1, 65535));
    }
    let sent = drain(&mut s, t);
    assert_eq!(sent.first().map(|g| g.seq), Some(at(0)), "the hole first");
    for g in &sent[1..] {
        assert!(g.seq >= at(10), "only new data after it, got {:?}", g.seq);
    }
    assert_eq!(s.stats().retransmits, 1);
    // A partial ACK (the hole repaired, segment 4 missing too) resends the
    // next hole only (RFC 6582 §3.2 step 5).
    s.process(ms(2), &ack(at(4), 65535));
    let sent = drain(&mut s, ms(2));
    assert_eq!(sent.first().map(|g| g.seq), Some(at(4)));
    assert!(sent[1..].iter().all(|g| g.seq >= at(10)));
    assert_eq!(s.stats().retransmits, 2);
}

#[test]
fn with_sack_a_partial_ack_does_not_resend_a_head_already_retransmitted() {
    // Item 9: segments 0 and 1 lost; both retransmitted; the partial ACK
    // of segment 0 must not send segment 1 a third time (RFC 6675 §5:
    // HighRxt is past it).
    let mut s = sack_socket(64 * 1024, 65535);
    s.send_slice(&[3u8; 10 * MSS]).unwrap();
    assert_eq!(drain(&mut s, Instant::ZERO).len(), 10);
    let t = ms(1);
    for k in 3..=5 {
        s.process(t, &sack_ack(at(0), 65535, &[(at(2), at(k))]));
    }
    let sent = drain(&mut s, t);
    let seqs: Vec<_> = sent.iter().map(|g| g.seq).collect();
    assert_eq!(seqs, [at(0), at(1)], "both holes, once each");
    let t = ms(2);
    s.process(t, &sack_ack(at(1), 65535, &[(at(2), at(10))]));
    let sent = drain(&mut s, t);
    assert!(
        sent.iter().all(|g| g.seq != at(1)),
        "segment 1 resent again: {:?}",
        sent.iter().map(|g| g.seq).collect::<Vec<_>>()
    );
}

#[test]
fn an_ack_of_retransmitted_data_keeps_the_backoff() {
    // Item 10, RFC 6298 §5 and Karn: only a valid RTT sample collapses the
    // backed-off RTO; the ACK of a retransmitted segment gives none.
    let mut s = established(64 * 1024);
    s.set_nodelay(true);
    s.send_slice(&[4u8; 2 * MSS]).unwrap();
    assert_eq!(drain(&mut s, Instant::ZERO).len(), 2);
    let rto = s.stats().rto;
    let fired = Instant::ZERO + rto;
    let re = out(&mut s, fired).expect("timeout retransmission");
    assert_eq!(re.seq, at(0));
    assert_eq!(s.stats().rto, rto * 2);
    s.process(fired + Duration::from_millis(10), &ack(at(1), 65535));
    assert_eq!(s.stats().rto, rto * 2, "no sample: the backoff stays");
}

/// Rounds of `per_round` segments, each round sent and then acknowledged by
/// one ACK; the cwnd after them.
fn rounds(s: &mut TcpSocket<'_>, rounds: usize, per_round: usize, t: &mut Instant) -> usize {
    for _ in 0..rounds {
        s.send_slice(&std::vec![5u8; per_round * MSS]).unwrap();
        let sent: usize = drain(s, *t).iter().map(|g| g.payload.len()).sum();
        assert_eq!(sent, per_round * MSS);
        *t += Duration::from_millis(1);
        let una = s.snd_nxt;
        s.process(*t, &ack(una, 65535));
        *t += Duration::from_millis(1);
    }
    s.stats().cwnd
}

#[test]
fn an_application_limited_sender_does_not_grow_cwnd() {
    // Item 17, RFC 7661 §4.3 (and RFC 9438 §5.8): 4 segments per round
    // trip never test a 10-segment window.
    for kind in [CongestionKind::Cubic, CongestionKind::NewReno] {
        let mut s = socket(64 * 1024);
        s.config.congestion = kind;
        s.config.timestamps = false;
        s.config.sack = false;
        s.config.window_scaling = false;
        s.set_nodelay(true);
        s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
        out(&mut s, Instant::ZERO).unwrap();
        let mut synack = seg(TcpFlags::SYN, IRS, Some(ISS + 1), &[]);
        synack.max_seg_size = Some(MSS as u16);
        s.process(Instant::ZERO, &synack);
        out(&mut s, Instant::ZERO).unwrap();
        let iw = s.stats().cwnd;
        let mut t = ms(1);
        assert_eq!(rounds(&mut s, 20, 4, &mut t), iw, "{kind:?}");
    }
}

#[test]
fn cwnd_restarts_after_an_idle_period() {
    // Item 17, RFC 5681 §4.1: idle longer than the RTO, the next burst is
    // at most the restart window min(IW, cwnd).
    let mut s = established(256 * 1024);
    s.set_nodelay(true);
    let iw = s.stats().cwnd;
    // Slow start: every segment of a full window acknowledged by its own ACK.
    let mut t = ms(1);
    s.send_slice(&[6u8; 20 * MSS]).unwrap();
    for _ in 0..2 {
        for g in drain(&mut s, t) {
            s.process(t, &ack(g.seq + g.payload.len(), 65535));
        }
        t += Duration::from_millis(1);
    }
    let cwnd = s.stats().cwnd;
    assert!(cwnd >= iw + 5 * MSS, "slow start grew cwnd to {cwnd}");
    assert_eq!(s.send_queue(), 0);
    let rto = s.stats().rto;
    t += rto * 2;
    s.send_slice(&[6u8; 40 * MSS]).unwrap();
    let burst = drain(&mut s, t).len();
    assert_eq!(burst * MSS, iw, "restart window");
}

#[test]
fn a_dsack_below_the_new_cumulative_ack_is_recognised() {
    // Item 17: the scoreboard is updated against the SND.UNA this ACK
    // sets (RFC 3708 §2: a first block below the cumulative ACK is a
    // D-SACK). Our retransmission of segment 0 was spurious: the ACK
    // covering it names it as a duplicate.
    let mut s = sack_socket(64 * 1024, 65535);
    s.send_slice(&[7u8; 4 * MSS]).unwrap();
    assert_eq!(drain(&mut s, Instant::ZERO).len(), 4);
    s.process(ms(1), &sack_ack(at(1), 65535, &[(at(0), at(1))]));
    assert_eq!(s.stats().dsacks_received, 1);
}

#[test]
fn fast_retransmit_is_due_at_once_when_the_windows_are_full() {
    // Item 18: three duplicate ACKs SACKing the next segments when the
    // peer's window is all in flight. The retransmission must be due now
    // (`poll_at`, which the interface asks before each dispatch), not
    // when the RTO fires.
    let window = (4 * MSS) as u16;
    let mut s = sack_socket(64 * 1024, window);
    s.send_slice(&[8u8; 8 * MSS]).unwrap();
    assert_eq!(drain(&mut s, Instant::ZERO).len(), 4, "the peer's window");
    let t = ms(1);
    for k in 2..=4 {
        s.process(t, &sack_ack(at(0), window, &[(at(1), at(k))]));
    }
    assert_eq!(s.stats().fast_retransmits, 1);
    assert_eq!(s.poll_at(t), Some(t), "the retransmission is due now");
    assert_eq!(out(&mut s, t).map(|g| g.seq), Some(at(0)));
}

#[test]
fn sack_duplicate_acks_count_whatever_the_window_and_segment_size() {
    // Item 18: small segments (an interactive or chargen stream) and a
    // receiver whose window shrinks as it buffers them out of order. Each
    // ACK SACKs new data: an RFC 6675 §2 duplicate ACK, and the third
    // starts fast retransmit, although three 100-byte segments are fewer
    // than (DupThresh − 1)·SMSS bytes.
    let mut s = sack_socket(64 * 1024, 65535);
    for _ in 0..5 {
        s.send_slice(&[9u8; 100]).unwrap();
        assert_eq!(
            out(&mut s, Instant::ZERO).map(|g| g.payload.len()),
            Some(100)
        );
    }
    let small = |i: usize| ISS + 1 + i * 100;
    let t = ms(1);
    for k in 2..=4 {
        let window = 65535 - 100 * k as u16;
        s.process(t, &sack_ack(small(0), window, &[(small(1), small(k))]));
    }
    assert_eq!(s.stats().fast_retransmits, 1);
    assert_eq!(s.poll_at(t), Some(t));
    let re = out(&mut s, t).unwrap();
    assert_eq!(re.seq, small(0));
}

/// Established with timestamps (and SACK when `sack`), handshake at 10 ms.
fn ts_socket(sack: bool) -> TcpSocket<'static> {
    let mut s = socket(64 * 1024);
    s.config.sack = sack;
    s.config.window_scaling = false;
    s.config.ack_delay = None;
    s.set_nodelay(true);
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    let syn = out(&mut s, Instant::ZERO).unwrap();
    let mut synack = seg(TcpFlags::SYN, IRS, Some(ISS + 1), &[]);
    synack.max_seg_size = Some(MSS as u16);
    synack.sack_permitted = sack;
    synack.timestamp = syn.ts.map(|(v, _)| (7, v));
    s.process(ms(10), &synack);
    out(&mut s, ms(10)).unwrap();
    s
}

#[test]
fn an_echo_of_the_timeout_retransmission_collapses_the_backoff() {
    // RFC 7323 §4.1 / RFC 6298 §5: the echo names the copy sent after the
    // timeout, so it is a valid sample even though the data was resent.
    for sack in [false, true] {
        let mut s = ts_socket(sack);
        let mss = s.stats().mss;
        s.send_slice(&std::vec![1u8; 2 * mss]).unwrap();
        assert_eq!(drain(&mut s, ms(10)).len(), 2);
        let rto = s.stats().rto;
        let fired = ms(10) + rto;
        let re = out(&mut s, fired).expect("timeout retransmission");
        assert_eq!(s.stats().rto, rto * 2);
        let mut a = ack(re.seq + re.payload.len(), 65535);
        a.timestamp = re.ts.map(|(v, _)| (8, v));
        s.process(fired + Duration::from_millis(5), &a);
        assert_eq!(s.stats().rto, rto, "sack {sack}: the sample collapsed it");
    }
}

// ----- RACK-TLP (RFC 8985), SACK across a timeout, undo -------------------

#[test]
fn a_tail_loss_is_probed_and_repaired_before_the_rto() {
    // RFC 8985 §7: the last two segments lost. A probe resends the last
    // one 2·SRTT after the ACK (not after the 200 ms RTO); its SACK then
    // lets RACK mark the other lost.
    let mut s = sack_socket(64 * 1024, 65535);
    s.send_slice(&[1u8; 5 * MSS]).unwrap();
    assert_eq!(drain(&mut s, Instant::ZERO).len(), 5);
    s.process(ms(1), &ack(at(3), 65535));
    let due = s.poll_at(ms(1)).unwrap();
    assert!(due < ms(20), "the probe is due at {due:?}");
    let probe = out(&mut s, due).expect("tail loss probe");
    assert_eq!(probe.seq, at(4), "the last segment");
    assert_eq!(s.stats().loss_probes, 1);
    let t = due + Duration::from_millis(1);
    s.process(t, &sack_ack(at(3), 65535, &[(at(4), at(5))]));
    let t = s.poll_at(t).unwrap();
    let re = out(&mut s, t).expect("the other lost segment");
    assert_eq!(re.seq, at(3));
    assert!(t < ms(50));
    assert_eq!(s.stats().timeouts, 0);
}

#[test]
fn a_lost_retransmission_is_resent_without_a_timeout() {
    // RFC 8985 §6.2: segments sent after the retransmission are SACKed, so
    // the retransmission itself was lost.
    let mut s = sack_socket(64 * 1024, 65535);
    s.send_slice(&[2u8; 20 * MSS]).unwrap();
    assert_eq!(drain(&mut s, Instant::ZERO).len(), 10);
    for k in 2..=4 {
        s.process(ms(1), &sack_ack(at(0), 65535, &[(at(1), at(k))]));
    }
    let first: Vec<_> = drain(&mut s, ms(1)).iter().map(|g| g.seq).collect();
    assert_eq!(first.first(), Some(&at(0)));
    // More SACKs: room for new data, sent after the retransmission.
    s.process(ms(2), &sack_ack(at(0), 65535, &[(at(1), at(10))]));
    let new: Vec<_> = drain(&mut s, ms(2)).iter().map(|g| g.seq).collect();
    assert!(new.contains(&at(10)), "{new:?}");
    s.process(
        ms(3),
        &sack_ack(at(0), 65535, &[(at(10), at(11)), (at(1), at(10))]),
    );
    let t = s.poll_at(ms(3)).unwrap();
    assert!(t < ms(10));
    let again: Vec<_> = drain(&mut s, t).iter().map(|g| g.seq).collect();
    assert!(again.contains(&at(0)), "{again:?}");
    assert_eq!(s.stats().timeouts, 0);
}

#[test]
fn sack_information_survives_a_timeout() {
    // RFC 6675 §5.1 allows keeping it (Linux does): after the timeout,
    // segments the peer holds are not sent again.
    let mut s = sack_socket(64 * 1024, 65535);
    s.send_slice(&[3u8; 6 * MSS]).unwrap();
    assert_eq!(drain(&mut s, Instant::ZERO).len(), 6);
    s.process(ms(1), &sack_ack(at(0), 65535, &[(at(2), at(4))]));
    let mut sent: Vec<_> = drain(&mut s, ms(1)).iter().map(|g| g.seq).collect();
    // The recovery's probe goes first (see `schedule_tlp`); unanswered,
    // the timeout follows.
    let mut rto = s.poll_at(ms(1)).unwrap();
    for _ in 0..4 {
        if rto >= Instant::ZERO + s.stats().rto {
            break;
        }
        sent.extend(drain(&mut s, rto).iter().map(|g| g.seq));
        rto = s.poll_at(rto).unwrap();
    }
    assert!(rto >= Instant::ZERO + s.stats().rto);
    let mut t = rto;
    for _ in 0..20 {
        let now: Vec<_> = drain(&mut s, t).iter().map(|g| g.seq).collect();
        if let Some(&last) = now.last() {
            s.process(
                t + Duration::from_millis(1),
                &sack_ack(at(0).max(last), 65535, &[]),
            );
        }
        sent.extend(now);
        t += Duration::from_millis(2);
        if s.send_queue() == 0 {
            break;
        }
    }
    assert!(s.stats().timeouts >= 1);
    assert!(
        !sent.contains(&at(2)) && !sent.contains(&at(3)),
        "SACKed data resent: {sent:?}"
    );
}

#[test]
fn a_dsack_for_every_retransmission_undoes_the_reduction() {
    // RFC 3708 §3: the retransmission was spurious (the original was only
    // reordered): cwnd and ssthresh go back.
    let mut s = sack_socket(64 * 1024, 65535);
    s.send_slice(&[4u8; 10 * MSS]).unwrap();
    assert_eq!(drain(&mut s, Instant::ZERO).len(), 10);
    let before = s.stats();
    for k in 2..=4 {
        s.process(ms(1), &sack_ack(at(0), 65535, &[(at(1), at(k))]));
    }
    assert_eq!(out(&mut s, ms(1)).map(|g| g.seq), Some(at(0)));
    assert!(s.stats().cwnd < before.cwnd);
    // The original arrives, then the copy: the receiver reports it.
    s.process(ms(2), &sack_ack(at(10), 65535, &[(at(0), at(1))]));
    assert_eq!(s.stats().undos, 1);
    assert!(s.stats().cwnd >= before.cwnd);
    assert_eq!(s.stats().ssthresh, before.ssthresh);
}

/// A timestamp socket (`sack` as given) that sent three segments at 10 ms
/// and resent the first at its timeout: the socket, the three, cwnd
/// before the timeout, and when it fired.
fn three_sent_then_a_timeout(sack: bool) -> (TcpSocket<'static>, Vec<Seg>, usize, Instant) {
    let mut s = ts_socket(sack);
    let mss = s.stats().mss;
    s.send_slice(&std::vec![5u8; 3 * mss]).unwrap();
    let sent = drain(&mut s, ms(10));
    assert_eq!(sent.len(), 3);
    let cwnd = s.stats().cwnd;
    let fired = ms(10) + s.stats().rto;
    let re = out(&mut s, fired).expect("timeout retransmission");
    assert_eq!(re.seq, sent[0].seq);
    (s, sent, cwnd, fired)
}

#[test]
fn a_spurious_timeout_is_detected_by_the_echo_and_undone() {
    // RFC 3522 / RFC 4015: the first ACK after the timeout echoes the
    // original's TSval: the original arrived, the timeout was spurious.
    // The window comes back and the rest of the flight is not resent.
    for sack in [false, true] {
        let (mut s, sent, cwnd, fired) = three_sent_then_a_timeout(sack);
        let mss = s.stats().mss;
        let mut a = ack(sent[0].seq + mss, 65535);
        a.timestamp = sent[0].ts.map(|(v, _)| (8, v));
        let t = fired + Duration::from_millis(1);
        s.process(t, &a);
        assert_eq!(s.stats().undos, 1, "sack {sack}");
        assert!(s.stats().cwnd >= cwnd, "sack {sack}");
        assert!(
            drain(&mut s, t).iter().all(|g| g.payload.is_empty()),
            "sack {sack}: nothing resent"
        );
    }
}

#[test]
fn reordering_within_the_window_once_seen_is_not_a_loss() {
    // RFC 8985 §6.2: once reordering was seen, a hole below three SACKed
    // segments waits min_RTT/4 (times the D-SACK multiplier) before it
    // counts as lost; the late original then fills it: no retransmission.
    let mut s = sack_socket_rtt(64 * 1024, 65535, Duration::from_millis(4));
    s.send_slice(&[6u8; 30 * MSS]).unwrap();
    assert_eq!(drain(&mut s, ms(4)).len(), 10);
    // One RTT of 4 ms; segment 1 arrives after segment 2 (reordering).
    let t = ms(8);
    s.process(t, &ack(at(1), 65535));
    s.process(t, &sack_ack(at(1), 65535, &[(at(2), at(3))]));
    s.process(t, &ack(at(3), 65535));
    assert!(s.rack.reordering_seen());
    let before = s.stats().retransmits;
    drain(&mut s, t);
    // Another hole: segment 3, three SACKed above it, then it arrives
    // 0.5 ms later (under min_RTT/4 = 1 ms).
    let t = ms(9);
    for k in 5..=7 {
        s.process(t, &sack_ack(at(3), 65535, &[(at(4), at(k))]));
        drain(&mut s, t);
    }
    let t = t + Duration::from_micros(500);
    assert!(s.poll_at(ms(9)).is_some_and(|d| d > t));
    drain(&mut s, t);
    s.process(t, &ack(at(7), 65535));
    drain(&mut s, t);
    assert_eq!(s.stats().retransmits, before, "no spurious retransmission");
    assert_eq!(s.stats().fast_retransmits, 0);
}

#[test]
fn prr_spreads_the_reduction_over_the_recovery() {
    // RFC 6937 §3.1: with pipe above ssthresh, each ACK lets out
    // ssthresh/RecoverFS of what it reported delivered: half, as NewReno
    // halves 20 segments in flight to 10, so a full segment every second
    // ACK. RFC 6675 alone sends nothing until pipe falls below cwnd.
    let mut s = sack_socket_rtt(256 * 1024, 65535, Duration::from_millis(4));
    s.cc = Congestion::new(CongestionKind::NewReno, MSS);
    s.send_slice(&[7u8; 40 * MSS]).unwrap();
    // Slow start to 20 segments: each of the first 10 ACKed on its own.
    let mut sent = 0;
    for g in drain(&mut s, ms(4)) {
        s.process(ms(8), &ack(g.seq + g.payload.len(), 65535));
        sent += drain(&mut s, ms(8)).len();
    }
    assert_eq!(sent, 20);
    // Segment 10 lost; the next ones SACKed one ACK at a time.
    let t = ms(12);
    for k in 1..=3 {
        s.process(t, &sack_ack(at(10), 65535, &[(at(11), at(11 + k))]));
    }
    assert_eq!(s.stats().fast_retransmits, 1);
    assert_eq!(s.stats().ssthresh, 10 * MSS);
    let first: Vec<_> = drain(&mut s, t).iter().map(|g| g.seq).collect();
    assert_eq!(first, [at(10)], "the head first");
    let mut pattern = Vec::new();
    for k in 4..=9 {
        s.process(t, &sack_ack(at(10), 65535, &[(at(11), at(11 + k))]));
        let sent = drain(&mut s, t);
        assert!(sent.iter().all(|g| g.seq >= at(30)), "new data only");
        pattern.push(sent.len());
    }
    // Delivered 2..7 segments since recovery began: half of it sent, the
    // head included, in whole segments.
    assert_eq!(pattern, [0, 0, 1, 0, 1, 0]);
}

#[test]
fn a_recovery_the_reordering_timer_starts_sends_new_data_too() {
    // RFC 8985 §6.3: every ACK came before the timer marked the head lost,
    // so PRR has no ACK clock; without new data after the retransmission
    // a lost retransmission would wait for the RTO (RFC 6675 §5 would fill
    // the window up to ssthresh: so does PRR before its first ACK).
    let mut s = sack_socket_rtt(64 * 1024, 65535, Duration::from_millis(4));
    s.send_slice(&[8u8; 30 * MSS]).unwrap();
    assert_eq!(drain(&mut s, ms(4)).len(), 10);
    // Reordering seen once: segment 0 arrives after segment 1.
    s.process(ms(8), &sack_ack(at(0), 65535, &[(at(1), at(2))]));
    s.process(ms(8), &ack(at(2), 65535));
    assert!(s.rack.reordering_seen());
    drain(&mut s, ms(8));
    // Segment 2 lost, the rest of its flight SACKed in one ACK (the
    // segments sent at 8 ms are still on their way); nothing follows.
    s.process(ms(12), &sack_ack(at(2), 65535, &[(at(3), at(10))]));
    let open: Vec<_> = drain(&mut s, ms(12)).iter().map(|g| g.seq).collect();
    assert!(!open.contains(&at(2)), "within the reordering window");
    let high = s.snd_max;
    assert_eq!(s.stats().fast_retransmits, 0);
    let t = s.poll_at(ms(12)).unwrap();
    assert!(t > ms(12) && t < ms(20), "the reordering timer: {t:?}");
    let out: Vec<_> = drain(&mut s, t).iter().map(|g| g.seq).collect();
    assert_eq!(s.stats().fast_retransmits, 1);
    assert_eq!(out.first(), Some(&at(2)), "the lost segment");
    assert!(out.iter().any(|&q| q >= high), "new data after it: {out:?}");
}

#[test]
fn a_dsack_undo_during_recovery_ends_it_with_the_window_it_had() {
    // RFC 3708 §3 / Linux's tcp_try_undo_dsack: the D-SACK for the only
    // retransmission arrives while the recovery still runs (its point is
    // further on). The window goes back to what it was, and the recovery
    // ends there: ending it later would set cwnd to the ssthresh just
    // restored, which in slow start is unbounded.
    let mut s = sack_socket(64 * 1024, 65535);
    s.send_slice(&[9u8; 10 * MSS]).unwrap();
    assert_eq!(drain(&mut s, Instant::ZERO).len(), 10);
    let before = s.stats();
    for k in 2..=4 {
        s.process(ms(1), &sack_ack(at(0), 65535, &[(at(1), at(k))]));
    }
    assert_eq!(out(&mut s, ms(1)).map(|g| g.seq), Some(at(0)));
    assert_eq!(s.stats().fast_retransmits, 1);
    // The late original fills the hole (a partial ACK), then the copy
    // comes back as a D-SACK.
    s.process(ms(2), &ack(at(4), 65535));
    s.process(ms(2), &sack_ack(at(4), 65535, &[(at(0), at(1))]));
    assert_eq!(s.stats().undos, 1);
    assert_eq!(s.phase, Phase::Open, "the recovery is over");
    s.process(ms(3), &ack(at(10), 65535));
    let cwnd = s.stats().cwnd;
    // At most one slow-start step for the six segments that ACK covers.
    assert!(
        cwnd >= before.cwnd && cwnd <= before.cwnd + 6 * MSS,
        "cwnd {cwnd}, was {}",
        before.cwnd
    );
}

#[test]
fn a_recovery_that_resent_nothing_is_undone_when_it_ends() {
    // RACK marks the hole lost and the recovery starts, but the late
    // original fills the hole before the repair leaves (a burst of ACKs
    // handled in one poll): nothing was lost, and the end of the recovery
    // undoes its reduction (Linux's tcp_try_undo_recovery: no
    // retransmission left unaccounted for).
    let mut s = sack_socket(64 * 1024, 65535);
    s.send_slice(&[10u8; 10 * MSS]).unwrap();
    assert_eq!(drain(&mut s, Instant::ZERO).len(), 10);
    let before = s.stats();
    for k in 2..=4 {
        s.process(ms(1), &sack_ack(at(0), 65535, &[(at(1), at(k))]));
    }
    assert_eq!(s.stats().fast_retransmits, 1);
    assert!(s.stats().ssthresh < before.ssthresh);
    s.process(ms(1), &ack(at(10), 65535));
    assert_eq!(s.stats().retransmits, 0);
    assert_eq!(s.stats().undos, 1);
    assert_eq!(s.stats().ssthresh, before.ssthresh);
    assert!(s.stats().cwnd >= before.cwnd);
}

#[test]
fn a_delivery_the_full_scoreboard_cannot_keep_still_marks_the_holes_below_it() {
    // Every other segment lost (a slow start overshooting a queue): eight
    // SACKed ranges fill the scoreboard; the ninth block, above them all,
    // does not fit. It is still a delivery: RACK (RFC 8985 §6.2) marks the
    // hole below it lost, instead of leaving it to the RTO.
    let mut s = sack_socket(64 * 1024, 65535);
    s.send_slice(&[11u8; 10 * MSS]).unwrap();
    assert_eq!(drain(&mut s, Instant::ZERO).len(), 10);
    // Open the window past 20 segments: each ACK is one segment, and the
    // segments so acknowledged leave back to back (slow start).
    let mut t = ms(4);
    s.send_slice(&[11u8; 40 * MSS]).unwrap();
    for i in 1..=10 {
        s.process(t, &ack(at(i), 65535));
        drain(&mut s, t);
    }
    let base = 10;
    assert!(s.snd_max >= at(base + 20), "{:?}", s.snd_max);
    t += Duration::from_millis(4);
    let block = |k: usize| (at(base + 2 * k + 1), at(base + 2 * k + 2));
    let mut blocks = std::vec::Vec::new();
    for k in 0..=SCOREBOARD_RANGES {
        blocks.insert(0, block(k));
        blocks.truncate(3);
        s.process(t, &sack_ack(at(base), 65535, &blocks));
    }
    assert_eq!(s.scoreboard.ranges().count(), SCOREBOARD_RANGES);
    let hole = at(base + 2 * SCOREBOARD_RANGES);
    assert!(
        s.rack.lost_to() > hole,
        "the hole below the newest block is lost: {:?} <= {hole:?}",
        s.rack.lost_to()
    );
}

#[test]
fn a_dsack_above_snd_una_tells_an_older_resend_lost() {
    // Segment 0 lost; 1..8 SACKed, the SACK of 9 lost on the way. Segment
    // 0 is resent, then (RFC 6675 §4 rule 4) the rescue resends 9, which
    // the receiver had: its D-SACK (RFC 2883) says the rescue arrived, so
    // the resend of 0, which left before it and is not acknowledged, was
    // lost as well (RFC 8985 §6.2; Linux's tcp_sacktag_one advances RACK
    // on a D-SACK above SND.UNA): resent again at once, not at the RTO.
    let mut s = sack_socket(64 * 1024, 65535);
    s.send_slice(&[12u8; 10 * MSS]).unwrap();
    assert_eq!(drain(&mut s, Instant::ZERO).len(), 10);
    for k in 2..=9 {
        s.process(ms(1), &sack_ack(at(0), 65535, &[(at(1), at(k))]));
    }
    let sent: Vec<_> = drain(&mut s, ms(1)).iter().map(|g| g.seq).collect();
    assert_eq!(sent, [at(0), at(9)], "the hole, then the rescue");
    s.process(
        ms(2),
        &sack_ack(at(0), 65535, &[(at(9), at(10)), (at(1), at(10))]),
    );
    assert_eq!(s.stats().dsacks_received, 1);
    let again: Vec<_> = drain(&mut s, ms(2)).iter().map(|g| g.seq).collect();
    assert_eq!(again, [at(0)], "the lost resend goes again");
}

#[test]
fn a_probe_answered_by_a_pure_duplicate_ack_was_no_loss() {
    // RFC 8985 §7.4, Linux's tcp_process_tlp_ack: the probe resent the
    // last segment; the originals' ACK came first, then a duplicate ACK
    // without D-SACK for the copy. Both arrived: nothing was lost, and
    // the window stays.
    let mut s = sack_socket(64 * 1024, 65535);
    s.send_slice(&[13u8; 5 * MSS]).unwrap();
    assert_eq!(drain(&mut s, Instant::ZERO).len(), 5);
    s.process(ms(1), &ack(at(3), 65535));
    let due = s.poll_at(ms(1)).unwrap();
    let probe = out(&mut s, due).expect("tail loss probe");
    assert_eq!(probe.seq, at(4));
    let before = s.stats();
    let t = due + Duration::from_millis(1);
    s.process(t, &ack(at(5), 65535));
    s.process(t, &ack(at(5), 65535));
    assert_eq!(s.stats().timeouts, 0);
    assert_eq!(s.stats().probe_recoveries, 0);
    assert_eq!(s.stats().ssthresh, before.ssthresh);
}

#[test]
fn a_dsack_for_a_copy_the_network_made_widens_nothing() {
    // A link that duplicates frames: the receiver reports the copy of a
    // segment never resent (RFC 2883). It says nothing about reordering
    // nor about a spurious resend (Linux's tcp_dsack_seen: more D-SACKed
    // segments than resent ones): the reordering window stays as it was.
    let mut s = sack_socket(64 * 1024, 65535);
    s.send_slice(&[14u8; 10 * MSS]).unwrap();
    assert_eq!(drain(&mut s, Instant::ZERO).len(), 10);
    s.process(ms(1), &ack(at(5), 65535));
    let before = s.stats();
    s.process(ms(1), &sack_ack(at(5), 65535, &[(at(2), at(3))]));
    assert_eq!(s.stats().dsacks_received, 1);
    assert!(!s.stats().reordering_seen);
    assert_eq!(s.stats().reordering_window, before.reordering_window);
}

#[test]
fn a_probe_waits_two_rtts_and_some_slack() {
    // RFC 8985 §7.2 PTO = 2·SRTT, plus Linux's TCP_TIMEOUT_MIN (2 ms)
    // added, not taken as a floor: with a 4 ms RTT, ACKs 1.5 ms late
    // (a busy receiver) draw no probe.
    let mut s = sack_socket_rtt(64 * 1024, 65535, Duration::from_millis(4));
    s.send_slice(&[15u8; 5 * MSS]).unwrap();
    assert_eq!(drain(&mut s, ms(4)).len(), 5);
    let srtt = s.stats().srtt.unwrap();
    let due = s.poll_at(ms(4)).unwrap();
    assert!(
        due >= ms(4) + srtt * 2 + Duration::from_millis(2),
        "{due:?} srtt {srtt:?}"
    );
    let late = ms(4) + srtt * 2 + Duration::from_micros(1500);
    assert!(out(&mut s, late).is_none(), "no probe yet");
    assert_eq!(s.stats().loss_probes, 0);
}

#[test]
fn a_dsack_for_a_network_copy_does_not_undo_a_real_reduction() {
    // Segment 0 really lost and resent; the link also duplicated segment
    // 5, and the receiver reports that copy (RFC 2883). Only a D-SACK of
    // what was resent says a resend was spurious (Linux counts D-SACKs of
    // retransmitted segments only): the reduction stays.
    let mut s = sack_socket(64 * 1024, 65535);
    s.send_slice(&[16u8; 10 * MSS]).unwrap();
    assert_eq!(drain(&mut s, Instant::ZERO).len(), 10);
    for k in 2..=4 {
        s.process(ms(1), &sack_ack(at(0), 65535, &[(at(1), at(k))]));
    }
    assert_eq!(out(&mut s, ms(1)).map(|g| g.seq), Some(at(0)));
    let reduced = s.stats().ssthresh;
    s.process(ms(2), &ack(at(8), 65535));
    s.process(ms(2), &sack_ack(at(8), 65535, &[(at(5), at(6))]));
    assert_eq!(s.stats().dsacks_received, 1);
    assert_eq!(s.stats().undos, 0);
    s.process(ms(3), &ack(at(10), 65535));
    assert_eq!(s.stats().undos, 0);
    assert_eq!(s.stats().ssthresh, reduced);
}

// ----- Repairs and probes against the peer's current window ----------------

#[test]
fn sack_repairs_stay_inside_the_current_peer_window() {
    // Linux's __tcp_retransmit_skb: a segment at or past SND.UNA + SND.WND
    // is not resent unless it is the head (whose resend doubles as a
    // zero-window probe); one across the edge is cut to it.
    let mut s = sack_socket(64 * 1024, 65535);
    s.send_slice(&[4u8; 10 * MSS]).unwrap();
    assert_eq!(drain(&mut s, Instant::ZERO).len(), 10);
    // Segments 0, 2, 3 and 4 lost; the peer's window closed.
    let sacked = [(at(5), at(10)), (at(1), at(2))];
    for _ in 0..3 {
        s.process(ms(1), &sack_ack(at(0), 0, &sacked));
    }
    let sent: Vec<_> = drain(&mut s, ms(1)).iter().map(|g| g.seq).collect();
    assert_eq!(sent, [at(0)], "only the head past a zero window");
    // The head arrived; the window reopens to one segment: segment 2 (the
    // new head) goes, segment 3 (at the edge) waits.
    s.process(ms(2), &sack_ack(at(2), MSS as u16, &[(at(5), at(10))]));
    let sent: Vec<_> = drain(&mut s, ms(2)).iter().map(|g| g.seq).collect();
    assert_eq!(sent, [at(2)], "nothing past SND.UNA + SND.WND");
    // A segment and a half: segment 3 whole, segment 4 cut to the edge.
    let wnd = (MSS + MSS / 2) as u16;
    s.process(ms(3), &sack_ack(at(3), wnd, &[(at(5), at(10))]));
    let sent: Vec<_> = drain(&mut s, ms(3))
        .iter()
        .map(|g| (g.seq, g.payload.len()))
        .collect();
    assert_eq!(sent, [(at(3), MSS), (at(4), MSS / 2)]);
}

#[test]
fn no_tail_loss_probe_past_a_zero_window() {
    // RFC 8985 §7.3 probes inside the window; at a zero window the persist
    // timer probes (RFC 9293 §3.8.6.1) — the head, never the tail beyond it.
    let mut s = sack_socket(64 * 1024, 65535);
    s.send_slice(&[5u8; 5 * MSS]).unwrap();
    assert_eq!(drain(&mut s, Instant::ZERO).len(), 5);
    s.process(ms(1), &ack(at(3), 0));
    let mut t = ms(1);
    let mut probes = 0;
    for _ in 0..3 {
        t = s.poll_at(t).expect("a timer runs");
        for g in drain(&mut s, t) {
            assert_eq!(g.seq, at(3), "only the head probes a zero window");
            probes += 1;
        }
    }
    assert!(probes > 0, "the window is probed");
    assert_eq!(s.stats().loss_probes, 0);
}

#[test]
fn a_smaller_path_mtu_resends_only_what_was_not_sacked() {
    // RFC 1191 §6.5 / RFC 8201 §5.4 resend in smaller pieces what no
    // longer fits; Linux's tcp_simple_retransmit marks lost only segments
    // not SACKed (tcp_mark_skb_lost skips TCPCB_SACKED_ACKED).
    // A 10 ms RTT: RACK's reordering window keeps the SACK below from
    // marking anything lost by itself.
    let mut s = sack_socket_rtt(64 * 1024, 65535, Duration::from_millis(10));
    s.send_slice(&[6u8; 10 * MSS]).unwrap();
    assert_eq!(drain(&mut s, ms(10)).len(), 10);
    // Segment 2 arrived; the others were too big for a 576-byte hop.
    s.process(ms(20), &sack_ack(at(0), 65535, &[(at(2), at(3))]));
    assert!(drain(&mut s, ms(20)).is_empty(), "no repair yet");
    s.process_path_mtu(at(0), 576);
    assert_eq!(s.stats().mss, 536);
    // The resends leave as cwnd allows; each round's ACK lets out more.
    let mut resent = 0;
    let mut t = ms(20);
    let mut first = true;
    while s.send_queue() > 0 {
        let sent = drain(&mut s, t);
        assert!(!sent.is_empty(), "a round without a resend");
        let mut high = at(0);
        for g in sent {
            if first {
                assert_eq!(g.seq, at(0), "from the head");
                first = false;
            }
            assert!(g.payload.len() <= 536, "fits the new MTU");
            let end = g.seq + g.payload.len();
            assert!(
                end <= at(2) || g.seq >= at(3),
                "resent SACKed data: {:?}..{:?}",
                g.seq,
                end
            );
            resent += g.payload.len();
            high = high.max(end);
        }
        t += Duration::from_millis(10);
        if high < at(2) {
            s.process(t, &sack_ack(high, 65535, &[(at(2), at(3))]));
        } else {
            s.process(t, &ack(high.max(at(3)), 65535));
        }
    }
    assert_eq!(resent, 9 * MSS, "every byte not SACKed, once");
}

#[test]
fn a_stretch_ack_that_reveals_a_loss_leaves_the_window_reduced_from_the_flight_it_found() {
    // RFC 9438 §4.6 / RFC 5681 §3.2: ssthresh comes from the flight in
    // which the loss happened. A coalescing receiver (Linux behind GRO)
    // acknowledges five segments in the ACK whose SACK block shows the
    // next one lost: the flight is still ten segments when that ACK
    // arrives, five only after it moved SND.UNA. Reduced from the five,
    // ssthresh fell to 3.5 segments where it should be 7 (the window then
    // spent its time near two segments on a 20 ms RTT, 1 % loss link).
    let mut s = sack_socket(64 * 1024, 65535);
    s.send_slice(&[7u8; 30 * MSS]).unwrap();
    assert_eq!(drain(&mut s, ms(0)).len(), 10, "the initial window");
    // Segments 0..5 delivered, 5 lost, 6..9 SACKed: in one ACK.
    s.process(ms(20), &sack_ack(at(5), 65535, &[(at(6), at(10))]));
    assert_eq!(s.stats().fast_retransmits, 1);
    let ssthresh = s.stats().ssthresh;
    assert_eq!(ssthresh, 10 * MSS * 7 / 10, "0.7 of the ten in flight");
    // PRR's RecoverFS is that flight too (RFC 6937 §3): the first ACK
    // of the recovery lets out the repair and about 0.7 of what it
    // reported delivered (ten segments), not more than that.
    let sent = drain(&mut s, ms(20));
    assert_eq!(sent.first().map(|g| g.seq), Some(at(5)), "the repair");
    assert!(sent.len() <= 8, "{} segments", sent.len());
}

#[test]
fn with_sack_a_copy_of_a_plain_ack_is_no_duplicate_ack() {
    // RFC 6675 §2: with SACK, a DupAck is an ACK whose SACK blocks report
    // data not SACKed before (Linux counts sacked_out, tcp_add_reno_sack
    // being for non-SACK peers only). A link that duplicates frames
    // (1 % of them on the impaired table's row) hands the sender copies of
    // plain cumulative ACKs: taken as duplicate ACKs, each let a segment
    // out beyond cwnd (RFC 3042) and closed RACK's reordering window at
    // three (the DupThresh shortcut of RFC 8985 §6.2 step 4).
    let mut s = sack_socket(64 * 1024, 65535);
    s.send_slice(&[5u8; 30 * MSS]).unwrap();
    assert_eq!(drain(&mut s, ms(0)).len(), 10, "the initial window");
    s.process(ms(10), &ack(at(2), 65535));
    let after_ack = drain(&mut s, ms(10)).len();
    assert!(after_ack >= 2, "the ACK's own room: {after_ack}");
    // The link's copies of that ACK: nothing new.
    for _ in 0..3 {
        s.process(ms(10), &ack(at(2), 65535));
    }
    assert_eq!(drain(&mut s, ms(10)).len(), 0, "no limited transmit");
    assert_eq!(s.dupacks, 0);
    assert_eq!(s.stats().fast_retransmits, 0);
}

#[test]
fn a_probe_waits_for_the_rtts_spread_on_an_uneven_path() {
    // ACKs that come back unevenly (1 ms, then 9 ms: threads waiting for a
    // CPU on a busy host) are no sign of loss: the probe waits SRTT +
    // 4·RTTVAR when that is longer than 2·SRTT (RFC 9002 §6.2.1), so an
    // ACK as late as the spread already seen draws no spurious probe.
    let mut s = sack_socket_rtt(64 * 1024, 65535, Duration::from_millis(1));
    let mut t = ms(1);
    for (i, rtt) in [9, 1, 9, 1, 9, 1].into_iter().enumerate() {
        s.send_slice(&[17u8; MSS]).unwrap();
        assert_eq!(drain(&mut s, t).len(), 1);
        t += Duration::from_millis(rtt);
        s.process(t, &ack(at(i + 1), 65535));
    }
    let st = s.stats();
    let (srtt, rttvar) = (st.srtt.unwrap(), st.rttvar.unwrap());
    assert!(rttvar * 4 > srtt * 2, "srtt {srtt:?} rttvar {rttvar:?}");
    s.send_slice(&[17u8; 5 * MSS]).unwrap();
    assert_eq!(drain(&mut s, t).len(), 5);
    let due = s.poll_at(t).unwrap();
    assert!(
        due >= t + srtt + rttvar * 4 + Duration::from_millis(2),
        "{due:?} srtt {srtt:?} rttvar {rttvar:?}"
    );
    // Later than 2·SRTT + 2 ms, within the spread: no probe yet.
    let late = t + srtt * 2 + Duration::from_millis(3);
    assert!(out(&mut s, late).is_none(), "no probe yet");
    s.process(late, &ack(at(11), 65535));
    assert_eq!(s.stats().loss_probes, 0);
}

#[test]
fn the_lost_last_ack_of_a_recovery_draws_a_probe_not_the_rto() {
    // Measured in the impaired rig (1 % loss both ways): the receiver,
    // which compresses the ACKs of out-of-order data (Linux's SACK
    // compression), answers the retransmission that fills the hole with
    // one ACK of everything; when that one ACK is lost, PRR lets nothing
    // more out and no timer but the 200 ms RTO was left. A probe after
    // the PTO (RFC 8985 §7.2; RFC 9002 §6.2 arms it whatever the recovery
    // state, as it recovers lost ACKs too) brings the ACK back.
    let mut s = sack_socket_rtt(256 * 1024, 65535, Duration::from_millis(4));
    s.send_slice(&[19u8; 60 * MSS]).unwrap();
    let mut t = ms(4);
    for g in drain(&mut s, t) {
        t += Duration::from_micros(100);
        s.process(
            t + Duration::from_millis(4),
            &ack(g.seq + g.payload.len(), 65535),
        );
        drain(&mut s, t + Duration::from_millis(4));
    }
    let t = ms(20);
    let high = s.snd_max;
    // Segment 20 lost, three segments above it SACKed: fast retransmit.
    for k in 1..=3 {
        s.process(t, &sack_ack(at(20), 65535, &[(at(21), at(21 + k))]));
    }
    assert_eq!(s.stats().fast_retransmits, 1);
    let sent: Vec<_> = drain(&mut s, t).iter().map(|g| g.seq).collect();
    assert_eq!(sent.first(), Some(&at(20)), "{sent:?}");
    // The receiver now holds everything; its one ACK is lost.
    let rto = s.stats().rto;
    let due = s.poll_at(t).unwrap();
    assert!(
        due < t + Duration::from_millis(50),
        "due {due:?} (RTO {rto:?})"
    );
    let probe = drain(&mut s, due);
    assert_eq!(probe.len(), 1, "{probe:?}");
    assert!(probe[0].seq >= high, "new data: {:?}", probe[0].seq);
    assert_eq!(s.stats().loss_probes, 1);
    // Its ACK ends the recovery without a timeout.
    let end = probe[0].seq + probe[0].payload.len();
    s.process(due + Duration::from_millis(4), &ack(end, 65535));
    assert_eq!(s.phase, Phase::Open);
    assert_eq!(s.stats().timeouts, 0);
}

#[test]
fn a_spurious_timeout_seen_twice_in_one_ack_is_one_undo() {
    // The ACK after a spurious timeout both echoes the original's TSval
    // (RFC 4015) and reports the resend as a duplicate (RFC 2883, RFC
    // 3708): one reduction, undone once; the counter said two.
    let (mut s, sent, cwnd, fired) = three_sent_then_a_timeout(true);
    let mss = s.stats().mss;
    let end = sent[2].seq + mss;
    let mut a = sack_ack(end, 65535, &[(sent[0].seq, sent[0].seq + mss)]);
    a.timestamp = sent[2].ts.map(|(v, _)| (8, v));
    s.process(fired + Duration::from_millis(1), &a);
    assert_eq!(s.stats().dsacks_received, 1);
    assert_eq!(s.stats().undos, 1);
    assert!(s.stats().cwnd >= cwnd);
}

#[test]
fn the_dsack_of_a_recovery_probe_undoes_nothing() {
    // The peer's window is full, so the probe of a fast recovery resends
    // the last segment, which had arrived: its D-SACK says nothing of the
    // repair still out (RFC 3708 §3 counts the recovery's resends only).
    let mut s = sack_socket(64 * 1024, (10 * MSS) as u16);
    s.send_slice(&[21u8; 30 * MSS]).unwrap();
    assert_eq!(drain(&mut s, ms(1)).len(), 10);
    for k in 1..=3 {
        s.process(
            ms(2),
            &sack_ack(at(0), (10 * MSS) as u16, &[(at(1), at(1 + k))]),
        );
    }
    assert_eq!(s.stats().fast_retransmits, 1);
    let sent: Vec<_> = drain(&mut s, ms(2)).iter().map(|g| g.seq).collect();
    assert_eq!(sent, [at(0)]);
    let reduced = s.stats().cwnd;
    let due = s.poll_at(ms(2)).unwrap();
    assert!(due < ms(100), "the probe is due at {due:?}");
    let probe = drain(&mut s, due);
    assert_eq!(probe.len(), 1);
    assert_eq!(probe[0].seq, at(9), "the last segment");
    // Everything above the hole arrived, the probe's copy twice; the
    // repair of segment 0 is still on its way.
    let t = due + Duration::from_millis(1);
    s.process(
        t,
        &sack_ack(
            at(0),
            (10 * MSS) as u16,
            &[(at(9), at(10)), (at(1), at(10))],
        ),
    );
    assert_eq!(s.stats().dsacks_received, 1);
    assert_eq!(s.stats().undos, 0);
    assert!(s.stats().cwnd <= reduced);
}
