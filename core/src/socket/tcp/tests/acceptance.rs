//! Which segments are accepted (RFC 9293 §3.10.7.4, RFC 5961): a reset
//! or SYN that is not exact earns a challenge ACK, throttled (§7); an ACK
//! of data never sent is answered and ignored.

use super::support::*;

#[test]
fn reset_in_window_but_not_exact_earns_a_challenge_ack() {
    // RFC 5961 §3.2.
    let mut s = established(8192);
    s.process(Instant::ZERO, &seg(TcpFlags::RST, IRS + 100, None, &[]));
    assert_eq!(s.state(), State::Established);
    let ack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(
        (ack.control, ack.seq, ack.ack),
        (TcpFlags::empty(), ISS + 1, Some(IRS + 1))
    );
    // Out of the window: dropped silently.
    s.process(Instant::ZERO, &seg(TcpFlags::RST, IRS + 100_000, None, &[]));
    assert_eq!(out(&mut s, Instant::ZERO), None);
    // Exact: the connection is reset.
    s.process(Instant::ZERO, &seg(TcpFlags::RST, IRS + 1, None, &[]));
    assert_eq!(s.state(), State::Closed);
    assert_eq!(s.error(), Some(TcpError::ConnectionReset));
}

#[test]
fn challenge_acks_are_throttled() {
    // RFC 5961 §7: a burst of forged in-window resets gets one
    // challenge ACK per interval, not one each.
    let mut s = established(8192);
    let gap = s.config.challenge_ack_interval;
    assert!(gap > Duration::ZERO);
    let mut answered = 0;
    for i in 0..10 {
        let t = Instant::ZERO + Duration::from_millis(i);
        s.process(t, &seg(TcpFlags::RST, IRS + 100, None, &[]));
        if out(&mut s, t).is_some() {
            answered += 1;
        }
    }
    assert_eq!(answered, 1);
    assert_eq!(s.stats().challenge_acks_throttled, 9);
    // After the interval, the next one is answered again.
    let later = Instant::ZERO + gap + Duration::from_millis(10);
    s.process(later, &seg(TcpFlags::SYN, IRS + 5, None, &[]));
    assert!(out(&mut s, later).is_some());
    assert_eq!(s.state(), State::Established);
}

#[test]
fn syn_on_an_established_connection_earns_a_challenge_ack() {
    // RFC 5961 §4.2.
    let mut s = established(8192);
    s.process(Instant::ZERO, &seg(TcpFlags::SYN, IRS + 5, None, &[]));
    assert_eq!(s.state(), State::Established);
    let ack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(ack.ack, Some(IRS + 1));
}

#[test]
fn ack_of_unsent_data_is_answered_and_ignored() {
    // RFC 5961 §5.2 / RFC 9293 §3.10.7.4.
    let mut s = established(8192);
    s.send_slice(b"abc").unwrap();
    let data = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(data.payload, b"abc");
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1000), &[]),
    );
    assert_eq!(s.send_queue(), 3, "nothing was acknowledged");
    let ack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!((ack.seq, ack.ack), (ISS + 4, Some(IRS + 1)));
}
