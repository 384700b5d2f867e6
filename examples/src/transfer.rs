//! A TCP bulk transfer between two simulated hosts through a faulty link,
//! for tests and for the table of `examples/tcp_table` (loss, reordering,
//! duplication, corruption × buffer sizes).

use rstcp::phy::fault::{Chance, FaultConfig, Faults};
use rstcp::socket::tcp::State;
use rstcp::time::Duration;
use rstcp::wire::{IpAddr, IpEndpoint};

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
    let mut sim = Sim::new(1500, false);
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
    while sim.now - start < limit {
        // The application: keep the send buffer full, read all there is.
        if sent < bytes && sim.a.tcp_socket(client).can_send() {
            let n = (bytes - sent).min(chunk.len());
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
        let a = sim.a.iface.poll(
            sim.now,
            &mut link_faults.attach(sim.link.a()),
            &mut sim.a.sockets,
        );
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
        // Busy: 120 µs per poll (a full frame's time at 100 Mb/s; several
        // frames may move in one poll). Idle: jump to the next deadline.
        let step = if a || b {
            Duration::from_micros(120)
        } else {
            let next = [sim.next_deadline(), link_faults.poll_at()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(t) if t > sim.now => (t - sim.now).min(Duration::from_millis(200)),
                _ => Duration::from_micros(120),
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
    }
}

/// A duration in seconds, for tables.
pub fn seconds(d: Duration) -> f64 {
    d.total_micros() as f64 / 1e6
}
