//! In-memory devices for tests and for talking to oneself: a [`Loopback`]
//! whose transmitted frames come back as received frames, and a [`Link`], the
//! wire between two interfaces in one thread.
//!
//! # Bounded, with back-pressure
//!
//! Every queue has a fixed capacity. When the queue a device transmits into is
//! full, [`Device::transmit`] returns `None`: that is the back-pressure the
//! interface must handle (leave the data where it is and try again on a later
//! poll), and it is counted in [`QueueStats::refused`]. The one token that
//! cannot refuse is the reply token lent together with a received frame; if
//! its queue is full when it is consumed, the frame it wrote is dropped and
//! counted in [`QueueStats::dropped`].
//!
//! # No allocation in steady state
//!
//! Frame buffers are `Vec`s that circulate: a transmitted frame's buffer goes
//! into the queue, the receiver is lent it *in place*, and once the next frame
//! is received the old buffer goes back to a free list from which the next
//! transmit takes it. New buffers (of `max_tx_frame_len()` capacity: a TSO
//! super-segment's on a link that declares TSO) are made only while the
//! free list is empty, i.e. while the queues fill up for the first time;
//! after that a loop that sends and receives frames of at most
//! `max_tx_frame_len()` bytes allocates nothing on the device side.
//!
//! [`Device::receive`] never allocates at all (it moves a queued buffer into
//! the receive slot and the old one into the free list, whose capacity is
//! reserved up front), so a test that proves the interface's receive path is
//! allocation-free can use these devices.
//!
//! # A received frame stays queued until consumed
//!
//! As the [`Device`] contract says, a receive token dropped unconsumed gives
//! nothing up: the next [`Device::receive`] lends the same frame again.
//!
//! # Like Linux's `lo`
//!
//! The devices pass every frame whole and unchanged, whatever their
//! capabilities say. With [`DeviceCapabilities::loopback`] ([`Link::lo`])
//! they declare what Linux's `lo` does: the sending interface hands a TCP
//! super-segment of up to 64 KB with a partial checksum (a virtio-net
//! header with a GSO type and `NEEDS_CSUM`), and the receiving interface
//! gets that same frame as a GRO super-frame whose header vouches for the
//! checksum, so neither side sums the payload. Nothing in memory can
//! corrupt a frame, as Linux trusts `lo`. A test that corrupts frames on
//! purpose (the fault injector) wants a link without these offloads, whose
//! receiver verifies every checksum.

use core::mem;
use std::collections::VecDeque;

use rstcp::phy::{Device, DeviceCapabilities, RxToken, TxToken};
use rstcp::time::Instant;

/// The queue capacity of [`Loopback::new`], in frames.
pub const DEFAULT_CAPACITY: usize = 64;

/// Counters of one queue (one direction of a [`Link`], or a [`Loopback`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueStats {
    /// Frames transmitted into the queue.
    pub sent_frames: u64,
    /// Bytes of those frames.
    pub sent_bytes: u64,
    /// Frames taken out of the queue by the receiver (a frame lent again
    /// after its token was dropped unconsumed counts once).
    pub received_frames: u64,
    /// Bytes of those frames.
    pub received_bytes: u64,
    /// Frames written with a reply token while the queue was full, and thus
    /// lost.
    pub dropped: u64,
    /// Calls to [`Device::transmit`] refused because the queue was full
    /// (back-pressure; nothing was lost).
    pub refused: u64,
}

/// A bounded FIFO of frames, with its counters.
#[derive(Debug)]
struct Queue {
    frames: VecDeque<Vec<u8>>,
    capacity: usize,
    stats: QueueStats,
}

impl Queue {
    fn new(capacity: usize) -> Queue {
        Queue {
            // Reserved once, so that push_back never reallocates.
            frames: VecDeque::with_capacity(capacity),
            capacity,
            stats: QueueStats::default(),
        }
    }

    fn is_full(&self) -> bool {
        self.frames.len() >= self.capacity
    }
}

/// The free list of frame buffers.
#[derive(Debug)]
struct Pool {
    bufs: Vec<Vec<u8>>,
    /// Capacity of a new buffer: the largest frame of the device.
    frame_cap: usize,
}

impl Pool {
    /// `max_bufs` is the most buffers that can ever be in circulation, so the
    /// free list never has to grow.
    fn new(max_bufs: usize, frame_cap: usize) -> Pool {
        Pool {
            bufs: Vec::with_capacity(max_bufs),
            frame_cap,
        }
    }

    fn take(&mut self) -> Vec<u8> {
        self.bufs
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(self.frame_cap))
    }

    fn give(&mut self, mut buf: Vec<u8>) {
        // A zero-capacity buffer (an empty receive slot) is worth nothing;
        // and a full free list must not grow (that would allocate), so the
        // buffer is freed instead. Neither happens once warmed up.
        if buf.capacity() > 0 && self.bufs.len() < self.bufs.capacity() {
            buf.clear();
            self.bufs.push(buf);
        }
    }
}

/// The frame being lent to the receiver.
#[derive(Debug, Default)]
struct Slot {
    buf: Vec<u8>,
    /// True while the frame in `buf` has not been consumed yet.
    full: bool,
}

impl Slot {
    /// Makes sure the slot holds an unconsumed frame, taking the next one out
    /// of `queue` if needed. False when there is none. Never allocates.
    fn fill(&mut self, queue: &mut Queue, pool: &mut Pool) -> bool {
        if self.full {
            return true;
        }
        let Some(frame) = queue.frames.pop_front() else {
            return false;
        };
        queue.stats.received_frames += 1;
        queue.stats.received_bytes += frame.len() as u64;
        let old = mem::replace(&mut self.buf, frame);
        pool.give(old);
        self.full = true;
        true
    }
}

/// Lends a received frame of a [`Loopback`] or a [`LinkEnd`], in place.
#[derive(Debug)]
pub struct LoopbackRxToken<'a> {
    slot: &'a mut Slot,
}

impl RxToken for LoopbackRxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, f: F) -> R {
        self.slot.full = false;
        f(&mut self.slot.buf)
    }
}

/// Lends a transmit buffer of a [`Loopback`] or a [`LinkEnd`], taken from
/// the free list.
#[derive(Debug)]
pub struct LoopbackTxToken<'a> {
    queue: &'a mut Queue,
    pool: &'a mut Pool,
}

impl TxToken for LoopbackTxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buf = self.pool.take();
        // No allocation when len <= max_frame_len (the buffer's capacity).
        buf.resize(len, 0);
        let r = f(&mut buf);
        if self.queue.is_full() {
            // Only a reply token can get here: transmit() refuses when full.
            self.queue.stats.dropped += 1;
            log::debug!("loopback: queue full, reply frame of {} bytes dropped", len);
            self.pool.give(buf);
        } else {
            self.queue.stats.sent_frames += 1;
            self.queue.stats.sent_bytes += len as u64;
            self.queue.frames.push_back(buf);
        }
        r
    }
}

/// A device whose transmitted frames come back, in order, as received frames.
///
/// An interface polling it talks to itself: a packet to one of its own
/// addresses is framed to its own MAC, comes back, and is received like any
/// other (TCP, UDP and ping over IPv4 and IPv6; `tests/tests/loopback_self.rs`
/// in the repository). Its ARP requests and multicast would come back too,
/// and are ignored as reflections.
///
/// ```
/// use rstcp::phy::{Device, DeviceCapabilities, RxToken, TxToken};
/// use rstcp_testkit::loopback::Loopback;
/// use rstcp::time::Instant;
///
/// let mut dev = Loopback::new(DeviceCapabilities::default());
/// let now = Instant::ZERO;
/// dev.transmit(now).unwrap().consume(3, |b| b.copy_from_slice(b"abc"));
/// let (rx, _tx) = dev.receive(now).unwrap();
/// assert_eq!(rx.consume(|b| b.to_vec()), b"abc");
/// assert!(dev.receive(now).is_none());
/// ```
#[derive(Debug)]
pub struct Loopback {
    caps: DeviceCapabilities,
    queue: Queue,
    slot: Slot,
    pool: Pool,
}

impl Loopback {
    /// A loopback with the given capabilities and a queue of
    /// [`DEFAULT_CAPACITY`] frames.
    pub fn new(caps: DeviceCapabilities) -> Loopback {
        Loopback::with_capacity(caps, DEFAULT_CAPACITY)
    }

    /// A loopback whose queue holds at most `capacity` frames (0: every
    /// transmit is refused).
    pub fn with_capacity(caps: DeviceCapabilities, capacity: usize) -> Loopback {
        Loopback {
            caps,
            queue: Queue::new(capacity),
            slot: Slot::default(),
            // In circulation at most: the queue, the receive slot, and one
            // buffer being written by a reply token.
            pool: Pool::new(capacity.saturating_add(2), caps.max_tx_frame_len()),
        }
    }

    /// The counters.
    pub fn stats(&self) -> &QueueStats {
        &self.queue.stats
    }

    /// Frames waiting to be received (the one lent but not consumed yet
    /// included).
    pub fn queued(&self) -> usize {
        self.queue.frames.len() + usize::from(self.slot.full)
    }

    /// The queue capacity in frames.
    pub fn capacity(&self) -> usize {
        self.queue.capacity
    }
}

impl Device for Loopback {
    type RxToken<'a>
        = LoopbackRxToken<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = LoopbackTxToken<'a>
    where
        Self: 'a;

    fn receive(&mut self, _now: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        if !self.slot.fill(&mut self.queue, &mut self.pool) {
            return None;
        }
        Some((
            LoopbackRxToken {
                slot: &mut self.slot,
            },
            LoopbackTxToken {
                queue: &mut self.queue,
                pool: &mut self.pool,
            },
        ))
    }

    fn transmit(&mut self, _now: Instant) -> Option<Self::TxToken<'_>> {
        if self.queue.is_full() {
            self.queue.stats.refused += 1;
            return None;
        }
        Some(LoopbackTxToken {
            queue: &mut self.queue,
            pool: &mut self.pool,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.caps
    }
}

/// One end of a [`Link`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The end lent by [`Link::a`].
    A,
    /// The end lent by [`Link::b`].
    B,
}

impl Side {
    /// The other end.
    pub const fn peer(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// An in-memory wire between two interfaces: frames sent on end A are
/// received on end B and vice versa, each direction a bounded FIFO.
///
/// A single-threaded test polls interface A with `link.a()` as its device,
/// then interface B with `link.b()`, and repeats:
///
/// ```
/// use rstcp::phy::{Device, DeviceCapabilities, RxToken, TxToken};
/// use rstcp_testkit::loopback::Link;
/// use rstcp::time::Instant;
///
/// let mut link = Link::new(DeviceCapabilities::default(), 16);
/// let now = Instant::ZERO;
/// link.a().transmit(now).unwrap().consume(2, |b| b.copy_from_slice(b"hi"));
/// assert!(link.a().receive(now).is_none()); // A does not hear itself
/// let mut b = link.b();
/// let (rx, _tx) = b.receive(now).unwrap();
/// assert_eq!(rx.consume(|f| f.to_vec()), b"hi");
/// ```
#[derive(Debug)]
pub struct Link {
    caps: DeviceCapabilities,
    a_to_b: Queue,
    b_to_a: Queue,
    slot_a: Slot,
    slot_b: Slot,
    pool: Pool,
}

impl Link {
    /// A link whose ends have capabilities `caps` and whose two directions
    /// hold at most `capacity` frames each.
    pub fn new(caps: DeviceCapabilities, capacity: usize) -> Link {
        Link {
            caps,
            a_to_b: Queue::new(capacity),
            b_to_a: Queue::new(capacity),
            slot_a: Slot::default(),
            slot_b: Slot::default(),
            // Both queues, both receive slots, one reply buffer.
            pool: Pool::new(
                capacity.saturating_mul(2).saturating_add(3),
                caps.max_tx_frame_len(),
            ),
        }
    }

    /// A link like Linux's `lo` between two interfaces, MTU 1500 on the
    /// wire: TCP super-segments of up to 64 KB with partial checksums
    /// cross it whole and are trusted on arrival
    /// ([`DeviceCapabilities::loopback`]; the module documentation).
    pub fn lo(capacity: usize) -> Link {
        Link::new(DeviceCapabilities::loopback(1500), capacity)
    }

    /// End A, as a device borrowing the link.
    pub fn a(&mut self) -> LinkEnd<'_> {
        self.end(Side::A)
    }

    /// End B, as a device borrowing the link.
    pub fn b(&mut self) -> LinkEnd<'_> {
        self.end(Side::B)
    }

    /// The end `side`, as a device borrowing the link.
    pub fn end(&mut self, side: Side) -> LinkEnd<'_> {
        LinkEnd { link: self, side }
    }

    /// The counters of the direction whose frames are sent on end `from`.
    pub fn stats(&self, from: Side) -> &QueueStats {
        match from {
            Side::A => &self.a_to_b.stats,
            Side::B => &self.b_to_a.stats,
        }
    }

    /// Frames waiting to be received on end `to` (the one lent but not
    /// consumed yet included).
    pub fn queued(&self, to: Side) -> usize {
        match to {
            Side::A => self.b_to_a.frames.len() + usize::from(self.slot_a.full),
            Side::B => self.a_to_b.frames.len() + usize::from(self.slot_b.full),
        }
    }
}

/// One end of a [`Link`], borrowing it: a [`Device`] that receives what the
/// other end sent and sends to the other end.
#[derive(Debug)]
pub struct LinkEnd<'l> {
    link: &'l mut Link,
    side: Side,
}

impl LinkEnd<'_> {
    /// Which end this is.
    pub fn side(&self) -> Side {
        self.side
    }

    /// The queue this end receives from, the one it sends into, its receive
    /// slot and the free list, borrowed apart.
    fn parts(&mut self) -> (&mut Queue, &mut Queue, &mut Slot, &mut Pool) {
        let l = &mut *self.link;
        match self.side {
            Side::A => (&mut l.b_to_a, &mut l.a_to_b, &mut l.slot_a, &mut l.pool),
            Side::B => (&mut l.a_to_b, &mut l.b_to_a, &mut l.slot_b, &mut l.pool),
        }
    }
}

impl Device for LinkEnd<'_> {
    type RxToken<'a>
        = LoopbackRxToken<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = LoopbackTxToken<'a>
    where
        Self: 'a;

    fn receive(&mut self, _now: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let (rxq, txq, slot, pool) = self.parts();
        if !slot.fill(rxq, pool) {
            return None;
        }
        Some((
            LoopbackRxToken { slot },
            LoopbackTxToken { queue: txq, pool },
        ))
    }

    fn transmit(&mut self, _now: Instant) -> Option<Self::TxToken<'_>> {
        let (_, txq, _, pool) = self.parts();
        if txq.is_full() {
            txq.stats.refused += 1;
            return None;
        }
        Some(LoopbackTxToken { queue: txq, pool })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.link.caps
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::collections::BTreeSet;
    use std::vec;

    const NOW: Instant = Instant::ZERO;

    fn send<D: Device>(dev: &mut D, data: &[u8]) -> bool {
        match dev.transmit(NOW) {
            Some(tok) => {
                tok.consume(data.len(), |b| b.copy_from_slice(data));
                true
            }
            None => false,
        }
    }

    fn recv<D: Device>(dev: &mut D) -> Option<Vec<u8>> {
        let (rx, _tx) = dev.receive(NOW)?;
        Some(rx.consume(|b| b.to_vec()))
    }

    #[test]
    fn loopback_is_fifo() {
        let mut dev = Loopback::new(DeviceCapabilities::default());
        assert_eq!(recv(&mut dev), None);
        for i in 0..10u8 {
            assert!(send(&mut dev, &[i; 60]));
        }
        assert_eq!(dev.queued(), 10);
        for i in 0..10u8 {
            assert_eq!(recv(&mut dev), Some(vec![i; 60]));
        }
        assert_eq!(recv(&mut dev), None);
        let s = dev.stats();
        assert_eq!((s.sent_frames, s.sent_bytes), (10, 600));
        assert_eq!((s.received_frames, s.received_bytes), (10, 600));
        assert_eq!((s.dropped, s.refused), (0, 0));
    }

    #[test]
    fn loopback_refuses_transmit_when_full() {
        let mut dev = Loopback::with_capacity(DeviceCapabilities::default(), 2);
        assert!(send(&mut dev, b"one"));
        assert!(send(&mut dev, b"two"));
        // Back-pressure: no token, nothing lost, the refusal counted.
        assert!(dev.transmit(NOW).is_none());
        assert_eq!(dev.stats().refused, 1);
        assert_eq!(dev.stats().dropped, 0);
        // Room again once a frame is received.
        assert_eq!(recv(&mut dev).as_deref(), Some(&b"one"[..]));
        assert!(send(&mut dev, b"three"));
        assert_eq!(recv(&mut dev).as_deref(), Some(&b"two"[..]));
        assert_eq!(recv(&mut dev).as_deref(), Some(&b"three"[..]));
        assert_eq!(recv(&mut dev), None);
    }

    #[test]
    fn zero_capacity_refuses_everything() {
        let mut dev = Loopback::with_capacity(DeviceCapabilities::default(), 0);
        assert!(!send(&mut dev, b"x"));
        assert_eq!(recv(&mut dev), None);
        assert_eq!(dev.stats().refused, 1);
    }

    #[test]
    fn unconsumed_rx_token_leaves_frame_queued_and_full_reply_is_dropped() {
        let mut dev = Loopback::with_capacity(DeviceCapabilities::default(), 1);
        assert!(send(&mut dev, b"first"));
        // Lent, then dropped unconsumed: the frame must stay queued.
        assert!(dev.receive(NOW).is_some());
        assert_eq!(dev.queued(), 1);
        // The queue proper is empty again (the frame sits in the slot).
        assert!(send(&mut dev, b"second"));
        assert!(dev.transmit(NOW).is_none());
        let (rx, tx) = dev.receive(NOW).unwrap();
        assert_eq!(rx.consume(|b| b.to_vec()), b"first");
        // The reply token cannot refuse: its frame is written, then dropped
        // and counted because the queue is full.
        let r = tx.consume(5, |b| {
            b.copy_from_slice(b"reply");
            42
        });
        assert_eq!(r, 42);
        assert_eq!(dev.stats().dropped, 1);
        assert_eq!(dev.stats().received_frames, 1, "re-lending counts once");
        assert_eq!(recv(&mut dev).as_deref(), Some(&b"second"[..]));
        assert_eq!(recv(&mut dev), None);
    }

    #[test]
    fn reply_token_sends_back_to_the_queue() {
        let mut dev = Loopback::new(DeviceCapabilities::default());
        assert!(send(&mut dev, b"ping"));
        let (rx, tx) = dev.receive(NOW).unwrap();
        rx.consume(|b| assert_eq!(b, b"ping"));
        tx.consume(4, |b| b.copy_from_slice(b"pong"));
        assert_eq!(recv(&mut dev).as_deref(), Some(&b"pong"[..]));
    }

    #[test]
    fn zero_length_frame() {
        let mut dev = Loopback::new(DeviceCapabilities::default());
        assert!(send(&mut dev, b""));
        assert_eq!(recv(&mut dev), Some(vec![]));
    }

    #[test]
    fn buffers_are_reused_in_steady_state() {
        let mut dev = Loopback::new(DeviceCapabilities::default());
        let mut seen = BTreeSet::new();
        for i in 0..1000u32 {
            let tok = dev.transmit(NOW).unwrap();
            tok.consume(1514, |b| {
                seen.insert(b.as_ptr() as usize);
                b[..4].copy_from_slice(&i.to_be_bytes());
            });
            let (rx, _) = dev.receive(NOW).unwrap();
            rx.consume(|b| {
                seen.insert(b.as_ptr() as usize);
                assert_eq!(b[..4], i.to_be_bytes());
            });
        }
        // A send/receive loop circulates two buffers (one in the receive
        // slot, one being written), not one per frame.
        assert!(seen.len() <= 2, "{} distinct buffers", seen.len());
    }

    #[test]
    fn link_delivers_each_way_independently() {
        let mut link = Link::new(DeviceCapabilities::default(), 4);
        assert!(send(&mut link.a(), b"a1"));
        assert!(send(&mut link.a(), b"a2"));
        assert!(send(&mut link.b(), b"b1"));
        assert_eq!(link.queued(Side::B), 2);
        assert_eq!(link.queued(Side::A), 1);
        // Nobody hears their own frames.
        assert_eq!(recv(&mut link.b()).as_deref(), Some(&b"a1"[..]));
        assert_eq!(recv(&mut link.a()).as_deref(), Some(&b"b1"[..]));
        assert_eq!(recv(&mut link.a()), None);
        assert_eq!(recv(&mut link.b()).as_deref(), Some(&b"a2"[..]));
        assert_eq!(recv(&mut link.b()), None);
        let ab = *link.stats(Side::A);
        let ba = *link.stats(Side::B);
        assert_eq!(
            (ab.sent_frames, ab.sent_bytes, ab.received_frames),
            (2, 4, 2)
        );
        assert_eq!(
            (ba.sent_frames, ba.sent_bytes, ba.received_frames),
            (1, 2, 1)
        );
        assert_eq!(link.a().side(), Side::A);
        assert_eq!(Side::A.peer(), Side::B);
    }

    #[test]
    fn link_full_direction_does_not_block_the_other() {
        let mut link = Link::new(DeviceCapabilities::default(), 1);
        assert!(send(&mut link.a(), b"a1"));
        assert!(!send(&mut link.a(), b"a2"));
        assert_eq!(link.stats(Side::A).refused, 1);
        assert!(send(&mut link.b(), b"b1"));
        // A receives b1; its reply goes A->B, which is full: dropped.
        let mut a = link.a();
        let (rx, tx) = a.receive(NOW).unwrap();
        rx.consume(|f| assert_eq!(f, b"b1"));
        tx.consume(5, |f| f.copy_from_slice(b"reply"));
        assert_eq!(link.stats(Side::A).dropped, 1);
        assert_eq!(recv(&mut link.b()).as_deref(), Some(&b"a1"[..]));
        // B's reply token goes B->A.
        assert!(send(&mut link.a(), b"a3"));
        let mut b = link.b();
        let (rx, tx) = b.receive(NOW).unwrap();
        rx.consume(|f| assert_eq!(f, b"a3"));
        tx.consume(2, |f| f.copy_from_slice(b"ok"));
        assert_eq!(recv(&mut link.a()).as_deref(), Some(&b"ok"[..]));
    }

    #[test]
    fn capabilities_are_the_configured_ones() {
        let caps = DeviceCapabilities::ethernet(9000);
        assert_eq!(Loopback::new(caps).capabilities(), caps);
        let mut link = Link::new(caps, 1);
        assert_eq!(link.a().capabilities().mtu, 9000);
        assert_eq!(link.b().capabilities(), caps);
    }
}
