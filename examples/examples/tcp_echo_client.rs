//! A TCP echo client on a TAP: connects to an echo server (RFC 862), sends
//! each line of stdin (or `--message TEXT`, `--count` times), prints what
//! comes back and checks it is what was sent.
//!
//! ```text
//! echo hello | sudo cargo run --release -p rstcp-examples --example tcp_echo_client -- \
//!     --ipv4 192.168.69.1/24 192.168.69.100 7
//! ```
//!
//! Exits 1 with a message when the connection fails or an echo differs.

use std::io::{self, ErrorKind, Read, Write};
use std::net::Shutdown;
use std::time::Duration;

use clap::Parser;
use rstcp::runtime::TcpStream;
use rstcp_examples::cli::{self, EchoServer, Messages, NetArgs};

/// Sends lines to a TCP echo server and verifies the echoes.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[command(flatten)]
    net: NetArgs,
    #[command(flatten)]
    messages: Messages,
    #[command(flatten)]
    server: EchoServer,
}

fn main() {
    let args = Args::parse();
    args.net.init_logging();
    cli::exit_on_error("tcp_echo_client", run(&args));
}

fn run(args: &Args) -> io::Result<()> {
    let stack = args.net.start(Duration::from_secs(30))?;
    let server = args.server.socket_addr();
    let timeout = args.server.timeout();
    let mut stream = TcpStream::connect_timeout(&stack, &server, timeout)
        .map_err(|e| io::Error::new(e.kind(), format!("connecting to {server}: {e}")))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    eprintln!(
        "connected to {server} from {}",
        stream.local_addr().map_or("?".into(), |a| a.to_string())
    );

    let mut echoed = 0u64;
    let mut back = Vec::new();
    for line in args.messages.lines() {
        let mut sent = line?.into_bytes();
        sent.push(b'\n');
        stream.write_all(&sent)?;
        back.resize(sent.len(), 0);
        stream.read_exact(&mut back).map_err(|e| match e.kind() {
            ErrorKind::UnexpectedEof => io::Error::new(
                e.kind(),
                format!("{server} closed the connection before echoing everything"),
            ),
            _ => io::Error::new(e.kind(), format!("waiting for the echo: {e}")),
        })?;
        if back != sent {
            return Err(io::Error::new(
                ErrorKind::InvalidData,
                format!(
                    "the echo differs: sent {:?}, got {:?}",
                    String::from_utf8_lossy(&sent),
                    String::from_utf8_lossy(&back)
                ),
            ));
        }
        print!("{}", String::from_utf8_lossy(&back));
        io::stdout().flush()?;
        echoed += 1;
    }
    // Close our side and wait for the server's: an echo server sends
    // nothing more, so any extra byte is an error too.
    stream.shutdown(Shutdown::Write)?;
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest)?;
    if !rest.is_empty() {
        return Err(io::Error::new(
            ErrorKind::InvalidData,
            format!("{} unexpected bytes after the last echo", rest.len()),
        ));
    }
    eprintln!("{echoed} lines echoed correctly");
    drop(stream);
    stack.stop()
}
