//! The receiver: delayed ACK (RFC 9293 §3.8.6.3), out-of-order data, SACK
//! and D-SACK blocks (RFC 2018, RFC 2883); and under loss (issue 10,
//! "rstcp receives" rows): what it keeps of out-of-order data, the SACK
//! blocks and ACKs it sends, so a sender resends only what the link lost.

use super::support::*;

/// Bytes per segment in these tests.
const SEG: usize = 1000;

/// An established connection with SACK and window scaling (no
/// timestamps, so 4 SACK blocks fit), a `buf`-byte receive buffer, every
/// segment ACKed at once.
fn receiver(buf: usize) -> TcpSocket<'static> {
    let mut s = socket(buf);
    s.config.timestamps = false;
    s.config.ack_delay = None;
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    let mut synack = seg(TcpFlags::SYN, IRS, Some(ISS + 1), &[]);
    synack.sack_permitted = true;
    synack.window_scale = Some(7);
    synack.max_seg_size = Some(SEG as u16);
    s.process(Instant::ZERO, &synack);
    assert_eq!(s.state(), State::Established);
    out(&mut s, Instant::ZERO).unwrap();
    s
}

/// Segment `k` of the peer's stream (SEG bytes from IRS + 1 + k·SEG).
fn data_seg(k: usize, payload: &[u8]) -> TcpRepr<'_> {
    seg(TcpFlags::empty(), IRS + 1 + k * SEG, Some(ISS + 1), payload)
}

#[test]
fn lent_storage_keeps_every_out_of_order_segment_of_a_lossy_window() {
    // 5 % loss over a 1 MiB window leaves dozens of holes at once; with 8
    // range slots the receiver dropped every segment past the 8th hole
    // (Linux's out-of-order queue takes them all), and the Linux sender
    // resent 36 % of its segments instead of 5 %.
    let mut s = receiver(1 << 20);
    s.set_out_of_order_storage(vec![(0, 0); 512]);
    assert_eq!(s.out_of_order_capacity(), 512);
    let payload = [7u8; SEG];
    let n = 700;
    let lost = |k: usize| k % 20 == 3;
    for k in (0..n).filter(|&k| !lost(k)) {
        s.process(Instant::ZERO, &data_seg(k, &payload));
    }
    assert_eq!(s.stats().out_of_order_dropped, 0);
    // The retransmissions of the 35 lost ones are all it takes.
    for k in (0..n).filter(|&k| lost(k)) {
        s.process(Instant::ZERO, &data_seg(k, &payload));
    }
    assert_eq!(s.recv_queue(), n * SEG);
    let ack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(ack.ack, Some(IRS + 1 + n * SEG));
}

#[test]
fn without_lent_storage_the_inline_ranges_bound_the_holes() {
    // No storage lent: INLINE_RANGES holes, the rest refused and counted.
    let mut s = receiver(1 << 20);
    assert_eq!(s.out_of_order_capacity(), INLINE_RANGES);
    let payload = [7u8; SEG];
    for k in (1..40).step_by(2) {
        s.process(Instant::ZERO, &data_seg(k, &payload));
    }
    assert_eq!(s.stats().out_of_order_dropped, 20 - INLINE_RANGES as u64);
}

/// Every segment `s` sends now.
fn drain(s: &mut TcpSocket<'_>) -> Vec<Seg> {
    let mut all = Vec::new();
    while let Some(seg) = out(s, Instant::ZERO) {
        all.push(seg);
        assert!(all.len() < 100, "an ACK storm");
    }
    all
}

#[test]
fn a_burst_of_new_holes_is_reported_whole_before_the_next_data() {
    // The device hands over a burst of frames before the socket sends:
    // 10 segments, each after a lost one, make 10 blocks, and the single
    // ACK sent for them reported 4; the sender (RFC 6675 §5, RACK) took
    // the other 6 for lost and resent them. Linux ACKs each out-of-order
    // segment; at least every block must reach the sender.
    let mut s = receiver(1 << 20);
    s.set_out_of_order_storage(vec![(0, 0); 64]);
    let payload = [1u8; SEG];
    for k in (1..20).step_by(2) {
        s.process(Instant::ZERO, &data_seg(k, &payload));
    }
    let acks = drain(&mut s);
    assert!(acks.len() >= 3, "{} ACK(s)", acks.len());
    for k in (1..20).step_by(2) {
        let left = (IRS + 1 + k * SEG).0;
        assert!(
            acks.iter()
                .any(|a| a.sack.contains(&(left, left + SEG as u32))),
            "segment {k} never SACKed: {acks:?}"
        );
    }
    // Oldest first across the ACKs (the sender sees deliveries in their
    // order, not as reordering), the newest segment's block heading the
    // last one (RFC 2018 §4).
    let block = |k: usize| ((IRS + 1 + k * SEG).0, (IRS + 1 + (k + 1) * SEG).0);
    assert!(acks[0].sack.contains(&block(1)), "{acks:?}");
    assert_eq!(acks.last().unwrap().sack[0], block(19));
    // Every ACK is a duplicate ACK of the same point and window.
    assert!(acks.iter().all(|a| a.ack == Some(IRS + 1)));
    assert!(acks.iter().all(|a| a.window == acks[0].window));
    // Reported: the next segment gets one ACK.
    s.process(Instant::ZERO, &data_seg(40, &payload));
    let next = drain(&mut s);
    assert_eq!(next.len(), 1);
    assert_eq!(
        next[0].sack[0],
        ((IRS + 1 + 40 * SEG).0, (IRS + 1 + 41 * SEG).0)
    );
}

#[test]
fn each_duplicate_of_a_burst_gets_its_dsack() {
    // RFC 2883 §4: each duplicate segment is reported in a D-SACK block.
    // Two spurious retransmissions processed together were reported as
    // one (the last), and the sender never learnt the first was spurious.
    let mut s = receiver(1 << 20);
    let payload = [2u8; SEG];
    for k in 0..4 {
        s.process(Instant::ZERO, &data_seg(k, &payload));
    }
    drain(&mut s);
    s.process(Instant::ZERO, &data_seg(0, &payload));
    s.process(Instant::ZERO, &data_seg(2, &payload));
    let acks = drain(&mut s);
    let first = |k: usize| ((IRS + 1 + k * SEG).0, (IRS + 1 + (k + 1) * SEG).0);
    let dsacks: Vec<_> = acks
        .iter()
        .filter_map(|a| a.sack.first().copied())
        .collect();
    assert_eq!(dsacks, [first(0), first(2)], "{acks:?}");
}

#[test]
fn a_duplicate_of_data_held_out_of_order_gets_a_dsack() {
    // RFC 2883 §4.1.3: data above RCV.NXT arriving again (the sender did
    // not see it SACKed and resent it) is reported too: first the
    // duplicate, then the block holding it.
    let mut s = receiver(1 << 20);
    let payload = [3u8; SEG];
    s.process(Instant::ZERO, &data_seg(2, &payload));
    s.process(Instant::ZERO, &data_seg(3, &payload));
    drain(&mut s);
    s.process(Instant::ZERO, &data_seg(3, &payload));
    let acks = drain(&mut s);
    assert_eq!(acks.len(), 1);
    let at = |k: usize| (IRS + 1 + k * SEG).0;
    assert_eq!(acks[0].sack, vec![(at(3), at(4)), (at(2), at(4))]);
}

#[test]
fn a_probe_after_a_lost_window_update_learns_the_window_at_once() {
    // A filled hole makes a whole buffer readable at once: the ACK says
    // window 0, the reader empties the buffer, and the window update is
    // lost (5 % of the ACKs were). The peer's zero-window probes (one
    // below RCV.NXT, no data) were then answered at most once per 500 ms
    // (the out-of-window ACK throttle), so the sender stayed stalled for
    // 1.5 s of a 3 s transfer; an answer carrying a newly opened window
    // is no ACK loop.
    let buf = 16 * SEG;
    let mut s = receiver(buf);
    let payload = [4u8; SEG];
    for k in 0..16 {
        s.process(Instant::ZERO, &data_seg(k, &payload));
    }
    let acks = drain(&mut s);
    assert_eq!(acks.last().unwrap().window, 0);
    let probe = seg(TcpFlags::empty(), IRS + 16 * SEG, Some(ISS + 1), &[]);
    s.process(Instant::ZERO, &probe);
    assert_eq!(drain(&mut s).len(), 1, "the first probe is answered");
    // The reader empties the buffer; its window update is lost.
    let mut sink = vec![0u8; buf];
    assert_eq!(s.recv_slice(&mut sink), Ok(buf));
    let lost = drain(&mut s);
    assert!(lost.iter().any(|a| a.window > 0));
    // The next probe, 200 ms later (Linux's minimum RTO).
    let later = Instant::from_millis(200);
    s.process(later, &probe);
    let answer = out(&mut s, later).expect("the probe is answered");
    assert!(usize::from(answer.window) << 7 >= buf - SEG, "{answer:?}");
    // A second probe with nothing new is throttled as before.
    s.process(later, &probe);
    assert_eq!(out(&mut s, later), None);
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

/// A 65535-byte buffer takes a 65160-byte super-frame (45 segments).
fn sliver_filled() -> TcpSocket<'static> {
    let mut s = established(65535);
    let data = vec![7u8; 65160];
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &data),
    );
    s
}

#[test]
fn an_ack_offering_a_sliver_of_the_window_waits_for_the_read() {
    // Issue 13: ACKed at once, the 45 segments got a window of 375 and
    // the read's window update right after: two ACKs a window, the first
    // one useless. It waits for the read, whose update ACKs it all.
    let mut s = sliver_filled();
    assert_eq!(out(&mut s, Instant::ZERO), None, "no ACK before the read");
    let mut buf = vec![0u8; 65535];
    assert_eq!(s.recv_slice(&mut buf), Ok(65160));
    let ack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(ack.ack, Some(IRS + 1 + 65160));
    assert_eq!(ack.window, 65535);
}

#[test]
fn a_window_update_overtaken_by_data_waits_for_the_read_too() {
    // Issue 13, the writer benchmark's slow mode: a read owed a window
    // update, and a super-frame filling the window arrived before the
    // update left. Sent then, the update offered the sliver the frame
    // left (1823 of 65535), the peer sent 1823 bytes alone, and every
    // window went in two round trips, one of them for 3% of the data.
    let mut s = established(65535);
    let small = vec![1u8; 1823];
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &small),
    );
    let ack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!((ack.ack, ack.window), (Some(IRS + 1 + 1823), 63712));
    let mut buf = vec![0u8; 65535];
    assert_eq!(s.recv_slice(&mut buf), Ok(1823));
    // The update is owed; the window's worth arrives before it leaves.
    let big = vec![2u8; 63712];
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 1 + 1823, Some(ISS + 1), &big),
    );
    assert_eq!(out(&mut s, Instant::ZERO), None, "no ACK offering 1823");
    assert_eq!(s.recv_slice(&mut buf), Ok(63712));
    let ack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(ack.ack, Some(IRS + 1 + 65535));
    assert_eq!(ack.window, 65535);
}

#[test]
fn an_ack_offering_a_sliver_still_leaves_on_the_delayed_ack_timer() {
    // An application that does not read: RFC 1122 §4.2.3.2's bound holds.
    let mut s = sliver_filled();
    assert_eq!(out(&mut s, Instant::from_millis(39)), None);
    let ack = out(&mut s, Instant::from_millis(40)).unwrap();
    assert_eq!(ack.ack, Some(IRS + 1 + 65160));
    assert_eq!(ack.window, 375);
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
