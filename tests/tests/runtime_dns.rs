//! The std runtime reports the DNS configuration Router Advertisements
//! carry (RFC 8106): a Router Advertisement with RDNSS and DNSSL options,
//! written into the stack's pipe as a router would send it, shows up in
//! `Stack::dns_servers` and `Stack::search_domains`.

use rstcp_tests::eventually;
use rstcp_tests::ndsim::{icmp_packet, ALL_NODES};
use std::time::Duration;

use rstcp::phy::{pipe, Device, TxToken};
use rstcp::runtime::{Stack, StackConfig};
use rstcp::wire::ethernet::EtherType;
use rstcp::wire::icmpv6::Icmpv6Repr;
use rstcp::wire::ndp::{encode_name, Dnssl, NdiscOption, NdiscRepr, Rdnss, RouterFlags};
use rstcp::wire::{EthernetAddress, IpAddr, Ipv4Addr, Ipv4Cidr, Ipv6Addr, Ipv6Cidr};

const ROUTER: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0xfe);
const ROUTER_MAC: EthernetAddress = EthernetAddress([2, 0, 0, 0, 0, 0xfe]);
const SERVER: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x53);

/// An Ethernet frame holding a Router Advertisement from ROUTER to
/// ff02::1 with an RDNSS (SERVER) and a DNSSL (`domain`) option.
fn router_advert(lifetime: u32, domain: &str) -> Vec<u8> {
    let mut options = Vec::new();
    let octets = SERVER.octets();
    let rdnss = NdiscOption::Rdnss(Rdnss {
        lifetime,
        addresses: &octets,
    });
    let mut name = [0u8; 64];
    let n = encode_name(domain, &mut name).unwrap();
    let dnssl = NdiscOption::Dnssl(Dnssl {
        lifetime,
        names: &name[..n],
    });
    for opt in [rdnss, dnssl] {
        let mut b = vec![0u8; opt.buffer_len()];
        opt.emit(&mut b);
        options.extend(b);
    }
    let ra = Icmpv6Repr::Ndisc(NdiscRepr::RouterAdvert {
        hop_limit: 64,
        flags: RouterFlags::empty(),
        router_lifetime: 1800,
        reachable_time: 0,
        retrans_time: 0,
        lladdr: Some(ROUTER_MAC),
        mtu: None,
        options: &options,
    });
    let packet = icmp_packet(ROUTER, ALL_NODES, &ra);
    let mut frame = Vec::with_capacity(14 + packet.len());
    frame.extend_from_slice(&[0x33, 0x33, 0, 0, 0, 1]);
    frame.extend_from_slice(ROUTER_MAC.as_bytes());
    frame.extend_from_slice(&u16::from(EtherType::Ipv6).to_be_bytes());
    frame.extend_from_slice(&packet);
    frame
}

#[test]
fn rfc8106_dns_servers_and_search_domains_of_an_advert_reach_the_stack() {
    let (da, mut router) = pipe::pair();
    let mut c = StackConfig::new(EthernetAddress([2, 0, 0, 0, 0, 1]));
    c.ipv4 = vec![Ipv4Cidr::new(Ipv4Addr::new(192, 168, 69, 1), 24).unwrap()];
    c.ipv6 = vec![Ipv6Cidr::new(Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1), 64).unwrap()];
    c.ipv4_probe = false;
    let stack = Stack::start(da, c).unwrap();
    assert!(stack.dns_servers().is_empty());
    let frame = router_advert(3600, "home.example");
    let tx = router.transmit(rstcp::time::Instant::ZERO).unwrap();
    tx.consume(frame.len(), |b| b.copy_from_slice(&frame));
    assert!(
        eventually(Duration::from_secs(5), || stack.dns_servers()
            == [IpAddr::V6(SERVER)]),
        "{:?}",
        stack.dns_servers()
    );
    assert_eq!(stack.search_domains(), ["home.example"]);
    // Lifetime 0 takes them back (RFC 8106 §5.3.1).
    let frame = router_advert(0, "home.example");
    let tx = router.transmit(rstcp::time::Instant::ZERO).unwrap();
    tx.consume(frame.len(), |b| b.copy_from_slice(&frame));
    assert!(eventually(Duration::from_secs(5), || stack
        .dns_servers()
        .is_empty()));
    assert!(stack.search_domains().is_empty());
}
