//! Who drives the device: the stack's thread, or an application thread
//! waiting in a [`Poller`](super::Poller).
//!
//! Driving is the loop every rstcp program has (read the waiting frames,
//! poll, write what the poll sent, sleep on the device until a frame, a
//! deadline or a wake). The stack's thread runs it; an application thread
//! that waits for its sockets then sleeps on a condition variable until
//! the stack's thread, woken by a frame, polls and wakes it. For a short
//! connection served by an event loop that is two thread switches and a
//! futex wake per event on top of the device's own wake: in the profile of
//! `services` (issue 10, the connection rate) the stack's thread and the
//! service's thread handed over to each other more than once per
//! connection, where the kernel's echo server switches once.
//!
//! So a thread waiting in [`Poller::wait`](super::Poller::wait), or
//! blocked in a TCP read, drives the device itself when it can: it polls, looks at its own sockets, and
//! sleeps in the device's wait, as a single-threaded event loop does. The
//! stack's thread, after a poll, hands the device to such a waiting thread
//! and parks. When the application thread has its events it puts the
//! device back without waking anyone, since it is usually back in `wait` within
//! microseconds and takes it again; the parked stack's thread takes the
//! device back only once it has lain unused for [`GRACE`] (the application
//! thread is busy elsewhere), or at once when it was put back with work
//! left (frames read and not polled) or the stack stops. So a frame waits
//! at most [`GRACE`] for a thread to read it, and a stack whose
//! application never waits in a poller runs as before.

use std::boxed::Box;
use std::format;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::thread::ThreadId;
use std::time::{Duration as StdDuration, Instant as StdInstant};

use super::batch::Drive;
use super::stack::{ExitGuard, Run, Shared};
use crate::time::{Duration, Instant};

/// How long the device may lie unused, put back by an application thread,
/// before the stack's thread takes it back.
pub(crate) const GRACE: StdDuration = StdDuration::from_millis(1);

/// The device while no thread drives it, and how the stack's thread waits
/// for it.
pub(crate) struct Slot {
    /// The device, put back; `None` while a thread drives it.
    dev: Option<Box<dyn Drive>>,
    /// When it was put back.
    since: StdInstant,
    /// It was put back with work left: the stack's thread takes it now.
    urgent: bool,
    /// The stack's thread waits without a timeout for the driving thread
    /// to put the device back (which then wakes it).
    parked: bool,
    /// The application thread that put the device back, which comes back
    /// for it when it next waits (`None`: the stack's thread offered it).
    by: Option<ThreadId>,
}

/// The device's hand-over between threads (in [`Shared`]).
pub(crate) struct Handover {
    slot: Mutex<Slot>,
    /// The stack's thread waits here while another thread drives.
    stack: Condvar,
}

impl Default for Handover {
    fn default() -> Handover {
        Handover {
            slot: Mutex::new(Slot {
                dev: None,
                since: StdInstant::now(),
                urgent: false,
                parked: false,
                by: None,
            }),
            stack: Condvar::new(),
        }
    }
}

impl Handover {
    fn lock(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The device, if it lies unused: for an application thread about to
    /// wait, which holds the stack's lock (hence only a try: the stack's
    /// thread takes this lock first and then the stack's).
    pub(crate) fn claim(&self) -> Option<Box<dyn Drive>> {
        let mut slot = match self.slot.try_lock() {
            Ok(s) => s,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        slot.dev.take()
    }

    /// Puts the device back (an application thread got what it waited
    /// for). Wakes the stack's thread only if it waits without a timeout,
    /// or if there is work left (`urgent`) or the stack stops.
    pub(crate) fn put_back(&self, dev: Box<dyn Drive>, urgent: bool, halted: bool) {
        let mut slot = self.lock();
        slot.dev = Some(dev);
        slot.since = StdInstant::now();
        slot.urgent = urgent;
        slot.by = Some(std::thread::current().id());
        let wake = urgent || halted || slot.parked;
        drop(slot);
        if wake {
            self.stack.notify_one();
        }
    }

    /// Wakes the parked stack's thread if the device lies unused: a call
    /// left work for the interface (a kick that would have woken the
    /// device's wait, which nobody sleeps in).
    pub(crate) fn nudge(&self) {
        let mut slot = match self.slot.try_lock() {
            Ok(s) => s,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return,
        };
        if slot.dev.is_some() {
            slot.urgent = true;
            drop(slot);
            self.stack.notify_one();
        }
    }

    /// True when the device lies in the slot, put back and unused (false
    /// when that cannot be told at once). Asked under the stack's lock, so
    /// no application thread claims it meanwhile; whoever takes it next,
    /// that thread or the stack's, polls before it sleeps.
    pub(crate) fn lies_unused(&self) -> bool {
        self.peek(|s| s.dev.is_some())
    }

    /// `ask` of the slot when its lock is free at once (false otherwise):
    /// a question that must not wait for the thread driving the device.
    fn peek(&self, ask: impl Fn(&Slot) -> bool) -> bool {
        match self.slot.try_lock() {
            Ok(s) => ask(&s),
            Err(std::sync::TryLockError::Poisoned(e)) => ask(&e.into_inner()),
            Err(std::sync::TryLockError::WouldBlock) => false,
        }
    }

    /// True when the device lies unused, put back by the calling thread
    /// when its wait in a poller returned: an event loop, which takes it
    /// again when it next waits, and polls first. Asked under the stack's
    /// lock (see [`lies_unused`](Self::lies_unused)).
    pub(crate) fn put_back_here(&self) -> bool {
        self.peek(|s| s.dev.is_some() && s.by == Some(std::thread::current().id()))
    }

    /// Wakes the stack's thread wherever it waits (the stack stops).
    pub(crate) fn wake_stack(&self) {
        let _slot = self.lock();
        self.stack.notify_one();
    }

    /// The stack's thread, without the device: waits until it is put back
    /// urgently, lies unused for [`GRACE`], or the stack stops.
    ///
    /// Woken by a put-back and finding the device claimed again, it looks
    /// again after [`GRACE`] rather than waiting to be woken: an
    /// application thread that drives in a loop (a blocked read returning
    /// each batch) puts the device back and takes it again within
    /// microseconds, and each put-back woke the stack's thread, which
    /// found the device gone and waited to be woken again: a futex wake
    /// and two context switches per batch on a machine whose CPUs the
    /// receive path keeps busy (issue 10, receiving). It waits to be woken
    /// again only once the device stayed claimed for a whole grace period
    /// (an application thread asleep in the device's wait: an idle stack
    /// wakes nobody).
    fn park(&self, halted: &dyn Fn() -> bool) -> Box<dyn Drive> {
        let mut slot = self.lock();
        let mut look_again = false;
        loop {
            slot.parked = false;
            if slot.dev.is_some() {
                let idle = slot.since.elapsed();
                if slot.urgent || idle >= GRACE || halted() {
                    slot.urgent = false;
                    if let Some(dev) = slot.dev.take() {
                        return dev;
                    }
                    continue;
                }
                slot = self
                    .stack
                    .wait_timeout(slot, GRACE - idle)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            } else if core::mem::take(&mut look_again) {
                slot = self
                    .stack
                    .wait_timeout(slot, GRACE)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            } else {
                // Whoever drives puts the device back and then wakes us.
                slot.parked = true;
                slot = self.stack.wait(slot).unwrap_or_else(|e| e.into_inner());
                look_again = true;
            }
        }
    }

    /// The stack's thread lets an application thread drive: the device
    /// goes into the slot.
    fn offer(&self, dev: Box<dyn Drive>) {
        let mut slot = self.lock();
        slot.dev = Some(dev);
        slot.since = StdInstant::now();
        slot.urgent = false;
        slot.by = None;
    }
}

/// What one round of driving left to do.
pub(crate) enum Step {
    /// Poll again at once (frames left, or the device was full).
    Again,
    /// Sleep in the device's wait, for at most this long.
    Sleep(Option<StdDuration>),
    /// The stack has stopped.
    Stopped,
}

/// One round of driving: reads the waiting frames, polls, wakes the calls
/// whose sockets changed, writes what the poll sent. The frames are read
/// before the lock is taken and written after it is let go (see `batch`).
/// Also says whether it woke a call that would drive the device.
pub(crate) fn step(shared: &Shared, device: &mut dyn Drive) -> (Step, bool) {
    let epoch = shared.epoch;
    let clock = || Instant::from_micros(epoch.elapsed().as_micros() as i64);
    device.fill(clock());
    let mut core = shared.lock();
    core.asleep = false;
    let now = core.now();
    core.stop_step(now);
    let c = &mut *core;
    c.iface
        .poll(now, &mut device.lend(&mut c.tx), &mut c.sockets);
    // This poll acted on what calls left for it (see `kicked`).
    c.kick = false;
    core.after_poll(now);
    if matches!(core.run, Run::Stopping { .. }) {
        // The poll may have finished the last connection (or there was
        // none): go on at once rather than after the grace period.
        core.stop_step(now);
    }
    let stopped = core.run == Run::Stopped;
    let mut delay = match (device.has_rx(), core.run) {
        (true, _) | (_, Run::Final | Run::StopRequested) => Some(Duration::ZERO),
        _ => core.iface.poll_delay(now, &core.sockets),
    };
    if let Some(at) = core.compact_at {
        let left = if at > now { at - now } else { Duration::ZERO };
        delay = Some(delay.map_or(left, |d| d.min(left)));
    }
    if let Run::Stopping { until } = core.run {
        let left = if until > now {
            until - now
        } else {
            Duration::ZERO
        };
        delay = Some(delay.map_or(left, |d| d.min(left)));
    }
    let wake = core.waiters_to_wake();
    let woke_driver = core.woke_driver;
    let out = shared.take_out(&mut core);
    core.asleep = !stopped && delay != Some(Duration::ZERO);
    core.wake_at = delay.map(|d| now + d);
    drop(core);
    for cv in wake {
        cv.notify_one();
    }
    let sent = match out {
        None => true,
        Some(out) => match &shared.transmitter {
            Some(t) => shared.send_out(out, &mut |f| t.send(f)),
            None => shared.send_out(out, &mut |f| device.send(f, now)),
        },
    };
    let step = if stopped {
        Step::Stopped
    } else if delay == Some(Duration::ZERO) || !sent {
        Step::Again
    } else {
        Step::Sleep(delay.map(StdDuration::from))
    };
    (step, woke_driver)
}

/// The stack's thread.
pub(crate) fn run(shared: &Shared, device: Box<dyn Drive>) {
    let _guard = ExitGuard(shared);
    let halted = || shared.halted.load(SeqCst);
    let mut device = Some(device);
    loop {
        let dev = match device.as_mut() {
            Some(d) => d,
            None => {
                device = Some(shared.handover.park(&halted));
                continue;
            }
        };
        match step(shared, &mut **dev).0 {
            Step::Stopped => return,
            Step::Again => {
                // Let the application's threads at the lock between polls.
                std::thread::yield_now();
            }
            Step::Sleep(delay) => {
                let volunteer = shared.lock().volunteer();
                if let Some(cv) = volunteer {
                    if let Some(d) = device.take() {
                        shared.handover.offer(d);
                    }
                    cv.notify_one();
                    continue;
                }
                if let Err(e) = dev.wait(delay) {
                    // The guard marks the stack stopped and wakes the waiters.
                    shared.lock().failure = Some(format!("waiting on the device: {e}"));
                    return;
                }
            }
        }
    }
}

/// An application thread driving the device while it waits (see
/// [`Shared::block`]); puts it back when dropped.
pub(crate) struct Driving<'a> {
    shared: &'a Shared,
    dev: Option<Box<dyn Drive>>,
    /// How long to sleep in the device's wait before the next round
    /// (`None`: poll first).
    next: Option<Option<StdDuration>>,
}

impl<'a> Driving<'a> {
    pub(crate) fn new(shared: &'a Shared, dev: Box<dyn Drive>) -> Driving<'a> {
        Driving {
            shared,
            dev: Some(dev),
            next: None,
        }
    }

    /// Sleeps in the device's wait (at most `left`) if the last round said
    /// to, then runs a round. Called without the stack's lock. False when
    /// the device is no longer this thread's: the round woke another call
    /// that drives (the device goes to the thread whose sockets are busy,
    /// rather than staying with one that would only wake it: `services`
    /// has a poller per service, most of them idle), or the device failed
    /// (put back for the stack's thread, which fails the same way and
    /// stops the stack).
    pub(crate) fn round(&mut self, left: Option<StdDuration>) -> bool {
        let Some(dev) = self.dev.as_mut() else {
            return false;
        };
        if let Some(delay) = self.next.take() {
            let t = match (delay, left) {
                (Some(d), Some(l)) => Some(d.min(l)),
                (d, l) => d.or(l),
            };
            if t != Some(StdDuration::ZERO) && dev.wait(t).is_err() {
                if let Some(dev) = self.dev.take() {
                    self.shared.handover.put_back(dev, true, true);
                }
                return false;
            }
        }
        let (step, woke_driver) = step(self.shared, &mut **dev);
        self.next = match step {
            Step::Again => Some(Some(StdDuration::ZERO)),
            Step::Sleep(d) => Some(d),
            Step::Stopped => Some(Some(StdDuration::ZERO)),
        };
        if woke_driver {
            // Dropped: put back for the call just woken to take.
            if let Some(dev) = self.dev.take() {
                self.put_back(dev);
            }
            return false;
        }
        true
    }

    fn put_back(&self, dev: Box<dyn Drive>) {
        // Work left: frames read and not polled, or a round due now.
        let urgent = dev.has_rx() || self.next == Some(Some(StdDuration::ZERO));
        let halted = self.shared.halted.load(SeqCst);
        self.shared.handover.put_back(dev, urgent, halted);
    }
}

impl Drop for Driving<'_> {
    fn drop(&mut self) {
        if let Some(dev) = self.dev.take() {
            self.put_back(dev);
        }
    }
}
