//! One interface on `rstcp_testkit::loopback::Loopback`, the device "for
//! talking to oneself": what it transmits comes back to it, so a TCP
//! connection and UDP datagrams to its own addresses must go through.

use rstcp::phy::DeviceCapabilities;
use rstcp::socket::tcp::State;
use rstcp::socket::udp::UdpMetadata;
use rstcp::time::{Duration, Instant};
use rstcp::wire::{IpAddr, IpEndpoint};
use rstcp_testkit::loopback::Loopback;
use rstcp_tests::sim::*;

/// The host and its device, in simulated time.
struct Alone {
    host: Host,
    dev: Loopback,
    now: Instant,
}

impl Alone {
    fn new() -> Alone {
        Alone {
            host: Host::new(MAC_A, IP4_A, IP6_A, 0x100b, false),
            dev: Loopback::new(DeviceCapabilities::ethernet(1500)),
            now: Instant::ZERO,
        }
    }

    /// Polls until `done` or `limit` of simulated time passed.
    fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&mut Host) -> bool) -> bool {
        let end = self.now + limit;
        while self.now <= end {
            let busy = self
                .host
                .iface
                .poll(self.now, &mut self.dev, &mut self.host.sockets);
            if done(&mut self.host) {
                return true;
            }
            if busy || self.dev.queued() > 0 {
                self.now += Duration::from_micros(10);
            } else {
                match self.host.iface.poll_at(self.now, &self.host.sockets) {
                    Some(t) if t > self.now => self.now = t,
                    _ => self.now += Duration::from_millis(1),
                }
            }
        }
        false
    }
}

fn tcp_to_self(addr: IpAddr) {
    let mut a = Alone::new();
    let listener = a.host.tcp_listener(7, 4, 4, 1, 4096);
    let client = a.host.tcp(4096);
    a.host
        .connect(a.now, client, IpEndpoint::new(addr, 7), 0)
        .expect("connect to our own address");
    let mut server = None;
    let up = a.run_until(Duration::from_secs(5), |h| {
        if server.is_none() {
            server = h.listener(listener).accept();
        }
        server.is_some() && h.tcp_socket(client).state() == State::Established
    });
    assert!(
        up,
        "no connection to {addr} through the loopback within 5 s: client {:?}, stats {:?}",
        a.host.tcp_socket(client).state(),
        a.host.iface.stats()
    );
    let server = server.unwrap();
    a.host.tcp_socket(client).send_slice(b"to myself").unwrap();
    let mut got = Vec::new();
    let echoed = a.run_until(Duration::from_secs(5), |h| {
        let mut buf = [0u8; 64];
        if let Ok(n) = h.tcp_socket(server).recv_slice(&mut buf) {
            got.extend_from_slice(&buf[..n]);
        }
        got == b"to myself"
    });
    assert!(echoed, "the server read {got:?}");
}

fn udp_to_self(addr: IpAddr) {
    let mut a = Alone::new();
    let rx = a.host.udp(5000, 4096);
    let tx = a.host.udp(0, 4096);
    a.host
        .udp_socket(tx)
        .send_slice(
            b"note to self",
            UdpMetadata::from(IpEndpoint::new(addr, 5000)),
        )
        .unwrap();
    let got = a.run_until(Duration::from_secs(5), |h| h.udp_socket(rx).can_recv());
    assert!(
        got,
        "no datagram to {addr} through the loopback within 5 s: stats {:?}",
        a.host.iface.stats()
    );
    let (data, meta) = a.host.udp_socket(rx).recv().unwrap();
    assert_eq!(data, b"note to self");
    assert_eq!(meta.endpoint.addr, addr);
}

#[test]
fn tcp_to_own_ipv4_address() {
    tcp_to_self(IpAddr::V4(IP4_A));
}

#[test]
fn tcp_to_own_ipv6_address() {
    tcp_to_self(IpAddr::V6(IP6_A));
}

#[test]
fn udp_to_own_ipv4_address() {
    udp_to_self(IpAddr::V4(IP4_A));
}

#[test]
fn udp_to_own_ipv6_address() {
    udp_to_self(IpAddr::V6(IP6_A));
}
