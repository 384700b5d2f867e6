//! Captured NDP messages and options parsed and emitted back; bad options,
//! semantic checks, truncations and mutations.

extern crate std;
use super::*;
use crate::wire::icmpv6::tests::{addr, fuzz_one, hex};
use crate::wire::icmpv6::Icmpv6Repr;
use crate::wire::ChecksumMode;

/// Router Advertisement from icmpv6.pcap: prefix, RDNSS, DNSSL, MTU,
/// SLLA, advertisement interval and home agent options.
const RA: [u8; 176] = hex(concat!(
    "860024014020000f0000000000000000030448c000278d0000093a800000000022223333",
    "4444555566000000000000001905000000000005abcd000000000000000000000000efef",
    "123456780000000000000000000000011f07000000000005076578616d706c6503636f6d",
    "00076578616d706c65036f72670004646f6d3104646f6d3203746c640000000000000000",
    "05010000000000640101b09928c8d66c070100000000138808010000c351000f"
));
const RA_SRC: &str = "fe80::b299:28ff:fec8:d66c";
const RA_DST: &str = "ff02::1";

/// Duplicate Address Detection probe with a Nonce option (RFC 7527) from
/// icmpv6-ns-nonce.pcap, sent from the unspecified address.
const NS: [u8; 32] = hex("8700566e00000000fe80000000000000546ff7fffee1000f0e016069604c0aaa");
const NS_SRC: &str = "::";
const NS_DST: &str = "ff02::1:ffe1:f";

/// Router Solicitation with a Source Link-Layer Address, from dcb_ets.pcap.
const RS: [u8; 16] = hex("85004b9800000000010108002746e884");
const RS_SRC: &str = "fe80::a00:27ff:fe46:e884";
const RS_DST: &str = "ff02::2";

fn parse<'a>(src: &str, dst: &str, bytes: &'a [u8]) -> Result<NdiscRepr<'a>> {
    let p = Icmpv6Packet::new_checked(bytes)?;
    match Icmpv6Repr::parse(&addr(src), &addr(dst), &p, ChecksumMode::Check)? {
        Icmpv6Repr::Ndisc(n) => Ok(n),
        other => panic!("not ndisc: {other:?}"),
    }
}

fn round_trip(src: &str, dst: &str, repr: &NdiscRepr<'_>, expect: &[u8]) {
    let mut buf = [0u8; 512];
    let buf = &mut buf[..repr.buffer_len()];
    Icmpv6Repr::Ndisc(*repr).emit(
        &addr(src),
        &addr(dst),
        &mut Icmpv6Packet::new_unchecked(&mut *buf),
        ChecksumMode::Check,
    );
    assert_eq!(&*buf, expect);
}

#[test]
fn real_router_advert() {
    let p = Icmpv6Packet::new_checked(&RA[..]).unwrap();
    assert_eq!(p.msg_type(), Icmpv6Message::RouterAdvert);
    assert_eq!(p.checksum(), 0x2401);
    assert!(p.verify_checksum(&addr(RA_SRC), &addr(RA_DST)));
    assert_eq!(p.current_hop_limit(), 64);
    assert_eq!(p.router_flags(), RouterFlags::HOME_AGENT);
    assert_eq!(p.router_lifetime(), 15);
    assert_eq!(p.ndisc_options(), &RA[16..]);
    let repr = parse(RA_SRC, RA_DST, &RA).unwrap();
    let mac = EthernetAddress([0xb0, 0x99, 0x28, 0xc8, 0xd6, 0x6c]);
    assert_eq!(
        repr,
        NdiscRepr::RouterAdvert {
            hop_limit: 64,
            flags: RouterFlags::HOME_AGENT,
            router_lifetime: 15,
            reachable_time: 0,
            retrans_time: 0,
            lladdr: Some(mac),
            mtu: Some(100),
            options: &RA[16..],
        }
    );
    let prefix = PrefixInformation {
        prefix_len: 72,
        flags: PrefixInfoFlags::ON_LINK | PrefixInfoFlags::AUTONOMOUS,
        valid_lifetime: 2_592_000,
        preferred_lifetime: 604_800,
        prefix: addr("2222:3333:4444:5555:6600::"),
    };
    assert!(repr.prefix_info().eq([prefix]));
    let rdnss = repr.rdnss().next().unwrap();
    assert_eq!(rdnss.lifetime, 5);
    assert!(rdnss
        .servers()
        .eq([addr("abcd::efef"), addr("1234:5678::1")]));
    assert_eq!(repr.rdnss().count(), 1);
    let mut opts = repr.option_iter().map(|o| o.unwrap());
    assert_eq!(opts.next(), Some(NdiscOption::PrefixInformation(prefix)));
    assert_eq!(opts.next(), Some(NdiscOption::Rdnss(rdnss)));
    // DNSSL (RFC 8106 §5.2): lifetime 5, three names, zero padding.
    let dnssl = repr.dnssl().next().unwrap();
    assert_eq!(opts.next(), Some(NdiscOption::Dnssl(dnssl)));
    assert_eq!(dnssl.lifetime, 5);
    let names: std::vec::Vec<std::string::String> = dnssl
        .domains()
        .map(|d| std::format!("{}", d.unwrap()))
        .collect();
    assert_eq!(names, ["example.com", "example.org", "dom1.dom2.tld"]);
    assert_eq!(opts.next(), Some(NdiscOption::Mtu(100)));
    assert_eq!(opts.next(), Some(NdiscOption::SourceLinkLayerAddr(mac)));
    assert!(matches!(
        opts.next(),
        Some(NdiscOption::Unknown { kind: 7, .. })
    ));
    assert!(matches!(
        opts.next(),
        Some(NdiscOption::Unknown { kind: 8, .. })
    ));
    assert_eq!(opts.next(), None);
    round_trip(RA_SRC, RA_DST, &repr, &RA);
}

#[test]
fn real_neighbor_solicit_with_nonce() {
    let p = Icmpv6Packet::new_checked(&NS[..]).unwrap();
    assert_eq!(p.target_addr(), addr("fe80::546f:f7ff:fee1:f"));
    assert_eq!(p.checksum(), 0x566e);
    let repr = parse(NS_SRC, NS_DST, &NS).unwrap();
    assert_eq!(
        repr,
        NdiscRepr::NeighborSolicit {
            target_addr: addr("fe80::546f:f7ff:fee1:f"),
            lladdr: None,
            nonce: Some([0x60, 0x69, 0x60, 0x4c, 0x0a, 0xaa]),
            options: &NS[24..],
        }
    );
    round_trip(NS_SRC, NS_DST, &repr, &NS);
    // Built from scratch (no raw options): the nonce is emitted as an option.
    let fresh = NdiscRepr::NeighborSolicit {
        target_addr: addr("fe80::546f:f7ff:fee1:f"),
        lladdr: None,
        nonce: Some([0x60, 0x69, 0x60, 0x4c, 0x0a, 0xaa]),
        options: &[],
    };
    assert_eq!(fresh.buffer_len(), 32);
    round_trip(NS_SRC, NS_DST, &fresh, &NS);
}

#[test]
fn real_router_solicit() {
    let repr = parse(RS_SRC, RS_DST, &RS).unwrap();
    let mac = EthernetAddress([0x08, 0x00, 0x27, 0x46, 0xe8, 0x84]);
    assert_eq!(
        repr,
        NdiscRepr::RouterSolicit {
            lladdr: Some(mac),
            options: &RS[8..],
        }
    );
    round_trip(RS_SRC, RS_DST, &repr, &RS);
    let fresh = NdiscRepr::RouterSolicit {
        lladdr: Some(mac),
        options: &[],
    };
    round_trip(RS_SRC, RS_DST, &fresh, &RS);
}

#[test]
fn emit_neighbor_advert_and_redirect() {
    let na = NdiscRepr::NeighborAdvert {
        flags: NeighborFlags::SOLICITED | NeighborFlags::OVERRIDE,
        target_addr: addr("fe80::1"),
        lladdr: Some(EthernetAddress([2, 0, 0, 0, 0, 1])),
        options: &[],
    };
    let mut buf = [0u8; 32];
    assert_eq!(na.buffer_len(), 32);
    na.emit(&mut Icmpv6Packet::new_unchecked(&mut buf[..]));
    // RFC 4861 §4.4 layout, checksum left at zero.
    let expect: [u8; 32] = hex(concat!(
        "8800000060000000fe800000000000000000000000000001",
        "0201020000000001"
    ));
    assert_eq!(buf, expect);
    let (s, d) = (addr("fe80::1"), addr("fe80::2"));
    let mut p = Icmpv6Packet::new_unchecked(&mut buf[..]);
    p.fill_checksum(&s, &d);
    let p = Icmpv6Packet::new_checked(&buf[..]).unwrap();
    let back = NdiscRepr::parse(&p).unwrap();
    assert_eq!(
        back,
        NdiscRepr::NeighborAdvert {
            flags: NeighborFlags::SOLICITED | NeighborFlags::OVERRIDE,
            target_addr: addr("fe80::1"),
            lladdr: Some(EthernetAddress([2, 0, 0, 0, 0, 1])),
            options: &expect[24..],
        }
    );
    assert_eq!(
        p.neighbor_flags(),
        NeighborFlags::SOLICITED | NeighborFlags::OVERRIDE
    );

    let quoted = [0x60u8, 0, 0, 0, 0, 8, 17, 64, 1, 2, 3, 4, 5, 6, 7, 8];
    let redirect = NdiscRepr::Redirect {
        target_addr: addr("fe80::99"),
        dest_addr: addr("2001:db8::7"),
        lladdr: Some(EthernetAddress([2, 0, 0, 0, 0, 0x99])),
        redirected_hdr: Some(&quoted),
        options: &[],
    };
    assert_eq!(redirect.buffer_len(), 40 + 8 + 8 + 16);
    let mut buf = [0u8; 72];
    Icmpv6Repr::Ndisc(redirect).emit(
        &s,
        &d,
        &mut Icmpv6Packet::new_unchecked(&mut buf[..]),
        ChecksumMode::Check,
    );
    assert_eq!(&buf[48..50], &[4, 3]);
    assert_eq!(&buf[56..72], &quoted);
    let p = Icmpv6Packet::new_checked(&buf[..]).unwrap();
    let back = Icmpv6Repr::parse(&s, &d, &p, ChecksumMode::Check).unwrap();
    assert_eq!(
        back,
        Icmpv6Repr::Ndisc(NdiscRepr::Redirect {
            target_addr: addr("fe80::99"),
            dest_addr: addr("2001:db8::7"),
            lladdr: Some(EthernetAddress([2, 0, 0, 0, 0, 0x99])),
            redirected_hdr: Some(&quoted),
            options: &buf[40..],
        })
    );
}

#[test]
fn option_emit_matches_parse() {
    let opts = [
        NdiscOption::Mtu(1500),
        NdiscOption::TargetLinkLayerAddr(EthernetAddress([1, 2, 3, 4, 5, 6])),
        NdiscOption::PrefixInformation(PrefixInformation {
            prefix_len: 64,
            flags: PrefixInfoFlags::ON_LINK,
            valid_lifetime: u32::MAX,
            preferred_lifetime: 0,
            prefix: addr("2001:db8::"),
        }),
        NdiscOption::Rdnss(Rdnss {
            lifetime: 600,
            addresses: &[7; 32],
        }),
        NdiscOption::Nonce(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]),
        NdiscOption::Unknown {
            kind: 200,
            data: &[9; 6],
        },
    ];
    for opt in opts {
        let mut buf = [0xeeu8; 64];
        let len = opt.buffer_len();
        opt.emit(&mut buf[..len]);
        let (back, rest) = NdiscOption::parse(&buf[..len]).unwrap();
        assert_eq!(back, opt);
        assert!(rest.is_empty());
    }
}

#[test]
fn bad_options() {
    let (s, d) = (addr(RS_SRC), addr(RS_DST));
    let mut bufs = [[0u8; 40]; 8];
    let mut bufs = bufs.iter_mut();
    let mut with = |opt: &[u8]| {
        let buf = bufs.next().unwrap();
        buf[0] = 133;
        buf[8..8 + opt.len()].copy_from_slice(opt);
        let buf = &mut buf[..8 + opt.len()];
        Icmpv6Packet::new_unchecked(&mut *buf).fill_checksum(&s, &d);
        let p = Icmpv6Packet::new_checked(&*buf)?;
        match Icmpv6Repr::parse(&s, &d, &p, ChecksumMode::Check)? {
            Icmpv6Repr::Ndisc(n) => Ok(n),
            _ => unreachable!(),
        }
    };
    // RFC 4861 §4.6: length 0 is invalid.
    assert_eq!(
        with(&[1, 0, 0, 0, 0, 0, 0, 0]),
        Err(Error::Malformed("ndisc option length"))
    );
    // A length past the end of the message.
    assert_eq!(with(&[1, 2, 0, 0, 0, 0, 0, 0]), Err(Error::Truncated));
    // A partial option header.
    assert_eq!(with(&[1]), Err(Error::Truncated));
    assert_eq!(
        with(&[5, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        Err(Error::Malformed("mtu option length"))
    );
    assert_eq!(
        with(&[3, 1, 0, 0, 0, 0, 0, 0]),
        Err(Error::Malformed("prefix information length"))
    );
    assert_eq!(
        with(&[25, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        Err(Error::Malformed("rdnss option length"))
    );
    // A 16-byte link-layer address (another link type) is kept, not decoded.
    let n = with(&[1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).unwrap();
    assert_eq!(
        n,
        NdiscRepr::RouterSolicit {
            lladdr: None,
            options: &[1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        }
    );
}

#[test]
fn semantic_checks() {
    let (s, d) = (addr(NS_SRC), addr(NS_DST));
    let mut ns = NS;
    ns[1] = 1;
    let p = Icmpv6Packet::new_checked(&ns[..]).unwrap();
    assert_eq!(NdiscRepr::parse(&p), Err(Error::Malformed("ndisc code")));
    let mut ns = NS;
    ns[8] = 0xff;
    let p = Icmpv6Packet::new_checked(&ns[..]).unwrap();
    assert_eq!(
        NdiscRepr::parse(&p),
        Err(Error::Malformed("ndisc target address"))
    );
    let mut ns = NS;
    ns[31] ^= 1;
    let p = Icmpv6Packet::new_checked(&ns[..]).unwrap();
    assert_eq!(
        Icmpv6Repr::parse(&s, &d, &p, ChecksumMode::Check),
        Err(Error::Checksum)
    );
}

#[test]
fn every_truncation_of_the_router_advert() {
    let (s, d) = (addr(RA_SRC), addr(RA_DST));
    let boundaries = [16, 48, 88, 144, 152, 160, 168, 176];
    for len in 0..=RA.len() {
        let res = Icmpv6Packet::new_checked(&RA[..len]).and_then(|p| NdiscRepr::parse(&p));
        if boundaries.contains(&len) {
            assert!(res.is_ok(), "len {len}");
        } else {
            assert_eq!(res, Err(Error::Truncated), "len {len}");
        }
    }
    let _ = (s, d);
}

#[test]
fn never_panics_on_mutations() {
    fuzz_one(&addr(RA_SRC), &addr(RA_DST), &RA);
    fuzz_one(&addr(NS_SRC), &addr(NS_DST), &NS);
    fuzz_one(&addr(RS_SRC), &addr(RS_DST), &RS);
}

/// An RA's DNSSL option bytes (type 31) with `names` (wire form) padded.
fn dnssl_option(lifetime: u32, names: &[u8]) -> std::vec::Vec<u8> {
    let opt = NdiscOption::Dnssl(Dnssl { lifetime, names });
    let mut buf = std::vec![0u8; opt.buffer_len()];
    opt.emit(&mut buf);
    buf
}

#[test]
fn rfc8106_5_2_dnssl_round_trip_and_name_encoding() {
    let mut names = [0u8; 64];
    let a = encode_name("lan.example.", &mut names).unwrap();
    let b = encode_name("corp", &mut names[a..]).unwrap();
    let bytes = dnssl_option(600, &names[..a + b]);
    // Type 31, length in 8-byte units, padded with zeros.
    assert_eq!(bytes[0], 31);
    assert_eq!(usize::from(bytes[1]) * 8, bytes.len());
    assert_eq!(bytes.len() % 8, 0);
    let (opt, rest) = NdiscOption::parse(&bytes).unwrap();
    assert!(rest.is_empty());
    let NdiscOption::Dnssl(d) = opt else {
        panic!("not dnssl: {opt:?}")
    };
    assert_eq!(d.lifetime, 600);
    let got: std::vec::Vec<_> = d
        .domains()
        .map(|n| std::format!("{}", n.unwrap()))
        .collect();
    assert_eq!(got, ["lan.example", "corp"]);
    assert_eq!(
        encode_name("a..b", &mut names),
        Err(Error::Malformed("domain label"))
    );
    let long = [b'x'; 64];
    let long = core::str::from_utf8(&long).unwrap();
    assert_eq!(
        encode_name(long, &mut names),
        Err(Error::Malformed("domain label"))
    );
    assert_eq!(
        encode_name("example.com", &mut names[..5]),
        Err(Error::Truncated)
    );
}

#[test]
fn rfc8106_5_2_dnssl_malformed_options_and_names_are_typed_errors() {
    // Length 1 (no room for a name): the option is malformed.
    assert_eq!(
        NdiscOption::parse(&[31, 1, 0, 0, 0, 0, 0, 5]),
        Err(Error::Malformed("dnssl option length"))
    );
    // A compression pointer (RFC 8106 §5.2: names are not compressed).
    let bytes = dnssl_option(5, &[0xc0, 0x0c, 0, 0, 0, 0, 0, 0]);
    let (NdiscOption::Dnssl(d), _) = NdiscOption::parse(&bytes).unwrap() else {
        panic!()
    };
    let mut it = d.domains();
    assert_eq!(it.next(), Some(Err(Error::Malformed("dnssl label"))));
    assert_eq!(it.next(), None);
    // A name running past the option (no root label before the end).
    let bytes = dnssl_option(5, &[3, b'c', b'o', b'm', 3, b'n', b'e', b't']);
    let (NdiscOption::Dnssl(d), _) = NdiscOption::parse(&bytes).unwrap() else {
        panic!()
    };
    let mut it = d.domains();
    assert_eq!(it.next(), Some(Err(Error::Truncated)));
    assert_eq!(it.next(), None);
    // A good name before a bad one is still read, then the error.
    let bytes = dnssl_option(5, &[1, b'a', 0, 0x80, 0, 0, 0, 0]);
    let (NdiscOption::Dnssl(d), _) = NdiscOption::parse(&bytes).unwrap() else {
        panic!()
    };
    let got: std::vec::Vec<_> = d.domains().collect();
    assert_eq!(got.len(), 2);
    assert_eq!(std::format!("{}", got[0].unwrap()), "a");
    assert_eq!(got[1], Err(Error::Malformed("dnssl label")));
    // A name over 255 bytes: five 63-byte labels.
    let mut long = std::vec::Vec::new();
    for _ in 0..5 {
        long.push(63);
        long.extend_from_slice(&[b'y'; 63]);
    }
    long.push(0);
    let bytes = dnssl_option(5, &long);
    let (NdiscOption::Dnssl(d), _) = NdiscOption::parse(&bytes).unwrap() else {
        panic!()
    };
    assert_eq!(
        d.domains().next(),
        Some(Err(Error::Malformed("dnssl name length")))
    );
    // A label byte outside printable ASCII is escaped in the dotted form.
    let bytes = dnssl_option(5, &[2, b'a', b'.', 1, 0xff, 0]);
    let (NdiscOption::Dnssl(d), _) = NdiscOption::parse(&bytes).unwrap() else {
        panic!()
    };
    let name = d.domains().next().unwrap().unwrap();
    assert_eq!(std::format!("{name}"), "a\\046.\\255");
    assert_eq!(name.labels().count(), 2);
}
