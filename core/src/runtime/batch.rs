//! Frames moved in batches, so the device's system calls run outside the
//! lock that the application's threads share with the stack's thread.
//!
//! A TAP takes one `read(2)` or `write(2)` per frame, and a write does
//! real work: the kernel runs the peer's whole receive path (its TCP
//! included) inside the call, and may switch to the thread that call woke.
//! Done while holding the lock, every such call would stall the
//! application threads that want the lock meanwhile. So the stack's thread
//! reads the waiting frames into [`Batch`] before it takes the lock; a poll
//! (the stack thread's, or an application thread's, see `stack.rs`) gets
//! them through [`Lent`], whose sent frames go into a [`Queue`] under the
//! lock; and whoever polled writes them once it has let go of the lock.

use std::vec::Vec;

use crate::phy::{Device, DeviceCapabilities, RxToken, TxToken};
use crate::time::Instant;

/// Most frames read ahead of one poll: the rest wait in the device for the
/// next round, so one poll stays short.
const RX_FRAMES: usize = 32;

/// Most frames queued for sending: a poll that would send more finds the
/// device busy and sends the rest on its next round, once these went, so
/// what is held stays bounded. (Room for a 64 KiB datagram in fragments
/// several times over: one is never cut for want of room.)
pub(crate) const TX_FRAMES: usize = 256;

/// Frames on their way in or out, in reused buffers.
#[derive(Default)]
pub(crate) struct Queue {
    /// One buffer per frame slot, grown to the largest frame it held.
    bufs: Vec<Vec<u8>>,
    /// The length of each queued frame; `lens.len()` frames are queued.
    lens: Vec<usize>,
    /// The first frame not yet handed out (received ones) or written (sent
    /// ones).
    next: usize,
}

impl Queue {
    /// A buffer of `len` bytes for the next frame (its bytes not zeroed
    /// beyond what earlier frames left).
    fn push(&mut self, len: usize) -> &mut [u8] {
        let i = self.lens.len();
        if self.bufs.len() == i {
            self.bufs.push(Vec::new());
        }
        let buf = &mut self.bufs[i];
        if buf.len() < len {
            buf.resize(len, 0);
        }
        self.lens.push(len);
        &mut buf[..len]
    }

    /// Frames queued and not yet handed out or written.
    pub(crate) fn pending(&self) -> usize {
        self.lens.len() - self.next
    }

    fn clear(&mut self) {
        self.lens.clear();
        self.next = 0;
    }

    /// Hands the queued frames to `send`, in order, until it refuses one
    /// (a device without room, like a full in-memory pipe): that one and
    /// those after it stay queued. True when all went.
    pub(crate) fn write_with(&mut self, send: &mut dyn FnMut(&[u8]) -> bool) -> bool {
        while self.next < self.lens.len() {
            if !send(&self.bufs[self.next][..self.lens[self.next]]) {
                return false;
            }
            self.next += 1;
        }
        self.clear();
        true
    }

    /// Puts the frames `later` holds after this queue's own, in order, and
    /// empties `later`.
    pub(crate) fn append(&mut self, later: &mut Queue) {
        for i in later.next..later.lens.len() {
            let len = later.lens[i];
            self.push(len).copy_from_slice(&later.bufs[i][..len]);
        }
        later.clear();
    }
}

/// The device the stack's thread owns, and the frames it read ahead.
pub(crate) struct Batch<D> {
    inner: D,
    mtu: Option<usize>,
    rx: Queue,
}

impl<D: Device> Batch<D> {
    pub(crate) fn new(inner: D, mtu: Option<usize>) -> Batch<D> {
        Batch {
            inner,
            mtu,
            rx: Queue::default(),
        }
    }

    pub(crate) fn inner(&self) -> &D {
        &self.inner
    }

    /// The device's capabilities with the configured MTU.
    pub(crate) fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = self.inner.capabilities();
        if let Some(mtu) = self.mtu {
            caps.mtu = mtu;
        }
        caps
    }

    /// Reads the frames the device has waiting, up to the batch's room.
    /// Returns true if any frame is waiting in the batch.
    pub(crate) fn fill(&mut self, now: Instant) -> bool {
        if !self.has_rx() {
            self.rx.clear();
        }
        while self.rx.lens.len() < RX_FRAMES {
            let Some((token, _)) = self.inner.receive(now) else {
                break;
            };
            let rx = &mut self.rx;
            token.consume(|frame| rx.push(frame.len()).copy_from_slice(frame));
        }
        self.has_rx()
    }

    /// True while frames read ahead wait for the interface.
    pub(crate) fn has_rx(&self) -> bool {
        self.rx.pending() > 0
    }

    /// The frames read ahead, and `tx` for the frames sent, as a device
    /// for one poll.
    pub(crate) fn lend<'a>(&'a mut self, tx: &'a mut Queue) -> Lent<'a> {
        Lent {
            caps: self.capabilities(),
            rx: Some(&mut self.rx),
            tx,
        }
    }

    /// Writes one frame through the device. False when it has no room.
    pub(crate) fn send(&mut self, frame: &[u8], now: Instant) -> bool {
        match self.inner.transmit(now) {
            Some(token) => {
                token.consume(frame.len(), |b| b.copy_from_slice(frame));
                true
            }
            None => false,
        }
    }
}

/// The stack's device as the thread driving it uses it: the stack's own
/// thread, or an application thread waiting in a
/// [`Poller`](super::Poller) (see `drive.rs`). A trait object, so that the
/// shared state that hands it from thread to thread is not generic over
/// the device.
pub(crate) trait Drive: Send {
    /// [`Batch::fill`].
    fn fill(&mut self, now: Instant) -> bool;
    /// [`Batch::has_rx`].
    fn has_rx(&self) -> bool;
    /// [`Batch::lend`].
    fn lend<'a>(&'a mut self, tx: &'a mut Queue) -> Lent<'a>;
    /// [`Batch::send`].
    fn send(&mut self, frame: &[u8], now: Instant) -> bool;
    /// [`WaitDevice::wait`](crate::phy::wait::WaitDevice::wait).
    fn wait(&mut self, timeout: Option<std::time::Duration>) -> std::io::Result<()>;
}

impl<D: crate::phy::wait::WaitDevice> Drive for Batch<D> {
    fn fill(&mut self, now: Instant) -> bool {
        Batch::fill(self, now)
    }
    fn has_rx(&self) -> bool {
        Batch::has_rx(self)
    }
    fn lend<'a>(&'a mut self, tx: &'a mut Queue) -> Lent<'a> {
        Batch::lend(self, tx)
    }
    fn send(&mut self, frame: &[u8], now: Instant) -> bool {
        Batch::send(self, frame, now)
    }
    fn wait(&mut self, timeout: Option<std::time::Duration>) -> std::io::Result<()> {
        self.inner.wait(timeout)
    }
}

/// The device one poll sees: frames read ahead (the stack's thread) or
/// none (an application thread sending what its call made ready), and a
/// queue for what it sends.
pub(crate) struct Lent<'a> {
    rx: Option<&'a mut Queue>,
    tx: &'a mut Queue,
    caps: DeviceCapabilities,
}

impl<'a> Lent<'a> {
    /// Sending only, into `tx`.
    pub(crate) fn sending(tx: &'a mut Queue, caps: DeviceCapabilities) -> Lent<'a> {
        Lent { rx: None, tx, caps }
    }
}

/// A frame read ahead, lent to the interface.
pub(crate) struct BatchRx<'a> {
    frame: &'a mut [u8],
}

impl RxToken for BatchRx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, f: F) -> R {
        f(self.frame)
    }
}

/// Room for one more frame in the send queue.
pub(crate) struct BatchTx<'a> {
    tx: &'a mut Queue,
}

impl TxToken for BatchTx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        f(self.tx.push(len))
    }
}

impl Device for Lent<'_> {
    type RxToken<'a>
        = BatchRx<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = BatchTx<'a>
    where
        Self: 'a;

    fn receive(&mut self, _now: Instant) -> Option<(BatchRx<'_>, BatchTx<'_>)> {
        let rx = self.rx.as_deref_mut()?;
        // No room to reply: the frame waits until there is.
        if rx.pending() == 0 || self.tx.lens.len() >= TX_FRAMES {
            return None;
        }
        let i = rx.next;
        rx.next += 1;
        let len = rx.lens[i];
        Some((
            BatchRx {
                frame: &mut rx.bufs[i][..len],
            },
            BatchTx { tx: self.tx },
        ))
    }

    fn transmit(&mut self, _now: Instant) -> Option<BatchTx<'_>> {
        (self.tx.lens.len() < TX_FRAMES).then_some(BatchTx { tx: self.tx })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.caps
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// A device with frames to hand out, holding what it was sent.
    struct Fake {
        incoming: VecDeque<Vec<u8>>,
        sent: Vec<Vec<u8>>,
    }

    struct FakeRx(Vec<u8>);
    impl RxToken for FakeRx {
        fn consume<R, F: FnOnce(&mut [u8]) -> R>(mut self, f: F) -> R {
            f(&mut self.0)
        }
    }
    struct FakeTx<'a>(&'a mut Vec<Vec<u8>>);
    impl TxToken for FakeTx<'_> {
        fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
            let mut b = std::vec![0; len];
            let r = f(&mut b);
            self.0.push(b);
            r
        }
    }
    impl Device for Fake {
        type RxToken<'a> = FakeRx;
        type TxToken<'a> = FakeTx<'a>;
        fn receive(&mut self, _: Instant) -> Option<(FakeRx, FakeTx<'_>)> {
            let f = self.incoming.pop_front()?;
            Some((FakeRx(f), FakeTx(&mut self.sent)))
        }
        fn transmit(&mut self, _: Instant) -> Option<FakeTx<'_>> {
            Some(FakeTx(&mut self.sent))
        }
        fn capabilities(&self) -> DeviceCapabilities {
            DeviceCapabilities::ethernet(1500)
        }
    }

    /// Queues a 3-byte frame of `byte`; false when refused.
    fn send(d: &mut Lent<'_>, byte: u8) -> bool {
        match d.transmit(Instant::ZERO) {
            Some(t) => {
                t.consume(3, |buf| buf.fill(byte));
                true
            }
            None => false,
        }
    }

    fn firsts(q: &mut Queue) -> Vec<u8> {
        let mut v = Vec::new();
        q.write_with(&mut |f| {
            v.push(f[0]);
            true
        });
        v
    }

    #[test]
    fn frames_read_ahead_are_handed_out_in_order_a_batch_at_a_time() {
        let frames = || (0..40u8).map(|i| std::vec![i; 10 + i as usize]);
        let mut b = Batch::new(
            Fake {
                incoming: frames().collect(),
                sent: Vec::new(),
            },
            Some(1280),
        );
        assert_eq!(b.capabilities().mtu, 1280);
        let mut tx = Queue::default();
        let mut seen = Vec::new();
        for _ in 0..2 {
            assert!(b.fill(Instant::ZERO));
            let mut d = b.lend(&mut tx);
            assert_eq!(d.capabilities().mtu, 1280);
            let before = seen.len();
            while let Some((rx, _)) = d.receive(Instant::ZERO) {
                rx.consume(|f| seen.push(f.to_vec()));
            }
            assert!(seen.len() - before <= RX_FRAMES, "one batch per fill");
        }
        assert!(!b.fill(Instant::ZERO));
        assert_eq!(seen, frames().collect::<Vec<_>>());
    }

    #[test]
    fn a_full_send_queue_pushes_back_and_nothing_is_lost() {
        let mut tx = Queue::default();
        let mut d = Lent::sending(&mut tx, DeviceCapabilities::ethernet(1500));
        assert!(d.receive(Instant::ZERO).is_none(), "sending only");
        for i in 0..TX_FRAMES {
            assert!(send(&mut d, i as u8));
        }
        // Full: the interface sees a busy device, and keeps the frame.
        assert!(!send(&mut d, 0xff));
        let want: Vec<u8> = (0..TX_FRAMES).map(|i| i as u8).collect();
        assert_eq!(firsts(&mut tx), want);
        assert_eq!(tx.pending(), 0);
    }

    #[test]
    fn a_refused_frame_and_those_after_it_stay_queued_ahead_of_newer_ones() {
        let mut tx = Queue::default();
        let mut d = Lent::sending(&mut tx, DeviceCapabilities::ethernet(1500));
        for i in 0..5 {
            assert!(send(&mut d, i));
        }
        let mut taken = Vec::new();
        let all = tx.write_with(&mut |f| {
            if taken.len() == 2 {
                return false;
            }
            taken.push(f[0]);
            true
        });
        assert!(!all);
        assert_eq!(taken, [0, 1]);
        assert_eq!(tx.pending(), 3);
        let mut newer = Queue::default();
        let mut d = Lent::sending(&mut newer, DeviceCapabilities::ethernet(1500));
        assert!(send(&mut d, 9));
        tx.append(&mut newer);
        assert_eq!(newer.pending(), 0);
        assert_eq!(firsts(&mut tx), [2, 3, 4, 9]);
    }

    #[test]
    fn the_batch_writes_through_its_device() {
        let mut b = Batch::new(
            Fake {
                incoming: VecDeque::new(),
                sent: Vec::new(),
            },
            None,
        );
        assert!(b.send(&[7, 8], Instant::ZERO));
        assert_eq!(b.inner().sent, [std::vec![7, 8]]);
    }
}
