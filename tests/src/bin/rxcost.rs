//! The std runtime's cost per received frame, for `valgrind --tool=callgrind`.
//!
//! The runtime on a TAP (with the TAP's offloads unless `--no-offload`)
//! accepts one connection from the kernel, in a namespace the run creates
//! and deletes, and reads `BYTES` (default 32 MiB) that the kernel sends;
//! it prints the frames the kernel put on the TAP, to divide by. Every
//! round of the device's driving (read the waiting frames, poll, write the
//! ACKs) runs inside `drive::step`, on whichever thread drives, so its
//! inclusive count is the runtime's receive work without the application's
//! copy out of the socket or the kernel's side:
//!
//! ```text
//! cargo build --release -p rstcp-tests --bin rxcost
//! sudo valgrind --tool=callgrind --toggle-collect='*drive*step*' \
//!     --callgrind-out-file=cg.out target/release/rxcost [--no-offload] [BYTES]
//! callgrind_annotate cg.out | grep 'PROGRAM TOTALS'   # / the frames printed
//! ```
//!
//! Under valgrind the threads run one at a time, so batches are shorter
//! than on the wire; compare counts taken the same way.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr};

use rstcp::runtime::{Stack, StackConfig, TcpListener};
use rstcp::wire::Ipv4Cidr;
use rstcp_tests::netns::{require_root, KernelTap, NetNs, STACK_V4};
use rstcp_tests::sim::MAC_A;

fn main() {
    let mut offload = true;
    let mut bytes: usize = 32 << 20;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--no-offload" => offload = false,
            n => bytes = n.parse().expect("usage: rxcost [--no-offload] [BYTES]"),
        }
    }
    if !require_root() {
        std::process::exit(1);
    }
    let ns = NetNs::new("rstcp-rxcost-").expect("namespace");
    let tap = KernelTap::with_offload(&ns, offload).expect("TAP in the namespace");
    let name = tap.name.clone();
    let mut config = StackConfig::new(MAC_A);
    config.ipv4 = vec![Ipv4Cidr::new(STACK_V4, 24).unwrap()];
    config.ipv4_probe = false;
    config.dad_transmits = 0;
    config.tcp_rx_buffer = 1 << 20;
    let stack = Stack::start(tap.device, config).expect("start the stack");
    let listener = TcpListener::bind(&stack, 5001, 1).unwrap();
    let to = SocketAddr::new(IpAddr::V4(STACK_V4), 5001);
    let sender = ns.in_ns(move || {
        let mut s = std::net::TcpStream::connect(to).unwrap();
        let chunk = vec![0x5a; 64 * 1024];
        let mut left = bytes;
        while left > 0 {
            let n = left.min(chunk.len());
            s.write_all(&chunk[..n]).unwrap();
            left -= n;
        }
    });
    let (mut s, _) = listener.accept().unwrap();
    let mut buf = vec![0u8; 256 * 1024];
    let mut got = 0;
    while got < bytes {
        match s.read(&mut buf).unwrap() {
            0 => break,
            n => got += n,
        }
    }
    sender.join().unwrap().unwrap();
    assert_eq!(got, bytes, "every byte arrived");
    let path = format!("/sys/class/net/{name}/statistics/tx_packets");
    let out = ns.exec_ok("cat", &[&path]).expect("the TAP's counters");
    let frames = String::from_utf8_lossy(&out.stdout).trim().to_string();
    println!("offload {offload} bytes {bytes} frames {frames}");
    drop(stack);
}
