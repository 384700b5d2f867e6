//! The kernel's side of `scripts/stress.sh`: clients (and a reference echo
//! server) on Linux sockets, run inside the script's network namespace
//! against `services` on the TAP. Each mode prints one line of figures
//! and exits 0, or 1 when the mode's own work failed (not the check: the
//! script compares the figures with its thresholds).
//!
//! ```text
//! stress_client rate --to 192.168.69.1:7 --count 20000 --threads 4
//! stress_client idle --to 192.168.69.1:7 --count 5000
//! stress_client connects --to 192.168.69.1:7 --seconds 10
//! stress_client echo-server --listen 10.9.0.2:7 --threads 4
//! ```

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};

/// Clients and a reference echo server for the stress script.
#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand)]
enum Mode {
    /// Short connections (connect, echo SIZE bytes, close) from THREADS
    /// threads, COUNT in all: prints connections per second.
    Rate {
        #[arg(long)]
        to: SocketAddr,
        #[arg(long, default_value_t = 20_000)]
        count: u64,
        #[arg(long, default_value_t = 4)]
        threads: u64,
        #[arg(long, default_value_t = 100)]
        size: usize,
    },
    /// Opens COUNT connections and holds them idle; once all are open,
    /// each echoes SIZE bytes: prints how many opened and echoed.
    Idle {
        #[arg(long)]
        to: SocketAddr,
        #[arg(long, default_value_t = 5_000)]
        count: usize,
        #[arg(long, default_value_t = 100)]
        size: usize,
        /// Give up on one connection (connect or echo) after this long.
        #[arg(long, default_value_t = 10)]
        timeout_s: u64,
    },
    /// One connection after another for SECONDS, each given TIMEOUT_S to
    /// connect and echo: prints attempts and successes (a legitimate
    /// client under a flood).
    Connects {
        #[arg(long)]
        to: SocketAddr,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value_t = 3)]
        timeout_s: u64,
    },
    /// An echo server on the kernel's sockets, THREADS threads each
    /// accepting and serving one connection at a time (the yardstick for
    /// `rate`). Runs until killed.
    EchoServer {
        #[arg(long)]
        listen: SocketAddr,
        #[arg(long, default_value_t = 4)]
        threads: u64,
    },
}

fn main() {
    let args = Args::parse();
    let r = match args.mode {
        Mode::Rate {
            to,
            count,
            threads,
            size,
        } => rate(to, count, threads, size),
        Mode::Idle {
            to,
            count,
            size,
            timeout_s,
        } => idle(to, count, size, Duration::from_secs(timeout_s)),
        Mode::Connects {
            to,
            seconds,
            timeout_s,
        } => connects(
            to,
            Duration::from_secs(seconds),
            Duration::from_secs(timeout_s),
        ),
        Mode::EchoServer { listen, threads } => echo_server(listen, threads),
    };
    if let Err(e) = r {
        eprintln!("stress_client: {e}");
        std::process::exit(1);
    }
}

/// Connects, writes `msg`, reads it back, closes (the client closes
/// first, so TIME-WAIT stays on this side as with any short-lived client).
fn echo_once(to: SocketAddr, msg: &[u8], timeout: Duration) -> io::Result<()> {
    let mut s = TcpStream::connect_timeout(&to, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    s.set_write_timeout(Some(timeout))?;
    s.set_nodelay(true)?;
    s.write_all(msg)?;
    let mut back = vec![0u8; msg.len()];
    s.read_exact(&mut back)?;
    if back != msg {
        return Err(io::Error::other("the echo differs"));
    }
    Ok(())
}

fn message(size: usize, seed: u64) -> Vec<u8> {
    (0..size)
        .map(|i| (seed.wrapping_mul(31).wrapping_add(i as u64) % 251) as u8)
        .collect()
}

fn rate(to: SocketAddr, count: u64, threads: u64, size: usize) -> io::Result<()> {
    let next = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let workers: Vec<_> = (0..threads.max(1))
        .map(|_| {
            let (next, failed) = (next.clone(), failed.clone());
            thread::spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return;
                }
                if let Err(e) = echo_once(to, &message(size, i), Duration::from_secs(5)) {
                    if failed.fetch_add(1, Ordering::Relaxed) < 5 {
                        eprintln!("stress_client: connection {i}: {e}");
                    }
                }
            })
        })
        .collect();
    for w in workers {
        let _ = w.join();
    }
    let secs = start.elapsed().as_secs_f64();
    let failed = failed.load(Ordering::Relaxed);
    // The client's own CPU (user + system: the kernel's TCP for its side
    // runs in its system calls), so the script can set what each server
    // costs beside what it costs its clients.
    let cpu = cpu_seconds().map_or(String::new(), |c| format!(" cpu_seconds={c:.2}"));
    println!(
        "rate connections={count} failed={failed} seconds={secs:.2} per_second={:.0}{cpu}",
        (count - failed) as f64 / secs
    );
    Ok(())
}

/// User + system CPU seconds of this process so far, from /proc/self/stat
/// (fields 14 and 15, in the kernel's USER_HZ ticks, 100 a second on every
/// Linux architecture), or `None` without /proc.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces: count from its ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

fn idle(to: SocketAddr, count: usize, size: usize, timeout: Duration) -> io::Result<()> {
    let start = Instant::now();
    let mut streams = Vec::with_capacity(count);
    let mut connect_failed = 0;
    for i in 0..count {
        match TcpStream::connect_timeout(&to, timeout) {
            Ok(s) => streams.push(s),
            Err(e) => {
                connect_failed += 1;
                if connect_failed <= 5 {
                    eprintln!("stress_client: idle connection {i}: {e}");
                }
            }
        }
    }
    let opened = streams.len();
    let open_secs = start.elapsed().as_secs_f64();
    // Every connection idle and open at once; then each echoes.
    let mut echoed = 0;
    for (i, s) in streams.iter_mut().enumerate() {
        let msg = message(size, i as u64);
        let ok = (|| -> io::Result<()> {
            s.set_read_timeout(Some(timeout))?;
            s.write_all(&msg)?;
            let mut back = vec![0u8; size];
            s.read_exact(&mut back)?;
            if back != msg {
                return Err(io::Error::other("the echo differs"));
            }
            Ok(())
        })();
        match ok {
            Ok(()) => echoed += 1,
            Err(e) if i - echoed < 5 => eprintln!("stress_client: idle echo {i}: {e}"),
            Err(_) => {}
        }
    }
    for s in &streams {
        let _ = s.shutdown(Shutdown::Both);
    }
    println!(
        "idle wanted={count} opened={opened} echoed={echoed} open_seconds={open_secs:.2} seconds={:.2}",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn connects(to: SocketAddr, span: Duration, timeout: Duration) -> io::Result<()> {
    let end = Instant::now() + span;
    let (mut tried, mut ok) = (0u64, 0u64);
    while Instant::now() < end {
        tried += 1;
        match echo_once(to, b"legitimate", timeout) {
            Ok(()) => ok += 1,
            Err(e) => {
                if tried - ok <= 5 {
                    eprintln!("stress_client: connect {tried}: {e}");
                }
            }
        }
        thread::sleep(Duration::from_millis(20));
    }
    println!("connects tried={tried} succeeded={ok}");
    Ok(())
}

fn echo_server(listen: SocketAddr, threads: u64) -> io::Result<()> {
    let listener = TcpListener::bind(listen)?;
    let workers: Vec<_> = (0..threads.max(1))
        .map(|_| {
            let listener = listener.try_clone()?;
            Ok(thread::spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                while let Ok((mut s, _)) = listener.accept() {
                    let _ = s.set_nodelay(true);
                    while let Ok(n) = s.read(&mut buf) {
                        if n == 0 || s.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                }
            }))
        })
        .collect::<io::Result<_>>()?;
    println!("listening {listen}");
    io::stdout().flush()?;
    for w in workers {
        let _ = w.join();
    }
    Ok(())
}
