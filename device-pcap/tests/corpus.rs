//! The tcpdump test corpus, read end to end and compared with tshark.
//!
//! tshark (Wireshark's reader) is the reference: for every file it reads
//! without error, the packet count and each packet's original and captured
//! lengths and timestamp (to the nanosecond) must agree. Files it refuses (unknown link types, not a capture)
//! are still read here, to prove no input makes the reader panic.

use rstcp_pcap::{CaptureReader, PcapError};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus/tcpdump");

/// One packet as both sides report it: original length, captured length and
/// the timestamp as tshark prints `frame.time_epoch` (`secs.nanoseconds`).
type Record = (u32, u32, String);

/// Every packet read, and the error that ended the file early, if any.
type Lengths = (Vec<Record>, Option<PcapError>);

fn read_ours(path: &Path) -> Lengths {
    let mut lens = Vec::new();
    let mut r = match CaptureReader::open(path) {
        Ok(r) => r,
        Err(e) => return (lens, Some(e)),
    };
    while let Some(p) = r.next_packet() {
        match p {
            Ok(p) => {
                // Wireshark strips some link layers' pseudo-headers from both
                // lengths it reports; undo that so framing is what is compared.
                let strip = wiretap_pseudo_header_len(p.link_type.value());
                lens.push((
                    p.orig_len.saturating_sub(strip),
                    p.cap_len().saturating_sub(strip),
                    format!("{}.{:09}", p.timestamp.secs(), p.timestamp.nanos()),
                ))
            }
            Err(e) => return (lens, Some(e)),
        }
    }
    (lens, None)
}

/// Bytes of pseudo-header Wireshark's wiretap removes from the front of
/// packets of link type `lt` before it reports lengths.
fn wiretap_pseudo_header_len(lt: u32) -> u32 {
    match lt {
        // LINKTYPE_SUNATM: 4-byte flags/VPI/VCI header (wiretap's pcap-common.c).
        123 => 4,
        _ => 0,
    }
}

/// tshark prints `frame.time_epoch` as `secs.nanos` without carrying a
/// nanosecond field of a second or more (files with an out-of-range µs
/// field print `…370.1000000000`); carry it, as our `Timestamp` does.
fn normalize_epoch(s: &str) -> String {
    let parsed = s
        .split_once('.')
        .and_then(|(secs, nanos)| Some((secs.parse::<u64>().ok()?, nanos.parse::<u64>().ok()?)));
    match parsed {
        Some((secs, nanos)) => format!(
            "{}.{:09}",
            secs + nanos / 1_000_000_000,
            nanos % 1_000_000_000
        ),
        None => s.to_owned(),
    }
}

/// Files whose record timestamps tshark gets wrong, so only their lengths are
/// compared: their fraction field is far out of range (2^31 ns, or 2^32 / 1000
/// µs and more) and Wireshark's 32-bit nanosecond field wraps or goes
/// negative, where we carry whole seconds.
const TSHARK_TIMESTAMP_WRAPS: &[&str] = &[
    "atm-oam-loopback-print-overrun.pcap",
    "rx_serviceid_oobr.pcap",
    "timestamp_invalid_micro.pcap",
    "timestamp_invalid_nano.pcap",
];

/// tshark's view, or `None` if tshark could not read the file.
fn read_tshark(path: &Path) -> Option<Vec<Record>> {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(path)
        .args(["-T", "fields", "-e", "frame.len", "-e", "frame.cap_len"])
        .args(["-e", "frame.time_epoch"])
        .output()
        .expect("tshark was found before but cannot be run");
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).expect("tshark output is ASCII");
    let lens = text
        .lines()
        .map(|l| {
            let mut f = l.split('\t');
            let mut len = || f.next().unwrap().parse::<u32>().expect("a length");
            let (orig, cap) = (len(), len());
            (orig, cap, normalize_epoch(f.next().unwrap()))
        })
        .collect();
    Some(lens)
}

fn corpus_files() -> Option<Vec<PathBuf>> {
    let dir = std::fs::read_dir(CORPUS).ok()?;
    let mut files: Vec<PathBuf> = dir
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    Some(files)
}

/// Prints why a comparison is skipped; under `CI=true` a skip is a failure,
/// so that CI can never pass by not testing.
fn skip(why: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true and {why}");
    }
    eprintln!("SKIPPED: {why}");
}

#[test]
fn corpus_never_panics() {
    let Some(files) = corpus_files() else {
        return skip(&format!("the corpus directory {CORPUS} is missing"));
    };
    assert!(
        files.len() > 100,
        "corpus looks incomplete: {}",
        files.len()
    );
    let (mut packets, mut errors) = (0, 0);
    for f in &files {
        let (lens, err) = read_ours(f);
        packets += lens.len();
        errors += usize::from(err.is_some());
    }
    eprintln!(
        "read {} files: {packets} packets, {errors} files ended in an error",
        files.len()
    );
}

#[test]
fn corpus_agrees_with_tshark() {
    let Some(files) = corpus_files() else {
        return skip(&format!("the corpus directory {CORPUS} is missing"));
    };
    if Command::new("tshark").arg("--version").output().is_err() {
        return skip("tshark is not installed (apt-get install tshark)");
    }
    let next = AtomicUsize::new(0);
    let mismatches = Mutex::new(Vec::new());
    let compared_files = AtomicUsize::new(0);
    let compared_packets = AtomicUsize::new(0);
    let refused = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(f) = files.get(i) else { break };
                let name = f.file_name().unwrap().to_string_lossy().into_owned();
                let Some(theirs) = read_tshark(f) else {
                    refused.lock().unwrap().push(name);
                    continue;
                };
                let (mut ours, err) = read_ours(f);
                let mut theirs = theirs;
                if TSHARK_TIMESTAMP_WRAPS.contains(&name.as_str()) {
                    for r in ours.iter_mut().chain(theirs.iter_mut()) {
                        r.2.clear();
                    }
                }
                if let Some(e) = err {
                    mismatches
                        .lock()
                        .unwrap()
                        .push(format!("{name}: tshark reads it, we fail: {e}"));
                } else if ours != theirs {
                    let first = ours.iter().zip(&theirs).find(|(a, b)| a != b);
                    mismatches.lock().unwrap().push(format!(
                        "{name}: {} packets vs tshark's {}, first difference (ours, tshark's): {first:?}",
                        ours.len(),
                        theirs.len()
                    ));
                } else {
                    compared_files.fetch_add(1, Ordering::Relaxed);
                    compared_packets.fetch_add(ours.len(), Ordering::Relaxed);
                }
            });
        }
    });
    let mismatches = mismatches.into_inner().unwrap();
    let mut refused = refused.into_inner().unwrap();
    refused.sort();
    eprintln!(
        "tshark agreement: {} files / {} packets identical; {} files tshark refuses \
         (not compared): {refused:?}; {} mismatches",
        compared_files.into_inner(),
        compared_packets.into_inner(),
        refused.len(),
        mismatches.len()
    );
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}
