//! Throughput against the Linux kernel: smoltcp's `benchmark` experiment,
//! run the same way so the two stacks can be compared side by side.
//!
//! The stack is 192.168.69.1 on a TAP (default `tap7`); the kernel,
//! 192.168.69.100 on the other side of the TAP, connects from a thread of
//! this process and moves 1 GB. `reader`: the stack sends and the kernel
//! reads (port 1234); `writer`: the kernel sends and the stack reads (port
//! 1235). It prints the throughput the kernel side saw.
//!
//! It is a plain polling loop over the core (no runtime thread), as in
//! smoltcp's example. `examples/scripts/benchmark.sh` sets up the namespace
//! and runs both stacks.
//!
//! ```text
//! ip tuntap add tap7 mode tap && ip addr add 192.168.69.100/24 dev tap7 && ip link set tap7 up
//! cargo run --release -p rstcp-examples --example benchmark -- reader
//! ```
//!
//! Over a TUN instead (bare IP packets, nothing to resolve):
//!
//! ```text
//! ip tuntap add tun7 mode tun && ip addr add 192.168.69.100/24 dev tun7 && ip link set tun7 up
//! cargo run --release -p rstcp-examples --example benchmark -- reader --tun --tap tun7
//! ```

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant as StdInstant;

use clap::{Parser, ValueEnum};
use rstcp::iface::{Config, Interface, InterfaceStorage};
use rstcp::phy::wait::WaitDevice;
use rstcp::socket::tcp::{HalfOpen, TcpConfig, TcpListener, TcpSocket};
use rstcp::socket::{SocketHandle, SocketSet};
use rstcp::storage::RingBuffer;
use rstcp::time::Instant;
use rstcp::wire::{EthernetAddress, Ipv4Cidr};
use rstcp_tap::TapDevice;

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// The stack sends, the kernel reads (port 1234).
    Reader,
    /// The kernel sends, the stack reads (port 1235).
    Writer,
}

/// TCP throughput between rstcp on a TAP and the Linux kernel.
#[derive(Parser)]
struct Args {
    /// Which side sends.
    mode: Mode,
    /// The TAP interface (the kernel side must have 192.168.69.100/24).
    #[arg(long, default_value = "tap7")]
    tap: String,
    /// Bytes to move.
    #[arg(long, default_value_t = 1_000_000_000)]
    amount: usize,
    /// Each TCP buffer of the stack, in bytes (smoltcp's example uses 65535).
    #[arg(long, default_value_t = 65535)]
    buffer: usize,
    /// Plain frames: no virtio-net header, no TSO/GRO, checksums in
    /// software (the path of a device without offloads).
    #[arg(long)]
    no_offload: bool,
    /// Open `--tap NAME` as a TUN (bare IP packets: no Ethernet header,
    /// nothing resolved); the kernel side the same 192.168.69.100/24.
    #[arg(long)]
    tun: bool,
    /// Print the TAP's frame counters at the end (on stderr): frames each
    /// way say how large the super-frames were and how many ACKs went.
    #[arg(long)]
    stats: bool,
}

/// The kernel side: a std TcpStream that reads or writes `amount` bytes and
/// reports what it saw.
fn kernel(mode: Mode, amount: usize, done: Arc<AtomicBool>) {
    let port = match mode {
        Mode::Reader => 1234,
        Mode::Writer => 1235,
    };
    let mut stream = TcpStream::connect(("192.168.69.1", port)).expect("kernel connect");
    let mut buf = vec![0u8; 1_000_000];
    let start = StdInstant::now();
    let mut moved = 0;
    while moved < amount {
        let n = buf.len().min(amount - moved);
        let r = match mode {
            Mode::Reader => stream.read(&mut buf[..n]),
            Mode::Writer => stream.write(&buf[..n]),
        };
        match r {
            Ok(0) => break,
            Ok(n) => moved += n,
            Err(e) => panic!("kernel side: {e}"),
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!("throughput: {:.3} Gbps", moved as f64 * 8.0 / secs / 1e9);
    done.store(true, Ordering::SeqCst);
}

fn listener(sockets: &mut SocketSet<'static>, port: u16, buffer: usize) -> SocketHandle {
    let l = TcpListener::new(vec![None::<HalfOpen>; 4], vec![None; 1], vec![None; 1]);
    let h = sockets.add(l).unwrap();
    sockets.listen(h, port).unwrap();
    let s = TcpSocket::with_config(
        RingBuffer::new(vec![0; buffer]),
        RingBuffer::new(vec![0; buffer]),
        TcpConfig::default(),
    );
    let s = sockets.add(s).unwrap();
    sockets
        .get_mut::<TcpListener>(h)
        .unwrap()
        .provide(s)
        .unwrap();
    h
}

fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let mut device = if args.tun {
        TapDevice::open_tun_with_offload(&args.tap, !args.no_offload)?
    } else {
        TapDevice::open_with_offload(&args.tap, !args.no_offload)?
    };
    let start = StdInstant::now();
    let clock = || Instant::from_micros(start.elapsed().as_micros() as i64);

    let mut config = Config::new(EthernetAddress([0x02, 0, 0, 0, 0, 0x01]));
    config.ipv4_probe = false;
    config.random_seed = u64::from(std::process::id());
    let mut iface = Interface::new(config, InterfaceStorage::none(), clock());
    iface
        .add_ipv4_address("192.168.69.1/24".parse::<Ipv4Cidr>().unwrap(), clock())
        .unwrap();
    let mut sockets = SocketSet::new(vec![], vec![], 1);
    let listeners = [
        listener(&mut sockets, 1234, args.buffer),
        listener(&mut sockets, 1235, args.buffer),
    ];

    let done = Arc::new(AtomicBool::new(false));
    let kernel_done = done.clone();
    let (mode, amount) = (args.mode, args.amount);
    let client = std::thread::spawn(move || kernel(mode, amount, kernel_done));

    let mut conn: Option<SocketHandle> = None;
    let mut processed = 0;
    while !done.load(Ordering::SeqCst) {
        let now = clock();
        iface.poll(now, &mut device, &mut sockets);
        if conn.is_none() {
            conn = listeners
                .iter()
                .find_map(|&l| sockets.get_mut::<TcpListener>(l).unwrap().accept());
        }
        if let Some(h) = conn {
            let s = sockets.get_mut::<TcpSocket>(h).unwrap();
            // Zero-copy: fill the send ring in place / consume the receive
            // ring in place, as a real application moving bulk data would.
            // Each connection moves data one way, as in smoltcp's example:
            // the writer's socket only reads (sending there filled the
            // kernel's receive queue, which nobody reads, and kept a send
            // blocked on its closed window for the whole run).
            while mode == Mode::Reader && s.can_send() && processed < amount {
                processed += s
                    .send(|buf| {
                        let n = buf.len().min(amount - processed);
                        (n, n)
                    })
                    .unwrap_or(0);
            }
            while mode == Mode::Writer && s.can_recv() {
                processed += s.recv(|buf| (buf.len(), buf.len())).unwrap_or(0);
            }
        }
        let delay = iface.poll_delay(clock(), &sockets);
        device.wait(delay.map(Into::into))?;
    }
    client.join().expect("kernel thread");
    if args.stats {
        let st = device.stats();
        eprintln!(
            "tap: {} frames read, {} written ({} read errors, {} write errors)",
            st.rx_frames, st.tx_frames, st.rx_errors, st.tx_errors
        );
    }
    Ok(())
}
