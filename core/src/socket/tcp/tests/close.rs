//! Closing: TIME-WAIT for 2·MSL (RFC 9293 §3.6), nothing owed once closed;
//! issue 10 items 5, 6, 16 and the FIN parts of 17.

use super::pair::*;
use super::support::*;

#[test]
fn the_ack_of_a_fin_counts_when_it_comes_after_a_timeout() {
    // Issue 10 item 5: the retransmission timer fired (the device busy, so
    // the FIN was not sent again yet) and forgot the FIN was sent; its ACK
    // then did not count, and a second FIN went one number later.
    for passive in [false, true] {
        let mut s = established(8192);
        if passive {
            s.process(
                Instant::ZERO,
                &seg(TcpFlags::FIN, IRS + 1, Some(ISS + 1), &[]),
            );
            // Its ACK waits for our FIN (delayed ACK in CLOSE-WAIT).
            assert_eq!(out(&mut s, Instant::ZERO), None);
        }
        s.close();
        let fin = out(&mut s, Instant::ZERO).unwrap();
        assert_eq!((fin.control, fin.seq), (TcpFlags::FIN, ISS + 1));
        let rto = s.poll_at(Instant::ZERO).unwrap();
        busy(&mut s, rto);
        let ack = if passive { IRS + 2 } else { IRS + 1 };
        s.process(rto, &seg(TcpFlags::empty(), ack, Some(ISS + 2), &[]));
        let want = if passive {
            State::Closed
        } else {
            State::FinWait2
        };
        assert_eq!(s.state(), want);
        assert_eq!(out(&mut s, rto), None, "no second FIN");
    }
}

#[test]
fn a_fin_is_resent_at_its_own_sequence_number() {
    let mut s = established(8192);
    s.send_slice(b"last words").unwrap();
    s.close();
    let data = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(data.control & TcpFlags::FIN, TcpFlags::FIN);
    let rto = s.poll_at(Instant::ZERO).unwrap();
    let again = out(&mut s, rto).unwrap();
    assert_eq!(
        (again.seq, &again.payload[..]),
        (ISS + 1, &b"last words"[..])
    );
    assert_eq!(
        again.control & TcpFlags::FIN,
        TcpFlags::FIN,
        "with the data"
    );
    s.process(rto, &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 12), &[]));
    assert_eq!(s.state(), State::FinWait2);
}

/// A socket in SYN-RECEIVED after a simultaneous open, its SYN-ACK sent.
fn syn_received() -> TcpSocket<'static> {
    let mut s = socket(8192);
    s.config_mut().timestamps = false;
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    s.process(Instant::ZERO, &seg(TcpFlags::SYN, IRS, None, &[]));
    assert_eq!(s.state(), State::SynReceived);
    let synack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!((synack.control, synack.ack), (TcpFlags::SYN, Some(IRS + 1)));
    s
}

#[test]
fn close_in_syn_received_resends_the_syn_ack_then_sends_the_fin() {
    // Issue 10 item 6: the close moved to FIN-WAIT-1 with the SYN
    // unacknowledged; poll_at said "now" for ever and nothing was sent.
    let mut s = syn_received();
    s.close();
    let t = s.poll_at(Instant::ZERO).expect("the SYN-ACK's timer");
    assert!(t > Instant::ZERO, "a deadline in the future");
    let again = out(&mut s, t).expect("the SYN-ACK again");
    assert_eq!((again.control, again.seq), (TcpFlags::SYN, ISS));
    s.process(t, &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]));
    assert_eq!(s.state(), State::FinWait1);
    let fin = out(&mut s, t).unwrap();
    assert_eq!((fin.control, fin.seq), (TcpFlags::FIN, ISS + 1));
    s.process(t, &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 2), &[]));
    assert_eq!(s.state(), State::FinWait2);
}

#[test]
fn a_reset_in_syn_received_refuses_the_connection() {
    // Issue 10 item 16, RFC 9293 §3.10.7.4: SYN-RECEIVED from an active
    // open, a reset means "connection refused", not a clean end.
    let mut s = syn_received();
    s.process(Instant::ZERO, &seg(TcpFlags::RST, IRS + 1, None, &[]));
    assert_eq!(s.state(), State::Closed);
    assert_eq!(s.error(), Some(TcpError::ConnectionRefused));
}

#[test]
fn a_bare_fin_at_a_zero_window_is_taken() {
    // Issue 10 item 17, as Linux (tcp_data_queue): the FIN needs no room.
    let mut s = established(4096);
    s.config_mut().ack_delay = None;
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[5; 4096]),
    );
    let ack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!((ack.ack, ack.window), (Some(IRS + 4097), 0));
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::FIN, IRS + 4097, Some(ISS + 1), &[]),
    );
    assert_eq!(s.state(), State::CloseWait);
    assert_eq!(out(&mut s, Instant::ZERO).unwrap().ack, Some(IRS + 4098));
}

#[test]
fn our_fin_into_a_zero_window_is_paced_by_the_persist_timer() {
    // Issue 10 item 17: the FIN went into the zero window at once and was
    // resent by retransmission timeouts, which end the connection after
    // 15 though the peer answers every one.
    let mut s = established(8192);
    let mut closed = seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]);
    closed.window_len = 0;
    s.process(Instant::ZERO, &closed);
    s.close();
    assert_eq!(out(&mut s, Instant::ZERO), None, "no room for the FIN");
    let mut t = Instant::ZERO;
    for _ in 0..20 {
        let next = s.poll_at(t).expect("persist timer");
        assert!(next > t);
        t = next;
        let probe = out(&mut s, t).expect("a probe");
        assert_eq!((probe.control, probe.seq), (TcpFlags::FIN, ISS + 1));
        s.process(t, &closed); // answered: still no room
    }
    assert_eq!((s.state(), s.error()), (State::FinWait1, None));
    let mut open = closed;
    open.window_len = 1000;
    s.process(t, &open);
    let fin = out(&mut s, t).expect("the FIN now the window opened");
    assert_eq!((fin.control, fin.seq), (TcpFlags::FIN, ISS + 1));
    s.process(t, &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 2), &[]));
    assert_eq!(s.state(), State::FinWait2);
}

#[test]
fn an_orphaned_fin_wait_2_ends_after_the_fin_timeout() {
    // Issue 10 item 17 (Linux tcp_fin_timeout): after close() nobody reads;
    // a peer that never sends its FIN held the socket for ever.
    let mut s = established(8192);
    s.close();
    out(&mut s, Instant::ZERO).unwrap();
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 2), &[]),
    );
    assert_eq!(s.state(), State::FinWait2);
    let limit = s.config.fin_wait2_timeout.unwrap();
    assert_eq!(limit, Duration::from_secs(60));
    assert_eq!(s.poll_at(Instant::ZERO), Some(Instant::ZERO + limit));
    let _ = out(&mut s, Instant::ZERO + limit);
    assert_eq!((s.state(), s.error()), (State::Closed, None));

    // After shutdown() the application still reads: no limit.
    let mut s = established(8192);
    s.shutdown();
    out(&mut s, Instant::ZERO).unwrap();
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 2), &[]),
    );
    assert_eq!(s.poll_at(Instant::ZERO), None);
    // A close() later starts the limit then.
    s.close();
    let t = Instant::from_secs(100);
    assert_eq!(s.poll_at(t), Some(t));
    let _ = out(&mut s, t);
    assert_eq!(s.poll_at(t), Some(t + limit));
    assert_eq!(s.state(), State::FinWait2);
}

#[test]
fn active_close_goes_through_time_wait_for_two_msl() {
    let mut s = established(8192);
    s.close();
    let fin = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!((fin.control, fin.seq), (TcpFlags::FIN, ISS + 1));
    assert_eq!(s.state(), State::FinWait1);
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 2), &[]),
    );
    assert_eq!(s.state(), State::FinWait2);
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::FIN, IRS + 1, Some(ISS + 2), &[]),
    );
    assert_eq!(s.state(), State::TimeWait);
    let ack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(ack.ack, Some(IRS + 2));
    // A retransmitted FIN is acknowledged again and restarts the wait.
    let t = Instant::from_secs(30);
    s.process(t, &seg(TcpFlags::FIN, IRS + 1, Some(ISS + 2), &[]));
    assert_eq!(out(&mut s, t).unwrap().ack, Some(IRS + 2));
    assert!(s.poll_at(t) == Some(t + DEFAULT_MSL * 2));
    let _ = out(&mut s, t + DEFAULT_MSL * 2 - Duration::from_micros(1));
    assert_eq!(s.state(), State::TimeWait);
    let _ = out(&mut s, t + DEFAULT_MSL * 2);
    assert_eq!(s.state(), State::Closed);
}

#[test]
fn a_closed_socket_owes_nothing_and_is_not_polled() {
    // An ACK owed when the connection ended (here an abort right after
    // data arrived) is owed no more: a closed socket that kept
    // `ack_now` asked to be polled at once forever (a busy loop of the
    // whole interface; found by the `tcp_socket` fuzz target).
    let mut s = established(8192);
    s.config_mut().ack_delay = None;
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), b"data"),
    );
    s.abort();
    let rst = out(&mut s, Instant::ZERO).expect("the reset");
    assert!(rst.control.contains(TcpFlags::RST));
    assert_eq!(out(&mut s, Instant::ZERO), None);
    assert_eq!(s.poll_at(Instant::ZERO), None);
}

#[test]
fn a_fin_in_established_is_acked_by_our_fin_when_the_application_closes_at_once() {
    // Linux's tcp_fin: ESTABLISHED -> CLOSE-WAIT schedules a delayed ACK
    // (pingpong), so a request/response server that closes on EOF sends
    // one FIN|ACK, not an ACK then a FIN: a frame fewer per connection.
    let mut s = established(8192);
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::FIN, IRS + 1, Some(ISS + 1), b"bye"),
    );
    assert_eq!(s.state(), State::CloseWait);
    assert_eq!(out(&mut s, Instant::ZERO), None, "the FIN's ACK waits");
    s.close();
    let fin = out(&mut s, Instant::ZERO).expect("our FIN");
    assert_eq!(
        (fin.control, fin.seq, fin.ack),
        (TcpFlags::FIN, ISS + 1, Some(IRS + 5)),
        "our FIN carries the ACK of theirs"
    );
    assert_eq!(out(&mut s, Instant::ZERO), None, "nothing else");
}

#[test]
fn a_bare_fin_in_established_is_acked_by_our_fin_when_the_application_closes_at_once() {
    // The common case of a request/response client: its FIN comes alone,
    // after the data. It is in order, not a duplicate: its ACK waits for
    // our FIN like that of a FIN riding on data (stress script, connection
    // rate: an ACK and a FIN were sent for every connection).
    let mut s = established(8192);
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::FIN, IRS + 1, Some(ISS + 1), &[]),
    );
    assert_eq!(s.state(), State::CloseWait);
    assert_eq!(out(&mut s, Instant::ZERO), None, "the FIN's ACK waits");
    s.close();
    let fin = out(&mut s, Instant::ZERO).expect("our FIN");
    assert_eq!(
        (fin.control, fin.seq, fin.ack),
        (TcpFlags::FIN, ISS + 1, Some(IRS + 2)),
        "our FIN carries the ACK of theirs"
    );
    assert_eq!(out(&mut s, Instant::ZERO), None, "nothing else");
    // A FIN sent again (our ACK lost) is a duplicate: ACKed at once.
    let mut s = established(8192);
    s.close();
    out(&mut s, Instant::ZERO).unwrap();
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::FIN, IRS + 1, Some(ISS + 2), &[]),
    );
    out(&mut s, Instant::ZERO).expect("the ACK of the FIN");
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::FIN, IRS + 1, Some(ISS + 2), &[]),
    );
    let again = out(&mut s, Instant::ZERO).expect("the duplicate FIN ACKed");
    assert_eq!(again.ack, Some(IRS + 2));
}

#[test]
fn a_fin_in_established_is_acked_within_the_ack_delay_if_the_application_waits() {
    let mut s = established(8192);
    let delay = s
        .config_mut()
        .ack_delay
        .expect("delayed ACKs on by default");
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::FIN, IRS + 1, Some(ISS + 1), &[]),
    );
    let due = s
        .poll_at(Instant::ZERO)
        .expect("the delayed ACK's deadline");
    assert!(due <= Instant::ZERO + delay, "{due:?} within {delay:?}");
    let ack = out(&mut s, due).expect("the ACK of the FIN");
    assert_eq!((ack.control, ack.ack), (TcpFlags::empty(), Some(IRS + 2)));
}

#[test]
fn a_fin_in_fin_wait_is_acked_at_once() {
    // FIN-WAIT-1/2: the peer closes after us; its FIN is ACKed at once, as
    // Linux does (tcp_fin sends the ACK), so it leaves LAST-ACK promptly.
    let mut s = established(8192);
    s.close();
    out(&mut s, Instant::ZERO).unwrap();
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::FIN, IRS + 1, Some(ISS + 2), &[]),
    );
    let ack = out(&mut s, Instant::ZERO).expect("the ACK at once");
    assert_eq!(ack.ack, Some(IRS + 2));
}
