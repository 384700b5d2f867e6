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
//!
//! No frame is copied on the way: a device with a
//! [`FrameIo`](crate::phy::wait::FrameIo) path (a TAP) reads each frame
//! straight into its slot of the batch, where the interface parses it; the
//! frames sent are built in the send queue's slots and written from there
//! (through the device's [`Transmitter`](crate::phy::wait::Transmitter) or
//! its `FrameIo`), as the brief's zero-copy rule asks. A device with
//! neither (a pcap recorder, which must see each frame) is used through
//! its tokens, which costs a copy of each frame into the batch and of each
//! sent frame into the token.

use std::vec::Vec;

use crate::phy::wait::WaitDevice;
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
    /// The next frame's slot, at least `room` bytes: grown once to the
    /// largest frame it held, never per frame.
    fn next_slot(&mut self, room: usize) -> &mut [u8] {
        let i = self.lens.len();
        if self.bufs.len() == i {
            self.bufs.push(Vec::new());
        }
        let buf = &mut self.bufs[i];
        if buf.len() < room {
            buf.resize(room, 0);
        }
        &mut buf[..room]
    }

    /// A buffer of `len` bytes for the next frame (its bytes not zeroed
    /// beyond what earlier frames left).
    fn push(&mut self, len: usize) -> &mut [u8] {
        let i = self.lens.len();
        self.next_slot(len);
        self.lens.push(len);
        &mut self.bufs[i][..len]
    }

    /// Lets `read` fill the next frame's buffer, `room` bytes long, and
    /// queues the frame of the length it returns; false (nothing queued)
    /// when it returns `None`.
    fn push_from(&mut self, room: usize, read: impl FnOnce(&mut [u8]) -> Option<usize>) -> bool {
        match read(self.next_slot(room)) {
            Some(len) => {
                // A device that says more than it had room for: only what
                // the buffer holds is a frame.
                self.lens.push(len.min(room));
                true
            }
            None => false,
        }
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

impl<D: WaitDevice> Batch<D> {
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
    ///
    /// With the device's [`FrameIo`](crate::phy::wait::FrameIo), each frame is read straight into its
    /// slot (each slot then holds the device's largest frame: with a TAP's
    /// offloads 64 KiB, 2 MiB for the batch, as much as super-frames from
    /// the kernel filled on the token path); otherwise it is copied out of
    /// the device's token.
    pub(crate) fn fill(&mut self, now: Instant) -> bool {
        if !self.has_rx() {
            self.rx.clear();
        }
        while self.rx.lens.len() < RX_FRAMES {
            let rx = &mut self.rx;
            let got = match self.inner.frame_io() {
                Some(io) => rx.push_from(io.rx_room(), |slot| io.receive_into(slot)),
                None => match self.inner.receive(now) {
                    Some((token, _)) => {
                        token.consume(|frame| rx.push(frame.len()).copy_from_slice(frame));
                        true
                    }
                    None => false,
                },
            };
            if !got {
                break;
            }
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

    /// Writes one frame through the device: straight from `frame` with the
    /// device's [`FrameIo`](crate::phy::wait::FrameIo), else copied into its token. False when it has
    /// no room.
    pub(crate) fn send(&mut self, frame: &[u8], now: Instant) -> bool {
        if let Some(io) = self.inner.frame_io() {
            return io.transmit_from(frame);
        }
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

impl<D: WaitDevice> Drive for Batch<D> {
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
    use crate::phy::frames::{FrameQueue, Rx, Tx};
    use crate::phy::wait::FrameIo;
    use std::vec::Vec;

    /// The core's in-memory test device: frames to hand out, frames sent.
    fn fake(incoming: impl IntoIterator<Item = Vec<u8>>) -> FrameQueue {
        let mut q = FrameQueue::new(DeviceCapabilities::ethernet(1500));
        q.rx.extend(incoming);
        q
    }

    /// No thread ever waits on the fakes.
    struct NoWake;
    impl crate::phy::wait::Wake for NoWake {
        fn wake(&self) {}
    }

    impl WaitDevice for FrameQueue {
        fn wait(&mut self, _: Option<std::time::Duration>) -> std::io::Result<()> {
            Ok(())
        }
        fn waker(&self) -> crate::phy::wait::Waker {
            std::sync::Arc::new(NoWake)
        }
    }

    /// A device that reads into and writes from its caller's buffers, and
    /// notes where: the address of every buffer a frame went into or came
    /// from, and how often its tokens were used instead.
    struct Direct {
        fake: FrameQueue,
        /// Start address of each buffer `receive_into` wrote a frame into.
        read_into: Vec<usize>,
        /// Start address of each frame `transmit_from` sent.
        written_from: Vec<usize>,
        /// Frames that went through `Device::receive` / `transmit` tokens.
        tokens: usize,
    }

    impl Direct {
        fn new(frames: impl IntoIterator<Item = Vec<u8>>) -> Direct {
            Direct {
                fake: fake(frames),
                read_into: Vec::new(),
                written_from: Vec::new(),
                tokens: 0,
            }
        }
    }

    impl Device for Direct {
        type RxToken<'a> = Rx;
        type TxToken<'a> = Tx<'a>;
        fn receive(&mut self, now: Instant) -> Option<(Rx, Tx<'_>)> {
            self.tokens += 1;
            self.fake.receive(now)
        }
        fn transmit(&mut self, now: Instant) -> Option<Tx<'_>> {
            self.tokens += 1;
            self.fake.transmit(now)
        }
        fn capabilities(&self) -> DeviceCapabilities {
            self.fake.capabilities()
        }
    }

    impl FrameIo for Direct {
        fn rx_room(&self) -> usize {
            64
        }
        fn receive_into(&mut self, buf: &mut [u8]) -> Option<usize> {
            assert_eq!(buf.len(), 64, "a slot of the room asked for");
            let frame = self.fake.rx.pop_front()?;
            let n = frame.len().min(buf.len());
            buf[..n].copy_from_slice(&frame[..n]);
            self.read_into.push(buf.as_ptr() as usize);
            // Says the whole length, as read(2) on a TAP would not: the
            // batch must not trust it past the slot.
            Some(frame.len())
        }
        fn transmit_from(&mut self, frame: &[u8]) -> bool {
            self.written_from.push(frame.as_ptr() as usize);
            self.fake.tx.push(frame.to_vec());
            true
        }
    }

    impl WaitDevice for Direct {
        fn wait(&mut self, _: Option<std::time::Duration>) -> std::io::Result<()> {
            Ok(())
        }
        fn waker(&self) -> crate::phy::wait::Waker {
            std::sync::Arc::new(NoWake)
        }
        fn frame_io(&mut self) -> Option<&mut dyn FrameIo> {
            Some(self)
        }
    }

    #[test]
    fn the_interface_parses_each_frame_in_the_slot_the_device_read_it_into() {
        let frames = || (0..RX_FRAMES as u8).map(|i| std::vec![i; 20 + i as usize]);
        let mut b = Batch::new(Direct::new(frames().chain(frames())), None);
        let mut tx = Queue::default();
        let mut slots = Vec::new();
        for round in 0..2 {
            assert!(b.fill(Instant::ZERO));
            let mut seen = Vec::new();
            let mut d = b.lend(&mut tx);
            while let Some((rx, _)) = d.receive(Instant::ZERO) {
                rx.consume(|f| seen.push((f.as_ptr() as usize, f.to_vec())));
            }
            let (at, bytes): (Vec<_>, Vec<_>) = seen.into_iter().unzip();
            assert_eq!(bytes, frames().collect::<Vec<_>>(), "round {round}");
            // Where the device wrote is where the interface reads: no copy.
            let wrote = &b.inner().read_into[round * RX_FRAMES..][..RX_FRAMES];
            assert_eq!(at, wrote, "round {round}");
            if round == 0 {
                slots = at;
            } else {
                // The same slots again: nothing allocated per frame.
                assert_eq!(at, slots);
            }
        }
        assert!(!b.fill(Instant::ZERO));
        assert_eq!(b.inner().tokens, 0, "no frame through a token");
    }

    #[test]
    fn a_frame_longer_than_the_room_is_cut_to_the_slot() {
        let mut b = Batch::new(Direct::new([std::vec![5; 100]]), None);
        let mut tx = Queue::default();
        assert!(b.fill(Instant::ZERO));
        let mut d = b.lend(&mut tx);
        let (rx, _) = d.receive(Instant::ZERO).unwrap();
        assert_eq!(rx.consume(|f| f.len()), 64);
    }

    #[test]
    fn queued_frames_are_written_straight_from_the_send_queue() {
        let mut b = Batch::new(Direct::new([]), None);
        let mut tx = Queue::default();
        let mut d = b.lend(&mut tx);
        for i in 0..3 {
            assert!(send(&mut d, i));
        }
        let queued: Vec<usize> = (0..3).map(|i| tx.bufs[i].as_ptr() as usize).collect();
        assert!(tx.write_with(&mut |f| b.send(f, Instant::ZERO)));
        assert_eq!(b.inner().written_from, queued);
        assert_eq!(b.inner().fake.tx, [[0; 3], [1; 3], [2; 3]]);
        assert_eq!(b.inner().tokens, 0, "no frame through a token");
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
        let mut b = Batch::new(fake(frames()), Some(1280));
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
        let mut b = Batch::new(fake([]), None);
        assert!(b.send(&[7, 8], Instant::ZERO));
        assert_eq!(b.inner().tx, [std::vec![7, 8]]);
    }
}
