//! The `pcap` target: the input as a whole capture file (pcap or pcapng).

use rstcp_dump::{dump, Format};
use std::hint::black_box;
use std::io::Cursor;

use rstcp::wire::ethernet::EtherType;
use rstcp_pcap::{CaptureReader, LinkType};

/// The fewest bytes a record can take: a pcap record header is 16 bytes and
/// the smallest pcapng block (type and two lengths) 12. A reader that yields
/// more packets than this allows is looping without consuming input.
const MIN_RECORD_LEN: usize = 12;

/// Fuzz body for the capture readers: read every packet, touch every field,
/// and dissect the link types the tools support. Must not panic, loop, or
/// allocate without bound (libFuzzer's `-rss_limit_mb` catches the last).
pub fn pcap(data: &[u8]) {
    let Ok(mut reader) = CaptureReader::new(Cursor::new(data)) else {
        return;
    };
    black_box(reader.format());
    match &reader {
        CaptureReader::Pcap(r) => {
            black_box((r.header(), r.link_type()));
        }
        CaptureReader::Pcapng(r) => {
            black_box(r.is_big_endian());
            for interface in r.interfaces() {
                black_box(interface);
            }
        }
    }
    let mut count = 0usize;
    while let Some(packet) = reader.next_packet() {
        let Ok(packet) = packet else { break };
        count += 1;
        assert!(
            count * MIN_RECORD_LEN <= data.len(),
            "{count} packets from {} bytes",
            data.len()
        );
        let ts = packet.timestamp;
        black_box((ts.secs(), ts.nanos(), ts.as_duration()));
        black_box((packet.cap_len(), packet.is_truncated(), packet.offset));
        black_box((packet.interface_id, packet.orig_len));
        let link = packet.link_type;
        black_box((link.value(), link.is_supported()));
        assert_eq!(
            LinkType::from(link.value()),
            link,
            "link type number round trip"
        );
        link_layer(link, packet.data);
    }
    // The whole rstcp-dump path (reader, every link type, both renderings)
    // must end in Ok or a typed error, never a panic.
    for format in [Format::Text, Format::Json] {
        let _ = black_box(dump(data, format, &mut std::io::sink()));
    }
}

/// Dissects one captured packet by link type.
pub(crate) fn link_layer(link: LinkType, data: &[u8]) {
    match link {
        LinkType::Ethernet => super::ethernet(data),
        LinkType::Raw | LinkType::Ipv4 | LinkType::Ipv6 => match data.first().map(|b| b >> 4) {
            Some(4) => super::ethernet::network(EtherType::Ipv4, data),
            Some(6) => super::ethernet::network(EtherType::Ipv6, data),
            _ => {}
        },
        LinkType::LinuxSll => {
            // Linux cooked v1: 16-byte header, protocol type in the last 2.
            if let Some(header) = data.get(..16) {
                let ethertype = u16::from_be_bytes([header[14], header[15]]);
                super::ethernet::network(EtherType::from(ethertype), &data[16..]);
            }
        }
        _ => {}
    }
}
