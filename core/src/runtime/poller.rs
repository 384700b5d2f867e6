//! Readiness of many sockets at once: [`Poller`], so one thread can serve
//! any number of connections (an event loop) instead of one thread each.
//!
//! It works as `epoll` in level-triggered mode does: register sockets with
//! a token and an [`Interest`], then [`Poller::wait`] returns the tokens of
//! those ready now, and keeps returning them while they stay ready. The
//! sockets are used in nonblocking mode; a call that fails with
//! `WouldBlock` is retried after the next `wait` reports the socket.

use std::collections::{HashMap, HashSet};
use std::io::{self, ErrorKind};
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};
use std::vec::Vec;

use super::stack::{Core, Deadline, Shared, Stack, Watch};
use crate::socket::tcp::{State, TcpListener, TcpSocket};
use crate::socket::udp::UdpSocket;
use crate::socket::{SocketHandle, SocketSet};

/// What a registered socket is watched for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interest {
    readable: bool,
    writable: bool,
}

impl Interest {
    /// Data to read, a connection to accept, the end of the stream or an
    /// error.
    pub const READABLE: Interest = Interest {
        readable: true,
        writable: false,
    };
    /// Room to write, or an error that makes the write fail at once.
    pub const WRITABLE: Interest = Interest {
        readable: false,
        writable: true,
    };
    /// Both.
    pub const BOTH: Interest = Interest {
        readable: true,
        writable: true,
    };

    /// True when reading is watched.
    pub fn is_readable(self) -> bool {
        self.readable
    }

    /// True when writing is watched.
    pub fn is_writable(self) -> bool {
        self.writable
    }
}

/// One ready socket, as [`Poller::wait`] reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// The token the socket was registered with.
    pub token: usize,
    /// A read (or `accept`) will not block.
    pub readable: bool,
    /// A write will not block.
    pub writable: bool,
}

mod sealed {
    use crate::socket::SocketHandle;

    /// Keeps [`Source`](super::Source) to the runtime's own sockets.
    pub trait Sealed {
        fn handle(&self) -> SocketHandle;
    }
}

/// A runtime socket a [`Poller`] can watch: [`TcpStream`](super::TcpStream),
/// [`TcpListener`](super::TcpListener), [`UdpSocket`](super::UdpSocket).
pub trait Source: sealed::Sealed {}

impl sealed::Sealed for super::TcpStream {
    fn handle(&self) -> SocketHandle {
        self.handle()
    }
}
impl Source for super::TcpStream {}

impl sealed::Sealed for super::TcpListener {
    fn handle(&self) -> SocketHandle {
        self.handle()
    }
}
impl Source for super::TcpListener {}

impl sealed::Sealed for super::UdpSocket {
    fn handle(&self) -> SocketHandle {
        self.handle()
    }
}
impl Source for super::UdpSocket {}

/// Watches many sockets of one [`Stack`] and waits until one is ready.
///
/// ```no_run
/// # use std::io::Read;
/// # use rstcp::runtime::{Interest, Poller, Stack, StackConfig, TcpListener};
/// # let (device, _peer) = rstcp::phy::pipe::pair();
/// # let stack = Stack::start(device, StackConfig::new(rstcp::wire::EthernetAddress([2, 0, 0, 0, 0, 1])))?;
/// let listener = TcpListener::bind(&stack, 7, 64)?;
/// listener.set_nonblocking(true)?;
/// let poller = Poller::new(&stack);
/// poller.register(&listener, 0, Interest::READABLE)?;
/// let mut events = Vec::new();
/// poller.wait(&mut events, None)?;
/// for event in &events {
///     // token 0: accept until `WouldBlock`, register each stream …
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// A socket belongs to at most one poller at a time; dropping the socket
/// deregisters it.
pub struct Poller {
    shared: Arc<Shared>,
    id: u64,
}

/// A socket registered with a poller.
#[derive(Debug, Clone, Copy)]
struct Registration {
    token: usize,
    interest: Interest,
    /// A listener or datagram socket: looked at on every check (there are
    /// few, and not every change of theirs is recorded as a touch).
    always: bool,
}

/// What one poller watches, and which of its sockets to look at next.
#[derive(Default)]
struct Watched {
    regs: HashMap<SocketHandle, Registration>,
    /// The listeners and datagram sockets among `regs`.
    always: Vec<SocketHandle>,
    /// Connections whose readiness may have changed since they were last
    /// looked at (touched by a frame, a timer or a call), or that were
    /// ready then (level-triggered: they are reported until they are not).
    /// The rest are known not ready, so a check costs what changed, not
    /// what is registered: thousands of idle connections cost nothing.
    dirty: HashSet<SocketHandle>,
    /// Everything may have changed.
    all_dirty: bool,
}

impl Watched {
    /// The sockets worth looking at now.
    fn candidates(&self) -> Vec<SocketHandle> {
        if self.all_dirty {
            return self.regs.keys().copied().collect();
        }
        self.dirty
            .iter()
            .chain(self.always.iter())
            .copied()
            .collect()
    }
}

/// Every poller of a stack and what each watches (kept in the stack's
/// `Core`, under its lock).
#[derive(Default)]
pub(crate) struct Registry {
    pollers: HashMap<u64, Watched>,
    /// Which poller each registered socket belongs to, so a socket that is
    /// dropped leaves its poller at once (its handle is reused later).
    owner: HashMap<SocketHandle, u64>,
    next: u64,
}

impl Registry {
    /// Forgets socket `h` (it is being dropped).
    pub(crate) fn forget(&mut self, h: SocketHandle) {
        if let Some(p) = self.owner.remove(&h) {
            if let Some(w) = self.pollers.get_mut(&p) {
                w.regs.remove(&h);
                w.dirty.remove(&h);
                w.always.retain(|a| *a != h);
            }
        }
    }

    /// Takes the set's record of touched sockets: those registered are
    /// looked at on their poller's next check.
    pub(crate) fn note_changes(&mut self, sockets: &mut SocketSet<'_>) {
        match sockets.take_changed() {
            None => self.pollers.values_mut().for_each(|w| w.all_dirty = true),
            Some(list) => {
                for i in list {
                    let h = SocketHandle::from_index(i);
                    let Some(w) = self.owner.get(&h).and_then(|p| self.pollers.get_mut(p)) else {
                        continue;
                    };
                    // Sockets looked at always are not listed twice.
                    if w.regs.get(&h).is_some_and(|r| !r.always) {
                        w.dirty.insert(h);
                    }
                }
            }
        }
    }
}

/// What socket `h` is ready for now (readable, writable). A socket that is
/// gone is ready for both: the call made on it then reports why.
fn readiness(sockets: &SocketSet<'_>, h: SocketHandle) -> (bool, bool) {
    if let Some(s) = sockets.get::<TcpSocket>(h) {
        let failed = s.error().is_some();
        let readable = s.can_recv() || s.recv_finished() || failed;
        let writable = match s.state() {
            // A write would wait for the handshake.
            State::SynSent | State::SynReceived => failed,
            State::Established | State::CloseWait => s.can_send() || failed,
            // Shut down for writing or closed: a write fails at once.
            _ => true,
        };
        return (readable, writable);
    }
    if let Some(l) = sockets.get::<TcpListener>(h) {
        return (l.backlog() > 0 || !l.is_open(), false);
    }
    if let Some(u) = sockets.get::<UdpSocket>(h) {
        return (u.can_recv(), u.can_send());
    }
    (true, true)
}

/// The event for `h` under `r`, if it is ready for what `r` watches.
fn event(sockets: &SocketSet<'_>, h: SocketHandle, r: &Registration) -> Option<Event> {
    let (readable, writable) = readiness(sockets, h);
    let readable = readable && r.interest.readable;
    let writable = writable && r.interest.writable;
    (readable || writable).then_some(Event {
        token: r.token,
        readable,
        writable,
    })
}

impl Core {
    /// Appends the ready sockets of poller `id` to `events`.
    fn ready(&mut self, id: u64, events: &mut Vec<Event>) {
        let Core {
            registry, sockets, ..
        } = self;
        registry.note_changes(sockets);
        let Some(w) = registry.pollers.get_mut(&id) else {
            return;
        };
        let look = w.candidates();
        w.dirty.clear();
        w.all_dirty = false;
        for h in look {
            let Some(r) = w.regs.get(&h) else { continue };
            if let Some(ev) = event(sockets, h, r) {
                events.push(ev);
                if !r.always {
                    w.dirty.insert(h);
                }
            }
        }
    }

    /// True when some socket of poller `id` is ready (for the stack's
    /// thread deciding whether to wake it; `note_changes` ran first).
    pub(crate) fn any_ready(&self, id: u64) -> bool {
        let Some(w) = self.registry.pollers.get(&id) else {
            return true;
        };
        w.candidates().into_iter().any(|h| {
            w.regs
                .get(&h)
                .is_some_and(|r| event(&self.sockets, h, r).is_some())
        })
    }
}

impl Poller {
    /// A poller for the sockets of `stack`.
    pub fn new(stack: &Stack) -> Poller {
        let shared = stack.shared().clone();
        let id = {
            let mut core = shared.lock();
            let reg = &mut core.registry;
            reg.next += 1;
            let id = reg.next;
            reg.pollers.insert(id, Watched::default());
            id
        };
        Poller { shared, id }
    }

    /// Watches `source` for `interest`, reported with `token`; for a
    /// socket already registered here, changes its token and interest.
    /// Fails with `AlreadyExists` when another poller watches it.
    pub fn register(
        &self,
        source: &impl Source,
        token: usize,
        interest: Interest,
    ) -> io::Result<()> {
        let h = sealed::Sealed::handle(source);
        let mut core = self.shared.lock();
        let reg = &mut core.registry;
        match reg.owner.get(&h) {
            Some(&p) if p != self.id => {
                return Err(io::Error::new(
                    ErrorKind::AlreadyExists,
                    "the socket is registered with another poller",
                ))
            }
            _ => {}
        }
        let always = core.sockets.get::<TcpSocket>(h).is_none();
        let reg = &mut core.registry;
        let w = reg
            .pollers
            .get_mut(&self.id)
            .ok_or_else(|| io::Error::other("the poller is gone"))?;
        let new = w
            .regs
            .insert(
                h,
                Registration {
                    token,
                    interest,
                    always,
                },
            )
            .is_none();
        if always && new {
            w.always.push(h);
        } else if !always {
            // Look at it on the next check, whatever it was doing.
            w.dirty.insert(h);
        }
        reg.owner.insert(h, self.id);
        Ok(())
    }

    /// Stops watching `source`.
    pub fn deregister(&self, source: &impl Source) -> io::Result<()> {
        let h = sealed::Sealed::handle(source);
        let mut core = self.shared.lock();
        if core.registry.owner.get(&h) == Some(&self.id) {
            core.registry.forget(h);
        }
        Ok(())
    }

    /// Waits until at least one registered socket is ready or `timeout`
    /// passes (`None`: as long as it takes; zero: not at all), then fills
    /// `events` with every ready socket (cleared first) and returns how
    /// many. Fails with `NotConnected` once the stack stops.
    pub fn wait(&self, events: &mut Vec<Event>, timeout: Option<Duration>) -> io::Result<usize> {
        events.clear();
        let deadline = match timeout {
            Some(t) if t.is_zero() => Deadline::Now,
            Some(t) => Deadline::At(StdInstant::now() + t),
            None => Deadline::Never,
        };
        let id = self.id;
        // Timing out is an answer here ("nothing ready"), not an error.
        let _ = self.shared.block(deadline, Watch::Poller(id), |core| {
            core.ready(id, events);
            Ok((!events.is_empty()).then_some(()))
        })?;
        Ok(events.len())
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        let mut core = self.shared.lock();
        let reg = &mut core.registry;
        if let Some(w) = reg.pollers.remove(&self.id) {
            for h in w.regs.keys() {
                reg.owner.remove(h);
            }
        }
    }
}

impl core::fmt::Debug for Poller {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Poller").field("id", &self.id).finish()
    }
}
