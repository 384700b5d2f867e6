//! Frames moved in batches, so the device's system calls run outside the
//! lock that the application's threads share with the stack's thread.
//!
//! A TAP takes one `read(2)` or `write(2)` per frame, and a write does
//! real work: the kernel runs the peer's whole receive path (its TCP
//! included) inside the call, and may switch to the thread that call woke.
//! Done while holding the lock, every such call stalls the application
//! threads that want the lock meanwhile. So the stack's thread reads the
//! waiting frames into [`Batch`] before it takes the lock, lends the batch
//! to the interface as its device (frames come from the batch, frames sent
//! go into it), and writes what was sent once it has let go of the lock.

use std::vec::Vec;

use crate::phy::{Device, DeviceCapabilities, RxToken, TxToken};
use crate::time::Instant;

/// Most frames read ahead of one poll: the rest wait in the device for the
/// next round, so one poll stays short.
const RX_FRAMES: usize = 32;

/// Most frames kept for sending after the lock is released: a poll that
/// sends more writes the oldest ones at once (a burst of segments, or a
/// large reply), so what is held stays bounded.
const TX_FRAMES: usize = 64;

/// Frames on their way in or out, in reused buffers.
#[derive(Default)]
struct Queue {
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

    fn len(&self) -> usize {
        self.lens.len()
    }

    fn clear(&mut self) {
        self.lens.clear();
        self.next = 0;
    }

    /// Hands the queued frames to `device`, in order, until it has no
    /// room (a device with back-pressure, like the in-memory pipe): those
    /// left stay queued for the next try. True when all went.
    fn write_to<D: Device>(&mut self, device: &mut D, now: Instant) -> bool {
        while self.next < self.lens.len() {
            let Some(token) = device.transmit(now) else {
                return false;
            };
            let (len, frame) = (self.lens[self.next], &self.bufs[self.next]);
            token.consume(len, |b| b.copy_from_slice(&frame[..len]));
            self.next += 1;
        }
        self.clear();
        true
    }
}

/// The stack thread's device: wraps the real one, holds the frames read
/// ahead and those waiting to be written, and applies the configured MTU.
pub(crate) struct Batch<D> {
    inner: D,
    mtu: Option<usize>,
    rx: Queue,
    tx: Queue,
}

impl<D: Device> Batch<D> {
    pub(crate) fn new(inner: D, mtu: Option<usize>) -> Batch<D> {
        Batch {
            inner,
            mtu,
            rx: Queue::default(),
            tx: Queue::default(),
        }
    }

    /// The device itself (to wait on it).
    pub(crate) fn inner_mut(&mut self) -> &mut D {
        &mut self.inner
    }

    pub(crate) fn inner(&self) -> &D {
        &self.inner
    }

    /// Reads the frames the device has waiting, up to the batch's room.
    /// Returns true if any frame is waiting in the batch.
    pub(crate) fn fill(&mut self, now: Instant) -> bool {
        if self.rx.next == self.rx.len() {
            self.rx.clear();
        }
        while self.rx.len() < RX_FRAMES {
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
        self.rx.next < self.rx.len()
    }

    /// Writes the frames the interface sent, in order. False when the
    /// device had no room for some: they stay queued, and the caller tries
    /// again soon rather than sleeping.
    pub(crate) fn flush(&mut self, now: Instant) -> bool {
        self.tx.write_to(&mut self.inner, now)
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

impl<D: Device> Batch<D> {
    /// A token for one more frame: the queue has room, or is made room in
    /// by writing what it holds (the order kept). `None` only when the
    /// queue is full and the device takes nothing now, which the interface
    /// handles as a busy device.
    fn tx_token(&mut self, now: Instant) -> Option<BatchTx<'_>> {
        if self.tx.len() >= TX_FRAMES && !self.tx.write_to(&mut self.inner, now) {
            return None;
        }
        Some(BatchTx { tx: &mut self.tx })
    }
}

impl<D: Device> Device for Batch<D> {
    type RxToken<'a>
        = BatchRx<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = BatchTx<'a>
    where
        Self: 'a;

    fn receive(&mut self, now: Instant) -> Option<(BatchRx<'_>, BatchTx<'_>)> {
        if !self.has_rx() {
            return None;
        }
        if self.tx.len() >= TX_FRAMES && !self.tx.write_to(&mut self.inner, now) {
            // No room to reply: the frame waits until there is.
            return None;
        }
        let i = self.rx.next;
        self.rx.next += 1;
        let len = self.rx.lens[i];
        Some((
            BatchRx {
                frame: &mut self.rx.bufs[i][..len],
            },
            BatchTx { tx: &mut self.tx },
        ))
    }

    fn transmit(&mut self, now: Instant) -> Option<BatchTx<'_>> {
        self.tx_token(now)
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = self.inner.capabilities();
        if let Some(mtu) = self.mtu {
            caps.mtu = mtu;
        }
        caps
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// A device holding what it was sent, with room for `room` frames, and
    /// frames to hand out.
    struct Fake {
        incoming: VecDeque<Vec<u8>>,
        sent: Vec<Vec<u8>>,
        room: usize,
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
            (self.sent.len() < self.room).then(|| FakeTx(&mut self.sent))
        }
        fn capabilities(&self) -> DeviceCapabilities {
            DeviceCapabilities::ethernet(1500)
        }
    }

    fn send(b: &mut Batch<Fake>, byte: u8) -> bool {
        match b.transmit(Instant::ZERO) {
            Some(t) => {
                t.consume(3, |buf| buf.fill(byte));
                true
            }
            None => false,
        }
    }

    #[test]
    fn frames_read_ahead_are_handed_out_in_order_and_at_most_a_batch() {
        let incoming = (0..40u8).map(|i| std::vec![i; 10 + i as usize]).collect();
        let mut b = Batch::new(
            Fake {
                incoming,
                sent: Vec::new(),
                room: usize::MAX,
            },
            Some(1280),
        );
        assert_eq!(b.capabilities().mtu, 1280);
        assert!(b.fill(Instant::ZERO));
        let mut seen = Vec::new();
        while let Some((rx, _)) = b.receive(Instant::ZERO) {
            rx.consume(|f| seen.push(f.to_vec()));
        }
        assert_eq!(seen.len(), RX_FRAMES, "one batch per fill");
        assert!(b.fill(Instant::ZERO));
        while let Some((rx, _)) = b.receive(Instant::ZERO) {
            rx.consume(|f| seen.push(f.to_vec()));
        }
        assert!(!b.fill(Instant::ZERO));
        let want: Vec<Vec<u8>> = (0..40u8).map(|i| std::vec![i; 10 + i as usize]).collect();
        assert_eq!(seen, want);
    }

    #[test]
    fn frames_sent_wait_for_flush_and_leave_in_order() {
        let mut b = Batch::new(
            Fake {
                incoming: VecDeque::new(),
                sent: Vec::new(),
                room: usize::MAX,
            },
            None,
        );
        for i in 0..3 {
            assert!(send(&mut b, i));
        }
        assert!(b.inner().sent.is_empty(), "nothing written before flush");
        assert!(b.flush(Instant::ZERO));
        let sent: Vec<u8> = b.inner().sent.iter().map(|f| f[0]).collect();
        assert_eq!(sent, [0, 1, 2]);
        // A full queue is written out to make room, in order.
        for i in 0..(TX_FRAMES as u8 + 5) {
            assert!(send(&mut b, i));
        }
        assert!(b.flush(Instant::ZERO));
        let sent: Vec<u8> = b.inner().sent[3..].iter().map(|f| f[0]).collect();
        assert_eq!(sent, (0..TX_FRAMES as u8 + 5).collect::<Vec<_>>());
    }

    #[test]
    fn a_device_without_room_keeps_frames_queued_and_pushes_back() {
        let mut b = Batch::new(
            Fake {
                incoming: VecDeque::new(),
                sent: Vec::new(),
                room: 2,
            },
            None,
        );
        for i in 0..TX_FRAMES as u8 {
            assert!(send(&mut b, i));
        }
        // The queue is full and the device takes only two: no token, and
        // nothing was lost.
        assert!(!send(&mut b, 0xff));
        assert!(!b.flush(Instant::ZERO));
        b.inner_mut().room = usize::MAX;
        assert!(b.flush(Instant::ZERO));
        let sent: Vec<u8> = b.inner().sent.iter().map(|f| f[0]).collect();
        assert_eq!(sent, (0..TX_FRAMES as u8).collect::<Vec<_>>());
    }
}
