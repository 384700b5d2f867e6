//! `rstcp-dump` must never panic, whatever the file: every capture of the
//! shared corpus (830 real, truncated and deliberately malformed files, all
//! link types) goes through the dissector in both output formats.

use rstcp_dump::{dump, DumpError, Format};
use std::path::PathBuf;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus/tcpdump");

#[test]
fn dump_survives_every_corpus_file() {
    let dir = PathBuf::from(CORPUS);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        let why = format!("SKIPPED: corpus not found at {}", dir.display());
        assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
        eprintln!("{why}");
        return;
    };
    let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    files.sort();
    assert!(
        files.len() >= 800,
        "expected the tcpdump corpus, found {} files",
        files.len()
    );

    let (mut ok, mut unsupported, mut damaged, mut unreadable, mut frames) = (0, 0, 0, 0, 0u64);
    let mut panicked = Vec::new();
    for path in &files {
        let data = std::fs::read(path).expect("corpus file is readable");
        for format in [Format::Text, Format::Json] {
            let mut out = Vec::new();
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                dump(&data[..], format, &mut out)
            }));
            match result {
                Err(_) => panicked.push(path.display().to_string()),
                Ok(r) if format == Format::Json => match r {
                    Ok(n) => {
                        ok += 1;
                        frames += n;
                        // Every line is one JSON object with the frame number.
                        for (i, line) in String::from_utf8(out).unwrap().lines().enumerate() {
                            let v: serde_json::Value =
                                serde_json::from_str(line).unwrap_or_else(|e| {
                                    panic!("{}: bad JSON {e}: {line}", path.display())
                                });
                            assert_eq!(v["frame"], i as u64 + 1, "{}", path.display());
                        }
                    }
                    Err(DumpError::UnsupportedLinkType(_)) => unsupported += 1,
                    Err(DumpError::Read { frames: n, .. }) => {
                        damaged += 1;
                        frames += n;
                    }
                    Err(DumpError::Open(_)) => unreadable += 1,
                    Err(DumpError::Output(e)) => panic!("writing to a Vec failed: {e}"),
                },
                Ok(_) => {}
            }
        }
    }
    println!(
        "{} files: {ok} dumped, {damaged} damaged part way, {unsupported} unsupported link type, \
         {unreadable} unreadable; {frames} frames",
        files.len()
    );
    assert!(panicked.is_empty(), "rstcp-dump panicked on: {panicked:?}");
    // The corpus is mostly readable captures of supported link types: a
    // regression that refuses them wholesale must not pass silently.
    assert!(
        ok > files.len() / 2,
        "only {ok} of {} files dumped",
        files.len()
    );
}

#[test]
fn unreadable_and_unsupported_files_are_errors_not_panics() {
    let mut out = Vec::new();
    assert!(matches!(
        dump(&b"not a capture"[..], Format::Json, &mut out),
        Err(DumpError::Open(_))
    ));
    assert!(matches!(
        dump(&b""[..], Format::Text, &mut out),
        Err(DumpError::Open(_))
    ));
    // A valid pcap header with link type 105 (802.11) and one 1-byte record.
    let mut f = Vec::new();
    f.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    f.extend_from_slice(&2u16.to_le_bytes());
    f.extend_from_slice(&4u16.to_le_bytes());
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&65535u32.to_le_bytes());
    f.extend_from_slice(&105u32.to_le_bytes());
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&1u32.to_le_bytes());
    f.extend_from_slice(&1u32.to_le_bytes());
    f.push(0);
    let err = dump(&f[..], Format::Text, &mut out).unwrap_err();
    assert!(matches!(err, DumpError::UnsupportedLinkType(105)), "{err}");
    assert!(err.to_string().contains("unsupported link type 105"));
    assert!(out.is_empty(), "nothing is printed for an unsupported file");
}

#[test]
fn shipped_capture_dumps_the_http_session() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/captures/http-session.pcap"
    );
    let lines = rstcp_dump::json_lines(std::path::Path::new(path)).unwrap();
    assert_eq!(lines.len(), 10);
    let syn: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(syn["tcp"]["flags"], 0x02);
    assert_eq!(syn["tcp"]["options"]["mss"], 16396);
    assert_eq!(syn["tcp"]["options"]["wscale"], 2);
    assert_eq!(syn["tcp"]["options"]["sack_perm"], true);
    assert_eq!(
        syn["tcp"]["options"]["ts"],
        serde_json::json!([1306300950u32, 0])
    );
    assert_eq!(syn["ipv4"]["src"], "127.0.0.1");
    assert_eq!(syn["tcp"]["checksum_ok"], true);
    let fin: serde_json::Value = serde_json::from_str(&lines[7]).unwrap();
    assert_eq!(fin["tcp"]["flags"], 0x11, "FIN+ACK");
}
