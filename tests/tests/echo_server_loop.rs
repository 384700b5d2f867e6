//! The loop `tap_echo_server` offers to copy onto bare metal really needs
//! no heap: its `Server` (the example's own code, compiled here as a
//! module) is built and driven in simulated time over an in-memory link,
//! opposite a simulated client that echoes TCP and UDP through it over IPv4
//! and IPv6, while a counting global allocator watches every call into it.
//! (`kernel_examples.rs` runs the same example against the Linux kernel.)

use rstcp::phy::DeviceCapabilities;
use rstcp::time::{Duration, Instant};
use rstcp::wire::{EthernetAddress, IpAddr, IpEndpoint, Ipv4Addr, Ipv6Addr};
use rstcp_testkit::loopback::Link;
use rstcp_tests::alloc_count::{allocations as counted, CountingAlloc};
use rstcp_tests::sim::Host;

#[allow(dead_code)] // its main, which runs it on a TAP
#[path = "../../examples/examples/tap_echo_server.rs"]
mod tap_echo_server;

use tap_echo_server::{Memory, Server};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

const SERVER_V4: Ipv4Addr = Ipv4Addr::new(192, 168, 69, 1);
const SERVER_V6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1);

/// The server, a client host and the wire between them, in simulated time.
struct World<'a> {
    server: Server<'a>,
    client: Host,
    link: Link,
    now: Instant,
    /// Allocations made inside the server's calls while counting.
    allocs: u64,
    count: bool,
}

impl World<'_> {
    /// Steps both sides (the server by its own loop's rule: `turn` until
    /// it returns false) until `done`, at most 30 simulated seconds.
    fn run_until(&mut self, what: &str, mut done: impl FnMut(&mut Host) -> bool) {
        let limit = self.now + Duration::from_secs(30);
        while !done(&mut self.client) {
            assert!(self.now < limit, "{what}: not done after 30 s");
            self.step(Duration::from_micros(100));
        }
    }

    /// The server's loop once, the client's poll once, then `dt` passes.
    fn step(&mut self, dt: Duration) {
        let (server, link, now) = (&mut self.server, &mut self.link, self.now);
        let (_, n) = counted(|| while server.turn(now, &mut link.a()) {});
        if self.count {
            self.allocs += n;
        }
        self.client
            .iface
            .poll(self.now, &mut self.link.b(), &mut self.client.sockets);
        self.now += dt;
    }

    /// A TCP connection to port 7 of `to`: `len` bytes echoed, then both
    /// sides close.
    fn tcp_echo(&mut self, to: IpAddr, len: usize) {
        let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        let h = self.client.tcp(64 * 1024);
        self.client
            .connect(self.now, h, IpEndpoint::new(to, 7), 0)
            .unwrap();
        let (mut sent, mut back) = (0, Vec::new());
        self.run_until("TCP echo", |c| {
            let s = c.tcp_socket(h);
            if s.can_send() && sent < len {
                sent += s.send_slice(&data[sent..]).unwrap();
                if sent == len {
                    s.close();
                }
            }
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = s.recv_slice(&mut buf) {
                back.extend_from_slice(&buf[..n]);
            }
            s.recv_finished()
        });
        assert!(
            back == data,
            "TCP to {to}: {} of {len} bytes came back",
            back.len()
        );
        // Let the server's side finish (LAST-ACK to CLOSED) and its socket
        // go back to the listener.
        for _ in 0..100 {
            self.step(Duration::from_millis(1));
        }
        self.client.sockets.remove(h);
    }

    /// UDP datagrams of `sizes` to port 7 of `to`, each echoed.
    fn udp_echo(&mut self, to: IpAddr, sizes: &[usize]) {
        let h = self.client.udp(0, 64 * 1024);
        for &len in sizes {
            let data: Vec<u8> = (0..len).map(|i| (i % 239) as u8).collect();
            self.client
                .udp_socket(h)
                .send_slice(&data, IpEndpoint::new(to, 7).into())
                .unwrap();
            let mut back = None;
            self.run_until("UDP echo", |c| {
                let mut buf = vec![0u8; 65536];
                if let Ok((n, meta)) = c.udp_socket(h).recv_slice(&mut buf) {
                    back = Some((buf[..n].to_vec(), meta.endpoint));
                }
                back.is_some()
            });
            let (got, from) = back.unwrap();
            assert_eq!(from, IpEndpoint::new(to, 7));
            assert!(
                got == data,
                "UDP to {to}: {len} bytes sent, {} back",
                got.len()
            );
        }
        self.client.sockets.remove(h);
    }

    fn round(&mut self) {
        for to in [IpAddr::V4(SERVER_V4), IpAddr::V6(SERVER_V6)] {
            // More than a ring (16 KiB) each way: flow control included.
            self.tcp_echo(to, 200_000);
            // 5000 bytes: fragmented both ways at MTU 1500.
            self.udp_echo(to, &[1, 1000, 5000]);
        }
    }
}

fn run() {
    let mut memory = Memory::default();
    let (server, allocs) = counted(|| {
        Server::new(
            &mut memory,
            EthernetAddress([2, 0, 0, 0x77, 0x77, 0x77]),
            false,
            0x5eed,
            Instant::ZERO,
        )
    });
    assert_eq!(allocs, 0, "Server::new allocated");
    let mut w = World {
        server,
        client: Host::new(
            EthernetAddress([2, 0, 0, 0, 0, 2]),
            Ipv4Addr::new(192, 168, 69, 2),
            Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 2),
            7,
            false,
        ),
        link: Link::new(DeviceCapabilities::ethernet(1500), 256),
        now: Instant::ZERO,
        allocs: 0,
        count: false,
    };
    // The first round warms the in-memory link up (its frame buffers are
    // allocated on first use, then circulate); from then on, nothing.
    w.round();
    w.count = true;
    // More connections than the server has sockets (8): each closed one
    // went back to the listener.
    for _ in 0..5 {
        w.round();
    }
    assert_eq!(w.allocs, 0, "the server's loop allocated");
}

#[test]
fn the_echo_servers_loop_echoes_tcp_and_udp_v4_and_v6_without_allocating() {
    // The server's memory (about 370 KiB) lives on this thread's stack, as
    // on main's in the example.
    std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(run)
        .unwrap()
        .join()
        .unwrap();
}
