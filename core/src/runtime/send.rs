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
    ///
    /// An event loop's calls between two waits in a [`Poller`]
    /// (the thread put the device back when its wait returned, and it
    /// lies unused) leave it to the loop's next wait (`flush`), which
    /// sends for all of them in one poll and one batch of writes, rather
    /// than a poll per call: three for a short echo connection (issue 10,
    /// connection rate). Should the loop not come back, the stack's thread
    /// takes the device within GRACE and polls.
    ///
    /// [`Poller`]: super::Poller
    pub(super) fn kicked(&self, core: &mut Core, flush: bool) -> After<'_> {
        if !core.kick {
            return After::default();
        }
        if !flush
            && self.transmitter.is_some()
            && core.run == super::stack::Run::Running
            && self.handover.put_back_here()
        {
            return After::default();
        }
        core.kick = false;
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
        c.send_polls += 1;
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

#[cfg(all(test, feature = "std"))]
mod tests {
    use std::collections::HashMap;
    use std::io::{ErrorKind, Read, Write};
    use std::net::{IpAddr, Ipv4Addr as StdIpv4, SocketAddr};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::thread;
    use std::time::Duration as StdDuration;
    use std::vec;
    use std::vec::Vec;

    use crate::phy::pipe;
    use crate::runtime::{Interest, Poller, Stack, StackConfig, TcpListener, TcpStream};
    use crate::wire::{EthernetAddress, Ipv4Addr, Ipv4Cidr};

    fn stack(end: pipe::PipeEnd, last: u8) -> Stack {
        let mut c = StackConfig::new(EthernetAddress([2, 0, 0, 0, 0, last]));
        c.ipv4 = vec![Ipv4Cidr::new(Ipv4Addr::new(10, 0, 0, last), 24).unwrap()];
        c.ipv4_probe = false;
        c.random_seed = Some(u64::from(last));
        Stack::start(end, c).unwrap()
    }

    fn server_addr() -> SocketAddr {
        SocketAddr::new(IpAddr::V4(StdIpv4::new(10, 0, 0, 2)), 7)
    }

    /// An echo event loop on `server`: for each pass between two waits
    /// while `counting` (and the loop drives), the send polls its calls
    /// made. Ends when the stack stops.
    fn echo_loop(server: &Stack, counting: Arc<AtomicBool>) -> thread::JoinHandle<Vec<u64>> {
        let listener = TcpListener::bind(server, 7, 16).unwrap();
        listener.set_nonblocking(true).unwrap();
        let poller = Poller::new(server);
        poller.register(&listener, 0, Interest::READABLE).unwrap();
        let shared = server.shared().clone();
        thread::spawn(move || {
            let polls = || shared.lock().send_polls;
            let mut passes = Vec::new();
            let mut conns: HashMap<usize, TcpStream> = HashMap::new();
            let mut next = 1;
            let mut events = Vec::new();
            let mut buf = [0u8; 512];
            while poller.wait(&mut events, None).is_ok() {
                // Passes that start with the device put back by this
                // thread: in the others the stack's thread drives (it took
                // the device, put back with frames left to poll or left
                // unused past GRACE), and a call polls as any call does.
                let mine = shared.handover.put_back_here();
                let before = polls();
                for ev in &events {
                    if ev.token == 0 {
                        while let Ok((s, _)) = listener.accept() {
                            s.set_nonblocking(true).unwrap();
                            poller.register(&s, next, Interest::READABLE).unwrap();
                            conns.insert(next, s);
                            next += 1;
                        }
                        continue;
                    }
                    let Some(s) = conns.get_mut(&ev.token) else {
                        continue;
                    };
                    match s.read(&mut buf) {
                        Ok(n) if n > 0 => s.write_all(&buf[..n]).unwrap(),
                        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                        // The client closed: dropping the stream closes ours.
                        _ => {
                            conns.remove(&ev.token);
                        }
                    }
                }
                if mine && counting.load(Ordering::SeqCst) {
                    passes.push(polls() - before);
                }
            }
            passes
        })
    }

    /// An event loop's calls between two waits (accepts, reads, the echoes'
    /// writes, the closes) send nothing each: the next wait sends for all
    /// of them in one poll (issue 10, connection rate: a poll per call was
    /// three for each short connection of `services`).
    #[test]
    fn an_event_loops_calls_leave_their_frames_to_its_next_wait() {
        const ROUNDS: u8 = 4;
        const PER_ROUND: u64 = 6;
        // Counted after the first round, which settles who drives.
        const CONNECTIONS: u64 = PER_ROUND * (ROUNDS as u64 - 1);
        let (ea, eb) = pipe::pair();
        let (client, server) = (stack(ea, 1), stack(eb, 2));
        let counting = Arc::new(AtomicBool::new(false));
        let server_thread = echo_loop(&server, counting.clone());
        let timeout = StdDuration::from_secs(5);
        for round in 0..ROUNDS {
            counting.store(round > 0, Ordering::SeqCst);
            // Several connections at once, so a wait returns several events.
            let mut streams: Vec<TcpStream> = (0..PER_ROUND)
                .map(|_| TcpStream::connect_timeout(&client, &server_addr(), timeout).unwrap())
                .collect();
            for (i, s) in streams.iter_mut().enumerate() {
                s.set_read_timeout(Some(timeout)).unwrap();
                s.write_all(&[round, i as u8, 7]).unwrap();
            }
            for (i, s) in streams.iter_mut().enumerate() {
                let mut back = [0u8; 3];
                s.read_exact(&mut back).unwrap();
                assert_eq!(back, [round, i as u8, 7]);
            }
        }
        server.stop().unwrap();
        client.stop().unwrap();
        let passes = server_thread.join().unwrap();
        assert!(passes.len() >= 3, "{passes:?}");
        // Eighteen connections, each accepted, echoed and closed: a poll
        // per call made some thirty in the passes the loop drove.
        let total: u64 = passes.iter().sum();
        assert!(
            total * 4 <= CONNECTIONS,
            "send polls made by the loop's calls, per pass: {passes:?}"
        );
    }

    /// A thread that got its events from a poller and then stays away
    /// from it: what its calls made ready still leaves, through the
    /// stack's thread within GRACE (a millisecond), not when it comes back.
    #[test]
    fn a_write_between_waits_leaves_though_the_loop_does_not_wait_again() {
        let (ea, eb) = pipe::pair();
        let (client, server) = (stack(ea, 1), stack(eb, 2));
        let listener = TcpListener::bind(&server, 7, 4).unwrap();
        listener.set_nonblocking(true).unwrap();
        let poller = Poller::new(&server);
        poller.register(&listener, 0, Interest::READABLE).unwrap();
        let away = thread::spawn(move || {
            let mut events = Vec::new();
            poller
                .wait(&mut events, Some(StdDuration::from_secs(5)))
                .unwrap();
            let (mut s, _) = listener.accept().unwrap();
            s.write_all(b"hello").unwrap();
            // Away from the poller far longer than GRACE.
            thread::sleep(StdDuration::from_secs(3));
            drop(s);
        });
        let timeout = StdDuration::from_secs(5);
        let mut c = TcpStream::connect_timeout(&client, &server_addr(), timeout).unwrap();
        c.set_read_timeout(Some(timeout)).unwrap();
        let start = std::time::Instant::now();
        let mut back = [0u8; 5];
        c.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"hello");
        let took = start.elapsed();
        assert!(took < StdDuration::from_millis(1000), "took {took:?}");
        away.join().unwrap();
        server.stop().unwrap();
        client.stop().unwrap();
    }
}
