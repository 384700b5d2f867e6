//! Two [`WaitDevice`]s joined by an in-memory wire, for threads.
//!
//! [`pair`] gives both ends of an Ethernet cable that lives in memory: a frame
//! one end transmits is received by the other. Unlike
//! `rstcp_testkit::loopback::Link` (a test tool), whose two ends are borrowed in
//! turn by one polling loop, each [`PipeEnd`] is owned by its own thread and
//! can sleep in [`WaitDevice::wait`] until the peer sends, a deadline passes,
//! or its [`Waker`] fires. This is what lets two
//! [`runtime::Stack`](crate::runtime::Stack)s talk in a test without root.
//!
//! Frame buffers come from a pool the two ends share: once the pool has
//! grown to the traffic's working set, moving a frame allocates nothing.
//! Each direction holds at most `capacity` frames; a full direction makes
//! [`Device::transmit`] return `None` (back-pressure, not loss).

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;
use std::vec::Vec;

use super::wait::{Transmit, Transmitter, WaitDevice, Wake, Waker};
use super::{Device, DeviceCapabilities, RxToken, TxToken};
use crate::time::Instant;

/// Frames one direction holds by default.
pub const DEFAULT_CAPACITY: usize = 1024;

/// Counters of one end.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PipeStats {
    /// Frames this end sent.
    pub tx_frames: u64,
    /// Frames this end received.
    pub rx_frames: u64,
    /// Frames this end dropped because the peer's queue was full (only a
    /// reply written into the token lent with a received frame can be).
    pub tx_dropped: u64,
}

/// The frames waiting for one end, and its wake flag.
#[derive(Default)]
struct Inbox {
    /// Each frame is a pooled buffer and the frame's length in it.
    frames: VecDeque<(Vec<u8>, usize)>,
    /// A wake arrived while no one waited: the next wait returns at once.
    woken: bool,
}

/// One end's receive side: what the peer writes into and this end sleeps on.
#[derive(Default)]
struct Port {
    inbox: Mutex<Inbox>,
    ready: Condvar,
}

impl Port {
    fn lock(&self) -> MutexGuard<'_, Inbox> {
        // A thread that panicked while holding the lock left a queue that is
        // still consistent (every change is a single push or pop).
        self.inbox.lock().unwrap_or_else(|e| e.into_inner())
    }
}

struct PortWaker(Arc<Port>);

impl Wake for PortWaker {
    fn wake(&self) {
        self.0.lock().woken = true;
        self.0.ready.notify_all();
    }
}

/// Spare frame buffers, shared by both ends (a direction with more traffic
/// would otherwise allocate on one side and hoard on the other).
type Pool = Arc<Mutex<Vec<Vec<u8>>>>;

/// One end of an in-memory wire (see the module documentation).
pub struct PipeEnd {
    rx: Arc<Port>,
    tx: Arc<Port>,
    pool: Pool,
    caps: DeviceCapabilities,
    capacity: usize,
    stats: PipeStats,
    /// Frames sent through the transmitter.
    sent: Arc<AtomicU64>,
}

/// Both ends of a wire of Ethernet MTU 1500 holding [`DEFAULT_CAPACITY`]
/// frames each way.
pub fn pair() -> (PipeEnd, PipeEnd) {
    pair_with(DeviceCapabilities::ethernet(1500), DEFAULT_CAPACITY)
}

/// Both ends of a wire with the given capabilities, holding `capacity`
/// frames each way.
pub fn pair_with(caps: DeviceCapabilities, capacity: usize) -> (PipeEnd, PipeEnd) {
    let (a, b) = (Arc::new(Port::default()), Arc::new(Port::default()));
    let pool: Pool = Arc::default();
    let end = |rx: &Arc<Port>, tx: &Arc<Port>| PipeEnd {
        rx: rx.clone(),
        tx: tx.clone(),
        pool: pool.clone(),
        caps,
        capacity: capacity.max(1),
        stats: PipeStats::default(),
        sent: Arc::default(),
    };
    (end(&a, &b), end(&b, &a))
}

impl PipeEnd {
    /// This end's counters.
    pub fn stats(&self) -> PipeStats {
        let mut s = self.stats;
        s.tx_frames += self.sent.load(Ordering::Relaxed);
        s
    }

    /// Frames waiting to be received by this end.
    pub fn queued(&self) -> usize {
        self.rx.lock().frames.len()
    }
}

/// A received frame; its buffer goes back to the pool once read.
pub struct PipeRxToken<'a> {
    frame: (Vec<u8>, usize),
    pool: &'a Pool,
}

impl RxToken for PipeRxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, f: F) -> R {
        let (mut buf, len) = self.frame;
        let r = f(&mut buf[..len]);
        recycle(self.pool, buf);
        r
    }
}

/// A frame to send to the peer.
pub struct PipeTxToken<'a> {
    to: &'a Port,
    pool: &'a Pool,
    capacity: usize,
    max_len: usize,
    stats: &'a mut PipeStats,
}

impl TxToken for PipeTxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = take_buffer(self.pool, self.max_len.max(len));
        let r = f(&mut buf[..len]);
        let mut inbox = self.to.lock();
        if inbox.frames.len() < self.capacity {
            inbox.frames.push_back((buf, len));
            self.stats.tx_frames += 1;
            drop(inbox);
            self.to.ready.notify_all();
        } else {
            drop(inbox);
            self.stats.tx_dropped += 1;
            recycle(self.pool, buf);
        }
        r
    }
}

/// A pooled buffer of at least `len` bytes (allocated only while the pool
/// is still growing to the traffic's working set).
fn take_buffer(pool: &Pool, len: usize) -> Vec<u8> {
    let mut buf = pool
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .pop()
        .unwrap_or_default();
    if buf.len() < len {
        buf.resize(len, 0);
    }
    buf
}

fn recycle(pool: &Pool, buf: Vec<u8>) {
    pool.lock().unwrap_or_else(|e| e.into_inner()).push(buf);
}

impl Device for PipeEnd {
    type RxToken<'a> = PipeRxToken<'a>;
    type TxToken<'a> = PipeTxToken<'a>;

    fn receive(&mut self, _now: Instant) -> Option<(PipeRxToken<'_>, PipeTxToken<'_>)> {
        let frame = self.rx.lock().frames.pop_front()?;
        self.stats.rx_frames += 1;
        Some((
            PipeRxToken {
                frame,
                pool: &self.pool,
            },
            PipeTxToken {
                to: &self.tx,
                pool: &self.pool,
                capacity: self.capacity,
                max_len: self.caps.max_frame_len(),
                stats: &mut self.stats,
            },
        ))
    }

    fn transmit(&mut self, _now: Instant) -> Option<PipeTxToken<'_>> {
        if self.tx.lock().frames.len() >= self.capacity {
            return None;
        }
        Some(PipeTxToken {
            to: &self.tx,
            pool: &self.pool,
            capacity: self.capacity,
            max_len: self.caps.max_frame_len(),
            stats: &mut self.stats,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.caps
    }
}

impl WaitDevice for PipeEnd {
    fn wait(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        let mut inbox = self.rx.lock();
        let deadline = timeout.map(|t| std::time::Instant::now() + t);
        loop {
            if !inbox.frames.is_empty() || inbox.woken {
                inbox.woken = false;
                return Ok(());
            }
            inbox = match deadline {
                None => self.rx.ready.wait(inbox).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let left = d.saturating_duration_since(std::time::Instant::now());
                    if left.is_zero() {
                        return Ok(());
                    }
                    self.rx
                        .ready
                        .wait_timeout(inbox, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
    }

    fn waker(&self) -> Waker {
        Arc::new(PortWaker(self.rx.clone()))
    }

    fn transmitter(&self) -> Option<Transmitter> {
        Some(Arc::new(PipeSender {
            to: self.tx.clone(),
            pool: self.pool.clone(),
            capacity: self.capacity,
            sent: self.sent.clone(),
        }))
    }
}

/// Sends to the peer from any thread (a [`PipeEnd`]'s transmitter), with
/// the same room as [`Device::transmit`]: a full direction refuses.
struct PipeSender {
    to: Arc<Port>,
    pool: Pool,
    capacity: usize,
    sent: Arc<AtomicU64>,
}

impl Transmit for PipeSender {
    fn send(&self, frame: &[u8]) -> bool {
        if self.to.lock().frames.len() >= self.capacity {
            return false;
        }
        let mut buf = take_buffer(&self.pool, frame.len());
        buf[..frame.len()].copy_from_slice(frame);
        let mut inbox = self.to.lock();
        // Checked again: the other end's threads may have filled it since.
        if inbox.frames.len() >= self.capacity {
            drop(inbox);
            recycle(&self.pool, buf);
            return false;
        }
        inbox.frames.push_back((buf, frame.len()));
        drop(inbox);
        self.sent.fetch_add(1, Ordering::Relaxed);
        self.to.ready.notify_all();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_crosses_and_wakes_the_peer() {
        let (mut a, mut b) = pair();
        let t = std::thread::spawn(move || {
            b.wait(Some(Duration::from_secs(10))).unwrap();
            let (rx, _) = b.receive(Instant::ZERO).expect("a frame");
            rx.consume(|f| f.to_vec())
        });
        std::thread::sleep(Duration::from_millis(20));
        let tx = a.transmit(Instant::ZERO).unwrap();
        tx.consume(3, |f| f.copy_from_slice(b"abc"));
        assert_eq!(t.join().unwrap(), b"abc");
        assert_eq!(a.stats().tx_frames, 1);
    }

    #[test]
    fn a_wake_before_the_wait_is_remembered() {
        let (mut a, _b) = pair();
        a.waker().wake();
        let start = std::time::Instant::now();
        a.wait(Some(Duration::from_secs(10))).unwrap();
        assert!(start.elapsed() < Duration::from_secs(5));
        // The flag is consumed: the next wait sleeps until its timeout.
        let start = std::time::Instant::now();
        a.wait(Some(Duration::from_millis(30))).unwrap();
        assert!(start.elapsed() >= Duration::from_millis(30));
    }

    #[test]
    fn a_full_direction_pushes_back() {
        let (mut a, b) = pair_with(DeviceCapabilities::ethernet(1500), 2);
        for _ in 0..2 {
            a.transmit(Instant::ZERO).unwrap().consume(60, |_| ());
        }
        assert!(a.transmit(Instant::ZERO).is_none());
        assert_eq!(b.queued(), 2);
    }
}
