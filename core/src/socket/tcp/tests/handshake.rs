//! The handshake's loose ends (issue 10 item 17): the ACK checked against
//! SND.MAX, data and FIN on a SYN-ACK, RFC 6298 §5.7 after a SYN timeout.

use super::pair::*;
use super::support::*;

#[test]
fn a_syn_ack_arriving_between_a_timeout_and_the_resent_syn_is_taken() {
    // RFC 9293 §3.10.7.3 checks SEG.ACK against the highest number sent: the
    // timeout pulled SND.NXT back to the ISS, the device was busy, and the
    // SYN-ACK to the first SYN came before the second: it was answered with
    // a reset and the connection lost a round trip (or the peer's state).
    let mut s = socket(8192);
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    let rto = s.poll_at(Instant::ZERO).unwrap();
    busy(&mut s, rto);
    s.process(rto, &seg(TcpFlags::SYN, IRS, Some(ISS + 1), &[]));
    assert_eq!(s.state(), State::Established);
    let ack = out(&mut s, rto).unwrap();
    assert_eq!(ack.control, TcpFlags::empty(), "an ACK, not a reset");
    assert_eq!((ack.seq, ack.ack), (ISS + 1, Some(IRS + 1)));
}

#[test]
fn the_ack_of_a_syn_ack_arriving_between_a_timeout_and_the_resend_is_taken() {
    // The same in SYN-RECEIVED (simultaneous open).
    let mut s = socket(8192);
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    s.process(Instant::ZERO, &seg(TcpFlags::SYN, IRS, None, &[]));
    out(&mut s, Instant::ZERO).unwrap();
    let rto = s.poll_at(Instant::ZERO).unwrap();
    busy(&mut s, rto);
    s.process(rto, &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]));
    assert_eq!(s.state(), State::Established);
}

#[test]
fn data_and_fin_on_a_syn_ack_are_taken() {
    // RFC 9293 §3.10.7.3: "If there are other controls or text in the
    // segment, continue processing at the sixth step". They were dropped,
    // and the peer had to send them again.
    let mut s = socket(8192);
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::SYN | TcpFlags::FIN, IRS, Some(ISS + 1), b"hello"),
    );
    assert_eq!(s.state(), State::CloseWait);
    let ack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(ack.ack, Some(IRS + 7), "SYN, 5 bytes and the FIN");
    let mut buf = [0; 16];
    let n = s.recv_slice(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello");
    assert!(s.recv_finished());
}

#[test]
fn after_a_syn_timeout_data_starts_with_a_3_second_rto() {
    // RFC 6298 §5.7: "If the timer expires awaiting the ACK of a SYN
    // segment and the TCP implementation is using an RTO less than 3
    // seconds, the RTO MUST be re-initialized to 3 seconds when data
    // transmission begins". Without timestamps the handshake gives no
    // sample (Karn), so the backed-off 2 s stayed.
    let mut s = socket(8192);
    s.config_mut().timestamps = false;
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    let rto = s.poll_at(Instant::ZERO).unwrap();
    assert_eq!(rto, Instant::from_secs(1));
    out(&mut s, rto).expect("the SYN again");
    let t = rto + Duration::from_millis(50);
    s.process(t, &seg(TcpFlags::SYN, IRS, Some(ISS + 1), &[]));
    assert_eq!(s.state(), State::Established);
    out(&mut s, t).unwrap();
    s.send_slice(b"data").unwrap();
    out(&mut s, t).unwrap();
    assert_eq!(s.poll_at(t), Some(t + Duration::from_secs(3)));
    assert_eq!(s.stats().rto, Duration::from_secs(3));
}

#[test]
fn after_a_syn_ack_timeout_data_starts_with_a_3_second_rto() {
    // The same for the SYN-ACK of SYN-RECEIVED, and for a listener's child
    // whose SYN-ACK went twice.
    let mut s = socket(8192);
    s.config_mut().timestamps = false;
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    s.process(Instant::ZERO, &seg(TcpFlags::SYN, IRS, None, &[]));
    out(&mut s, Instant::ZERO).unwrap();
    let rto = s.poll_at(Instant::ZERO).unwrap();
    out(&mut s, rto).expect("the SYN-ACK again");
    s.process(rto, &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]));
    assert_eq!(s.state(), State::Established);
    assert_eq!(s.stats().rto, Duration::from_secs(3));

    let mut child = socket(8192);
    let syn = seg(TcpFlags::SYN, IRS, None, &[]);
    let mut half =
        super::super::super::HalfOpen::from_syn(LOCAL, REMOTE, &syn, ISS, 0, Instant::ZERO);
    half.sent = 2;
    let ack = seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]);
    child.accept_established(&half, &ack, 1460, Instant::from_secs(1));
    assert_eq!(child.stats().rto, Duration::from_secs(3));
}

#[test]
fn an_ack_half_the_space_from_the_iss_is_refused() {
    // Sequence numbers 2^31 apart compare neither way (RFC 1982), so the
    // rejection "SEG.ACK =< ISS or SEG.ACK > SND.MAX" let ISS + 2^31 pass,
    // even before our SYN left: the socket became ESTABLISHED and sent
    // data from the SYN's number (the `tcp_socket` fuzz target).
    for syn_sent in [false, true] {
        let mut s = socket(8192);
        s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
        if syn_sent {
            out(&mut s, Instant::ZERO).unwrap();
        }
        let half_turn = ISS + (1usize << 31);
        s.process(
            Instant::ZERO,
            &seg(TcpFlags::SYN, IRS, Some(half_turn), &[]),
        );
        assert_eq!(s.state(), State::SynSent);
        // The simultaneous open's SYN-RECEIVED too.
        s.process(Instant::ZERO, &seg(TcpFlags::SYN, IRS, None, &[]));
        assert_eq!(s.state(), State::SynReceived);
        let _ = out(&mut s, Instant::ZERO);
        let _ = out(&mut s, Instant::ZERO);
        s.process(
            Instant::ZERO,
            &seg(TcpFlags::empty(), IRS + 1, Some(ISS + (1usize << 31)), &[]),
        );
        assert_eq!(s.state(), State::SynReceived);
    }
}
