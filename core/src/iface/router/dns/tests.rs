//! Unit tests of the RDNSS / DNSSL tables (`dns.rs`), RFC 8106 §5.3.1.

extern crate std;
use super::*;
use crate::wire::ndp::encode_name;
use std::string::String;
use std::vec::Vec;

fn secs(s: i64) -> Instant {
    Instant::from_secs(s)
}

fn addr(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

fn rdnss(lifetime: u32, servers: &[&str]) -> (u32, Vec<u8>) {
    let bytes = servers.iter().flat_map(|s| addr(s).octets()).collect();
    (lifetime, bytes)
}

fn apply_rdnss(dns: &mut DnsConfig, (lifetime, bytes): &(u32, Vec<u8>), now: Instant) -> bool {
    dns.rdnss(
        &Rdnss {
            lifetime: *lifetime,
            addresses: bytes,
        },
        now,
    )
}

fn dnssl(dns: &mut DnsConfig, lifetime: u32, names: &[&str], now: Instant) -> bool {
    let mut buf = [0u8; 512];
    let mut at = 0;
    for n in names {
        at += encode_name(n, &mut buf[at..]).unwrap();
    }
    let (changed, err) = dns.dnssl(
        &Dnssl {
            lifetime,
            names: &buf[..at.div_ceil(8) * 8],
        },
        now,
    );
    assert_eq!(err, None);
    changed
}

fn servers(dns: &DnsConfig, now: Instant) -> Vec<Ipv6Addr> {
    dns.servers(now).map(|s| s.addr).collect()
}

fn domains(dns: &DnsConfig, now: Instant) -> Vec<String> {
    dns.domains(now)
        .map(|d| std::format!("{}", d.name()))
        .collect()
}

#[test]
fn rfc8106_5_3_1_servers_are_added_refreshed_removed_and_expire() {
    let mut dns = DnsConfig::new();
    let opt = rdnss(600, &["2001:db8::53", "2001:db8::54"]);
    assert!(apply_rdnss(&mut dns, &opt, secs(0)));
    assert_eq!(
        servers(&dns, secs(1)),
        [addr("2001:db8::53"), addr("2001:db8::54")]
    );
    assert_eq!(dns.poll_at(), Some(secs(600)));
    // The same RA again: the expiry moves, nothing new.
    assert!(!apply_rdnss(&mut dns, &opt, secs(300)));
    assert_eq!(dns.poll_at(), Some(secs(900)));
    // Lifetime 0 removes the server at once.
    assert!(apply_rdnss(
        &mut dns,
        &rdnss(0, &["2001:db8::54"]),
        secs(301)
    ));
    assert_eq!(servers(&dns, secs(301)), [addr("2001:db8::53")]);
    // Expiry: gone from the view at its time, and from the table on poll.
    assert!(servers(&dns, secs(900)).is_empty());
    assert!(dns.expire(secs(900)));
    assert_eq!(dns.poll_at(), None);
    // Infinity never expires.
    assert!(apply_rdnss(
        &mut dns,
        &rdnss(u32::MAX, &["2001:db8::1"]),
        secs(0)
    ));
    assert!(!dns.expire(secs(1 << 40)));
    assert_eq!(dns.poll_at(), None);
    // Multicast, loopback and :: are not servers.
    assert!(!apply_rdnss(
        &mut dns,
        &rdnss(60, &["ff02::1", "::1", "::"]),
        secs(0)
    ));
}

#[test]
fn rfc8106_5_3_1_a_full_server_list_keeps_the_longer_lived() {
    let mut dns = DnsConfig::new();
    for (i, life) in [(1, 100), (2, 50), (3, 200)] {
        let opt = rdnss(life, &[&std::format!("2001:db8::{i}")]);
        assert!(apply_rdnss(&mut dns, &opt, secs(0)));
    }
    // A newcomer that expires before everyone is not taken.
    assert!(!apply_rdnss(
        &mut dns,
        &rdnss(10, &["2001:db8::9"]),
        secs(0)
    ));
    // One that outlives the first to expire (::2, 50 s) replaces it.
    assert!(apply_rdnss(
        &mut dns,
        &rdnss(300, &["2001:db8::8"]),
        secs(0)
    ));
    let mut got = servers(&dns, secs(0));
    got.sort();
    assert_eq!(
        got,
        [
            addr("2001:db8::1"),
            addr("2001:db8::3"),
            addr("2001:db8::8")
        ]
    );
    assert_eq!(dns.servers.len(), MAX_DNS_SERVERS);
}

#[test]
fn rfc8106_5_3_1_search_domains_with_lifetimes() {
    let mut dns = DnsConfig::new();
    assert!(dnssl(
        &mut dns,
        600,
        &["lan.example", "example.org"],
        secs(0)
    ));
    assert_eq!(domains(&dns, secs(0)), ["lan.example", "example.org"]);
    // Names compare without case (RFC 4343): a refresh, not a second entry.
    assert!(!dnssl(&mut dns, 900, &["LAN.example"], secs(10)));
    assert_eq!(dns.domains(secs(0)).count(), 2);
    // Lifetime 0 removes.
    assert!(dnssl(&mut dns, 0, &["example.org"], secs(20)));
    assert_eq!(domains(&dns, secs(20)), ["LAN.example"]);
    assert_eq!(domains(&dns, secs(910)), Vec::<String>::new());
    assert!(dns.expire(secs(910)));
    // The table holds at most MAX_SEARCH_DOMAINS.
    let names: Vec<String> = (0..6).map(|i| std::format!("d{i}.example")).collect();
    let names: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    dnssl(&mut dns, 60, &names, secs(1000));
    assert_eq!(dns.domains(secs(1000)).count(), MAX_SEARCH_DOMAINS);
}

#[test]
fn rfc8106_5_2_a_malformed_name_keeps_the_names_before_it() {
    let mut dns = DnsConfig::new();
    let names = [3, b'o', b'n', b'e', 0, 0xc0, 0x0c, 0];
    let (changed, err) = dns.dnssl(
        &Dnssl {
            lifetime: 60,
            names: &names,
        },
        secs(0),
    );
    assert!(changed);
    assert_eq!(err, Some(crate::wire::Error::Malformed("dnssl label")));
    assert_eq!(domains(&dns, secs(0)), ["one"]);
}
