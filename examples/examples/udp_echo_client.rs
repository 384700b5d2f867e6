//! A UDP echo client on a TAP: sends each line of stdin (or `--message
//! TEXT`, `--count` times) to an echo server (RFC 862) as one datagram,
//! waits for the echo, sends again when none comes in time, and checks the
//! echo is what was sent.
//!
//! ```text
//! echo hello | sudo cargo run --release -p rstcp-examples --example udp_echo_client -- \
//!     --ipv4 192.168.69.1/24 192.168.69.100 7
//! ```
//!
//! Exits 1 with a message when a datagram gets no echo after all retries.

use std::io::{self, ErrorKind, Write};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use clap::Parser;
use rstcp::runtime::UdpSocket;
use rstcp_examples::cli::{self, Messages, NetArgs};

/// Sends datagrams to a UDP echo server and verifies the echoes.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[command(flatten)]
    net: NetArgs,
    #[command(flatten)]
    messages: Messages,
    /// Seconds to wait for each echo before sending again.
    #[arg(long, default_value_t = 1.0, value_parser = seconds)]
    timeout: f64,
    /// How many times to send a datagram again when no echo came.
    #[arg(long, default_value_t = 3)]
    retries: u32,
    /// The echo server's address.
    addr: IpAddr,
    /// The echo server's port.
    port: u16,
}

/// A positive, finite number of seconds.
fn seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x > 0.0 && x < 1e6 => Ok(x),
        _ => Err(format!("{s:?} is not a positive number of seconds")),
    }
}

fn main() {
    let args = Args::parse();
    args.net.init_logging();
    cli::exit_on_error("udp_echo_client", run(&args));
}

fn run(args: &Args) -> io::Result<()> {
    let stack = args.net.start(Duration::from_secs(30))?;
    let server = SocketAddr::new(args.addr, args.port);
    let socket = UdpSocket::bind(&stack, 0)?;
    let timeout = Duration::from_secs_f64(args.timeout);

    let mut buf = vec![0u8; 65_535];
    let mut echoed = 0u64;
    for line in args.messages.lines() {
        let sent = line?.into_bytes();
        echo(&socket, server, &sent, timeout, args.retries, &mut buf)?;
        println!("{}", String::from_utf8_lossy(&sent));
        io::stdout().flush()?;
        echoed += 1;
    }
    eprintln!("{echoed} datagrams echoed correctly");
    drop(socket);
    stack.stop()
}

/// Sends `sent` until its echo comes back from `server`. Datagrams from
/// elsewhere, and late echoes of earlier lines, are passed over: UDP may
/// deliver them at any time.
fn echo(
    socket: &UdpSocket,
    server: SocketAddr,
    sent: &[u8],
    timeout: Duration,
    retries: u32,
    buf: &mut [u8],
) -> io::Result<()> {
    for attempt in 0..=retries {
        if attempt > 0 {
            eprintln!(
                "no echo from {server} within {timeout:?}, sending again ({attempt}/{retries})"
            );
        }
        socket.send_to(sent, server)?;
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            socket.set_read_timeout(Some(left))?;
            match socket.recv_from(buf) {
                Ok((n, from)) if from == server && &buf[..n] == sent => return Ok(()),
                Ok((n, from)) => log::info!("passing over {n} bytes from {from}"),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
                Err(e) => return Err(io::Error::new(e.kind(), format!("receiving: {e}"))),
            }
        }
    }
    Err(io::Error::new(
        ErrorKind::TimedOut,
        format!(
            "no echo from {server} after {} tries of {timeout:?}",
            retries + 1
        ),
    ))
}
