//! Sends each line of stdin to an echo server and prints what comes back:
//! the kernel's side of `tap_echo_server`, built on `std::net` only.
//!
//! ```text
//! cargo run --release -p rstcp-examples --example tap_echo_client -- 192.168.69.1:7
//! cargo run --release -p rstcp-examples --example tap_echo_client -- --udp [fd00::1]:7
//! ```

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::Duration;

use clap::Parser;

/// Sends each line of stdin to an echo server with the kernel's sockets and
/// prints the echoes.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Echo over UDP instead of TCP.
    #[arg(long)]
    udp: bool,
    /// The echo server, e.g. 192.168.69.1:7 or [fd00::1]:7.
    #[arg(value_name = "ADDRESS:PORT")]
    addr: SocketAddr,
}

fn main() -> std::io::Result<()> {
    let Args { udp, addr } = Args::parse();
    let stdin = std::io::stdin().lock();
    if udp {
        let local: SocketAddr = if addr.is_ipv4() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        }
        .parse()
        .unwrap();
        let socket = UdpSocket::bind(local)?;
        socket.connect(addr)?;
        // UDP may lose a datagram: give up on a reply after a while.
        socket.set_read_timeout(Some(Duration::from_secs(2)))?;
        let mut buf = vec![0u8; 65536];
        for line in stdin.lines() {
            socket.send(line?.as_bytes())?;
            match socket.recv(&mut buf) {
                Ok(n) => println!("{}", String::from_utf8_lossy(&buf[..n])),
                Err(e) => eprintln!("no reply: {e}"),
            }
        }
    } else {
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        let mut replies = BufReader::new(stream.try_clone()?);
        let mut reply = String::new();
        for line in stdin.lines() {
            // The newline delimits the echo we wait for.
            writeln!(stream, "{}", line?)?;
            reply.clear();
            if replies.read_line(&mut reply)? == 0 {
                eprintln!("the server closed the connection");
                break;
            }
            print!("{reply}");
        }
    }
    Ok(())
}
