//! Retransmission without SACK: limited transmit (RFC 3042), fast
//! retransmit on the third duplicate ACK (RFC 5681 §3.2), the timeout and
//! its backoff (RFC 6298 §5).

extern crate std;
use super::support::*;

#[test]
fn first_two_duplicate_acks_each_release_one_new_segment() {
    // RFC 3042 §2: cwnd is full; two duplicate ACKs send two new segments.
    let mut s = established(64 * 1024);
    s.set_nodelay(true);
    let iw = s.stats().cwnd;
    s.send_slice(&std::vec![1u8; iw + 3 * 1460]).unwrap();
    let mut first = 0;
    while out(&mut s, Instant::ZERO).is_some() {
        first += 1;
    }
    assert_eq!(first * 1460, iw, "cwnd worth sent");
    let t = Instant::from_millis(1);
    s.process(t, &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]));
    let one = out(&mut s, t).expect("first duplicate ACK: one new segment");
    assert_eq!(one.seq, ISS + 1 + iw);
    assert_eq!(out(&mut s, t), None);
    s.process(t, &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]));
    let two = out(&mut s, t).expect("second duplicate ACK: one more");
    assert_eq!(two.seq, ISS + 1 + iw + 1460);
    assert_eq!(out(&mut s, t), None);
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
fn segment_counts_are_the_wire_segments_of_a_super_segment() {
    // With TSO the device cuts one super-segment into MSS-sized segments:
    // the counters count those, as Linux's tcpi_segs_out and
    // tcpi_total_retrans do (tcp_skb_pcount), so that a retransmitted
    // share (retransmits / segments_out) compares with the kernel's.
    // Counting super-segments, one lost segment in ten showed as 10 %.
    let mut s = established(64 * 1024);
    let mss = s.stats().mss;
    s.send_slice(&vec![7u8; 10 * mss]).unwrap();
    let before = s.stats();
    let first = out_tso(&mut s, Instant::ZERO).unwrap();
    let sent = first.payload.len().div_ceil(mss) as u64;
    assert!(
        sent >= 2,
        "a super-segment of {} bytes",
        first.payload.len()
    );
    assert_eq!(s.stats().segments_out - before.segments_out, sent);
    assert_eq!(s.stats().retransmits, before.retransmits);
    // All lost: the RTO resends one segment (cwnd 1); its ACK lets two
    // go, again a super-segment, and a retransmission (below SND.MAX).
    let rto = s.stats().rto;
    let re = out_tso(&mut s, Instant::ZERO + rto).unwrap();
    assert_eq!((re.seq, re.payload.len()), (ISS + 1, mss));
    s.process(
        Instant::ZERO + rto,
        &seg(TcpFlags::ACK, IRS + 1, Some(ISS + 1 + mss), &[]),
    );
    let next = out_tso(&mut s, Instant::ZERO + rto).unwrap();
    assert_eq!(next.payload.len(), 2 * mss, "two segments in one");
    let st = s.stats();
    assert_eq!(st.retransmits - before.retransmits, 3);
    assert_eq!(st.segments_out - before.segments_out, sent + 3);
}
