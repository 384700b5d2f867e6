//! Each RFC rule driven with crafted segments; the emitted segments are
//! checked field by field.
extern crate std;
use super::support::*;

#[test]
fn syn_carries_our_options_and_the_iss() {
    let mut s = socket(256 * 1024);
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    assert_eq!(s.state(), State::SynSent);
    let syn = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(syn.control, TcpFlags::SYN);
    assert_eq!(syn.seq, ISS);
    assert_eq!(syn.ack, None);
    // RFC 9293 §3.7.1: MTU − 40. RFC 7323 §2.3: the smallest shift
    // that makes 256 KiB fit 16 bits is 3 (262 144 >> 2 = 65 536).
    assert_eq!(syn.mss, Some(1460));
    assert_eq!(syn.ws, Some(3));
    assert!(syn.sack_perm);
    assert!(syn.ts.is_some());
    // RFC 7323 §2.2: the SYN's window is not scaled (and fits 16 bits).
    assert_eq!(syn.window, 65535);
    // Nothing more until the SYN's timer: RFC 6298 §2.1, 1 s.
    assert_eq!(out(&mut s, Instant::from_millis(999)), None);
    let again = out(&mut s, Instant::from_secs(1)).unwrap();
    assert_eq!((again.control, again.seq), (TcpFlags::SYN, ISS));
}

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

#[test]
fn delayed_ack_waits_40ms_or_for_a_second_segment() {
    // RFC 9293 §3.8.6.3.
    let mut s = established(8192);
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::PSH, IRS + 1, Some(ISS + 1), b"one"),
    );
    assert_eq!(out(&mut s, Instant::from_millis(39)), None);
    let ack = out(&mut s, Instant::from_millis(40)).unwrap();
    assert_eq!(ack.ack, Some(IRS + 4));
    s.process(
        Instant::from_millis(50),
        &seg(TcpFlags::empty(), IRS + 4, Some(ISS + 1), b"two"),
    );
    s.process(
        Instant::from_millis(50),
        &seg(TcpFlags::empty(), IRS + 7, Some(ISS + 1), b"3rd"),
    );
    let ack = out(&mut s, Instant::from_millis(50)).unwrap();
    assert_eq!(ack.ack, Some(IRS + 10), "every second segment at once");
}

#[test]
fn out_of_order_data_is_acked_at_once_and_kept_in_place() {
    let mut s = established(8192);
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 4, Some(ISS + 1), b"def"),
    );
    let dup = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(dup.ack, Some(IRS + 1), "a duplicate ACK for the hole");
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), b"abc"),
    );
    let ack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(ack.ack, Some(IRS + 7), "the hole filled: both acknowledged");
    let mut buf = [0u8; 16];
    let n = s.recv_slice(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"abcdef");
}

#[test]
fn sack_blocks_describe_out_of_order_data() {
    // RFC 2018 §4: the block with the latest segment first.
    let mut s = socket(8192);
    s.config.timestamps = false;
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    let mut synack = seg(TcpFlags::SYN, IRS, Some(ISS + 1), &[]);
    synack.sack_permitted = true;
    s.process(Instant::ZERO, &synack);
    out(&mut s, Instant::ZERO).unwrap();
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 11, Some(ISS + 1), b"0123456789"),
    );
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 31, Some(ISS + 1), b"0123456789"),
    );
    let ack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(ack.ack, Some(IRS + 1));
    assert_eq!(
        ack.sack,
        vec![((IRS + 31).0, (IRS + 41).0), ((IRS + 11).0, (IRS + 21).0)]
    );
}

/// Established with SACK, no timestamps (so 4 blocks fit), every
/// segment ACKed at once.
fn established_with_sack() -> TcpSocket<'static> {
    let mut s = socket(8192);
    s.config.timestamps = false;
    s.config.ack_delay = None;
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    let mut synack = seg(TcpFlags::SYN, IRS, Some(ISS + 1), &[]);
    synack.sack_permitted = true;
    s.process(Instant::ZERO, &synack);
    out(&mut s, Instant::ZERO).unwrap();
    s
}

#[test]
fn a_duplicate_segment_is_reported_once_as_a_dsack_block() {
    // RFC 2883 §4: the ACK a duplicate triggers names it in its first
    // SACK block; Linux's tail loss probe retransmits the last segment
    // and learns from the D-SACK that nothing was lost.
    let mut s = established_with_sack();
    let data = seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), b"0123456789");
    s.process(Instant::ZERO, &data);
    let ack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!((ack.ack, ack.sack.clone()), (Some(IRS + 11), vec![]));
    s.process(Instant::ZERO, &data);
    let dup = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(dup.ack, Some(IRS + 11));
    assert_eq!(dup.sack, vec![((IRS + 1).0, (IRS + 11).0)]);
    // Reported once: the next ACK carries no D-SACK.
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 11, Some(ISS + 1), b"ab"),
    );
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 13, Some(ISS + 1), b"cd"),
    );
    let next = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!((next.ack, next.sack), (Some(IRS + 15), vec![]));
}

#[test]
fn a_partly_duplicate_segment_reports_its_old_part() {
    // RFC 2883 §4.1.1 style: 5 old bytes and 5 new ones.
    let mut s = established_with_sack();
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), b"01234"),
    );
    out(&mut s, Instant::ZERO);
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), b"0123456789"),
    );
    let ack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(ack.ack, Some(IRS + 11));
    assert_eq!(ack.sack, vec![((IRS + 1).0, (IRS + 6).0)]);
    let mut buf = [0u8; 16];
    let n = s.recv_slice(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"0123456789");
}

#[test]
fn without_sack_a_duplicate_gets_a_plain_ack() {
    let mut s = established(8192);
    s.config.ack_delay = None;
    let data = seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), b"0123456789");
    s.process(Instant::ZERO, &data);
    out(&mut s, Instant::ZERO);
    s.process(Instant::ZERO, &data);
    let dup = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!((dup.ack, dup.sack), (Some(IRS + 11), vec![]));
}

#[test]
fn sack_blocks_take_their_room_from_the_data() {
    // RFC 9293 §3.7.1, RFC 6691: the MSS counts no options, so a data
    // segment carrying timestamps and SACK blocks must carry less data
    // to fit the MTU (found by the `tcp_socket` fuzz target: a full
    // 1448-byte segment with a SACK block made a 1512-byte datagram).
    for timestamps in [true, false] {
        let mut s = socket(64 * 1024);
        s.config.timestamps = timestamps;
        s.set_nodelay(true);
        s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
        out(&mut s, Instant::ZERO).unwrap();
        let mut synack = seg(TcpFlags::SYN, IRS, Some(ISS + 1), &[]);
        synack.max_seg_size = Some(1460);
        synack.sack_permitted = true;
        synack.timestamp = timestamps.then_some((1, 0));
        s.process(Instant::ZERO, &synack);
        out(&mut s, Instant::ZERO).unwrap();
        // Out of order data: the next segments carry a SACK block.
        let mut ooo = seg(TcpFlags::empty(), IRS + 11, Some(ISS + 1), b"0123456789");
        ooo.timestamp = timestamps.then_some((2, 0));
        s.process(Instant::ZERO, &ooo);
        s.send_slice(&[7u8; 1460 * 2]).unwrap();
        let mut data = 0;
        while let Some(seg) = out(&mut s, Instant::ZERO) {
            let ts = if seg.ts.is_some() { 10 + 2 } else { 0 };
            let sack = if seg.sack.is_empty() {
                0
            } else {
                2 + 8 * seg.sack.len() + 2
            };
            assert!(
                20 + 20 + ts + sack + seg.payload.len() <= MTU,
                "{} bytes beside {} bytes of options",
                seg.payload.len(),
                ts + sack
            );
            if !seg.payload.is_empty() {
                assert_eq!(seg.sack.len(), 1, "the block rides on the data");
            }
            data += seg.payload.len();
        }
        assert_eq!(data, 1460 * 2, "all of it goes, in smaller segments");
    }
}

#[test]
fn an_ack_owed_during_the_handshake_carries_no_data() {
    // RFC 9293 §3.10.2: data written in SYN-RECEIVED waits for
    // ESTABLISHED. Found by the `tcp_socket` fuzz target: a challenge
    // ACK in SYN-RECEIVED (simultaneous open) carried the data from
    // buffer offset 1 at ISS + 1, the SYN counted as a buffer byte.
    let mut s = socket(8192);
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    s.process(Instant::ZERO, &seg(TcpFlags::SYN, IRS, None, &[]));
    assert_eq!(s.state(), State::SynReceived);
    let synack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(synack.control, TcpFlags::SYN);
    // More than a segment, so Nagle does not hold it.
    let bytes: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    s.send_slice(&bytes).unwrap();
    // Below the window: a challenge ACK is owed.
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS - 2000, Some(ISS + 1), &[]),
    );
    let ack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!((ack.seq, ack.ack), (ISS + 1, Some(IRS + 1)));
    assert!(ack.payload.is_empty(), "data before ESTABLISHED");
    // The handshake completes: the data goes from its first byte.
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]),
    );
    assert_eq!(s.state(), State::Established);
    let data = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(data.seq, ISS + 1);
    assert_eq!(data.payload[..], bytes[..data.payload.len()]);
}

#[test]
fn simultaneous_open_keeps_the_peer_mss() {
    // RFC 9293 §3.7.1, figure 8 of §3.5. Found by the `tcp_socket` fuzz
    // target: sending the SYN-ACK in SYN-RECEIVED reset the send MSS to
    // our own, so the peer's MSS and the timestamps' 12 bytes were
    // forgotten (1460-byte segments with timestamps: fragmented).
    let mut s = socket(64 * 1024);
    s.set_nodelay(true);
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    let mut syn = seg(TcpFlags::SYN, IRS, None, &[]);
    syn.max_seg_size = Some(536);
    syn.timestamp = Some((1, 0));
    // The peer's SYN before ours went out (ours waited for ARP).
    s.process(Instant::ZERO, &syn);
    assert_eq!(s.state(), State::SynReceived);
    let synack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(synack.control, TcpFlags::SYN);
    assert!(synack.ts.is_some());
    let mut ack = seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]);
    ack.timestamp = Some((2, synack.ts.unwrap().0));
    s.process(Instant::ZERO, &ack);
    assert_eq!(s.state(), State::Established);
    s.send_slice(&[1u8; 3000]).unwrap();
    let data = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(data.payload.len(), 536 - 12, "the peer's MSS less TSopt");
}

#[test]
fn close_in_syn_received_with_data_waits_for_established() {
    // RFC 9293 §3.10.4. Found by the `tcp_socket` fuzz target: the close
    // moved to FIN-WAIT-1 with the SYN unacknowledged, and the data then
    // went from buffer offset 1 at ISS + 1.
    let mut s = socket(8192);
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    s.process(Instant::ZERO, &seg(TcpFlags::SYN, IRS, None, &[]));
    out(&mut s, Instant::ZERO).unwrap();
    let bytes: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    s.send_slice(&bytes).unwrap();
    s.close();
    assert_eq!(s.state(), State::SynReceived);
    assert_eq!(
        s.poll_at(Instant::ZERO).map(|t| t > Instant::ZERO),
        Some(true)
    );
    for t in [40, 1000] {
        // Delayed ACK, then the SYN-ACK again: never data.
        if let Some(seg) = out(&mut s, Instant::from_millis(t)) {
            assert!(seg.payload.is_empty(), "data before ESTABLISHED");
        }
    }
    s.process(
        Instant::from_millis(1001),
        &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]),
    );
    assert_eq!(s.state(), State::FinWait1);
    let data = out(&mut s, Instant::from_millis(1001)).unwrap();
    assert_eq!(data.seq, ISS + 1);
    assert_eq!(data.payload[..], bytes[..data.payload.len()]);
}

#[test]
fn three_duplicate_acks_retransmit_the_first_segment() {
    // RFC 5681 §3.2.
    let mut s = established(64 * 1024);
    s.set_nodelay(true);
    s.send_slice(&[7u8; 1460 * 4]).unwrap();
    let mut sent = Vec::new();
    while let Some(seg) = out(&mut s, Instant::ZERO) {
        sent.push(seg);
    }
    assert_eq!(sent.len(), 4);
    let t = Instant::from_millis(1);
    for _ in 0..3 {
        s.process(t, &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]));
    }
    let re = out(&mut s, t).unwrap();
    assert_eq!(re.seq, ISS + 1, "the lost segment again");
    assert_eq!(re.payload.len(), 1460);
    assert_eq!(s.stats().fast_retransmits, 1);
}

#[test]
fn rto_retransmits_and_backs_off() {
    // RFC 6298 §5.4–5.5: retransmit after one RTO, then after twice it.
    // The handshake (RTT 0) gave the first sample, so the RTO is the
    // configured floor.
    let mut s = established(8192);
    let rto = s.stats().rto;
    assert_eq!(rto, s.config.rto.min);
    let ms = Duration::from_millis(1);
    s.send_slice(b"lost").unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(out(&mut s, Instant::ZERO + rto - ms), None);
    let re = out(&mut s, Instant::ZERO + rto).unwrap();
    assert_eq!((re.seq, &re.payload[..]), (ISS + 1, &b"lost"[..]));
    assert_eq!(out(&mut s, Instant::ZERO + rto * 3 - ms), None);
    assert!(
        out(&mut s, Instant::ZERO + rto * 3).is_some(),
        "doubled: 2 RTOs later"
    );
    assert_eq!(s.stats().timeouts, 2);
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
fn a_cookie_ack_echoing_options_gets_scaling_sack_and_timestamps() {
    // RFC 4987 §3.6, the options carried in our TSval (isn.rs).
    use crate::socket::tcp::isn::{decode_ts_options, encode_ts_options};
    let mut s = socket(256 * 1024);
    let mut ack = seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]);
    ack.window_len = 1000;
    ack.timestamp = Some((5000, 0x1234_5677));
    let options = decode_ts_options(encode_ts_options(Some(7), true));
    s.accept_cookie(
        LOCAL,
        REMOTE,
        &ack,
        1460,
        Some(options),
        1460,
        0,
        Instant::ZERO,
    );
    assert_eq!(s.state(), State::Established);
    assert_eq!(s.stats().mss, 1460 - 12, "less the timestamps option");
    // Out-of-order data: the ACK carries SACK, timestamps, our scaled window.
    let mut data = seg(TcpFlags::empty(), IRS + 101, Some(ISS + 1), &[1; 10]);
    data.timestamp = Some((5001, 0x1234_5677));
    s.process(Instant::ZERO, &data);
    let a = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(a.sack, vec![((IRS + 101).0, (IRS + 111).0)]);
    assert_eq!(a.ts.map(|t| t.1), Some(5000), "TS.Recent from the ACK");
    assert_eq!(a.window, ((256 * 1024) >> 3) as u16, "shift 3");
    // The peer's window is scaled by its shift: 1000 << 7 bytes.
    s.set_nodelay(true);
    s.send_slice(&[0; 200_000]).unwrap();
    let mut sent = 0;
    while let Some(seg) = out(&mut s, Instant::ZERO) {
        sent += seg.payload.len();
    }
    assert!(sent > 1000, "{sent} bytes sent into a 128000-byte window");

    // Without an echoed timestamp: none of the options.
    let mut s = socket(256 * 1024);
    ack.timestamp = None;
    s.accept_cookie(
        LOCAL,
        REMOTE,
        &ack,
        1460,
        Some(options),
        1460,
        0,
        Instant::ZERO,
    );
    assert_eq!(s.stats().mss, 1460);
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 101, Some(ISS + 1), &[1; 10]),
    );
    let a = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!((a.sack.len(), a.ts, a.window), (0, None, 65535));
}

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
    s.process_path_mtu(ISS + 100_000, 576, 1500);
    assert_eq!(s.stats().mss, 1460, "forged: ignored");
    s.process_path_mtu(ISS + 1, 576, 1500);
    assert_eq!(s.stats().mss, 536);
    let again = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!((again.seq, again.payload.len()), (ISS + 1, 536));
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
fn simultaneous_open_answers_a_syn_with_a_syn_ack() {
    // RFC 9293 §3.5, figure 8.
    let mut s = socket(8192);
    s.config.timestamps = false;
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    s.process(Instant::ZERO, &seg(TcpFlags::SYN, IRS, None, &[]));
    assert_eq!(s.state(), State::SynReceived);
    let synack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(
        (synack.control, synack.seq, synack.ack),
        (TcpFlags::SYN, ISS, Some(IRS + 1))
    );
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]),
    );
    assert_eq!(s.state(), State::Established);
}

#[test]
fn simultaneous_open_syn_ack_is_no_timeout() {
    // RFC 9293 §3.5 figure 8: the SYN-ACK answering the peer's SYN is
    // a reply, not a retransmission timeout: it must not back the RTO
    // off, count a retransmission, or spend a SYN retry.
    let mut s = socket(8192);
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    let rto = s.poll_at(Instant::ZERO).expect("the SYN's timer") - Instant::ZERO;
    let t = Instant::from_millis(10);
    s.process(t, &seg(TcpFlags::SYN, IRS, None, &[]));
    let synack = out(&mut s, t).unwrap();
    assert_eq!((synack.control, synack.ack), (TcpFlags::SYN, Some(IRS + 1)));
    assert_eq!(s.stats().retransmits, 0);
    assert_eq!(s.stats().timeouts, 0);
    assert_eq!(s.poll_at(t), Some(t + rto), "the RTO, not backed off");
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
fn reset_answering_our_syn_refuses_the_connection() {
    let mut s = socket(8192);
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    // Wrong ACK: dropped (RFC 9293 §3.10.7.3).
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::RST, TcpSeqNumber(0), Some(ISS + 7), &[]),
    );
    assert_eq!(s.state(), State::SynSent);
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::RST, TcpSeqNumber(0), Some(ISS + 1), &[]),
    );
    assert_eq!(s.state(), State::Closed);
    assert_eq!(s.error(), Some(TcpError::ConnectionRefused));
}
