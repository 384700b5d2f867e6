//! One cell of the table: a timed bulk transfer between the tested side
//! and the kernel peer through the impaired link, every byte checked.
//!
//! The tested side always connects to a listener of the peer; the cell's
//! [`Flow`] says which end then writes. The writer sends the seeded
//! [`Pattern`] for the cell's duration, hashing what it wrote, and shuts
//! its side; the reader hashes everything until end of stream and closes;
//! the writer reads that close, then reports its retransmissions. Goodput
//! is the bytes delivered over the time from the first write to the
//! reader's end of stream (the drain of the buffers included).

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::os::fd::AsRawFd;
use std::thread;
use std::time::{Duration, Instant};

use super::forward::DirectionStats;
use super::profile::Profile;
use super::rig::{Rig, Side, Tested};
use crate::bulk::{Pattern, StreamHash};
use crate::netns::KERNEL_V4;

/// The peer's port.
const PORT: u16 = 5201;
/// Bytes per write.
const CHUNK: usize = 64 * 1024;

/// Which way the data goes, seen from the tested side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// The tested side writes, the kernel peer reads.
    Send,
    /// The kernel peer writes, the tested side reads.
    Receive,
}

/// How to run a cell.
#[derive(Debug, Clone)]
pub struct CellConfig {
    /// How long the writer writes.
    pub duration: Duration,
    /// Seeds the data and the link's random choices.
    pub seed: u64,
    /// Silence after which a read, write or connect fails: a stalled
    /// transfer ends the cell instead of hanging the run.
    pub stall: Duration,
    /// Namespace name prefix.
    pub prefix: String,
    /// Runs per cell, for a median (see [`run_row`](super::table::run_row)).
    pub runs: usize,
    /// Only this side's cells of a row (`None`: both), to iterate faster
    /// on one stack.
    pub only: Option<Side>,
    /// Only the cells moving data this way (`None`: both), so a profile of
    /// one direction (`perf`, CPU time per byte) sees nothing else.
    pub flow: Option<Flow>,
    /// The kernels' TCP congestion control (`cubic`, like rstcp's), set
    /// on each kernel socket: a new namespace takes the host's default
    /// (BBR on some hosts, which loss does not slow down) and may only pick
    /// a default among the host's "allowed" ones. `None`: the default.
    pub linux_cc: Option<String>,
    /// rstcp's TAP with the kernel's offloads (TSO super-frames cut by the
    /// forwarder, as the kernel's GSO cuts Linux's): how users run it.
    /// `false`: plain frames, rstcp segmenting itself.
    pub offload: bool,
}

/// What a cell measured.
#[derive(Debug, Clone)]
pub struct Cell {
    /// Bytes the writer wrote.
    pub sent: usize,
    /// Bytes the reader read.
    pub received: usize,
    /// Every byte arrived, in order, unchanged (hash and length agree).
    pub intact: bool,
    /// From the first write to the reader's end of stream.
    pub elapsed: Duration,
    /// Share of the writer's segments that were retransmissions, when it
    /// could tell.
    pub retransmitted: Option<f64>,
    /// Why the cell failed, if it did (then `intact` is false).
    pub error: Option<String>,
    /// What the forwarder did (tested→peer, peer→tested).
    pub link: [DirectionStats; 2],
    /// Frames the hosts' TAP interfaces dropped (see
    /// [`Rig::tap_drops`]); `None` when they could not be read.
    pub tap_drops: Option<u64>,
    /// False for a cell left out ([`CellConfig::only`]).
    pub ran: bool,
    /// The writer's loss-recovery counters, for `-v`: rstcp's `TcpStats`
    /// or the kernel's `TCP_INFO` (what tells a spurious recovery from a
    /// needed one: fast recoveries, timeouts, probes, D-SACKs, undos,
    /// reordering seen).
    pub sender: Option<String>,
}

impl Cell {
    /// Goodput in Mbit/s (0 for a failed cell).
    pub fn mbps(&self) -> f64 {
        if self.error.is_some() {
            return 0.0;
        }
        self.received as f64 * 8.0 / self.elapsed.as_secs_f64().max(1e-9) / 1e6
    }

    fn failed(why: String) -> Cell {
        Cell {
            sent: 0,
            received: 0,
            intact: false,
            elapsed: Duration::ZERO,
            retransmitted: None,
            error: Some(why),
            link: Default::default(),
            tap_drops: None,
            ran: true,
            sender: None,
        }
    }

    /// A cell left out: nothing measured, nothing wrong.
    pub fn skipped() -> Cell {
        Cell {
            intact: true,
            error: None,
            ran: false,
            ..Cell::failed(String::new())
        }
    }
}

/// A connection of either stack, as the transfer uses it.
enum Conn {
    Rstcp(rstcp::runtime::TcpStream),
    Linux(std::net::TcpStream),
}

impl Conn {
    fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Rstcp(s) => (&*s).read(buf),
            Conn::Linux(s) => (&*s).read(buf),
        }
    }

    fn write_all(&self, buf: &[u8]) -> io::Result<()> {
        match self {
            Conn::Rstcp(s) => (&*s).write_all(buf),
            Conn::Linux(s) => (&*s).write_all(buf),
        }
    }

    fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match self {
            Conn::Rstcp(s) => s.shutdown(how),
            Conn::Linux(s) => s.shutdown(how),
        }
    }

    fn set_timeouts(&self, t: Duration) -> io::Result<()> {
        match self {
            Conn::Rstcp(s) => {
                s.set_read_timeout(Some(t))?;
                s.set_write_timeout(Some(t))
            }
            Conn::Linux(s) => {
                s.set_read_timeout(Some(t))?;
                s.set_write_timeout(Some(t))
            }
        }
    }

    /// Retransmitted segments over segments sent: rstcp's `TcpStats`,
    /// the kernel's `TCP_INFO` (`tcpi_total_retrans / tcpi_segs_out`).
    fn retransmitted(&self) -> Option<f64> {
        let (retrans, segs) = match self {
            Conn::Rstcp(s) => {
                let st = s.stats();
                (st.retransmits, st.segments_out)
            }
            Conn::Linux(s) => {
                let i = tcp_info(s).ok()?;
                (u64::from(i.tcpi_total_retrans), u64::from(i.tcpi_segs_out))
            }
        };
        (segs > 0).then(|| retrans as f64 / segs as f64)
    }

    /// The congestion window now, in segments.
    fn window_now(&self) -> Option<u64> {
        match self {
            Conn::Rstcp(s) => {
                let st = s.stats();
                Some((st.cwnd / st.mss.max(1)) as u64)
            }
            Conn::Linux(s) => tcp_info(s).ok().map(|i| u64::from(i.tcpi_snd_cwnd)),
        }
    }

    /// The sender's loss-recovery counters in one line.
    fn recovery_counters(&self) -> Option<String> {
        match self {
            Conn::Rstcp(s) => {
                let st = s.stats();
                Some(format!(
                    "rstcp: segs {} rexmit {} fast-recoveries {} RACK marks {} RTOs {} TLPs {} \
                     TLP recoveries {} D-SACKs {} undos {} reordering seen {} reo_wnd {} µs \
                     cwnd {} ssthresh {} srtt {:?}",
                    st.segments_out,
                    st.retransmits,
                    st.fast_retransmits,
                    st.rack_marked,
                    st.timeouts,
                    st.loss_probes,
                    st.probe_recoveries,
                    st.dsacks_received,
                    st.undos,
                    st.reordering_seen,
                    st.reordering_window.total_micros(),
                    st.cwnd,
                    st.ssthresh,
                    st.srtt.map(|d| d.total_micros()),
                ))
            }
            Conn::Linux(s) => {
                let i = tcp_info(s).ok()?;
                Some(format!(
                    "linux: segs {} rexmit {} RTOs {} D-SACK dups {} reord_seen {} reordering {} \
                     cwnd {} ssthresh {} rtt {} µs min_rtt {} µs busy {} ms \
                     rwnd-limited {} ms sndbuf-limited {} ms",
                    i.tcpi_segs_out,
                    i.tcpi_total_retrans,
                    i.tcpi_total_rto,
                    i.tcpi_dsack_dups,
                    i.tcpi_reord_seen,
                    i.tcpi_reordering,
                    i.tcpi_snd_cwnd,
                    i.tcpi_snd_ssthresh,
                    i.tcpi_rtt,
                    i.tcpi_min_rtt,
                    i.tcpi_busy_time / 1000,
                    i.tcpi_rwnd_limited / 1000,
                    i.tcpi_sndbuf_limited / 1000,
                ))
            }
        }
    }
}

/// Sets a kernel socket's congestion control before any data moved, and
/// reads it back: a cell must not silently measure another one.
fn set_congestion_control(s: &std::net::TcpStream, cc: &str) -> io::Result<()> {
    let fd = s.as_raw_fd();
    // SAFETY: the name is readable for its length.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_CONGESTION,
            cc.as_ptr().cast(),
            cc.len() as libc::socklen_t,
        )
    };
    if rc < 0 {
        let e = io::Error::last_os_error();
        return Err(io::Error::new(
            e.kind(),
            format!("congestion control {cc}: {e}"),
        ));
    }
    let mut name = [0u8; 16];
    let mut len = name.len() as libc::socklen_t;
    // SAFETY: `name` is writable for `len` bytes.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_CONGESTION,
            name.as_mut_ptr().cast(),
            &mut len,
        )
    };
    let got = &name[..(len as usize).min(name.len())];
    let got = got.split(|&b| b == 0).next().unwrap_or_default();
    if rc < 0 || got != cc.as_bytes() {
        return Err(io::Error::other(format!(
            "congestion control is {:?}, not {cc}",
            String::from_utf8_lossy(got)
        )));
    }
    Ok(())
}

/// `getsockopt(TCP_INFO)` of a kernel socket.
fn tcp_info(s: &std::net::TcpStream) -> io::Result<libc::tcp_info> {
    // SAFETY: all-zero is a valid tcp_info; the kernel fills at most `len`.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: `info` is writable for `len` bytes.
    let rc = unsafe {
        libc::getsockopt(
            s.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&mut info as *mut libc::tcp_info).cast(),
            &mut len,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(info)
}

/// The writer's end: what it wrote, its hash, when it started, its
/// retransmitted share.
struct Wrote {
    sent: usize,
    hash: u64,
    start: Instant,
    retransmitted: Option<f64>,
    counters: Option<String>,
}

/// Writes the stream for `seed` for `duration`, shuts the write side,
/// waits for the reader's close.
fn write_for(conn: &Conn, duration: Duration, seed: u64) -> io::Result<Wrote> {
    let mut pattern = Pattern::new(seed);
    let mut hash = StreamHash::default();
    let mut buf = vec![0u8; CHUNK];
    let start = Instant::now();
    let done = std::sync::atomic::AtomicBool::new(false);
    thread::scope(|scope| -> io::Result<()> {
        // IMPAIRED_TRACE=ms: the sender's window every that many ms on
        // stderr (a diagnostic, to compare how the two stacks' windows
        // evolve through the same impairment).
        let trace = std::env::var("IMPAIRED_TRACE")
            .ok()
            .and_then(|v| v.parse::<u64>().ok());
        if let Some(every) = trace {
            let done = &done;
            scope.spawn(move || {
                let mut line = String::new();
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    if let Some(w) = conn.window_now() {
                        line.push_str(&format!(" {w}"));
                    }
                    thread::sleep(Duration::from_millis(every));
                }
                eprintln!("    cwnd trace (segments, every {every} ms):{line}");
            });
        }
        let r = (|| {
            while start.elapsed() < duration {
                pattern.fill(&mut buf);
                hash.write(&buf);
                conn.write_all(&buf)?;
            }
            conn.shutdown(Shutdown::Write)?;
            // The reader closes once it has everything: the data is then
            // acknowledged, and the counters final.
            while conn.read(&mut buf)? > 0 {}
            Ok(())
        })();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        r
    })?;
    Ok(Wrote {
        sent: hash.len(),
        hash: hash.finish(),
        start,
        retransmitted: conn.retransmitted(),
        counters: conn.recovery_counters(),
    })
}

/// Reads and hashes until end of stream; when that came.
fn read_all(conn: &Conn) -> io::Result<(StreamHash, Instant)> {
    let mut hash = StreamHash::default();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match conn.read(&mut buf)? {
            0 => return Ok((hash, Instant::now())),
            n => hash.write(&buf[..n]),
        }
    }
}

/// Runs one cell: builds the rig for `side` and `profile`, moves data
/// the way `flow` says, tears everything down.
pub fn run_cell(profile: &Profile, side: Side, flow: Flow, cfg: &CellConfig) -> Cell {
    match Rig::new(side, profile, cfg.seed, &cfg.prefix, cfg.offload) {
        Ok(mut rig) => {
            let mut cell =
                transfer(&rig, flow, cfg).unwrap_or_else(|e| Cell::failed(e.to_string()));
            cell.tap_drops = rig.tap_drops().ok();
            cell.link = rig.stop_forwarder();
            cell
        }
        Err(e) => Cell::failed(format!("cannot build the link: {e}")),
    }
}

fn transfer(rig: &Rig, flow: Flow, cfg: &CellConfig) -> io::Result<Cell> {
    let server = SocketAddr::from((KERNEL_V4.octets(), PORT));
    let listener = rig.peer.run(move || std::net::TcpListener::bind(server))?;
    let stall = cfg.stall;
    let accept = thread::spawn(move || -> io::Result<Conn> {
        // Accept with a deadline: a connect that never arrives must not
        // leave this thread blocked.
        listener.set_nonblocking(true)?;
        let deadline = Instant::now() + stall;
        loop {
            match listener.accept() {
                Ok((s, _)) => {
                    s.set_nonblocking(false)?;
                    return Ok(Conn::Linux(s));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                    thread::sleep(Duration::from_millis(2));
                }
                Err(e) => return Err(e),
            }
        }
    });
    let tested = match &rig.tested {
        Tested::Rstcp(stack) => {
            rstcp::runtime::TcpStream::connect_timeout(stack, &server, stall).map(Conn::Rstcp)
        }
        Tested::Linux(ns) => ns
            .run(move || std::net::TcpStream::connect_timeout(&server, stall))
            .map(Conn::Linux),
    };
    let peer = accept
        .join()
        .map_err(|_| io::Error::other("accept thread panicked"))?;
    let (tested, peer) = (tested?, peer?);
    for conn in [&tested, &peer] {
        conn.set_timeouts(stall)?;
        if let (Conn::Linux(s), Some(cc)) = (conn, &cfg.linux_cc) {
            set_congestion_control(s, cc)?;
        }
    }
    let (writer, reader) = match flow {
        Flow::Send => (tested, peer),
        Flow::Receive => (peer, tested),
    };
    let (duration, seed) = (cfg.duration, cfg.seed);
    let (wrote, read) = thread::scope(|s| {
        // Named for per-thread counts (perf stat --per-thread).
        let w = thread::Builder::new()
            .name("writer".into())
            .spawn_scoped(s, || write_for(&writer, duration, seed))
            .expect("spawning the writer");
        let r = thread::Builder::new()
            .name("reader".into())
            .spawn_scoped(s, || {
                let r = read_all(&reader);
                // Closing tells the writer everything arrived; after an error,
                // shutting both ways unblocks a writer stuck on a full window.
                let how = if r.is_ok() {
                    Shutdown::Write
                } else {
                    Shutdown::Both
                };
                drop(reader.shutdown(how));
                r
            });
        let r = r.expect("spawning the reader");
        (w.join(), r.join())
    });
    let wrote = wrote.map_err(|_| io::Error::other("writer panicked"))?;
    let read = read.map_err(|_| io::Error::other("reader panicked"))?;
    let (got, end) = read.map_err(|e| io::Error::new(e.kind(), format!("reader: {e}")))?;
    let wrote = wrote.map_err(|e| io::Error::new(e.kind(), format!("writer: {e}")))?;
    let intact = got.len() == wrote.sent && got.finish() == wrote.hash;
    Ok(Cell {
        sent: wrote.sent,
        received: got.len(),
        intact,
        elapsed: end.saturating_duration_since(wrote.start),
        retransmitted: wrote.retransmitted,
        error: (!intact).then(|| {
            format!(
                "CORRUPT: {} bytes sent, {} received, hashes {}",
                wrote.sent,
                got.len(),
                if got.finish() == wrote.hash {
                    "agree"
                } else {
                    "differ"
                }
            )
        }),
        link: Default::default(),
        tap_drops: None,
        ran: true,
        sender: wrote.counters,
    })
}
