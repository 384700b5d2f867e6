//! The std runtime over an IP-medium device (a TUN's medium: bare IP
//! packets), two stacks on an in-memory pipe: addresses used without
//! probing or DAD even with both on (Linux on a TUN), TCP and ping over
//! both families, and DHCPv4 refused up front with a reason.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use rstcp::phy::{pipe, DeviceCapabilities};
use rstcp::runtime::{ping, Stack, StackConfig, TcpListener, TcpStream};
use rstcp::wire::{EthernetAddress, Ipv4Addr, Ipv4Cidr, Ipv6Addr, Ipv6Cidr};
use rstcp_tests::bulk::Pattern;

const IP4: [Ipv4Addr; 2] = [Ipv4Addr::new(10, 7, 0, 1), Ipv4Addr::new(10, 7, 0, 2)];
const IP6: [Ipv6Addr; 2] = [
    Ipv6Addr::new(0xfd07, 0, 0, 0, 0, 0, 0, 1),
    Ipv6Addr::new(0xfd07, 0, 0, 0, 0, 0, 0, 2),
];

/// Probing as by default (RFC 5227 ~6 s, DAD ~1 s): the medium turns it off.
fn config(i: usize) -> StackConfig {
    let mut c = StackConfig::new(EthernetAddress([2, 0, 0, 0, 7, i as u8]));
    c.ipv4 = vec![Ipv4Cidr::new(IP4[i], 24).unwrap()];
    c.ipv6 = vec![Ipv6Cidr::new(IP6[i], 64).unwrap()];
    c.random_seed = Some(0x7e57 + i as u64);
    c
}

#[test]
fn two_stacks_on_an_ip_link_talk_tcp_and_ping_without_probing() {
    let (da, db) = pipe::pair_with(DeviceCapabilities::ip(1500), 256);
    let a = Stack::start(da, config(0)).unwrap();
    let b = Stack::start(db, config(1)).unwrap();
    // With RFC 5227 probing this would take ~6 s; there is none on an IP link.
    a.wait_configured(Duration::from_secs(2)).unwrap();
    b.wait_configured(Duration::from_secs(2)).unwrap();
    let listener = TcpListener::bind(&b, 7, 4).unwrap();
    let server = thread::spawn(move || {
        for _ in 0..2 {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                match s.read(&mut buf).unwrap() {
                    0 => break,
                    n => s.write_all(&buf[..n]).unwrap(),
                }
            }
        }
    });
    for to in [IpAddr::V4(IP4[1]), IpAddr::V6(IP6[1])] {
        let rtt = ping(&a, to, 56, Duration::from_secs(2));
        assert!(rtt.is_ok(), "ping {to}: {rtt:?}");
        let data = Pattern::bytes(0x1d, 2 << 20);
        let s = Arc::new(TcpStream::connect(&a, SocketAddr::new(to, 7)).unwrap());
        let r = s.clone();
        let expect = data.clone();
        let reader = thread::spawn(move || {
            let mut got = Vec::new();
            (&*r).read_to_end(&mut got).unwrap();
            got == expect
        });
        (&*s).write_all(&data).unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        assert!(reader.join().unwrap(), "{to}: the echo differs");
    }
    server.join().unwrap();
}

#[test]
fn dhcpv4_on_an_ip_link_is_refused_with_the_reason() {
    let (da, _db) = pipe::pair_with(DeviceCapabilities::ip(1500), 8);
    let mut c = config(0);
    c.ipv4.clear();
    let Err(err) = Stack::start(da, c) else {
        panic!("DHCPv4 on an IP link was not refused");
    };
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("DHCPv4"), "{err}");
    // IPv6 only is fine.
    let (da, _db) = pipe::pair_with(DeviceCapabilities::ip(1500), 8);
    let mut c = config(0);
    c.ipv4.clear();
    c.dhcpv4 = false;
    let stack = Stack::start(da, c).unwrap();
    stack.wait_configured(Duration::from_secs(2)).unwrap();
}
