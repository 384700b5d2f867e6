//! An HTTP/1.1 GET over the stack's TCP: the body goes to stdout, the
//! status line to stderr, like `curl -sS` with a status line.
//!
//! ```text
//! sudo cargo run --release -p rstcp-examples --example http_get -- \
//!     --ipv4 192.168.69.1/24 http://192.168.69.100:8080/index.html
//! ```
//!
//! The host must be an IP address (IPv6 in brackets): the stack has no DNS
//! resolver. Exits 1 on a non-2xx status or any failure.

use std::io::{self, BufReader, ErrorKind, Write};
use std::time::Duration;

use clap::Parser;
use rstcp::runtime::TcpStream;
use rstcp_examples::cli::{self, NetArgs};
use rstcp_examples::http::{copy_body, read_head, Url};

/// Fetches an http:// URL and prints the body.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[command(flatten)]
    net: NetArgs,
    /// Seconds to wait for the connection and for each read.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// The URL: http://ADDRESS[:PORT]/PATH.
    url: Url,
}

fn main() {
    let args = Args::parse();
    args.net.init_logging();
    cli::exit_on_error("http_get", run(&args));
}

fn run(args: &Args) -> io::Result<()> {
    let stack = args.net.start(Duration::from_secs(30))?;
    let url = &args.url;
    let timeout = Duration::from_secs(args.timeout.max(1));
    let mut stream = TcpStream::connect_timeout(&stack, &url.addr, timeout)
        .map_err(|e| io::Error::new(e.kind(), format!("connecting to {}: {e}", url.addr)))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    stream.write_all(url.get_request().as_bytes())?;

    let mut reader = BufReader::new(&stream);
    let head = read_head(&mut reader).map_err(|e| io::Error::new(ErrorKind::InvalidData, e))?;
    eprintln!("{}", head.status_line);
    let stdout = io::stdout();
    let mut out = stdout.lock();
    copy_body(&mut reader, &head, &mut out)
        .map_err(|e| io::Error::new(ErrorKind::InvalidData, e))?;
    out.flush()?;
    drop(reader);
    drop(stream);
    stack.stop()?;
    if !head.is_success() {
        return Err(io::Error::other(format!("server answered {}", head.status)));
    }
    Ok(())
}
