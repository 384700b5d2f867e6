//! The TCP fault table: simulated bulk transfers between two rstcp
//! interfaces through a link that drops, reorders, duplicates, corrupts,
//! delays and queues frames (seeded, so every run gives the same table).
//! Each cell checks that every byte arrived intact (hash) and that both
//! sides closed.
//!
//! Three parts:
//! 1. the classic grid: loss, reordering, duplication, corruption × buffer
//!    sizes;
//! 2. issue 10's link profiles (those of `examples/scripts/impaired.sh`,
//!    which measures the same against the Linux kernel) with 1 MiB
//!    buffers, beside a Linux-like reference: a sender with RACK-TLP
//!    (RFC 8985) and D-SACK resends about what the link lost, no more,
//!    and needs no retransmission timeout;
//! 3. the wrap run: the ISN placed just below 2³², a transfer that crosses
//!    the sequence-number wrap several times, every byte checked.
//!
//! ```text
//! cargo run --release -p rstcp-examples --example tcp_table -- \
//!     [BYTES] [--profile-bytes N] [--wraps N] [--only grid|profiles|wrap]
//! ```

use clap::{Parser, ValueEnum};
use rstcp::time::Duration;
use rstcp_testkit::fault::{Bottleneck, BurstLoss, Chance, FaultConfig};
use rstcp_testkit::transfer::{
    faults, seconds, start_for_isn, transfer, transfer_with, Outcome, Transfer,
};

/// Simulated TCP transfers through a faulty link, every byte checked.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Bytes each transfer of the grid moves.
    #[arg(default_value_t = 1 << 20)]
    bytes: usize,
    /// Bytes each transfer of the issue 10 profiles moves.
    #[arg(long, default_value_t = 16 << 20, value_name = "N")]
    profile_bytes: usize,
    /// How many times the wrap run crosses 2^32 bytes.
    #[arg(long, default_value_t = 2, value_name = "N")]
    wraps: u64,
    /// Run only this part of the table.
    #[arg(long, value_name = "PART")]
    only: Option<Part>,
}

/// The three parts of the table.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Part {
    /// Loss, reordering, duplication, corruption x buffer sizes.
    Grid,
    /// Issue 10's link profiles beside a Linux-like reference.
    Profiles,
    /// A transfer across the sequence-number wrap.
    Wrap,
}

fn main() {
    let args = Args::parse();
    let part = |p: Part| args.only.is_none_or(|o| o == p);
    if part(Part::Grid) {
        grid(args.bytes);
    }
    if part(Part::Profiles) {
        profiles(args.profile_bytes);
    }
    if part(Part::Wrap) {
        wrap_run(args.wraps);
    }
}

/// Part 1: the classic grid.
fn grid(bytes: usize) {
    println!("{bytes} bytes A→B, MTU 1500, simulated time (120 µs per busy poll), faults both ways, seed 7");
    println!(
        "{:<28} {:>8} {:>10} {:>8} {:>8} {:>7}",
        "link", "buffer", "time (s)", "rexmit", "RTOs", "result"
    );
    // (name, (loss %, reorder %, duplicate %, corrupt %))
    let profiles = [
        ("clean", (0, 0, 0, 0)),
        ("loss 1%", (1, 0, 0, 0)),
        ("loss 5%", (5, 0, 0, 0)),
        ("loss 10%", (10, 0, 0, 0)),
        ("loss 30%", (30, 0, 0, 0)),
        ("reorder 10%", (0, 10, 0, 0)),
        ("duplicate 10%", (0, 0, 10, 0)),
        ("corrupt 5%", (0, 0, 0, 5)),
        ("loss 5% reorder 5% dup 5%", (5, 5, 5, 0)),
        ("all of it, 1% corrupt", (5, 5, 5, 1)),
    ];
    for buffer in [16 * 1024, 64 * 1024, 256 * 1024] {
        for (name, (l, r, d, c)) in profiles {
            let o = transfer(
                bytes,
                buffer,
                faults(l, r, d, c),
                7,
                Duration::from_secs(3600),
            );
            println!(
                "{:<28} {:>7}K {:>10.3} {:>8} {:>8} {:>7}",
                name,
                buffer / 1024,
                seconds(o.elapsed),
                o.retransmits,
                o.timeouts,
                result(&o)
            );
        }
    }
}

fn result(o: &Outcome) -> &'static str {
    match (o.intact, o.finished) {
        (true, true) => "ok",
        (true, false) => "no close",
        _ => "FAILED",
    }
}

/// What a Linux-like sender does on a profile.
#[derive(Clone, Copy)]
enum Reference {
    /// Resends what the link lost, no timeout.
    ResendsTheLost,
    /// Nothing lost: nothing resent (reordering and duplicates are told
    /// apart from loss by RACK's reordering window and D-SACK).
    ResendsNothing,
}

/// Part 2: issue 10's profiles, 1 MiB buffers.
fn profiles(bytes: usize) {
    // Every row is a 100 Mbit/s link (one full frame per 120 µs, the
    // simulation's busy step) with room for the whole window: on a faster
    // one a window arrives within one poll, and the receiver cannot see
    // (nor acknowledge) the order frames came in. A 1 MiB window is ~720
    // frames: keep that many and more.
    let none = FaultConfig {
        bottleneck: Some(Bottleneck {
            bits_per_sec: 100_000_000,
            queue_bytes: 4 << 20,
        }),
        queue_limit: 8192,
        ..FaultConfig::none()
    };
    let deep = none;
    let rows: [(&str, FaultConfig, Reference); 8] = [
        ("clean", none, Reference::ResendsNothing),
        (
            "1% loss",
            FaultConfig {
                drop_pct: Chance::percent(1),
                ..none
            },
            Reference::ResendsTheLost,
        ),
        (
            "5% loss",
            FaultConfig {
                drop_pct: Chance::percent(5),
                ..none
            },
            Reference::ResendsTheLost,
        ),
        (
            "20ms RTT + 1% loss",
            FaultConfig {
                drop_pct: Chance::percent(1),
                delay: Duration::from_millis(10),
                ..deep
            },
            Reference::ResendsTheLost,
        ),
        (
            "2% reorder gap 3",
            FaultConfig {
                reorder_pct: Chance::percent(2),
                reorder_gap: 3,
                ..none
            },
            Reference::ResendsNothing,
        ),
        (
            "1% duplication",
            FaultConfig {
                duplicate_pct: Chance::percent(1),
                ..none
            },
            Reference::ResendsNothing,
        ),
        (
            "100Mbit 50ms RTT 1BDP",
            FaultConfig {
                // 100 Mbit/s × 50 ms = 625 000 bytes of queue.
                bottleneck: Some(Bottleneck {
                    bits_per_sec: 100_000_000,
                    queue_bytes: 625_000,
                }),
                delay: Duration::from_millis(25),
                ..deep
            },
            Reference::ResendsTheLost,
        ),
        (
            "burst loss (0.5%→, 30%←)",
            FaultConfig {
                burst_loss: Some(BurstLoss {
                    enter: Chance::per_mille(5),
                    leave: Chance::percent(30),
                }),
                ..none
            },
            Reference::ResendsTheLost,
        ),
    ];
    println!();
    println!(
        "issue 10 profiles: {bytes} bytes A→B over 100 Mbit/s, 1 MiB buffers, faults both ways, \
         seed 7; Linux-like reference: RACK-TLP + D-SACK resend what was lost, no RTO"
    );
    println!(
        "{:<26} {:>9} {:>10} {:>8} {:>8} {:>6} {:>22} {:>7}",
        "link", "time (s)", "Mbit/s", "rexmit", "lost", "RTOs", "vs reference", "result"
    );
    for (name, fault, reference) in rows {
        let o = transfer_with(&Transfer::new(bytes, 1 << 20, fault, 7));
        let mbps = bytes as f64 * 8.0 / seconds(o.elapsed).max(1e-9) / 1e6;
        println!(
            "{:<26} {:>9.3} {:>10.1} {:>8} {:>8} {:>6} {:>22} {:>7}",
            name,
            seconds(o.elapsed),
            mbps,
            o.retransmits,
            o.link_lost,
            o.timeouts,
            compare(&o, reference),
            result(&o)
        );
    }
}

/// How `o` compares with what a Linux-like sender would resend.
fn compare(o: &Outcome, reference: Reference) -> String {
    // Allowance: a few segments either way (a lost retransmission, the
    // handshake, a probe), then 10 %.
    let expected = match reference {
        Reference::ResendsTheLost => o.link_lost,
        Reference::ResendsNothing => 0,
    };
    let spurious = o.retransmits.saturating_sub(expected);
    let rto = if o.timeouts > 0 { ", RTO" } else { "" };
    if spurious <= 2 + expected / 10 && o.timeouts == 0 {
        "≈ ref".into()
    } else {
        format!("+{spurious} rexmit{rto}")
    }
}

/// Part 3: ISN just below 2³², `wraps` times 2³² bytes and some more, so
/// the sequence numbers wrap `wraps + 1` times and SND.UNA passes the ISS
/// itself `wraps` times; with 1 % loss and 1 % reordering (gap 3), so that
/// recovery and SACK run across the wrap too. Twice: the second run puts
/// a segment boundary (a cumulative ACK) exactly on the ISS.
fn wrap_run(wraps: u64) {
    println!();
    let bytes = (wraps << 32) as usize + (1 << 20);
    println!(
        "wrap run: ISN 2^32 - 65536, {bytes} bytes ({wraps} × 2^32 + 1 MiB) A→B, 1 MiB buffers, \
         1% loss and 2% reordering (gap 3) both ways, seed 7"
    );
    let fault = FaultConfig {
        drop_pct: Chance::percent(1),
        reorder_pct: Chance::percent(2),
        reorder_gap: 3,
        ..FaultConfig::none()
    };
    const TARGET: u32 = u32::MAX - 65_535;
    println!(
        "{:<34} {:>11} {:>9} {:>8} {:>6} {:>7}",
        "first segment", "ISN", "time (s)", "rexmit", "RTOs", "result"
    );
    // The MSS with timestamps on a 1500-byte MTU; the first write makes the
    // segment boundaries of full segments fall on ISS + 2³² (one sequence
    // number for the SYN, then 2³² − 1 bytes).
    let mss = 1448u64;
    let aligned = ((1u64 << 32) - 1) % mss;
    for (what, first_write) in [
        ("full-sized", 0usize),
        ("aligned on ISS + 2^32", aligned as usize),
    ] {
        let start = match start_for_isn(TARGET) {
            Ok(start) => start,
            Err(e) => {
                println!("{what:<34} cannot place the ISN: {e}");
                continue;
            }
        };
        let t = Transfer {
            start,
            first_write,
            limit: Duration::from_secs(36_000),
            ..Transfer::new(bytes, 1 << 20, fault, 7)
        };
        let wall = std::time::Instant::now();
        let o = transfer_with(&t);
        if o.isn != Some(TARGET) {
            println!("(the ISN was {:x?}, not {TARGET:#x})", o.isn);
        }
        if o.mss as u64 != mss {
            println!(
                "(the MSS was {}, not {mss}: the boundaries fell elsewhere)",
                o.mss
            );
        }
        println!(
            "{:<34} {:>#11x} {:>9.1} {:>8} {:>6} {:>7}   ({:.0} s of CPU)",
            what,
            o.isn.unwrap_or(0),
            seconds(o.elapsed),
            o.retransmits,
            o.timeouts,
            result(&o),
            wall.elapsed().as_secs_f64()
        );
    }
}
