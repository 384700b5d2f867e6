//! reqwless, an HTTP client from crates.io written for embedded targets
//! (embedded-nal-async + embedded-io-async), running unchanged on rstcp:
//! the runtime's `Stack` is its `TcpConnect` and `Dns`, its connections
//! `AsyncTcpStream`s. The body goes to stdout, the status to stderr.
//!
//! ```text
//! sudo cargo run --release -p rstcp-examples --example reqwless_get -- \
//!     --ipv4 192.168.69.1/24 http://192.168.69.100:8080/index.html
//! ```
//!
//! The host must be an IP address (IPv6 in brackets) until the runtime has
//! a DNS resolver. Exits 1 on a non-2xx status or any failure.

use std::io::{self, Write};
use std::time::Duration;

use clap::Parser;
use reqwless::client::HttpClient;
use reqwless::request::Method;
use rstcp::runtime::Stack;
use rstcp_examples::cli::{self, NetArgs};

/// Fetches an http:// URL with reqwless and prints the body.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[command(flatten)]
    net: NetArgs,
    /// Bytes for the response (headers and body): reqwless reads the
    /// whole response into one caller buffer, no heap.
    #[arg(long, default_value_t = 1 << 20)]
    buffer: usize,
    /// The URL: http://ADDRESS[:PORT]/PATH.
    url: String,
}

fn main() {
    let args = Args::parse();
    args.net.init_logging();
    let result = args.net.start(Duration::from_secs(30)).and_then(|stack| {
        futures_lite::future::block_on(run(&args, &stack))?;
        stack.stop()
    });
    cli::exit_on_error("reqwless_get", result);
}

async fn run(args: &Args, stack: &Stack) -> io::Result<()> {
    let failed = |what: &str, e: reqwless::Error| io::Error::other(format!("{what}: {e:?}"));
    // The stack is both the TCP connector and the resolver.
    let mut client = HttpClient::new(stack, stack);
    let mut request = client
        .request(Method::GET, &args.url)
        .await
        .map_err(|e| failed(&format!("connecting for {}", args.url), e))?;
    let mut buf = vec![0u8; args.buffer];
    let response = request
        .send(&mut buf)
        .await
        .map_err(|e| failed("sending the request", e))?;
    let status = response.status;
    eprintln!("HTTP {}", status.0);
    let body = response
        .body()
        .read_to_end()
        .await
        .map_err(|e| failed("reading the body", e))?;
    let mut out = io::stdout().lock();
    out.write_all(body)?;
    out.flush()?;
    if !status.is_successful() {
        return Err(io::Error::other(format!("server answered {}", status.0)));
    }
    Ok(())
}
