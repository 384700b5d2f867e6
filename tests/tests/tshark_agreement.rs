//! Conformance: our decoder against Wireshark's tshark, field by field, over
//! every Ethernet capture of the tcpdump corpus.
//!
//! The reference frames come from `rstcp_tests::tshark::reference`; ours
//! from `our_lines`. The test prints a per-field table and the first
//! mismatches, and requires ≥ 99 % of the compared fields to agree.
//! Without tshark it skips (and fails under `CI=true`).
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rstcp_tests::compare::{compare_file, ethernet_captures, Agreement};
use rstcp_tests::tshark;
use serde_json::Value;

/// The tcpdump corpus, shared beside the repository.
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus/tcpdump");

/// Required share of agreeing fields, in percent.
const THRESHOLD: f64 = 99.0;

/// Worker threads (the machine has 2 cores).
const THREADS: usize = 2;

/// Our decoder's output for one capture: one JSON line per frame.
///
/// STAND-IN until `rstcp-dump` lands: it re-serialises tshark's own frames,
/// so this test proves the comparison machinery (it must report 100 %).
/// The integrator replaces the body with
/// `rstcp_dump::json_lines(path)`.
fn our_lines(path: &Path) -> Result<Vec<String>, String> {
    rstcp_dump::json_lines(path)
}

/// Time spent decoding, summed over captures.
#[derive(Default)]
struct Timing {
    tshark: Duration,
    ours: Duration,
}

/// Compares one capture, adding to `agg` and `time`.
fn compare_capture(path: &Path, agg: &mut Agreement, time: &mut Timing) -> Result<(), String> {
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let t0 = Instant::now();
    let theirs = tshark::reference(path)?;
    let t1 = Instant::now();
    let ours = our_lines(path);
    time.tshark += t1 - t0;
    time.ours += t1.elapsed();
    let ours = ours
        .map_err(|e| format!("{name}: our decoder failed: {e}"))?
        .iter()
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).map_err(|e| format!("{name}: our line {}: {e}: {l}", i + 1))
        })
        .collect::<Result<Vec<Value>, String>>()?;
    compare_file(&ours, &theirs, &name, agg);
    Ok(())
}

#[test]
fn tshark_agreement() {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    if !tshark::available() {
        let why = "tshark is not installed (apt-get install tshark): tshark agreement skipped";
        assert!(!ci, "{why}, but CI=true requires it");
        eprintln!("SKIP: {why}");
        return;
    }
    let corpus = PathBuf::from(CORPUS);
    let files = ethernet_captures(&corpus);
    if files.is_empty() {
        let why = format!("no Ethernet captures in {}", corpus.display());
        assert!(!ci, "{why}, but CI=true requires them");
        eprintln!("SKIP: {why}");
        return;
    }

    let start = Instant::now();
    let next = Mutex::new(files.iter());
    let errors = Mutex::new(Vec::new());
    let mut total = Agreement::default();
    let mut time = Timing::default();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                s.spawn(|| {
                    let mut agg = Agreement::default();
                    let mut time = Timing::default();
                    loop {
                        let Some(path) = next.lock().unwrap().next() else {
                            break;
                        };
                        if let Err(e) = compare_capture(path, &mut agg, &mut time) {
                            errors.lock().unwrap().push(e);
                        }
                    }
                    (agg, time)
                })
            })
            .collect();
        for w in workers {
            let (agg, t) = w.join().expect("worker panicked");
            total.merge(agg);
            time.tshark += t.tshark;
            time.ours += t.ours;
        }
    });
    let elapsed = start.elapsed();
    // Workers interleave files: list mismatches in file and frame order.
    total
        .mismatches
        .sort_by(|a, b| (&a.file, a.frame).cmp(&(&b.file, b.frame)));

    println!("{}", total.table());
    println!("first mismatches:\n{}", total.first_mismatches(30));
    println!(
        "{} Ethernet captures compared in {:.1} s over {THREADS} threads \
         (summed over threads: tshark {:.1} s, ours {:.1} s)",
        files.len(),
        elapsed.as_secs_f64(),
        time.tshark.as_secs_f64(),
        time.ours.as_secs_f64()
    );
    let errors = errors.into_inner().unwrap();
    assert!(
        errors.is_empty(),
        "captures that could not be compared:\n{}",
        errors.join("\n")
    );
    assert!(
        total.percent() >= THRESHOLD,
        "agreement with tshark {:.3} % < {THRESHOLD} %",
        total.percent()
    );
}
