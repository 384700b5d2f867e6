//! PyTCP's services on a TAP: echo (7), discard (9), daytime (13) and
//! chargen (19), over TCP and UDP, on every address of the stack. It also
//! answers ARP, NDP and ping, as every host does.
//!
//! It prints `ready` and its addresses on stdout once an address is usable
//! (static, or leased by DHCPv4), then serves until SIGINT or SIGTERM, when
//! it closes its connections, finishes the `--pcap` capture and exits 0.
//!
//! ```text
//! sudo cargo run --release -p rstcp-examples --example services -- --ipv4 192.168.69.1/24
//! ```

use std::io::{self, Read, Write};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, SystemTime};

use clap::Parser;
use rstcp::runtime::{Stack, TcpListener, TcpStream, UdpSocket};
use rstcp_examples::cli::{self, NetArgs};
use rstcp_examples::services::{chargen_line, daytime, CHARGEN_WIDTH};

/// Echo, discard, daytime and chargen over TCP and UDP on a TAP.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[command(flatten)]
    net: NetArgs,
}

/// A TCP service: what it does with one connection.
type Serve = fn(TcpStream) -> io::Result<()>;

fn echo(mut s: TcpStream) -> io::Result<()> {
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf)? {
            0 => return Ok(()),
            n => s.write_all(&buf[..n])?,
        }
    }
}

fn discard(mut s: TcpStream) -> io::Result<()> {
    io::copy(&mut s, &mut io::sink()).map(drop)
}

fn daytime_tcp(mut s: TcpStream) -> io::Result<()> {
    s.write_all(daytime(SystemTime::now()).as_bytes())
}

fn chargen(mut s: TcpStream) -> io::Result<()> {
    // RFC 864: lines until the client closes (a write then fails).
    let mut line = [0u8; CHARGEN_WIDTH + 2];
    for n in 0.. {
        chargen_line(n, &mut line);
        s.write_all(&line)?;
    }
    Ok(())
}

fn tcp_service(stack: &Stack, port: u16, name: &'static str, serve: Serve) -> io::Result<()> {
    let listener = TcpListener::bind(stack, port, 64)?;
    thread::Builder::new()
        .name(format!("tcp/{name}"))
        .spawn(move || {
            // accept fails once the stack stops: that ends the service.
            while let Ok((stream, peer)) = listener.accept() {
                log::info!("tcp/{name}: connection from {peer}");
                thread::spawn(move || {
                    if let Err(e) = serve(stream) {
                        log::info!("tcp/{name}: {peer}: {e}");
                    }
                });
            }
        })?;
    Ok(())
}

fn udp_service(stack: &Stack, port: u16, name: &'static str) -> io::Result<()> {
    let socket = UdpSocket::bind(stack, port)?;
    thread::Builder::new()
        .name(format!("udp/{name}"))
        .spawn(move || {
            let mut buf = vec![0u8; 65535];
            let mut line = [0u8; CHARGEN_WIDTH + 2];
            let mut sent = 0;
            while let Ok((n, peer)) = socket.recv_from(&mut buf) {
                let text;
                let reply: &[u8] = match port {
                    7 => &buf[..n],
                    13 => {
                        text = daytime(SystemTime::now());
                        text.as_bytes()
                    }
                    19 => {
                        // RFC 864 over UDP: one datagram of lines per request.
                        chargen_line(sent, &mut line);
                        sent += 1;
                        &line
                    }
                    _ => continue, // discard
                };
                if let Err(e) = socket.send_to(reply, peer) {
                    log::info!("udp/{name}: {peer}: {e}");
                }
            }
        })?;
    Ok(())
}

fn main() {
    let args = Args::parse();
    args.net.init_logging();
    cli::exit_on_error("services", run(&args));
}

fn run(args: &Args) -> io::Result<()> {
    let (stop_tx, stop_rx) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })
    .map_err(io::Error::other)?;

    let stack = args.net.start(Duration::from_secs(30))?;
    let services: [(u16, &'static str, Serve); 4] = [
        (7, "echo", echo),
        (9, "discard", discard),
        (13, "daytime", daytime_tcp),
        (19, "chargen", chargen),
    ];
    for (port, name, serve) in services {
        tcp_service(&stack, port, name, serve)?;
        udp_service(&stack, port, name)?;
    }
    let addrs: Vec<String> = stack.addresses().iter().map(|a| a.to_string()).collect();
    println!("ready {} on {}", addrs.join(" "), args.net.tap);
    io::stdout().flush()?;

    let _ = stop_rx.recv();
    eprintln!("services: stopping");
    stack.stop()?;
    Ok(())
}
