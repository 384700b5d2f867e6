//! The `ipv6` target: the fixed header, the extension-header chain (each
//! header's view and repr), then the ICMPv6, TCP or UDP payload.

use std::hint::black_box;

use rstcp::wire::ipv6::{Ipv6Packet, Ipv6Repr};
use rstcp::wire::ipv6ext::{
    walk, Ipv6AuthHeader, Ipv6AuthRepr, Ipv6ExtChain, Ipv6ExtView, Ipv6FragmentHeader,
    Ipv6FragmentRepr, Ipv6OptionsHeader, Ipv6OptionsIter, Ipv6OptionsRepr, Ipv6RoutingHeader,
    Ipv6RoutingRepr,
};
use rstcp::wire::IpProtocol;

/// Fuzz body for IPv6: the fixed-header round trip, the extension chain
/// (checked against [`walk`]) with a round trip of every header, then the
/// upper layer.
pub fn ipv6(data: &[u8]) {
    dissect(data);
}

/// Every accessor of a fixed-header view.
pub(crate) fn touch(packet: &Ipv6Packet<&[u8]>) {
    black_box((
        packet.version(),
        packet.traffic_class(),
        packet.dscp(),
        packet.ecn(),
        packet.flow_label(),
        packet.payload_len(),
        packet.total_len(),
        packet.next_header(),
        packet.hop_limit(),
        packet.src_addr(),
        packet.dst_addr(),
        packet.payload(),
    ));
}

/// Parses, round-trips and dissects one packet.
pub(crate) fn dissect(data: &[u8]) {
    let Ok(packet) = Ipv6Packet::new_checked(data) else {
        return;
    };
    touch(&packet);
    let Ok(repr) = Ipv6Repr::parse(&packet) else {
        return;
    };
    let payload = packet.payload();
    assert_eq!(
        payload.len(),
        usize::from(repr.payload_len),
        "IPv6 payload() vs payload_len"
    );
    round_trip(&repr, payload);

    let Some(upper) = chain(repr.next_header, payload) else {
        return;
    };
    let (src, dst) = (repr.src_addr, repr.dst_addr);
    match upper.0 {
        IpProtocol::Icmpv6 => super::icmpv6::check(&src, &dst, upper.1),
        IpProtocol::Tcp => super::tcp::check(src.into(), dst.into(), upper.1),
        IpProtocol::Udp => super::udp::check(src.into(), dst.into(), upper.1),
        _ => {}
    }
}

/// Emits the fixed header and `payload` into a zeroed buffer and parses back.
fn round_trip(repr: &Ipv6Repr, payload: &[u8]) {
    let mut buf = vec![0u8; repr.buffer_len() + payload.len()];
    let mut out = Ipv6Packet::new_unchecked(&mut buf[..]);
    repr.emit(&mut out);
    out.payload_mut().copy_from_slice(payload);
    let again = Ipv6Packet::new_checked(&buf[..]).expect("emitted IPv6 passes check_len");
    assert_eq!(Ipv6Repr::parse(&again), Ok(*repr), "IPv6 round trip");
    assert_eq!(again.payload(), payload, "IPv6 payload round trip");
}

/// Walks the extension headers after the fixed header, round-tripping each
/// one, and checks that [`walk`] summarises the same walk. Returns the upper
/// layer and its bytes when there is an upper-layer header to read.
pub(crate) fn chain(first: IpProtocol, payload: &[u8]) -> Option<(IpProtocol, &[u8])> {
    let mut chain = Ipv6ExtChain::new(first, payload);
    let mut kinds = Vec::new();
    let mut failed = false;
    for header in chain.by_ref() {
        let Ok(header) = header else {
            failed = true;
            continue;
        };
        assert_eq!(
            payload.get(header.offset..header.offset + header.length),
            Some(view_bytes(&header.view)),
            "extension header view is not its bytes in the packet"
        );
        kinds.push(header.kind);
        ext_header(&header.view);
    }
    black_box((
        chain.upper_offset(),
        chain.upper_payload(),
        chain.fragment(),
    ));
    let summary = walk(first, payload);
    if failed {
        assert!(summary.is_err(), "walk succeeds where the chain failed");
        return None;
    }
    let summary = summary.expect("walk fails where the chain succeeded");
    assert_eq!(summary.headers.as_slice(), kinds.as_slice(), "walk headers");
    assert_eq!(Some(summary.upper), chain.upper(), "walk upper");
    assert_eq!(
        summary.upper_offset,
        chain.upper_offset(),
        "walk upper_offset"
    );
    assert_eq!(summary.fragment, chain.fragment(), "walk fragment");
    assert_eq!(
        summary.upper_payload(payload),
        chain.upper_payload(),
        "walk upper_payload"
    );
    black_box(summary.is_non_first_fragment());
    summary
        .has_upper_header()
        .then(|| (summary.upper, summary.upper_payload(payload)))
}

/// The bytes a chain view wraps.
fn view_bytes<'a>(view: &Ipv6ExtView<'a>) -> &'a [u8] {
    match view.clone() {
        Ipv6ExtView::HopByHop(h) | Ipv6ExtView::DestOpts(h) => h.into_inner(),
        Ipv6ExtView::Routing(h) => h.into_inner(),
        Ipv6ExtView::Fragment(h) => h.into_inner(),
        Ipv6ExtView::Auth(h) => h.into_inner(),
    }
}

/// Every accessor and the repr round trip of one extension header.
fn ext_header(view: &Ipv6ExtView<'_>) {
    match view {
        Ipv6ExtView::HopByHop(h) | Ipv6ExtView::DestOpts(h) => options_header(h),
        Ipv6ExtView::Routing(h) => {
            black_box((
                h.next_header(),
                h.hdr_ext_len(),
                h.header_len(),
                h.routing_type(),
                h.segments_left(),
                h.data(),
                h.payload(),
            ));
            let Ok(repr) = Ipv6RoutingRepr::parse(h) else {
                return;
            };
            let mut buf = vec![0u8; repr.buffer_len()];
            repr.emit(&mut Ipv6RoutingHeader::new_unchecked(&mut buf[..]));
            let again = Ipv6RoutingHeader::new_checked(&buf[..]).expect("emitted routing header");
            assert_eq!(
                Ipv6RoutingRepr::parse(&again),
                Ok(repr),
                "routing round trip"
            );
        }
        Ipv6ExtView::Fragment(h) => {
            black_box((
                h.next_header(),
                h.frag_offset(),
                h.more_frags(),
                h.ident(),
                h.payload(),
            ));
            let Ok(repr) = Ipv6FragmentRepr::parse(h) else {
                return;
            };
            black_box(repr.is_atomic());
            let mut buf = vec![0u8; repr.buffer_len()];
            repr.emit(&mut Ipv6FragmentHeader::new_unchecked(&mut buf[..]));
            let again = Ipv6FragmentHeader::new_checked(&buf[..]).expect("emitted fragment header");
            assert_eq!(
                Ipv6FragmentRepr::parse(&again),
                Ok(repr),
                "fragment round trip"
            );
        }
        Ipv6ExtView::Auth(h) => {
            black_box((
                h.next_header(),
                h.payload_len(),
                h.header_len(),
                h.reserved(),
                h.spi(),
                h.seq_number(),
                h.icv(),
                h.payload(),
            ));
            let Ok(repr) = Ipv6AuthRepr::parse(h) else {
                return;
            };
            let mut buf = vec![0u8; repr.buffer_len()];
            repr.emit(&mut Ipv6AuthHeader::new_unchecked(&mut buf[..]));
            let again = Ipv6AuthHeader::new_checked(&buf[..]).expect("emitted auth header");
            assert_eq!(Ipv6AuthRepr::parse(&again), Ok(repr), "AH round trip");
        }
    }
}

/// A Hop-by-Hop or Destination Options header: accessors, every option
/// (each round-tripped on its own), then the repr round trip.
fn options_header(h: &Ipv6OptionsHeader<&[u8]>) {
    black_box((
        h.next_header(),
        h.hdr_ext_len(),
        h.header_len(),
        h.options(),
        h.payload(),
    ));
    for option in h.iter() {
        let Ok(option) = option else { continue };
        black_box(option.kind().failure_action());
        black_box(option.kind().may_change_en_route());
        let mut buf = vec![0u8; option.buffer_len()];
        assert_eq!(option.emit(&mut buf), Ok(buf.len()), "option emit length");
        assert_eq!(
            Ipv6OptionsIter::new(&buf).next(),
            Some(Ok(option)),
            "option round trip"
        );
    }
    let Ok(repr) = Ipv6OptionsRepr::parse(h) else {
        return;
    };
    assert!(repr.iter().eq(h.iter()), "repr and view options differ");
    let mut buf = vec![0u8; repr.buffer_len()];
    repr.emit(&mut Ipv6OptionsHeader::new_unchecked(&mut buf[..]));
    let again = Ipv6OptionsHeader::new_checked(&buf[..]).expect("emitted options header");
    assert_eq!(
        Ipv6OptionsRepr::parse(&again),
        Ok(repr),
        "options round trip"
    );
}
