//! Several segments per `dispatch` call (issue 13): the interface asks for
//! up to `TcpContext::segments` at once, and a burst of new data puts on
//! the wire exactly what one call per segment would.

use super::support::*;

/// The timers and ACK state a burst must leave as single calls do.
type Timers = (
    Option<Instant>,
    Option<Instant>,
    Option<Instant>,
    TcpSeqNumber,
    bool,
);

fn timers(s: &TcpSocket<'_>) -> Timers {
    (s.pto_at, s.rto_at, s.ack_at, s.rcv_adv, s.ack_now)
}

/// Drives `s` to the end of a transfer of `data` bytes and its FIN: each
/// round takes every segment the socket has (one `dispatch` call after
/// another, each allowed `segments`), then acknowledges all of it. Returns
/// the segments each call handed over, in order.
fn transfer(s: TcpSocket<'static>, data: usize, segments: usize) -> Vec<Vec<Seg>> {
    transfer_with_timers(s, data, segments).0
}

/// [`transfer`], and the socket's [`timers`] after each round's sending.
fn transfer_with_timers(
    mut s: TcpSocket<'static>,
    data: usize,
    segments: usize,
) -> (Vec<Vec<Seg>>, Vec<Timers>) {
    let mut after = Vec::new();
    let bytes: Vec<u8> = (0..data).map(|i| i as u8).collect();
    let mut written = s.send_slice(&bytes).unwrap();
    let mut calls = Vec::new();
    let mut now = Instant::ZERO;
    for _ in 0..64 {
        if written == data && !s.fin_queued {
            s.close();
        }
        let mut last = None;
        loop {
            let got = out_burst(&mut s, now, segments);
            if got.is_empty() {
                break;
            }
            last = got.last().map(|g| (g.seq, g.payload.len(), g.control));
            calls.push(got);
        }
        after.push(timers(&s));
        let Some((seq, len, control)) = last else {
            break;
        };
        if control.contains(TcpFlags::FIN) {
            return (calls, after);
        }
        now += Duration::from_millis(10);
        let ack = seq + len;
        s.process(now, &seg(TcpFlags::empty(), IRS + 1, Some(ack), &[]));
        if written < data {
            written += s.send_slice(&bytes[written..]).unwrap();
        }
    }
    panic!("no FIN after 64 rounds");
}

#[test]
fn a_burst_hands_over_the_initial_window_in_one_call() {
    // RFC 5681 §3.1 / RFC 6928: the initial window is 10 segments of
    // 1460 bytes here; one call allowed 16 gives all ten.
    let calls = transfer(established(65535), 40_000, 16);
    let first = &calls[0];
    assert_eq!(first.len(), 10, "one call, the whole initial window");
    for (i, g) in first.iter().enumerate() {
        assert_eq!(g.seq, ISS + 1 + i * 1460);
        assert_eq!(g.payload.len(), 1460);
        assert_eq!(g.ack, Some(IRS + 1));
    }
}

#[test]
fn a_burst_puts_on_the_wire_what_one_call_per_segment_would() {
    // The same segments (numbers, flags, windows, payload) and the FIN in
    // the same place, only fewer calls; PSH on the last byte written.
    for data in [1, 1460, 14_600, 40_000, 40_001] {
        let single: Vec<Seg> = transfer(established(65535), data, 1)
            .into_iter()
            .flatten()
            .collect();
        let burst = transfer(established(65535), data, 16);
        assert!(burst.iter().all(|c| c.len() <= 16));
        let burst: Vec<Seg> = burst.into_iter().flatten().collect();
        assert_eq!(burst, single, "{data} bytes");
    }
}

#[test]
fn a_burst_leaves_the_timers_as_one_call_per_segment_would() {
    // With SACK and an RTT sample, so RFC 8985's probe timeout is armed
    // (re-armed once at the end of a burst, not per segment) and the ACK
    // bookkeeping of SACK runs: the same retransmission, probe and
    // delayed-ACK times and the same advertised edge after every round.
    for data in [1460, 14_600, 40_001] {
        let (single_segs, single) = transfer_with_timers(established_with_sack(), data, 1);
        let (burst_segs, burst) = transfer_with_timers(established_with_sack(), data, 16);
        assert!(burst_segs.iter().any(|c| c.len() > 1), "{data} bytes");
        assert_eq!(
            burst_segs.into_iter().flatten().collect::<Vec<_>>(),
            single_segs.into_iter().flatten().collect::<Vec<_>>()
        );
        if data > 14_600 {
            // Rounds after the first have an RTT sample: a probe is armed.
            assert!(single.iter().any(|t| t.0.is_some()), "a probe timer");
        }
        assert_eq!(burst, single, "{data} bytes");
    }
}

#[test]
fn a_burst_is_capped_at_the_calls_allowance() {
    // The initial window of ten segments, four a call; the FIN is far.
    let calls = transfer(established(65535), 20_000, 4);
    assert_eq!(
        calls.iter().map(Vec::len).collect::<Vec<_>>()[..3],
        [4, 4, 2]
    );
}

#[test]
fn segments_reporting_sack_blocks_go_one_call_each() {
    // Data held out of order: every segment we send reports it (RFC 2018
    // §4), each built afresh, so a burst does not repeat a stale header.
    let mut s = established_with_sack();
    s.process(
        Instant::ZERO,
        &seg(TcpFlags::empty(), IRS + 101, Some(ISS + 1), &[7; 100]),
    );
    let dup_ack = out(&mut s, Instant::ZERO).unwrap();
    assert_eq!(dup_ack.sack, [((IRS + 101).0, (IRS + 201).0)]);
    s.send_slice(&[1; 4000]).unwrap();
    let first = out_burst(&mut s, Instant::ZERO, 16);
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].sack, [((IRS + 101).0, (IRS + 201).0)]);
    let second = out_burst(&mut s, Instant::ZERO, 16);
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].sack, first[0].sack);
}

#[test]
fn a_full_send_buffer_leaves_with_its_tail_not_after_it_alone() {
    // Issue 13, the reader benchmark's slow mode: a 64 KiB send buffer,
    // kept full, with TSO. Nagle held the tail past the last whole
    // segment; once the flight was ACKed, before the application could
    // refill (an interface polls before the application runs), the tail
    // left alone as a runt, and the next window waited for its ACK too.
    // A full buffer cannot grow its tail until an ACK: it all goes now.
    let mut s = established(65535);
    let mut now = Instant::ZERO;
    for round in 0..12 {
        let free = 65535 - s.send_queue();
        s.send_slice(&vec![3u8; free]).unwrap();
        let mut end = None;
        while let Some(g) = out_tso(&mut s, now) {
            end = Some(g.seq + g.payload.len());
        }
        let end = end.expect("a window's worth");
        now += Duration::from_millis(1);
        s.process(now, &seg(TcpFlags::empty(), IRS + 1, Some(end), &[]));
        // The ACK came; the application has not refilled yet.
        let mut alone = Vec::new();
        while let Some(g) = out_tso(&mut s, now) {
            alone.push(g.payload.len());
            let end = g.seq + g.payload.len();
            s.process(now, &seg(TcpFlags::empty(), IRS + 1, Some(end), &[]));
        }
        if round >= 6 {
            // cwnd has outgrown the buffer: only the buffer limits.
            assert!(s.stats().cwnd > 65535);
            assert_eq!(alone, [0usize; 0], "round {round}: a runt after the flight");
        }
    }
}
