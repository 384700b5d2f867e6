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
