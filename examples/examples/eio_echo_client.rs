//! An echo client written against embedded-io's blocking `Read` and
//! `Write` alone, run over the std runtime's `TcpStream` on a TAP: the
//! same `echo` function would run over any embedded-io stream (a UART, a
//! TLS session, another stack's socket). It sends TEXT to the echo server
//! (RFC 862) at HOST:PORT (a name or an address) and prints what comes back.
//!
//! ```text
//! sudo cargo run --release -p rstcp-examples --example eio_echo_client -- \
//!     --ipv4 192.168.69.1/24 192.168.69.100 7 hello
//! ```
//!
//! Exits 1 with a message when connecting or the echo fails.

use std::io;
use std::time::Duration;

use clap::Parser;
use rstcp::runtime::TcpStream;
use rstcp_examples::cli::{self, EchoByName, NetArgs};

/// Sends TEXT to a TCP echo server through embedded-io's traits.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[command(flatten)]
    net: NetArgs,
    #[command(flatten)]
    echo: EchoByName,
}

/// The client: knows only embedded-io's traits, not rstcp.
fn echo<T>(io: &mut T, text: &[u8]) -> Result<Vec<u8>, T::Error>
where
    T: embedded_io::Read + embedded_io::Write,
{
    io.write_all(text)?;
    io.flush()?;
    let mut got = vec![0u8; text.len()];
    let mut n = 0;
    while n < got.len() {
        match io.read(&mut got[n..])? {
            // The peer closed before echoing everything.
            0 => break,
            k => n += k,
        }
    }
    got.truncate(n);
    Ok(got)
}

fn main() {
    let args = Args::parse();
    args.net.init_logging();
    cli::exit_on_error("eio_echo_client", run(&args));
}

fn run(args: &Args) -> io::Result<()> {
    let stack = args.net.start(Duration::from_secs(30))?;
    let mut stream = TcpStream::connect(&stack, (args.echo.host.as_str(), args.echo.port))?;
    let got = echo(&mut stream, args.echo.text.as_bytes())?;
    println!("{}", String::from_utf8_lossy(&got));
    drop(stream);
    stack.stop()?;
    if got != args.echo.text.as_bytes() {
        return Err(io::Error::other("the echo differs from what was sent"));
    }
    Ok(())
}
