//! The stack's cost per TCP segment, for `valgrind --tool=callgrind`.
//!
//! A bulk transfer between two simulated hosts over a clean in-memory link,
//! with as little harness work as possible (the payload is written once, the
//! receiver only counts bytes). Each side's work sits in its own
//! `#[inline(never)]` function so a profile shows the sender's and the
//! receiver's inclusive cost apart:
//!
//! - `sender_app` / `receiver_app`: the application's `send_slice` /
//!   `recv_slice` (the one copy in and out of the rings);
//! - `sender_poll` / `receiver_poll`: `Interface::poll` of each host
//!   (ingress, TCP, egress, the device's copy into the link).
//!
//! ```text
//! cargo build --release -p rstcp-testkit --example segcost
//! valgrind --tool=callgrind --callgrind-out-file=cg.out \
//!     target/release/examples/segcost 33554432 [BUFFER] [BURST]
//! callgrind_annotate --inclusive=yes cg.out | grep -E 'sender_|receiver_'
//! ```
//!
//! It prints the segments the sender sent, to divide by.

use rstcp::phy::DeviceCapabilities;
use rstcp::time::{Duration, Instant};
use rstcp::wire::{IpAddr, IpEndpoint};
use rstcp_testkit::loopback::Link;
use rstcp_testkit::sim::{Host, Sim, IP4_B};
use std::hint::black_box;

#[inline(never)]
fn sender_app(a: &mut Host, h: rstcp::socket::SocketHandle, chunk: &[u8]) -> usize {
    a.tcp_socket(h).send_slice(chunk).unwrap_or(0)
}

#[inline(never)]
fn receiver_app(b: &mut Host, h: rstcp::socket::SocketHandle, buf: &mut [u8]) -> usize {
    let mut got = 0;
    while let Ok(n) = b.tcp_socket(h).recv_slice(buf) {
        if n == 0 {
            break;
        }
        got += n;
    }
    got
}

#[inline(never)]
fn sender_poll(sim: &mut Sim) -> bool {
    sim.a
        .iface
        .poll(sim.now, &mut sim.link.a(), &mut sim.a.sockets)
}

#[inline(never)]
fn receiver_poll(sim: &mut Sim) -> bool {
    sim.b
        .iface
        .poll(sim.now, &mut sim.link.b(), &mut sim.b.sockets)
}

fn main() {
    let bytes: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(32 << 20);
    let buffer: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(256 << 10);
    if std::env::args().nth(3).as_deref() == Some("transfer") {
        // The same transfer through the test kit's harness (payload drawn
        // byte by byte, both streams hashed, the fault injector attached):
        // to tell the harness's cost from the stack's.
        let f = rstcp_testkit::transfer::faults(0, 0, 0, 0);
        let o = rstcp_testkit::transfer::transfer(bytes, buffer, f, 1, Duration::from_secs(3600));
        println!("transfer: intact {} segments {}", o.intact, o.segments);
        return;
    }
    let mut sim = Sim::new(1500, false);
    // A third argument N: each poll takes at most N frames in (the receiver
    // then ACKs every N segments, as Linux every second one without GRO).
    if let Some(burst) = std::env::args().nth(3).and_then(|s| s.parse().ok()) {
        let mut caps = DeviceCapabilities::ethernet(1500);
        caps.max_burst_size = Some(burst);
        sim.link = Link::new(caps, 256);
    }
    let listener = sim.b.tcp_listener(5001, 4, 2, 1, buffer);
    let client = sim.a.tcp(buffer);
    let now = sim.now;
    sim.a
        .connect(now, client, IpEndpoint::new(IpAddr::V4(IP4_B), 5001), 0)
        .expect("connect");
    let chunk: Vec<u8> = (0..64 * 1024).map(|i| (i * 7 + 3) as u8).collect();
    let mut buf = vec![0u8; 64 * 1024];
    let (mut sent, mut received) = (0usize, 0usize);
    let mut server = None;
    let limit = Instant::ZERO + Duration::from_secs(3600);
    while received < bytes && sim.now < limit {
        if sent < bytes {
            let n = (bytes - sent).min(chunk.len());
            sent += sender_app(&mut sim.a, client, &chunk[..n]);
        }
        if server.is_none() {
            server = sim.b.listener(listener).accept();
        }
        if let Some(h) = server {
            received += receiver_app(&mut sim.b, h, &mut buf);
        }
        let a = sender_poll(&mut sim);
        let b = receiver_poll(&mut sim);
        let step = if a || b {
            Duration::from_micros(10)
        } else {
            match sim.next_deadline() {
                Some(t) if t > sim.now => (t - sim.now).min(Duration::from_millis(200)),
                _ => Duration::from_micros(10),
            }
        };
        sim.now += step;
    }
    black_box(&buf);
    let st = sim.a.tcp_socket(client).stats();
    let rst = server.map(|h| sim.b.tcp_socket(h).stats());
    println!(
        "bytes {received} sent-segments {} retransmits {} receiver-segments-out {:?} simulated {:?}",
        st.segments_out,
        st.retransmits,
        rst.map(|s| s.segments_out),
        sim.now - Instant::ZERO
    );
}
