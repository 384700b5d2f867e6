//! ICMP errors about a connection count only when they quote a segment
//! in flight (RFC 5927 §4.1).

use super::support::*;

#[test]
fn icmp_errors_count_only_when_they_quote_a_segment_in_flight() {
    // RFC 5927 §4.1: SND.UNA ≤ quoted SEG.SEQ < SND.NXT (SND.MAX here).
    let mut s = socket(8192);
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    s.process_icmp_error(ISS + 1, true);
    s.process_icmp_error(ISS - 1, true);
    assert_eq!(s.state(), State::SynSent, "forged: not our SYN");
    s.process_icmp_error(ISS, true);
    assert_eq!(s.error(), Some(TcpError::ConnectionRefused));

    let mut s = established(8192);
    s.send_slice(&[0; 4000]).unwrap();
    let first = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(first.payload.len(), 1460);
    s.process_path_mtu(ISS + 100_000, 576);
    assert_eq!(s.stats().mss, 1460, "forged: ignored");
    s.process_path_mtu(ISS + 1, 576);
    assert_eq!(s.stats().mss, 536);
    let again = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!((again.seq, again.payload.len()), (ISS + 1, 536));
}
