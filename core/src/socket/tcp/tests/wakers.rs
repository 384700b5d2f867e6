//! Wakers (feature `async`): a task awaiting the socket is woken when what
//! it waits for happens, and not for traffic that changes nothing for it.

use super::support::*;
use crate::socket::waker::counting::waker;

#[test]
fn a_connect_is_woken_by_the_syn_ack_not_by_its_own_syn() {
    let mut s = socket(4096);
    s.config.timestamps = false;
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    let (w, count) = waker();
    s.register_send_waker(&w);
    out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(count.get(), 0, "still SYN-SENT");
    s.process(Instant::ZERO, &seg(TcpFlags::SYN, IRS, Some(ISS + 1), &[]));
    assert_eq!(s.state(), State::Established);
    assert_eq!(count.get(), 1);
}

#[test]
fn a_refused_connect_wakes_both_sides() {
    let mut s = socket(4096);
    s.connect(LOCAL, REMOTE, ISS, Instant::ZERO).unwrap();
    out(&mut s, Instant::ZERO).unwrap();
    let (r, rc) = waker();
    let (w, wc) = waker();
    s.register_recv_waker(&r);
    s.register_send_waker(&w);
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::RST, TcpSeqNumber(0), Some(ISS + 1), &[]),
    );
    assert_eq!(s.error(), Some(TcpError::ConnectionRefused));
    assert_eq!((rc.get(), wc.get()), (1, 1));
}

#[test]
fn a_reader_is_woken_by_data_and_by_the_fin_not_by_a_bare_ack() {
    let mut s = established(4096);
    let (r, count) = waker();
    s.register_recv_waker(&r);
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 1, Some(ISS + 1), &[]),
    );
    assert_eq!(count.get(), 0, "nothing to read yet");
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::PSH, IRS + 1, Some(ISS + 1), b"hello"),
    );
    assert_eq!(count.get(), 1);
    let mut buf = [0; 8];
    assert_eq!(s.recv_slice(&mut buf).unwrap(), 5);
    s.register_recv_waker(&r);
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::FIN, IRS + 6, Some(ISS + 1), &[]),
    );
    assert_eq!(count.get(), 2, "end of stream is news to a reader");
}

#[test]
fn a_writer_is_woken_when_an_ack_frees_room() {
    let mut s = established(1024);
    assert_eq!(s.send_slice(&[7; 2048]).unwrap(), 1024);
    let (w, count) = waker();
    s.register_send_waker(&w);
    let data = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(count.get(), 0, "sending frees nothing until ACKed");
    let acked = ISS + 1 + data.payload.len();
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 1, Some(acked), &[]),
    );
    assert!(s.can_send());
    assert_eq!(count.get(), 1);
}

#[test]
fn a_connection_that_times_out_wakes_its_reader() {
    let mut s = established(4096);
    s.send_slice(b"lost").unwrap();
    let (r, count) = waker();
    s.register_recv_waker(&r);
    let mut now = Instant::ZERO;
    // Every retransmission unanswered until the socket gives up.
    for _ in 0..64 {
        out(&mut s, now);
        match s.poll_at(now) {
            Some(t) if s.state() != State::Closed => now = t,
            _ => break,
        }
    }
    assert_eq!(s.state(), State::Closed);
    assert_eq!(s.error(), Some(TcpError::TimedOut));
    assert_eq!(count.get(), 1);
}
