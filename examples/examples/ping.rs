//! ping(8) on a TAP: ICMP echo requests to an IPv4 or IPv6 address or a
//! host name (resolved through the stack's DNS servers: the DHCPv4 lease's,
//! RDNSS, or `--dns`), one line per reply, and the usual summary at the end (after `-c COUNT`
//! requests, or on SIGINT/SIGTERM).
//!
//! ```text
//! sudo cargo run --release -p rstcp-examples --example ping -- \
//!     --ipv4 192.168.69.1/24 -c 3 192.168.69.100
//! ```
//!
//! Exit status as ping(8)'s: 0 when a reply came, 1 when none did, 2 on
//! any other error.

use std::io::{self, ErrorKind, Write};
use std::net::IpAddr;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use clap::Parser;
use rstcp::runtime::{lookup_host, ping_seq};
use rstcp_examples::cli::NetArgs;
use rstcp_examples::pingstats::PingStats;

/// Sends ICMP echo requests and reports the replies, as ping(8).
#[derive(Parser)]
#[command(version)]
struct Args {
    #[command(flatten)]
    net: NetArgs,
    /// Stop after sending COUNT requests (default: until interrupted).
    #[arg(short = 'c', long, value_name = "COUNT")]
    count: Option<u64>,
    /// Bytes of data in each request (the ICMP header adds 8). Sizes past
    /// the MTU are sent in fragments.
    #[arg(short = 's', long, default_value_t = 56, value_name = "SIZE")]
    size: usize,
    /// Seconds between requests.
    #[arg(short = 'i', long, default_value_t = 1.0, value_name = "INTERVAL", value_parser = seconds)]
    interval: f64,
    /// Seconds to wait for each reply.
    #[arg(short = 'W', long, default_value_t = 2.0, value_name = "TIMEOUT", value_parser = seconds)]
    timeout: f64,
    /// The address or host name to ping.
    destination: String,
}

/// A non-negative, finite number of seconds.
fn seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if (0.0..1e6).contains(&x) => Ok(x),
        _ => Err(format!("{s:?} is not a number of seconds")),
    }
}

fn main() {
    let args = Args::parse();
    args.net.init_logging();
    match run(&args) {
        Ok(true) => {}
        Ok(false) => std::process::exit(1),
        Err(e) => {
            eprintln!("ping: {e}");
            std::process::exit(2);
        }
    }
}

/// Pings until done; true when any reply came.
fn run(args: &Args) -> io::Result<bool> {
    if args.size > 65_000 {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            format!("packet size {} is too large (at most 65000)", args.size),
        ));
    }
    let (stop_tx, stop_rx) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })
    .map_err(io::Error::other)?;

    let stack = args.net.start(Duration::from_secs(30))?;
    let name = &args.destination;
    // The first address, as ping(8) does.
    let dst: IpAddr = lookup_host(&stack, name)?[0];
    match dst {
        // The IPv4 header (20) and ICMP header (8), as ping(8) counts.
        IpAddr::V4(_) => println!(
            "PING {name} ({dst}) {}({}) bytes of data.",
            args.size,
            args.size + 28
        ),
        IpAddr::V6(_) => println!("PING {name} ({dst}) {} data bytes", args.size),
    }
    let interval = Duration::from_secs_f64(args.interval);
    let timeout = Duration::from_secs_f64(args.timeout);
    let mut stats = PingStats::new();
    let started = Instant::now();
    let mut seq: u64 = 0;
    loop {
        if args.count.is_some_and(|c| seq >= c) {
            break;
        }
        seq += 1;
        // The sequence number on the wire wraps as ping(8)'s does.
        let wire_seq = seq as u16;
        stats.sent();
        match ping_seq(&stack, dst, wire_seq, args.size, timeout) {
            Ok(rtt) => {
                stats.replied(rtt);
                println!(
                    "{} bytes from {dst}: icmp_seq={wire_seq} time={:.3} ms",
                    args.size + 8,
                    rtt.as_secs_f64() * 1000.0
                );
            }
            Err(e) if e.kind() == ErrorKind::TimedOut => {
                println!("no answer from {dst} for icmp_seq={wire_seq}");
            }
            Err(e) => return Err(e),
        }
        io::stdout().flush()?;
        if args.count.is_some_and(|c| seq >= c) {
            break;
        }
        // The next request leaves `interval` after this one did; a signal
        // ends the wait at once.
        let next = started + interval.mul_f64(seq as f64);
        let wait = next.saturating_duration_since(Instant::now());
        if stop_rx.recv_timeout(wait).is_ok() {
            break;
        }
    }
    let elapsed = started.elapsed();
    println!();
    println!("--- {name} ping statistics ---");
    println!("{}", stats.packets_line(elapsed));
    if let Some(rtt) = stats.rtt() {
        println!("{rtt}");
    }
    stack.stop()?;
    Ok(stats.received() > 0)
}
