//! What each [`Poller`](super::Poller) watches, and which sockets are
//! ready: the state the pollers keep in the stack's `Core` (under its
//! lock), apart from the `Poller` handles that use it, so the stack needs
//! nothing of the pollers but this.

use core::hash::{BuildHasherDefault, Hasher};
use std::collections;
use std::vec::Vec;

use crate::socket::tcp::{State, TcpListener, TcpSocket};
use crate::socket::udp::UdpSocket;
use crate::socket::{SocketHandle, SocketSet};

/// Maps keyed by socket handles (slot numbers) and poller ids: small
/// integers chosen by the stack, not by the network, so they need no
/// SipHash (which showed in the profile of short connections, looked up
/// several times per poll); a multiplicative hash spreads them.
type HashMap<K, V> = collections::HashMap<K, V, BuildHasherDefault<SlotHasher>>;
type HashSet<K> = collections::HashSet<K, BuildHasherDefault<SlotHasher>>;

/// Fibonacci hashing of the integers the runtime's maps are keyed by.
#[derive(Default)]
pub(super) struct SlotHasher(u64);

impl Hasher for SlotHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

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

/// One ready socket, as [`Poller::wait`](super::Poller::wait) reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// The token the socket was registered with.
    pub token: usize,
    /// A read (or `accept`) will not block.
    pub readable: bool,
    /// A write will not block.
    pub writable: bool,
}

/// A socket registered with a poller.
#[derive(Debug, Clone, Copy)]
pub(super) struct Registration {
    pub(super) token: usize,
    pub(super) interest: Interest,
    /// A listener or datagram socket: looked at on every check (there are
    /// few, and not every change of theirs is recorded as a touch).
    pub(super) always: bool,
}

/// What one poller watches, and which of its sockets to look at next.
#[derive(Default)]
pub(super) struct Watched {
    pub(super) regs: HashMap<SocketHandle, Registration>,
    /// The listeners and datagram sockets among `regs`.
    pub(super) always: Vec<SocketHandle>,
    /// Connections whose readiness may have changed since they were last
    /// looked at (touched by a frame, a timer or a call), or that were
    /// ready then (level-triggered: they are reported until they are not).
    /// The rest are known not ready, so a check costs what changed, not
    /// what is registered: thousands of idle connections cost nothing.
    pub(super) dirty: HashSet<SocketHandle>,
    /// Everything may have changed.
    pub(super) all_dirty: bool,
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
    pub(super) pollers: HashMap<u64, Watched>,
    /// Which poller each registered socket belongs to, so a socket that is
    /// dropped leaves its poller at once (its handle is reused later).
    pub(super) owner: HashMap<SocketHandle, u64>,
    pub(super) next: u64,
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
        let pollers = &mut self.pollers;
        let owner = &self.owner;
        let listed = sockets.drain_changed(|i| {
            let h = SocketHandle::from_index(i);
            let Some(w) = owner.get(&h).and_then(|p| pollers.get_mut(p)) else {
                return;
            };
            // Sockets looked at always are not listed twice.
            if w.regs.get(&h).is_some_and(|r| !r.always) {
                w.dirty.insert(h);
            }
        });
        if !listed {
            pollers.values_mut().for_each(|w| w.all_dirty = true);
        }
    }
}

/// What socket `h` is ready for now (readable, writable). A socket that is
/// gone is ready for both: the call made on it then reports why.
pub(crate) fn readiness(sockets: &SocketSet<'_>, h: SocketHandle) -> (bool, bool) {
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

impl Registry {
    /// Appends the ready sockets of poller `id` to `events`.
    pub(crate) fn ready(&mut self, sockets: &mut SocketSet<'_>, id: u64, events: &mut Vec<Event>) {
        self.note_changes(sockets);
        let Some(w) = self.pollers.get_mut(&id) else {
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
    pub(crate) fn any_ready(&self, sockets: &SocketSet<'_>, id: u64) -> bool {
        let Some(w) = self.pollers.get(&id) else {
            return true;
        };
        // Walked in place, not collected: this runs after every poll for
        // every poller that waits.
        let ready = |h: &SocketHandle| {
            w.regs
                .get(h)
                .is_some_and(|r| event(sockets, *h, r).is_some())
        };
        if w.all_dirty {
            w.regs.keys().any(ready)
        } else {
            w.dirty.iter().chain(w.always.iter()).any(ready)
        }
    }
}
