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

use std::io::{self, ErrorKind, Read, Write};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, SystemTime};

use clap::Parser;
use rstcp::runtime::{Interest, Poller, Stack, TcpListener, TcpStream, UdpSocket};
use rstcp_examples::cli::{self, NetArgs};
use rstcp_examples::services::{chargen_line, daytime, CHARGEN_WIDTH};

/// Echo, discard, daytime and chargen over TCP and UDP on a TAP.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[command(flatten)]
    net: NetArgs,
    /// Most sockets the stack holds at once (connections, listener pools
    /// and connections still closing): raise it for more clients at once.
    #[arg(long, default_value_t = 4096, value_name = "N")]
    max_sockets: usize,
    /// Connections each TCP service lets complete before it accepts them.
    #[arg(long, default_value_t = 64, value_name = "N")]
    backlog: usize,
    /// How long to wait for the addresses (a DHCPv4 lease, RFC 5227
    /// probing, DAD) before giving up.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    timeout: u64,
}

/// The TCP services: what each does with a connection.
#[derive(Clone, Copy)]
enum Service {
    /// RFC 862: sends back what it reads.
    Echo,
    /// RFC 863: reads and throws away.
    Discard,
    /// RFC 867: writes the date and time, then closes.
    Daytime,
    /// RFC 864: writes lines until the client closes.
    Chargen,
}

/// One connection of a TCP service: its stream and what it still owes.
struct Conn {
    stream: TcpStream,
    /// Bytes to write before reading more (echo, daytime): kept small,
    /// because the socket's own buffers hold the rest.
    pending: Vec<u8>,
    /// The next chargen line.
    line: usize,
}

/// What a connection waits for next, or `None` when it is done.
type Next = io::Result<Option<Interest>>;

impl Conn {
    /// Moves what can move without blocking; says what to wait for next.
    fn step(&mut self, service: Service, scratch: &mut [u8]) -> Next {
        match service {
            Service::Echo => loop {
                if !self.flush()? {
                    // Read no more until the peer takes what we owe it:
                    // its unread data then closes its window, not our RAM.
                    return Ok(Some(Interest::WRITABLE));
                }
                match would_block(self.stream.read(scratch))? {
                    Some(0) => return Ok(None),
                    Some(n) => self.pending.extend_from_slice(&scratch[..n]),
                    None => return Ok(Some(Interest::READABLE)),
                }
            },
            Service::Discard => loop {
                match would_block(self.stream.read(scratch))? {
                    Some(0) => return Ok(None),
                    Some(_) => {}
                    None => return Ok(Some(Interest::READABLE)),
                }
            },
            Service::Daytime => {
                if self.line == 0 {
                    self.pending = daytime(SystemTime::now()).into_bytes();
                    self.line = 1;
                }
                Ok(if self.flush()? {
                    None
                } else {
                    Some(Interest::WRITABLE)
                })
            }
            Service::Chargen => {
                // The client's close ends the stream (its FIN, or the
                // reset its kernel sends for lines it will not read).
                while let Some(n) = would_block(self.stream.read(scratch))? {
                    if n == 0 {
                        return Ok(None);
                    }
                }
                let mut text = [0u8; CHARGEN_WIDTH + 2];
                loop {
                    if !self.flush()? {
                        return Ok(Some(Interest::BOTH));
                    }
                    chargen_line(self.line, &mut text);
                    self.line += 1;
                    self.pending.extend_from_slice(&text);
                }
            }
        }
    }

    /// Writes what is pending; true once all of it is written.
    fn flush(&mut self) -> io::Result<bool> {
        while !self.pending.is_empty() {
            match would_block(self.stream.write(&self.pending))? {
                Some(n) => {
                    self.pending.drain(..n);
                }
                None => return Ok(false),
            }
        }
        Ok(true)
    }
}

/// `Ok(None)` for a call that would have blocked.
fn would_block(r: io::Result<usize>) -> io::Result<Option<usize>> {
    match r {
        Ok(n) => Ok(Some(n)),
        Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(None),
        Err(e) => Err(e),
    }
}

/// The listener's token; connections count from 1.
const LISTENER: usize = 0;

/// A service's connections by token: a slab whose free slots are reused,
/// so a token is an index (no hashing per event) and the table is as
/// large as the most connections ever open at once. A token freed and
/// given again can meet an event left over for the old connection: it
/// costs the new one a step that would block, nothing more.
#[derive(Default)]
struct Conns {
    slots: Vec<Option<Conn>>,
    free: Vec<usize>,
}

impl Conns {
    /// Keeps `conn`; returns its token.
    fn insert(&mut self, conn: Conn) -> usize {
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i] = Some(conn);
                i
            }
            None => {
                self.slots.push(Some(conn));
                self.slots.len() - 1
            }
        };
        i + LISTENER + 1
    }

    fn get_mut(&mut self, token: usize) -> Option<&mut Conn> {
        let i = token.checked_sub(LISTENER + 1)?;
        self.slots.get_mut(i)?.as_mut()
    }

    /// Drops connection `token` (which closes it).
    fn remove(&mut self, token: usize) {
        let Some(i) = token.checked_sub(LISTENER + 1) else {
            return;
        };
        if let Some(slot) = self.slots.get_mut(i) {
            if slot.take().is_some() {
                self.free.push(i);
            }
        }
    }
}

/// One thread per service, however many clients: the listener and every
/// connection in one [`Poller`]. (A thread per connection would hold a
/// stack and a malloc arena per client, and never give all of it back.)
fn tcp_service(
    stack: &Stack,
    port: u16,
    name: &'static str,
    service: Service,
    backlog: usize,
) -> io::Result<()> {
    let listener = TcpListener::bind(stack, port, backlog)?;
    listener.set_nonblocking(true)?;
    let poller = Poller::new(stack);
    poller.register(&listener, LISTENER, Interest::READABLE)?;
    thread::Builder::new()
        .name(format!("tcp/{name}"))
        .spawn(move || {
            let mut conns = Conns::default();
            let mut scratch = vec![0u8; 16 * 1024];
            let mut events = Vec::new();
            // wait fails once the stack stops: that ends the service.
            while poller.wait(&mut events, None).is_ok() {
                for event in &events {
                    if event.token != LISTENER {
                        serve(
                            &poller,
                            &mut conns,
                            event.token,
                            service,
                            &mut scratch,
                            name,
                        );
                        continue;
                    }
                    // Every connection waiting; each takes its first step at
                    // once (daytime and chargen speak first).
                    loop {
                        match listener.accept() {
                            Ok((stream, peer)) => {
                                log::info!("tcp/{name}: connection from {peer}");
                                let _ = stream.set_nonblocking(true);
                                let conn = Conn {
                                    stream,
                                    pending: Vec::new(),
                                    line: 0,
                                };
                                let token = conns.insert(conn);
                                serve(&poller, &mut conns, token, service, &mut scratch, name);
                            }
                            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                            Err(e) => {
                                log::warn!("tcp/{name}: accept: {e}");
                                break;
                            }
                        }
                    }
                }
            }
        })?;
    Ok(())
}

/// Lets connection `token` move on, then waits for what it needs next, or
/// drops it (which closes it: a FIN after what is queued) when it is done.
fn serve(
    poller: &Poller,
    conns: &mut Conns,
    token: usize,
    service: Service,
    scratch: &mut [u8],
    name: &str,
) {
    let Some(conn) = conns.get_mut(token) else {
        return;
    };
    match conn.step(service, scratch) {
        Ok(Some(interest)) => match poller.register(&conn.stream, token, interest) {
            Ok(()) => return,
            Err(e) => log::warn!("tcp/{name}: {e}"),
        },
        Ok(None) => {}
        Err(e) => log::info!("tcp/{name}: {e}"),
    }
    conns.remove(token);
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

/// Prints (on stderr) what the interface reported about its addresses and
/// routers: DAD passed or found a duplicate (the stack goes on with its
/// other addresses, or without IPv6 when the duplicate is its MAC's
/// link-local address), SLAAC addresses added, deprecated, expired.
fn print_address_events(stack: &Stack) {
    use rstcp::iface::Event;
    for e in stack.interface_events() {
        match e {
            Event::Ipv6AddressAdded(a) => eprintln!("services: {a}: tentative, DAD running"),
            Event::Ipv6AddressReady(a) => eprintln!("services: {a}: DAD passed, in use"),
            Event::Ipv6DuplicateAddress { address, other } => {
                let by = other.map_or(String::new(), |m| format!(" by {m}"));
                eprintln!("services: {address}: address conflict, in use{by}; going on without it")
            }
            Event::Ipv6Disabled { address, other } => {
                let by = other.map_or(String::new(), |m| format!(" (held by {m})"));
                eprintln!(
                    "services: {address}: our MAC's link-local address is a duplicate{by}; \
                     IPv6 disabled on the interface (RFC 4862 §5.4.5), IPv4 goes on"
                )
            }
            Event::Ipv6AddressDeprecated(a) => eprintln!("services: {a}: deprecated"),
            Event::Ipv6AddressExpired(a) => eprintln!("services: {a}: expired, removed"),
            Event::RouterAdded(r) => eprintln!("services: router {r} added"),
            Event::RouterRemoved(r) => eprintln!("services: router {r} removed"),
            Event::AddressConflict { address, other } => {
                eprintln!("services: {address}: address conflict with {other}")
            }
            _ => {}
        }
    }
}

fn run(args: &Args) -> io::Result<()> {
    let (stop_tx, stop_rx) = mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = stop_tx.send(());
    })
    .map_err(io::Error::other)?;

    let mut config = args.net.stack_config();
    config.max_sockets = args.max_sockets;
    // Memory back to the system after a burst of connections.
    rstcp_examples::memory::map_large_buffers(config.tcp_rx_buffer.min(config.tcp_tx_buffer));
    let stack = args
        .net
        .start_with(config, Duration::from_secs(args.timeout.max(1)))?;
    let services = [
        (7, "echo", Service::Echo),
        (9, "discard", Service::Discard),
        (13, "daytime", Service::Daytime),
        (19, "chargen", Service::Chargen),
    ];
    for (port, name, service) in services {
        tcp_service(&stack, port, name, service, args.backlog)?;
        udp_service(&stack, port, name)?;
    }
    let addrs: Vec<String> = stack
        .addresses()
        .iter()
        .filter(|a| a.is_usable())
        .map(|a| a.cidr.to_string())
        .collect();
    print_address_events(&stack);
    println!("ready {} on {}", addrs.join(" "), args.net.tap);
    io::stdout().flush()?;

    // Address configuration goes on after `ready`: SLAAC addresses from
    // later Router Advertisements, DAD results, lifetimes running out.
    while let Err(mpsc::RecvTimeoutError::Timeout) =
        stop_rx.recv_timeout(Duration::from_millis(250))
    {
        print_address_events(&stack);
    }
    eprintln!("services: stopping");
    stack.stop()?;
    Ok(())
}
