//! The `ethernet` target: a whole frame, dissected as deep as it parses.
//!
//! Ethernet (and its VLAN tags) → ARP, or IPv4 → ICMPv4 | TCP | UDP → DHCP,
//! or IPv6 → extension headers → ICMPv6 | TCP | UDP; every layer that parses
//! is round-tripped by its own target's checks.

use std::hint::black_box;

use rstcp::wire::ethernet::{EtherType, EthernetFrame, EthernetRepr};

/// Fuzz body for a whole Ethernet frame.
pub fn ethernet(data: &[u8]) {
    // rstcp-dump's dissector and both renderings must survive any frame too,
    // including one the capture cut short (orig_len above the bytes present).
    use rstcp_dump::{dissect, json, text};
    for orig_len in [data.len(), data.len() + 100] {
        let len = u32::try_from(orig_len).unwrap_or(u32::MAX);
        let f = dissect::dissect(1, (0, 0), dissect::Link::Ethernet, data, len);
        black_box((json::to_json(&f).to_string(), text::to_text(&f)));
    }
    let Ok(frame) = EthernetFrame::new_checked(data) else {
        return;
    };
    let ethertype = frame.ethertype();
    black_box((
        frame.dst_addr(),
        frame.src_addr(),
        ethertype.is_vlan(),
        ethertype.is_length(),
        frame.header_len(),
        frame.payload(),
        frame.inner_ethertype().ok(),
        frame.tagged_header_len().ok(),
        frame.inner_payload().ok(),
    ));
    for tag in frame.vlan_tags() {
        black_box((tag, tag.tci()));
    }
    let Ok(repr) = EthernetRepr::parse(&frame) else {
        return;
    };
    let payload = frame
        .inner_payload()
        .expect("inner_payload fails on a frame EthernetRepr parsed");
    assert_eq!(
        frame.tagged_header_len(),
        Ok(repr.buffer_len()),
        "tagged_header_len vs EthernetRepr::buffer_len"
    );

    let mut buf = vec![0u8; repr.buffer_len() + payload.len()];
    let mut out = EthernetFrame::new_unchecked(&mut buf[..]);
    repr.emit(&mut out).expect("emit into buffer_len() bytes");
    out.inner_payload_mut()
        .expect("inner_payload_mut of an emitted frame")
        .copy_from_slice(payload);
    let again = EthernetFrame::new_checked(&buf[..]).expect("emitted frame passes check_len");
    assert_eq!(
        EthernetRepr::parse(&again),
        Ok(repr.clone()),
        "Ethernet round trip"
    );
    assert_eq!(
        again.inner_payload(),
        Ok(payload),
        "Ethernet payload round trip"
    );

    network(repr.ethertype, payload);
}

/// Dissects a network-layer packet by its EtherType.
pub(crate) fn network(ethertype: EtherType, payload: &[u8]) {
    match ethertype {
        EtherType::Arp => {
            super::arp::check(payload);
        }
        EtherType::Ipv4 => super::ipv4::dissect(payload),
        EtherType::Ipv6 => super::ipv6::dissect(payload),
        _ => {}
    }
}
