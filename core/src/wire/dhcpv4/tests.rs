//! Captured DHCP messages read field by field and emitted back byte for
//! byte; truncations, bad cookies, bad option lengths and mutations refused
//! without a panic.

extern crate std;
use super::*;
use crate::wire::{Error, EthernetAddress, Ipv4Addr, Result};
use std::vec;
use std::vec::Vec;

/// DHCPDISCOVER from dhcp-rfc3004.pcap frame 1 (with two Pad bytes after End).
const DISCOVER_HEX: &str = concat!(
    "0101060006e328640000000000000000000000000000000000000000000c291f",
    "7406000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "000000000000000000000000638253633501013204c0a801043707011c02030f",
    "060c4d25077375626f707431117375626f7074322d3132333435363738390a73",
    "75626f7074332d3132ff0000",
);
const DISCOVER_LEN: usize = 300;
/// DHCPOFFER from dhcp-rfc3004.pcap frame 2 (280 bytes: shorter than the BOOTP minimum).
const OFFER_HEX: &str = concat!(
    "0201060006e328640000000000000000c0a801040000000000000000000c291f",
    "7406000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "000000000000000000000000638253633501023604c0a8010133040001518001",
    "04ffffff000304c0a801010604c0a801010f04486f6d65ff",
);
const OFFER_LEN: usize = 280;
/// Relayed DHCPREQUEST from dhcp-mud.pcap frame 1 (options 61, 57, 12, 55 and unknown 161, 60, 145).
const REQUEST_HEX: &str = concat!(
    "01010601068c4847000000003e0cad7b00000000000000003e0cad79b827ebb8",
    "53c8000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "000000000000000000000000638253633501033d0701b827ebb853c8390205c0",
    "a13668747470733a2f2f6d756463746c2e6578616d706c652e636f6d2f2e7765",
    "6c6c2d6b6e6f776e2f6d75642f76312f72617362703130313c2d646863706364",
    "2d362e31312e353a4c696e75782d342e312e31382d76372b3a61726d76376c3a",
    "42434d323730390c0b7261737062657272797069910101371001792103060c0f",
    "1c2a33363a3b646577ff",
);
const REQUEST_LEN: usize = 394;
/// Relayed DHCPACK from dhcp-mud.pcap frame 2 (options 54, 51, 1, 3, 6, 15 and unknown 101).
const ACK_HEX: &str = concat!(
    "02010601068c4847000000003e0cad7b3e0cad7b3e0cad723e0cad79b827ebb8",
    "53c8000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000006382536335010536043e0cad7233040000025801",
    "04fffffff803043e0cad7906043e0cad720f136f66636f75727365696d726967",
    "68742e636f6d650d4575726f70652f4265726c696eff",
);
const ACK_LEN: usize = 310;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn ip(a: u8, b: u8, c: u8, d: u8) -> Ipv4Addr {
    Ipv4Addr::new(a, b, c, d)
}

fn parse(bytes: &[u8]) -> Result<DhcpRepr<'_>> {
    DhcpRepr::parse(&DhcpPacket::new_unchecked(bytes))
}

/// Emits into a fresh buffer of `buffer_len()` bytes.
fn emit(repr: &DhcpRepr<'_>) -> Vec<u8> {
    let mut buf = vec![0xa5; repr.buffer_len()];
    repr.emit(&mut DhcpPacket::new_unchecked(&mut buf[..]))
        .unwrap();
    buf
}

/// The round trip the fuzz targets check: parse(emit(r)) == r.
fn assert_round_trip(repr: &DhcpRepr<'_>) {
    let bytes = emit(repr);
    assert!(bytes.len() >= BOOTP_MIN_LEN);
    assert_eq!(&parse(&bytes).unwrap(), repr);
}

/// The DISCOVER's fixed part (op 1, Ethernet, cookie) followed by
/// `options`, for hand-made option areas.
fn with_options(options: &[u8]) -> Vec<u8> {
    let mut p = hex(DISCOVER_HEX)[..HEADER_LEN].to_vec();
    p.extend_from_slice(options);
    p
}

const MAC: EthernetAddress = EthernetAddress([0x00, 0x0c, 0x29, 0x1f, 0x74, 0x06]);
const PI_MAC: EthernetAddress = EthernetAddress([0xb8, 0x27, 0xeb, 0xb8, 0x53, 0xc8]);

#[test]
fn real_discover_every_field() {
    let bytes = hex(DISCOVER_HEX);
    assert_eq!(bytes.len(), DISCOVER_LEN);
    let p = DhcpPacket::new_checked(&bytes[..]).unwrap();
    assert_eq!(p.op(), DhcpOpCode::Request);
    assert_eq!(p.hardware_type(), 1);
    assert_eq!(p.hardware_len(), 6);
    assert_eq!(p.hops(), 0);
    assert_eq!(p.xid(), 0x06e3_2864);
    assert_eq!(p.secs(), 0);
    assert_eq!(p.flags(), 0);
    assert!(!p.broadcast());
    assert_eq!(p.client_ip(), Ipv4Addr::UNSPECIFIED);
    assert_eq!(p.your_ip(), Ipv4Addr::UNSPECIFIED);
    assert_eq!(p.server_ip(), Ipv4Addr::UNSPECIFIED);
    assert_eq!(p.relay_agent_ip(), Ipv4Addr::UNSPECIFIED);
    assert_eq!(p.client_hardware_address(), MAC);
    assert_eq!(&p.chaddr()[6..], &[0u8; 10]);
    assert!(p.sname().iter().all(|&b| b == 0) && p.sname().len() == 64);
    assert!(p.file().iter().all(|&b| b == 0) && p.file().len() == 128);
    assert_eq!(p.magic_cookie(), DHCP_MAGIC_COOKIE);
    assert_eq!(p.message_type(), Some(DhcpMessageType::Discover));

    let user_class = b"\x07subopt1\x11subopt2-123456789\x0asubopt3-12";
    let opts: Vec<_> = p.options().map(|o| o.unwrap()).collect();
    assert_eq!(
        opts,
        vec![
            DhcpOption::MessageType(DhcpMessageType::Discover),
            DhcpOption::RequestedIp(ip(192, 168, 1, 4)),
            DhcpOption::ParameterRequestList(&[1, 28, 2, 3, 15, 6, 12]),
            DhcpOption::Other {
                kind: 77,
                data: user_class
            },
            DhcpOption::End,
        ]
    );

    let r = DhcpRepr::parse(&p).unwrap();
    assert_eq!(
        r,
        DhcpRepr {
            message_type: DhcpMessageType::Discover,
            transaction_id: 0x06e3_2864,
            secs: 0,
            client_hardware_address: MAC,
            client_ip: Ipv4Addr::UNSPECIFIED,
            your_ip: Ipv4Addr::UNSPECIFIED,
            server_ip: Ipv4Addr::UNSPECIFIED,
            relay_agent_ip: Ipv4Addr::UNSPECIFIED,
            broadcast: false,
            requested_ip: Some(ip(192, 168, 1, 4)),
            server_identifier: None,
            subnet_mask: None,
            router: None,
            dns_servers: heapless::Vec::new(),
            lease_duration: None,
            renew_duration: None,
            rebind_duration: None,
            parameter_request_list: Some(&[1, 28, 2, 3, 15, 6, 12]),
            client_identifier: None,
            host_name: None,
            domain_name: None,
            max_size: None,
        }
    );
    // Option 77 is not kept, so the emitted DISCOVER is shorter, but
    // still the BOOTP minimum.
    assert_eq!(r.buffer_len(), BOOTP_MIN_LEN);
    assert_round_trip(&r);
}

fn offer_repr() -> DhcpRepr<'static> {
    let mut dns = heapless::Vec::new();
    dns.push(ip(192, 168, 1, 1)).unwrap();
    DhcpRepr {
        message_type: DhcpMessageType::Offer,
        transaction_id: 0x06e3_2864,
        secs: 0,
        client_hardware_address: MAC,
        client_ip: Ipv4Addr::UNSPECIFIED,
        your_ip: ip(192, 168, 1, 4),
        server_ip: Ipv4Addr::UNSPECIFIED,
        relay_agent_ip: Ipv4Addr::UNSPECIFIED,
        broadcast: false,
        requested_ip: None,
        server_identifier: Some(ip(192, 168, 1, 1)),
        subnet_mask: Some(ip(255, 255, 255, 0)),
        router: Some(ip(192, 168, 1, 1)),
        dns_servers: dns,
        lease_duration: Some(86400),
        renew_duration: None,
        rebind_duration: None,
        parameter_request_list: None,
        client_identifier: None,
        host_name: None,
        domain_name: Some(b"Home"),
        max_size: None,
    }
}

#[test]
fn real_offer_every_field() {
    let bytes = hex(OFFER_HEX);
    assert_eq!(bytes.len(), OFFER_LEN);
    let p = DhcpPacket::new_checked(&bytes[..]).unwrap();
    assert_eq!(p.op(), DhcpOpCode::Reply);
    assert_eq!(p.xid(), 0x06e3_2864);
    assert_eq!(p.your_ip(), ip(192, 168, 1, 4));
    assert_eq!(p.client_hardware_address(), MAC);
    assert_eq!(p.message_type(), Some(DhcpMessageType::Offer));
    let router = p
        .options()
        .find_map(|o| match o.unwrap() {
            DhcpOption::Router(list) => Some(list),
            _ => None,
        })
        .unwrap();
    assert_eq!(router.len(), 1);
    assert!(!router.is_empty());
    assert_eq!(router.as_bytes(), &[192, 168, 1, 1]);
    assert_eq!(router.first(), Some(ip(192, 168, 1, 1)));
    assert_eq!(DhcpRepr::parse(&p).unwrap(), offer_repr());
}

#[test]
fn emit_offer_gives_the_captured_bytes_padded_to_300() {
    // The emit order (53, 54, 51, 1, 3, 6, 15) is the one this server
    // used, so the only difference is RFC 1542 padding to 300 bytes.
    let repr = offer_repr();
    assert_eq!(repr.buffer_len(), BOOTP_MIN_LEN);
    let mut expected = hex(OFFER_HEX);
    expected.resize(BOOTP_MIN_LEN, 0);
    assert_eq!(emit(&repr), expected);
    assert_round_trip(&repr);
}

#[test]
fn real_relayed_request_every_field() {
    let bytes = hex(REQUEST_HEX);
    assert_eq!(bytes.len(), REQUEST_LEN);
    let p = DhcpPacket::new_checked(&bytes[..]).unwrap();
    assert_eq!(p.op(), DhcpOpCode::Request);
    assert_eq!(p.hops(), 1);
    assert_eq!(p.xid(), 0x068c_4847);
    assert_eq!(p.client_ip(), ip(62, 12, 173, 123));
    assert_eq!(p.relay_agent_ip(), ip(62, 12, 173, 121));
    let kinds: Vec<u8> = p
        .options()
        .map(|o| match o.unwrap() {
            DhcpOption::MessageType(_) => 53,
            DhcpOption::ClientIdentifier(_) => 61,
            DhcpOption::MaxMessageSize(_) => 57,
            DhcpOption::HostName(_) => 12,
            DhcpOption::ParameterRequestList(_) => 55,
            DhcpOption::Other { kind, .. } => kind,
            DhcpOption::End => 255,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(kinds, vec![53, 61, 57, 161, 60, 12, 145, 55, 255]);

    let r = DhcpRepr::parse(&p).unwrap();
    assert_eq!(r.message_type, DhcpMessageType::Request);
    assert_eq!(r.transaction_id, 0x068c_4847);
    assert_eq!(r.secs, 0);
    assert_eq!(r.client_hardware_address, PI_MAC);
    assert_eq!(r.client_ip, ip(62, 12, 173, 123));
    assert_eq!(r.your_ip, Ipv4Addr::UNSPECIFIED);
    assert_eq!(r.server_ip, Ipv4Addr::UNSPECIFIED);
    assert_eq!(r.relay_agent_ip, ip(62, 12, 173, 121));
    assert!(!r.broadcast);
    assert_eq!(r.requested_ip, None);
    assert_eq!(r.server_identifier, None);
    assert_eq!(r.subnet_mask, None);
    assert_eq!(r.router, None);
    assert!(r.dns_servers.is_empty());
    assert_eq!(r.lease_duration, None);
    assert_eq!(r.renew_duration, None);
    assert_eq!(r.rebind_duration, None);
    assert_eq!(
        r.parameter_request_list,
        Some(&[1, 121, 33, 3, 6, 12, 15, 28, 42, 51, 54, 58, 59, 100, 101, 119][..])
    );
    assert_eq!(
        r.client_identifier,
        Some(&[1, 0xb8, 0x27, 0xeb, 0xb8, 0x53, 0xc8][..])
    );
    assert_eq!(r.host_name, Some(&b"raspberrypi"[..]));
    assert_eq!(r.domain_name, None);
    assert_eq!(r.max_size, Some(1472));
    assert_round_trip(&r);
}

#[test]
fn real_relayed_ack_every_field() {
    let bytes = hex(ACK_HEX);
    assert_eq!(bytes.len(), ACK_LEN);
    let p = DhcpPacket::new_checked(&bytes[..]).unwrap();
    assert_eq!(p.op(), DhcpOpCode::Reply);
    assert_eq!(p.hops(), 1);
    assert_eq!(p.message_type(), Some(DhcpMessageType::Ack));
    let r = DhcpRepr::parse(&p).unwrap();
    assert_eq!(r.message_type, DhcpMessageType::Ack);
    assert_eq!(r.transaction_id, 0x068c_4847);
    assert_eq!(r.client_hardware_address, PI_MAC);
    assert_eq!(r.client_ip, ip(62, 12, 173, 123));
    assert_eq!(r.your_ip, ip(62, 12, 173, 123));
    assert_eq!(r.server_ip, ip(62, 12, 173, 114));
    assert_eq!(r.relay_agent_ip, ip(62, 12, 173, 121));
    assert!(!r.broadcast);
    assert_eq!(r.server_identifier, Some(ip(62, 12, 173, 114)));
    assert_eq!(r.lease_duration, Some(600));
    assert_eq!(r.subnet_mask, Some(ip(255, 255, 255, 248)));
    assert_eq!(r.router, Some(ip(62, 12, 173, 121)));
    assert_eq!(&r.dns_servers[..], &[ip(62, 12, 173, 114)]);
    assert_eq!(r.domain_name, Some(&b"ofcourseimright.com"[..]));
    assert_eq!(r.requested_ip, None);
    assert_eq!(r.renew_duration, None);
    assert_eq!(r.rebind_duration, None);
    assert_eq!(r.parameter_request_list, None);
    assert_eq!(r.client_identifier, None);
    assert_eq!(r.host_name, None);
    assert_eq!(r.max_size, None);
    assert_round_trip(&r);
}

fn all_real() -> [Vec<u8>; 4] {
    [
        hex(DISCOVER_HEX),
        hex(OFFER_HEX),
        hex(REQUEST_HEX),
        hex(ACK_HEX),
    ]
}

/// Where the End option of a real packet is (the first 255 reached by
/// walking the options).
fn end_offset(bytes: &[u8]) -> usize {
    let mut i = HEADER_LEN;
    loop {
        match bytes[i] {
            0 => i += 1,
            255 => return i,
            _ => i += 2 + usize::from(bytes[i + 1]),
        }
    }
}

#[test]
fn every_truncation_is_truncated() {
    for bytes in all_real() {
        let end = end_offset(&bytes);
        for len in 0..bytes.len() {
            let prefix = &bytes[..len];
            if len < HEADER_LEN {
                assert_eq!(
                    DhcpPacket::new_checked(prefix).err(),
                    Some(Error::Truncated)
                );
            }
            if len <= end {
                // Cut before End: the header, an option or the
                // terminator is missing.
                assert_eq!(parse(prefix), Err(Error::Truncated), "len {len}");
            } else {
                // Only Pad bytes after End were cut.
                assert_eq!(parse(prefix), parse(&bytes));
            }
        }
    }
}

#[test]
fn cookie_and_header_errors() {
    let good = hex(DISCOVER_HEX);

    let mut bootp = good.clone();
    bootp[236..240].fill(0);
    assert_eq!(
        parse(&bootp),
        Err(Error::Unsupported("bootp without dhcp cookie"))
    );
    let mut wrong = good.clone();
    wrong[239] = 0x64;
    assert_eq!(parse(&wrong), Err(Error::Malformed("magic cookie")));

    let mut htype = good.clone();
    htype[1] = 6; // IEEE 802
    assert_eq!(parse(&htype), Err(Error::Unsupported("hardware type")));
    let mut hlen = good.clone();
    hlen[2] = 16;
    assert_eq!(parse(&hlen), Err(Error::Unsupported("hardware type")));

    // A DISCOVER sent as BOOTREPLY, and an op that is neither.
    for op in [2, 0, 3, 255] {
        let mut bad = good.clone();
        bad[0] = op;
        assert_eq!(parse(&bad), Err(Error::Malformed("op")), "op {op}");
    }
    let mut reply = hex(OFFER_HEX);
    reply[0] = 1;
    assert_eq!(parse(&reply), Err(Error::Malformed("op")));
}

#[test]
fn message_type_missing_or_unknown() {
    // RFC 1497 BOOTP: the cookie but no option 53.
    let bootp = with_options(&[1, 4, 255, 255, 255, 0, 255]);
    let p = DhcpPacket::new_checked(&bootp[..]).unwrap();
    assert_eq!(p.message_type(), None);
    assert_eq!(
        DhcpRepr::parse(&p),
        Err(Error::Unsupported("bootp without dhcp message type"))
    );
    // DHCPLEASEQUERY (RFC 4388, type 10): the view reports it, the
    // Repr does not take it.
    let lq = with_options(&[53, 1, 10, 255]);
    let p = DhcpPacket::new_checked(&lq[..]).unwrap();
    assert_eq!(p.message_type(), Some(DhcpMessageType::Unknown(10)));
    assert_eq!(
        DhcpRepr::parse(&p),
        Err(Error::Unsupported("dhcp message type"))
    );
    // Options broken before 53: the dump accessor gives up.
    let broken = with_options(&[1, 3, 0, 0, 0, 53, 1, 1, 255]);
    let p = DhcpPacket::new_checked(&broken[..]).unwrap();
    assert_eq!(p.message_type(), None);
}

#[test]
fn bad_option_lengths() {
    let cases: &[(&[u8], Error)] = &[
        (&[1, 3, 255, 255, 255], Error::Malformed("subnet mask")),
        (&[3, 0], Error::Malformed("router")),
        (&[3, 6, 1, 2, 3, 4, 5, 6], Error::Malformed("router")),
        (&[6, 3, 1, 2, 3], Error::Malformed("domain name server")),
        (&[12, 0], Error::Malformed("host name")),
        (&[15, 0], Error::Malformed("domain name")),
        (&[50, 5, 1, 2, 3, 4, 5], Error::Malformed("requested ip")),
        (&[51, 2, 0, 1], Error::Malformed("lease time")),
        (&[52, 1, 4], Error::Malformed("option overload")),
        (&[52, 2, 1, 1], Error::Malformed("option overload")),
        (&[53, 2, 1, 1], Error::Malformed("dhcp message type")),
        (&[53, 0], Error::Malformed("dhcp message type")),
        (&[54, 3, 1, 2, 3], Error::Malformed("server identifier")),
        (&[55, 0], Error::Malformed("parameter request list")),
        (&[57, 4, 0, 0, 5, 192], Error::Malformed("max message size")),
        (
            &[58, 8, 0, 0, 0, 0, 0, 0, 0, 0],
            Error::Malformed("renewal time"),
        ),
        (&[59, 1, 0], Error::Malformed("rebinding time")),
        (&[61, 1, 1], Error::Malformed("client identifier")),
        // Lengths running past the area, or no End at all.
        (&[53, 1, 1, 99, 10, 1, 2], Error::Truncated),
        (&[53, 1, 1, 99], Error::Truncated),
        (&[53, 1], Error::Truncated),
        (&[53, 1, 1], Error::Truncated),
        (&[53, 1, 1, 0, 0], Error::Truncated),
        (&[], Error::Truncated),
    ];
    for (options, err) in cases {
        // After a good message type, so the option itself is at fault.
        let mut opts = vec![53, 1, 1];
        opts.extend_from_slice(options);
        if !matches!(err, Error::Truncated) {
            opts.push(255);
        }
        let bytes = with_options(&opts);
        assert_eq!(parse(&bytes), Err(*err), "options {options:?}");
        // The iterator yields the error last, then stops.
        let mut it = DhcpOptions::new(&bytes[HEADER_LEN..]);
        let last = it.by_ref().find(|o| o.is_err());
        assert_eq!(last, Some(Err(*err)));
        assert_eq!(it.next(), None);
    }
}

#[test]
fn option_iterator_pad_end_overload_and_trailing_bytes() {
    // Pad is reported, Overload is reported, bytes after End are ignored
    // (even if they would be malformed options).
    let area = [0, 0, 53, 1, 5, 52, 1, 3, 255, 1, 9];
    let got: Vec<_> = DhcpOptions::new(&area).collect();
    assert_eq!(
        got,
        vec![
            Ok(DhcpOption::Pad),
            Ok(DhcpOption::Pad),
            Ok(DhcpOption::MessageType(DhcpMessageType::Ack)),
            Ok(DhcpOption::Overload(3)),
            Ok(DhcpOption::End),
        ]
    );
    let mut reply = with_options(&area);
    reply[0] = 2;
    let r = parse(&reply).unwrap();
    assert_eq!(r.message_type, DhcpMessageType::Ack);
    assert_round_trip(&r);
}

#[test]
fn repr_keeps_three_dns_first_router_and_first_instance() {
    let mut opts = vec![53, 1, 2];
    opts.extend_from_slice(&[6, 20]);
    for i in 1..=5u8 {
        opts.extend_from_slice(&[10, 0, 0, i]);
    }
    opts.extend_from_slice(&[3, 8, 10, 0, 0, 254, 10, 0, 0, 253]);
    // Second instances of options lose (no RFC 3396 concatenation).
    opts.extend_from_slice(&[3, 4, 10, 9, 9, 9, 6, 4, 10, 8, 8, 8]);
    opts.extend_from_slice(&[51, 4, 0, 0, 0, 60, 51, 4, 0, 0, 0, 99]);
    opts.extend_from_slice(&[58, 4, 0, 0, 0, 30, 59, 4, 0, 0, 0, 52]);
    opts.extend_from_slice(&[53, 1, 6]);
    opts.push(255);
    let mut bytes = with_options(&opts);
    bytes[0] = 2;
    let r = parse(&bytes).unwrap();
    assert_eq!(r.message_type, DhcpMessageType::Offer);
    assert_eq!(
        &r.dns_servers[..],
        &[ip(10, 0, 0, 1), ip(10, 0, 0, 2), ip(10, 0, 0, 3)]
    );
    assert_eq!(r.router, Some(ip(10, 0, 0, 254)));
    assert_eq!(r.lease_duration, Some(60));
    assert_eq!(r.renew_duration, Some(30));
    assert_eq!(r.rebind_duration, Some(52));
    assert_round_trip(&r);
    // What the Repr holds is what is emitted.
    let out = emit(&r);
    let dns = DhcpPacket::new_checked(&out[..])
        .unwrap()
        .options()
        .find_map(|o| match o.unwrap() {
            DhcpOption::DomainNameServer(l) => Some(l.iter().count()),
            _ => None,
        });
    assert_eq!(dns, Some(3));
}

#[test]
fn broadcast_flag_and_reserved_bits() {
    let mut bytes = hex(DISCOVER_HEX);
    bytes[10] = 0xff; // broadcast plus reserved bits, which are ignored
    bytes[11] = 0x01;
    let r = parse(&bytes).unwrap();
    assert!(r.broadcast);
    let out = emit(&r);
    let p = DhcpPacket::new_checked(&out[..]).unwrap();
    assert_eq!(p.flags(), 0x8000);
    assert_round_trip(&r);

    let mut buf = [0u8; 300];
    let mut p = DhcpPacket::new_checked(&mut buf[..]).unwrap();
    p.set_flags(0x0001);
    p.set_broadcast(true);
    assert_eq!(p.flags(), 0x8001);
    p.set_broadcast(false);
    assert_eq!(p.flags(), 0x0001);
}

#[test]
fn setters_write_the_fields() {
    let mut buf = [0xffu8; 244];
    let mut p = DhcpPacket::new_checked(&mut buf[..]).unwrap();
    p.set_op(DhcpOpCode::Reply);
    p.set_hardware_type(1);
    p.set_hardware_len(6);
    p.set_hops(3);
    p.set_xid(0x0102_0304);
    p.set_secs(7);
    p.set_flags(0);
    p.set_client_ip(ip(1, 1, 1, 1));
    p.set_your_ip(ip(2, 2, 2, 2));
    p.set_server_ip(ip(3, 3, 3, 3));
    p.set_relay_agent_ip(ip(4, 4, 4, 4));
    p.set_client_hardware_address(MAC);
    p.sname_mut().fill(0);
    p.file_mut().fill(0);
    p.set_magic_cookie(DHCP_MAGIC_COOKIE);
    p.payload_mut().copy_from_slice(&[53, 1, 2, 255]);
    assert_eq!(p.op(), DhcpOpCode::Reply);
    assert_eq!(p.hops(), 3);
    assert_eq!(p.xid(), 0x0102_0304);
    assert_eq!(p.secs(), 7);
    assert_eq!(p.client_ip(), ip(1, 1, 1, 1));
    assert_eq!(p.your_ip(), ip(2, 2, 2, 2));
    assert_eq!(p.server_ip(), ip(3, 3, 3, 3));
    assert_eq!(p.relay_agent_ip(), ip(4, 4, 4, 4));
    assert_eq!(&p.chaddr()[..6], MAC.as_bytes());
    assert_eq!(&p.chaddr()[6..], &[0u8; 10]);
    assert_eq!(p.payload(), &[53, 1, 2, 255]);
    assert_eq!(p.message_type(), Some(DhcpMessageType::Offer));
    let r = DhcpRepr::parse(&DhcpPacket::new_unchecked(&p.into_inner()[..])).unwrap();
    assert_eq!(r.transaction_id, 0x0102_0304);
}

#[test]
fn emit_edge_cases() {
    // A buffer too short for the options.
    let r = offer_repr();
    let mut small = [0u8; 260];
    assert_eq!(
        r.emit(&mut DhcpPacket::new_unchecked(&mut small[..])),
        Err(Error::Truncated)
    );
    let mut tiny = [0u8; 10];
    assert_eq!(
        r.emit(&mut DhcpPacket::new_unchecked(&mut tiny[..])),
        Err(Error::Truncated)
    );
    // A longer buffer is padded with zeros after End.
    let mut big = vec![0xa5u8; 400];
    r.emit(&mut DhcpPacket::new_unchecked(&mut big[..]))
        .unwrap();
    assert_eq!(&big[..300], &emit(&r)[..]);
    assert!(big[300..].iter().all(|&b| b == 0));

    // Every option at once, long strings cut to 255, empty ones dropped.
    let long = [b'x'; 300];
    let mut all = offer_repr();
    all.message_type = DhcpMessageType::Request;
    all.requested_ip = Some(ip(9, 9, 9, 9));
    all.renew_duration = Some(1);
    all.rebind_duration = Some(2);
    all.dns_servers.push(ip(8, 8, 8, 8)).unwrap();
    all.dns_servers.push(ip(8, 8, 4, 4)).unwrap();
    all.parameter_request_list = Some(&[1, 3, 6]);
    all.client_identifier = Some(&[1, 2, 3]);
    all.host_name = Some(&long);
    all.domain_name = Some(&[]);
    all.max_size = Some(1500);
    let out = emit(&all);
    assert_eq!(out.len(), all.buffer_len());
    let back = parse(&out).unwrap();
    assert_eq!(back.host_name, Some(&long[..255]));
    assert_eq!(back.domain_name, None);
    let mut expected = all.clone();
    expected.host_name = Some(&long[..255]);
    expected.domain_name = None;
    assert_eq!(back, expected);
    assert_round_trip(&back);
    let kinds: Vec<u8> = DhcpOptions::new(&out[HEADER_LEN..])
        .filter_map(|o| match o.unwrap() {
            DhcpOption::Pad => None,
            DhcpOption::End => Some(255),
            DhcpOption::MessageType(_) => Some(53),
            DhcpOption::ServerIdentifier(_) => Some(54),
            DhcpOption::RequestedIp(_) => Some(50),
            DhcpOption::LeaseTime(_) => Some(51),
            DhcpOption::RenewalT1(_) => Some(58),
            DhcpOption::RebindingT2(_) => Some(59),
            DhcpOption::SubnetMask(_) => Some(1),
            DhcpOption::Router(_) => Some(3),
            DhcpOption::DomainNameServer(_) => Some(6),
            DhcpOption::ClientIdentifier(_) => Some(61),
            DhcpOption::MaxMessageSize(_) => Some(57),
            DhcpOption::HostName(_) => Some(12),
            DhcpOption::ParameterRequestList(_) => Some(55),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        vec![53, 54, 50, 51, 58, 59, 1, 3, 6, 61, 57, 12, 55, 255]
    );
}

#[test]
fn enums_round_trip() {
    for v in 0..=255u8 {
        assert_eq!(u8::from(DhcpMessageType::from(v)), v);
        assert_eq!(u8::from(DhcpOpCode::from(v)), v);
    }
    assert_eq!(DhcpMessageType::from(8), DhcpMessageType::Inform);
    assert_eq!(DhcpMessageType::Nak.opcode(), Some(DhcpOpCode::Reply));
    assert_eq!(DhcpMessageType::Decline.opcode(), Some(DhcpOpCode::Request));
    assert_eq!(DhcpMessageType::Unknown(13).opcode(), None);
}

/// Ok or Err, never a panic; when Ok, the round trip holds.
fn check_no_panic(bytes: &[u8]) {
    if let Ok(p) = DhcpPacket::new_checked(bytes) {
        let _ = (p.op(), p.xid(), p.flags(), p.chaddr(), p.sname(), p.file());
        let _ = p.message_type();
        for _ in p.options() {}
    }
    if let Ok(r) = parse(bytes) {
        assert_round_trip(&r);
    }
}

#[test]
fn never_panics_on_prefixes_and_mutations() {
    for bytes in all_real() {
        for len in 0..=bytes.len() {
            check_no_panic(&bytes[..len]);
        }
        for i in 0..bytes.len() {
            for m in [0x00, 0xff, 0x01, 0x80] {
                let mut b = bytes.clone();
                b[i] = if m == 0x00 { 0 } else { b[i] ^ m };
                check_no_panic(&b);
            }
        }
    }
}
