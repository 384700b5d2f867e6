//! An HTTP/1.1 GET over the stack's TCP: the body goes to stdout, the
//! status line to stderr, like `curl -sS` with a status line.
//!
//! ```text
//! sudo cargo run --release -p rstcp-examples --example http_get -- \
//!     --ipv4 192.168.69.1/24 http://192.168.69.100:8080/index.html
//! ```
//!
//! The host is an IP address (IPv6 in brackets) or a name, resolved through
//! the DNS servers of the DHCPv4 lease, of Router Advertisements (RDNSS),
//! or given with `--dns`. Exits 1 on a non-2xx status or any failure.

use std::io::{self, BufReader, ErrorKind, Write};
use std::time::Duration;

use clap::Parser;
use rstcp::runtime::{lookup_host, Stack, TcpStream};
use rstcp_examples::cli::{self, NetArgs};
use rstcp_examples::http::{copy_body, read_head, Url};
use std::net::SocketAddr;

/// Fetches an http:// URL and prints the body.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[command(flatten)]
    net: NetArgs,
    /// Seconds to wait for the connection and for each read.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// The URL: http://HOST[:PORT]/PATH.
    url: Url,
}

fn main() {
    let args = Args::parse();
    args.net.init_logging();
    cli::exit_on_error("http_get", run(&args));
}

/// A connection to the URL's server: each of the host's addresses in turn
/// (a name resolved by the stack's DNS servers), `timeout` for each.
fn connect(stack: &Stack, url: &Url, timeout: Duration) -> io::Result<TcpStream> {
    let mut last = None;
    for ip in lookup_host(stack, &url.hostname)? {
        match TcpStream::connect_timeout(stack, &SocketAddr::new(ip, url.port), timeout) {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::new(ErrorKind::NotFound, "no address")))
}

fn run(args: &Args) -> io::Result<()> {
    let stack = args.net.start(Duration::from_secs(30))?;
    let url = &args.url;
    let timeout = Duration::from_secs(args.timeout.max(1));
    let mut stream = connect(&stack, url, timeout)
        .map_err(|e| io::Error::new(e.kind(), format!("connecting to {}: {e}", url.host)))?;
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
