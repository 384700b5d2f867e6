//! A TCP bulk transfer between two simulated hosts through a faulty link,
//! for tests and for the table of `examples/tcp_table` (loss, reordering,
//! duplication, corruption × buffer sizes).

use crate::fault::{Chance, FaultConfig, Faults};
use rstcp::phy::{Device, RxToken, TxToken};
use rstcp::socket::tcp::{State, TcpStats};
use rstcp::time::{Duration, Instant};
use rstcp::wire::ethernet::{EtherType, EthernetFrame};
use rstcp::wire::ipv4::Ipv4Packet;
use rstcp::wire::tcp::TcpPacket;
use rstcp::wire::{IpAddr, IpEndpoint, IpProtocol};

use crate::loopback::Link;
use crate::offload::{OffloadStats, SoftOffload};

use crate::sim::*;
use crate::stream_hash::StreamHash;

/// What one transfer did.
#[derive(Debug, Clone, Copy)]
pub struct Outcome {
    /// Every byte arrived, in order, unchanged (compared by hash).
    pub intact: bool,
    /// Both sides reached CLOSED/TIME-WAIT after the data.
    pub finished: bool,
    /// Simulated time from connect to the last byte read.
    pub elapsed: Duration,
    /// Segments the sender retransmitted.
    pub retransmits: u64,
    /// Of which after a timeout.
    pub timeouts: u64,
    /// Segments the sender sent.
    pub segments: u64,
    /// The sender's MSS.
    pub mss: usize,
    /// The sender's ISN, as its SYN carried it.
    pub isn: Option<u32>,
    /// Frames from the sender the link lost (dropped, burst, queue …): what
    /// a sender that never retransmits needlessly would resend, about.
    pub link_lost: u64,
    /// The sender's counters at the end (recoveries, timeouts, probes,
    /// D-SACKs, undos: what tells a spurious recovery from a needed one).
    pub sender: TcpStats,
    /// What the sender's software offload did (all zero without `tso`).
    pub offload: OffloadStats,
}

/// A transfer to run with [`transfer_with`].
#[derive(Debug, Clone, Copy)]
pub struct Transfer {
    /// Bytes from A to B.
    pub bytes: usize,
    /// Socket buffers, each way, both ends.
    pub buffer: usize,
    /// The link's faults, each way.
    pub fault: FaultConfig,
    /// Seeds the link and both interfaces.
    pub seed: u64,
    /// Simulated time after which it gives up.
    pub limit: Duration,
    /// When A connects. A connection's ISN is its tuple's secret offset
    /// plus a 4 µs clock (RFC 6528 §3), so the start time places the ISN.
    pub start: Instant,
    /// Bytes of the first write, sent alone before the buffer is filled
    /// (0: none): shifts where segment boundaries fall in sequence space.
    pub first_write: usize,
    /// Simulated time per poll while frames move (120 µs, a full frame at
    /// 100 Mbit/s): a link faster than that needs less, or a whole window
    /// crosses in one poll and the receiver cannot see what order it came
    /// in (reordering by a few frames is then invisible).
    pub busy_step: Duration,
    /// The sender's device does TSO and checksum offload in software
    /// ([`SoftOffload`]): the stack hands it super-segments, the link and
    /// the receiver see MSS-sized segments.
    pub tso: bool,
}

impl Transfer {
    /// `bytes` through `fault` with `buffer`-byte sockets, from time zero.
    pub fn new(bytes: usize, buffer: usize, fault: FaultConfig, seed: u64) -> Transfer {
        Transfer {
            bytes,
            buffer,
            fault,
            seed,
            limit: Duration::from_secs(3600),
            start: Instant::ZERO,
            first_write: 0,
            busy_step: Duration::from_micros(120),
            tso: false,
        }
    }
}

/// A link fault profile, applied in both directions.
pub fn faults(
    loss_pct: u32,
    reorder_pct: u32,
    duplicate_pct: u32,
    corrupt_pct: u32,
) -> FaultConfig {
    FaultConfig {
        drop_pct: Chance::percent(loss_pct),
        reorder_pct: Chance::percent(reorder_pct),
        duplicate_pct: Chance::percent(duplicate_pct),
        corrupt_pct: Chance::percent(corrupt_pct),
        ..FaultConfig::none()
    }
}

/// Sends `bytes` from A to B over a link with `fault` each way and socket
/// buffers of `buffer` bytes, giving up after `limit` of simulated time.
pub fn transfer(
    bytes: usize,
    buffer: usize,
    fault: FaultConfig,
    seed: u64,
    limit: Duration,
) -> Outcome {
    transfer_with(&Transfer {
        limit,
        ..Transfer::new(bytes, buffer, fault, seed)
    })
}

/// Runs `t` (see [`Transfer`]).
pub fn transfer_with(t: &Transfer) -> Outcome {
    let &Transfer {
        bytes,
        buffer,
        fault,
        seed,
        limit,
        start,
        first_write,
        busy_step,
        tso,
    } = t;
    let mut offload = OffloadStats::default();
    let mut sim = Sim::new(1500, false);
    sim.now = start;
    let mut link_faults = Faults::new(fault, fault, seed);
    let listener = sim.b.tcp_listener(5001, 4, 2, 1, buffer);
    let client = sim.a.tcp(buffer);
    let now = sim.now;
    sim.a
        .connect(now, client, IpEndpoint::new(IpAddr::V4(IP4_B), 5001), 0)
        .expect("connect");
    let start = sim.now;
    let (mut sent, mut received) = (0usize, 0usize);
    let (mut h_sent, mut h_recv) = (StreamHash::default(), StreamHash::default());
    let mut server = None;
    let mut done_at = None;
    let mut x: u32 = 0x9e37_79b9;
    let mut chunk = vec![0u8; 16 * 1024];
    let mut closed = false;
    let mut isn = None;
    while sim.now - start < limit {
        // The application: keep the send buffer full, read all there is
        // (after a first write alone, once it is acknowledged).
        let s = sim.a.tcp_socket(client);
        let first = if sent < first_write {
            s.is_established().then_some(first_write - sent)
        } else if sent == first_write && first_write > 0 && s.send_queue() > 0 {
            None
        } else {
            Some(chunk.len())
        };
        if let Some(n) = first.filter(|_| sent < bytes && s.can_send()) {
            let n = (bytes - sent).min(n).min(chunk.len());
            for b in chunk[..n].iter_mut() {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                *b = x as u8;
            }
            let queued = sim
                .a
                .tcp_socket(client)
                .send_slice(&chunk[..n])
                .unwrap_or(0);
            // What did not fit is simply not sent: the hash covers what was.
            h_sent.write(&chunk[..queued]);
            sent += queued;
        }
        if sent == bytes && !closed {
            sim.a.tcp_socket(client).close();
            closed = true;
        }
        if server.is_none() {
            server = sim.b.listener(listener).accept();
        }
        if let Some(h) = server {
            let mut buf = [0u8; 16 * 1024];
            while let Ok(n) = sim.b.tcp_socket(h).recv_slice(&mut buf) {
                if n == 0 {
                    break;
                }
                h_recv.write(&buf[..n]);
                received += n;
            }
            if received == bytes && done_at.is_none() {
                done_at = Some(sim.now);
                sim.b.tcp_socket(h).close();
            }
        }
        let a = if tso {
            let dev = link_faults.attach(sim.link.a());
            sim.a.iface.poll(
                sim.now,
                &mut SoftOffload::new(dev, &mut offload),
                &mut sim.a.sockets,
            )
        } else {
            sim.a.iface.poll(
                sim.now,
                &mut link_faults.attach(sim.link.a()),
                &mut sim.a.sockets,
            )
        };
        if isn.is_none() && !sim.a.tcp_socket(client).is_established() {
            isn = syn_on_the_wire(&mut sim.link, sim.now);
        }
        let b = sim
            .b
            .iface
            .poll(sim.now, &mut sim.link.b(), &mut sim.b.sockets);
        let both_closed = server.is_some_and(|h| {
            matches!(sim.b.tcp_socket(h).state(), State::Closed | State::TimeWait)
        }) && matches!(
            sim.a.tcp_socket(client).state(),
            State::Closed | State::TimeWait
        );
        if done_at.is_some() && both_closed {
            break;
        }
        // Busy: `busy_step` per poll (several frames may move in one
        // poll). Idle: jump to the next deadline.
        let step = if a || b {
            busy_step
        } else {
            let next = [sim.next_deadline(), link_faults.poll_at()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(t) if t > sim.now => (t - sim.now).min(Duration::from_millis(200)),
                _ => busy_step,
            }
        };
        sim.now += step;
    }
    let stats = sim.a.tcp_socket(client).stats();
    let finished = done_at.is_some()
        && server.is_some_and(|h| {
            matches!(sim.b.tcp_socket(h).state(), State::Closed | State::TimeWait)
        });
    Outcome {
        intact: received == bytes && h_sent.finish() == h_recv.finish(),
        finished,
        elapsed: done_at.unwrap_or(sim.now) - start,
        retransmits: stats.retransmits,
        timeouts: stats.timeouts,
        segments: stats.segments_out,
        mss: stats.mss,
        isn,
        link_lost: link_faults.tx_stats().lost(),
        sender: stats,
        offload,
    }
}

/// The ISN that A's connection of a [`transfer_with`] starting at `at`
/// gets (the same hosts, so the same ephemeral port and secret), read off
/// the SYN on the wire of a fresh [`Sim`].
pub fn isn_at(at: Instant) -> Option<u32> {
    let mut sim = Sim::new(1500, false);
    sim.now = at;
    let client = sim.a.tcp(1024);
    let now = sim.now;
    sim.a
        .connect(now, client, IpEndpoint::new(IpAddr::V4(IP4_B), 5001), 0)
        .ok()?;
    // A asks for B's MAC, B answers, A sends the SYN.
    for _ in 0..8 {
        let a = &mut sim.a;
        a.iface.poll(sim.now, &mut sim.link.a(), &mut a.sockets);
        if let Some(seq) = syn_on_the_wire(&mut sim.link, sim.now) {
            return Some(seq);
        }
        let bh = &mut sim.b;
        bh.iface.poll(sim.now, &mut sim.link.b(), &mut bh.sockets);
        sim.now += Duration::from_millis(1);
    }
    None
}

/// The sequence number of a SYN among the frames on their way from A to
/// B, which are left on the link as they were (taken off, looked at, and
/// put back in order).
fn syn_on_the_wire(link: &mut Link, now: Instant) -> Option<u32> {
    let mut frames = Vec::new();
    let mut b = link.b();
    while let Some((rx, _)) = b.receive(now) {
        frames.push(rx.consume(|f| f.to_vec()));
    }
    let mut a = link.a();
    for f in &frames {
        // The link had room for them a moment ago.
        if let Some(tok) = a.transmit(now) {
            tok.consume(f.len(), |b| b.copy_from_slice(f));
        }
    }
    frames.iter().find_map(|f| tcp_syn_seq(f))
}

/// The sequence number of a TCP SYN in an Ethernet/IPv4 frame.
fn tcp_syn_seq(frame: &[u8]) -> Option<u32> {
    let eth = EthernetFrame::new_checked(frame).ok()?;
    if eth.ethertype() != EtherType::Ipv4 {
        return None;
    }
    let ip = Ipv4Packet::new_checked(eth.payload()).ok()?;
    if ip.next_header() != IpProtocol::Tcp {
        return None;
    }
    let tcp = TcpPacket::new_checked(ip.payload()).ok()?;
    (tcp.syn() && !tcp.ack()).then(|| tcp.seq_number().0)
}

/// A [`Transfer::start`] at which the connection gets ISN `target`, to
/// run transfers across the sequence-number wrap without a hook in the
/// core: the ISN advances one per 4 µs of the clock (RFC 6528 §3), so
/// probe it once and move the clock by the difference (at most 4.8 hours
/// of simulated time). Checked by probing again.
pub fn start_for_isn(target: u32) -> Result<Instant, String> {
    let t0 = Instant::from_secs(1);
    let s0 = isn_at(t0).ok_or("no SYN seen")?;
    let ticks = target.wrapping_sub(s0);
    let start = t0 + Duration::from_micros(u64::from(ticks) * 4);
    match isn_at(start) {
        Some(s) if s == target => Ok(start),
        Some(s) => Err(format!("wanted ISN {target:#x}, got {s:#x}")),
        None => Err("no SYN seen".into()),
    }
}

/// A duration in seconds, for tables.
pub fn seconds(d: Duration) -> f64 {
    d.total_micros() as f64 / 1e6
}
