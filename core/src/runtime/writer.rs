//! The writer thread: the frames a poll sent are written by a thread of
//! their own, so the stack's work and the device's run on two cores.
//!
//! A TAP's `write(2)` is no mere copy: the kernel runs the peer's whole
//! receive path inside it (its IP and TCP, the wake of the thread that
//! waits on the socket), and may switch to that thread before the call
//! returns. In the profile of short connections (issue 10, the connection
//! rate: connect, a 100-byte echo, close) those writes were two thirds of
//! the time of the thread that drives the device, so that thread, reading,
//! polling and writing in turn, was the limit while the second core idled.
//! With a writer the driving thread hands each poll's frames over and goes
//! on with the next frames while the writer writes these: a pipeline.
//!
//! No frame is copied on the way: the hand-over moves the buffers the poll
//! built the frames in (the queue's slots, `Queue::take_from`), and the
//! writer gives its emptied buffers back by the same move, so the buffers
//! go round and nothing is allocated per frame. Frames leave in the order
//! they were made: they are handed over under the stack's lock, right
//! after the poll that made them, and one thread writes them in turn.
//!
//! The hand-over costs a futex wake only when the writer sleeps; a busy
//! writer finds the next batch waiting when it is done with this one.
//! What waits is bounded ([`WAITING`]): past it a poll's frames stay in the
//! stack's queue, which the interface then finds full (a busy device), and
//! the writer wakes the driving thread once it has taken the waiting ones.

use std::sync::{Condvar, Mutex, MutexGuard};

use super::batch::{Queue, TX_FRAMES};
use super::stack::Shared;

/// Most frames waiting for the writer: a batch more than the stack's
/// queue holds, so one poll's frames always find room behind a batch the
/// writer has not taken yet.
pub(crate) const WAITING: usize = TX_FRAMES;

/// The frames waiting for the writer thread, and how to wake it.
#[derive(Default)]
pub(crate) struct Writer {
    inbox: Mutex<Inbox>,
    /// The writer sleeps here while nothing waits.
    ready: Condvar,
}

#[derive(Default)]
struct Inbox {
    /// Handed over, in order, not yet taken by the writer.
    frames: Queue,
    /// The writer sleeps on `ready` (or is about to): a hand-over must
    /// wake it.
    asleep: bool,
    /// A hand-over found no room and left its frames in the stack's
    /// queue: once the writer takes these, it wakes the driving thread.
    refused: bool,
    /// The stack has stopped: the writer writes what waits and ends.
    stop: bool,
}

impl Writer {
    fn lock(&self) -> MutexGuard<'_, Inbox> {
        self.inbox.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Under the stack's lock, after a poll: moves the frames `tx` holds
    /// to the writer, or leaves them there when too many wait already.
    /// True when the writer sleeps and must be woken ([`wake`](Self::wake),
    /// once the stack's lock is let go).
    pub(crate) fn hand(&self, tx: &mut Queue) -> bool {
        if tx.pending() == 0 {
            return false;
        }
        let mut inbox = self.lock();
        let waiting = inbox.frames.pending();
        if waiting > 0 && waiting + tx.pending() > WAITING {
            // The writer is awake (frames wait for it) and will say when
            // it has taken them.
            inbox.refused = true;
            return false;
        }
        inbox.frames.take_from(tx);
        core::mem::take(&mut inbox.asleep)
    }

    /// Wakes the writer ([`hand`](Self::hand) said it sleeps).
    pub(crate) fn wake(&self) {
        self.ready.notify_one();
    }

    /// Lets the writer end once it has written what waits.
    pub(crate) fn stop(&self) {
        self.lock().stop = true;
        self.ready.notify_one();
    }
}

impl Shared {
    /// The writer thread's loop: takes the waiting frames, writes them
    /// through the device's transmitter, sleeps when none wait. Ends once
    /// [`Writer::stop`] was called and nothing waits.
    pub(crate) fn write_frames(&self) {
        let (Some(writer), Some(t)) = (self.writer.as_ref(), self.transmitter.as_ref()) else {
            return;
        };
        let _guard = WriterGuard(self);
        // The writer's own batch; its emptied buffers go back to the inbox
        // at the next take.
        let mut mine = Queue::default();
        loop {
            let refused = {
                let mut inbox = writer.lock();
                while inbox.frames.pending() == 0 {
                    if inbox.stop {
                        return;
                    }
                    inbox.asleep = true;
                    inbox = writer.ready.wait(inbox).unwrap_or_else(|e| e.into_inner());
                }
                inbox.asleep = false;
                core::mem::swap(&mut inbox.frames, &mut mine);
                core::mem::take(&mut inbox.refused)
            };
            if refused {
                // There is room again: the driving thread hands over what
                // it kept (it sleeps, or its next round does it anyway).
                self.waker.wake();
                self.handover.nudge();
            }
            // A device without room (a full in-memory pipe) refuses a
            // frame: it and those after it are tried again, in order.
            while !mine.write_with(&mut |f| t.send(f)) {
                if writer.lock().stop {
                    // The stack is gone, and so may be the peer that
                    // would make room: what is left is lost, as on a wire.
                    mine.clear();
                    break;
                }
                std::thread::yield_now();
            }
        }
    }
}

/// Stops the stack if the writer thread ends by a panic: frames would
/// otherwise pile up unsent while every call seemed to work.
struct WriterGuard<'a>(&'a Shared);

impl Drop for WriterGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.fail("its writer thread panicked");
        }
    }
}
