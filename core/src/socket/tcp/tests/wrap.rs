//! Issue 10 item 1: a long transfer whose cumulative ACK lands exactly on
//! the ISS (2^32 − 1 bytes after the SYN), crossing the sequence wrap
//! several times, every byte checked.

use super::pair::*;
use super::support::*;

/// A stream of `len` bytes from `from` to the other side, written and read
/// in ring-sized pieces. The writer stops at every `k·2^32 − 1` bytes until
/// all is acknowledged, so SND.UNA comes to rest exactly on the ISS.
fn transfer(p: &mut Pair, from: usize, len: u64) {
    // A pseudo-random pattern with a period no ring or segment size
    // divides (it is odd and above the ring size): a byte shifted or repeated shows at once.
    const PERIOD: usize = 1_500_007;
    let buf = p.s[from].tx.capacity();
    let mut x = 0x2545_f491_u32;
    let mut pattern: Vec<u8> = (0..PERIOD)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    // Byte i of the stream is pattern[i % PERIOD]; the copied head lets a
    // ring-sized piece start anywhere in the period.
    pattern.extend_from_within(..buf);
    let to = 1 - from;
    let (mut written, mut read) = (0u64, 0u64);
    let mut rested_on_iss = 0;
    let iss = p.s[from].iss;
    let finished = p.run_until(
        Instant::from_secs(1_000_000),
        |p| {
            // The smallest k·2^32 − 1 not below what was written.
            let rest = (written + 1).next_multiple_of(1 << 32) - 1;
            let target = if written < rest {
                len.min(rest)
            } else if p.s[from].send_queue() > 0 {
                written // wait for the ACK that lands on the ISS
            } else {
                // Everything so far acknowledged: SND.UNA is the ISS.
                assert_eq!(p.s[from].snd_una, iss);
                rested_on_iss += 1;
                len.min(written + (1 << 32))
            };
            if written < target {
                let start = (written % PERIOD as u64) as usize;
                let want = (target - written).min(buf as u64) as usize;
                let n = p.s[from].send_slice(&pattern[start..start + want]).unwrap();
                written += n as u64;
            }
            loop {
                let start = (read % PERIOD as u64) as usize;
                let n = p.s[to]
                    .recv(|got| {
                        let n = got.len();
                        assert!(
                            got == &pattern[start..start + n],
                            "corrupt data in {n} bytes at offset {read}"
                        );
                        (n, n)
                    })
                    .unwrap();
                if n == 0 {
                    break;
                }
                read += n as u64;
            }
            read == len
        },
        |_, _| true,
    );
    assert!(
        finished,
        "stalled: {written} bytes written, {read} read of {len}"
    );
    assert_eq!(rested_on_iss as u64, len / (1 << 32));
}

#[test]
fn a_transfer_whose_ack_lands_on_the_iss_loses_no_byte() {
    // Both ISNs near the wrap. A sends 2·2^32 + 1 MiB (its SND.UNA rests
    // on its ISS twice, the sequence space wraps three times), then B,
    // which opened through SYN-RECEIVED, 2^32 + 1 MiB. Before the fix the
    // first rest on the ISS stalled the sender for good (SND.UNA == ISS
    // read as "SYN unacknowledged": nothing sendable); with data still in
    // flight it released one byte too few and shifted the stream.
    let mut p = Pair::connect(
        TcpSeqNumber(0xffff_fff0),
        TcpSeqNumber(0xffff_0000),
        1 << 20,
        65535 + 40,
        |c| {
            c.nagle = false;
            c.ack_delay = None;
        },
    );
    transfer(&mut p, A, (2 << 32) + (1 << 20));
    transfer(&mut p, B, (1 << 32) + (1 << 20));
}
