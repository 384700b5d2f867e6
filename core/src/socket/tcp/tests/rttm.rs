extern crate std;
use super::support::*;

/// An established connection, timestamps on or off, handshake at 10 ms.
fn connected(timestamps: bool) -> TcpSocket<'static> {
    let mut s = socket(64 * 1024);
    s.config.timestamps = timestamps;
    s.config.sack = false;
    s.config.window_scaling = false;
    s.set_nodelay(true);
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    let syn = out(&mut s, Instant::ZERO).unwrap();
    let mut synack = seg(TcpFlags::SYN, IRS, Some(ISS + 1), &[]);
    synack.max_seg_size = Some(1460);
    synack.timestamp = syn.ts.map(|(v, _)| (7, v));
    let t = Instant::from_millis(10);
    s.process(t, &synack);
    assert_eq!(s.state(), State::Established);
    out(&mut s, t).unwrap();
    s
}

/// An ACK up to `ack` from the peer, echoing `echo`'s TSval.
fn ack_echoing(ack: TcpSeqNumber, echo: &Seg) -> TcpRepr<'static> {
    let mut a = seg(TcpFlags::empty(), IRS + 1, Some(ack), &[]);
    a.timestamp = echo.ts.map(|(v, _)| (8, v));
    a
}

/// Four segments, three duplicate ACKs, a fast retransmission of the
/// first, and the ACK of all four 50 ms after the retransmission left,
/// echoing it. SRTT before and after that ACK.
fn fast_retransmitted_then_acked(timestamps: bool) -> (Duration, Duration) {
    let mut s = connected(timestamps);
    let t = Instant::from_millis(10);
    let mss = s.stats().mss;
    s.send_slice(&std::vec![5; 4 * mss]).unwrap();
    let first = out(&mut s, t).unwrap();
    while out(&mut s, t).is_some() {}
    let before = s.stats().srtt.expect("the handshake gave a sample");
    assert!(before <= Duration::from_millis(10));
    let t1 = t + Duration::from_millis(1);
    for _ in 0..3 {
        s.process(t1, &ack_echoing(ISS + 1, &first));
    }
    let again = out(&mut s, t1).expect("fast retransmission");
    assert_eq!(again.seq, first.seq);
    assert_eq!(s.stats().timeouts, 0);
    s.process(
        t1 + Duration::from_millis(50),
        &ack_echoing(ISS + 1 + 4 * mss, &again),
    );
    (before, s.stats().srtt.unwrap())
}

#[test]
fn timestamps_time_a_fast_retransmission() {
    // RFC 7323 §4.1: the echo names the copy that got through.
    let (before, after) = fast_retransmitted_then_acked(true);
    assert!(after > before, "sample taken: {before:?} -> {after:?}");
    assert!(after <= Duration::from_millis(50));
}

#[test]
fn without_timestamps_karn_skips_a_retransmitted_segment() {
    // RFC 6298 §3 (Karn): an ACK of retransmitted data gives no sample.
    let (before, after) = fast_retransmitted_then_acked(false);
    assert_eq!(before, after);
}

#[test]
fn a_stale_echo_after_a_timeout_is_not_a_sample() {
    // The ACK of the first copy was lost; the answer to the timeout's
    // copy echoes the first copy's TSval, seconds old.
    let mut s = connected(true);
    let t = Instant::from_millis(10);
    s.send_slice(&[5; 100]).unwrap();
    let first = out(&mut s, t).unwrap();
    let before = s.stats().srtt.unwrap();
    let rto_at = s.poll_at(t).unwrap();
    out(&mut s, rto_at).expect("RTO retransmission");
    let later = rto_at + Duration::from_secs(3);
    s.process(later, &ack_echoing(ISS + 101, &first));
    assert_eq!(s.send_queue(), 0, "the data is acknowledged");
    assert_eq!(s.stats().srtt, Some(before), "no 3 s sample");
}
