//! An echo client written against embedded-nal's blocking traits alone
//! (`Dns` and `TcpClientStack`), run on the std runtime over a TAP: the
//! same `echo` function would run on any embedded-nal stack. It resolves
//! HOST, sends TEXT to the echo server (RFC 862) on PORT and prints what
//! comes back.
//!
//! ```text
//! sudo cargo run --release -p rstcp-examples --example nal_echo_client -- \
//!     --ipv4 192.168.69.1/24 --dns 192.168.69.100 echo.lan 7 hello
//! ```
//!
//! Exits 1 with a message when resolving, connecting or the echo fails.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use embedded_nal::{AddrType, Dns, TcpClientStack};
use rstcp_examples::cli::{self, EchoByName, NetArgs};

/// Sends TEXT to a TCP echo server through embedded-nal's traits.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[command(flatten)]
    net: NetArgs,
    #[command(flatten)]
    echo: EchoByName,
}

/// The client: knows only the traits, not rstcp.
fn echo<S>(stack: &mut S, host: &str, port: u16, text: &[u8]) -> Result<Vec<u8>, String>
where
    S: TcpClientStack + Dns,
{
    let ip = nb::block!(stack.get_host_by_name(host, AddrType::Either))
        .map_err(|e| format!("resolving {host}: {e:?}"))?;
    let remote = SocketAddr::new(ip, port);
    let mut socket = stack.socket().map_err(|e| format!("{e:?}"))?;
    nb::block!(stack.connect(&mut socket, remote))
        .map_err(|e| format!("connecting to {remote}: {e:?}"))?;
    let mut sent = 0;
    while sent < text.len() {
        sent += nb::block!(stack.send(&mut socket, &text[sent..])).map_err(|e| format!("{e:?}"))?;
    }
    let mut got = vec![0u8; text.len()];
    let mut n = 0;
    while n < got.len() {
        n += nb::block!(stack.receive(&mut socket, &mut got[n..])).map_err(|e| format!("{e:?}"))?;
    }
    stack.close(socket).map_err(|e| format!("{e:?}"))?;
    Ok(got)
}

fn main() {
    let args = Args::parse();
    args.net.init_logging();
    cli::exit_on_error("nal_echo_client", run(&args));
}

fn run(args: &Args) -> io::Result<()> {
    let mut stack = args.net.start(Duration::from_secs(30))?;
    let got = echo(
        &mut stack,
        &args.echo.host,
        args.echo.port,
        args.echo.text.as_bytes(),
    )
    .map_err(io::Error::other)?;
    println!("{}", String::from_utf8_lossy(&got));
    stack.stop()?;
    if got != args.echo.text.as_bytes() {
        return Err(io::Error::other("the echo differs from what was sent"));
    }
    Ok(())
}
