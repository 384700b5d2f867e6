//! Writer → reader round trips: what is written is what is read back.

use rstcp_pcap::{
    CaptureFormat, CaptureReader, LinkType, PcapReader, PcapWriter, Timestamp, TimestampResolution,
};

/// Packets of assorted sizes (empty, small, full MTU, above the snaplen used
/// below) and timestamps with nanosecond detail.
fn sample() -> Vec<(Timestamp, Vec<u8>, u32)> {
    let sizes = [0usize, 1, 60, 1514, 9000, 64, 2000];
    sizes
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let data: Vec<u8> = (0..n).map(|j| (i * 31 + j) as u8).collect();
            let ts = Timestamp::new(
                1_700_000_000 + i as u64,
                123_456_789 * i as u32 % 1_000_000_000,
            );
            let orig = n as u32 + (i as u32 % 2) * 100;
            (ts, data, orig)
        })
        .collect()
}

fn round_trip(resolution: TimestampResolution) {
    let snaplen = 4096;
    let mut w = PcapWriter::new(Vec::new(), LinkType::Ethernet, snaplen, resolution).unwrap();
    for (ts, data, orig) in sample() {
        w.write_packet(ts, &data, orig).unwrap();
    }
    w.flush().unwrap();
    let file = w.into_inner();

    let mut r = CaptureReader::new(&file[..]).unwrap();
    assert_eq!(r.format(), CaptureFormat::Pcap);
    let mut n = 0;
    for (ts, data, orig) in sample() {
        let p = r.next_packet().unwrap().unwrap();
        let expected_ts = match resolution {
            TimestampResolution::Nanosecond => ts,
            TimestampResolution::Microsecond => Timestamp::new(ts.secs(), ts.nanos() / 1000 * 1000),
        };
        assert_eq!(p.timestamp, expected_ts);
        let cut = data.len().min(snaplen as usize);
        assert_eq!(p.data, &data[..cut]);
        assert_eq!(p.orig_len, orig);
        assert_eq!(p.link_type, LinkType::Ethernet);
        assert_eq!(p.is_truncated(), cut < orig as usize);
        n += 1;
    }
    assert!(r.next_packet().is_none());
    assert_eq!(n, sample().len());

    let r = PcapReader::new(&file[..]).unwrap();
    assert_eq!(r.header().resolution, resolution);
    assert_eq!(r.header().snaplen, snaplen);
    assert_eq!((r.header().version_major, r.header().version_minor), (2, 4));
}

#[test]
fn round_trip_microseconds() {
    round_trip(TimestampResolution::Microsecond);
}

#[test]
fn round_trip_nanoseconds() {
    round_trip(TimestampResolution::Nanosecond);
}

/// The reader lends one buffer: once it has grown to the largest packet,
/// every packet is in the same allocation (no allocation per packet).
#[test]
fn buffer_is_reused() {
    let mut w = PcapWriter::new(
        Vec::new(),
        LinkType::Raw,
        65535,
        TimestampResolution::Nanosecond,
    )
    .unwrap();
    for n in [1500usize, 60, 1500, 0, 700, 1499] {
        w.write_packet(Timestamp::new(1, 0), &vec![0x45; n], n as u32)
            .unwrap();
    }
    let file = w.into_inner();
    let mut r = PcapReader::new(&file[..]).unwrap();
    let first = r.next_packet().unwrap().unwrap().data.as_ptr();
    while let Some(p) = r.next_packet() {
        assert_eq!(p.unwrap().data.as_ptr(), first);
    }
}

/// A real capture copied through the writer reads back identical, and the
/// copy is byte-for-byte the original when that one is little-endian µs.
#[test]
fn corpus_file_copies_exactly() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/corpus/tcpdump/3560_CDP.pcap"
    );
    let Ok(original) = std::fs::read(path) else {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("CI=true and {path} is missing");
        }
        eprintln!("SKIPPED: {path} is missing");
        return;
    };
    let mut r = PcapReader::new(&original[..]).unwrap();
    let h = *r.header();
    let mut w = PcapWriter::new(Vec::new(), h.link_type, h.snaplen, h.resolution).unwrap();
    let mut n = 0;
    while let Some(p) = r.next_packet() {
        let p = p.unwrap();
        w.write_packet(p.timestamp, p.data, p.orig_len).unwrap();
        n += 1;
    }
    assert!(n > 0);
    assert_eq!(w.into_inner(), original);
}
