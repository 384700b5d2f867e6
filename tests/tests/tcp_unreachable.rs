//! A connection to an address that never answers address resolution fails
//! fast, naming the address, as Linux's `connect` fails with EHOSTUNREACH
//! ("No route to host") after its 3 unanswered ARP requests (or Neighbor
//! Solicitations) a second apart, not after the whole connect timeout
//! (about 2 minutes of SYN retransmissions) with a bare "timed out".
//!
//! In simulated time, two interfaces on an in-memory link; and the std
//! runtime over an in-memory pipe whose other end nobody reads (real time).

use std::io::ErrorKind;
use std::time::Instant as StdInstant;

use rstcp::iface::Event;
use rstcp::phy::pipe;
use rstcp::runtime::{Stack, StackConfig, TcpStream};
use rstcp::socket::tcp::{State, TcpError};
use rstcp::time::Duration;
use rstcp::wire::{IpAddr, IpEndpoint, Ipv4Addr, Ipv4Cidr, Ipv6Addr};
use rstcp_tests::sim::*;

/// On A's link, and nobody's.
const NOBODY_V4: Ipv4Addr = Ipv4Addr::new(192, 168, 69, 99);
const NOBODY_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 0x99);

/// Connects A to `to`, port 7, and runs until the socket closes; gives the
/// simulated time that took and the error's text.
fn connect_to_nobody(to: IpAddr) -> (Duration, String) {
    let mut sim = Sim::new(1500, false);
    let h = sim.a.tcp(4096);
    let start = sim.now;
    sim.a
        .connect(sim.now, h, IpEndpoint::new(to, 7), 0)
        .unwrap();
    let closed = sim.run_until(Duration::from_secs(300), |s| {
        s.a.tcp_socket(h).state() == State::Closed
    });
    assert!(
        closed,
        "the connection to {to} was still trying after 300 s"
    );
    let error = sim.a.tcp_socket(h).error().expect("an error");
    // The address that did not answer: here the peer itself, on the link.
    assert_eq!(error, TcpError::HostUnreachable(to));
    (sim.now - start, error.to_string())
}

#[test]
fn a_connection_to_an_address_that_never_answers_arp_fails_in_seconds_naming_it() {
    let (took, error) = connect_to_nobody(IpAddr::V4(NOBODY_V4));
    assert!(error.contains("192.168.69.99"), "{error}");
    assert!(error.contains("unreachable"), "{error}");
    // 3 requests a second apart, then the answer: about 3 s.
    assert!(took <= Duration::from_secs(4), "failed after {took}");
}

#[test]
fn a_connection_to_an_address_that_never_answers_neighbor_discovery_fails_in_seconds() {
    let (took, error) = connect_to_nobody(IpAddr::V6(NOBODY_V6));
    assert!(error.contains("fd00::99"), "{error}");
    assert!(error.contains("unreachable"), "{error}");
    assert!(took <= Duration::from_secs(4), "failed after {took}");
}

#[test]
fn an_open_connection_outlives_a_neighbor_that_stops_answering() {
    // Only a connection being opened gives up on an unanswered neighbor
    // (Linux's tcp_v4_err in SYN-SENT); an open one keeps retransmitting
    // and its own timers decide, as RFC 1122 §4.2.3.9 says of soft errors.
    let mut sim = Sim::new(1500, false);
    let l = sim.b.tcp_listener(7, 4, 4, 2, 4096);
    let c = sim.a.tcp(4096);
    let remote = IpEndpoint::new(IpAddr::V4(IP4_B), 7);
    establish(&mut sim, l, c, remote, Duration::from_secs(5)).expect("connected");
    // B vanishes: A's data goes unanswered, and so do its neighbor probes.
    sim.a.tcp_socket(c).send_slice(b"anyone?").unwrap();
    // The entry stays reachable for up to 45 s (RFC 4861 §6.3.2); the
    // next retransmission finds it stale, and unicast probes delete it
    // (§7.3.3); the one after that (about 100 s) asks anew with
    // broadcasts, unanswered: the resolution fails, as for a connect.
    let end = sim.now + Duration::from_secs(120);
    let mut failed = false;
    while sim.now < end {
        sim.a
            .iface
            .poll(sim.now, &mut sim.link.a(), &mut sim.a.sockets);
        while let Some(e) = sim.a.iface.poll_event() {
            failed |= e == Event::NeighborUnreachable(IpAddr::V4(IP4_B));
        }
        let next = sim.a.iface.poll_at(sim.now, &sim.a.sockets);
        sim.now = next.unwrap_or(end).max(sim.now + Duration::from_millis(1));
        // Whatever A sent is lost with B.
        drain_b(&mut sim);
    }
    // B's address stopped resolving meanwhile...
    assert!(failed, "B's ARP entry never failed");
    // ...and the connection is still open.
    let s = sim.a.tcp_socket(c);
    assert_eq!(s.state(), State::Established, "{:?}", s.error());
}

/// Throws away what A sent toward B.
fn drain_b(sim: &mut Sim) {
    use rstcp::phy::{Device, RxToken};
    let mut end = sim.link.b();
    while let Some((rx, _)) = end.receive(sim.now) {
        rx.consume(|_| ());
    }
}

#[test]
fn the_runtime_connect_reports_host_unreachable_with_the_address() {
    let (ours, _nobody) = pipe::pair();
    let mut config = StackConfig::new(MAC_A);
    config.ipv4 = vec![Ipv4Cidr::new(IP4_A, 24).unwrap()];
    config.ipv4_probe = false;
    let stack = Stack::start(ours, config).unwrap();
    let started = StdInstant::now();
    let err = TcpStream::connect(&stack, ([192, 168, 69, 99], 7)).unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::HostUnreachable, "{err}");
    assert!(err.to_string().contains("192.168.69.99"), "{err}");
    assert!(took < std::time::Duration::from_secs(5), "after {took:?}");
    stack.stop().unwrap();
}
