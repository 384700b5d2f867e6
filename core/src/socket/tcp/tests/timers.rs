//! Keepalive (RFC 9293 §3.8.4, RFC 1122 §4.2.3.6) and the user timeout
//! (RFC 9293 §3.8.3, RFC 5482).

use super::support::*;

#[test]
fn keepalive_turned_on_when_idle_arms_its_timer() {
    // RFC 9293 §3.8.4: probes after `idle`, then every `interval`;
    // given up after `count` unanswered probes.
    let mut s = established(8192);
    assert_eq!(s.poll_at(Instant::ZERO), None, "idle, nothing armed");
    s.config_mut().keepalive = Some((Duration::from_secs(10), Duration::from_secs(2), 2));
    assert_eq!(s.poll_at(Instant::ZERO), Some(Instant::from_secs(10)));
    let probe = out(&mut s, Instant::from_secs(10)).unwrap();
    assert_eq!((probe.seq, probe.payload.len()), (ISS, 0), "SND.NXT − 1");
    assert_eq!(
        s.poll_at(Instant::from_secs(10)),
        Some(Instant::from_secs(12))
    );
    assert_eq!(out(&mut s, Instant::from_secs(11)), None, "not early");
    assert!(out(&mut s, Instant::from_secs(12)).is_some());
    assert_eq!(
        s.poll_at(Instant::from_secs(12)),
        Some(Instant::from_secs(14))
    );
    let _ = out(&mut s, Instant::from_secs(14));
    assert_eq!(s.error(), Some(TcpError::TimedOut));
}

#[test]
fn keepalive_also_probes_in_close_wait() {
    // The peer closed its side; a peer that vanished since must not
    // hold our open half forever (Linux probes here too).
    let mut s = established(8192);
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::FIN, IRS + 1, Some(ISS + 1), &[]),
    );
    assert_eq!(s.state(), State::CloseWait);
    let _ = out(&mut s, Instant::ZERO); // the ACK of the FIN
    s.config_mut().keepalive = Some((Duration::from_secs(10), Duration::from_secs(2), 1));
    let probe = out(&mut s, Instant::from_secs(10)).expect("a probe");
    assert_eq!((probe.seq, probe.payload.len()), (ISS, 0), "SND.NXT − 1");
    let _ = out(&mut s, Instant::from_secs(12));
    assert_eq!(s.error(), Some(TcpError::TimedOut));
}

#[test]
fn user_timeout_fires_on_time_not_at_the_next_retransmission() {
    // RFC 9293 §3.8.3 / RFC 5482.
    let mut s = established(8192);
    s.config_mut().user_timeout = Some(Duration::from_secs(20));
    s.send_slice(b"lost").unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    let mut t = Instant::ZERO;
    while let Some(next) = s.poll_at(t) {
        t = next;
        let _ = out(&mut s, t);
    }
    assert_eq!(s.error(), Some(TcpError::TimedOut));
    assert_eq!(t, Instant::from_secs(20), "not at the RTO after it (31 s)");
}

#[test]
fn user_timeout_covers_the_handshake() {
    let mut s = socket(8192);
    s.config_mut().user_timeout = Some(Duration::from_secs(5));
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    let mut t = Instant::ZERO;
    while let Some(next) = s.poll_at(t) {
        t = next;
        let _ = out(&mut s, t);
    }
    assert_eq!(
        (s.error(), t),
        (Some(TcpError::TimedOut), Instant::from_secs(5))
    );
}

#[test]
fn keepalive_idles_from_the_handshake_not_from_connect() {
    // RFC 1122 §4.2.3.6: probes follow `idle` with nothing received. A
    // SYN-SENT that lasted longer than idle + count × interval (SYN
    // retries) ended the connection its SYN-ACK had just opened, with
    // its probes sent back to back in the same poll (found by the
    // `tcp_socket` fuzz target: data read after a close it never saw).
    let mut s = socket(8192);
    s.config_mut().keepalive = Some((Duration::from_secs(5), Duration::from_secs(1), 3));
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    let t = Instant::from_secs(19);
    s.process(t, &seg(TcpFlags::SYN, IRS, Some(ISS + 1), &[]));
    assert_eq!(s.state(), State::Established);
    let ack = out(&mut s, t).expect("the handshake's ACK");
    assert_eq!(ack.seq, ISS + 1, "an ACK, not a keepalive probe");
    assert_eq!((s.state(), s.error()), (State::Established, None));
    assert_eq!(s.poll_at(t), Some(t + Duration::from_secs(5)));
}

#[test]
fn keepalive_probes_keep_their_interval_after_a_late_poll() {
    // A poll that comes late (the application slept) sends one probe,
    // not every probe that fell due meanwhile: RFC 1122 §4.2.3.6 wants
    // the peer given `count` chances, `interval` apart.
    let mut s = established(8192);
    s.config_mut().keepalive = Some((Duration::from_secs(10), Duration::from_secs(2), 3));
    let late = Instant::from_secs(30);
    assert!(out(&mut s, late).is_some(), "the first probe");
    assert_eq!(out(&mut s, late), None, "one probe per interval");
    assert_eq!(s.error(), None);
    assert_eq!(s.poll_at(late), Some(late + Duration::from_secs(2)));
}
