//! The forwarder: two threads, one per direction, each reading frames
//! from one [`Port`], passing them through its [`Line`] and writing what
//! the line delivers, on time, to the other port. A port that reads
//! virtio-net headers ([`Port::vnet`]) has its super-frames cut into wire
//! frames first ([`Segmenter`]), so the line impairs segments.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::gso::Segmenter;
use super::line::{Line, LineStats};
use super::port::Port;
use super::profile::Profile;
use rstcp_testkit::offload::OffloadStats;

/// Frames read in one go before the line is drained again: bounds how
/// late a due frame can leave while a burst arrives.
const READ_BURST: usize = 64;
/// The longest sleep, so `stop` is noticed.
const MAX_SLEEP: Duration = Duration::from_millis(10);
/// Large enough for a 64 KB super-frame behind its Ethernet and
/// virtio-net headers; a longer frame is dropped and counted.
const FRAME_BUFFER: usize = 72 * 1024;

/// What one direction of the forwarder did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DirectionStats {
    /// The impairments' work.
    pub line: LineStats,
    /// Frames the receiving port did not take (its queue was full).
    pub send_errors: u64,
    /// Frames that could not be read (too long, or a read error).
    pub recv_errors: u64,
    /// The segmenter's work, from a port with virtio-net headers (its
    /// `bad_headers` are frames dropped).
    pub offload: OffloadStats,
}

/// A running forwarder between two ports. Stops on [`stop`](Self::stop)
/// or drop.
#[derive(Debug)]
pub struct Forwarder {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<DirectionStats>>,
}

impl Forwarder {
    /// Starts forwarding between `a` (the tested side) and `b` (the
    /// peer), `profile.a_to_b` impairing what goes from `a` to `b` and
    /// `profile.b_to_a` the way back, each direction with its own random
    /// stream derived from `seed`.
    pub fn start(a: Port, b: Port, profile: &Profile, seed: u64) -> Forwarder {
        let (a, b) = (Arc::new(a), Arc::new(b));
        let stop = Arc::new(AtomicBool::new(false));
        let epoch = Instant::now();
        let directions = [
            (a.clone(), b.clone(), profile.a_to_b, seed),
            // Another stream for the way back: the same seed would lose
            // the matching frames of both directions.
            (b, a, profile.b_to_a, seed ^ 0xb7e1_5162_8aed_2a6b),
        ];
        // Named, so a per-thread count (perf stat --per-thread) tells the
        // forwarder's system calls from the tested stack's.
        let threads = directions
            .into_iter()
            .zip(["fwd-a>b", "fwd-b>a"])
            .map(|((from, to, imp, seed), name)| {
                let stop = stop.clone();
                let line = Line::new(imp, seed);
                std::thread::Builder::new()
                    .name(name.into())
                    .spawn(move || pump(&from, &to, line, &stop, epoch))
                    .expect("spawning a forwarder thread")
            })
            .collect();
        Forwarder { stop, threads }
    }

    /// Stops both directions; gives what each did (`a_to_b`, `b_to_a`).
    pub fn stop(mut self) -> [DirectionStats; 2] {
        self.join()
    }

    fn join(&mut self) -> [DirectionStats; 2] {
        self.stop.store(true, Ordering::Release);
        let mut out = [DirectionStats::default(); 2];
        for (slot, t) in out.iter_mut().zip(self.threads.drain(..)) {
            *slot = t.join().unwrap_or_default();
        }
        out
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.join();
    }
}

/// Nanoseconds since `epoch`: the lines' clock.
fn ns(epoch: Instant) -> u64 {
    epoch.elapsed().as_nanos() as u64
}

/// One direction's loop: read what arrived, deliver what is due, sleep
/// until the next frame arrives or falls due.
fn pump(
    from: &Port,
    to: &Port,
    mut line: Line,
    stop: &AtomicBool,
    epoch: Instant,
) -> DirectionStats {
    // Sub-millisecond delays and a 100 Mbit/s pace (120 µs a frame) need
    // wake-ups closer than the default 50 µs timer slack.
    // SAFETY: prctl(PR_SET_TIMERSLACK) takes a plain integer.
    unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong) };
    let mut stats = DirectionStats::default();
    let mut buf = vec![0u8; FRAME_BUFFER];
    let mut gso = Segmenter::default();
    while !stop.load(Ordering::Acquire) {
        let mut more = false;
        let now = ns(epoch);
        for i in 0..READ_BURST {
            match from.recv(&mut buf) {
                Ok(Some(n)) if from.vnet() => {
                    for frame in gso.cut(&mut buf[..n]) {
                        line.admit(now, frame);
                    }
                }
                Ok(Some(n)) => line.admit(now, buf[..n].to_vec()),
                Ok(None) => break,
                Err(_) => {
                    stats.recv_errors += 1;
                    break;
                }
            }
            more = i + 1 == READ_BURST;
        }
        let now = ns(epoch);
        while let Some(frame) = line.pop_due(now) {
            if to.send(&frame).is_err() {
                stats.send_errors += 1;
            }
        }
        if more {
            continue;
        }
        let wait = match line.next_due() {
            Some(t) => Duration::from_nanos(t.saturating_sub(ns(epoch))).min(MAX_SLEEP),
            None => MAX_SLEEP,
        };
        if !wait.is_zero() {
            wait_readable(from, wait);
        }
    }
    stats.line = line.stats();
    stats.offload = gso.stats();
    stats
}

/// Sleeps until `port` has a frame or `timeout` passed.
fn wait_readable(port: &Port, timeout: Duration) {
    let mut pfd = libc::pollfd {
        fd: port.raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ts = libc::timespec {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    };
    // SAFETY: one valid pollfd, a valid timespec, no signal mask.
    // An error (EINTR) only ends the sleep early.
    unsafe { libc::ppoll(&mut pfd, 1, &ts, std::ptr::null()) };
}

#[cfg(test)]
mod tests {
    use std::os::unix::net::UnixDatagram;

    use super::*;

    /// A forwarder between two socket pairs; the test's ends.
    fn rig(spec: &str) -> (Forwarder, UnixDatagram, UnixDatagram) {
        let (a, a_fwd) = UnixDatagram::pair().unwrap();
        let (b, b_fwd) = UnixDatagram::pair().unwrap();
        for s in [&a_fwd, &b_fwd] {
            s.set_nonblocking(true).unwrap();
        }
        let port = |s: UnixDatagram| Port::datagram(std::os::fd::OwnedFd::from(s));
        let p = Profile::parse("t", spec).unwrap();
        let f = Forwarder::start(port(a_fwd), port(b_fwd), &p, 1);
        for s in [&a, &b] {
            s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        }
        (f, a, b)
    }

    fn frame(n: u32) -> Vec<u8> {
        let mut f = vec![0u8; 64];
        f[..4].copy_from_slice(&n.to_be_bytes());
        f
    }

    #[test]
    fn frames_cross_both_ways_after_the_delay_in_order() {
        let (f, a, b) = rig("delay=20ms,b.delay=5ms");
        let start = Instant::now();
        for i in 0..50 {
            a.send(&frame(i)).unwrap();
        }
        let mut buf = [0u8; 128];
        for i in 0..50 {
            let n = b.recv(&mut buf).unwrap();
            assert_eq!(&buf[..n], &frame(i)[..]);
            if i == 0 {
                assert!(start.elapsed() >= Duration::from_millis(20), "early");
            }
        }
        let back = Instant::now();
        b.send(&frame(7)).unwrap();
        let n = a.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], &frame(7)[..]);
        let took = back.elapsed();
        assert!(
            took >= Duration::from_millis(5),
            "{took:?}: b→a has its own delay"
        );
        let [ab, ba] = f.stop();
        assert_eq!((ab.line.frames_out, ba.line.frames_out), (50, 1));
    }

    #[test]
    fn loss_is_counted_and_the_rest_arrives() {
        let (f, a, b) = rig("a.loss=10%");
        b.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        // Read while sending: a socket pair holds few datagrams.
        let reader = std::thread::spawn(move || {
            let mut got = 0u64;
            let mut buf = [0u8; 128];
            while b.recv(&mut buf).is_ok() {
                got += 1;
            }
            got
        });
        for i in 0..1000 {
            a.send(&frame(i)).unwrap();
            if i % 25 == 24 {
                // Paced, so that a descheduled reader does not overflow
                // the pair's small queue (which would count as send errors).
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        let got = reader.join().unwrap();
        let [ab, _] = f.stop();
        assert_eq!(ab.line.frames_in, 1000);
        assert_eq!(ab.line.frames_out, 1000 - ab.line.lost);
        // Every frame the line let through was read, or counted as refused.
        assert_eq!(got + ab.send_errors, ab.line.frames_out);
        assert!(ab.send_errors < 50, "{ab:?}");
        assert!((50..=150).contains(&ab.line.lost), "{ab:?}");
    }
}
