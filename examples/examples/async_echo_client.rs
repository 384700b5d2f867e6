//! The TCP echo client of `tcp_echo_client`, async: tokio's current-thread
//! runtime drives `rstcp::runtime::AsyncTcpStream` through tokio's
//! `AsyncRead`/`AsyncWrite`, the stack's wakers waking the task (no thread
//! blocks on a socket). Sends each line of stdin (or `--message TEXT`,
//! `--count` times), prints what comes back and checks it.
//!
//! ```text
//! echo hello | sudo cargo run --release -p rstcp-examples --example async_echo_client -- \
//!     --ipv4 192.168.69.1/24 192.168.69.100 7
//! ```
//!
//! Exits 1 with a message when the connection fails or an echo differs.

use std::io::{self, ErrorKind, Write};
use std::time::Duration;

use clap::Parser;
use rstcp::runtime::{AsyncTcpStream, Stack};
use rstcp_examples::cli::{self, EchoServer, Messages, NetArgs};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;

/// Sends lines to a TCP echo server and verifies the echoes, async.
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
    let result = args.net.start(Duration::from_secs(30)).and_then(|stack| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()?;
        rt.block_on(run(&args, &stack))?;
        stack.stop()
    });
    cli::exit_on_error("async_echo_client", result);
}

/// `what` timed out after `limit`, as an error.
fn late<T>(r: Result<io::Result<T>, tokio::time::error::Elapsed>, what: &str) -> io::Result<T> {
    r.map_err(|_| io::Error::new(ErrorKind::TimedOut, format!("{what} timed out")))?
}

async fn run(args: &Args, stack: &Stack) -> io::Result<()> {
    let server = args.server.socket_addr();
    let limit = args.server.timeout();
    let mut stream = late(
        timeout(limit, AsyncTcpStream::connect(stack, server)).await,
        "connecting",
    )
    .map_err(|e| io::Error::new(e.kind(), format!("connecting to {server}: {e}")))?;
    eprintln!(
        "connected to {server} from {}",
        stream.local_addr().map_or("?".into(), |a| a.to_string())
    );
    let mut echoed = 0u64;
    let mut back = Vec::new();
    for line in args.messages.lines() {
        let mut sent = line?.into_bytes();
        sent.push(b'\n');
        stream.write_all(&sent).await?;
        back.resize(sent.len(), 0);
        late(
            timeout(limit, stream.read_exact(&mut back)).await,
            "waiting for the echo",
        )
        .map_err(|e| match e.kind() {
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
    stream.shutdown().await?;
    let mut rest = Vec::new();
    late(
        timeout(limit, stream.read_to_end(&mut rest)).await,
        "waiting for the server to close",
    )?;
    if !rest.is_empty() {
        return Err(io::Error::new(
            ErrorKind::InvalidData,
            format!("{} unexpected bytes after the last echo", rest.len()),
        ));
    }
    eprintln!("{echoed} lines echoed correctly");
    Ok(())
}
