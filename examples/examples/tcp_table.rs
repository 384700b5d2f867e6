//! The TCP fault table: simulated bulk transfers between two rstcp
//! interfaces through a link that drops, reorders, duplicates and corrupts
//! frames (seeded, so every run gives the same table). Each cell checks that
//! every byte arrived intact (hash) and that both sides closed.
//!
//! ```text
//! cargo run --release -p rstcp-examples --example tcp_table [-- BYTES]
//! ```

use rstcp::time::Duration;
use rstcp_examples::transfer::{faults, seconds, transfer};

fn main() {
    let bytes: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1 << 20);
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
            let result = match (o.intact, o.finished) {
                (true, true) => "ok",
                (true, false) => "no close",
                _ => "FAILED",
            };
            println!(
                "{:<28} {:>7}K {:>10.3} {:>8} {:>8} {:>7}",
                name,
                buffer / 1024,
                seconds(o.elapsed),
                o.retransmits,
                o.timeouts,
                result
            );
        }
    }
}
