//! The runtime's `connect` to an address nobody holds on a real link fails
//! within seconds with `HostUnreachable` naming the address, as the kernel's
//! own `connect` fails with EHOSTUNREACH ("No route to host") after its
//! unanswered ARP requests; not after two minutes with a bare "timed out".
//! The link is a TAP whose other side is the kernel in a namespace of its
//! own, where 192.168.69.99 and fd00::99 do not exist.
//!
//! Needs root, /dev/net/tun and `ip`; without them the test says why and
//! passes, except under CI=true.

use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rstcp::runtime::{Stack, StackConfig, TcpStream};
use rstcp::wire::{Ipv4Cidr, Ipv6Cidr};
use rstcp_tests::netns::{require_root, KernelTap, NetNs, KERNEL_V4, STACK_V4, STACK_V6};
use rstcp_tests::sim::MAC_A;

#[test]
fn connect_to_an_address_nobody_holds_fails_fast_with_host_unreachable() {
    if !require_root() {
        return;
    }
    let ns = NetNs::new("rstcp-unr-").expect("namespace");
    let tap = KernelTap::new(&ns).expect("TAP in the namespace");
    let mut config = StackConfig::new(MAC_A);
    config.ipv4 = vec![Ipv4Cidr::new(STACK_V4, 24).unwrap()];
    config.ipv6 = vec![Ipv6Cidr::new(STACK_V6, 64).unwrap()];
    // The namespace holds only the kernel's address: skip 6 s of probes.
    config.ipv4_probe = false;
    let stack = Stack::start(tap.device, config).expect("start the stack");
    stack
        .wait_configured(Duration::from_secs(10))
        .expect("addresses");

    // The kernel is there and answers: its refusal comes at once.
    let kernel = SocketAddr::new(IpAddr::V4(KERNEL_V4), 9);
    let err = TcpStream::connect(&stack, kernel).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");

    for nobody in ["192.168.69.99", "fd00::99"] {
        let to = SocketAddr::new(nobody.parse().unwrap(), 7);
        let started = Instant::now();
        let err = TcpStream::connect(&stack, to).unwrap_err();
        let took = started.elapsed();
        assert_eq!(err.kind(), ErrorKind::HostUnreachable, "{to}: {err}");
        assert!(err.to_string().contains(nobody), "{err}");
        // Linux: 3 solicitations 1 s apart, then EHOSTUNREACH.
        assert!(took < Duration::from_secs(5), "{to}: failed after {took:?}");
        eprintln!("{to}: {err} after {took:?}");
    }
    stack.stop().unwrap();
}
