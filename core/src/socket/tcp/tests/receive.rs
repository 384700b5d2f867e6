//! The receiver under loss (issue 10, "rstcp receives" rows): what it
//! keeps of out-of-order data, the SACK blocks and ACKs it sends, so a
//! sender resends only what the link lost.

use super::super::tests_support::*;

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
