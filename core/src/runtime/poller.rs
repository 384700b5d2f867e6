//! Readiness of many sockets at once: [`Poller`], so one thread can serve
//! any number of connections (an event loop) instead of one thread each.
//!
//! It works as `epoll` in level-triggered mode does: register sockets with
//! a token and an [`Interest`], then [`Poller::wait`] returns the tokens of
//! those ready now, and keeps returning them while they stay ready. The
//! sockets are used in nonblocking mode; a call that fails with
//! `WouldBlock` is retried after the next `wait` reports the socket.

use std::io::{self, ErrorKind};
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};
use std::vec::Vec;

pub use super::registry::{Event, Interest};
use super::registry::{Registration, Watched};
use super::stack::{Deadline, Shared, Stack, Watch};
use crate::socket::tcp::TcpSocket;
use crate::socket::SocketHandle;
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
            let core = &mut *core;
            core.registry.ready(&mut core.sockets, id, events);
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
