//! Replays every fuzz target body (`rstcp_tests::fuzz`) on stable over the
//! seeds cut from the shared capture corpus, plus every prefix of a few
//! small seeds per target (truncation is the commonest malformation), so CI
//! checks the same no-panic and round-trip properties the fuzzers do.
//!
//! Inputs a fuzzer finds crashing go at the bottom of this file as regression
//! tests.

use std::path::PathBuf;
use std::time::Instant;

use rstcp_tests::fuzz::iface::CountingAlloc;
use rstcp_tests::fuzz::seeds::{collect, CORPUS_DIR};
use rstcp_tests::fuzz::{self, Target, TARGETS};

// The `iface` body checks that `Interface::poll` never allocates when the
// binary counts allocations, as the cargo-fuzz target does.
#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

/// How many seeds per target also have every prefix replayed: the smallest
/// ones, so that the quadratic cost stays small.
const PREFIXED_SEEDS: usize = 3;

/// The crafted seeds need no capture corpus: they always run, prefixes
/// included (a cut-off script is the commonest malformation of these).
#[test]
fn fuzz_bodies_hold_on_crafted_seeds() {
    let crafted: [(&str, Target, Vec<Vec<u8>>); 2] = [
        ("iface", fuzz::iface, fuzz::iface::crafted_seeds()),
        ("tcp_socket", fuzz::tcp_socket, fuzz::tcp_socket::seeds()),
    ];
    for (name, body, seeds) in crafted {
        let started = Instant::now();
        let mut prefixes = 0;
        for seed in &seeds {
            body(seed);
            // Every 7th prefix: the scripts are long, and each cut is a run.
            for end in (0..seed.len()).step_by(7) {
                body(&seed[..end]);
                prefixes += 1;
            }
        }
        println!(
            "{name:<10} {:>5} crafted {prefixes:>6} prefixes in {:?}",
            seeds.len(),
            started.elapsed()
        );
    }
}

#[test]
fn fuzz_bodies_hold_on_corpus_seeds() {
    // RSTCP_CORPUS_DIR: the corpus elsewhere (a worktree, a CI checkout).
    let corpus = std::env::var_os("RSTCP_CORPUS_DIR")
        .map_or_else(|| PathBuf::from(CORPUS_DIR), PathBuf::from);
    let corpus = corpus.as_path();
    if !corpus.is_dir() {
        let reason = format!(
            "fuzz_seeds: skipped, capture corpus not found at {}",
            corpus.display()
        );
        // Locally the shared corpus may be absent; CI must have it.
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{reason}");
        eprintln!("{reason}");
        return;
    }
    let started = Instant::now();
    let seeds = collect(corpus).expect("read the capture corpus");
    println!("collected in {:?}", started.elapsed());
    for (name, body) in TARGETS {
        let started = Instant::now();
        let inputs = &seeds[name];
        for input in inputs {
            body(input);
        }
        let mut smallest: Vec<&Vec<u8>> = inputs.iter().collect();
        smallest.sort_by_key(|s| s.len());
        let mut prefixes = 0;
        for seed in smallest.into_iter().take(PREFIXED_SEEDS) {
            for end in 0..seed.len() {
                body(&seed[..end]);
                prefixes += 1;
            }
        }
        println!(
            "{name:<10} {:>5} seeds {prefixes:>6} prefixes in {:?}",
            inputs.len(),
            started.elapsed()
        );
    }
}

/// `tcp_socket`: simultaneous open, data written in SYN-RECEIVED, then a
/// segment below the window: the challenge ACK carried the data from
/// buffer offset 1 (the SYN counted as a byte). Fixed in the socket's
/// dispatch (no data before ESTABLISHED).
#[test]
fn regression_tcp_socket_data_in_syn_received() {
    const INPUT: &[u8] = &[
        0x00, 0x00, 0x40, 0x10, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x19, 0x83, 0x41, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0x2b, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x01, 0x31, 0x41, 0x78, 0x78, 0x81, 0x10, 0x00,
        0x00, 0xe4, 0xa8, 0xff, 0xff, 0x03, 0x00, 0x05, 0xa8, 0x05, 0xa8, 0x10, 0xf8, 0x10, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x10, 0x00,
        0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00,
        0x00, 0x43, 0x82, 0x10, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0xbf,
    ];
    fuzz::tcp_socket(INPUT);
}

/// `tcp_socket`: simultaneous open with the peer's MSS and timestamps; the
/// SYN-ACK reset the send MSS to ours, so full segments with TSopt were
/// 1512-byte datagrams (fragmented). Fixed in the socket's SYN dispatch.
#[test]
fn regression_tcp_socket_simultaneous_open_mss() {
    const INPUT: &[u8] = &[
        0x0e, 0x02, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x09, 0x00, 0x80, 0x10, 0x00, 0x00, 0x00,
        0x00, 0xff, 0xff, 0x00, 0x00, 0x10, 0x01, 0x90, 0x00, 0x00, 0xff, 0xff, 0x01, 0x32, 0x10,
        0x03, 0x20, 0x00, 0x00, 0xff, 0xff, 0x01, 0x4a, 0x10, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff,
        0x01, 0x32, 0x41, 0x78, 0x78, 0x81, 0x10, 0x00, 0x00, 0xe4, 0x58, 0x00, 0x00, 0x0a, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0x04, 0x10, 0x00, 0x00, 0x00, 0xff, 0x13, 0x00, 0x05, 0xa8,
        0x0b, 0x50, 0x27, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x13, 0x00, 0x05, 0xa8, 0x10, 0xf8,
        0x10, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x0e, 0x00, 0x05, 0xff, 0x01, 0x19, 0x83, 0x41,
        0x10, 0xff, 0xff, 0x00, 0xff, 0xff, 0x01, 0x00, 0x97,
    ];
    fuzz::tcp_socket(INPUT);
}
