//! Reordering is not loss (issue 10: "2 % reordering causes no spurious
//! retransmission"): bulk transfers through a simulated 1 Gbit/s link
//! that reorders 2 % of the frames each way by three places, behind a
//! deep queue (the RTT grows to 200× its minimum, as through the TAP
//! forwarder of `examples/scripts/impaired.sh`). A sender that tells
//! reordering from loss (RFC 8985 RACK's reordering window, RFC 2883
//! D-SACK, RFC 3708 undo) resends a handful of segments at most, needs no
//! timeout, and ends with the window it would have had without the
//! reordering.

use rstcp::time::Duration;
use rstcp_testkit::fault::{Bottleneck, Chance, FaultConfig};
use rstcp_testkit::transfer::{transfer_with, Transfer};

/// 1 Gbit/s: a full frame every 12 µs.
fn gigabit(queue_bytes: u64) -> FaultConfig {
    FaultConfig {
        bottleneck: Some(Bottleneck {
            bits_per_sec: 1_000_000_000,
            queue_bytes,
        }),
        queue_limit: 8192,
        ..FaultConfig::none()
    }
}

fn run(fault: FaultConfig, seed: u64) -> rstcp_testkit::transfer::Outcome {
    let t = Transfer {
        // Finer than the frame time, so the receiver sees the order the
        // frames come in and acknowledges each out-of-order one.
        busy_step: Duration::from_micros(5),
        ..Transfer::new(24 << 20, 1 << 20, fault, seed)
    };
    let o = transfer_with(&t);
    assert!(o.intact && o.finished, "seed {seed}: {o:?}");
    o
}

#[test]
fn two_percent_reordering_behind_a_deep_queue_resends_almost_nothing() {
    let reordering = FaultConfig {
        reorder_pct: Chance::percent(2),
        reorder_gap: 3,
        reorder_timeout: Duration::from_millis(5),
        ..gigabit(4 << 20)
    };
    for seed in [7, 8] {
        let clean = run(gigabit(4 << 20), seed);
        let o = run(reordering, seed);
        assert_eq!(o.link_lost, 0, "seed {seed}: nothing is lost");
        // The first reordering seen, before any was, is taken for a loss
        // (RFC 8985 §6.2: no reordering window yet), and a D-SACK undoes
        // it; after that, none.
        assert!(o.retransmits <= 5, "seed {seed}: {:?}", o.sender);
        assert_eq!(o.timeouts, 0, "seed {seed}");
        assert_eq!(
            o.sender.undos, o.sender.fast_retransmits,
            "seed {seed}: every recovery undone: {:?}",
            o.sender
        );
        // Time within 10 % of the clean link's.
        assert!(
            o.elapsed.total_micros() * 10 <= clean.elapsed.total_micros() * 11,
            "seed {seed}: {:?} vs {:?} clean",
            o.elapsed,
            clean.elapsed
        );
    }
}
