//! Tests of the extension-header views, reprs and the chain walk, over
//! bytes of real packets.

use super::*;

// Each constant is the bytes after the 40-byte fixed header of a real
// packet (the fixed header's Next Header is named beside it).

/// tcpdump's `icmpv6.pcap`, MLDv2 report from fe80::215:17ff:fecc:e546 to
/// ff02::16. First header: Hop-by-Hop (Router Alert "MLD", PadN).
const HBH_MLD: [u8; 36] = [
    0x3a, 0x00, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00, // HBH: nh 58, len 0, RA 0, PadN 0
    0x8f, 0x00, 0x1f, 0xc5, 0x00, 0x00, 0x00, 0x01, // MLDv2 report, 1 record
    0x04, 0x00, 0x00, 0x00, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
    0x00, 0x00, 0x0d, 0xb8, 0x11, 0x22, 0x33, 0x44, // record for ff02::db8:1122:3344
];

/// Linux 6.x on `lo`: UDP to ::1 after a Destination Options header
/// (option 0x1e with data ab cd, then PadN). First header: DestOpts.
const DSTOPTS_UDP: [u8; 29] = [
    0x11, 0x00, 0x1e, 0x02, 0xab, 0xcd, 0x01, 0x00, // DestOpts: nh 17, len 0
    0xab, 0x0b, 0x27, 0x0e, 0x00, 0x15, 0x2d, 0x5f, // UDP
    b'h', b'e', b'l', b'l', b'o', b' ', b'd', b's', b't', b'o', b'p', b't', b's',
];

/// tcpdump's `ipv6-routing-header.pcap`, frame 1: an echo request with a
/// (deprecated) type 0 Routing header via 2200::210:2:0:0:4. First: Routing.
const RT0_ICMP: [u8; 32] = [
    0x3a, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, // nh 58, len 2, type 0, seg left 1
    0x22, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x10, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x04, //
    0x80, 0x00, 0xd3, 0xab, 0x00, 0x00, 0x00, 0x00, // echo request
];

/// tcpdump's `ipv6-srh-tlv-pad1-padn-5.pcap`: SRH (type 4), then No Next
/// Header. First: Routing.
const SRH_NONXT: [u8; 32] = [
    0x3b, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, // nh 59, len 3, type 4, seg left 0
    0xca, 0xfe, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x02, //
    0x00, 0x04, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, // Pad1 TLV, PadN TLV
];

/// tcpdump's `OSPFv3_with_AH.pcap`, frame 1: OSPFv3 Hello under AH
/// (SPI 0x100, seq 19, 96-bit ICV). First: AH.
const AH_OSPF: [u8; 60] = [
    0x59, 0x04, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    0x13, // AH: nh 89, len 4
    0x21, 0xd3, 0xa9, 0x5c, 0x5f, 0xfd, 0x4d, 0x18, 0x46, 0x22, 0xb9, 0xf8, // ICV
    0x03, 0x01, 0x00, 0x24, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x01, 0xfb, 0x86, 0x00,
    0x00, //
    0x00, 0x00, 0x00, 0x05, 0x01, 0x00, 0x00, 0x13, 0x00, 0x0a, 0x00, 0x28, 0x00, 0x00, 0x00,
    0x00, //
    0x00, 0x00, 0x00, 0x00, //
];

/// Linux 6.x on a 1280-MTU `lo`: the two fragments of a 2048-byte UDP
/// datagram (ident 0x7836663f), fragment headers and the start of the
/// data. The payload is bytes 0, 1, 2... in both; rebuilt by `fragment()`.
const FRAG1_HEAD: [u8; 16] = [
    0x11, 0x00, 0x00, 0x01, 0x78, 0x36, 0x66, 0x3f, // nh 17, offset 0, M
    0x85, 0x4a, 0x27, 0x0f, 0x08, 0x08, 0x41, 0x85, // UDP 34122 -> 9999, len 2056
];
const FRAG2_HEAD: [u8; 8] = [0x11, 0x00, 0x04, 0xd0, 0x78, 0x36, 0x66, 0x3f]; // offset 1232

/// A real fragment: payload_len 1240 (first) or 832 (second).
fn fragment(first: bool) -> ([u8; 1240], usize) {
    let mut buf = [0u8; 1240];
    if first {
        buf[..16].copy_from_slice(&FRAG1_HEAD);
        for (i, b) in buf[16..].iter_mut().enumerate() {
            *b = i as u8;
        }
        (buf, 1240)
    } else {
        buf[..8].copy_from_slice(&FRAG2_HEAD);
        for (i, b) in buf[8..832].iter_mut().enumerate() {
            *b = (1224 + i) as u8;
        }
        (buf, 832)
    }
}

fn options(bytes: &[u8]) -> heapless::Vec<Ipv6Option<'_>, 16> {
    Ipv6OptionsIter::new(bytes).map(|o| o.unwrap()).collect()
}

#[test]
fn hop_by_hop_router_alert() {
    let header = Ipv6OptionsHeader::new_checked(&HBH_MLD[..]).unwrap();
    assert_eq!(header.next_header(), IpProtocol::Icmpv6);
    assert_eq!(header.hdr_ext_len(), 0);
    assert_eq!(header.header_len(), 8);
    assert_eq!(header.options(), &HBH_MLD[2..8]);
    assert_eq!(header.payload(), &HBH_MLD[8..]);
    let opts = options(header.options());
    assert_eq!(
        &opts[..],
        &[
            Ipv6Option::Other {
                kind: Ipv6OptionType::RouterAlert,
                data: &[0, 0]
            },
            Ipv6Option::PadN(0)
        ]
    );
    let repr = Ipv6OptionsRepr::parse(&header).unwrap();
    assert_eq!(
        repr,
        Ipv6OptionsRepr {
            next_header: IpProtocol::Icmpv6,
            options: &HBH_MLD[2..8]
        }
    );
    assert_eq!(repr.iter().count(), 2);
    assert_eq!(repr.buffer_len(), 8);
    let mut out = [0xffu8; 8];
    repr.emit(&mut Ipv6OptionsHeader::new_unchecked(&mut out[..]));
    assert_eq!(out, HBH_MLD[..8]);
}

#[test]
fn destination_options_unknown_option() {
    let header = Ipv6OptionsHeader::new_checked(&DSTOPTS_UDP[..]).unwrap();
    assert_eq!(header.next_header(), IpProtocol::Udp);
    assert_eq!(header.header_len(), 8);
    let opts = options(header.options());
    assert_eq!(
        &opts[..],
        &[
            Ipv6Option::Other {
                kind: Ipv6OptionType::Unknown(0x1e),
                data: &[0xab, 0xcd]
            },
            Ipv6Option::PadN(0)
        ]
    );
    assert_eq!(
        opts[0].kind().failure_action(),
        Ipv6OptionFailureAction::Skip
    );
    assert!(!opts[0].kind().may_change_en_route());
    let repr = Ipv6OptionsRepr::parse(&header).unwrap();
    let mut out = [0u8; 8];
    repr.emit(&mut Ipv6OptionsHeader::new_unchecked(&mut out[..]));
    assert_eq!(out, DSTOPTS_UDP[..8]);
}

#[test]
fn option_type_bits() {
    use Ipv6OptionFailureAction::*;
    let cases = [
        (0x05, Skip, false),
        (0x3e, Skip, true),
        (0x40, Discard, false),
        (0x80, DiscardSendIcmp, false),
        (0xc2, DiscardSendIcmpUnlessMulticast, false),
        (0xff, DiscardSendIcmpUnlessMulticast, true),
    ];
    for (kind, action, change) in cases {
        let kind = Ipv6OptionType::from(kind);
        assert_eq!(
            (kind.failure_action(), kind.may_change_en_route()),
            (action, change),
            "{kind:?}"
        );
    }
    assert_eq!(Ipv6OptionType::from(0xc2), Ipv6OptionType::Jumbo);
}

#[test]
fn options_emit_pads_to_eight() {
    let mut opts = [0u8; 4];
    let n = Ipv6Option::Other {
        kind: Ipv6OptionType::RouterAlert,
        data: &[0, 0],
    }
    .emit(&mut opts)
    .unwrap();
    assert_eq!(n, 4);
    assert_eq!(Ipv6Option::Pad1.emit(&mut []), Err(Error::Truncated));
    let repr = Ipv6OptionsRepr {
        next_header: IpProtocol::Icmpv6,
        options: &opts,
    };
    assert_eq!(repr.buffer_len(), 8);
    let mut out = [0xffu8; 8];
    repr.emit(&mut Ipv6OptionsHeader::new_unchecked(&mut out[..]));
    assert_eq!(out, [0x3a, 0x00, 0x05, 0x02, 0x00, 0x00, 0x01, 0x00]);
    // Five bytes of options leave one byte: Pad1.
    let repr = Ipv6OptionsRepr {
        next_header: IpProtocol::Udp,
        options: &[0x1e, 0x03, 1, 2, 3],
    };
    let mut out = [0xffu8; 8];
    repr.emit(&mut Ipv6OptionsHeader::new_unchecked(&mut out[..]));
    assert_eq!(out, [0x11, 0x00, 0x1e, 0x03, 1, 2, 3, 0x00]);
    assert_eq!(
        Ipv6OptionsRepr::parse(&Ipv6OptionsHeader::new_checked(&out[..]).unwrap())
            .unwrap()
            .options,
        &out[2..]
    );
}

#[test]
fn bad_option_lengths() {
    // Router Alert claiming 7 data bytes in a 6-byte area.
    let bytes = [0x3a, 0x00, 0x05, 0x07, 0x00, 0x00, 0x00, 0x00];
    let header = Ipv6OptionsHeader::new_checked(&bytes[..]).unwrap();
    assert_eq!(
        Ipv6OptionsRepr::parse(&header),
        Err(Error::Malformed("option length"))
    );
    let mut iter = header.iter();
    assert_eq!(iter.next(), Some(Err(Error::Malformed("option length"))));
    assert_eq!(iter.next(), None);
    // A length byte missing at the very end.
    let bytes = [0x3a, 0x00, 0x01, 0x03, 0x00, 0x00, 0x00, 0x01];
    let header = Ipv6OptionsHeader::new_checked(&bytes[..]).unwrap();
    assert_eq!(
        Ipv6OptionsRepr::parse(&header),
        Err(Error::Malformed("option length"))
    );
    // Hdr Ext Len past the buffer.
    let mut bytes = HBH_MLD;
    bytes[1] = 5;
    assert_eq!(
        Ipv6OptionsHeader::new_checked(&bytes[..]),
        Err(Error::Truncated)
    );
    for len in 0..8 {
        assert_eq!(
            Ipv6OptionsHeader::new_checked(&HBH_MLD[..len]),
            Err(Error::Truncated)
        );
    }
}

#[test]
fn routing_type0_real() {
    let header = Ipv6RoutingHeader::new_checked(&RT0_ICMP[..]).unwrap();
    assert_eq!(header.next_header(), IpProtocol::Icmpv6);
    assert_eq!(header.hdr_ext_len(), 2);
    assert_eq!(header.header_len(), 24);
    assert_eq!(header.routing_type(), Ipv6RoutingType::Type0);
    assert_eq!(header.segments_left(), 1);
    assert_eq!(header.data(), &RT0_ICMP[4..24]);
    assert_eq!(header.payload(), &RT0_ICMP[24..]);
    let repr = Ipv6RoutingRepr::parse(&header).unwrap();
    assert_eq!(
        repr,
        Ipv6RoutingRepr {
            next_header: IpProtocol::Icmpv6,
            routing_type: Ipv6RoutingType::Type0,
            segments_left: 1,
            data: &RT0_ICMP[4..24],
        }
    );
    assert_eq!(repr.buffer_len(), 24);
    let mut out = [0xffu8; 24];
    repr.emit(&mut Ipv6RoutingHeader::new_unchecked(&mut out[..]));
    assert_eq!(out, RT0_ICMP[..24]);
    for len in 0..24 {
        assert_eq!(
            Ipv6RoutingHeader::new_checked(&RT0_ICMP[..len]),
            Err(Error::Truncated)
        );
    }
}

#[test]
fn routing_srh_real() {
    let header = Ipv6RoutingHeader::new_checked(&SRH_NONXT[..]).unwrap();
    assert_eq!(header.next_header(), IpProtocol::Ipv6NoNxt);
    assert_eq!(header.header_len(), 32);
    assert_eq!(header.routing_type(), Ipv6RoutingType::Srh);
    assert_eq!(header.segments_left(), 0);
    assert_eq!(header.payload(), &[] as &[u8]);
    let repr = Ipv6RoutingRepr::parse(&header).unwrap();
    let mut out = [0u8; 32];
    repr.emit(&mut Ipv6RoutingHeader::new_unchecked(&mut out[..]));
    assert_eq!(out, SRH_NONXT);
    // Data not ending on a multiple of 8 is zero-padded.
    let repr = Ipv6RoutingRepr {
        data: &[1, 2],
        ..repr
    };
    assert_eq!(repr.buffer_len(), 8);
    let mut out = [0xffu8; 8];
    repr.emit(&mut Ipv6RoutingHeader::new_unchecked(&mut out[..]));
    assert_eq!(out, [0x3b, 0x00, 0x04, 0x00, 1, 2, 0, 0]);
}

#[test]
fn fragment_headers_real() {
    let (first, len) = fragment(true);
    let header = Ipv6FragmentHeader::new_checked(&first[..len]).unwrap();
    assert_eq!(header.next_header(), IpProtocol::Udp);
    assert_eq!(header.frag_offset(), 0);
    assert!(header.more_frags());
    assert_eq!(header.ident(), 0x7836_663f);
    assert_eq!(header.payload().len(), 1232);
    let repr = Ipv6FragmentRepr::parse(&header).unwrap();
    assert_eq!(
        repr,
        Ipv6FragmentRepr {
            next_header: IpProtocol::Udp,
            frag_offset: 0,
            more_frags: true,
            ident: 0x7836_663f
        }
    );
    assert!(!repr.is_atomic());
    let mut out = [0xffu8; 8];
    repr.emit(&mut Ipv6FragmentHeader::new_unchecked(&mut out[..]));
    assert_eq!(out, FRAG1_HEAD[..8]);

    let (second, len) = fragment(false);
    let header = Ipv6FragmentHeader::new_checked(&second[..len]).unwrap();
    let repr = Ipv6FragmentRepr::parse(&header).unwrap();
    assert_eq!(
        repr,
        Ipv6FragmentRepr {
            next_header: IpProtocol::Udp,
            frag_offset: 1232,
            more_frags: false,
            ident: 0x7836_663f
        }
    );
    // 1232 + 824 data bytes = the 2056-byte UDP datagram.
    assert_eq!(usize::from(repr.frag_offset) + header.payload().len(), 2056);
    let mut out = [0u8; 8];
    repr.emit(&mut Ipv6FragmentHeader::new_unchecked(&mut out[..]));
    assert_eq!(out, FRAG2_HEAD);
    for len in 0..8 {
        assert_eq!(
            Ipv6FragmentHeader::new_checked(&FRAG2_HEAD[..len]),
            Err(Error::Truncated)
        );
    }
}

#[test]
fn fragment_reserved_bits_ignored_and_cleared() {
    let mut bytes = FRAG2_HEAD;
    bytes[1] = 0xff;
    bytes[3] |= 0b110;
    let repr =
        Ipv6FragmentRepr::parse(&Ipv6FragmentHeader::new_checked(&bytes[..]).unwrap()).unwrap();
    assert_eq!((repr.frag_offset, repr.more_frags), (1232, false));
    let mut out = bytes;
    repr.emit(&mut Ipv6FragmentHeader::new_unchecked(&mut out[..]));
    assert_eq!(out, FRAG2_HEAD);
}

#[test]
fn auth_header_real() {
    let header = Ipv6AuthHeader::new_checked(&AH_OSPF[..]).unwrap();
    assert_eq!(header.next_header(), IpProtocol::Unknown(89));
    assert_eq!(header.payload_len(), 4);
    assert_eq!(header.header_len(), 24);
    assert_eq!(header.reserved(), 0);
    assert_eq!(header.spi(), 0x100);
    assert_eq!(header.seq_number(), 19);
    assert_eq!(header.icv(), &AH_OSPF[12..24]);
    assert_eq!(header.payload(), &AH_OSPF[24..]);
    let repr = Ipv6AuthRepr::parse(&header).unwrap();
    assert_eq!(
        repr,
        Ipv6AuthRepr {
            next_header: IpProtocol::Unknown(89),
            spi: 0x100,
            seq_number: 19,
            icv: &AH_OSPF[12..24]
        }
    );
    assert_eq!(repr.buffer_len(), 24);
    let mut out = [0xffu8; 24];
    repr.emit(&mut Ipv6AuthHeader::new_unchecked(&mut out[..]));
    assert_eq!(out, AH_OSPF[..24]);
    for len in 0..24 {
        assert_eq!(
            Ipv6AuthHeader::new_checked(&AH_OSPF[..len]),
            Err(Error::Truncated)
        );
    }
}

#[test]
fn auth_header_bad_fields() {
    let mut bytes = AH_OSPF;
    bytes[1] = 0; // 8 bytes: shorter than the fixed part
    assert_eq!(
        Ipv6AuthHeader::new_checked(&bytes[..]),
        Err(Error::Malformed("ah payload len"))
    );
    bytes[1] = 3; // 20 bytes: not a multiple of 8 over IPv6
    let header = Ipv6AuthHeader::new_checked(&bytes[..]).unwrap();
    assert_eq!(
        Ipv6AuthRepr::parse(&header),
        Err(Error::Malformed("ah payload len"))
    );
    let mut bytes = AH_OSPF;
    bytes[4..8].copy_from_slice(&[0; 4]);
    let header = Ipv6AuthHeader::new_checked(&bytes[..]).unwrap();
    assert_eq!(
        Ipv6AuthRepr::parse(&header),
        Err(Error::Malformed("ah spi"))
    );
    bytes[1] = 200;
    assert_eq!(
        Ipv6AuthHeader::new_checked(&bytes[..]),
        Err(Error::Truncated)
    );
}

#[test]
fn walk_real_chains() {
    let w = walk(IpProtocol::HopByHop, &HBH_MLD).unwrap();
    assert_eq!(&w.headers[..], &[IpProtocol::HopByHop]);
    assert_eq!(
        (w.upper, w.upper_offset, w.fragment),
        (IpProtocol::Icmpv6, 8, None)
    );
    assert!(w.has_upper_header());
    assert_eq!(w.upper_payload(&HBH_MLD), &HBH_MLD[8..]);

    let w = walk(IpProtocol::Ipv6Opts, &DSTOPTS_UDP).unwrap();
    assert_eq!(&w.headers[..], &[IpProtocol::Ipv6Opts]);
    assert_eq!((w.upper, w.upper_offset), (IpProtocol::Udp, 8));

    let w = walk(IpProtocol::Ipv6Route, &RT0_ICMP).unwrap();
    assert_eq!(&w.headers[..], &[IpProtocol::Ipv6Route]);
    assert_eq!((w.upper, w.upper_offset), (IpProtocol::Icmpv6, 24));

    let w = walk(IpProtocol::Ipv6Route, &SRH_NONXT).unwrap();
    assert_eq!((w.upper, w.upper_offset), (IpProtocol::Ipv6NoNxt, 32));
    assert!(!w.has_upper_header());

    let w = walk(IpProtocol::Ah, &AH_OSPF).unwrap();
    assert_eq!(&w.headers[..], &[IpProtocol::Ah]);
    assert_eq!((w.upper, w.upper_offset), (IpProtocol::Unknown(89), 24));

    // No extension header at all.
    let w = walk(IpProtocol::Udp, &DSTOPTS_UDP[8..]).unwrap();
    assert!(w.headers.is_empty());
    assert_eq!((w.upper, w.upper_offset), (IpProtocol::Udp, 0));
}

#[test]
fn walk_fragments() {
    let (first, len) = fragment(true);
    let w = walk(IpProtocol::Ipv6Frag, &first[..len]).unwrap();
    assert_eq!(&w.headers[..], &[IpProtocol::Ipv6Frag]);
    assert_eq!((w.upper, w.upper_offset), (IpProtocol::Udp, 8));
    let frag = w.fragment.unwrap();
    assert_eq!(frag.header_offset, 0);
    assert_eq!((frag.repr.frag_offset, frag.repr.more_frags), (0, true));
    assert!(!w.is_non_first_fragment());
    assert!(w.has_upper_header());

    let (second, len) = fragment(false);
    let w = walk(IpProtocol::Ipv6Frag, &second[..len]).unwrap();
    assert_eq!((w.upper, w.upper_offset), (IpProtocol::Udp, 8));
    assert!(w.is_non_first_fragment());
    assert!(!w.has_upper_header());

    // A non-first fragment's data is not read as headers even when it
    // looks like one (a 0x00 Next Header would otherwise be an HBH).
    let mut buf = FRAG2_HEAD;
    buf[0] = 0; // next header: Hop-by-Hop, after a Fragment header
    let w = walk(IpProtocol::Ipv6Frag, &buf).unwrap();
    assert_eq!((w.upper, w.upper_offset), (IpProtocol::HopByHop, 8));
}

#[test]
fn chain_iterator_gives_views() {
    // HBH (MLD's) -> DestOpts -> Fragment (first) -> UDP, stitched from
    // the real headers above.
    let mut buf = [0u8; 32];
    buf[..8].copy_from_slice(&HBH_MLD[..8]);
    buf[0] = 60;
    buf[8..16].copy_from_slice(&DSTOPTS_UDP[..8]);
    buf[8] = 44;
    buf[16..32].copy_from_slice(&FRAG1_HEAD);
    let mut chain = Ipv6ExtChain::new(IpProtocol::HopByHop, &buf);
    let h = chain.next().unwrap().unwrap();
    assert_eq!((h.kind, h.offset, h.length), (IpProtocol::HopByHop, 0, 8));
    assert!(
        matches!(h.view, Ipv6ExtView::HopByHop(ref v) if v.next_header() == IpProtocol::Ipv6Opts)
    );
    assert_eq!(chain.upper(), None);
    let h = chain.next().unwrap().unwrap();
    assert_eq!((h.kind, h.offset, h.length), (IpProtocol::Ipv6Opts, 8, 8));
    assert!(matches!(h.view, Ipv6ExtView::DestOpts(_)));
    let h = chain.next().unwrap().unwrap();
    assert_eq!((h.kind, h.offset, h.length), (IpProtocol::Ipv6Frag, 16, 8));
    assert!(matches!(h.view, Ipv6ExtView::Fragment(ref v) if v.ident() == 0x7836_663f));
    assert!(chain.next().is_none());
    assert!(chain.next().is_none());
    assert_eq!(chain.upper(), Some(IpProtocol::Udp));
    assert_eq!(chain.upper_offset(), 24);
    assert_eq!(chain.upper_payload(), &FRAG1_HEAD[8..]);
    assert_eq!(chain.fragment().unwrap().header_offset, 16);
    let w = walk(IpProtocol::HopByHop, &buf).unwrap();
    assert_eq!(
        &w.headers[..],
        &[
            IpProtocol::HopByHop,
            IpProtocol::Ipv6Opts,
            IpProtocol::Ipv6Frag
        ]
    );
}

#[test]
fn walk_stops_at_esp() {
    let mut buf = [0u8; 24];
    buf[..8].copy_from_slice(&DSTOPTS_UDP[..8]);
    buf[0] = 50;
    let w = walk(IpProtocol::Ipv6Opts, &buf).unwrap();
    assert_eq!((w.upper, w.upper_offset), (IpProtocol::Esp, 8));
    assert!(!w.has_upper_header());
}

#[test]
fn walk_rejects_late_hop_by_hop() {
    let mut buf = [0u8; 16];
    buf[..8].copy_from_slice(&DSTOPTS_UDP[..8]);
    buf[0] = 0;
    buf[8..].copy_from_slice(&HBH_MLD[..8]);
    assert_eq!(
        walk(IpProtocol::Ipv6Opts, &buf),
        Err(Error::Malformed("hop-by-hop not first"))
    );
    let mut chain = Ipv6ExtChain::new(IpProtocol::Ipv6Opts, &buf);
    assert!(chain.next().unwrap().is_ok());
    assert_eq!(
        chain.next().unwrap().unwrap_err(),
        Error::Malformed("hop-by-hop not first")
    );
    assert!(chain.next().is_none());
    assert_eq!(chain.upper(), None);
}

/// `n` Destination Options headers, then UDP.
fn dstopts_chain(n: usize) -> [u8; 80] {
    let mut buf = [0u8; 80];
    for i in 0..n {
        buf[i * 8..i * 8 + 8].copy_from_slice(&DSTOPTS_UDP[..8]);
        buf[i * 8] = if i + 1 == n { 17 } else { 60 };
    }
    buf
}

#[test]
fn walk_header_bound() {
    let buf = dstopts_chain(MAX_EXT_HEADERS);
    let w = walk(IpProtocol::Ipv6Opts, &buf).unwrap();
    assert_eq!(w.headers.len(), MAX_EXT_HEADERS);
    assert_eq!((w.upper, w.upper_offset), (IpProtocol::Udp, 64));
    let buf = dstopts_chain(MAX_EXT_HEADERS + 1);
    assert_eq!(
        walk(IpProtocol::Ipv6Opts, &buf),
        Err(Error::Malformed("too many extension headers"))
    );
}

#[test]
fn walk_every_truncation() {
    let (first, _) = fragment(true);
    let cases: [(IpProtocol, &[u8], usize); 6] = [
        (IpProtocol::HopByHop, &HBH_MLD, 8),
        (IpProtocol::Ipv6Opts, &DSTOPTS_UDP, 8),
        (IpProtocol::Ipv6Route, &RT0_ICMP, 24),
        (IpProtocol::Ipv6Route, &SRH_NONXT, 32),
        (IpProtocol::Ah, &AH_OSPF, 24),
        (IpProtocol::Ipv6Frag, &first[..16], 8),
    ];
    for (first, bytes, ext_len) in cases {
        for len in 0..bytes.len() {
            let result = walk(first, &bytes[..len]);
            if len < ext_len {
                assert_eq!(result, Err(Error::Truncated), "{first} len {len}");
            } else {
                // The upper layer is not the walk's business.
                assert_eq!(result.unwrap().upper_offset, ext_len);
            }
        }
    }
}

/// Parse the repr of `view`, emit it into a fresh buffer, parse again.
fn round_trip(view: &Ipv6ExtView<'_>) {
    let mut out = [0u8; 2048];
    match view {
        Ipv6ExtView::HopByHop(h) | Ipv6ExtView::DestOpts(h) => {
            let _ = (
                h.next_header(),
                h.header_len(),
                h.options(),
                h.payload(),
                h.iter().count(),
            );
            if let Ok(repr) = Ipv6OptionsRepr::parse(h) {
                let out = &mut out[..repr.buffer_len()];
                repr.emit(&mut Ipv6OptionsHeader::new_unchecked(&mut *out));
                assert_eq!(
                    Ipv6OptionsRepr::parse(&Ipv6OptionsHeader::new_checked(&*out).unwrap()),
                    Ok(repr)
                );
            }
        }
        Ipv6ExtView::Routing(h) => {
            let _ = (
                h.next_header(),
                h.header_len(),
                h.routing_type(),
                h.segments_left(),
                h.data(),
            );
            if let Ok(repr) = Ipv6RoutingRepr::parse(h) {
                let out = &mut out[..repr.buffer_len()];
                repr.emit(&mut Ipv6RoutingHeader::new_unchecked(&mut *out));
                assert_eq!(
                    Ipv6RoutingRepr::parse(&Ipv6RoutingHeader::new_checked(&*out).unwrap()),
                    Ok(repr)
                );
            }
        }
        Ipv6ExtView::Fragment(h) => {
            let _ = (
                h.next_header(),
                h.frag_offset(),
                h.more_frags(),
                h.ident(),
                h.payload(),
            );
            if let Ok(repr) = Ipv6FragmentRepr::parse(h) {
                let out = &mut out[..repr.buffer_len()];
                repr.emit(&mut Ipv6FragmentHeader::new_unchecked(&mut *out));
                assert_eq!(
                    Ipv6FragmentRepr::parse(&Ipv6FragmentHeader::new_checked(&*out).unwrap()),
                    Ok(repr)
                );
            }
        }
        Ipv6ExtView::Auth(h) => {
            let _ = (
                h.next_header(),
                h.header_len(),
                h.spi(),
                h.seq_number(),
                h.icv(),
                h.payload(),
            );
            if let Ok(repr) = Ipv6AuthRepr::parse(h) {
                let out = &mut out[..repr.buffer_len()];
                repr.emit(&mut Ipv6AuthHeader::new_unchecked(&mut *out));
                assert_eq!(
                    Ipv6AuthRepr::parse(&Ipv6AuthHeader::new_checked(&*out).unwrap()),
                    Ok(repr)
                );
            }
        }
    }
}

fn check_no_panic(first: IpProtocol, bytes: &[u8]) {
    let mut chain = Ipv6ExtChain::new(first, bytes);
    let mut n = 0;
    for header in chain.by_ref() {
        n += 1;
        assert!(n <= MAX_EXT_HEADERS + 1);
        if let Ok(header) = header {
            assert!(header.offset + header.length <= bytes.len());
            round_trip(&header.view);
        }
    }
    assert!(chain.upper_offset() <= bytes.len());
    let _ = (chain.upper(), chain.upper_payload(), walk(first, bytes));
    // Each view on its own, over the whole buffer.
    if let Ok(h) = Ipv6OptionsHeader::new_checked(bytes) {
        round_trip(&Ipv6ExtView::DestOpts(h));
    }
    if let Ok(h) = Ipv6RoutingHeader::new_checked(bytes) {
        round_trip(&Ipv6ExtView::Routing(h));
    }
    if let Ok(h) = Ipv6FragmentHeader::new_checked(bytes) {
        round_trip(&Ipv6ExtView::Fragment(h));
    }
    if let Ok(h) = Ipv6AuthHeader::new_checked(bytes) {
        round_trip(&Ipv6ExtView::Auth(h));
    }
}

#[test]
fn never_panics_and_round_trips() {
    let (first, _) = fragment(true);
    let (second, _) = fragment(false);
    let chain = dstopts_chain(MAX_EXT_HEADERS);
    let cases: [(IpProtocol, &[u8]); 9] = [
        (IpProtocol::HopByHop, &HBH_MLD),
        (IpProtocol::Ipv6Opts, &DSTOPTS_UDP),
        (IpProtocol::Ipv6Route, &RT0_ICMP),
        (IpProtocol::Ipv6Route, &SRH_NONXT),
        (IpProtocol::Ah, &AH_OSPF),
        (IpProtocol::Ipv6Frag, &first[..40]),
        (IpProtocol::Ipv6Frag, &second[..40]),
        (IpProtocol::Ipv6Opts, &chain),
        (IpProtocol::Ipv6Opts, &chain[..70]),
    ];
    for (first, bytes) in cases {
        for len in 0..=bytes.len() {
            check_no_panic(first, &bytes[..len]);
        }
        let mut buf = [0u8; 80];
        let buf = &mut buf[..bytes.len()];
        for i in 0..bytes.len() {
            for value in [0x00, bytes[i] ^ 0xff, 0x3c, 0x00] {
                buf.copy_from_slice(bytes);
                buf[i] = value;
                check_no_panic(first, buf);
                for kind in [
                    IpProtocol::HopByHop,
                    IpProtocol::Ipv6Route,
                    IpProtocol::Ipv6Frag,
                    IpProtocol::Ah,
                ] {
                    check_no_panic(kind, buf);
                }
            }
        }
    }
}
