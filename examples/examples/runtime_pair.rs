//! Two stacks, each on its own thread, joined by an in-memory pipe: an echo
//! server on one and a client on the other, written as with `std::net`.
//!
//! The polling loop of `ping_pair` is inside `rstcp::runtime::Stack` here;
//! the program only sees blocking sockets.
//!
//! ```text
//! cargo run --release -p rstcp-examples --example runtime_pair [-- MEGABYTES]
//! ```

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;
use rstcp::phy::pipe;
use rstcp::runtime::{ping, Stack, StackConfig, TcpListener, TcpStream};
use rstcp::wire::{EthernetAddress, Ipv4Addr, Ipv4Cidr};

/// Two stacks on their own threads over an in-memory pipe: pings, then
/// echoes MEGABYTES through a TCP connection and prints the throughput.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// How many MiB to echo through the connection.
    #[arg(default_value_t = 100)]
    megabytes: usize,
}

fn config(last: u8) -> StackConfig {
    let mut c = StackConfig::new(EthernetAddress([2, 0, 0, 0, 0, last]));
    c.ipv4 = vec![Ipv4Cidr::new(Ipv4Addr::new(192, 168, 69, last), 24).unwrap()];
    // A private wire: no one to conflict with, skip RFC 5227 probing.
    c.ipv4_probe = false;
    c
}

fn main() -> std::io::Result<()> {
    let megabytes = Args::parse().megabytes;
    let (da, db) = pipe::pair();
    let client_stack = Stack::start(da, config(1))?;
    let server_stack = Stack::start(db, config(2))?;
    let server_addr = SocketAddr::from(([192, 168, 69, 2], 7));

    let rtt = ping(&client_stack, server_addr.ip(), 56, Duration::from_secs(1))?;
    println!(
        "ping {}: {:.3} ms",
        server_addr.ip(),
        rtt.as_secs_f64() * 1e3
    );

    let listener = TcpListener::bind(&server_stack, 7, 8)?;
    let server = thread::spawn(move || -> std::io::Result<()> {
        let (mut s, peer) = listener.accept()?;
        println!("server: connection from {peer}");
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = s.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            s.write_all(&buf[..n])?;
        }
    });

    let stream = TcpStream::connect(&client_stack, server_addr)?;
    let total = megabytes * 1024 * 1024;
    let start = Instant::now();
    let echoed = thread::scope(|scope| {
        scope.spawn(|| -> std::io::Result<()> {
            let chunk = vec![0x5au8; 64 * 1024];
            let mut left = total;
            while left > 0 {
                let n = left.min(chunk.len());
                (&stream).write_all(&chunk[..n])?;
                left -= n;
            }
            stream.shutdown(Shutdown::Write)
        });
        let mut buf = vec![0u8; 64 * 1024];
        let mut got = 0usize;
        loop {
            match (&stream).read(&mut buf) {
                Ok(0) => return Ok(got),
                Ok(n) => got += n,
                Err(e) => return Err(e),
            }
        }
    })?;
    let secs = start.elapsed().as_secs_f64();
    println!(
        "echoed {echoed} bytes in {secs:.2} s: {:.1} Mbit/s each way",
        echoed as f64 * 8.0 / secs / 1e6
    );
    println!("client connection: {:?}", stream.stats());
    server.join().expect("server thread")?;
    client_stack.stop()?;
    server_stack.stop()
}
