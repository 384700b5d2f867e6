//! Flow control: Nagle (RFC 9293 §3.7.4), zero-window probes and their
//! limits (§3.8.6.1, RFC 1122 §4.2.2.17); at the edges (issue 10 items 2,
//! 3, 4): zero and small windows, lost window updates.

use super::pair::*;
use super::support::*;

/// A writes a request of `len` bytes, `piece` bytes every `gap`, and reads
/// only once all of it is acknowledged; B reads all the time and writes a
/// reply of `len` bytes at once. The reply fills A's buffer: A's window is
/// zero while it sends its request, and B probes it. When it finished, if
/// it did (each side got the other's bytes in order).
fn request_reply(
    p: &mut Pair,
    len: usize,
    piece: usize,
    gap: Duration,
    until: Instant,
) -> Option<Instant> {
    let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
    let mut written = [0usize; 2];
    let mut got: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    let mut failed = None;
    let done = p.run_until(
        until,
        |p| {
            for side in [A, B] {
                let end = if side == A {
                    let pieces =
                        (p.now - Instant::ZERO).total_micros() / gap.total_micros().max(1) + 1;
                    len.min(piece * pieces as usize)
                } else {
                    len
                };
                let Ok(n) = p.s[side].send_slice(&data[written[side]..end]) else {
                    failed = p.s[side].error();
                    return true;
                };
                written[side] += n;
                let a_sent = written[A] == len && p.s[A].send_queue() == 0;
                if side == B || a_sent {
                    let mut buf = [0u8; 4096];
                    loop {
                        let Ok(n) = p.s[side].recv_slice(&mut buf) else {
                            failed = p.s[side].error();
                            return true;
                        };
                        if n == 0 {
                            break;
                        }
                        got[side].extend_from_slice(&buf[..n]);
                    }
                }
            }
            got.iter().all(|g| g.len() == len)
        },
        |_, _| true,
    );
    assert!(got.iter().all(|g| data.starts_with(g)));
    assert_eq!(failed, None, "the connection failed at {:?}", p.now);
    done.then_some(p.now)
}

#[test]
fn acks_reach_a_peer_at_a_zero_window() {
    // RFC 9293 §3.10.7.4: "If the RCV.WND is zero, no segments will be
    // acceptable, but special allowance should be made to accept valid
    // ACKs". B's ACKs of A's request ride on B's zero-window probes; A
    // dropped them whole, so its request went only on retransmission
    // timeouts, until it gave up (TimedOut at 525 s before the fix).
    let mut p = Pair::connect(ISS, IRS, 2048, MTU, |_| {});
    let gap = Duration::from_secs(3);
    let end = request_reply(&mut p, 16 * 1024, 1000, gap, Instant::from_secs(600));
    // 17 pieces, the last at 48 s: done within a few RTOs of it.
    assert!(end.is_some_and(|t| t < Instant::from_secs(55)), "{end:?}");
}

#[test]
fn two_peers_probing_each_other_make_no_ack_storm() {
    // Both at a zero window, each with a probe out: each one's pure ACK
    // carried SND.NXT, past the other's window, and was answered by an
    // ACK just as unacceptable, without end (found with the test above).
    let mut p = Pair::connect(ISS, IRS, 2048, MTU, |_| {});
    let gap = Duration::from_millis(100);
    let end = request_reply(&mut p, 16 * 1024, 2000, gap, Instant::from_secs(600));
    assert!(end.is_some_and(|t| t < Instant::from_secs(5)), "{end:?}");
}

/// An ACK from the peer with this window, its sequence number `seq`.
fn window_ack(seq: TcpSeqNumber, ack: TcpSeqNumber, window: u16) -> TcpRepr<'static> {
    let mut a = seg(TcpFlags::empty(), seq, Some(ack), &[]);
    a.window_len = window;
    a
}

#[test]
fn a_window_too_small_to_use_is_tried_after_the_override_timeout() {
    // RFC 9293 §3.8.6.2.1, RFC 1122 §4.2.3.4: SWS avoidance holds a send
    // the window does not take in full; with nothing in flight no timer
    // ran, and when the peer's window update was lost nothing ever went.
    let mut s = established(8192);
    // 1000 bytes: under a segment and under half the largest window seen.
    s.process(Instant::ZERO, &window_ack(IRS + 1, ISS + 1, 1000));
    s.send_slice(&[7; 5000]).unwrap();
    assert_eq!(out(&mut s, Instant::ZERO), None, "SWS avoidance holds it");
    let t = s.poll_at(Instant::ZERO).expect("a timer for the held data");
    assert!(t > Instant::ZERO);
    let sent = out(&mut s, t).expect("the override sends what fits");
    assert_eq!((sent.seq, sent.payload.len()), (ISS + 1, 1000));
    // The peer took it; its window is full again.
    s.process(t, &window_ack(IRS + 1, ISS + 1001, 0));
    assert_eq!(out(&mut s, t), None);
    assert!(s.poll_at(t).is_some(), "the persist timer runs");
}

#[test]
fn a_zero_window_with_the_same_seq_and_ack_is_taken() {
    // RFC 9293 §3.10.7.4: SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK update
    // the window. Only a larger window was taken; the zero was ignored and
    // data went into a closed window.
    let mut s = established(8192);
    s.process(Instant::ZERO, &window_ack(IRS + 1, ISS + 1, 4096));
    s.process(Instant::ZERO, &window_ack(IRS + 1, ISS + 1, 0));
    s.send_slice(b"waiting").unwrap();
    assert_eq!(
        out(&mut s, Instant::ZERO),
        None,
        "nothing into a zero window"
    );
    let probe_at = s.poll_at(Instant::ZERO).expect("persist timer");
    let probe = out(&mut s, probe_at).unwrap();
    assert_eq!((probe.seq, probe.payload.len()), (ISS + 1, 1));
    // A smaller open window with the same numbers is still ignored: it may
    // be a stale update reordered behind a newer one.
    let mut s = established(8192);
    s.process(Instant::ZERO, &window_ack(IRS + 1, ISS + 1, 4096));
    s.process(Instant::ZERO, &window_ack(IRS + 1, ISS + 1, 100));
    s.set_nodelay(true);
    s.send_slice(&[1; 3000]).unwrap();
    let mut sent = 0;
    while let Some(seg) = out(&mut s, Instant::ZERO) {
        sent += seg.payload.len();
    }
    assert_eq!(sent, 3000, "the 4096-byte window holds");
}

#[test]
fn nagle_holds_a_small_segment_while_data_is_unacknowledged() {
    // RFC 9293 §3.8.6.2.1.
    let mut s = established(8192);
    s.send_slice(b"a").unwrap();
    assert!(out(&mut s, Instant::ZERO).is_some());
    s.send_slice(b"b").unwrap();
    assert_eq!(out(&mut s, Instant::ZERO), None, "held: 'a' is in flight");
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 2), &[]),
    );
    let next = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(next.payload, b"b");
    // TCP_NODELAY sends at once.
    s.set_nodelay(true);
    s.send_slice(b"c").unwrap();
    assert!(out(&mut s, Instant::ZERO).is_some());
}

#[test]
fn zero_window_is_probed_until_it_opens() {
    // RFC 9293 §3.8.6.1.
    let mut s = established(8192);
    let mut closed = seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]);
    closed.window_len = 0;
    s.process(Instant::ZERO, &closed);
    s.send_slice(b"waiting").unwrap();
    assert_eq!(
        out(&mut s, Instant::ZERO),
        None,
        "nothing fits a zero window"
    );
    let probe_at = s.poll_at(Instant::ZERO).expect("persist timer armed");
    let probe = out(&mut s, probe_at).unwrap();
    assert_eq!(
        (probe.seq, probe.payload.len()),
        (ISS + 1, 1),
        "a one-byte probe"
    );
}

#[test]
fn zero_window_probes_back_off_and_never_give_up_while_answered() {
    // RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17.
    let mut s = established(8192);
    let mut closed = seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]);
    closed.window_len = 0;
    s.process(Instant::ZERO, &closed);
    s.send_slice(b"waiting").unwrap();
    assert_eq!(out(&mut s, Instant::ZERO), None);
    let mut t = Instant::ZERO;
    let mut gaps = vec![];
    for _ in 0..20 {
        let next = s.poll_at(t).expect("persist timer armed");
        gaps.push(next - t);
        t = next;
        let probe = out(&mut s, t).expect("a probe");
        assert_eq!((probe.seq, &probe.payload[..]), (ISS + 1, &b"w"[..]));
        // The receiver answers: still no room.
        s.process(t, &closed);
    }
    assert_eq!(s.state(), State::Established);
    assert_eq!(s.stats().fast_retransmits, 0, "answers are not dupacks");
    assert!(gaps.windows(2).all(|g| g[1] >= g[0]) && gaps[5] > gaps[0]);
    // The window opens: the data goes, from the probed byte on.
    let mut open = closed;
    open.window_len = 4096;
    s.process(t, &open);
    let data = out(&mut s, t).unwrap();
    assert_eq!((data.seq, &data.payload[..]), (ISS + 1, &b"waiting"[..]));
}

#[test]
fn a_window_closed_on_data_in_flight_keeps_the_connection_while_answered() {
    // The peer takes part of the flight and closes its window: the
    // retransmission timer then fires with a zero window. RFC 1122
    // §4.2.2.17 keeps a connection open while the receiver answers;
    // Linux's tcp_retransmit_timer resends the head and does not count
    // the expiry toward tcp_retries2 while ACKs keep coming. Each
    // expiry must probe (send something) and never end the connection.
    for sack in [false, true] {
        window_closed_on_flight(if sack {
            established_with_sack()
        } else {
            established(8192)
        });
    }
}

fn window_closed_on_flight(mut s: TcpSocket<'static>) {
    s.send_slice(b"abcdefgh").unwrap();
    assert!(out(&mut s, Instant::ZERO).is_some());
    let mut closed = seg(TcpFlags::empty(), IRS + 1, Some(ISS + 5), &[]);
    closed.window_len = 0;
    s.process(Instant::ZERO, &closed);
    let mut t = Instant::ZERO;
    for i in 0..40 {
        let next = s.poll_at(t).expect("a timer armed");
        assert!(next > t, "no busy loop at expiry {i}");
        t = next;
        let probe = out(&mut s, t).expect("each expiry sends a probe");
        assert_eq!(probe.seq, ISS + 5, "from the head");
        s.process(t, &closed);
        assert_eq!(s.state(), State::Established, "after expiry {i}");
    }
    assert_eq!(s.error(), None);
    // The window opens: the rest goes.
    let mut open = closed;
    open.window_len = 4096;
    s.process(t, &open);
    let data = out(&mut s, t).unwrap();
    assert_eq!((data.seq, &data.payload[..]), (ISS + 5, &b"efgh"[..]));
}

#[test]
fn a_window_closed_on_data_in_flight_by_a_vanished_peer_times_out() {
    // The other half: the probes that replace the retransmissions are
    // given up when nothing answers them, as data would be.
    let mut s = established_with_sack();
    s.send_slice(b"abcdefgh").unwrap();
    assert!(out(&mut s, Instant::ZERO).is_some());
    let mut closed = seg(TcpFlags::empty(), IRS + 1, Some(ISS + 5), &[]);
    closed.window_len = 0;
    s.process(Instant::ZERO, &closed);
    let mut t = Instant::ZERO;
    let mut sent = 0;
    while let Some(next) = s.poll_at(t) {
        assert!(next > t || sent == 0, "no busy loop");
        t = next;
        sent += usize::from(out(&mut s, t).is_some());
        assert!(sent < 100);
    }
    assert_eq!(s.error(), Some(TcpError::TimedOut));
    assert!(sent >= 15, "probed before giving up: {sent}");
}

#[test]
fn zero_window_probes_unanswered_give_the_connection_up() {
    let mut s = established(8192);
    let mut closed = seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]);
    closed.window_len = 0;
    s.process(Instant::ZERO, &closed);
    s.send_slice(b"waiting").unwrap();
    let mut t = Instant::ZERO;
    let mut probes = 0;
    while let Some(next) = s.poll_at(t) {
        t = next;
        probes += usize::from(out(&mut s, t).is_some());
    }
    assert_eq!(probes, 15);
    assert_eq!(s.error(), Some(TcpError::TimedOut));
}

#[test]
fn data_to_a_receiver_with_nothing_in_flight_carries_the_peers_window() {
    // RFC 9293 §3.10.7.4: every acceptable ACK, data segments included,
    // updates the send window. A receiver sending nothing takes the header
    // prediction path for these; the window must still follow them.
    let mut s = established(8192);
    s.config.ack_delay = None;
    let mut closing = seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[1; 100]);
    closing.window_len = 0;
    s.process(Instant::ZERO, &closing);
    s.send_slice(b"held").unwrap();
    let ack = out(&mut s, Instant::ZERO).expect("the data is acknowledged");
    assert_eq!((ack.ack, ack.payload.len()), (Some(IRS + 101), 0));
    assert_eq!(
        out(&mut s, Instant::ZERO),
        None,
        "nothing into a zero window"
    );
    let reopening = seg(TcpFlags::empty(), IRS + 101, Some(ISS + 1), &[2; 100]);
    s.process(Instant::ZERO, &reopening);
    let sent = out(&mut s, Instant::ZERO).expect("the window reopened");
    assert_eq!((sent.seq, sent.payload), (ISS + 1, b"held".to_vec()));
    assert_eq!(sent.ack, Some(IRS + 201));
}
