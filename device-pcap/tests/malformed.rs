//! Damaged inputs: every one must give an error (never a panic) that points
//! at the right byte offset.

use rstcp_pcap::{CaptureReader, PcapError, PcapReader, PcapngReader, MAX_CAPLEN};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus/tcpdump");

/// A small real classic pcap (3 packets, 138 bytes).
const SMALL_PCAP: &str = "esis_snpa_asan.pcap";
/// A small real pcapng (SHB, IDB, 2 EPBs, 188 bytes).
const SMALL_PCAPNG: &str = "msnlb2.pcapng";

/// The file's bytes, or `None` (with a message) if the corpus is absent.
fn corpus_file(name: &str) -> Option<Vec<u8>> {
    let path = format!("{CORPUS}/{name}");
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true and {path} is unreadable: {e}");
            }
            eprintln!("SKIPPED: {path} is unreadable: {e}");
            None
        }
    }
}

/// Offsets of the packets read before the end, and the error that ended the
/// file, if any.
fn outcome(bytes: &[u8]) -> (Vec<u64>, Option<PcapError>) {
    let mut offsets = Vec::new();
    let mut r = match CaptureReader::new(bytes) {
        Ok(r) => r,
        Err(e) => return (offsets, Some(e)),
    };
    while let Some(p) = r.next_packet() {
        match p {
            Ok(p) => offsets.push(p.offset),
            Err(e) => return (offsets, Some(e)),
        }
    }
    (offsets, None)
}

fn truncated_at(e: &Option<PcapError>) -> Option<u64> {
    match e {
        Some(PcapError::Truncated { offset, .. }) => Some(*offset),
        _ => None,
    }
}

#[test]
fn pcap_truncated_at_every_offset() {
    let Some(file) = corpus_file(SMALL_PCAP) else {
        return;
    };
    let (records, err) = outcome(&file);
    assert!(err.is_none() && records.len() == 3, "{records:?} {err:?}");
    // Record i spans records[i] .. records[i + 1] (or the end of file).
    let mut ends: Vec<u64> = records[1..].to_vec();
    ends.push(file.len() as u64);
    for cut in 0..file.len() {
        let (got, err) = outcome(&file[..cut]);
        let cut = cut as u64;
        let complete: Vec<u64> = records
            .iter()
            .zip(&ends)
            .filter(|(_, &end)| end <= cut)
            .map(|(&start, _)| start)
            .collect();
        assert_eq!(got, complete, "cut at {cut}");
        if cut < 24 {
            assert_eq!(truncated_at(&err), Some(0), "cut at {cut}: {err:?}");
        } else if cut == 24 || ends.contains(&cut) {
            assert!(err.is_none(), "cut at {cut}: {err:?}");
        } else {
            let start = *records.iter().rev().find(|&&s| s < cut).unwrap();
            assert_eq!(truncated_at(&err), Some(start), "cut at {cut}: {err:?}");
            let msg = err.unwrap().to_string();
            assert!(msg.contains(&format!("offset {start}")), "{msg}");
        }
    }
}

/// `(start, is_packet)` of every block, walked independently of the reader.
fn pcapng_blocks(file: &[u8]) -> Vec<(u64, bool)> {
    let le = file[8..12] == [0x4d, 0x3c, 0x2b, 0x1a];
    let u32_at = |at: usize| {
        let b = [file[at], file[at + 1], file[at + 2], file[at + 3]];
        if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        }
    };
    let mut blocks = Vec::new();
    let mut at = 0;
    while at < file.len() {
        let btype = u32_at(at);
        blocks.push((at as u64, matches!(btype, 2 | 3 | 6)));
        at += u32_at(at + 4) as usize;
    }
    assert_eq!(at, file.len());
    blocks
}

#[test]
fn pcapng_truncated_at_every_offset() {
    let Some(file) = corpus_file(SMALL_PCAPNG) else {
        return;
    };
    let blocks = pcapng_blocks(&file);
    let mut ends: Vec<u64> = blocks[1..].iter().map(|b| b.0).collect();
    ends.push(file.len() as u64);
    let (all, err) = outcome(&file);
    assert!(err.is_none());
    assert_eq!(all.len(), blocks.iter().filter(|b| b.1).count());
    for cut in 0..file.len() {
        let (got, err) = outcome(&file[..cut]);
        let cut = cut as u64;
        let complete: Vec<u64> = blocks
            .iter()
            .zip(&ends)
            .filter(|((_, pkt), &end)| *pkt && end <= cut)
            .map(|((start, _), _)| *start)
            .collect();
        assert_eq!(got, complete, "cut at {cut}");
        if ends.contains(&cut) {
            assert!(err.is_none(), "cut at {cut}: {err:?}");
        } else {
            let start = blocks.iter().rev().find(|b| b.0 < cut).map_or(0, |b| b.0);
            assert_eq!(truncated_at(&err), Some(start), "cut at {cut}: {err:?}");
        }
    }
}

#[test]
fn bad_magic() {
    for bytes in [
        &b"Lice"[..],
        b"\x00\x00\x00\x00rest of the file",
        b"\xa1\xb2\xc3",
    ] {
        let (_, err) = outcome(bytes);
        match err {
            Some(PcapError::BadMagic { offset: 0, .. })
            | Some(PcapError::Truncated { offset: 0, .. }) => {}
            other => panic!("{other:?}"),
        }
    }
    let Some(file) = corpus_file(SMALL_PCAP) else {
        return;
    };
    // The format-specific readers refuse each other's files.
    let mut f = file.clone();
    f[0] ^= 0xff;
    assert!(matches!(
        PcapReader::new(&f[..]),
        Err(PcapError::BadMagic { offset: 0, .. })
    ));
    assert!(matches!(
        PcapngReader::new(&file[..]),
        Err(PcapError::BadMagic { offset: 0, .. })
    ));
    let msg = PcapReader::new(&f[..]).unwrap_err().to_string();
    assert!(msg.contains("offset 0"), "{msg}");
}

#[test]
fn huge_caplen() {
    let Some(file) = corpus_file(SMALL_PCAP) else {
        return;
    };
    assert_eq!(
        &file[..4],
        &[0xd4, 0xc3, 0xb2, 0xa1],
        "test assumes little-endian"
    );
    // Second record: find it, then make its caplen absurd.
    let (records, _) = outcome(&file);
    let second = records[1] as usize;
    for caplen in [MAX_CAPLEN + 1, u32::MAX] {
        let mut f = file.clone();
        f[second + 8..second + 12].copy_from_slice(&caplen.to_le_bytes());
        let (got, err) = outcome(&f);
        assert_eq!(got, records[..1]);
        match err {
            Some(PcapError::TooLarge { offset, len, .. }) => {
                assert_eq!((offset, len), (second as u64 + 8, caplen.into()));
            }
            other => panic!("{other:?}"),
        }
    }
    // A plausible caplen that runs past the end of the file.
    let mut f = file.clone();
    f[second + 8..second + 12].copy_from_slice(&5000u32.to_le_bytes());
    let (_, err) = outcome(&f);
    assert_eq!(truncated_at(&err), Some(second as u64));
}

#[test]
fn bad_block_lengths() {
    let Some(file) = corpus_file(SMALL_PCAPNG) else {
        return;
    };
    let blocks = pcapng_blocks(&file);
    assert_eq!(
        &file[8..12],
        &[0x4d, 0x3c, 0x2b, 0x1a],
        "test assumes little-endian"
    );
    let idb = blocks[1].0 as usize;
    let epb = blocks.iter().find(|b| b.1).unwrap().0 as usize;
    let len_at = |at: usize| u32::from_le_bytes(file[at + 4..at + 8].try_into().unwrap());
    let set = |f: &mut Vec<u8>, at: usize, v: u32| f[at..at + 4].copy_from_slice(&v.to_le_bytes());

    // Leading length: not a multiple of 4, below 12, too small for an EPB.
    for (bad, needle) in [
        (len_at(epb) + 2, "multiple of 4"),
        (4, "below 12"),
        (16, "too small"),
    ] {
        let mut f = file.clone();
        set(&mut f, epb + 4, bad);
        match outcome(&f).1 {
            Some(PcapError::Malformed { offset, what }) => {
                assert_eq!(offset, epb as u64 + 4);
                assert!(what.contains(needle), "{what}");
            }
            other => panic!("{bad}: {other:?}"),
        }
    }
    // Trailing copy differs.
    let mut f = file.clone();
    let trailer = epb + len_at(epb) as usize - 4;
    set(&mut f, trailer, len_at(epb) + 4);
    assert!(
        matches!(outcome(&f).1, Some(PcapError::Malformed { offset, .. }) if offset == trailer as u64)
    );
    // A length that runs past the end of the file.
    let mut f = file.clone();
    set(&mut f, epb + 4, 1 << 30);
    assert_eq!(truncated_at(&outcome(&f).1), Some(epb as u64));
    // The SHB's own length is checked too.
    let mut f = file.clone();
    set(&mut f, 4, 13);
    assert!(matches!(
        outcome(&f).1,
        Some(PcapError::Malformed { offset: 4, .. })
    ));
    // An EPB naming an interface that was never declared.
    let mut f = file.clone();
    set(&mut f, epb + 8, 3);
    match outcome(&f).1 {
        Some(
            e @ PcapError::UnknownInterface {
                interface_id: 3, ..
            },
        ) => {
            assert_eq!(e.offset(), Some(epb as u64));
            assert!(e.to_string().contains(&format!("offset {epb}")));
        }
        other => panic!("{other:?}"),
    }
    // An IDB turned into an unknown block type: the EPB's interface is gone.
    let mut f = file.clone();
    set(&mut f, idb, 0x0bad_0001);
    assert!(matches!(
        outcome(&f).1,
        Some(PcapError::UnknownInterface {
            interface_id: 0,
            ..
        })
    ));
    // An EPB whose captured length exceeds its block.
    let mut f = file.clone();
    set(&mut f, epb + 20, len_at(epb));
    assert!(
        matches!(outcome(&f).1, Some(PcapError::Malformed { offset, .. }) if offset == epb as u64 + 20)
    );
}

/// Deterministic garbage and bit flips of real files: errors are fine,
/// panics and hangs are not.
#[test]
fn mutations_never_panic() {
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for name in [SMALL_PCAP, SMALL_PCAPNG] {
        let Some(file) = corpus_file(name) else {
            return;
        };
        for _ in 0..20_000 {
            let mut f = file.clone();
            for _ in 0..1 + rand() % 4 {
                let i = (rand() % f.len() as u64) as usize;
                f[i] = rand() as u8;
            }
            let _ = outcome(&f);
        }
    }
}
