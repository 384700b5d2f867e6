//! Who writes the frames a poll sent, and sending from the application's
//! threads.
//!
//! Frames are made under the lock (by a poll, into `Core::tx`) and written
//! after it is let go, so the device's system calls never hold up the other
//! threads. Several threads poll, so the writing is claimed: one thread at
//! a time takes everything queued and writes it, then looks again for what
//! others queued meanwhile; the others leave their frames to it. Frames
//! thus leave in the order they were made.
//!
//! A call that changed what the interface must send (a `write`, a `close`)
//! polls for sending itself and writes the frames from its own thread, when
//! the device can take frames from any thread
//! ([`WaitDevice::transmitter`](crate::phy::wait::WaitDevice::transmitter)):
//! the data leaves at once, the stack's thread is not woken for it, and the
//! cost of the write (a TAP runs the peer's receive path inside it) falls
//! on the thread that caused it, beside the stack's thread rather than
//! after it. The stack's thread is woken only if the call moved its next
//! deadline earlier (a retransmission timer it did not know of).

use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Condvar, MutexGuard};
use std::vec::Vec;

use super::batch::{Lent, Queue};
use super::drive::GRACE;
use super::stack::{Core, Shared};
use crate::socket::SocketSet;
use crate::time::{Duration, Instant};

/// What a call must do once it lets go of the lock.
#[derive(Default)]
pub(crate) struct After<'a> {
    /// Calls to notify (their socket changed in the call's poll).
    notify: Vec<Arc<Condvar>>,
    /// Frames to write (this thread claimed the writing).
    out: Option<MutexGuard<'a, Queue>>,
    /// The stack's thread must wake.
    wake_stack: bool,
}

impl After<'_> {
    /// True when there is nothing to do.
    pub(crate) fn is_empty(&self) -> bool {
        self.notify.is_empty() && self.out.is_none() && !self.wake_stack
    }
}

impl Shared {
    /// Under the lock, after a poll: takes the frames queued to write them
    /// once the lock is let go, unless another thread is writing (it then
    /// writes them after its own).
    pub(super) fn take_out(&self, core: &mut Core) -> Option<MutexGuard<'_, Queue>> {
        // Published before the claim is tried: a writer that gives the
        // claim up after this sees these frames (both sequentially
        // consistent, so one of the two sees the other).
        self.out.queued.store(core.tx.pending(), SeqCst);
        if core.tx.pending() == 0 || self.out.writing.swap(true, SeqCst) {
            return None;
        }
        let mut frames = self.out.frames.lock().unwrap_or_else(|e| e.into_inner());
        core::mem::swap(&mut *frames, &mut core.tx);
        self.out.queued.store(0, SeqCst);
        Some(frames)
    }

    /// Out of the lock: writes the frames [`take_out`](Self::take_out)
    /// took, then those other threads queued meanwhile, and gives up the
    /// claim. False when the device refused a frame: it and those after it
    /// are queued again, ahead of newer ones, for the stack's thread to
    /// retry.
    pub(super) fn send_out(
        &self,
        mut frames: MutexGuard<'_, Queue>,
        send: &mut dyn FnMut(&[u8]) -> bool,
    ) -> bool {
        loop {
            if !frames.write_with(send) {
                let mut core = self.lock();
                frames.append(&mut core.tx);
                core::mem::swap(&mut *frames, &mut core.tx);
                self.out.queued.store(core.tx.pending(), SeqCst);
                self.out.writing.store(false, SeqCst);
                return false;
            }
            self.out.writing.store(false, SeqCst);
            if self.out.queued.load(SeqCst) == 0 || self.out.writing.swap(true, SeqCst) {
                return true;
            }
            let mut core = self.lock();
            core::mem::swap(&mut *frames, &mut core.tx);
            self.out.queued.store(0, SeqCst);
        }
    }

    /// Under the lock, after a call: if it changed something the interface
    /// must act on, sends what that made ready from this thread (see the
    /// module documentation), or, with a device that takes frames only
    /// through its owner, wakes the stack's thread if it sleeps.
    pub(super) fn kicked(&self, core: &mut Core) -> After<'_> {
        if !core::mem::take(&mut core.kick) {
            return After::default();
        }
        if self.transmitter.is_none() || core.check_running().is_err() {
            let wake_stack = core.asleep;
            core.asleep = false;
            return After {
                wake_stack,
                ..After::default()
            };
        }
        let now = core.now();
        let c = &mut *core;
        let mut device = Lent::sending(&mut c.tx, c.caps);
        c.iface.poll(now, &mut device, &mut c.sockets);
        c.after_poll(now);
        let notify = c.waiters_to_wake();
        // The stack's thread sleeps until its own deadline: wake it only
        // if this poll left work due before then (a timer it does not know
        // of, or more to send than the queue took). A thread that runs
        // computes its deadline after its poll, so the scan of the touched
        // sockets' timers is spared then (it showed in the profile of short
        // connections: a tenth of the instructions).
        let wake_stack = c.asleep
            && if self.handover.lies_unused() {
                // Nobody sleeps in the device's wait: whoever takes the
                // device next polls before it sleeps, and the stack's
                // thread takes it within `GRACE`. Only work due sooner
                // needs a wake, and a send poll makes such work only in
                // a socket (more to send than one dispatch or the queue
                // took); the interface's own timers it arms (a neighbor
                // solicitation's retry) are seconds away. So the sockets'
                // remembered deadlines say it, without the whole scan of
                // `poll_at` (issue 10, connection rate).
                match sockets_due(&c.sockets, now) {
                    Some(due) => due.is_some_and(|t| t < now + Duration::from(GRACE)),
                    None => c
                        .iface
                        .poll_at(now, &c.sockets)
                        .is_some_and(|t| t < now + Duration::from(GRACE)),
                }
            } else {
                match (c.iface.poll_at(now, &c.sockets), c.wake_at) {
                    (Some(due), Some(at)) => due < at,
                    (Some(_), None) => true,
                    (None, _) => false,
                }
            };
        if wake_stack {
            c.asleep = false;
        }
        let out = self.take_out(c);
        After {
            notify,
            out,
            wake_stack,
        }
    }

    /// Out of the lock: notifies, writes, wakes what [`kicked`](Self::kicked)
    /// said to.
    pub(super) fn finish(&self, after: After<'_>) {
        for cv in after.notify {
            cv.notify_one();
        }
        let mut wake = after.wake_stack;
        if let Some(frames) = after.out {
            // Refused frames wait for the stack's thread. (Without a
            // transmitter no call polls, so takes none: were it to, they
            // would be queued again for the stack's thread all the same.)
            wake |= !match &self.transmitter {
                Some(t) => self.send_out(frames, &mut |f| t.send(f)),
                None => self.send_out(frames, &mut |_| false),
            };
        }
        if wake {
            self.waker.wake();
            // Nobody may sleep in the device's wait: the device may lie
            // unused, put back by an application thread (see `drive.rs`).
            self.handover.nudge();
        }
    }
}

/// The earliest deadline the sockets a poll left in sight remember
/// (`socket/due.rs`): `Some(None)` for none; `None` when that cannot be
/// told without asking the interface (every socket may have changed, or
/// one's deadline is not remembered).
fn sockets_due(sockets: &SocketSet<'_>, now: Instant) -> Option<Option<Instant>> {
    let mut due: Option<Instant> = None;
    for i in sockets.touched_slots()? {
        if let Some(at) = sockets.known_poll_at(i, now)? {
            due = Some(due.map_or(at, |d| d.min(at)));
        }
    }
    Some(due)
}
