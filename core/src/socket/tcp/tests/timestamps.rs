//! RFC 7323 §4.3: which TSval our ACKs echo (issue 10 item 17).

use super::support::*;

#[test]
fn a_delayed_ack_echoes_the_earliest_segment_it_acknowledges() {
    // RFC 7323 §4.3 (2): TS.Recent takes SEG.TSval only when SEG.SEQ =<
    // Last.ACK.sent. It compared with RCV.NXT, so the second of two
    // segments under one delayed ACK replaced the first one's TSval and
    // the peer measured an RTT without the delay.
    let mut s = socket(8192);
    s.config_mut().sack = false;
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    let syn = out(&mut s, Instant::ZERO).unwrap();
    let mut synack = seg(TcpFlags::SYN, IRS, Some(ISS + 1), &[]);
    synack.timestamp = Some((100, syn.ts.unwrap().0));
    s.process(Instant::ZERO, &synack);
    let ack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(ack.ts.map(|t| t.1), Some(100));
    let mut first = seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), b"one");
    first.timestamp = Some((110, 0));
    let mut second = seg(TcpFlags::empty(), IRS + 4, Some(ISS + 1), b"two");
    second.timestamp = Some((120, 0));
    s.process(Instant::ZERO, &first);
    assert_eq!(out(&mut s, Instant::ZERO), None, "the ACK is delayed");
    s.process(Instant::ZERO, &second);
    let ack = out(&mut s, Instant::ZERO).expect("every second segment");
    assert_eq!(ack.ack, Some(IRS + 7));
    assert_eq!(ack.ts.map(|t| t.1), Some(110), "the first one's TSval");
    // The next segment, at the ACK just sent, updates it.
    let mut third = seg(TcpFlags::empty(), IRS + 7, Some(ISS + 1), b"3rd");
    third.timestamp = Some((130, 0));
    s.process(Instant::ZERO, &third);
    let ack = out(&mut s, Instant::from_millis(40)).unwrap();
    assert_eq!(ack.ts.map(|t| t.1), Some(130));
}
